//! The AMI client and supervisor against a scripted peer, over an in-memory
//! duplex or a loopback socket: why a connection ended reaches whoever reads
//! its events, and a PBX slow to answer one action never holds back events.

mod common;

use common::next_update;
use futures::StreamExt;
use ispbx::ami::client::ClientOptions;
use ispbx::ami::supervisor::{self, SupervisorOptions, Update};
use ispbx::ami::{Action, AmiClient, AmiCodec, AmiError, Credentials, Events, Frame};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::codec::FramedRead;

/// Generous: a bound on a broken test, not a timing assertion.
const WAIT: Duration = Duration::from_secs(10);
/// Longer than WAIT: a test that passes did not wait for an action to time out.
const NEVER: Duration = Duration::from_secs(600);

/// One `Key: Value` block, CRLF lines and the blank line that ends it.
fn block(lines: &[&str]) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out
}

/// Asterisk 22's answers, shaped as in tests/fixtures/ami, for a PBX with one
/// endpoint (1001, nothing registered) and no channels. PJSIPShowEndpoint is
/// left for the test to answer, or not.
fn answer(action: &str, id: &str) -> String {
    let id = format!("ActionID: {id}");
    let id = id.as_str();
    match action {
        "Login" => block(&["Response: Success", id, "Message: Authentication accepted"]),
        "PJSIPShowEndpoints" => [
            block(&["Response: Success", id, "EventList: start", "Message: A listing of Endpoints follows, presented as EndpointList events"]),
            block(&[
                "Event: EndpointList",
                id,
                "ObjectType: endpoint",
                "ObjectName: 1001",
                "Transport: transport-udp",
                "Aor: 1001",
                "Auths: 1001",
                "OutboundAuths: ",
                "Contacts: ",
                "DeviceState: Unavailable",
                "ActiveChannels: 0",
            ]),
            block(&["Event: EndpointListComplete", id, "EventList: Complete", "ListItems: 1"]),
        ]
        .concat(),
        // res_pjsip's empty list, bare LF included.
        "PJSIPShowContacts" => format!("Response: Error\r\n{id}\r\nMessage: No Contacts found\n\r\n\r\n"),
        "CoreShowChannels" => [
            block(&["Response: Success", id, "EventList: start", "Message: Channels will follow"]),
            block(&["Event: CoreShowChannelsComplete", id, "EventList: Complete", "ListItems: 0"]),
        ]
        .concat(),
        "PJSIPShowEndpoint" => String::new(),
        _ => block(&["Response: Error", id, "Message: Invalid/unknown command"]),
    }
}

/// The test's end of a scripted Asterisk: `raw` is written to the client as
/// is, `actions` tells each action read, with its ActionID.
struct Peer {
    raw: mpsc::UnboundedSender<String>,
    actions: mpsc::UnboundedReceiver<(String, String)>,
}

impl Peer {
    fn spawn<S>(stream: S) -> Peer
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (raw, mut to_write) = mpsc::unbounded_channel::<String>();
        let (seen, actions) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let (rd, mut wr) = tokio::io::split(stream);
            let mut requests = FramedRead::new(rd, AmiCodec::server());
            let mut out = "Asterisk Call Manager/11.0.0\r\n".to_string();
            loop {
                if wr.write_all(out.as_bytes()).await.is_err() {
                    return;
                }
                out = tokio::select! {
                    raw = to_write.recv() => match raw {
                        Some(raw) => raw,
                        None => return,
                    },
                    req = requests.next() => {
                        let Some(Ok(Frame::Message(req))) = req else { return };
                        let action = req.get("Action").unwrap_or("").to_string();
                        let id = req.action_id().unwrap_or("").to_string();
                        let out = answer(&action, &id);
                        let _ = seen.send((action, id));
                        out
                    }
                };
            }
        });
        Peer { raw, actions }
    }

    fn send(&self, raw: impl Into<String>) {
        self.raw.send(raw.into()).expect("the peer runs");
    }

    /// The ActionID of the next `action` the client sends.
    async fn action(&mut self, action: &str) -> String {
        tokio::time::timeout(WAIT, async {
            loop {
                let (a, id) = self.actions.recv().await.expect("the peer runs");
                if a == action {
                    return id;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {action} from the client"))
    }
}

fn opts(addr: &str) -> ClientOptions {
    let mut o = ClientOptions::new(addr, Credentials::new("labadmin", "LabAmi-5038-secret"));
    o.action_timeout = NEVER;
    o
}

/// A client logged in to a scripted peer over an in-memory duplex.
async fn duplex_client() -> (AmiClient, Events, Peer) {
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let peer = Peer::spawn(theirs);
    let (client, events) = AmiClient::connect_stream(ours, &opts("duplex")).await.expect("login over a duplex");
    (client, events, peer)
}

/// Reads events until the stream ends, and returns why it did.
async fn end_of(events: &mut Events) -> AmiError {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Err(why) = events.recv().await {
                return why;
            }
        }
    })
    .await
    .expect("the event stream ends")
}

