//! The AMI client and supervisor against the simulator: the unsolicited event
//! stream, and a PBX that goes away and comes back (an Asterisk restart).

mod common;

use common::next_update;
use ispbx::ami::client::{md5_key, ClientOptions, LoginAuth};
use ispbx::ami::supervisor::{self, SupervisorOptions, Update};
use ispbx::ami::types::endpoint_of_channel;
use ispbx::ami::{Action, AmiClient, AmiError, Credentials, Events, Message};
use ispbx::pbx::apply::AmiLink;
use ispbx::pjsip::PjsipConfig;
use ispbx::simulator::Simulator;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const USER: &str = "labadmin";
const SECRET: &str = "LabAmi-5038-secret";
/// Generous: a bound on a broken test, not a timing assertion.
const WAIT: Duration = Duration::from_secs(10);

fn simulator() -> Arc<Simulator> {
    let cfg = PjsipConfig::load(&common::fixture("pjsip/pjsip.conf"));
    assert!(cfg.error().is_none(), "{:?}", cfg.error());
    let mut sim = Simulator::from_config(&cfg, vec![(USER.into(), SECRET.into())]);
    sim.login_failure_delay = Duration::ZERO;
    Arc::new(sim)
}

/// A running simulated PBX; `stop` is Asterisk going down: listener and sessions close.
struct Pbx {
    sim: Arc<Simulator>,
    addr: String,
    stop: CancellationToken,
}

impl Pbx {
    async fn start(sim: Arc<Simulator>, addr: &str) -> Pbx {
        let listener = TcpListener::bind(addr).await.expect("bind");
        let addr = listener.local_addr().unwrap().to_string();
        let stop = CancellationToken::new();
        tokio::spawn(sim.clone().serve(listener, stop.clone()));
        Pbx { sim, addr, stop }
    }
}

fn opts(addr: &str) -> ClientOptions {
    let mut o = ClientOptions::new(addr, Credentials::new(USER, SECRET));
    o.action_timeout = Duration::from_secs(3);
    o
}

/// (event, the fields the state store reads) — channel numbers differ between
/// runs, so a channel is reduced to its endpoint.
fn essence(m: &Message) -> Option<String> {
    let ev = m.event()?;
    let f = |k: &str| m.get(k).unwrap_or("-").to_string();
    Some(match ev {
        "ContactStatus" => format!("{ev} {} {} {}", f("AOR"), f("URI"), f("ContactStatus")),
        "PeerStatus" => format!("{ev} {} {}", f("Peer"), f("PeerStatus")),
        "DeviceStateChange" => format!("{ev} {} {}", f("Device"), f("State")),
        "Newchannel" | "Hangup" => format!("{ev} {}", endpoint_of_channel(m.get("Channel")?)?),
        _ => return None,
    })
}

fn keys(m: &Message) -> Vec<&str> {
    m.headers.iter().map(|(k, _)| k.as_str()).collect()
}

async fn next_event(events: &mut Events) -> Message {
    tokio::time::timeout(WAIT, events.recv()).await.expect("an event in time").expect("the stream is open")
}

#[tokio::test]
async fn the_event_stream_carries_asterisk_events_in_recorded_order_and_shape() {
    let sim = simulator();
    // The lab as recorded (fixtures/ami/README.md): 1001 registered over UDP.
    sim.register("1001", "127.0.0.1:5071", "sipp").unwrap();
    let pbx = Pbx::start(sim, "127.0.0.1:0").await;
    let (_client, mut events) = AmiClient::connect(&opts(&pbx.addr)).await.unwrap();
    assert_eq!(next_event(&mut events).await.event(), Some("FullyBooted"));

    // What 51_events_30s shows happening to 1001 and 1003: 1003 registers,
    // 1001 calls, 1003 unregisters, 1001 hangs up.
    pbx.sim.register("1003", "127.0.0.1:5073", "sipp").unwrap();
    pbx.sim.call("1001").unwrap();
    pbx.sim.unregister("1003").unwrap();
    pbx.sim.hangup("1001").unwrap();

    let recorded: Vec<Message> = {
        let raw = common::read("ami/51_events_30s.response");
        let mut codec = ispbx::ami::AmiCodec::default_after_banner();
        let mut buf = bytes::BytesMut::from(&raw[..]);
        let mut out = Vec::new();
        while let Some(f) = tokio_util::codec::Decoder::decode(&mut codec, &mut buf).unwrap() {
            if let ispbx::ami::Frame::Message(m) = f {
                out.push(m);
            }
        }
        out
    };
    let about = |m: &&Message| {
        essence(m).is_some_and(|e| e.contains("PJSIP/1001") || e.contains("PJSIP/1003") || e.contains(" 1001") || e.contains(" 1003"))
    };
    let want: Vec<&Message> = recorded.iter().filter(about).collect();
    assert_eq!(want.len(), 11, "the recording's story for 1001 and 1003");

    let mut got = Vec::new();
    while got.len() < want.len() {
        let m = next_event(&mut events).await;
        if about(&&m) {
            got.push(m);
        }
    }
    let want_essence: Vec<_> = want.iter().filter_map(|m| essence(m)).collect();
    let got_essence: Vec<_> = got.iter().filter_map(essence).collect();
    // RTT and the sipp URI are the only things a lab run and the simulator differ in.
    let norm = |v: Vec<String>| v.into_iter().map(|e| e.replace("sip:1003@127.0.0.1:5073", "URI")).collect::<Vec<_>>();
    assert_eq!(norm(got_essence), norm(want_essence));
    for (g, w) in got.iter().zip(&want) {
        // Newchannel/Hangup carry caller ids and causes in the same headers;
        // every event has exactly the recorded header names, in order.
        // The lab had `systemname` set; the simulator is a default Asterisk,
        // without SystemName (tests/simulator_vs_asterisk.rs holds it to one).
        let mut wk = keys(w);
        wk.retain(|k| !matches!(*k, "EventTV" | "SystemName"));
        assert_eq!(keys(g), wk, "{:?}", g.event());
    }
}

