//! Answering a logged-in session's actions, with the messages Asterisk 22
//! answers them with (see tests/fixtures/ami): the same headers in the same
//! order, the same wording, errors included. The `Sim*` actions change the
//! PBX's state.

use super::detail::{self, object_event};
use super::state::{channel_event, channel_number, SimEndpoint, SimState};
use super::{msg, now, SimError, Simulator};
use crate::ami::Message;
use std::sync::atomic::Ordering;

/// Builds a response carrying the request's ActionID.
type Reply<'a> = dyn Fn(&[(&str, &str)]) -> Message + 'a;

/// A response whose first header (`Response`) is followed by the request's ActionID, as Asterisk orders them.
pub(super) fn response(id: Option<&str>, pairs: &[(&str, &str)]) -> Message {
    let mut m = msg(&pairs[..1]);
    if let Some(id) = id {
        m.headers.push(("ActionID".into(), id.to_string()));
    }
    m.headers.extend(pairs[1..].iter().map(|(k, v)| (k.to_string(), v.to_string())));
    m
}

impl Simulator {
    /// What a logged-in session gets back for `req`, in order. `Logoff` and the
    /// `Sim*` control actions are not counted, so `SimStats` reports only the
    /// questions a client asked.
    pub fn respond(&self, req: &Message) -> Vec<Message> {
        let action = req.get("Action").unwrap_or("");
        // Session housekeeping and the test hooks are not load on the PBX.
        if !action.starts_with("Sim") && !action.eq_ignore_ascii_case("Logoff") {
            self.actions.fetch_add(1, Ordering::Relaxed);
        }
        let id = req.action_id();
        let reply = |pairs: &[(&str, &str)]| response(id, pairs);
        self.answer(action, req, id, &reply)
    }

