//! A PBX that speaks real AMI, for development, tests and demos: never part
//! of `ispbx serve`. It is driven by a pjsip.conf (its endpoints, AORs and
//! static contacts), answers the actions ISPBX uses with messages shaped
//! exactly like Asterisk 22's (see tests/fixtures/ami), and emits the
//! events Asterisk emits when a phone registers, unregisters or calls.
//!
//! Its state changes through `Sim*` actions on the same port, so a test can
//! register a phone with three lines of AMI.

use crate::ami::codec::{AmiCodec, Frame};
use crate::ami::Message;
use crate::pjsip::PjsipConfig;
use futures::{SinkExt, StreamExt};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

/// Builds a response carrying the request's ActionID.
type Reply<'a> = dyn Fn(&[(&str, &str)]) -> Message + 'a;

pub const BANNER: &str = "Asterisk Call Manager/11.0.0";
const SYSTEM_NAME: &str = "ispbx-sim";

#[derive(Clone, Debug, Default)]
struct SimContact {
    aor: String,
    uri: String,
    status: String,
    via: String,
    user_agent: String,
    rtt_us: u64,
    expires: u64,
    id: String,
    dynamic: bool,
}

#[derive(Clone, Debug, Default)]
struct SimEndpoint {
    aors: Vec<String>,
    auths: Vec<String>,
    outbound_auths: Vec<String>,
    transport: String,
    busy_at: u32,
    contacts: Vec<SimContact>,
    channels: Vec<String>,
}

impl SimEndpoint {
    fn available(&self) -> bool {
        self.contacts.iter().any(|c| crate::ami::state::contact_available(&c.status))
    }

