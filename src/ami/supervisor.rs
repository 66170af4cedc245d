//! Keeps one AMI connection up and the PBX state current: connect, resync,
//! follow events, resync again on Reload and periodically, reconnect with
//! exponential backoff and jitter. Each connection's end is logged and
//! published once, with the reason the connection gave.

use super::client::{AmiClient, ClientOptions};
use super::message::{Action, Message};
use super::state::{Applied, PbxState};
use super::types::{items_of, ContactList, ContactStatusDetail, CoreShowChannel, EndpointList};
use super::AmiError;
use futures::future::{BoxFuture, FutureExt};
use futures::stream::{FuturesUnordered, StreamExt};
use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

#[derive(Clone, Debug)]
pub struct SupervisorOptions {
    pub client: ClientOptions,
    /// What the supervisor counts, for whoever reports it.
    pub stats: Arc<SupervisorStats>,
    /// Safety net: a full resync this often even if events were all seen.
    pub resync_every: Duration,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Coalesces bursts of events into one published state.
    pub publish_every: Duration,
    /// The logged-in connection while there is one and Asterisk has fully
    /// booted, for whoever acts on Asterisk beside the supervisor (a reload,
    /// a check after it). A reload asked of an Asterisk still starting is
    /// only queued (loader.c), and says "Module Reloaded" all the same.
    pub session: Arc<tokio::sync::watch::Sender<Option<AmiClient>>>,
    /// How long after logging in Asterisk may take to say `FullyBooted`
    /// before the connection is offered anyway: a user without
    /// `read = system` never hears it.
    pub boot_wait: Duration,
}

/// Counts since start, as plain atomics: the AMI layer knows no metrics library.
#[derive(Debug, Default)]
pub struct SupervisorStats {
    /// Sessions that logged in and resynced.
    pub connections: AtomicU64,
    /// Sessions that ended or never started (each is followed by a retry).
    pub failures: AtomicU64,
    pub events: AtomicU64,
    pub resyncs: AtomicU64,
}

impl SupervisorStats {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl SupervisorOptions {
    pub fn new(client: ClientOptions) -> Self {
        SupervisorOptions {
            client,
            stats: Arc::default(),
            resync_every: Duration::from_secs(300),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            publish_every: Duration::from_millis(100),
            session: Arc::new(tokio::sync::watch::channel(None).0),
            boot_wait: Duration::from_secs(30),
        }
    }
}

/// What the consumer of the live state is told.
#[derive(Clone, Debug, PartialEq)]
pub enum Update {
    /// The whole state, shared: publishing is an `Arc` clone, and the
    /// supervisor copies it only when the next event changes it.
    Connected(Arc<PbxState>),
    /// Why there is no state: the reason the connection ended or failed.
    Disconnected(String),
}

/// One full resync: three actions, whatever the number of endpoints.
pub async fn resync(client: &AmiClient) -> Result<PbxState, AmiError> {
    let (eps, contacts, channels) = tokio::try_join!(
        client.list(Action::new("PJSIPShowEndpoints")),
        client.list(Action::new("PJSIPShowContacts")),
        client.list(Action::new("CoreShowChannels")),
    )?;
    let eps = items_of(&eps, "EndpointList", EndpointList::from_message);
    let contacts = items_of(&contacts, "ContactList", ContactList::from_message);
    let channels = items_of(&channels, "CoreShowChannel", CoreShowChannel::from_message);
    Ok(PbxState::from_lists(&eps, &contacts, &channels))
}

/// A delay in [d/2, d), so that many clients do not reconnect in step.
fn jittered(d: Duration) -> Duration {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |t| t.subsec_nanos());
    let frac = (nanos % 1000) as f64 / 1000.0;
    d.mul_f64(0.5 + frac / 2.0)
}