    fn answer(&self, action: &str, req: &Message, id: Option<&str>, reply: &Reply<'_>) -> Vec<Message> {
        let with_id = |mut m: Message| {
            if let Some(id) = id {
                m.headers.insert(1, ("ActionID".into(), id.to_string()));
            }
            m
        };
        let result = |r: Result<(), SimError>| match r {
            Ok(()) => vec![reply(&[("Response", "Success")])],
            Err(e) => vec![reply(&[("Response", "Error"), ("Message", &e.to_string())])],
        };
        let arg = |k: &str| req.get(k).unwrap_or("").to_string();
        match action.to_ascii_lowercase().as_str() {
            "ping" => vec![reply(&[("Response", "Success"), ("Ping", "Pong"), ("Timestamp", &format!("{}.000000", now()))])],
            "logoff" => vec![reply(&[("Response", "Goodbye"), ("Message", "Thanks for all the fish.")])],
            "pjsipshowendpoints" => {
                let st = self.lock();
                let items: Vec<Message> = st
                    .endpoints
                    .iter()
                    .map(|(name, e)| {
                        let mut m = msg(&[
                            ("Event", "EndpointList"),
                            ("ObjectType", "endpoint"),
                            ("ObjectName", name),
                            ("Transport", &e.transport),
                            ("Aor", &e.aors.join(",")),
                            ("Auths", &e.auths.join(",")),
                            ("OutboundAuths", &e.outbound_auths.join(",")),
                        ]);
                        // One Contacts header per AOR (pjsip_configuration.c), none without an AOR.
                        for aor in &e.aors {
                            let contacts: String = e.contacts.iter().filter(|c| &c.aor == aor).map(|c| format!("{}/{},", c.aor, c.uri)).collect();
                            m.headers.push(("Contacts".into(), contacts));
                        }
                        m.headers.push(("DeviceState".into(), e.device_state().0.into()));
                        m.headers.push(("ActiveChannels".into(), e.channels.len().to_string()));
                        with_id(m)
                    })
                    .collect();
                list(reply, with_id, "Endpoints", "EndpointList", "No endpoints found", items)
            }
            "pjsipshowendpoint" => {
                let name = arg("Endpoint");
                let st = self.lock();
                let Some(e) = st.endpoints.get(&name) else {
                    let text = if name.is_empty() { "Endpoint parameter missing.\n".to_string() } else { format!("Unable to retrieve endpoint {name}\n") };
                    return vec![reply(&[("Response", "Error"), ("Message", &text)])];
                };
                let items: Vec<Message> = endpoint_details(&st, &name, e).into_iter().map(with_id).collect();
                let n = items.len().to_string();
                let mut out = vec![reply(&[("Response", "Success"), ("EventList", "start"), ("Message", "Following are Events for each object associated with the Endpoint")])];
                out.extend(items);
                out.push(with_id(msg(&[("Event", "EndpointDetailComplete"), ("EventList", "Complete"), ("ListItems", &n)])));
                out
            }
            "pjsipshowcontacts" => {
                let st = self.lock();
                let items: Vec<Message> = st
                    .endpoints
                    .iter()
                    .flat_map(|(name, e)| e.contacts.iter().filter(|c| c.dynamic).map(move |c| (name, c)))
                    .map(|(name, c)| {
                        let (addr, port) = c.via.rsplit_once(':').unwrap_or((&c.via, "0"));
                        with_id(msg(&[
                            ("Event", "ContactList"),
                            ("ObjectType", "contact"),
                            ("ObjectName", &c.id),
                            ("ViaAddr", addr),
                            ("QualifyTimeout", &format!("{:.6}", c.qualify_timeout)),
                            ("Qualify2xxOnly", "false"),
                            ("CallId", &c.call_id),
                            // Asterisk's systemname, none by default.
                            ("RegServer", ""),
                            ("PruneOnBoot", "no"),
                            ("Path", ""),
                            ("Endpoint", name),
                            ("ViaPort", port),
                            ("AuthenticateQualify", "no"),
                            ("Uri", &c.uri),
                            ("QualifyFrequency", &c.qualify_frequency.to_string()),
                            ("UserAgent", &c.user_agent),
                            ("ExpirationTime", &c.expires.to_string()),
                            ("OutboundProxy", ""),
                            ("Status", &c.status),
                            ("RoundtripUsec", &c.rtt_us.to_string()),
                        ]))
                    })
                    .collect();
                list(reply, with_id, "Contacts", "ContactList", "No Contacts found", items)
            }
            "coreshowchannels" => {
                let st = self.lock();
                let items: Vec<Message> = st
                    .endpoints
                    .iter()
                    .flat_map(|(name, e)| e.channels.iter().map(move |c| (name, c)))
                    .map(|(name, c)| {
                        let mut m = channel_event("CoreShowChannel", c, name, channel_number(c), "Up", "6");
                        m.headers.retain(|(k, _)| k != "Privilege");
                        m.headers.extend([("Application".into(), "Echo".into()), ("ApplicationData".into(), "".into()), ("Duration".into(), "00:00:01".into()), ("BridgeId".into(), "".into())]);
                        with_id(m)
                    })
                    .collect();
                // CoreShowChannels answers an empty list, not an error.
                let mut out = vec![reply(&[("Response", "Success"), ("EventList", "start"), ("Message", "Channels will follow")])];
                let n = items.len().to_string();
                out.extend(items);
                out.push(with_id(msg(&[("Event", "CoreShowChannelsComplete"), ("EventList", "Complete"), ("ListItems", &n)])));
                out
            }
            "simregister" => result(self.register(&arg("Endpoint"), req.get("Via").unwrap_or("10.0.0.1:5060"), req.get("UserAgent").unwrap_or("ispbx-sim phone"))),
            "simunregister" => result(self.unregister(&arg("Endpoint"))),
            "simcall" => result(self.call(&arg("Endpoint")).map(|_| ())),
            "simhangup" => result(self.hangup(&arg("Endpoint"))),
            "simstats" => vec![reply(&[("Response", "Success"), ("ActionsReceived", &self.actions_received().to_string())])],
            "" => vec![reply(&[("Response", "Error"), ("Message", "Missing action in request")])],
            _ => vec![reply(&[("Response", "Error"), ("Message", &format!("Invalid/unknown command: {action}. Use Action: ListCommands to show available commands."))])],
        }
    }
}

