//! The AMI layer against Asterisk's own bytes (tests/fixtures/ami).

mod common;

use bytes::BytesMut;
use ispbx::ami::client::ClientOptions;
use ispbx::ami::state::{Applied, PbxState};
use ispbx::ami::types::{items_of, ContactList, CoreShowChannel, EndpointList};
use ispbx::ami::{AmiClient, AmiCodec, AmiError, Credentials, Frame, Message};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::codec::Decoder;

fn ami(name: &str) -> PathBuf {
    common::fixtures().join("ami").join(name)
}

fn decode(bytes: &[u8], banner: bool) -> Vec<Message> {
    let mut codec = if banner { AmiCodec::default() } else { AmiCodec::default_after_banner() };
    let mut buf = BytesMut::from(bytes);
    let mut out = Vec::new();
    while let Some(f) = codec.decode(&mut buf).expect("decodes") {
        if let Frame::Message(m) = f {
            out.push(m);
        }
    }
    assert!(buf.iter().all(|b| *b == b'\r' || *b == b'\n'), "undecoded bytes left");
    out
}

const SECRETS: &[&str] = &["Alice-1001-pass", "Carol;1003;pass", "224d4597b1d99f271886df5449211c0b", "LabAmi-5038-secret", "Prov1der-pass", "Wiz-3001-pass"];

#[test]
fn every_recorded_response_decodes_block_for_block_without_secrets() {
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(ami("index.json")).unwrap()).unwrap();
    let mut checked = 0;
    for ex in index["exchanges"].as_array().unwrap() {
        let bytes = std::fs::read(ami(ex["response_file"].as_str().unwrap())).unwrap();
        let banner = ex["name"] == "01_banner";
        let msgs = decode(&bytes, banner);
        if let Some(blocks) = ex["blocks"].as_u64() {
            assert_eq!(msgs.len() as u64, blocks, "{}", ex["name"]);
        }
        // Event lists: as many items as the Complete event counts.
        if let Some(done) = msgs.iter().find(|m| m.get("EventList") == Some("Complete")) {
            let n: usize = done.get("ListItems").unwrap().parse().unwrap();
            let id = done.action_id();
            let list: Vec<_> = msgs.iter().filter(|m| m.event().is_some() && m.get("EventList").is_none() && m.action_id() == id).collect();
            // OutboundRegistrationDetail lists add AuthDetail events that ListItems does not count.
            let base = done.event().unwrap().trim_end_matches("Complete");
            let of_base = list.iter().filter(|m| m.event() == Some(base)).count();
            assert!(list.len() == n || of_base == n, "{}: {} items, ListItems {n}", ex["name"], list.len());
        }
        let dump = format!("{msgs:?}");
        for s in SECRETS {
            assert!(!dump.contains(s), "{s} survived decoding {}", ex["name"]);
        }
        checked += 1;
    }
    assert!(checked >= 45);
}

fn items<T>(file: &str, event: &str, f: fn(&Message) -> T) -> Vec<T> {
    items_of(&decode(&std::fs::read(ami(file)).unwrap(), false), event, f)
}

fn lab_state() -> PbxState {
    PbxState::from_lists(
        &items("10_pjsipshowendpoints.response", "EndpointList", EndpointList::from_message),
        &items("18_pjsipshowcontacts.response", "ContactList", ContactList::from_message),
        &items("22_coreshowchannels_active.response", "CoreShowChannel", CoreShowChannel::from_message),
    )
}

#[test]
fn the_lab_state_reads_as_recorded() {
    let st = lab_state();
    assert_eq!(st.endpoints.len(), 14);
    let e = &st.endpoints["1001"];
    assert_eq!(e.device_state, "Not in use");
    assert_eq!(e.contacts[0].status, "Reachable");
    assert_eq!(e.contacts[0].via.as_deref(), Some("127.0.0.1:5071"));
    assert_eq!(e.contacts[0].rtt_us, Some(364));
    assert_eq!(st.endpoints["1002"].active_channels, 1);
    assert_eq!(st.endpoints["1002"].contacts[0].status, "NonQualified");
    assert_eq!(st.endpoints["1006"].contacts[0].status, "Unreachable");
    // static contacts: their status follows the endpoint's device state
    assert_eq!(st.endpoints["1005"].contacts[0].status, "Unreachable");
    assert_eq!(st.endpoints["provider-trunk"].contacts[0].status, "NonQualified");
    assert!(st.endpoints["1003"].contacts.is_empty());
}

