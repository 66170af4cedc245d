//! The change feed behind `GET /events`: one task turns each new snapshot
//! into the endpoint rows that changed, numbers them, keeps the last ones
//! for clients that reconnect, and broadcasts them. Subscribers share the
//! broadcast's buffer: a thousand viewers cost no copy of the list each.

use super::Pbx;
use crate::model::{EndpointListResponse, EndpointSummary};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::broadcast;

/// Changes kept for a reconnecting client's `Last-Event-ID`.
const HISTORY: usize = 4096;
/// Changes a subscriber may fall behind before it is sent a snapshot instead.
const LAG: usize = 1024;
/// How often the config's snapshot is looked at (the live state notifies).
const CONFIG_POLL: Duration = Duration::from_millis(200);

/// One change, as a stream event.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// An endpoint is new or any field of its row changed: the whole row.
    Endpoint(EndpointSummary),
    /// An endpoint left the config and Asterisk.
    Removed(String),
    /// The AMI connection or the config's state changed (the banners).
    Status(crate::model::AmiStatus, crate::model::ConfigStatus),
    /// A change to the PBX entered a phase (the last one: `done`).
    Progress(crate::model::ChangeProgress),
}

/// A numbered change.
pub type Numbered = (u64, Arc<Change>);

#[derive(Debug)]
struct State {
    /// The id of the newest change (0: none yet).
    last: u64,
    history: VecDeque<Numbered>,
    rows: HashMap<String, EndpointSummary>,
    status: Option<(crate::model::AmiStatus, crate::model::ConfigStatus)>,
}

/// The feed: cheap to clone, shared by every subscriber.
#[derive(Clone, Debug)]
pub struct Feed {
    tx: broadcast::Sender<Numbered>,
    state: Arc<RwLock<State>>,
    pbx: Pbx,
}

/// What a (re)connecting client gets first.
pub enum Start {
    /// The changes after its `Last-Event-ID`, in order.
    Replay(Vec<Numbered>),
    /// The whole list, as of this change id: no id given, or too old.
    Snapshot(u64, Box<EndpointListResponse>),
}

impl Feed {
    /// Starts the task that follows `pbx`; it runs as long as the server.
    pub fn spawn(pbx: Pbx) -> Feed {
        let (tx, _) = broadcast::channel(LAG);
        // Ids go on from the clock, in microseconds: an id a client kept
        // from before a restart is older than every id of this process, so it
        // gets a snapshot, never a replay of other changes under its numbers.
        let first = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64);
        let state = State { last: first, history: VecDeque::with_capacity(HISTORY), rows: HashMap::new(), status: None };
        let feed = Feed { tx, state: Arc::new(RwLock::new(state)), pbx };
        // What the task compares against is taken before the first reading:
        // a change in between is then seen, not lost.
        let mut live = feed.pbx.live_changes();
        let mut progress = feed.pbx.change_progress();
        let mut seen = feed.pbx.snapshot();
        feed.update();
        let follower = feed.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(CONFIG_POLL);
            loop {
                tokio::select! {
                    changed = live.changed() => if changed.is_err() { tick.tick().await; },
                    Ok(()) = progress.changed() => {
                        let now = progress.borrow_and_update().clone();
                        if let Some(p) = now {
                            follower.publish(vec![Change::Progress(p)]);
                        }
                    }
                    _ = tick.tick() => {}
                }
                let now = follower.pbx.snapshot();
                if !now.same_as(&seen) {
                    seen = now;
                    follower.update();
                }
            }
        });
        feed
    }

    /// Diffs the current list against the rows last sent.
    fn update(&self) {
        let Ok(list) = self.pbx.snapshot().endpoint_list() else { return };
        let mut st = self.state.write().unwrap_or_else(|e| e.into_inner());
        let mut changes: Vec<Change> = Vec::new();
        let mut current: HashMap<String, EndpointSummary> = HashMap::with_capacity(list.endpoints.len());
        for row in list.endpoints {
            if st.rows.get(&row.objectname) != Some(&row) {
                changes.push(Change::Endpoint(row.clone()));
            }
            current.insert(row.objectname.clone(), row);
        }
        let mut gone: Vec<&String> = st.rows.keys().filter(|k| !current.contains_key(*k)).collect();
        gone.sort();
        changes.extend(gone.into_iter().map(|k| Change::Removed(k.clone())));
        st.rows = current;
        let status = (list.ami, list.config);
        if st.status.as_ref() != Some(&status) {
            st.status = Some(status.clone());
            changes.push(Change::Status(status.0, status.1));
        }
        Self::number(&mut st, &self.tx, changes);
    }

    fn publish(&self, changes: Vec<Change>) {
        let mut st = self.state.write().unwrap_or_else(|e| e.into_inner());
        Self::number(&mut st, &self.tx, changes);
    }

    fn number(st: &mut State, tx: &broadcast::Sender<Numbered>, changes: Vec<Change>) {
        for change in changes {
            st.last += 1;
            let numbered = (st.last, Arc::new(change));
            if st.history.len() == HISTORY {
                st.history.pop_front();
            }
            st.history.push_back(numbered.clone());
            // No subscriber is not an error: the history keeps it.
            let _ = tx.send(numbered);
        }
    }

    /// Subscribes, and says what to send first: taken under the feed's
    /// lock, so nothing falls between the start and the live changes.
    pub fn subscribe(&self, last_event_id: Option<u64>) -> (Start, broadcast::Receiver<Numbered>) {
        let st = self.state.read().unwrap_or_else(|e| e.into_inner());
        let rx = self.tx.subscribe();
        let oldest = st.history.front().map_or(st.last + 1, |(id, _)| *id);
        let start = match last_event_id {
            Some(id) if id <= st.last && id + 1 >= oldest => {
                Start::Replay(st.history.iter().filter(|(n, _)| *n > id).cloned().collect())
            }
            Some(id) if id == st.last => Start::Replay(Vec::new()),
            _ => Start::Snapshot(st.last, Box::new(self.snapshot_list(&st))),
        };
        (start, rx)
    }

    /// The list as of the newest change.
    pub fn snapshot(&self) -> (u64, EndpointListResponse) {
        let st = self.state.read().unwrap_or_else(|e| e.into_inner());
        (st.last, self.snapshot_list(&st))
    }

    fn snapshot_list(&self, st: &State) -> EndpointListResponse {
        let mut list = self.pbx.snapshot().endpoint_list().unwrap_or_else(|_| EndpointListResponse {
            status: "success".into(),
            endpoints: Vec::new(),
            ami: crate::model::AmiStatus { connected: false, detail: None },
            config: crate::model::ConfigStatus { path: String::new(), error: None },
        });
        // The rows the ids speak of, not a newer reading the feed has not numbered yet.
        let mut rows: Vec<EndpointSummary> = st.rows.values().cloned().collect();
        rows.sort_by(|a, b| a.objectname.cmp(&b.objectname));
        list.endpoints = rows;
        list
    }

    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}
