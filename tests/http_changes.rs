//! The API's writes without an Asterisk to apply them to: off by default;
//! with writes on, every refusal before anything is written (bad bodies,
//! unknown options and endpoints, a stale `If-Match`, AMI down) gets its
//! status and `{"detail": …}`, and the files stay byte for byte. The applied
//! path is tested against the real Asterisk (tests/apply_asterisk.rs).
#![cfg(feature = "ssr")]

mod common;

use common::serve::{eventually, get, request, request_with_body, Proc, Reply};
use std::path::Path;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

/// `ispbx serve` on `dir` with no AMI user, writes as `writes` says, and an
/// admin token for it.
fn serve(dir: &Path, writes: &str, state: &Path) -> (Proc, String, String) {
    serve_with(dir, writes, state, &[])
}

fn serve_with(dir: &Path, writes: &str, state: &Path, extra: &[(&str, &str)]) -> (Proc, String, String) {
    let token = common::admin_token(state);
    let conf = dir.join("pjsip.conf");
    let mut env = vec![
        ("ISPBX_LISTEN", "127.0.0.1:0"),
        ("ISPBX_PJSIP_CONF", conf.to_str().unwrap()),
        ("ISPBX_WRITES", writes),
        ("ISPBX_STATE_DIR", state.to_str().unwrap()),
    ];
    env.extend_from_slice(extra);
    let proc = Proc::spawn(&["serve"], &env);
    let rest = proc.wait_for("listening on http://");
    (proc, rest.split_whitespace().next().unwrap().to_string(), token)
}

fn send(addr: &str, token: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let bearer = format!("Bearer {token}");
    let mut h = vec![("Content-Type", "application/json"), ("Accept", "application/json"), ("Authorization", bearer.as_str())];
    h.extend_from_slice(headers);
    request_with_body(addr, method, target, &h, body.as_bytes())
}

fn detail(r: &Reply) -> String {
    r.json()["detail"].as_str().unwrap_or_else(|| panic!("no detail: {}", r.text())).to_string()
}