#[test]
fn the_36_second_capture_drives_the_state_through_its_timeline() {
    let mut st = Arc::new(lab_state());
    let stream = std::fs::read(ami("51_events_30s.response")).unwrap();
    let online = |st: &PbxState, n: &str| st.endpoints[n].contacts.iter().any(|c| c.available());
    assert!(!online(&st, "1003"));
    let (mut saw_1003_online, mut saw_1001_call, mut resyncs) = (false, false, 0);
    for m in decode(&stream, false) {
        if m.event().is_none() {
            continue;
        }
        if st.apply(&m) == Applied::ResyncNeeded {
            resyncs += 1;
        }
        saw_1003_online |= online(&st, "1003");
        saw_1001_call |= st.endpoints["1001"].active_channels == 1;
    }
    // 1.5 s: 1003 registers; 11.5 s: it unregisters.
    assert!(saw_1003_online);
    assert!(!online(&st, "1003"));
    assert!(st.endpoints["1003"].contacts.is_empty());
    // 5.5 s: 1001 calls 600 for 6 s.
    assert!(saw_1001_call);
    assert_eq!(st.endpoints["1001"].active_channels, 0);
    // 15.5 s: 2000 registers and vanishes: qualify marks it Unreachable.
    assert!(!online(&st, "2000"));
    assert_eq!(st.endpoints["2000"].device_state, "Unavailable");
    // 28.5 s: the Reload asks for a resync.
    assert_eq!(resyncs, 1);
}

#[test]
fn only_an_event_that_changes_the_state_copies_it() {
    // The supervisor publishes its state as an `Arc` and keeps applying
    // events to it: what readers hold must never change under them, and an
    // event that changes nothing must not cost a copy.
    let mut st = Arc::new(lab_state());
    let stream = std::fs::read(ami("51_events_30s.response")).unwrap();
    let (mut copies, mut events) = (0, 0);
    for m in decode(&stream, false) {
        let published = Arc::clone(&st);
        let before = (*published).clone();
        let applied = st.apply(&m);
        assert_eq!(*published, before, "a published state changed under its reader");
        match applied {
            Applied::Changed | Applied::Refresh(_) => {
                assert!(!Arc::ptr_eq(&st, &published), "{m:?}");
                assert_ne!(*st, *published, "{m:?} said Changed but changed nothing");
                copies += 1;
            }
            Applied::Unchanged | Applied::ResyncNeeded => assert!(Arc::ptr_eq(&st, &published), "{m:?} copied the state"),
        }
        events += 1;
    }
    assert!(copies > 5 && copies < events / 2, "{copies} copies for {events} events");
}

/// A test AMI server answering each action with a recorded response, its
/// ActionID lines swapped for the client's (every other byte as recorded).
async fn replay_server(answers: Vec<(&'static str, &'static str)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let answers = answers.clone();
            tokio::spawn(async move {
                sock.write_all(&std::fs::read(ami("01_banner.response")).unwrap()).await.unwrap();
                let mut codec = AmiCodec::server();
                let mut buf = BytesMut::new();
                loop {
                    let req = loop {
                        if let Some(Frame::Message(m)) = codec.decode(&mut buf).unwrap() {
                            break m;
                        }
                        if sock.read_buf(&mut buf).await.unwrap_or(0) == 0 {
                            return;
                        }
                    };
                    let action = req.get("Action").unwrap().to_string();
                    let Some((_, file)) = answers.iter().find(|(a, _)| a.eq_ignore_ascii_case(&action)) else { return };
                    let recorded = String::from_utf8(std::fs::read(ami(file)).unwrap()).unwrap();
                    let id = req.action_id().unwrap_or("");
                    let bytes: String = recorded
                        .split_inclusive("\r\n")
                        .map(|l| if l.starts_with("ActionID: ") { format!("ActionID: {id}\r\n") } else { l.to_string() })
                        .collect();
                    sock.write_all(bytes.as_bytes()).await.unwrap();
                    if file.starts_with("05_") {
                        return; // Asterisk hangs up after a refused login
                    }
                }
            });
        }
    });
    addr
}

fn opts(addr: &str) -> ClientOptions {
    let mut o = ClientOptions::new(addr, Credentials::new("labadmin", "LabAmi-5038-secret"));
    o.action_timeout = std::time::Duration::from_secs(3);
    o
}