/// Runs forever; `publish` sees every new state and every disconnection.
pub async fn run(opts: SupervisorOptions, publish: impl Fn(Update) + Send + 'static) {
    let mut backoff = opts.backoff_min;
    // A failure repeating while Asterisk stays unreachable is logged once at
    // WARN, its retries at DEBUG: a dead PBX or a wrong secret is one line in
    // the log, not one every 30 s for as long as it lasts.
    let mut last_failure: Option<String> = None;
    loop {
        let mut reached = false;
        let Err(e) = session(&opts, &publish, &mut backoff, &mut reached).await;
        opts.session.send_replace(None);
        SupervisorStats::bump(&opts.stats.failures);
        let reason = e.with_causes().to_string();
        // The two mistakes of a new manager.conf user get the fix spelled out.
        let reason = match &e {
            AmiError::LoginRefused(_) => format!("{reason}. Check ISPBX_AMI_USERNAME and the secret."),
            AmiError::Action(why) if why.eq_ignore_ascii_case("Permission denied") => format!(
                "{reason}: the AMI user {:?} may not run PJSIPShowEndpoints. Give it `write = system` in manager.conf.",
                opts.client.credentials.username
            ),
            _ => reason,
        };
        if !reached && last_failure.as_deref() == Some(reason.as_str()) {
            tracing::debug!(addr = %opts.client.addr, "AMI: {reason} (again)");
        } else {
            tracing::warn!(addr = %opts.client.addr, "AMI: {reason}");
        }
        last_failure = Some(reason.clone());
        publish(Update::Disconnected(reason));
        tokio::time::sleep(jittered(backoff)).await;
        backoff = (backoff * 2).min(opts.backoff_max);
    }
}

/// PJSIPShowEndpoint requests in flight at once, at most.
const MAX_REFRESHES: usize = 4;

/// (endpoint, generation, ContactStatus events seen when asked, answer).
type RefreshAnswer = (String, u64, u64, Result<Vec<Message>, AmiError>);

/// A session's PJSIPShowEndpoint requests: the details of contacts that
/// ContactStatus announced without them. One per endpoint and a few at a
/// time, so that every phone registering again after a network outage makes
/// a short queue, not thousands of actions at Asterisk at once. A resync
/// makes the answers to earlier requests moot.
///
/// An answer's contact status may be older than a ContactStatus event that
/// arrived before it (Asterisk writes events and answers from different
/// threads): then the event's status stands.
struct Refreshes {
    client: AmiClient,
    waiting: VecDeque<String>,
    /// Waiting or running.
    wanted: HashSet<String>,
    running: FuturesUnordered<BoxFuture<'static, RefreshAnswer>>,
    /// Bumped by each resync; answers carry the one they were asked in.
    generation: u64,
    /// ContactStatus events seen, and the count when each endpoint last had one.
    status_events: u64,
    last_status_event: HashMap<String, u64>,
}

impl Refreshes {
    fn new(client: AmiClient) -> Self {
        Refreshes {
            client,
            waiting: VecDeque::new(),
            wanted: HashSet::new(),
            running: FuturesUnordered::new(),
            generation: 0,
            status_events: 0,
            last_status_event: HashMap::new(),
        }
    }

    /// Every event passes here before it is applied.
    fn saw<'m>(&mut self, m: &'m Message) -> &'m Message {
        if m.event() == Some("ContactStatus") {
            if let Some(endpoint) = m.get("EndpointName") {
                self.status_events += 1;
                self.last_status_event.insert(endpoint.to_string(), self.status_events);
            }
        }
        m
    }

    fn want(&mut self, endpoint: String) {
        if self.wanted.insert(endpoint.clone()) {
            self.waiting.push_back(endpoint);
            self.start();
        }
    }

    fn start(&mut self) {
        while self.running.len() < MAX_REFRESHES {
            let Some(endpoint) = self.waiting.pop_front() else { return };
            let (client, generation, asked_at) = (self.client.clone(), self.generation, self.status_events);
            self.running.push(
                async move {
                    let action = Action::new("PJSIPShowEndpoint").header("Endpoint", endpoint.clone());
                    let answer = client.list(action).await;
                    (endpoint, generation, asked_at, answer)
                }
                .boxed(),
            );
        }
    }

    /// After a resync: what was asked before it is known now, but for the
    /// status of permanent contacts, which no list action gives.
    fn resynced(&mut self, state: &PbxState) {
        self.generation += 1;
        self.waiting.clear();
        self.wanted.clear();
        for name in state.with_permanent_contacts() {
            self.want(name.to_string());
        }
    }

    /// An answer came: the next request may go. `None` for an answer a
    /// resync made moot, else whether its contact statuses are current (no
    /// ContactStatus event for the endpoint since it was asked).
    fn finished(&mut self, endpoint: &str, generation: u64, asked_at: u64) -> Option<bool> {
        if generation == self.generation {
            self.wanted.remove(endpoint);
        }
        self.start();
        (generation == self.generation).then(|| self.last_status_event.get(endpoint).is_none_or(|&at| at <= asked_at))
    }
}

