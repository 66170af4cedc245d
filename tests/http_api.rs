//! The documented API over HTTP, against the real `ispbx` binary with the
//! simulator and a copy of the fixture config: every route, every error, the
//! bad-input list, caching headers, config reloads, and no secret anywhere in
//! a response or the server's log.

mod common;

use common::serve::{eventually, get, request, Proc, Reply, WAIT};
use ispbx::routes;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const AMI_USER: &str = "http-test";
const AMI_SECRET: &str = "Http-Test-AMI-s3cret";

struct Pbx {
    _sim: Proc,
    ami: String,
}

fn simulator(conf: &Path) -> Pbx {
    let sim = Proc::spawn(
        &["simulate", "--ami-listen", "127.0.0.1:0", "--sim-username", AMI_USER, "--sim-secret", AMI_SECRET],
        &[("ISPBX_PJSIP_CONF", conf.to_str().unwrap())],
    );
    let rest = sim.wait_for(" speaks AMI on ");
    let ami = rest.split_whitespace().next().unwrap().to_string();
    Pbx { _sim: sim, ami }
}

struct Server {
    proc: Proc,
    addr: String,
}

fn server(conf: &Path, ami: &str, extra: &[(&str, &str)]) -> Server {
    let mut env = vec![
        ("ISPBX_LISTEN", "127.0.0.1:0"),
        ("ISPBX_PJSIP_CONF", conf.to_str().unwrap()),
        ("ISPBX_AMI_ADDR", ami),
        ("ISPBX_AMI_USERNAME", AMI_USER),
        ("ISPBX_AMI_SECRET", AMI_SECRET),
        ("ISPBX_CONFIG_POLL_MS", "50"),
        // Everything the server could log, so a secret has every chance to show.
        ("RUST_LOG", "debug,hyper=info,h2=info"),
    ];
    env.extend_from_slice(extra);
    let proc = Proc::spawn(&["serve"], &env);
    let rest = proc.wait_for("listening on http://");
    let addr = rest.split_whitespace().next().unwrap().to_string();
    Server { proc, addr }
}

fn connected(r: &Reply) -> bool {
    r.status == 200 && r.json()["ami"]["connected"] == true
}

/// One AMI exchange with the simulator (its Sim* actions change the PBX).
fn ami(addr: &str, action: &str, headers: &[(&str, &str)]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut req = format!("Action: Login\r\nUsername: {AMI_USER}\r\nSecret: {AMI_SECRET}\r\nEvents: off\r\n\r\nAction: {action}\r\nActionID: t1\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\nAction: Logoff\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let block = out.split("\r\n\r\n").find(|b| b.contains("ActionID: t1")).unwrap_or_else(|| panic!("no answer to {action}: {out}"));
    block.to_string()
}

fn ami_actions(addr: &str) -> u64 {
    let block = ami(addr, "SimStats", &[]);
    block.lines().find_map(|l| l.strip_prefix("ActionsReceived: ")).unwrap().trim().parse().unwrap()
}

/// The endpoints Asterisk itself listed for the fixture config.
fn recorded_endpoint_names() -> Vec<String> {
    let raw = String::from_utf8(common::read("ami/10_pjsipshowendpoints.response")).unwrap();
    let mut names: Vec<String> = raw
        .split("\r\n\r\n")
        .filter(|b| b.contains("Event: EndpointList"))
        .filter_map(|b| b.lines().find_map(|l| l.strip_prefix("ObjectName: ")).map(str::to_string))
        .collect();
    names.sort();
    names
}

/// Every secret of the fixture config, read from the files by the project's
/// one secret rule (so a new one is covered too).
fn config_secrets(dir: &Path) -> Vec<String> {
    let mut out = vec![AMI_SECRET.to_string()];
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            let line = line.split(" ;").next().unwrap_or("").trim();
            let Some((k, v)) = line.split_once('=') else { continue };
            if ispbx::secret::mentions_secret(k) {
                let v = v.trim().replace("\\;", ";");
                if v.len() >= 4 {
                    out.push(v);
                }
            }
        }
    }
    assert!(out.len() > 3, "the fixture has secrets to look for: {out:?}");
    out
}

struct World {
    conf_dir: tempfile::TempDir,
    pbx: Pbx,
    server: Server,
    bodies: Vec<String>,
}

impl World {
    fn new() -> World {
        let conf_dir = common::config_copy();
        let conf = conf_dir.path().join("pjsip.conf");
        let pbx = simulator(&conf);
        let server = server(&conf, &pbx.ami, &[]);
        eventually(&server.addr, "/endpoints", "AMI connected", connected);
        World { conf_dir, pbx, server, bodies: Vec::new() }
    }

    fn get(&mut self, target: &str, headers: &[(&str, &str)]) -> Reply {
        let r = request(&self.server.addr, "GET", target, headers);
        self.bodies.push(r.text());
        r
    }

    /// No secret in any body fetched so far, nor in either process's log.
    fn assert_no_secret(&self) {
        let log = self.server.proc.log();
        for s in config_secrets(self.conf_dir.path()) {
            for b in &self.bodies {
                assert!(!b.contains(&s), "secret {s:?} in a response body");
            }
            assert!(!log.contains(&s), "secret {s:?} in the server log");
        }
    }
}