#[tokio::test]
async fn the_client_reads_recorded_answers() {
    let addr = replay_server(vec![
        ("Login", "02_login_success.response"),
        ("PJSIPShowEndpoints", "10_pjsipshowendpoints.response"),
        ("PJSIPShowEndpoint", "14_pjsipshowendpoint_nonexistent.response"),
        ("PJSIPShowResourceLists", "45_pjsipshowresourcelists_empty.response"),
        ("Command", "24_command_pjsip_show_endpoints.response"),
        ("CoreShowChannels", "23_coreshowchannels_idle.response"),
    ])
    .await;
    let (client, _events) = AmiClient::connect(&opts(&addr)).await.unwrap();
    let eps = client.list(ispbx::ami::Action::new("PJSIPShowEndpoints")).await.unwrap();
    assert_eq!(eps.len(), 14);
    assert_eq!(EndpointList::from_message(&eps[0]).contacts, vec![("1001".to_string(), "sip:1001@127.0.0.1:5071".to_string())]);
    let err = client.list(ispbx::ami::Action::new("PJSIPShowEndpoint").header("Endpoint", "9999")).await;
    assert!(matches!(err, Err(AmiError::Action(ref why)) if why == "Unable to retrieve endpoint 9999"), "{err:?}");
    assert!(client.list(ispbx::ami::Action::new("PJSIPShowResourceLists")).await.unwrap().is_empty());
    assert!(client.list(ispbx::ami::Action::new("CoreShowChannels")).await.unwrap().is_empty());
    let out = client.command("pjsip show endpoints").await.unwrap();
    assert!(out.iter().any(|l| l.contains("1001")), "{out:?}");
    // Concurrent actions are matched by ActionID.
    let (a, b) = tokio::join!(
        client.list(ispbx::ami::Action::new("PJSIPShowEndpoints")),
        client.list(ispbx::ami::Action::new("CoreShowChannels"))
    );
    assert_eq!((a.unwrap().len(), b.unwrap().len()), (14, 0));
}

#[tokio::test]
async fn a_refused_login_is_reported_clearly() {
    let addr = replay_server(vec![("Login", "05_login_failure.response")]).await;
    let err = AmiClient::connect(&opts(&addr)).await.unwrap_err();
    assert!(matches!(err, AmiError::LoginRefused(ref why) if why == "Authentication failed"), "{err:?}");
    assert!(err.to_string().contains("refused the login"));
}

#[tokio::test]
async fn a_connection_cut_mid_list_fails_the_caller_instead_of_hanging() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        sock.write_all(b"Asterisk Call Manager/11.0.0\r\n").await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = sock.read(&mut buf).await;
        sock.write_all(b"Response: Success\r\nActionID: ispbx-login\r\nMessage: Authentication accepted\r\n\r\n").await.unwrap();
        let _ = sock.read(&mut buf).await;
        let list = std::fs::read(ami("10_pjsipshowendpoints.response")).unwrap();
        sock.write_all(&list[..list.len() / 2]).await.unwrap();
        // and the PBX goes away
    });
    let (client, _ev) = AmiClient::connect(&opts(&addr)).await.unwrap();
    let r = client.list(ispbx::ami::Action::new("PJSIPShowEndpoints")).await;
    assert!(matches!(r, Err(AmiError::Closed)), "{r:?}");
}

#[tokio::test]
async fn a_silent_pbx_times_out_and_garbage_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        sock.write_all(b"SSH-2.0-OpenSSH_9.2\r\n").await.unwrap();
        let (mut sock2, _) = listener.accept().await.unwrap();
        sock2.write_all(b"Asterisk Call Manager/11.0.0\r\n").await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = sock2.read(&mut buf).await;
        sock2.write_all(b"Response: Success\r\nActionID: ispbx-login\r\n\r\n").await.unwrap();
        let _ = sock2.read(&mut buf).await; // the action: never answered
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        drop((sock, sock2));
    });
    let err = AmiClient::connect(&opts(&addr)).await.unwrap_err();
    assert!(matches!(err, AmiError::Banner(_)), "{err:?}");
    let mut o = opts(&addr);
    o.action_timeout = std::time::Duration::from_millis(300);
    let (client, _ev) = AmiClient::connect(&o).await.unwrap();
    let r = client.action(ispbx::ami::Action::new("Ping")).await;
    assert!(matches!(r, Err(AmiError::Timeout(d)) if d == std::time::Duration::from_millis(300)), "{r:?}");
}
