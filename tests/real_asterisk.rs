//! ISPBX against the real Asterisk 22: `ispbx serve` on the sample PBX that a
//! real Asterisk runs, with `sipp` phones registering and calling. Asterisk's
//! own CLI and AMI are the judges. Each test has its own Asterisk (see
//! tests/common/asterisk.rs); without one the tests say so and are skipped.

mod common;

use common::asterisk::{self, parse_show_endpoints, Asterisk, CliEndpoint, Sipp, Transport};
use common::serve::{get, Proc, Reply};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A bound on a broken test, not a timing assertion.
const WAIT: Duration = Duration::from_secs(30);

struct Server {
    proc: Proc,
    addr: String,
}

/// `ispbx serve` on the config Asterisk runs, connected to its AMI as `user`.
fn serve(ast: &Asterisk, user: &str, secret: &str) -> Server {
    let conf = ast.pjsip_conf();
    let ami = ast.ami_addr();
    let proc = Proc::spawn(
        &["serve"],
        &[
            ("ISPBX_LISTEN", "127.0.0.1:0"),
            ("ISPBX_PJSIP_CONF", conf.to_str().unwrap()),
            ("ISPBX_AMI_ADDR", &ami),
            ("ISPBX_AMI_USERNAME", user),
            ("ISPBX_AMI_SECRET", secret),
            ("ISPBX_CONFIG_POLL_MS", "100"),
            ("RUST_LOG", "info"),
        ],
    );
    let rest = proc.wait_for("listening on http://");
    let addr = rest.split_whitespace().next().unwrap().to_string();
    Server { proc, addr }
}

/// Polls `f` until it gives `Some`, failing with `what` after `WAIT`.
fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn endpoints(addr: &str) -> Value {
    let r: Reply = get(addr, "/endpoints");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn short_status(api_status: &str) -> &str {
    match api_status {
        "Reachable" => "Avail",
        "Unreachable" => "Unavail",
        "NonQualified" => "NonQual",
        other => other,
    }
}

/// What the API says of each endpoint, in the CLI's terms.
fn api_as_cli(list: &Value) -> BTreeMap<String, (CliEndpoint, String, String)> {
    list["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mut contacts: Vec<(String, String, String)> = e["contacts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let s = |k: &str| c[k].as_str().unwrap().to_string();
                    (s("aor"), s("uri"), short_status(c["status"].as_str().unwrap()).to_string())
                })
                .collect();
            contacts.sort();
            let name = e["objectname"].as_str().unwrap().to_string();
            let ep = CliEndpoint {
                name: name.clone(),
                state: e["devicestate"].as_str().unwrap().to_string(),
                channels: e["activechannels"].as_u64().unwrap() as u32,
                aors: Vec::new(),
                contacts,
            };
            (name, (ep, e["state"].as_str().unwrap().to_string(), e["status"].as_str().unwrap().to_string()))
        })
        .collect()
}

/// The state and status the API must give an endpoint Asterisk shows like this.
fn expected_state(cli: &CliEndpoint) -> (&'static str, &'static str) {
    if cli.aors.is_empty() {
        ("unmonitored", "offline")
    } else if cli.contacts.iter().any(|(_, _, s)| s == "Avail" || s == "NonQual") {
        ("online", "online")
    } else {
        ("offline", "offline")
    }
}

/// The differences between the API and `pjsip show endpoints`, none when they agree.
fn differences(api: &Value, cli_text: &str) -> Vec<String> {
    let api = api_as_cli(api);
    let cli = parse_show_endpoints(cli_text);
    let mut diffs = Vec::new();
    if api.len() != cli.len() {
        diffs.push(format!("API has {} endpoints, Asterisk {}", api.len(), cli.len()));
    }
    for c in &cli {
        let Some((a, state, status)) = api.get(&c.name) else {
            diffs.push(format!("{}: not in the API", c.name));
            continue;
        };
        let mut want = c.clone();
        want.aors.clear();
        want.contacts.sort();
        // The CLI cuts a contact URI to its column's width.
        let mut a = a.clone();
        for (aor, uri, _) in &mut a.contacts {
            if let Some((_, cut, _)) = want.contacts.iter().find(|(wa, wu, _)| wa == aor && uri.starts_with(wu.as_str())) {
                *uri = cut.clone();
            }
        }
        a.contacts.sort();
        if a != want {
            diffs.push(format!("{}: API {a:?}, Asterisk {want:?}", c.name));
        }
        let (want_state, want_status) = expected_state(c);
        if (state.as_str(), status.as_str()) != (want_state, want_status) {
            diffs.push(format!("{}: API state {state}/{status}, Asterisk implies {want_state}/{want_status}", c.name));
        }
    }
    diffs
}

/// The API and Asterisk's CLI agree on every endpoint, seen at one moment: the
/// CLI read between two identical API answers.
fn assert_api_matches_cli(ast: &Asterisk, server: &Server, what: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let before = endpoints(&server.addr);
        let cli = ast.cli("pjsip show endpoints");
        let after = endpoints(&server.addr);
        let diffs = if before["endpoints"] == after["endpoints"] { differences(&after, &cli) } else { vec!["the API changed meanwhile".into()] };
        if diffs.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: the API and `pjsip show endpoints` differ:\n{}\n{cli}", diffs.join("\n"));
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn connected(addr: &str) -> bool {
    endpoints(addr)["ami"]["connected"] == true
}

#[test]
fn every_endpoint_matches_pjsip_show_endpoints() {
    let Some(ast) = Asterisk::start() else { return };
    let server = serve(&ast, asterisk::AMI_USER, asterisk::AMI_SECRET);
    until("AMI connected", || connected(&server.addr).then_some(()));
    // Nothing registered: every AOR offline, the carrier unmonitored, the
    // intercom's static contact unreachable, the provider's unqualified one up.
    assert_api_matches_cli(&ast, &server, "at boot");

    let _phones = [
        Sipp::register(&ast, "1001", Transport::Udp),
        Sipp::register(&ast, "1002", Transport::Udp),
        Sipp::register(&ast, "1003", Transport::Tcp),
        Sipp::register(&ast, "1006", Transport::Tcp),
    ];
    until("four phones registered", || {
        let cli = parse_show_endpoints(&ast.cli("pjsip show endpoints"));
        (cli.iter().filter(|e| e.contacts.iter().any(|c| c.2 == "Avail")).count() >= 4).then_some(())
    });
    assert_api_matches_cli(&ast, &server, "four phones registered");

    let call = Sipp::spawn(&ast, "call", "1002", Transport::Udp, Duration::from_secs(30));
    until("1002 in a call", || {
        let cli = parse_show_endpoints(&ast.cli("pjsip show endpoints"));
        cli.iter().any(|e| e.name == "1002" && e.channels == 1).then_some(())
    });
    assert_api_matches_cli(&ast, &server, "1002 in a call");
    drop(call);
    let log = server.proc.log();
    assert!(!log.contains(asterisk::AMI_SECRET), "the AMI secret is not logged");
}