#[test]
fn the_documented_routes_answer_as_specified() {
    let mut w = World::new();
    let r = w.get("/", &[]);
    assert_eq!((r.status, r.json()), (200, serde_json::json!({"message": "ISPBX Manager API"})));
    assert!(r.header("vary").is_some_and(|v| v.to_ascii_lowercase().contains("accept")));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert!(r.header("x-request-id").is_some());

    let r = w.get("/endpoints", &[("Accept", "application/json")]);
    assert_eq!(r.status, 200);
    let list = r.json();
    assert_eq!(list["status"], "success");
    assert_eq!(list["ami"]["connected"], true);
    let eps = list["endpoints"].as_array().unwrap();
    let mut names: Vec<String> = eps.iter().map(|e| e["objectname"].as_str().expect("names are strings").to_string()).collect();
    names.sort();
    // The same endpoints Asterisk listed for this config: no template, no other object.
    assert_eq!(names, recorded_endpoint_names());
    for e in eps {
        assert!(matches!(e["status"].as_str(), Some("online" | "offline")), "{e}");
        assert_eq!(e["type"], "endpoint");
        assert!(e["devicestate"].is_string());
        assert!(e["activechannels"].is_u64(), "{e}");
        assert!(matches!(e["state"].as_str(), Some("online" | "offline" | "unmonitored")));
    }
    // The simulator starts with no registration: an endpoint with AORs is offline,
    // an IP-matched trunk without AOR is unmonitored, and both say "offline".
    let by = |n: &str| eps.iter().find(|e| e["objectname"] == n).unwrap().clone();
    assert_eq!((by("1001")["status"].clone(), by("1001")["state"].clone()), ("offline".into(), "offline".into()));

    let r = w.get("/endpoints/1001", &[]);
    assert_eq!(r.status, 200);
    let d = r.json();
    assert_eq!((d["status"].as_str(), d["extension"].as_str()), (Some("success"), Some("1001")));
    for key in ["objectname", "status", "type", "devicestate", "activechannels", "auths", "aors"] {
        assert!(d["details"].get(key).is_some(), "details lack {key}: {d}");
    }
    assert_eq!(d["details"]["aors"], "1001");

    let r = w.get("/endpoints/1001/config", &[]);
    assert_eq!(r.status, 200);
    let c = r.json();
    assert_eq!((c["status"].as_str(), c["extension"].as_str()), (Some("success"), Some("1001")));
    let config = c["config"].as_object().unwrap();
    assert_eq!(config["type"], "endpoint");
    assert!(config.values().all(Value::is_string), "every value is a string: {config:?}");
    // Only endpoint options: the auth's and the aor's keys stay with their objects.
    for foreign in ["password", "username", "md5_cred", "max_contacts", "remove_existing", "auth_type"] {
        assert!(!config.contains_key(foreign), "{foreign} leaked into the endpoint's config");
    }
    // In Asterisk's order: GetConfig lists the section's options as Asterisk
    // applies them, templates first; a repeated option keeps its first place.
    let sections = common::parse_getconfig(&common::read("ami/36_getconfig_pjsip.response"));
    let (_, _, lines) = sections
        .iter()
        .find(|(name, _, lines)| name == "1001" && lines.iter().any(|(k, v)| k == "type" && v == "endpoint"))
        .expect("GetConfig has endpoint 1001");
    let mut asterisk_order: Vec<&str> = Vec::new();
    for (k, _) in lines {
        if !asterisk_order.contains(&k.as_str()) {
            asterisk_order.push(k);
        }
    }
    assert_eq!(config.keys().map(String::as_str).collect::<Vec<_>>(), asterisk_order);
    w.assert_no_secret();
}