    /// (EndpointList spelling, DeviceStateChange spelling)
    fn device_state(&self) -> (&'static str, &'static str) {
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

#[derive(Debug, Default)]
struct SimState {
    endpoints: BTreeMap<String, SimEndpoint>,
    next_channel: u64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimError {
    #[error("Unable to retrieve endpoint {0}")]
    NoEndpoint(String),
    #[error("Endpoint {0} has no AOR to register to")]
    NoAor(String),
    #[error("Endpoint {0} has no call to hang up")]
    NoCall(String),
}

/// The simulated PBX. Share it with `Arc`; every method is synchronous and quick.
#[derive(Debug)]
pub struct Simulator {
    state: Mutex<SimState>,
    events: broadcast::Sender<Message>,
    actions: AtomicU64,
    users: Vec<(String, String)>,
    /// Asterisk sleeps before refusing a bad secret; tests may shorten it.
    pub login_failure_delay: Duration,
}

fn msg(pairs: &[(&str, &str)]) -> Message {
    Message { headers: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
}

/// A response whose first header (`Response`) is followed by the request's ActionID, as Asterisk orders them.
fn response(id: Option<&str>, pairs: &[(&str, &str)]) -> Message {
    let mut m = msg(&pairs[..1]);
    if let Some(id) = id {
        m.headers.push(("ActionID".into(), id.to_string()));
    }
    m.headers.extend(pairs[1..].iter().map(|(k, v)| (k.to_string(), v.to_string())));
    m
}

fn now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn split(v: Option<String>) -> Vec<String> {
    v.map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

impl Simulator {
    /// A PBX with the endpoints of `cfg`; `users` are the AMI (username, secret) pairs it accepts.
    pub fn from_config(cfg: &PjsipConfig, users: Vec<(String, String)>) -> Self {
        let mut state = SimState { next_channel: 1, ..SimState::default() };
        for ep in cfg.objects_of("endpoint") {
            let aors = split(ep.get("aors"));
            let mut contacts = Vec::new();
            for aor in &aors {
                if let Some(a) = cfg.object("aor", aor) {
                    for uri in split(a.get("contact")) {
                        contacts.push(SimContact {
                            aor: aor.clone(),
                            id: format!("{aor}@@{:x}", fxhash(&uri)),
                            uri,
                            status: "NonQualified".into(),
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
        let (events, _) = broadcast::channel(4096);
        Simulator {
            state: Mutex::new(state),
            events,
            actions: AtomicU64::new(0),
            users,
            login_failure_delay: Duration::from_secs(1),
        }
    }

    /// AMI actions received since start (Login, Logoff and Sim* control actions excluded).
    pub fn actions_received(&self) -> u64 {
        self.actions.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn emit(&self, privilege: &str, mut m: Message) {
        m.headers.insert(1, ("Privilege".into(), format!("{privilege},all")));
        m.headers.insert(2, ("SystemName".into(), SYSTEM_NAME.into()));
        let _ = self.events.send(m);
    }

    fn device_change(&self, name: &str, before: &str, ep: &SimEndpoint) {
        let (_, now) = ep.device_state();
        if now != before {
            self.emit("call", msg(&[("Event", "DeviceStateChange"), ("Device", &format!("PJSIP/{name}")), ("State", now)]));
        }
    }

    /// A phone registers from `via` (ip:port): Asterisk's event sequence follows.
    pub fn register(&self, name: &str, via: &str, user_agent: &str) -> Result<(), SimError> {
        let mut st = self.lock();
        let ep = st.endpoints.get_mut(name).ok_or_else(|| SimError::NoEndpoint(name.into()))?;
        let aor = ep.aors.first().cloned().ok_or_else(|| SimError::NoAor(name.into()))?;
        let was_available = ep.available();
        let before = ep.device_state().1;
        let uri = format!("sip:{name}@{via}");
        ep.contacts.retain(|c| !(c.dynamic && c.uri == uri));
        let rtt = 300 + (fxhash(&uri) % 4000);
        ep.contacts.push(SimContact {
            aor: aor.clone(),
            uri: uri.clone(),
            status: "NonQualified".into(),
            via: via.into(),
            user_agent: user_agent.into(),
            rtt_us: rtt,
            expires: now() + 3600,
            id: format!("{aor};@{:032x}", fxhash(&format!("{uri}{}", now()))),
            dynamic: true,
        });
        let cs = |status: &str, rtt: &str| {
            msg(&[("Event", "ContactStatus"), ("URI", &uri), ("ContactStatus", status), ("AOR", &aor), ("EndpointName", name), ("RoundtripUsec", rtt)])
        };
        // The order of tests/fixtures/ami/51_events_30s: the contact is
        // created, the device becomes available, then the first qualify answers.
        self.emit("system", cs("NonQualified", "0"));
        if !was_available {
            self.emit("system", msg(&[("Event", "PeerStatus"), ("ChannelType", "PJSIP"), ("Peer", &format!("PJSIP/{name}")), ("PeerStatus", "Reachable")]));
        }
        self.device_change(name, before, ep);
        if let Some(c) = ep.contacts.last_mut() {
            c.status = "Reachable".into();
        }
        self.emit("system", cs("Reachable", &rtt.to_string()));
        Ok(())
    }

    /// Every dynamic contact of the endpoint goes away (un-REGISTER).
    pub fn unregister(&self, name: &str) -> Result<(), SimError> {
        let mut st = self.lock();
        let ep = st.endpoints.get_mut(name).ok_or_else(|| SimError::NoEndpoint(name.into()))?;
        let before = ep.device_state().1;
        let gone: Vec<SimContact> = ep.contacts.iter().filter(|c| c.dynamic).cloned().collect();
        ep.contacts.retain(|c| !c.dynamic);
        // Recorded order: PeerStatus, the contacts removed, then the device state.
        if !gone.is_empty() && !ep.available() {
            self.emit("system", msg(&[("Event", "PeerStatus"), ("ChannelType", "PJSIP"), ("Peer", &format!("PJSIP/{name}")), ("PeerStatus", "Unreachable")]));
        }
        for c in gone {
            self.emit("system", msg(&[("Event", "ContactStatus"), ("URI", &c.uri), ("ContactStatus", "Removed"), ("AOR", &c.aor), ("EndpointName", name), ("RoundtripUsec", "0")]));
        }
        self.device_change(name, before, ep);
        Ok(())
    }

    /// The endpoint starts a call to the echo test.
    pub fn call(&self, name: &str) -> Result<String, SimError> {
        let mut st = self.lock();
        let n = st.next_channel;
        st.next_channel += 1;
        let ep = st.endpoints.get_mut(name).ok_or_else(|| SimError::NoEndpoint(name.into()))?;
        let before = ep.device_state().1;
        let channel = format!("PJSIP/{name}-{n:08x}");
        ep.channels.push(channel.clone());
        self.emit("call", channel_event("Newchannel", &channel, name, n, "Ring", "4"));
        self.device_change(name, before, ep);
        Ok(channel)
    }

    /// The endpoint's oldest call ends.
    pub fn hangup(&self, name: &str) -> Result<(), SimError> {
        let mut st = self.lock();
        let ep = st.endpoints.get_mut(name).ok_or_else(|| SimError::NoEndpoint(name.into()))?;
        if ep.channels.is_empty() {
            return Err(SimError::NoCall(name.into()));
        }
        let before = ep.device_state().1;
        let channel = ep.channels.remove(0);
        let n = u64::from_str_radix(channel.rsplit('-').next().unwrap_or("0"), 16).unwrap_or(0);
        let mut h = channel_event("Hangup", &channel, name, n, "Up", "6");
        h.headers.push(("Cause".into(), "16".into()));
        h.headers.push(("Cause-txt".into(), "Normal Clearing".into()));
        self.emit("call", h);
        self.device_change(name, before, ep);
        Ok(())
    }

    /// Registers most endpoints and starts a call, so a demo looks like a working office.
    pub fn populate_demo(&self) {
        let names: Vec<(String, bool)> =
            // Trunks (with outbound auth) register to a provider, not to us.
            self.lock().endpoints.iter().map(|(n, e)| (n.clone(), !e.aors.is_empty() && e.outbound_auths.is_empty())).collect();
        let agents = ["Yealink SIP-T54W 96.86.0.70", "Polycom VVX 450 6.4.3", "Zoiper rv2.10.20", "Grandstream GXP2170 1.0.11"];
        let mut called = false;
        for (i, (name, has_aor)) in names.iter().enumerate() {
            if !has_aor || i % 5 == 3 {
                continue;
            }
            let via = format!("10.20.{}.{}:5060", 1 + i / 200, 10 + i % 200);
            let _ = self.register(name, &via, agents[i % agents.len()]);
            if !called && i > 0 {
                let _ = self.call(name);
                called = true;
            }
        }
    }

    /// Serves AMI on `listener` until `shutdown` is cancelled, which closes
    /// the listener and every session at once, as a stopping Asterisk does.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, shutdown: CancellationToken) {
        loop {
            let stream = tokio::select! {
                _ = shutdown.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => continue,
                },
            };
            let sim = self.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = sim.session(stream) => {}
                }
            });
        }
    }

    async fn session(&self, stream: TcpStream) -> Result<(), crate::ami::AmiError> {
        let _ = stream.set_nodelay(true);
        let mut conn = Framed::new(stream, AmiCodec::server());
        conn.send(Frame::Banner(BANNER.into())).await?;
        let mut events: Option<broadcast::Receiver<Message>> = None;
        let mut logged_in = false;
        let mut challenge: Option<String> = None;
        loop {
            let frame = match &mut events {
                Some(rx) => tokio::select! {
                    f = conn.next() => f,
                    ev = rx.recv() => {
                        if let Ok(ev) = ev { conn.send(Frame::Message(ev)).await?; }
                        continue;
                    }
                },
                None => conn.next().await,
            };
            let Some(frame) = frame else { return Ok(()) };
            let Frame::Message(req) = frame? else { continue };
            let action = req.get("Action").unwrap_or("").to_string();
            let id = req.action_id().map(str::to_string);
            let reply = |pairs: &[(&str, &str)]| response(id.as_deref(), pairs);
            if action.eq_ignore_ascii_case("Challenge") {
                if !req.get("AuthType").is_some_and(|t| t.eq_ignore_ascii_case("md5")) {
                    conn.send(Frame::Message(reply(&[("Response", "Error"), ("Message", "Must specify AuthType")]))).await?;
                    continue;
                }
                // manager.c: a random number, kept for this session's Login.
                let nonce = format!("{}", fxhash(&format!("{:?}{}", std::time::Instant::now(), self.actions_received())) % 1_000_000_000);
                conn.send(Frame::Message(reply(&[("Response", "Success"), ("Challenge", &nonce)]))).await?;
                challenge = Some(nonce);
                continue;
            }
            if action.eq_ignore_ascii_case("Login") {
                let user = req.get("Username").unwrap_or("");
                let md5 = req.get("AuthType").is_some_and(|t| t.eq_ignore_ascii_case("md5"));
                let ok = self.users.iter().any(|(u, s)| {
                    u == user
                        && match (&challenge, md5) {
                            (Some(nonce), true) => req.get("Key") == Some(crate::ami::client::md5_key(nonce, s).as_str()),
                            (None, true) => false,
                            (_, false) => req.get("Secret") == Some(s.as_str()),
                        }
                });
                if !ok {
                    tokio::time::sleep(self.login_failure_delay).await;
                    conn.send(Frame::Message(reply(&[("Response", "Error"), ("Message", "Authentication failed")]))).await?;
                    return Ok(());
                }
                logged_in = true;
                conn.send(Frame::Message(reply(&[("Response", "Success"), ("Message", "Authentication accepted")]))).await?;
                if !req.get("Events").is_some_and(|v| v.eq_ignore_ascii_case("off")) {
                    events = Some(self.events.subscribe());
                    conn.send(Frame::Message(msg(&[("Event", "FullyBooted"), ("Privilege", "system,all"), ("Uptime", "1"), ("LastReload", "1"), ("Status", "Fully Booted")]))).await?;
                }
                continue;
            }
            if !logged_in {
                conn.send(Frame::Message(reply(&[("Response", "Error"), ("Message", "Permission denied")]))).await?;
                continue;
            }
            for m in self.respond(&req) {
                conn.send(Frame::Message(m)).await?;
            }
            if action.eq_ignore_ascii_case("Logoff") {
                return Ok(());
            }
        }
    }

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
                        let n = u64::from_str_radix(c.rsplit('-').next().unwrap_or("0"), 16).unwrap_or(0);
                        let mut m = channel_event("CoreShowChannel", c, name, n, "Up", "6");
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

fn channel_event(event: &str, channel: &str, name: &str, n: u64, state: &str, state_no: &str) -> Message {
    let uniqueid = format!("{SYSTEM_NAME}-{}.{n}", now());
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

fn fxhash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    s.hash(&mut h);
    h.finish()
}
