//! The simulated PBX's state: endpoints with their AORs, contacts and calls,
//! the device state Asterisk derives from them, and the changes a phone makes
//! (register, unregister, call, hang up) with the events each one emits.

use super::{fxhash, md5_hex, msg, now, SimError};
use crate::ami::Message;
use crate::pjsip::PjsipConfig;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where a state change sends the events it causes: (privilege, event), in order.
pub(super) type Emit<'a> = dyn FnMut(&str, Message) + 'a;

#[derive(Clone, Debug, Default)]
pub(super) struct SimContact {
    pub(super) aor: String,
    pub(super) uri: String,
    pub(super) status: String,
    pub(super) via: String,
    pub(super) user_agent: String,
    pub(super) rtt_us: u64,
    pub(super) expires: u64,
    pub(super) id: String,
    pub(super) call_id: String,
    pub(super) dynamic: bool,
    /// The AOR's qualify settings when the contact was made.
    pub(super) qualify_frequency: u32,
    pub(super) qualify_timeout: f64,
}

#[derive(Clone, Debug, Default)]
pub(super) struct SimEndpoint {
    pub(super) aors: Vec<String>,
    pub(super) auths: Vec<String>,
    pub(super) outbound_auths: Vec<String>,
    pub(super) transport: String,
    pub(super) busy_at: u32,
    pub(super) contacts: Vec<SimContact>,
    pub(super) channels: Vec<String>,
}

impl SimEndpoint {
    fn available(&self) -> bool {
        self.contacts.iter().any(|c| crate::ami::state::contact_available(&c.status))
    }

    /// (EndpointList spelling, DeviceStateChange spelling)
    pub(super) fn device_state(&self) -> (&'static str, &'static str) {
        let n = self.channels.len() as u32;
        if n > 0 && self.busy_at > 0 && n >= self.busy_at {
            ("Busy", "BUSY")
        } else if n > 0 {
            ("In use", "INUSE")
        } else if self.available() {
            ("Not in use", "NOT_INUSE")
        } else {
            ("Unavailable", "UNAVAILABLE")
        }
    }
}

#[derive(Debug)]
pub(super) struct SimState {
    pub(super) endpoints: BTreeMap<String, SimEndpoint>,
    /// The objects PJSIPShowEndpoint details.
    pub(super) config: Arc<PjsipConfig>,
    next_channel: u64,
}

/// An AOR's qualify_frequency and qualify_timeout (Asterisk's defaults: 0 and 3 s).
fn qualify_of(cfg: &PjsipConfig, aor: &str) -> (u32, f64) {
    let a = cfg.object("aor", aor);
    let get = |k: &str| a.and_then(|a| a.get(k));
    (get("qualify_frequency").and_then(|v| v.parse().ok()).unwrap_or(0), get("qualify_timeout").and_then(|v| v.parse().ok()).unwrap_or(3.0))
}