#[test]
fn errors_and_bad_input_get_json_4xx_and_never_reach_asterisk() {
    let mut w = World::new();
    // Connecting costs one resync (three actions) and one PJSIPShowEndpoint
    // per endpoint with a permanent contact: all of it done before counting.
    let list = w.get("/endpoints", &[]).json();
    let permanent = list["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["contacts"].as_array().unwrap().iter().any(|c| c.get("expires").is_none()))
        .count() as u64;
    assert!(permanent > 0, "the fixture has permanent contacts");
    let deadline = Instant::now() + WAIT;
    while ami_actions(&w.pbx.ami) < 3 + permanent {
        assert!(Instant::now() < deadline, "the connection's actions never completed");
        std::thread::sleep(Duration::from_millis(10));
    }
    let before = ami_actions(&w.pbx.ami);
    assert_eq!(before, 3 + permanent);
    let long = "9".repeat(5000);
    let not_found = serde_json::json!({"detail": "Extension not found"});
    for target in [
        "/endpoints/9999".to_string(),
        "/endpoints/9999/config".to_string(),
        // Templates are not endpoints.
        "/endpoints/endpoint-tpl".to_string(),
        "/endpoints/endpoint-tpl/config".to_string(),
        // An aor and an auth named like an endpoint would be: not endpoints either.
        "/endpoints/auth1002".to_string(),
        "/endpoints/..%2F..%2Fetc%2Fpasswd".to_string(),
        "/endpoints/%2e%2e/config".to_string(),
        "/endpoints/1001%0d%0aAction:%20Originate".to_string(),
        "/endpoints/1001%0aChannel:%20PJSIP%2F1002/config".to_string(),
        "/endpoints/%00".to_string(),
        format!("/endpoints/{long}"),
        format!("/endpoints/{long}/config"),
        "/endpoints/%E2%98%8E%EF%B8%8F".to_string(),
        "/endpoints/%FF%FE".to_string(),
    ] {
        let r = w.get(&target, &[]);
        assert_eq!((r.status, r.json()), (404, not_found.clone()), "{target}");
        assert_eq!(r.header("content-type"), Some("application/json"), "{target}");
    }
    for target in ["/../../etc/passwd", "/endpoints/1001/config/../../../etc/passwd", "/nope", "/endpoints/1001/extra"] {
        let r = w.get(target, &[]);
        assert_eq!((r.status, r.json()), (404, serde_json::json!({"detail": "Not Found"})), "{target}");
    }
    for target in ["/endpoints?x=%00", "/endpoints/1001?%FF", "/endpoints?%0d%0aAction:%20Originate"] {
        let r = w.get(target, &[]);
        assert_eq!((r.status, r.json()), (400, serde_json::json!({"detail": "Bad Request"})), "{target}");
    }
    // Unknown but well-formed parameters are ignored, as they always were.
    assert_eq!(w.get("/endpoints?page=2&sort=%E2%98%83", &[]).status, 200);
    let r = request(&w.server.addr, "PUT", "/endpoints", &[("Content-Length", "0")]);
    assert_eq!((r.status, r.json()), (405, serde_json::json!({"detail": "Method Not Allowed"})));
    // A change needs credentials, anonymous read or not (tests/http_changes.rs
    // has an admin's: writes off says so before anything is read).
    let r = request(&w.server.addr, "POST", "/endpoints", &[("Content-Length", "0")]);
    assert_eq!(r.status, 401, "{}", r.text());
    assert!(r.json()["detail"].as_str().unwrap().contains("Authentication required"), "{}", r.text());

    // None of it cost the PBX anything: answers come from memory.
    for _ in 0..20 {
        assert_eq!(w.get("/endpoints", &[]).status, 200);
        assert_eq!(w.get("/endpoints/1001", &[]).status, 200);
    }
    assert_eq!(ami_actions(&w.pbx.ami), before, "requests reached Asterisk");
    w.assert_no_secret();
}

#[test]
fn browsers_get_the_page_and_pollers_get_304_until_something_changes() {
    let mut w = World::new();
    let r = w.get("/endpoints/1001", &[("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")]);
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("1001"));
    let r = w.get("/endpoints/nope", &[("Accept", "text/html")]);
    assert_eq!(r.status, 404);

    let first = w.get("/endpoints", &[]);
    let etag = first.header("etag").expect("an ETag").to_string();
    let again = w.get("/endpoints", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    // A phone registers: the next poll gets the new list and a new tag.
    ami(&w.pbx.ami, "SimRegister", &[("Endpoint", "1001"), ("Via", "192.0.2.10:5060"), ("UserAgent", "Yealink SIP-T54W")]);
    let changed = eventually(&w.server.addr, "/endpoints", "1001 online", |r| {
        r.status == 200 && r.json()["endpoints"].as_array().unwrap().iter().any(|e| e["objectname"] == "1001" && e["status"] == "online")
    });
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    let r = w.get("/endpoints", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 200, "a stale tag gets the new body");

    // Compression for pollers that ask for it.
    for enc in ["gzip", "br"] {
        let r = w.get("/endpoints", &[("Accept-Encoding", enc)]);
        assert_eq!((r.status, r.header("content-encoding")), (200, Some(enc)));
    }
    w.assert_no_secret();
}

#[test]
fn cors_is_off_by_default_and_allows_only_configured_origins() {
    let w = World::new();
    let origin = [("Origin", "https://frontend.example")];
    let r = request(&w.server.addr, "GET", "/endpoints", &origin);
    assert!(r.header("access-control-allow-origin").is_none());

    let conf = w.conf_dir.path().join("pjsip.conf");
    let s = server(&conf, &w.pbx.ami, &[("ISPBX_CORS_ORIGINS", "https://frontend.example")]);
    let r = request(&s.addr, "GET", "/endpoints", &origin);
    assert_eq!(r.header("access-control-allow-origin"), Some("https://frontend.example"));
    let r = request(&s.addr, "GET", "/endpoints", &[("Origin", "https://evil.example")]);
    assert!(r.header("access-control-allow-origin").is_none());
}

#[test]
fn with_asterisk_down_the_config_endpoints_answer_promptly_as_offline() {
    let conf_dir = common::config_copy();
    // Nobody listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let s = server(&conf_dir.path().join("pjsip.conf"), &closed, &[]);
    let r = get(&s.addr, "/endpoints");
    assert_eq!(r.status, 200);
    let list = r.json();
    assert_eq!(list["ami"]["connected"], false);
    assert!(list["ami"]["detail"].as_str().is_some_and(|d| !d.is_empty()));
    let eps = list["endpoints"].as_array().unwrap();
    let mut names: Vec<String> = eps.iter().map(|e| e["objectname"].as_str().unwrap().to_string()).collect();
    names.sort();
    assert_eq!(names, recorded_endpoint_names());
    assert!(eps.iter().all(|e| e["status"] == "offline"));
    assert_eq!(get(&s.addr, "/endpoints/1001").json()["details"]["status"], "offline");
}

fn edit(path: &PathBuf, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    // A new inode with new content, as editors write.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, f(text)).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn config_edits_are_picked_up_and_a_broken_edit_keeps_the_last_good_config() {
    let w = World::new();
    let conf = w.conf_dir.path().join("pjsip.conf");
    edit(&conf, |t| format!("{t}\n[7001]\ntype=endpoint\ncontext=from-internal\naors=7001\n\n[7001]\ntype=aor\nmax_contacts=1\n"));
    let r = eventually(&w.server.addr, "/endpoints/7001/config", "7001 appears", |r| r.status == 200);
    assert_eq!(r.json()["config"]["context"], "from-internal");

    // An unterminated section header: Asterisk would refuse the whole file.
    edit(&conf, |t| format!("{t}\n[broken\ntype=endpoint\n"));
    let r = eventually(&w.server.addr, "/endpoints", "the error is reported", |r| r.json()["config"]["error"].is_string());
    let list = r.json();
    assert!(list["endpoints"].as_array().unwrap().iter().any(|e| e["objectname"] == "7001"), "the last good config is served");
    assert!(w.server.proc.log().contains("Error reading PJSIP configuration"), "the log says why");
    assert_eq!(get(&w.server.addr, "/endpoints/7001").status, 200);
}

#[test]
fn an_unreadable_config_is_a_500_with_the_cause_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("pjsip.conf");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let s = server(&missing, &closed, &[]);
    for target in ["/endpoints", "/endpoints/1001", "/endpoints/1001/config"] {
        let r = get(&s.addr, target);
        assert_eq!((r.status, r.json()), (500, serde_json::json!({"detail": "Error reading PJSIP configuration"})), "{target}");
    }
    assert_eq!(get(&s.addr, "/").status, 200);
    assert!(s.proc.log().contains(missing.to_str().unwrap()), "the log names the file:\n{}", s.proc.log());
}

