//! Changes applied to a real Asterisk 22 and proven by it (issue 15): the
//! sample PBX runs in Asterisk, ISPBX writes, reloads res_pjsip over AMI and
//! checks what Asterisk then holds; what Asterisk does not take is undone.
//! Asterisk's own CLI is the judge. Without an Asterisk the tests say so and
//! are skipped (CI has one).
#![cfg(feature = "ssr")]

mod common;

use common::asterisk::{self, Asterisk};
use ispbx::ami::client::ClientOptions;
use ispbx::ami::{AmiClient, Credentials, Events};
use ispbx::pbx::apply::{AmiLink, ApplyError, Applier, Phase, Plan};
use ispbx::pjsip::edit::{Change, Target};
use ispbx::pjsip::store::Store;
use std::sync::Mutex;

async fn ami(ast: &Asterisk) -> (AmiClient, Events) {
    let mut opts = ClientOptions::new(ast.ami_addr(), Credentials::new(asterisk::AMI_USER, asterisk::AMI_SECRET));
    opts.events = false;
    AmiClient::connect(&opts).await.expect("AMI login")
}

fn endpoint(name: &str) -> Target {
    Target::new(name, Some("endpoint"))
}

/// Every file of the config directory, by name.
fn files(ast: &Asterisk) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(ast.etc())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("pjsip"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_applied_verified_by_asterisk_or_rolled_back() {
    let Some(ast) = Asterisk::start() else { return };
    let (client, _events) = ami(&ast).await;
    let state = tempfile::tempdir().unwrap();
    let applier = Applier::new(ast.pjsip_conf(), Store::new(state.path()));
    let phases = Mutex::new(Vec::new());
    let progress = |p: Phase| phases.lock().unwrap().push(p);

    // A new extension: written, reloaded, and Asterisk holds all three objects.
    let create = Change::CreateTrio { name: "1077".into(), template: "phone".into(), password: "Applied-1077-secret".into() };
    let applied = applier.apply(AmiLink::fixed(Some(client.clone())), Plan::Edit(vec![create]), None, &progress).await.expect("the trio is applied");
    assert_eq!(*phases.lock().unwrap(), [Phase::Validating, Phase::Writing, Phase::Reloading, Phase::Verifying, Phase::Done]);
    for kind in ["endpoint", "aor", "auth"] {
        assert!(
            applied.verification.checks.iter().any(|c| c.kind == kind && c.id == "1077" && c.option.is_none() && c.ok),
            "{kind} 1077 not seen loaded: {:?}",
            applied.verification
        );
    }
    assert!(ast.cli("pjsip show endpoint 1077").contains("Endpoint:  1077"), "{}", ast.cli("pjsip show endpoint 1077"));
    assert!(!applied.diff.contains("Applied-1077-secret") && !format!("{applied:?}").contains("Applied-1077-secret"));

    // A codec change, compared with what PJSIPShowEndpoint says.
    let set = Change::Set { target: endpoint("1077"), key: "allow".into(), value: "g722,ulaw".into() };
    let applied = applier.apply(AmiLink::fixed(Some(client.clone())), Plan::Edit(vec![set]), Some(&applied.version), &|_| {}).await.expect("allow is applied");
    let allow = applied.verification.checks.iter().find(|c| c.option.as_deref() == Some("allow")).expect("allow compared");
    assert!(allow.ok && allow.found == "g722,ulaw", "{allow:?}");
    assert!(ast.cli("pjsip show endpoint 1077").contains("(g722|ulaw)"));

    // A version that is no longer the config's: refused, nothing written.
    let before = files(&ast);
    let stale = Change::Set { target: endpoint("1077"), key: "context".into(), value: "vip".into() };
    let err = applier.apply(AmiLink::fixed(Some(client.clone())), Plan::Edit(vec![stale.clone()]), Some("0123456789abcdef0123456789abcdef"), &|_| {}).await.unwrap_err();
    assert!(matches!(err, ApplyError::VersionMismatch { .. }), "{err}");
    assert_eq!(files(&ast), before);

    // An invalid value: refused before anything is written.
    let bad = Change::Set { target: endpoint("1077"), key: "max_audio_streams".into(), value: "lots".into() };
    let err = applier.apply(AmiLink::fixed(Some(client.clone())), Plan::Edit(vec![bad]), None, &|_| {}).await.unwrap_err();
    assert!(matches!(err, ApplyError::Refused(_)), "{err}");
    assert_eq!(files(&ast), before);

    // AMI down: refused, nothing written.
    let err = applier.apply(AmiLink::fixed(None), Plan::Edit(vec![stale]), None, &|_| {}).await.unwrap_err();
    assert!(matches!(err, ApplyError::AmiDown(_)), "{err}");
    assert_eq!(files(&ast), before);

    // A transport: refused by default, with the reason.
    let transport = Change::Set { target: Target::new("transport-udp", Some("transport")), key: "tos".into(), value: "cs3".into() };
    let err = applier.apply(AmiLink::fixed(Some(client.clone())), Plan::Edit(vec![transport]), None, &|_| {}).await.unwrap_err();
    assert!(matches!(err, ApplyError::Transport(_)) && err.to_string().contains("#436"), "{err}");
    assert_eq!(files(&ast), before);

    // A value ISPBX's checks pass but Asterisk refuses (the DTLS certificate
    // is looked for on Asterisk's disk): undone byte for byte, and Asterisk
    // holds 1001 again.
    let refused = Change::Set { target: endpoint("1001"), key: "dtls_cert_file".into(), value: "/nonexistent/ispbx-test.pem".into() };
    phases.lock().unwrap().clear();
    let err = applier.apply(AmiLink::fixed(Some(client.clone())), Plan::Edit(vec![refused]), None, &progress).await.unwrap_err();
    let ApplyError::RolledBack { why, .. } = &err else { panic!("not rolled back: {err}") };
    assert!(why.contains("endpoint 1001"), "{why}");
    assert_eq!(phases.lock().unwrap().last(), Some(&Phase::RollingBack));
    assert_eq!(files(&ast), before, "the files are not what they were");
    assert!(ast.cli("pjsip show endpoint 1001").contains("Endpoint:  1001"), "{}", ast.cli("pjsip show endpoint 1001"));

    // Deleting the extension: gone from Asterisk.
    let delete = Change::Delete { target: endpoint("1077"), trio: true, force: false };
    let applied = applier.apply(AmiLink::fixed(Some(client.clone())), Plan::Edit(vec![delete]), None, &|_| {}).await.expect("the trio is deleted");
    assert!(applied.verification.ok(), "{:?}", applied.verification);
    assert!(!ast.cli("pjsip show endpoints").contains(" 1077"), "{}", ast.cli("pjsip show endpoints"));
}

/// `ispbx serve` with writes on, on the config Asterisk runs, once connected.
fn serve_writable(ast: &Asterisk, state: &std::path::Path) -> (common::serve::Proc, String, String) {
    serve_writable_with(ast, state, &[])
}

fn serve_writable_with(ast: &Asterisk, state: &std::path::Path, extra: &[(&str, &str)]) -> (common::serve::Proc, String, String) {
    let token = common::admin_token(state);
    let conf = ast.pjsip_conf();
    let ami = ast.ami_addr();
    let mut env = vec![
        ("ISPBX_LISTEN", "127.0.0.1:0"),
        ("ISPBX_PJSIP_CONF", conf.to_str().unwrap()),
        ("ISPBX_AMI_ADDR", &ami),
        ("ISPBX_AMI_USERNAME", asterisk::AMI_USER),
        ("ISPBX_AMI_SECRET", asterisk::AMI_SECRET),
        ("ISPBX_WRITES", "on"),
        ("ISPBX_STATE_DIR", state.to_str().unwrap()),
        ("RUST_LOG", "debug,hyper=info"),
    ];
    env.extend_from_slice(extra);
    let proc = common::serve::Proc::spawn(&["serve"], &env);
    let rest = proc.wait_for("listening on http://");
    let addr = rest.split_whitespace().next().unwrap().to_string();
    common::serve::eventually(&addr, "/endpoints", "AMI connected", |r| r.status == 200 && r.json()["ami"]["connected"] == true);
    (proc, addr, token)
}

fn send(addr: &str, token: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> common::serve::Reply {
    let bearer = format!("Bearer {token}");
    let mut h = vec![("Content-Type", "application/json"), ("Accept", "application/json"), ("Authorization", bearer.as_str())];
    h.extend_from_slice(headers);
    common::serve::request_with_body(addr, method, target, &h, body.as_bytes())
}

#[test]
fn the_api_creates_changes_and_deletes_an_extension_as_asterisk_proves() {
    let Some(ast) = Asterisk::start() else { return };
    let state = tempfile::tempdir().unwrap();
    let (proc, addr, token) = serve_writable(&ast, state.path());

    let config = common::serve::get(&addr, "/endpoints/1001/config");
    let etag = config.header("etag").unwrap().to_string();
    let r = send(&addr, &token, "PATCH", "/endpoints/1001/config", &[("If-Match", &etag)], r#"{"set": {"allow": "g722,ulaw", "language": "fr"}}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    let record = r.json();
    assert!(record["verification"]["checks"].as_array().unwrap().iter().any(|c| c["option"] == "allow" && c["ok"] == true), "{record}");
    assert_ne!(r.header("etag").unwrap(), etag);
    let logged = common::serve::get(&addr, &format!("/changes/{}", record["id"])).json();
    assert_eq!(logged["result"], "applied", "{logged}");
    assert!(logged["diff"].as_str().unwrap().contains("g722"), "{logged}");
    assert_eq!(logged["verification"], record["verification"]);
    assert!(ast.cli("pjsip show endpoint 1001").contains("(g722|ulaw)"));
    // The same If-Match again: the config is no longer that version.
    let again = send(&addr, &token, "PATCH", "/endpoints/1001/config", &[("If-Match", &etag)], r#"{"set": {"language": "de"}}"#);
    assert_eq!(again.status, 409, "{}", again.text());

    // An aor's option, compared with the PJSIPShowAors list Asterisk gives after the reload.
    let r = send(&addr, &token, "PATCH", "/endpoints/1001/config", &[], r#"{"object": "aor", "set": {"max_contacts": 3}}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    let checks = r.json()["verification"]["checks"].clone();
    assert!(checks.as_array().unwrap().iter().any(|c| c["kind"] == "aor" && c["option"] == "max_contacts" && c["found"] == "3" && c["ok"] == true), "{checks}");

    // Reverting: the files as they were before it, and Asterisk with them.
    let users = ast.etc().join("pjsip_users.conf");
    let before_patch = std::fs::read(&users).unwrap();
    let r = send(&addr, &token, "PATCH", "/endpoints/1003/config", &[], r#"{"set": {"allow": "gsm"}}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    let patched = r.json()["id"].clone();
    assert!(ast.cli("pjsip show endpoint 1003").contains("(gsm)"));
    // An older change than the newest cannot be reverted while a later one stands.
    let older = send(&addr, &token, "POST", &format!("/changes/{}/revert", record["id"]), &[], "");
    assert_eq!(older.status, 409, "{}", older.text());
    let r = send(&addr, &token, "POST", &format!("/changes/{patched}/revert"), &[], "");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(std::fs::read(&users).unwrap(), before_patch, "the revert put back other bytes");
    assert!(!ast.cli("pjsip show endpoint 1003").contains("(gsm)"));
    assert_eq!(common::serve::get(&addr, "/changes").json()["changes"][0]["action"], "revert");
    assert_eq!(send(&addr, &token, "POST", "/changes/99999/revert", &[], "").status, 404);

    let r = send(&addr, &token, "POST", "/endpoints", &[], r#"{"extension": "1078", "template": "phone"}"#);
    assert_eq!(r.status, 201, "{}", r.text());
    let password = r.json()["password"].as_str().expect("the password, once").to_string();
    assert!(password.len() >= 20);
    assert!(ast.cli("pjsip show auth 1078").contains("1078"));
    assert_eq!(common::serve::get(&addr, "/endpoints/1078").status, 200);
    // A phone registers with the password given once, and the list shows it online.
    let phone = asterisk::Sipp::spawn_as(&ast, "register", "1078", &password, asterisk::Transport::Udp, std::time::Duration::ZERO);
    common::serve::eventually(&addr, "/endpoints/1078", "1078 online", |r| r.status == 200 && r.json()["details"]["state"] == "online");
    drop(phone);

    // Two changes made on one version at once: one is applied, the other
    // is a conflict, and the applied one is what the file says.
    let etag = common::serve::get(&addr, "/endpoints/1002/config").header("etag").unwrap().to_string();
    let racers: Vec<_> = ["staff", "sales"]
        .into_iter()
        .map(|context| {
            let (addr, etag, token) = (addr.clone(), etag.clone(), token.clone());
            std::thread::spawn(move || {
                let body = format!(r#"{{"set": {{"context": "{context}"}}}}"#);
                (context, send(&addr, &token, "PATCH", "/endpoints/1002/config", &[("If-Match", &etag)], &body).status)
            })
        })
        .collect();
    let mut outcomes: Vec<(&str, u16)> = racers.into_iter().map(|t| t.join().unwrap()).collect();
    outcomes.sort_by_key(|o| o.1);
    assert_eq!(outcomes.iter().map(|o| o.1).collect::<Vec<_>>(), [200, 409], "{outcomes:?}");
    let winner = outcomes[0].0;
    assert!(ast.cli("pjsip show endpoint 1002").contains(&format!(": {winner}")), "{}", ast.cli("pjsip show endpoint 1002"));

    let r = send(&addr, &token, "DELETE", "/endpoints/1078", &[], "");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!ast.cli("pjsip show endpoints").contains(" 1078"));
    // Asterisk's own view follows from its Reload event.
    common::serve::eventually(&addr, "/endpoints/1078", "1078 gone", |r| r.status == 404);
    assert!(!proc.log().contains(&password), "the password reached the log");
}

/// An Asterisk that answers nothing (stopped with SIGSTOP, as a stuck one
/// is): a change still running when its answer is due is answered 202 with
/// its id and goes on to its end once Asterisk answers; a created
/// extension's password then goes to its creator alone, once; and a server
/// told to stop waits for the change it runs instead of leaving it half done.
#[test]
fn a_change_that_outlasts_its_request_is_answered_202_and_still_ends() {
    let Some(ast) = Asterisk::start() else { return };
    let state = tempfile::tempdir().unwrap();
    let viewer = common::token(state.path(), "tests-viewer", "viewer");
    let (mut proc, addr, token) = serve_writable_with(&ast, state.path(), &[("ISPBX_REQUEST_TIMEOUT", "3")]);

    let paused = ast.pause();
    let r = send(&addr, &token, "POST", "/endpoints", &[], r#"{"extension": "1079", "template": "phone"}"#);
    assert_eq!(r.status, 202, "{}", r.text());
    let id = r.json()["id"].as_i64().expect("the change's id");
    let href = format!("/changes/{id}");
    assert_eq!(r.header("location"), Some(href.as_str()));
    assert_eq!(r.json()["status"], "pending");
    assert!(r.json().get("password").is_none(), "a password before the extension exists: {}", r.text());
    assert_eq!(common::serve::get(&addr, &href).json()["result"], "pending");
    drop(paused);

    // Anonymous readers and a viewer see it applied, without the password.
    let applied = common::serve::eventually(&addr, &href, "the creation applied", |r| r.json()["result"] != "pending");
    assert_eq!(applied.json()["result"], "applied", "{}", applied.text());
    assert!(applied.json().get("password").is_none(), "{}", applied.text());
    assert!(send(&addr, &viewer, "GET", &href, &[], "").json().get("password").is_none());
    let bearer = format!("Bearer {viewer}");
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")];
    let page = common::serve::request_with_body(&addr, "POST", "/api/get_change", &headers, format!("id={id}").as_bytes());
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.json()["entry"]["result"], "applied", "{}", page.text());
    assert!(page.json()["entry"].get("password").is_none(), "the dashboard gave a viewer the password: {}", page.text());
    // Its creator gets it, once.
    let password = send(&addr, &token, "GET", &href, &[], "").json()["password"].as_str().expect("the password, for its creator").to_string();
    assert!(send(&addr, &token, "GET", &href, &[], "").json().get("password").is_none(), "the password given twice");
    let phone = asterisk::Sipp::spawn_as(&ast, "register", "1079", &password, asterisk::Transport::Udp, std::time::Duration::ZERO);
    common::serve::eventually(&addr, "/endpoints/1079", "1079 online", |r| r.status == 200 && r.json()["details"]["state"] == "online");
    drop(phone);

    // Stopped while a change waits for Asterisk: the server waits for it.
    let paused = ast.pause();
    let r = send(&addr, &token, "PATCH", "/endpoints/1079/config", &[], r#"{"set": {"language": "fr"}}"#);
    assert_eq!(r.status, 202, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    proc.terminate();
    proc.wait_for("waiting for the 1 change(s) running to end");
    drop(paused);
    let status = proc.exited(std::time::Duration::from_secs(60));
    assert!(status.success(), "{status}:\n{}", proc.log());
    assert!(!proc.log().contains(&password), "the password reached the log");
    let language = ast.cli("pjsip show endpoint 1079");
    assert!(language.lines().any(|l| l.trim_start().starts_with("language ") && l.trim_end().ends_with(": fr")), "{language}");
    // The audit log has its outcome, not a pending entry.
    let conf = ast.pjsip_conf();
    let next = common::serve::Proc::spawn(
        &["serve"],
        &[("ISPBX_LISTEN", "127.0.0.1:0"), ("ISPBX_PJSIP_CONF", conf.to_str().unwrap()), ("ISPBX_STATE_DIR", state.path().to_str().unwrap())],
    );
    let addr = next.wait_for("listening on http://").split_whitespace().next().unwrap().to_string();
    let logged = common::serve::get(&addr, &format!("/changes/{id}")).json();
    assert_eq!(logged["result"], "applied", "{logged}");
}

/// Asked to stop twice while a change waits for a stuck Asterisk, the
/// server stops at once and says the change is left pending.
#[test]
fn a_second_stop_does_not_wait_for_the_change() {
    let Some(ast) = Asterisk::start() else { return };
    let state = tempfile::tempdir().unwrap();
    let (mut proc, addr, token) = serve_writable_with(&ast, state.path(), &[("ISPBX_REQUEST_TIMEOUT", "3")]);
    let _paused = ast.pause();
    let r = send(&addr, &token, "PATCH", "/endpoints/1001/config", &[], r#"{"set": {"language": "fr"}}"#);
    assert_eq!(r.status, 202, "{}", r.text());
    proc.terminate();
    proc.wait_for("waiting for the 1 change(s) running to end");
    proc.terminate();
    let status = proc.exited(std::time::Duration::from_secs(15));
    assert!(!status.success(), "a change was left running: the exit must say so\n{}", proc.log());
    assert!(proc.log().contains("asked again to stop"), "{}", proc.log());
}
