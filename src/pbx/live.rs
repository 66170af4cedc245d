//! What the server knows of the running Asterisk, as one shared snapshot.
//!
//! Readers (every page view, every API call) take the current snapshot and never
//! talk to Asterisk themselves: N viewers cost no AMI action. The AMI
//! supervisor publishes through [`LivePublisher`]; its [`PbxState`] is shared,
//! never copied into another type: the answers map it at the edge.

use crate::ami::client::AmiClient;
use crate::ami::state::PbxState;
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct LiveSnapshot {
    pub connected: bool,
    /// An AMI user is configured: without one, no connection is expected.
    pub configured: bool,
    /// Why not connected, for the banner and the API's `ami.detail`.
    pub detail: Option<String>,
    /// Empty while not connected.
    pub pbx: Arc<PbxState>,
}

impl LiveSnapshot {
    pub fn connected(pbx: Arc<PbxState>) -> Self {
        LiveSnapshot { connected: true, configured: true, detail: None, pbx }
    }

    pub fn disconnected(detail: impl Into<String>) -> Self {
        LiveSnapshot { connected: false, configured: true, detail: Some(detail.into()), pbx: Arc::default() }
    }

    /// No AMI user is configured: the config alone is served, on purpose.
    pub fn not_configured(detail: impl Into<String>) -> Self {
        LiveSnapshot { configured: false, ..Self::disconnected(detail) }
    }

    /// An endpoint as Asterisk reports it, while connected.
    pub fn endpoint(&self, name: &str) -> Option<&crate::ami::state::Endpoint> {
        self.pbx.endpoints.get(name).filter(|_| self.connected)
    }
}

/// The readers' side.
#[derive(Clone, Debug)]
pub struct Live {
    rx: watch::Receiver<Arc<LiveSnapshot>>,
    /// The AMI supervisor's counts, shared with it.
    stats: Arc<crate::ami::supervisor::SupervisorStats>,
    /// The supervisor's connection while it has one.
    session: Arc<watch::Sender<Option<AmiClient>>>,
}

/// The writer's side.
#[derive(Debug)]
pub struct LivePublisher {
    tx: watch::Sender<Arc<LiveSnapshot>>,
}

impl Live {
    pub fn new(initial: LiveSnapshot) -> (Live, LivePublisher) {
        let (tx, rx) = watch::channel(Arc::new(initial));
        let session = Arc::new(watch::channel(None).0);
        (Live { rx, stats: Arc::default(), session }, LivePublisher { tx })
    }

    /// Where the supervisor feeding this puts its connection: give it to its options.
    pub fn session(&self) -> Arc<watch::Sender<Option<AmiClient>>> {
        self.session.clone()
    }

    /// What the supervisor feeding this counts: give it to its options.
    pub fn stats(&self) -> Arc<crate::ami::supervisor::SupervisorStats> {
        self.stats.clone()
    }

    /// Notified at each new snapshot.
    pub fn changes(&self) -> watch::Receiver<Arc<LiveSnapshot>> {
        self.rx.clone()
    }

    pub fn snapshot(&self) -> Arc<LiveSnapshot> {
        self.rx.borrow().clone()
    }
}

impl LivePublisher {
    pub fn publish(&self, snapshot: LiveSnapshot) {
        self.tx.send_replace(Arc::new(snapshot));
    }
}