fn split(v: Option<String>) -> Vec<String> {
    v.map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

impl SimState {
    /// The endpoints of `cfg` with their AORs' static contacts: no phone registered, no call.
    pub(super) fn from_config(cfg: &PjsipConfig) -> Self {
        let mut state = SimState { endpoints: BTreeMap::new(), config: Arc::new(cfg.clone()), next_channel: 1 };
        for ep in cfg.objects_of("endpoint") {
            let aors = split(ep.get("aors"));
            let mut contacts = Vec::new();
            for aor in &aors {
                if let Some(a) = cfg.object("aor", aor) {
                    let (qualify_frequency, qualify_timeout) = qualify_of(cfg, aor);
                    for uri in split(a.get("contact")) {
                        contacts.push(SimContact {
                            aor: aor.clone(),
                            id: format!("{aor}@@{}", md5_hex(&uri)),
                            uri,
                            // Nobody answers at a fixed address in the simulation: qualified, it is Unreachable.
                            status: if qualify_frequency > 0 { "Unreachable" } else { "NonQualified" }.into(),
                            qualify_frequency,
                            qualify_timeout,
                            ..SimContact::default()
                        });
                    }
                }
            }
            state.endpoints.insert(
                ep.name.to_string(),
                SimEndpoint {
                    aors,
                    auths: split(ep.get("auth")),
                    outbound_auths: split(ep.get("outbound_auth")),
                    transport: ep.get("transport").unwrap_or_default(),
                    busy_at: ep.get("device_state_busy_at").and_then(|v| v.parse().ok()).unwrap_or(0),
                    contacts,
                    channels: Vec::new(),
                },
            );
        }
        state
    }

    /// A phone registers from `via` (ip:port) to the endpoint's first AOR.
    pub(super) fn register(&mut self, name: &str, via: &str, user_agent: &str, emit: &mut Emit<'_>) -> Result<(), SimError> {
        let ep = self.endpoints.get_mut(name).ok_or_else(|| SimError::NoEndpoint(name.into()))?;
        let aor = ep.aors.first().cloned().ok_or_else(|| SimError::NoAor(name.into()))?;
        let was_available = ep.available();
        let before = ep.device_state().1;
        let uri = format!("sip:{name}@{via}");
        ep.contacts.retain(|c| !(c.dynamic && c.uri == uri));
        let rtt = 300 + (fxhash(&uri) % 4000);
        let (qualify_frequency, qualify_timeout) = qualify_of(&self.config, &aor);
        let addr = via.rsplit_once(':').map_or(via, |(a, _)| a);
        ep.contacts.push(SimContact {
            aor: aor.clone(),
            uri: uri.clone(),
            status: "NonQualified".into(),
            via: via.into(),
            user_agent: user_agent.into(),
            rtt_us: rtt,
            expires: now() + 3600,
            id: format!("{aor};@{}", md5_hex(&uri)),
            call_id: format!("{:x}@{addr}", fxhash(&format!("{uri}{}", now()))),
            dynamic: true,
            qualify_frequency,
            qualify_timeout,
        });
        let cs = |status: &str, rtt: &str| {
            msg(&[("Event", "ContactStatus"), ("URI", &uri), ("ContactStatus", status), ("AOR", &aor), ("EndpointName", name), ("RoundtripUsec", rtt)])
        };
        // The order of tests/fixtures/ami/51_events_30s: the contact is
        // created, the device becomes available, then the first qualify answers.
        emit("system", cs("NonQualified", "0"));
        if !was_available {
            emit("system", msg(&[("Event", "PeerStatus"), ("ChannelType", "PJSIP"), ("Peer", &format!("PJSIP/{name}")), ("PeerStatus", "Reachable")]));
        }
        device_change(name, before, ep, emit);
        if let Some(c) = ep.contacts.last_mut() {
            c.status = "Reachable".into();
        }
        emit("system", cs("Reachable", &rtt.to_string()));
        Ok(())
    }

    /// Every dynamic contact of the endpoint goes away.
    pub(super) fn unregister(&mut self, name: &str, emit: &mut Emit<'_>) -> Result<(), SimError> {
        let ep = self.endpoints.get_mut(name).ok_or_else(|| SimError::NoEndpoint(name.into()))?;
        let before = ep.device_state().1;
        let gone: Vec<SimContact> = ep.contacts.iter().filter(|c| c.dynamic).cloned().collect();
        ep.contacts.retain(|c| !c.dynamic);
        // Recorded order: PeerStatus, the contacts removed, then the device state.
        if !gone.is_empty() && !ep.available() {
            emit("system", msg(&[("Event", "PeerStatus"), ("ChannelType", "PJSIP"), ("Peer", &format!("PJSIP/{name}")), ("PeerStatus", "Unreachable")]));
        }
        for c in gone {
            emit("system", msg(&[("Event", "ContactStatus"), ("URI", &c.uri), ("ContactStatus", "Removed"), ("AOR", &c.aor), ("EndpointName", name), ("RoundtripUsec", "0")]));
        }
        device_change(name, before, ep, emit);
        Ok(())
    }

    /// The endpoint opens a channel; returns its name.
    pub(super) fn call(&mut self, name: &str, emit: &mut Emit<'_>) -> Result<String, SimError> {
        let n = self.next_channel;
        self.next_channel += 1;
        let ep = self.endpoints.get_mut(name).ok_or_else(|| SimError::NoEndpoint(name.into()))?;
        let before = ep.device_state().1;
        let channel = format!("PJSIP/{name}-{n:08x}");
        ep.channels.push(channel.clone());
        emit("call", channel_event("Newchannel", &channel, name, n, "Ring", "4"));
        device_change(name, before, ep, emit);
        Ok(channel)
    }

    /// The endpoint's oldest channel ends.
    pub(super) fn hangup(&mut self, name: &str, emit: &mut Emit<'_>) -> Result<(), SimError> {
        let ep = self.endpoints.get_mut(name).ok_or_else(|| SimError::NoEndpoint(name.into()))?;
        if ep.channels.is_empty() {
            return Err(SimError::NoCall(name.into()));
        }
        let before = ep.device_state().1;
        let channel = ep.channels.remove(0);
        let mut h = channel_event("Hangup", &channel, name, channel_number(&channel), "Up", "6");
        h.headers.push(("Cause".into(), "16".into()));
        h.headers.push(("Cause-txt".into(), "Normal Clearing".into()));
        emit("call", h);
        device_change(name, before, ep, emit);
        Ok(())
    }
}

/// A DeviceStateChange, if the endpoint's device state is no longer `before`.
fn device_change(name: &str, before: &str, ep: &SimEndpoint, emit: &mut Emit<'_>) {
    let (_, now) = ep.device_state();
    if now != before {
        emit("call", msg(&[("Event", "DeviceStateChange"), ("Device", &format!("PJSIP/{name}")), ("State", now)]));
    }
}

/// The number `call` gave a channel: the hex suffix of its name.
pub(super) fn channel_number(channel: &str) -> u64 {
    u64::from_str_radix(channel.rsplit('-').next().unwrap_or("0"), 16).unwrap_or(0)
}

/// A channel's headers, as Newchannel, Hangup and CoreShowChannel carry them.
pub(super) fn channel_event(event: &str, channel: &str, name: &str, n: u64, state: &str, state_no: &str) -> Message {
    let uniqueid = format!("{}.{n}", now());
    msg(&[
        ("Event", event),
        ("Channel", channel),
        ("ChannelState", state_no),
        ("ChannelStateDesc", state),
        ("CallerIDNum", name),
        ("CallerIDName", name),
        ("ConnectedLineNum", "<unknown>"),
        ("ConnectedLineName", "<unknown>"),
        ("Language", "en"),
        ("AccountCode", ""),
        ("Context", "from-internal"),
        ("Exten", "600"),
        ("Priority", "1"),
        ("Uniqueid", &uniqueid),
        ("Linkedid", &uniqueid),
    ])
}
