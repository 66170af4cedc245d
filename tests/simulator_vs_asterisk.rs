//! The simulator kept honest: the same scenarios played on the real Asterisk
//! 22 (with sipp phones) and on `ispbx simulate` (with its Sim* actions), on
//! the same configuration, and what each says on AMI compared: the answer to
//! every action ISPBX sends, and the events ISPBX reads, by name, header
//! names and order, and the values that carry state. Asterisk raises device
//! state changes from another thread than contact and channel events, so
//! events are ordered within each name, not across names.

mod common;

use common::ami_tap::{AmiTap, Received};
use common::asterisk::{self, Asterisk, Sipp, Transport};
use common::serve::Proc;
use std::time::Duration;

/// The events ISPBX reads (ami::state::PbxState::apply); others are Asterisk's business.
const EVENTS_READ: &[&str] = &["ContactStatus", "DeviceStateChange", "PeerStatus", "Newchannel", "Hangup", "Reload"];

/// Headers whose values are state and must agree; the rest differ by nature
/// (ids, times, ports, system names) and are compared by name and place only.
const STATE_VALUES: &[&str] = &[
    "Response",
    "Message",
    "Event",
    "EventList",
    "ListItems",
    "ObjectType",
    "ObjectName",
    "Transport",
    "Aor",
    "Auths",
    "OutboundAuths",
    "DeviceState",
    "ActiveChannels",
    "Endpoint",
    "EndpointName",
    "AOR",
    "ContactStatus",
    "PeerStatus",
    "Peer",
    "Device",
    "State",
    "ChannelStateDesc",
    "Context",
    "Exten",
    "CallerIDNum",
    "Status",
];

/// One message as compared: its header names in order, and its state values.
/// A contact's id is its AOR and the MD5 of its URI, whose port differs
/// between the two: its form is compared.
fn shape(m: &Received) -> String {
    let mut out = m.names().join(",");
    for (k, v) in &m.headers {
        if STATE_VALUES.contains(&k.as_str()) {
            let v = match v.split_once(";@") {
                Some((aor, hash)) if hash.len() == 32 && hash.chars().all(|c| c.is_ascii_hexdigit()) => format!("{aor};@<md5>"),
                _ => v.clone(),
            };
            out.push_str(&format!("\n    {k}={v}"));
        }
    }
    out
}

enum Phones<'a> {
    Real { ast: &'a Asterisk, registered: Vec<Sipp>, calls: Vec<Sipp> },
    Simulated,
}

struct Side<'a> {
    name: &'static str,
    tap: AmiTap,
    phones: Phones<'a>,
    _sim: Option<Proc>,
}

impl Side<'_> {
    fn sim(&self, action: &str, endpoint: &str, extra: &[(&str, &str)]) {
        let mut h = vec![("Action", action), ("Endpoint", endpoint), ("ActionID", "sim")];
        h.extend_from_slice(extra);
        let mark = self.tap.send(&h);
        assert_eq!(self.tap.response(mark, "sim").get("Response"), Some("Success"), "{action} {endpoint}");
    }

    fn register(&mut self, user: &str) {
        match &mut self.phones {
            Phones::Real { ast, registered, .. } => registered.push(Sipp::register(ast, user, Transport::Udp)),
            Phones::Simulated => self.sim("SimRegister", user, &[("Via", "127.0.0.1:5099"), ("UserAgent", "ISPBX test phone")]),
        }
    }

    fn unregister(&mut self, user: &str) {
        match &mut self.phones {
            Phones::Real { ast, .. } => Sipp::spawn(ast, "unregister", user, Transport::Udp, Duration::ZERO).finish(),
            Phones::Simulated => self.sim("SimUnregister", user, &[]),
        }
    }

    fn call(&mut self, user: &str) {
        match &mut self.phones {
            Phones::Real { ast, calls, .. } => calls.push(Sipp::spawn(ast, "call", user, Transport::Udp, Duration::from_millis(500))),
            Phones::Simulated => self.sim("SimCall", user, &[]),
        }
    }

    fn hangup(&mut self, user: &str) {
        match &mut self.phones {
            Phones::Real { calls, .. } => calls.pop().expect("a call").finish(),
            Phones::Simulated => self.sim("SimHangup", user, &[]),
        }
    }

    /// The answer to one action, every message of it.
    fn answer(&self, headers: &[(&str, &str)], id: &str) -> Vec<String> {
        self.tap.list(headers, id).iter().map(shape).collect()
    }

    /// Plays `step`, then collects the events ISPBX reads about `user` until
    /// each of `last` has arrived.
    fn scenario(&mut self, user: &str, step: impl FnOnce(&mut Self), last: &[&dyn Fn(&Received) -> bool]) -> Vec<String> {
        let mark = self.tap.len();
        step(self);
        let about = |m: &Received| {
            let device = format!("PJSIP/{user}");
            m.get("EndpointName") == Some(user)
                || m.get("Device") == Some(&device)
                || m.get("Peer") == Some(&device)
                || m.get("Channel").is_some_and(|c| c.starts_with(&format!("{device}-")))
        };
        let end = last
            .iter()
            .map(|l| self.tap.wait_for(mark, &format!("{}: the scenario's last events", self.name), |m| about(m) && l(m)).at)
            .max()
            .unwrap();
        let mut events: Vec<Received> = self
            .tap
            .all()
            .into_iter()
            .skip(mark)
            .filter(|m| m.event().is_some_and(|e| EVENTS_READ.contains(&e)) && about(m) && m.at <= end)
            .collect();
        events.sort_by_key(|m| m.event().map(str::to_string)); // stable: the order within a name stays
        events.iter().map(shape).collect()
    }
}