fn list(
    reply: &Reply<'_>,
    with_id: impl Fn(Message) -> Message,
    what: &str,
    event: &str,
    empty: &str,
    items: Vec<Message>,
) -> Vec<Message> {
    if items.is_empty() {
        // res_pjsip answers an empty list with an error, bare LF and all.
        return vec![reply(&[("Response", "Error"), ("Message", &format!("{empty}\n"))])];
    }
    let mut out = vec![reply(&[("Response", "Success"), ("EventList", "start"), ("Message", &format!("A listing of {what} follows, presented as {event} events"))])];
    let n = items.len().to_string();
    out.extend(items);
    out.push(with_id(msg(&[("Event", &format!("{event}Complete")), ("EventList", "Complete"), ("ListItems", &n)])));
    out
}

/// PJSIPShowEndpoint's items in res_pjsip's order: the endpoint, its auths
/// (inbound, then outbound), its transport, its AORs, their contacts, the
/// identifies that match it.
fn endpoint_details(st: &SimState, name: &str, e: &SimEndpoint) -> Vec<Message> {
    let cfg = &st.config;
    let mut out = Vec::new();
    let named = |v: String| Some(v);
    if let Some(ep) = cfg.object("endpoint", name) {
        out.push(object_event("EndpointDetail", ep, detail::ENDPOINT, |h| match h {
            "DeviceState" => named(e.device_state().0.into()),
            "ActiveChannels" => named(e.channels.len().to_string()),
            _ => None,
        }));
    }
    let with_endpoint = |h: &str| (h == "EndpointName").then(|| name.to_string());
    for auth in e.auths.iter().chain(&e.outbound_auths) {
        if let Some(a) = cfg.object("auth", auth) {
            out.push(object_event("AuthDetail", a, detail::AUTH, with_endpoint));
        }
    }
    if let Some(t) = cfg.object("transport", &e.transport) {
        out.push(object_event("TransportDetail", t, detail::TRANSPORT, with_endpoint));
    }
    for aor in &e.aors {
        if let Some(a) = cfg.object("aor", aor) {
            let contacts: Vec<_> = e.contacts.iter().filter(|c| &c.aor == aor).collect();
            let registered = contacts.iter().filter(|c| c.dynamic).count();
            out.push(object_event("AorDetail", a, detail::AOR, |h| match h {
                "TotalContacts" => named(contacts.len().to_string()),
                "ContactsRegistered" => named(registered.to_string()),
                "Contacts" => named(contacts.iter().map(|c| c.uri.as_str()).collect::<Vec<_>>().join(",")),
                _ => with_endpoint(h),
            }));
        }
    }
    for aor in &e.aors {
        for c in e.contacts.iter().filter(|c| &c.aor == aor) {
            // pjsip_options.c, ast_sip_format_contact_ami.
            let mut m = msg(&[("Event", "ContactStatusDetail"), ("AOR", &c.aor), ("URI", &c.uri), ("UserAgent", &c.user_agent), ("RegExpire", &c.expires.to_string())]);
            if !c.via.is_empty() {
                m.headers.push(("ViaAddress".into(), c.via.clone()));
            }
            if !c.call_id.is_empty() {
                m.headers.push(("CallID".into(), c.call_id.clone()));
            }
            let rtt = if c.status == "Reachable" { c.rtt_us.to_string() } else { "N/A".into() };
            for (k, v) in [
                ("Status", c.status.clone()),
                ("RoundtripUsec", rtt),
                ("EndpointName", name.to_string()),
                ("ID", c.id.clone()),
                ("AuthenticateQualify", "0".into()),
                ("OutboundProxy", String::new()),
                ("Path", String::new()),
                ("QualifyFrequency", c.qualify_frequency.to_string()),
                ("QualifyTimeout", format!("{:.3}", c.qualify_timeout)),
                ("Qualify2xxOnly", "0".into()),
            ] {
                m.headers.push((k.into(), v));
            }
            out.push(m);
        }
    }
    for identify in cfg.objects_of("identify").filter(|i| i.get("endpoint").as_deref() == Some(name)) {
        out.push(object_event("IdentifyDetail", identify, detail::IDENTIFY, with_endpoint));
    }
    out
}
