//! What Asterisk knows of its endpoints, learnt once and kept current from events.
//! Pure: feed it list items and events, read it as often as you like.

use super::message::Message;
use super::types::{endpoint_of_channel, ContactList, ContactStatus, ContactStatusDetail, CoreShowChannel, DeviceStateChange, EndpointList};
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contact {
    pub aor: String,
    pub uri: String,
    /// Reachable, NonQualified, Unreachable, Unknown.
    pub status: String,
    pub via: Option<String>,
    pub user_agent: Option<String>,
    /// Round trip of the last qualify, µs; none when never measured.
    pub rtt_us: Option<u64>,
    /// Unix seconds; none for static contacts.
    pub expires: Option<u64>,
}

/// Whether a contact in this ContactStatus makes its endpoint reachable.
/// NonQualified (never qualified) counts, as it does for Asterisk's device
/// state (res_pjsip's `ast_sip_get_contact_status` and chan_pjsip).
pub fn contact_available(status: &str) -> bool {
    status == "Reachable" || status == "NonQualified"
}

impl Contact {
    pub fn available(&self) -> bool {
        contact_available(&self.status)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Endpoint {
    /// EndpointList spelling ("Not in use", "Unavailable"…).
    pub device_state: String,
    pub active_channels: u32,
    pub aors: Vec<String>,
    pub auths: Vec<String>,
    pub outbound_auths: Vec<String>,
    pub transport: String,
    pub contacts: Vec<Contact>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PbxState {
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Live PJSIP channels → their endpoint.
    channels: HashMap<String, String>,
}

/// What an event did to the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    Changed,
    /// A new contact: ContactStatus does not say where it registered from or
    /// with what phone; PJSIPShowEndpoint for this one endpoint does.
    Refresh(String),
    Unchanged,
    /// The event says the object set changed (a reload, an unknown endpoint):
    /// only a full resync can tell what it is now.
    ResyncNeeded,
}

impl PbxState {
    /// A full picture from PJSIPShowEndpoints, PJSIPShowContacts and CoreShowChannels.
    pub fn from_lists(endpoints: &[EndpointList], contacts: &[ContactList], channels: &[CoreShowChannel]) -> Self {
        let mut state = PbxState::default();
        for e in endpoints {
            let mut ep = Endpoint {
                device_state: e.device_state.clone(),
                active_channels: e.active_channels,
                aors: e.aors.clone(),
                auths: e.auths.clone(),
                outbound_auths: e.outbound_auths.clone(),
                transport: e.transport.clone(),
                contacts: Vec::new(),
            };
            for (aor, uri) in &e.contacts {
                // Static contacts are not in ContactList: their status is what
                // the endpoint's device state says of them.
                let detail = contacts.iter().find(|c| c.endpoint == e.name && &c.uri == uri);
                ep.contacts.push(match detail {
                    Some(c) => Contact {
                        aor: aor.clone(),
                        uri: uri.clone(),
                        status: c.status.clone(),
                        via: c.via.clone(),
                        user_agent: c.user_agent.clone(),
                        rtt_us: Some(c.rtt_us).filter(|&r| r > 0),
                        expires: c.expires,
                    },
                    None => Contact {
                        aor: aor.clone(),
                        uri: uri.clone(),
                        status: static_status(&e.device_state).to_string(),
                        ..Contact::default()
                    },
                });
            }
            state.endpoints.insert(e.name.clone(), ep);
        }
        for ch in channels {
            if let Some(ep) = endpoint_of_channel(&ch.channel) {
                state.channels.insert(ch.channel.clone(), ep.to_string());
            }
        }
        state
    }

    pub fn apply(&mut self, m: &Message) -> Applied {
        match m.event().unwrap_or("") {
            "ContactStatus" => self.contact_status(ContactStatus::from_message(m)),
            "DeviceStateChange" => {
                let d = DeviceStateChange::from_message(m);
                let Some(name) = d.device.strip_prefix("PJSIP/") else { return Applied::Unchanged };
                match self.endpoints.get_mut(name) {
                    Some(ep) if ep.device_state != d.endpoint_spelling() => {
                        ep.device_state = d.endpoint_spelling().to_string();
                        Applied::Changed
                    }
                    Some(_) => Applied::Unchanged,
                    None => Applied::ResyncNeeded,
                }
            }
            "Newchannel" => {
                let channel = m.get("Channel").unwrap_or("");
                let Some(name) = endpoint_of_channel(channel) else { return Applied::Unchanged };
                let Some(ep) = self.endpoints.get_mut(name) else { return Applied::ResyncNeeded };
                if self.channels.insert(channel.to_string(), name.to_string()).is_none() {
                    ep.active_channels += 1;
                }
                Applied::Changed
            }
            "Hangup" => {
                let channel = m.get("Channel").unwrap_or("");
                match self.channels.remove(channel) {
                    Some(name) => {
                        if let Some(ep) = self.endpoints.get_mut(&name) {
                            ep.active_channels = ep.active_channels.saturating_sub(1);
                        }
                        Applied::Changed
                    }
                    None => Applied::Unchanged,
                }
            }
            // FullyBooted follows our own login; a restarted Asterisk drops the connection anyway.
            "Reload" => Applied::ResyncNeeded,
            _ => Applied::Unchanged,
        }
    }

    fn contact_status(&mut self, c: ContactStatus) -> Applied {
        let Some(ep) = self.endpoints.get_mut(&c.endpoint) else {
            return if c.endpoint.is_empty() { Applied::Unchanged } else { Applied::ResyncNeeded };
        };
        let at = ep.contacts.iter().position(|x| x.uri == c.uri && x.aor == c.aor);
        match (c.status.as_str(), at) {
            ("Removed", Some(i)) => {
                ep.contacts.remove(i);
            }
            ("Removed", None) => return Applied::Unchanged,
            (status, Some(i)) => {
                let x = &mut ep.contacts[i];
                if !matches!(status, "Created" | "Updated") {
                    x.status = status.to_string();
                }
                if c.rtt_us > 0 {
                    x.rtt_us = Some(c.rtt_us);
                }
            }
            (status, None) => {
                ep.contacts.push(Contact {
                    aor: c.aor.clone(),
                    uri: c.uri.clone(),
                    status: if matches!(status, "Created" | "Updated") { "NonQualified" } else { status }.to_string(),
                    rtt_us: Some(c.rtt_us).filter(|&r| r > 0),
                    ..Contact::default()
                });
                return Applied::Refresh(c.endpoint);
            }
        }
        Applied::Changed
    }

    /// Fills in what PJSIPShowEndpoint tells of an endpoint's contacts.
    pub fn merge_details(&mut self, endpoint: &str, details: &[ContactStatusDetail]) {
        let Some(ep) = self.endpoints.get_mut(endpoint) else { return };
        for d in details {
            if let Some(c) = ep.contacts.iter_mut().find(|c| c.uri == d.uri) {
                c.via = d.via.clone().or(c.via.take());
                c.user_agent = d.user_agent.clone().or(c.user_agent.take());
                c.expires = d.expires.or(c.expires);
                if !d.status.is_empty() {
                    c.status = d.status.clone();
                }
                if d.rtt_us > 0 {
                    c.rtt_us = Some(d.rtt_us);
                }
            }
        }
    }
}

fn static_status(device_state: &str) -> &'static str {
    match device_state {
        "Unavailable" => "Unreachable",
        "Invalid" | "Unknown" | "" => "Unknown",
        _ => "NonQualified",
    }
}