fn device_state_change(device: &str, state: &str) -> String {
    block(&["Event: DeviceStateChange", "Privilege: call,all", &format!("Device: {device}"), &format!("State: {state}")])
}

#[tokio::test]
async fn an_over_long_line_ends_the_event_stream_with_line_too_long() {
    let (client, mut events, mut peer) = duplex_client().await;
    // A caller waiting on an answer learns the same reason.
    let waiting = tokio::spawn(async move { client.list(Action::new("PJSIPShowEndpoint").header("Endpoint", "1001")).await });
    peer.action("PJSIPShowEndpoint").await;
    peer.send(block(&["Event: Flood", &format!("Value: {}", "x".repeat(100 * 1024))]));
    let why = end_of(&mut events).await;
    assert!(matches!(why, AmiError::LineTooLong(_)), "{why:?}");
    // Asked again, the stream says the same.
    assert!(matches!(events.recv().await, Err(AmiError::LineTooLong(_))));
    let caller = tokio::time::timeout(WAIT, waiting).await.expect("the caller is answered").expect("no panic");
    assert!(matches!(caller, Err(AmiError::LineTooLong(_))), "{caller:?}");
}

#[tokio::test]
async fn a_malformed_line_ends_the_event_stream_after_the_events_before_it() {
    let (_client, mut events, peer) = duplex_client().await;
    peer.send(device_state_change("PJSIP/1001", "NOT_INUSE"));
    peer.send(block(&["Event: DeviceStateChange", "this line has no colon"]));
    let first = tokio::time::timeout(WAIT, events.recv()).await.expect("in time");
    assert!(matches!(&first, Ok(m) if m.get("Device") == Some("PJSIP/1001")), "{first:?}");
    let why = end_of(&mut events).await;
    assert!(matches!(&why, AmiError::Malformed(line) if line == "this line has no colon"), "{why:?}");
}

#[tokio::test]
async fn a_peer_that_hangs_up_ends_the_event_stream_with_closed() {
    let (_client, mut events, peer) = duplex_client().await;
    drop(peer);
    let why = end_of(&mut events).await;
    assert!(matches!(why, AmiError::Closed), "{why:?}");
}

#[tokio::test]
async fn a_refused_connection_keeps_the_operating_system_s_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("an address").to_string();
    drop(listener);
    let err = AmiClient::connect(&opts(&addr)).await.expect_err("nobody listens");
    assert!(matches!(err, AmiError::Connect { .. }), "{err:?}");
    assert_eq!(err.io_error().map(std::io::Error::kind), Some(std::io::ErrorKind::ConnectionRefused));
    assert!(std::error::Error::source(&err).is_some());
    let text = err.with_causes().to_string();
    assert!(text.starts_with(&format!("cannot connect to {addr}: ")) && text.len() > addr.len() + 20, "{text}");
}

/// A supervisor connected to a scripted peer over loopback, past its first resync.
async fn supervised() -> (mpsc::UnboundedReceiver<Update>, Peer, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("an address").to_string();
    let mut o = SupervisorOptions::new(opts(&addr));
    o.publish_every = Duration::from_millis(10);
    // One connection per test: a reconnection would find nobody listening.
    o.backoff_min = NEVER;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let supervisor = tokio::spawn(supervisor::run(o, move |u| {
        let _ = tx.send(u);
    }));
    let (sock, _) = tokio::time::timeout(WAIT, listener.accept()).await.expect("the supervisor connects").expect("accept");
    let peer = Peer::spawn(sock);
    let first = next_update(&mut rx, "first resync", |u| matches!(u, Update::Connected(_))).await;
    assert!(matches!(&first, Update::Connected(s) if s.endpoints["1001"].device_state == "Unavailable"), "{first:?}");
    (rx, peer, supervisor)
}

const CONTACT: &str = "sip:1001@192.0.2.10:5060";

fn endpoint_1001(u: &Update) -> Option<&ispbx::ami::state::Endpoint> {
    match u {
        Update::Connected(s) => s.endpoints.get("1001"),
        Update::Disconnected(_) => None,
    }
}

