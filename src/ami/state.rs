//! What Asterisk knows of its endpoints, learnt once and kept current from events.
//! Pure: feed it list items and events, read it as often as you like.

use super::message::Message;
use super::types::{endpoint_of_channel, ContactList, ContactStatus, ContactStatusDetail, CoreShowChannel, DeviceStateChange, EndpointList};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

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

    /// Applies one event. The state is shared with whoever it was published
    /// to: most events change nothing, so each is checked on the shared state
    /// and only a change makes the copy (`Arc::make_mut`).
    pub fn apply(self: &mut Arc<Self>, m: &Message) -> Applied {
        match m.event().unwrap_or("") {
            "ContactStatus" => self.contact_status(ContactStatus::from_message(m)),
            "DeviceStateChange" => {
                let d = DeviceStateChange::from_message(m);
                let Some(name) = d.device.strip_prefix("PJSIP/") else { return Applied::Unchanged };
                let spelling = d.endpoint_spelling();
                match self.endpoints.get(name) {
                    None => return Applied::ResyncNeeded,
                    Some(ep) if ep.device_state == spelling => return Applied::Unchanged,
                    Some(_) => {}
                }
                if let Some(ep) = Arc::make_mut(self).endpoints.get_mut(name) {
                    ep.device_state = spelling.to_string();
                }
                Applied::Changed
            }
            "Newchannel" => {
                let channel = m.get("Channel").unwrap_or("");
                let Some(name) = endpoint_of_channel(channel) else { return Applied::Unchanged };
                if !self.endpoints.contains_key(name) {
                    return Applied::ResyncNeeded;
                }
                if self.channels.contains_key(channel) {
                    return Applied::Unchanged;
                }
                let state = Arc::make_mut(self);
                state.channels.insert(channel.to_string(), name.to_string());
                if let Some(ep) = state.endpoints.get_mut(name) {
                    ep.active_channels += 1;
                }
                Applied::Changed
            }
            "Hangup" => {
                let channel = m.get("Channel").unwrap_or("");
                if !self.channels.contains_key(channel) {
                    return Applied::Unchanged;
                }
                let state = Arc::make_mut(self);
                if let Some(name) = state.channels.remove(channel) {
                    if let Some(ep) = state.endpoints.get_mut(&name) {
                        ep.active_channels = ep.active_channels.saturating_sub(1);
                    }
                }
                Applied::Changed
            }
            // FullyBooted follows our own login; a restarted Asterisk drops the connection anyway.
            "Reload" => Applied::ResyncNeeded,
            _ => Applied::Unchanged,
        }
    }

    fn contact_status(self: &mut Arc<Self>, c: ContactStatus) -> Applied {
        let Some(ep) = self.endpoints.get(&c.endpoint) else {
            return if c.endpoint.is_empty() { Applied::Unchanged } else { Applied::ResyncNeeded };
        };
        let at = ep.contacts.iter().position(|x| x.uri == c.uri && x.aor == c.aor);
        // Created and Updated say the contact exists, not how it answers qualify.
        let qualify_status = Some(c.status.as_str()).filter(|s| !matches!(*s, "Created" | "Updated"));
        let rtt_us = Some(c.rtt_us).filter(|&r| r > 0);
        match (c.status.as_str(), at) {
            ("Removed", None) => Applied::Unchanged,
            ("Removed", Some(i)) => {
                if let Some(ep) = Arc::make_mut(self).endpoints.get_mut(&c.endpoint) {
                    ep.contacts.remove(i);
                }
                Applied::Changed
            }
            (_, Some(i)) => {
                let x = &ep.contacts[i];
                let new_status = qualify_status.filter(|s| *s != x.status);
                let new_rtt = rtt_us.filter(|&r| x.rtt_us != Some(r));
                if new_status.is_none() && new_rtt.is_none() {
                    return Applied::Unchanged;
                }
                let ep = Arc::make_mut(self).endpoints.get_mut(&c.endpoint);
                if let Some(x) = ep.and_then(|ep| ep.contacts.get_mut(i)) {
                    if let Some(s) = new_status {
                        x.status = s.to_string();
                    }
                    if new_rtt.is_some() {
                        x.rtt_us = new_rtt;
                    }
                }
                Applied::Changed
            }
            (_, None) => {
                let contact = Contact {
                    aor: c.aor.clone(),
                    uri: c.uri.clone(),
                    status: qualify_status.unwrap_or("NonQualified").to_string(),
                    rtt_us,
                    ..Contact::default()
                };
                if let Some(ep) = Arc::make_mut(self).endpoints.get_mut(&c.endpoint) {
                    ep.contacts.push(contact);
                }
                Applied::Refresh(c.endpoint)
            }
        }
    }

    /// Endpoints with a permanent contact (an AOR's `contact=`, never expiring).
    /// PJSIPShowContacts does not list those, and the device state tells their
    /// status only roughly (an endpoint is Unavailable while its permanent
    /// contact awaits its first qualify): PJSIPShowEndpoint tells it exactly.
    pub fn with_permanent_contacts(&self) -> impl Iterator<Item = &str> {
        self.endpoints.iter().filter(|(_, e)| e.contacts.iter().any(|c| c.expires.is_none())).map(|(n, _)| n.as_str())
    }

    /// A resync guesses a permanent contact's status from the device state;
    /// what was known before it (from PJSIPShowEndpoint and ContactStatus
    /// events) is better until PJSIPShowEndpoint answers again.
    pub fn carry_permanent_contacts(&mut self, before: &PbxState) {
        for (name, ep) in &mut self.endpoints {
            let Some(old) = before.endpoints.get(name) else { continue };
            for c in ep.contacts.iter_mut().filter(|c| c.expires.is_none()) {
                if let Some(o) = old.contacts.iter().find(|o| o.uri == c.uri && o.expires.is_none()) {
                    c.status = o.status.clone();
                    c.rtt_us = o.rtt_us;
                }
            }
        }
    }

    /// Fills in what PJSIPShowEndpoint tells of an endpoint's contacts; their
    /// status and RTT only if `status_current` (no ContactStatus event came
    /// since the question, which would be newer).
    pub fn merge_details(&mut self, endpoint: &str, details: &[ContactStatusDetail], status_current: bool) {
        let Some(ep) = self.endpoints.get_mut(endpoint) else { return };
        for d in details {
            if let Some(c) = ep.contacts.iter_mut().find(|c| c.uri == d.uri) {
                c.via = d.via.clone().or(c.via.take());
                c.user_agent = d.user_agent.clone().or(c.user_agent.take());
                c.expires = d.expires.or(c.expires);
                if !status_current {
                    continue;
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn one_contact(status: &str, expires: Option<u64>) -> PbxState {
        let contact = Contact { aor: "a".into(), uri: "sip:a@192.0.2.1".into(), status: status.into(), expires, ..Contact::default() };
        let mut st = PbxState::default();
        st.endpoints.insert("a".into(), Endpoint { aors: vec!["a".into()], contacts: vec![contact], ..Endpoint::default() });
        st
    }

    fn status(st: &PbxState) -> &str {
        &st.endpoints["a"].contacts[0].status
    }

    #[test]
    fn an_answer_older_than_an_event_keeps_the_events_status() {
        let detail = ContactStatusDetail { uri: "sip:a@192.0.2.1".into(), status: "NonQualified".into(), user_agent: Some("phone".into()), ..Default::default() };
        let mut st = one_contact("Reachable", Some(1));
        st.merge_details("a", std::slice::from_ref(&detail), false);
        assert_eq!(status(&st), "Reachable");
        assert_eq!(st.endpoints["a"].contacts[0].user_agent.as_deref(), Some("phone"), "the details still fill in");
        st.merge_details("a", &[detail], true);
        assert_eq!(status(&st), "NonQualified");
    }

    #[test]
    fn a_resync_keeps_what_was_known_of_permanent_contacts() {
        let before = one_contact("Reachable", None);
        let mut fresh = one_contact("NonQualified", None);
        assert_eq!(fresh.with_permanent_contacts().collect::<Vec<_>>(), ["a"]);
        fresh.carry_permanent_contacts(&before);
        assert_eq!(status(&fresh), "Reachable");
        // A registered contact's status is the resync's.
        let mut fresh = one_contact("NonQualified", Some(1));
        fresh.carry_permanent_contacts(&one_contact("Reachable", Some(1)));
        assert_eq!(status(&fresh), "NonQualified");
        assert_eq!(fresh.with_permanent_contacts().count(), 0);
    }
}