#[test]
fn openapi_describes_the_routes_and_the_docs_page_renders_it() {
    let w = World::new();
    let r = get(&w.server.addr, "/openapi.json");
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in ["/", "/endpoints", "/endpoints/{extension}", "/endpoints/{extension}/config"] {
        assert!(doc["paths"][p]["get"].is_object(), "{p} missing");
    }
    assert!(doc["paths"]["/endpoints/{extension}"]["get"]["responses"]["404"].is_object());
    let summary = &doc["components"]["schemas"]["EndpointSummary"];
    let required: Vec<&str> = summary["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for key in ["objectname", "status", "type", "devicestate", "activechannels"] {
        assert!(required.contains(&key), "{key} not required in {summary}");
    }
    let page = get(&w.server.addr, "/docs");
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    let html = page.text();
    assert!(html.contains("GET /endpoints/{extension}/config"), "{html}");
    assert!(html.contains(r##"href="#schema-EndpointConfigResponse""##), "{html}");
}

/// `md5_cred` as AMI spells it: `Md5Cred`.
fn ami_spelling(name: &str) -> String {
    name.split('_').map(|w| w[..1].to_ascii_uppercase() + &w[1..]).collect()
}

/// Every name of the secret rule, in every place a secret could show: the
/// config model (`pjsip resolve`), the JSON routes, the page with its
/// hydration data, the server's log (the parser quotes the start of a line it
/// skips), and what the AMI decoder hands on.
#[test]
fn every_secret_name_is_redacted_in_config_page_log_and_ami_decode() {
    use ispbx::secret::{REDACTED, SECRET_NAMES};
    let dir = tempfile::tempdir().unwrap();
    let mut conf = String::from("[udp]\ntype=transport\nprotocol=udp\nbind=127.0.0.1:5060\n\n");
    let mut wizard = String::new();
    let mut secrets = Vec::new();
    for (i, name) in SECRET_NAMES.iter().enumerate() {
        let (mut auth, mut wiz, long) = (format!("Auth-{i}-s3cret"), format!("Wizard-{i}-s3cret"), format!("Long-{i}-s3cret"));
        if *name == "md5_cred" {
            // An MD5 digest is 32 hex digits; Asterisk refuses any other length.
            (auth, wiz) = (format!("a{i}{}", "5ec7e7".repeat(5)), format!("b{i}{}", "5ec7e7".repeat(5)));
        } else if *name == "password_digest" {
            // ALGORITHM:digest, the digest of that algorithm's length.
            (auth, wiz) = (format!("MD5:c{i}{}", "5ec7e7".repeat(5)), format!("MD5:d{i}{}", "5ec7e7".repeat(5)));
        }
        conf += &format!("[9{i}00]\ntype=endpoint\ncontext=default\nauth=9{i}00\naors=9{i}00\n\n");
        // An auth Asterisk creates: userpass needs a password (or its digest), md5 its md5_cred.
        let (auth_type, password) = match *name {
            "md5_cred" => ("md5", String::new()),
            "password" | "password_digest" => ("userpass", String::new()),
            _ => ("userpass", format!("password=Pass-{i}-s3cret\n")),
        };
        conf += &format!("[9{i}00]\ntype=auth\nauth_type={auth_type}\nusername=9{i}00\n{password}{name}={auth}\n\n");
        if !password.is_empty() {
            secrets.push(format!("Pass-{i}-s3cret"));
        }
        conf += &format!("[9{i}00]\ntype=aor\nmax_contacts=1\n{name}={long}{}\n\n", "x".repeat(8200));
        wizard += &format!("[wiz{i}]\ntype=wizard\naccepts_auth=yes\naccepts_registrations=yes\ninbound_auth/username=wiz{i}\ninbound_auth/auth_type={auth_type}\n{}inbound_auth/{name}={wiz}\n\n", password.replace("password=", "inbound_auth/password="));
        secrets.extend([auth, wiz, long]);
    }
    let conf_path = dir.path().join("pjsip.conf");
    std::fs::write(&conf_path, conf).unwrap();
    std::fs::write(dir.path().join("pjsip_wizard.conf"), wizard).unwrap();
    let leaks = |what: &str, text: &str| {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "secret {s:?} in {what}");
        }
    };

    let resolve = Command::new(env!("CARGO_BIN_EXE_ispbx")).args(["pjsip", "resolve"]).arg(&conf_path).output().unwrap();
    let (out, err) = (String::from_utf8_lossy(&resolve.stdout), String::from_utf8_lossy(&resolve.stderr));
    leaks("pjsip resolve", &format!("{out}{err}"));
    let resolved: Value = serde_json::from_str(&out).unwrap();
    for (i, name) in SECRET_NAMES.iter().enumerate() {
        let auth = resolved["sections"].as_array().unwrap().iter()
            .find(|s| s["name"] == format!("9{i}00") && s["variables"].as_array().unwrap().iter().any(|v| v["key"] == "type" && v["value"] == "auth"))
            .unwrap_or_else(|| panic!("auth 9{i}00 in {out}"));
        assert!(auth["variables"].as_array().unwrap().iter().any(|v| v["key"] == *name && v["value"] == REDACTED), "{name}: {auth}");
    }

    let pbx = simulator(&conf_path);
    let s = server(&conf_path, &pbx.ami, &[]);
    eventually(&s.addr, "/endpoints", "AMI connected", connected);
    let html = [("Accept", "text/html")];
    for (i, name) in SECRET_NAMES.iter().enumerate() {
        let page = request(&s.addr, "GET", &format!("/endpoints/9{i}00"), &html);
        assert_eq!(page.status, 200);
        // Asterisk refuses an auth with an option it does not know: then there is no row to show.
        if ispbx::pjsip::options::is_known_option("auth", name) {
            assert!(page.text().contains(&format!(">{name}<")), "the page shows the {name} row");
        }
        leaks("the endpoint page", &page.text());
        let wiz = request(&s.addr, "GET", &format!("/endpoints/wiz{i}"), &html);
        assert_eq!(wiz.status, 200);
        leaks("the wizard endpoint page", &wiz.text());
        for target in [format!("/endpoints/9{i}00"), format!("/endpoints/9{i}00/config"), format!("/endpoints/wiz{i}/config")] {
            let r = get(&s.addr, &target);
            assert_eq!(r.status, 200, "{target}");
            leaks(&target, &r.text());
        }
    }
    leaks("the server log", &s.proc.log());
    assert!(s.proc.log().contains(&format!("{}={REDACTED}", SECRET_NAMES[0])), "the skipped line is quoted, redacted:\n{}", s.proc.log());

    // Asterisk sends these in clear text (AuthDetail, GetConfig, GetConfigJSON).
    for (i, name) in SECRET_NAMES.iter().enumerate() {
        let value = format!("Ami-{i}-s3cret");
        let json = format!("{{\"9{i}00\":{{\"{name}\":\"{value}\"}}}}");
        let raw = format!(
            "Event: AuthDetail\r\n{}: {value}\r\n{name}: {value}\r\nLine-000000-000001: {name}={value}\r\nJSON: {json}\r\n\r\n",
            ami_spelling(name)
        );
        let mut buf = bytes::BytesMut::from(raw.as_bytes());
        let mut codec = ispbx::ami::AmiCodec::default_after_banner();
        let Some(ispbx::ami::Frame::Message(m)) = tokio_util::codec::Decoder::decode(&mut codec, &mut buf).unwrap() else {
            panic!("no message decoded from {raw:?}")
        };
        assert!(!format!("{m:?}").contains(&value), "{name}: {m:?}");
        assert_eq!(m.get(&ami_spelling(name)), Some(REDACTED));
    }
}