#[tokio::test]
async fn events_are_applied_while_a_pjsipshowendpoint_goes_unanswered() {
    let (mut rx, mut peer, supervisor) = supervised().await;
    // A new contact: the supervisor asks PJSIPShowEndpoint where it registered from.
    peer.send(block(&[
        "Event: ContactStatus",
        "Privilege: system,all",
        &format!("URI: {CONTACT}"),
        "ContactStatus: Created",
        "AOR: 1001",
        "EndpointName: 1001",
        "RoundtripUsec: 0",
    ]));
    let asked = peer.action("PJSIPShowEndpoint").await;

    // No answer: the next event is published anyway, long before the action times out.
    peer.send(device_state_change("PJSIP/1001", "NOT_INUSE"));
    let u = next_update(&mut rx, "1001 not in use", |u| endpoint_1001(u).is_some_and(|e| e.device_state == "Not in use")).await;
    let ep = endpoint_1001(&u).expect("1001");
    assert_eq!(ep.contacts.len(), 1);
    assert_eq!((ep.contacts[0].uri.as_str(), ep.contacts[0].status.as_str()), (CONTACT, "NonQualified"));
    assert_eq!(ep.contacts[0].via, None);

    // The answer, when it comes, is merged into the state events have moved on.
    let id = format!("ActionID: {asked}");
    peer.send(
        [
            block(&["Response: Success", &id, "EventList: start", "Message: Following are Events for each object associated with the Endpoint"]),
            block(&[
                "Event: ContactStatusDetail",
                &id,
                "AOR: 1001",
                &format!("URI: {CONTACT}"),
                "UserAgent: Yealink SIP-T54W",
                "RegExpire: 1795472035",
                "ViaAddress: 192.0.2.10:5060",
                "Status: Reachable",
                "RoundtripUsec: 364",
                "EndpointName: 1001",
            ]),
            block(&["Event: EndpointDetailComplete", &id, "EventList: Complete", "ListItems: 1"]),
        ]
        .concat(),
    );
    let u = next_update(&mut rx, "1001's contact details", |u| endpoint_1001(u).is_some_and(|e| e.contacts.iter().any(|c| c.via.is_some()))).await;
    let ep = endpoint_1001(&u).expect("1001");
    assert_eq!(ep.device_state, "Not in use");
    let c = &ep.contacts[0];
    assert_eq!(c.via.as_deref(), Some("192.0.2.10:5060"));
    assert_eq!(c.user_agent.as_deref(), Some("Yealink SIP-T54W"));
    assert_eq!((c.status.as_str(), c.rtt_us), ("Reachable", Some(364)));
    supervisor.abort();
}

#[tokio::test]
async fn the_supervisor_publishes_why_the_connection_ended() {
    let (mut rx, peer, supervisor) = supervised().await;
    peer.send(block(&["Event: Flood", &format!("Value: {}", "x".repeat(100 * 1024))]));
    let down = next_update(&mut rx, "disconnection", |u| matches!(u, Update::Disconnected(_))).await;
    let Update::Disconnected(why) = down else { unreachable!() };
    assert!(why.starts_with("a line of ") && why.ends_with(" bytes exceeds the limit"), "{why}");
    supervisor.abort();
}

#[tokio::test]
async fn a_burst_of_new_contacts_asks_pjsipshowendpoint_once_per_endpoint() {
    let (mut rx, mut peer, supervisor) = supervised().await;
    // The first resync's last action: what follows is this test's doing.
    peer.action("CoreShowChannels").await;
    // Ten phones of one endpoint register at once (a network came back).
    for i in 0..10 {
        peer.send(block(&[
            "Event: ContactStatus",
            "Privilege: system,all",
            &format!("URI: sip:1001@192.0.2.{i}:5060"),
            "ContactStatus: Created",
            "AOR: 1001",
            "EndpointName: 1001",
            "RoundtripUsec: 0",
        ]));
    }
    next_update(&mut rx, "ten contacts of 1001", |u| endpoint_1001(u).is_some_and(|e| e.contacts.len() == 10)).await;
    // A Reload makes the supervisor resync: its PJSIPShowEndpoints comes after
    // every request the burst made.
    peer.send(block(&["Event: Reload", "Privilege: system,all", "Module: res_pjsip.so", "Status: 0"]));
    let mut asked = 0;
    loop {
        let (action, _) = tokio::time::timeout(WAIT, peer.actions.recv()).await.expect("the resync comes").expect("the peer runs");
        match action.as_str() {
            "PJSIPShowEndpoint" => asked += 1,
            "PJSIPShowEndpoints" => break,
            _ => {}
        }
    }
    assert_eq!(asked, 1, "one PJSIPShowEndpoint for 1001 while one is unanswered");
    supervisor.abort();
}