#[test]
fn writes_are_off_unless_asked_and_a_preview_needs_none() {
    let dir = common::config_copy();
    let state = tempfile::tempdir().unwrap();
    let (_p, addr, token) = serve(dir.path(), "off", state.path());
    let before = files(dir.path());
    for (method, target, body) in [
        ("PATCH", "/endpoints/1001/config", r#"{"set": {"context": "vip"}}"#),
        ("POST", "/endpoints", r#"{"extension": "1077", "template": "phone"}"#),
        ("DELETE", "/endpoints/1001", ""),
    ] {
        let r = send(&addr, &token, method, target, &[], body);
        assert_eq!(r.status, 403, "{method} {target}: {}", r.text());
        assert!(detail(&r).contains("ISPBX_WRITES=on"), "{}", r.text());
    }
    let r = send(&addr, &token, "POST", "/changes/preview", &[], r#"{"extension": "1001", "set": {"context": "vip"}}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    let diff = r.json()["diff"].as_str().unwrap().to_string();
    assert!(diff.contains("+context=vip"), "{diff}");
    assert_eq!(files(dir.path()), before);
    // The audit log is kept with writes off too (access events go in it): no change in it.
    let log = get(&addr, "/changes");
    assert_eq!(log.status, 200, "{}", log.text());
    assert_eq!(log.json()["changes"], serde_json::json!([]));
    assert_eq!(log.json()["writes"], false);
}

/// (method, target, headers, body, status, what the detail says).
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a str, u16, &'a str);

#[test]
fn every_refusal_has_its_status_and_writes_nothing() {
    let dir = common::config_copy();
    let state = tempfile::tempdir().unwrap();
    let (proc, addr, token) = serve(dir.path(), "on", state.path());
    let before = files(dir.path());

    let config = get(&addr, "/endpoints/1001/config");
    let etag = config.header("etag").expect("an ETag").to_string();
    assert!(etag.len() == 34 && etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let if_match = [("If-Match", etag.as_str())];

    let cases: [Case; 9] = [
        ("PATCH", "/endpoints/1001/config", &[], "{not json", 400, "request body"),
        ("PATCH", "/endpoints/1001/config", &[], r#"{"sett": {}}"#, 400, "request body"),
        ("PATCH", "/endpoints/1001/config", &[], r#"{"set": {"context": ["a"]}}"#, 400, "set.context"),
        ("PATCH", "/endpoints/1001/config", &[], r#"{"set": {"alow": "ulaw"}}"#, 400, "alow"),
        ("PATCH", "/endpoints/1001/config", &[], r#"{"set": {"max_audio_streams": "lots"}}"#, 400, "max_audio_streams"),
        ("PATCH", "/endpoints/nobody/config", &[], r#"{"set": {"context": "vip"}}"#, 404, "Extension not found"),
        ("PATCH", "/endpoints/1001/config", &[("If-Match", "\"00000000000000000000000000000000\"")], r#"{"set": {"context": "vip"}}"#, 409, "version"),
        ("PATCH", "/endpoints/1001/config", &if_match, r#"{"set": {"context": "vip"}}"#, 503, "nothing was written"),
        ("DELETE", "/endpoints/nobody", &[], "", 404, "Extension not found"),
    ];
    for (method, target, headers, body, status, says) in cases {
        let r = send(&addr, &token, method, target, headers, body);
        assert_eq!(r.status, status, "{method} {target} {body}: {}", r.text());
        assert!(detail(&r).contains(says), "{method} {target} {body}: {}", r.text());
        assert_eq!(files(dir.path()), before, "{method} {target} {body} wrote");
    }
    // Every change that reached the pipeline is in the audit log, refused,
    // newest first, with why.
    let log = get(&addr, "/changes").json();
    let results: Vec<(&str, &str)> = log["changes"].as_array().unwrap().iter().map(|c| (c["endpoint"].as_str().unwrap(), c["result"].as_str().unwrap())).collect();
    assert_eq!(results, [("1001", "refused"); 4], "{log}");
    let newest = &log["changes"][0];
    assert!(newest["detail"].as_str().unwrap().contains("nothing was written"), "{newest}");
    let id = newest["id"].as_i64().unwrap();
    assert_eq!(get(&addr, &format!("/changes/{id}")).json()["id"], id);
    assert_eq!(get(&addr, "/changes/99999").status, 404);
    assert_eq!(get(&addr, "/changes/abc").status, 404);
    let page = get(&addr, "/changes?limit=3").json();
    assert_eq!(page["changes"].as_array().unwrap().len(), 3);
    let rest = get(&addr, &format!("/changes?before={}", page["next"])).json();
    assert_eq!(rest["changes"].as_array().unwrap().len(), 1, "{rest}");
    assert!(get(&addr, "/changes?endpoint=1002").json()["changes"].as_array().unwrap().is_empty());
    assert_eq!(get(&addr, "/changes?limit=lots").status, 400);

    for bad in [r#"{"set": {"context": "vip"}}"#, r#"{"extension": "1001", "sett": {}}"#, r#"{"extension": 1001}"#] {
        let r = send(&addr, &token, "POST", "/changes/preview", &[], bad);
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
    }
    // A password asked for in a preview is not shown back.
    let r = send(&addr, &token, "POST", "/changes/preview", &[], r#"{"extension": "1001", "object": "auth", "set": {"password": "Preview-Secret-99"}}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!r.text().contains("Preview-Secret-99") && r.text().contains("password=********"), "{}", r.text());
    assert!(!proc.log().contains("Preview-Secret-99"));
}

/// An aor is changed as the endpoint names it when the change is made, not
/// as it named it in the config served (which can lag the files).
#[test]
fn an_aor_is_found_in_the_config_the_change_is_made_on() {
    let dir = common::config_copy();
    let state = tempfile::tempdir().unwrap();
    // The files are not looked at again during the test: what is served stays as it was read.
    let (_proc, addr, token) = serve_with(dir.path(), "on", state.path(), &[("ISPBX_CONFIG_POLL_MS", "3600000")]);
    assert_eq!(get(&addr, "/endpoints/1001/config").status, 200);
    let conf = dir.path().join("pjsip.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    assert_eq!(text.matches("\naors=1001\n").count(), 1);
    // Changes to the files elsewhere do not stand in the way: with no AMI
    // here, that is what stops it, after it was checked.
    std::fs::write(&conf, format!("{text}\n; edited by hand\n")).unwrap();
    let r = send(&addr, &token, "PATCH", "/endpoints/1001/config", &[], r#"{"object": "aor", "set": {"max_contacts": 3}}"#);
    assert_eq!(r.status, 503, "{}", r.text());
    // An admin's editor gives 1001 a second aor behind the server's back.
    std::fs::write(&conf, text.replace("\naors=1001\n", "\naors=1001,1002\n")).unwrap();
    let before = files(dir.path());
    let r = send(&addr, &token, "PATCH", "/endpoints/1001/config", &[], r#"{"object": "aor", "set": {"max_contacts": 3}}"#);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(detail(&r).contains("names 2 aors (1001, 1002)"), "{}", r.text());
    assert_eq!(files(dir.path()), before);
}

/// The refusal a no-JavaScript post was sent back with (`__err`), as Leptos reads it.
fn refusal_in(location: &str) -> String {
    use base64::Engine as _;
    let err = location.split("__err=").nth(1).expect("an __err").split('&').next().unwrap();
    let err = percent_encoding::percent_decode_str(err).decode_utf8().unwrap();
    String::from_utf8(base64::engine::general_purpose::URL_SAFE.decode(err.as_bytes()).unwrap()).unwrap()
}

fn form(addr: &str, token: &str, server_fn: &str, body: &str) -> Reply {
    let bearer = format!("Bearer {token}");
    let headers = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
        // What a browser sends when it posts a form without JavaScript.
        ("Accept", "text/html,application/xhtml+xml"),
        ("Referer", "http://127.0.0.1/endpoints/1001/edit"),
    ];
    request_with_body(addr, "POST", &format!("/api/{server_fn}"), &headers, body.as_bytes())
}

#[test]
fn the_dashboards_forms_start_a_change_and_its_page_follows_it() {
    let dir = common::config_copy();
    let state = tempfile::tempdir().unwrap();
    let (proc, addr, token) = serve(dir.path(), "on", state.path());
    let before = files(dir.path());
    let version = get(&addr, "/endpoints/1001/config").header("etag").unwrap().trim_matches('"').to_string();

    // The review the page shows: a bad value is refused in words, not an error.
    let body = "extension=1001&object=endpoint&option=dtmf_mode&value=loud&scope=";
    let r = request_with_body(&addr, "POST", "/api/review_option", &[("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")], body.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["Err"].as_str().is_some_and(|e| e.contains("dtmf_mode")), "{}", r.text());

    // Posted without JavaScript, the apply goes on to the change's page at once.
    let r = form(&addr, &token, "apply_option", &format!("extension=1001&object=endpoint&option=context&value=vip&scope=&version={version}"));
    assert_eq!(r.status, 302, "{}", r.text());
    let page = r.header("location").expect("a Location").to_string();
    let id: i64 = page.strip_prefix("/changes/").and_then(|i| i.parse().ok()).unwrap_or_else(|| panic!("{page}"));
    // With no AMI here it ends refused, and the entry says how far it got.
    let entry = eventually(&addr, &page, "the change ends", |r| r.json()["result"] != "pending").json();
    assert_eq!(entry["result"], "refused", "{entry}");
    assert!(entry["detail"].as_str().unwrap().contains("nothing was written"), "{entry}");
    assert_eq!(entry["summary"], "endpoint 1001: set context=vip");
    assert_eq!(entry["actor"], "tests-admin", "who asked is recorded");
    assert_eq!(entry["steps"][0]["phase"], "validating", "{entry}");
    assert!(entry.get("phase").is_none(), "{entry}");
    assert_eq!(files(dir.path()), before);

    // The same paths are pages for browsers; API clients keep their JSON.
    let html = request(&addr, "GET", &page, &[("Accept", "text/html")]);
    assert_eq!(html.status, 200);
    assert!(html.text().contains("data-result=\"refused\"") && html.text().contains("Refused: nothing was written."), "{}", html.text());
    let list = request(&addr, "GET", "/changes?endpoint=1001", &[("Accept", "text/html")]);
    assert!(list.text().contains(&format!("data-change=\"{id}\"")), "{}", list.text());
    assert_eq!(list.header("vary"), Some("accept"));
    assert_eq!(get(&addr, "/changes").json()["changes"][0]["id"], id);
    assert_eq!(request(&addr, "GET", "/changes/999", &[("Accept", "text/html")]).status, 404);

    // Arguments the dashboard never sends are the client's mistake. A form
    // posted without JavaScript gets them on the page it came from, in place.
    for (body, says) in [
        (format!("extension=1001&object=trunk&option=context&value=vip&version={version}"), "object"),
        (format!("extension=1001&object=auth&option=password&value=Form-Secret-77&version={version}"), "secret"),
        (format!("extension=1001&object=endpoint&option=context&version={version}&scope=everywhere"), "scope"),
    ] {
        let r = form(&addr, &token, "apply_option", &body);
        assert_eq!(r.status, 303, "{body}: {}", r.text());
        let back = r.header("location").expect("back to the page").to_string();
        assert!(back.starts_with("/endpoints/1001/edit?__path=%2Fapi%2Fapply_option&__err="), "{back}");
        assert!(refusal_in(&back).contains(says), "{body}: {back}");
        assert!(!refusal_in(&back).contains("Form-Secret-77"), "{back}");
    }
    // That page shows it where the apply button is.
    let back = form(&addr, &token, "apply_option", &format!("extension=1001&object=trunk&option=context&value=vip&version={version}"));
    let edit = back.header("location").unwrap().replace("/endpoints/1001/edit?", "/endpoints/1001/edit?object=endpoint&option=context&value=vip&");
    let page = request(&addr, "GET", &edit, &[("Accept", "text/html"), ("Authorization", &format!("Bearer {token}"))]);
    assert_eq!(page.status, 200, "{}", page.text());
    let shown = page.text();
    assert!(shown.contains("role=\"alert\"") && shown.contains("trunk"), "{shown}");
    let bearer = format!("Bearer {token}");
    let r = request_with_body(&addr, "POST", "/api/apply_option", &[("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"), ("Authorization", &bearer)], b"extension=1001");
    assert_eq!(r.status, 400, "{}", r.text());
    let r = form(&addr, &token, "revert_change", "id=999");
    assert_eq!(r.status, 303);
    assert!(refusal_in(r.header("location").unwrap()).contains("not found"), "{:?}", r.header("location"));
    assert_eq!(files(dir.path()), before);
    assert!(!proc.log().contains("Form-Secret-77"));
}