/// Server functions are the dashboard's API: a body that is not their
/// arguments is the client's mistake (400), as on the JSON routes; a good one works.
#[test]
fn server_functions_answer_bad_arguments_with_400() {
    let w = World::new();
    let post = |body: &str, content_type: &str| {
        let mut s = TcpStream::connect(&w.server.addr).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let req = format!(
            "POST /api/get_endpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = String::new();
        let _ = s.read_to_string(&mut raw);
        let status: u16 = raw.split(' ').nth(1).unwrap().parse().unwrap();
        (status, raw)
    };
    let form = "application/x-www-form-urlencoded";
    for (body, content_type) in [("", form), ("ext=1001", form), ("garbage=%ZZ", form), ("{\"x\":", "application/json")] {
        let (status, raw) = post(body, content_type);
        assert_eq!(status, 400, "{body:?}: {raw}");
    }
    let (status, raw) = post("extension=1001", form);
    assert_eq!(status, 200, "{raw}");
    assert!(raw.contains("\"objectname\":\"1001\""), "{raw}");
}

#[test]
fn health_and_readiness_say_what_a_supervisor_needs() {
    let conf_dir = common::config_copy();
    let conf = conf_dir.path().join("pjsip.conf");

    // AMI configured and up: ready.
    let pbx = simulator(&conf);
    let s = server(&conf, &pbx.ami, &[]);
    let h = get(&s.addr, routes::HEALTHZ);
    assert_eq!((h.status, h.json()), (200, serde_json::json!({"status": "ok"})));
    assert_eq!(h.header("cache-control"), Some("no-store"));
    let ready = eventually(&s.addr, routes::READYZ, "ready", |r| r.status == 200);
    assert_eq!(ready.json(), serde_json::json!({"ready": true, "config": "loaded", "ami": "connected"}));

    // AMI configured and down: not ready, and why.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let down = server(&conf, &closed, &[]);
    let r = get(&down.addr, routes::READYZ);
    assert_eq!(r.status, 503);
    let body = r.json();
    assert_eq!((body["ready"].clone(), body["ami"].clone(), body["config"].clone()), (false.into(), "down".into(), "loaded".into()));
    assert!(body["reason"].as_str().is_some_and(|r| r.starts_with("AMI: ")), "{body}");
    assert_eq!(get(&down.addr, routes::HEALTHZ).status, 200);

    // No AMI user on purpose: the config alone is served, and that is ready.
    let alone = Proc::spawn(&["serve"], &[("ISPBX_LISTEN", "127.0.0.1:0"), ("ISPBX_PJSIP_CONF", conf.to_str().unwrap())]);
    let addr = alone.wait_for("listening on http://").split_whitespace().next().unwrap().to_string();
    let r = get(&addr, routes::READYZ);
    assert_eq!((r.status, r.json()["ami"].clone()), (200, "not configured".into()));

    // No config at all: not ready.
    let missing = conf_dir.path().join("nonexistent.conf");
    let none = Proc::spawn(&["serve"], &[("ISPBX_LISTEN", "127.0.0.1:0"), ("ISPBX_PJSIP_CONF", missing.to_str().unwrap())]);
    let addr = none.wait_for("listening on http://").split_whitespace().next().unwrap().to_string();
    let r = get(&addr, routes::READYZ);
    assert_eq!((r.status, r.json()["config"].clone()), (503, "none".into()));
    assert!(r.json()["reason"].as_str().is_some_and(|r| r.contains("nonexistent.conf")), "{}", r.text());
}

#[test]
fn json_logs_are_one_object_per_line_with_the_request_span() {
    let conf_dir = common::config_copy();
    let conf = conf_dir.path().join("pjsip.conf");
    let s = Proc::spawn(
        &["serve"],
        &[("ISPBX_LISTEN", "127.0.0.1:0"), ("ISPBX_PJSIP_CONF", conf.to_str().unwrap()), ("ISPBX_LOG_FORMAT", "json"), ("RUST_LOG", "info,tower_http=debug")],
    );
    let rest = s.wait_for("listening on http://");
    let addr: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':').collect();
    assert_eq!(get(&addr, "/endpoints/1001").status, 200);
    let log = eventually_log(&s, "/endpoints/1001");
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        // The first start's password notice is said to a person, not logged.
        if line.starts_with("ispbx: ") {
            continue;
        }
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string() && v["timestamp"].is_string(), "{line}");
    }
    assert!(
        log.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).any(|v| v["span"]["path"] == "/endpoints/1001"),
        "a request's lines carry its span: {log}"
    );
}