/// One connection's life, until the reason it ended. A session that got as
/// far as a resync resets the backoff and says it was `reached`.
async fn session(
    opts: &SupervisorOptions,
    publish: &impl Fn(Update),
    backoff: &mut Duration,
    reached: &mut bool,
) -> Result<Infallible, AmiError> {
    let (client, mut events) = AmiClient::connect(&opts.client).await?;
    tracing::info!(addr = %opts.client.addr, banner = %client.banner, "AMI connected");
    let mut state = Arc::new(resync(&client).await?);
    SupervisorStats::bump(&opts.stats.resyncs);
    SupervisorStats::bump(&opts.stats.connections);
    *backoff = opts.backoff_min;
    *reached = true;
    publish(Update::Connected(Arc::clone(&state)));
    // Asterisk says FullyBooted right after the login when it has booted
    // (manager.c), else once it has.
    let mut booted = false;
    let boot_wait = tokio::time::sleep(opts.boot_wait);
    tokio::pin!(boot_wait);
    let mut resync_tick = tokio::time::interval(opts.resync_every);
    resync_tick.tick().await;
    let mut publish_tick = tokio::time::interval(opts.publish_every);
    let mut dirty = false;
    // Answers are awaited here, beside the events, never in their way: an
    // Asterisk slow to answer one endpoint must not hold back the others'.
    let mut refreshes = Refreshes::new(client.clone());
    refreshes.resynced(&state);
    loop {
        tokio::select! {
            ev = events.recv() => {
                let ev = ev?;
                SupervisorStats::bump(&opts.stats.events);
                if !booted && ev.event() == Some("FullyBooted") {
                    booted = true;
                    opts.session.send_replace(Some(client.clone()));
                }
                match state.apply(refreshes.saw(&ev)) {
                    Applied::Changed => dirty = true,
                    Applied::Unchanged => {}
                    Applied::Refresh(name) => {
                        refreshes.want(name);
                        dirty = true;
                    }
                    Applied::ResyncNeeded => {
                        let mut fresh = resync(&client).await?;
                        SupervisorStats::bump(&opts.stats.resyncs);
                        fresh.carry_permanent_contacts(&state);
                        state = Arc::new(fresh);
                        refreshes.resynced(&state);
                        dirty = true;
                    }
                }
            }
            Some((name, generation, asked_at, answer)) = refreshes.running.next(), if !refreshes.running.is_empty() => {
                let Some(status_current) = refreshes.finished(&name, generation, asked_at) else { continue };
                match answer {
                    Ok(items) => {
                        let details = items_of(&items, "ContactStatusDetail", ContactStatusDetail::from_message);
                        Arc::make_mut(&mut state).merge_details(&name, &details, status_current);
                        dirty = true;
                    }
                    Err(AmiError::Action(why)) => tracing::debug!(endpoint = %name, "PJSIPShowEndpoint: {why}"),
                    // The contact stays without its details until the next resync.
                    Err(e @ AmiError::Timeout(_)) => tracing::warn!(endpoint = %name, "PJSIPShowEndpoint: {}", e.with_causes()),
                    // The connection is gone: the event stream says why, once.
                    Err(e) => tracing::debug!(endpoint = %name, "PJSIPShowEndpoint: {}", e.with_causes()),
                }
            }
            () = &mut boot_wait, if !booted => {
                tracing::warn!(
                    "Asterisk has not said FullyBooted within {} s of the AMI login: the AMI user may lack `read = system` (then it misses Reload events too); changes go ahead",
                    opts.boot_wait.as_secs()
                );
                booted = true;
                opts.session.send_replace(Some(client.clone()));
            }
            _ = publish_tick.tick(), if dirty => {
                publish(Update::Connected(Arc::clone(&state)));
                dirty = false;
            }
            _ = resync_tick.tick() => {
                let mut fresh = resync(&client).await?;
                SupervisorStats::bump(&opts.stats.resyncs);
                fresh.carry_permanent_contacts(&state);
                if fresh != *state {
                    state = Arc::new(fresh);
                    refreshes.resynced(&state);
                    dirty = true;
                }
            }
        }
    }
}
