//! Answering a logged-in session's actions, with the messages Asterisk 22
//! answers them with (see tests/fixtures/ami): the same headers in the same
//! order, the same wording, errors included. The `Sim*` actions change the
//! PBX's state.

use super::state::{channel_event, channel_number};
use super::{fxhash, msg, now, SimError, Simulator, SYSTEM_NAME};
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
                        let contacts: String = e.contacts.iter().map(|c| format!("{}/{},", c.aor, c.uri)).collect();
                        with_id(msg(&[
                            ("Event", "EndpointList"),
                            ("ObjectType", "endpoint"),
                            ("ObjectName", name),
                            ("Transport", &e.transport),
                            ("Aor", &e.aors.join(",")),
                            ("Auths", &e.auths.join(",")),
                            ("OutboundAuths", &e.outbound_auths.join(",")),
                            ("Contacts", &contacts),
                            ("DeviceState", e.device_state().0),
                            ("ActiveChannels", &e.channels.len().to_string()),
                        ]))
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
                let mut items = vec![with_id(msg(&[
                    ("Event", "EndpointDetail"),
                    ("ObjectType", "endpoint"),
                    ("ObjectName", &name),
                    ("Aors", &e.aors.join(",")),
                    ("Auth", &e.auths.join(",")),
                    ("Transport", &e.transport),
                    ("DeviceState", e.device_state().0),
                    ("ActiveChannels", &e.channels.len().to_string()),
                ]))];
                for c in &e.contacts {
                    items.push(with_id(msg(&[
                        ("Event", "ContactStatusDetail"),
                        ("AOR", &c.aor),
                        ("URI", &c.uri),
                        ("UserAgent", &c.user_agent),
                        ("RegExpire", &c.expires.to_string()),
                        ("ViaAddress", &c.via),
                        ("CallID", ""),
                        ("Status", &c.status),
                        ("RoundtripUsec", &c.rtt_us.to_string()),
                        ("EndpointName", &name),
                        ("ID", &c.id),
                    ])));
                }
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
                            ("QualifyTimeout", "3.000000"),
                            ("Qualify2xxOnly", "false"),
                            ("CallId", &format!("{:x}@{addr}", fxhash(&c.id))),
                            ("RegServer", SYSTEM_NAME),
                            ("PruneOnBoot", "no"),
                            ("Path", ""),
                            ("Endpoint", name),
                            ("ViaPort", port),
                            ("AuthenticateQualify", "no"),
                            ("Uri", &c.uri),
                            ("QualifyFrequency", "60"),
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
                        m.headers.retain(|(k, _)| k != "Privilege" && k != "SystemName");
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