/// The log once it has a line mentioning `what` (the server logs requests as they finish).
fn eventually_log(p: &Proc, what: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let log = p.log();
        if log.contains(what) || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn metrics_count_what_prometheus_needs_without_unbounded_labels() {
    let conf_dir = common::config_copy();
    let conf = conf_dir.path().join("pjsip.conf");
    let pbx = simulator(&conf);
    let s = server(&conf, &pbx.ami, &[]);
    let list = eventually(&s.addr, "/endpoints", "AMI connected", connected).json();
    assert_eq!(get(&s.addr, "/endpoints/1001").status, 200);
    assert_eq!(get(&s.addr, "/endpoints/no-such-thing").status, 404);
    assert_eq!(get(&s.addr, "/not/a/route/x9y8z7").status, 404);
    let m = get(&s.addr, routes::METRICS);
    assert_eq!(m.status, 200);
    assert!(m.header("content-type").is_some_and(|c| c.starts_with("application/openmetrics-text")));
    let text = m.text();
    let value = |line: &str| -> f64 {
        text.lines().find_map(|l| l.strip_prefix(line)).unwrap_or_else(|| panic!("no {line} in:\n{text}")).trim().parse().unwrap()
    };
    assert_eq!(value("ispbx_ami_up "), 1.0);
    assert_eq!(value("ispbx_config_loaded "), 1.0);
    let count = |state: &str| list["endpoints"].as_array().unwrap().iter().filter(|e| e["state"] == state).count() as f64;
    for state in ["online", "offline", "unmonitored"] {
        assert_eq!(value(&format!("ispbx_endpoints{{state=\"{state}\"}} ")), count(state), "{state}");
    }
    assert_eq!(value("ispbx_http_requests_total{route=\"/endpoints/{extension}\",method=\"GET\",status=\"200\"} "), 1.0);
    assert_eq!(value("ispbx_http_requests_total{route=\"/endpoints/{extension}\",method=\"GET\",status=\"404\"} "), 1.0);
    assert!(text.contains("ispbx_http_request_duration_seconds_bucket{le="), "{text}");
    // A path is never a label: the unknown one is counted as unmatched.
    assert!(!text.contains("x9y8z7") && !text.contains("no-such-thing") && text.contains("route=\"unmatched\""), "{text}");
    assert!(text.trim_end().ends_with("# EOF"));
    // The AMI supervisor's and the config store's counts.
    assert_eq!(value("ispbx_ami_connections_total "), 1.0);
    assert!(value("ispbx_ami_resyncs_total ") >= 1.0);
    assert_eq!(value("ispbx_config_reloads_total{result=\"ok\"} "), 1.0);
    assert_eq!(value("ispbx_config_diagnostics{severity=\"error\"} ") as usize, {
        let cfg = ispbx::pjsip::PjsipConfig::load(&conf);
        cfg.diagnostics().filter(|d| d.severity == ispbx::pjsip::Severity::Error).count()
    });
    // The slowest qualify round trip is the RTT's top quantile (seconds; /endpoints has milliseconds).
    let slowest = list["endpoints"].as_array().unwrap().iter().flat_map(|e| e["contacts"].as_array().cloned().unwrap_or_default()).filter_map(|c| c["rtt_ms"].as_f64()).fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
    if let Some(ms) = slowest {
        assert!((value("ispbx_contact_rtt_seconds{quantile=\"1\"} ") - ms / 1000.0).abs() < 1e-9, "{text}");
    } else {
        assert!(!text.contains("ispbx_contact_rtt_seconds{"), "no contact has an RTT: {text}");
    }
    // Every metric the contrib/ alert rules and dashboard use exists.
    for file in ["contrib/prometheus-alerts.yml", "contrib/grafana-dashboard.json"] {
        let used = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        for name in used.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("ispbx_")) {
            assert!(text.lines().any(|l| l.starts_with(name)), "{file} uses {name}, which /metrics does not have");
        }
    }
    // An event in the PBX is counted at the next scrape.
    let before = value("ispbx_ami_events_total ");
    ami(&pbx.ami, "SimRegister", &[("Endpoint", "1002")]);
    eventually(&s.addr, routes::METRICS, "the event counted", |r| {
        r.text().lines().find_map(|l| l.strip_prefix("ispbx_ami_events_total ")).and_then(|v| v.trim().parse::<f64>().ok()).is_some_and(|v| v > before)
    });
}