fn device_state(state: &'static str) -> impl Fn(&Received) -> bool {
    move |m| m.event() == Some("DeviceStateChange") && m.get("State") == Some(state)
}

fn contact_status(status: &'static str) -> impl Fn(&Received) -> bool {
    move |m| m.event() == Some("ContactStatus") && m.get("ContactStatus") == Some(status)
}

fn event(name: &'static str) -> impl Fn(&Received) -> bool {
    move |m| m.event() == Some(name)
}

/// Everything one side says, in order: (what, messages).
fn play(side: &mut Side) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let actions: &[(&str, &[(&str, &str)])] = &[
        ("PJSIPShowEndpoints", &[("Action", "PJSIPShowEndpoints")]),
        ("PJSIPShowContacts", &[("Action", "PJSIPShowContacts")]),
        ("CoreShowChannels", &[("Action", "CoreShowChannels")]),
        ("PJSIPShowEndpoint 1001", &[("Action", "PJSIPShowEndpoint"), ("Endpoint", "1001")]),
        ("PJSIPShowEndpoint door-intercom", &[("Action", "PJSIPShowEndpoint"), ("Endpoint", "door-intercom")]),
        ("PJSIPShowEndpoint nosuch", &[("Action", "PJSIPShowEndpoint"), ("Endpoint", "nosuch")]),
    ];
    let ask = |side: &Side, when: &str, out: &mut Vec<(String, Vec<String>)>| {
        for (i, (what, headers)) in actions.iter().enumerate() {
            out.push((format!("{when}: {what}"), side.answer(headers, &format!("{when}-{i}"))));
        }
    };
    ask(side, "idle", &mut out);
    out.push((
        "register 1001".into(),
        side.scenario("1001", |s| s.register("1001"), &[&contact_status("Reachable"), &device_state("NOT_INUSE"), &event("PeerStatus")]),
    ));
    // Asterisk's PJSIPShowEndpoint has the contact's details once it is qualified.
    ask(side, "registered", &mut out);
    out.push(("call from 1001".into(), side.scenario("1001", |s| s.call("1001"), &[&event("Newchannel"), &device_state("INUSE")])));
    ask(side, "in a call", &mut out);
    out.push(("hangup".into(), side.scenario("1001", |s| s.hangup("1001"), &[&event("Hangup"), &device_state("NOT_INUSE")])));
    out.push((
        "unregister 1001".into(),
        side.scenario("1001", |s| s.unregister("1001"), &[&contact_status("Removed"), &device_state("UNAVAILABLE"), &event("PeerStatus")]),
    ));
    out
}

#[test]
fn the_simulator_says_on_ami_what_asterisk_says() {
    let Some(ast) = Asterisk::start() else { return };
    let conf = ast.pjsip_conf();
    let sim = Proc::spawn(
        &["simulate", "--ami-listen", "127.0.0.1:0", "--sim-username", asterisk::AMI_USER, "--sim-secret", asterisk::AMI_SECRET],
        &[("ISPBX_PJSIP_CONF", conf.to_str().unwrap())],
    );
    let sim_addr = sim.wait_for(" speaks AMI on ").split_whitespace().next().unwrap().to_string();

    let mut real = Side {
        name: "Asterisk",
        tap: AmiTap::connect(&ast.ami_addr(), asterisk::AMI_USER, asterisk::AMI_SECRET),
        phones: Phones::Real { ast: &ast, registered: Vec::new(), calls: Vec::new() },
        _sim: None,
    };
    let mut simulated = Side {
        name: "simulator",
        tap: AmiTap::connect(&sim_addr, asterisk::AMI_USER, asterisk::AMI_SECRET),
        phones: Phones::Simulated,
        _sim: Some(sim),
    };
    assert_eq!(simulated.tap.banner, real.tap.banner, "the banner");
    // Asterisk at rest: the intercom's fixed contacts have had their first
    // qualify (until then they are NonQualified, which the simulator skips).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while ast.cli("pjsip show contacts").lines().filter(|l| l.contains("door-intercom") && l.contains("Unavail")).count() < 2 {
        assert!(std::time::Instant::now() < deadline, "the intercom was never qualified:\n{}", ast.cli("pjsip show contacts"));
        std::thread::sleep(Duration::from_millis(50));
    }
    let (want, got) = (play(&mut real), play(&mut simulated));
    let mut diffs = Vec::new();
    for ((what, a), (_, s)) in want.iter().zip(&got) {
        if a != s {
            diffs.push(format!("== {what}\n-- Asterisk:\n  {}\n-- simulator:\n  {}", a.join("\n  "), s.join("\n  ")));
        }
    }
    assert!(diffs.is_empty(), "the simulator and Asterisk differ on {} of {}:\n{}", diffs.len(), want.len(), diffs.join("\n"));
}
