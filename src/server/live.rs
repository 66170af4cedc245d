//! What the server knows of the running Asterisk, as one shared snapshot.
//!
//! Readers (every page view, every API call) take the current snapshot and never
//! talk to Asterisk themselves: N viewers cost no AMI action. Whatever keeps
//! the snapshot current (the AMI client) publishes a new one through [`LivePublisher`].

use crate::model::ContactInfo;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::watch;

/// One endpoint as Asterisk reports it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveEndpoint {
    /// EndpointList spelling: "Not in use", "In use", "Unavailable"…
    pub device_state: String,
    pub active_channels: u32,
    pub aors: Vec<String>,
    pub auths: Vec<String>,
    pub outbound_auths: Vec<String>,
    pub transport: String,
    pub contacts: Vec<ContactInfo>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveSnapshot {
    pub connected: bool,
    /// Why not connected, for the banner and the API's `ami.detail`.
    pub detail: Option<String>,
    pub endpoints: HashMap<String, LiveEndpoint>,
}

impl LiveSnapshot {
    /// What the AMI state store knows, in the shape the views read.
    pub fn from_pbx(state: &crate::ami::state::PbxState) -> Self {
        let endpoints = state
            .endpoints
            .iter()
            .map(|(name, e)| {
                let contacts = e
                    .contacts
                    .iter()
                    .map(|c| ContactInfo {
                        aor: c.aor.clone(),
                        uri: c.uri.clone(),
                        status: c.status.clone(),
                        via: c.via.clone(),
                        user_agent: c.user_agent.clone(),
                        rtt_ms: c.rtt_us.map(|us| us as f64 / 1000.0),
                        expires: c.expires.and_then(|e| i64::try_from(e).ok()),
                    })
                    .collect();
                let live = LiveEndpoint {
                    device_state: e.device_state.clone(),
                    active_channels: e.active_channels,
                    aors: e.aors.clone(),
                    auths: e.auths.clone(),
                    outbound_auths: e.outbound_auths.clone(),
                    transport: e.transport.clone(),
                    contacts,
                };
                (name.clone(), live)
            })
            .collect();
        LiveSnapshot { connected: true, detail: None, endpoints }
    }

    pub fn disconnected(detail: impl Into<String>) -> Self {
        LiveSnapshot {
            connected: false,
            detail: Some(detail.into()),
            endpoints: HashMap::new(),
        }
    }
}

/// The readers' side.
#[derive(Clone, Debug)]
pub struct Live {
    rx: watch::Receiver<Arc<LiveSnapshot>>,
}

/// The writer's side.
#[derive(Debug)]
pub struct LivePublisher {
    tx: watch::Sender<Arc<LiveSnapshot>>,
}

impl Live {
    pub fn new(initial: LiveSnapshot) -> (Live, LivePublisher) {
        let (tx, rx) = watch::channel(Arc::new(initial));
        (Live { rx }, LivePublisher { tx })
    }

    pub fn snapshot(&self) -> Arc<LiveSnapshot> {
        self.rx.borrow().clone()
    }

    /// Resolves when a new snapshot is published (for server push later).
    pub async fn changed(&mut self) -> bool {
        self.rx.changed().await.is_ok()
    }
}

impl LivePublisher {
    pub fn publish(&self, snapshot: LiveSnapshot) {
        self.tx.send_replace(Arc::new(snapshot));
    }

    pub fn current(&self) -> Arc<LiveSnapshot> {
        self.tx.borrow().clone()
    }
}