#[test]
fn sigterm_stops_the_server_within_the_request_timeout_even_with_a_request_hanging() {
    let conf_dir = common::config_copy();
    let conf = conf_dir.path().join("pjsip.conf");
    let state = tempfile::tempdir().unwrap();
    let (mut child, addr) = serve_to_be_stopped(&conf, state.path(), "1");
    // A client that sent half a request and went quiet.
    let mut hanging = TcpStream::connect(&addr).unwrap();
    hanging.write_all(b"GET /endpoints HTTP/1.1\r\nHost: x\r\n").unwrap();
    assert_eq!(get(&addr, "/healthz").status, 200);
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = exit_of(&mut child, "SIGTERM");
    assert!(status.success(), "{status}");
}

/// A server-sent event as read off the wire.
#[derive(Debug, Default, Clone)]
struct Sse {
    id: Option<u64>,
    event: String,
    data: String,
}

/// Reads events from an open `/events` stream until `done` says enough.
fn read_events(stream: &mut std::io::BufReader<TcpStream>, mut done: impl FnMut(&Sse) -> bool) -> Vec<Sse> {
    use std::io::BufRead;
    let deadline = Instant::now() + WAIT;
    let mut out = Vec::new();
    let mut cur = Sse::default();
    let mut line = String::new();
    loop {
        assert!(Instant::now() < deadline, "no such event in time: {out:?}");
        line.clear();
        match stream.read_line(&mut line) {
            Ok(0) => panic!("the stream ended: {out:?}"),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => continue,
            Err(e) => panic!("{e}"),
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            if !cur.event.is_empty() {
                let ev = std::mem::take(&mut cur);
                let stop = done(&ev);
                out.push(ev);
                if stop {
                    return out;
                }
            }
        } else if let Some(v) = l.strip_prefix("id: ").or_else(|| l.strip_prefix("id:")) {
            cur.id = v.trim().parse().ok();
        } else if let Some(v) = l.strip_prefix("event: ").or_else(|| l.strip_prefix("event:")) {
            cur.event = v.trim().to_string();
        } else if let Some(v) = l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")) {
            cur.data.push_str(v);
        }
    }
}

