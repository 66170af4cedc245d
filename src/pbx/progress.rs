//! Where each change is in the pipeline, for whoever watches it: the
//! dashboard's change page, `GET /changes/{id}` and the `change` event of
//! `/events`. Kept in memory: the audit log holds the outcome, this the
//! phases on the way and how long each took.

use crate::model::{ChangePhase, ChangeProgress, ChangeStep};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::watch;

/// Finished changes whose timings are kept.
const KEPT: usize = 256;

#[derive(Debug)]
struct Track {
    endpoint: String,
    phase: ChangePhase,
    since: Instant,
    steps: Vec<ChangeStep>,
}

/// Shared by every clone.
#[derive(Clone, Debug)]
pub struct Progress {
    changes: Arc<Mutex<BTreeMap<i64, Track>>>,
    latest: watch::Sender<Option<ChangeProgress>>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress { changes: Arc::default(), latest: watch::channel(None).0 }
    }
}

impl Progress {
    /// Change `id` (of `endpoint`) enters `phase`.
    pub fn enter(&self, id: i64, endpoint: &str, phase: ChangePhase) {
        let now = Instant::now();
        {
            let mut changes = self.changes.lock().unwrap_or_else(|e| e.into_inner());
            match changes.get_mut(&id) {
                Some(t) if t.phase != phase => {
                    t.steps.push(ChangeStep { phase: t.phase, ms: millis(now - t.since) });
                    t.phase = phase;
                    t.since = now;
                }
                Some(_) => {}
                None => {
                    changes.insert(id, Track { endpoint: endpoint.to_string(), phase, since: now, steps: Vec::new() });
                }
            }
            while changes.len() > KEPT {
                changes.pop_first();
            }
        }
        self.latest.send_replace(Some(ChangeProgress { id, endpoint: endpoint.to_string(), phase }));
    }

    /// The change left the pipeline, in whatever phase it was.
    pub fn finish(&self, id: i64) {
        let endpoint = {
            let mut changes = self.changes.lock().unwrap_or_else(|e| e.into_inner());
            let Some(t) = changes.get_mut(&id) else { return };
            if t.phase != ChangePhase::Done {
                t.steps.push(ChangeStep { phase: t.phase, ms: millis(t.since.elapsed()) });
                t.phase = ChangePhase::Done;
            }
            t.endpoint.clone()
        };
        self.latest.send_replace(Some(ChangeProgress { id, endpoint, phase: ChangePhase::Done }));
    }

    /// (the phase it is in, unless done; the phases it went through).
    pub fn of(&self, id: i64) -> (Option<ChangePhase>, Vec<ChangeStep>) {
        let changes = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        match changes.get(&id) {
            Some(t) => ((t.phase != ChangePhase::Done).then_some(t.phase), t.steps.clone()),
            None => (None, Vec::new()),
        }
    }

    /// Notified at each phase of any change.
    pub fn watch(&self) -> watch::Receiver<Option<ChangeProgress>> {
        self.latest.subscribe()
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_timed_in_order_and_done_ends_them() {
        let p = Progress::default();
        let mut rx = p.watch();
        p.enter(7, "1001", ChangePhase::Validating);
        p.enter(7, "1001", ChangePhase::Writing);
        p.enter(7, "1001", ChangePhase::Writing);
        assert_eq!(p.of(7).0, Some(ChangePhase::Writing));
        assert!(rx.has_changed().unwrap());
        assert_eq!(rx.borrow_and_update().as_ref().map(|c| c.phase), Some(ChangePhase::Writing));
        p.finish(7);
        let (phase, steps) = p.of(7);
        assert_eq!(phase, None);
        assert_eq!(steps.iter().map(|s| s.phase).collect::<Vec<_>>(), [ChangePhase::Validating, ChangePhase::Writing]);
        assert_eq!(rx.borrow().as_ref().map(|c| (c.id, c.phase)), Some((7, ChangePhase::Done)));
        assert_eq!(p.of(8), (None, Vec::new()));
    }

    #[test]
    fn only_the_newest_are_kept() {
        let p = Progress::default();
        for id in 0..(KEPT as i64 + 10) {
            p.enter(id, "1001", ChangePhase::Validating);
            p.finish(id);
        }
        assert!(p.of(0).1.is_empty());
        assert_eq!(p.of(KEPT as i64 + 9).1.len(), 1);
    }
}