fn online(u: &Update, name: &str) -> bool {
    matches!(u, Update::Connected(s) if s.endpoints.get(name).is_some_and(|e| e.contacts.iter().any(|c| c.available() && c.via.is_some())))
}

#[tokio::test]
async fn the_supervisor_follows_events_and_survives_an_asterisk_restart() {
    let sim = simulator();
    let pbx = Pbx::start(sim.clone(), "127.0.0.1:0").await;
    let addr = pbx.addr.clone();
    let mut o = SupervisorOptions::new(opts(&addr));
    o.backoff_min = Duration::from_millis(20);
    o.backoff_max = Duration::from_millis(200);
    o.publish_every = Duration::from_millis(10);
    // What a change is applied over: the supervisor's connection, as it is.
    let link = AmiLink::follow(o.session.subscribe());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let supervisor = tokio::spawn(supervisor::run(o, move |u| {
        let _ = tx.send(u);
    }));

    let first = next_update(&mut rx, "first resync", |u| matches!(u, Update::Connected(_))).await;
    let on_first = link.up(WAIT).await.expect("the supervisor's connection, once FullyBooted is heard");
    assert!(!on_first.is_closed());
    let Update::Connected(state) = first else { unreachable!() };
    assert_eq!(state.endpoints.len(), 14);
    // One resync is three list actions, then one PJSIPShowEndpoint for each
    // endpoint with a permanent contact (whose status no list gives).
    let permanent = state.with_permanent_contacts().count() as u64;
    assert!(permanent > 0, "the fixture has permanent contacts");
    let actions_after_resync = 3 + permanent;
    tokio::time::timeout(WAIT, async {
        while sim.actions_received() < actions_after_resync {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the permanent contacts' details are asked for");
    assert_eq!(sim.actions_received(), actions_after_resync);

    // Events keep the state current; a new contact costs one PJSIPShowEndpoint.
    sim.register("1003", "192.0.2.33:5060", "Yealink SIP-T54W").unwrap();
    let u = next_update(&mut rx, "1003 registered", |u| online(u, "1003")).await;
    let Update::Connected(state) = u else { unreachable!() };
    let c = state.endpoints["1003"].contacts.iter().find(|c| c.via.is_some()).unwrap();
    assert_eq!(c.via.as_deref(), Some("192.0.2.33:5060"));
    assert_eq!(c.user_agent.as_deref(), Some("Yealink SIP-T54W"));
    assert_eq!(sim.actions_received(), actions_after_resync + 1);

    // Asterisk stops: every session closes and nobody listens.
    pbx.stop.cancel();
    let down = next_update(&mut rx, "disconnection", |u| matches!(u, Update::Disconnected(_))).await;
    assert!(matches!(&down, Update::Disconnected(why) if !why.is_empty()), "{down:?}");
    // A change caught halfway (its undo) waits for the next connection.
    assert!(link.now().is_none() && on_first.is_closed());
    let next = tokio::spawn({
        let link = link.clone();
        async move { link.up(WAIT).await }
    });

    // It comes back on the same port (astdb keeps 1003's registration) and
    // a phone registered meanwhile: the supervisor reconnects and resyncs.
    sim.register("1005", "192.0.2.55:5060", "Polycom VVX 450").unwrap();
    let _pbx = Pbx::start(sim.clone(), &addr).await;
    let back = next_update(&mut rx, "reconnected", |u| matches!(u, Update::Connected(_))).await;
    assert!(online(&back, "1003") && online(&back, "1005"), "{back:?}");
    let next = next.await.unwrap().expect("the connection made after the restart");
    assert!(next.action(Action::new("Ping")).await.unwrap().is_success());

    supervisor.abort();
}

#[tokio::test]
async fn callers_fail_promptly_when_asterisk_goes_away() {
    let pbx = Pbx::start(simulator(), "127.0.0.1:0").await;
    // An action timeout longer than WAIT: only noticing the closed socket can answer in time.
    let mut o = opts(&pbx.addr);
    o.action_timeout = Duration::from_secs(600);
    let (client, mut events) = AmiClient::connect(&o).await.unwrap();
    assert!(client.action(Action::new("Ping")).await.unwrap().is_success());
    pbx.stop.cancel();
    let ended = loop {
        if let Err(why) = tokio::time::timeout(WAIT, events.recv()).await.expect("the event stream ends") {
            break why;
        }
    };
    // Asterisk went away: the socket closed (or was reset), nothing else.
    assert!(matches!(ended, AmiError::Closed | AmiError::Io(_)), "{ended:?}");
    let err = tokio::time::timeout(WAIT, client.action(Action::new("Ping"))).await.expect("fails, not waits").unwrap_err();
    assert!(matches!(err, AmiError::Closed | AmiError::Io(_)), "{err:?}");
    // Nobody listens any more: connecting is refused, not hung.
    let err = AmiClient::connect(&opts(&pbx.addr)).await.unwrap_err();
    assert!(matches!(err, AmiError::Connect { .. }), "{err:?}");
}

#[tokio::test]
async fn an_md5_login_answers_the_challenge_without_sending_the_secret() {
    let pbx = Pbx::start(simulator(), "127.0.0.1:0").await;
    let mut o = opts(&pbx.addr);
    o.auth = LoginAuth::Md5;
    let (client, _events) = AmiClient::connect(&o).await.expect("MD5 login accepted");
    assert!(client.action(Action::new("Ping")).await.unwrap().is_success());

    let mut wrong = ClientOptions::new(pbx.addr.clone(), Credentials::new(USER, "not-the-secret"));
    wrong.auth = LoginAuth::Md5;
    let err = AmiClient::connect(&wrong).await.unwrap_err();
    assert!(matches!(err, AmiError::LoginRefused(_)), "{err:?}");
}

#[test]
fn the_md5_key_is_manager_c_s() {
    // md5("1234567" + "secret"), as `echo -n 1234567secret | md5sum` prints it.
    assert_eq!(md5_key("1234567", "secret"), "3839629c5faf5c0f9797cd6bacdb1f7c");
}

/// A simulated Asterisk still starting, and a supervisor on it (hearing
/// nothing of a boot for `boot_wait`): its updates, and the link changes use.
async fn booting(boot_wait: Duration) -> (Arc<Simulator>, AmiLink, mpsc::UnboundedReceiver<Update>, tokio::task::JoinHandle<()>) {
    let sim = simulator();
    sim.set_booted(false);
    let pbx = Pbx::start(sim.clone(), "127.0.0.1:0").await;
    let mut o = SupervisorOptions::new(opts(&pbx.addr));
    o.publish_every = Duration::from_millis(10);
    o.boot_wait = boot_wait;
    let link = AmiLink::follow(o.session.subscribe());
    let (tx, rx) = mpsc::unbounded_channel();
    let supervisor = tokio::spawn(supervisor::run(o, move |u| {
        let _ = tx.send(u);
    }));
    (sim, link, rx, supervisor)
}

/// An Asterisk still starting: the live view follows it at once, but a
/// change gets the connection only once Asterisk says FullyBooted (a reload
/// asked before is only queued, and what it loads could not be checked);
/// an AMI user that never hears it (no `read = system`) gets it after
/// `boot_wait`.
#[tokio::test]
async fn changes_wait_for_asterisk_to_finish_starting() {
    let (sim, link, mut rx, supervisor) = booting(Duration::from_secs(30)).await;
    let Update::Connected(state) = next_update(&mut rx, "first resync", |u| matches!(u, Update::Connected(_))).await else { unreachable!() };
    assert_eq!(state.endpoints.len(), 14);
    assert!(link.now().is_none(), "offered for changes before Asterisk has fully booted");
    let waiting = tokio::spawn({
        let link = link.clone();
        async move { link.up(WAIT).await }
    });
    sim.set_booted(true);
    let up = waiting.await.unwrap().expect("the connection, once FullyBooted");
    assert!(!up.is_closed());
    supervisor.abort();

    // Never told: offered after boot_wait, not never.
    let (_sim, link, _rx, supervisor) = booting(Duration::from_millis(200)).await;
    assert!(link.up(WAIT).await.is_some(), "a user without read = system could never change the config");
    supervisor.abort();
}