fn open_events(addr: &str, last_event_id: Option<u64>) -> std::io::BufReader<TcpStream> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let last = last_event_id.map(|id| format!("Last-Event-ID: {id}\r\n")).unwrap_or_default();
    write!(s, "GET {} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n{last}\r\n", routes::EVENTS).unwrap();
    let mut r = std::io::BufReader::new(s);
    // Status line and headers (the body is chunked: its size lines are not event lines).
    let mut head = String::new();
    loop {
        let mut l = String::new();
        let _ = std::io::BufRead::read_line(&mut r, &mut l);
        head.push_str(&l);
        if l == "\r\n" || l.is_empty() {
            break;
        }
    }
    assert!(head.starts_with("HTTP/1.1 200") && head.to_ascii_lowercase().contains("content-type: text/event-stream"), "{head}");
    r
}

#[test]
fn events_stream_each_change_and_replay_what_a_reconnecting_client_missed() {
    let conf_dir = common::config_copy();
    let conf = conf_dir.path().join("pjsip.conf");
    let pbx = simulator(&conf);
    let s = server(&conf, &pbx.ami, &[]);
    eventually(&s.addr, "/endpoints", "AMI connected", connected);

    let mut stream = open_events(&s.addr, None);
    let first = read_events(&mut stream, |e| e.event == "snapshot");
    let snapshot: Value = serde_json::from_str(&first.last().unwrap().data).unwrap();
    assert_eq!(snapshot["endpoints"].as_array().unwrap().len(), get(&s.addr, "/endpoints").json()["endpoints"].as_array().unwrap().len());
    let snapshot_id = first.last().unwrap().id.unwrap();

    ami(&pbx.ami, "SimRegister", &[("Endpoint", "1002")]);
    // A registration comes as several AMI events: the stream's last row for
    // 1002 is, in the end, the list's.
    let listed = || get(&s.addr, "/endpoints").json()["endpoints"].as_array().unwrap().iter().find(|e| e["objectname"] == "1002").unwrap().clone();
    let seen = read_events(&mut stream, |e| {
        e.event == "endpoint" && e.data.contains("\"objectname\":\"1002\"") && e.data.contains("\"online\"") && serde_json::from_str::<Value>(&e.data).unwrap() == listed()
    });
    let change = seen.last().unwrap().clone();
    assert!(change.id.unwrap() > snapshot_id);
    drop(stream);

    // Reconnecting with the id before that change: it comes again first, no snapshot.
    let mut again = open_events(&s.addr, Some(change.id.unwrap() - 1));
    let replay = read_events(&mut again, |_| true);
    assert_eq!((replay[0].event.as_str(), replay[0].id), ("endpoint", change.id));
    // An id the feed never had, or one from before a restart (ids go on from the clock): a snapshot.
    for id in [u64::MAX, 1] {
        let mut lost = open_events(&s.addr, Some(id));
        assert_eq!(read_events(&mut lost, |_| true)[0].event, "snapshot", "Last-Event-ID {id}");
    }
}

#[test]
fn on_sigterm_event_streams_end_with_a_shutdown_event_and_the_server_exits() {
    let conf_dir = common::config_copy();
    let conf = conf_dir.path().join("pjsip.conf");
    // A long bound: the streams must end by themselves, not by it.
    let state = tempfile::tempdir().unwrap();
    let (mut child, addr) = serve_to_be_stopped(&conf, state.path(), "60");
    let mut stream = open_events(&addr, None);
    assert_eq!(read_events(&mut stream, |_| true)[0].event, "snapshot");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let last = read_events(&mut stream, |e| e.event == "shutdown");
    assert_eq!(last.last().unwrap().data, r#"{"reason":"the server is stopping"}"#);
    let status = exit_of(&mut child, "its streams ended");
    assert!(status.success(), "{status}");
}

/// `ispbx serve` as a child of its own (to be sent signals), and its address.
/// Its log is read to the end by a thread: a closed pipe would break its writes.
fn serve_to_be_stopped(conf: &Path, state: &Path, request_timeout: &str) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ispbx"))
        .arg("serve")
        .envs([("ISPBX_LISTEN", "127.0.0.1:0"), ("ISPBX_PJSIP_CONF", conf.to_str().unwrap()), ("ISPBX_REQUEST_TIMEOUT", request_timeout)])
        .envs([("ISPBX_STATE_DIR", state.to_str().unwrap()), ("ISPBX_ANONYMOUS_READ", "on")])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(err)).map_while(Result::ok) {
            if let Some((_, rest)) = line.split_once("listening on http://") {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
            }
        }
    });
    match rx.recv_timeout(WAIT) {
        Ok(addr) => (child, addr),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server never listened");
        }
    }
}

/// Waits for the child to exit (a hang is a failure, after WAIT).
fn exit_of(child: &mut std::process::Child, after: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < deadline, "still running after {after}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
