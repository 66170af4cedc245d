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
            // The retries are logged at DEBUG: the tests count them.
            ("RUST_LOG", "info,ispbx::ami=debug"),
        ],
    );
    let rest = proc.wait_for("listening on http://");
    let addr = rest.split_whitespace().next().unwrap().to_string();
    Server { proc, addr }
}

/// `ispbx serve` as README's least-privilege user, once it is connected.
fn serve_connected(ast: &Asterisk) -> Server {
    let server = serve(ast, asterisk::AMI_USER, asterisk::AMI_SECRET);
    until("AMI connected", || connected(&server.addr).then_some(()));
    server
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
    let server = serve_connected(&ast);
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

    let calls = [
        Sipp::spawn(&ast, "call", "1002", Transport::Udp, Duration::from_secs(30)),
        Sipp::spawn(&ast, "call", "1003", Transport::Tcp, Duration::from_secs(30)),
    ];
    until("1002 (UDP) and 1003 (TCP) in a call", || {
        let cli = parse_show_endpoints(&ast.cli("pjsip show endpoints"));
        (cli.iter().filter(|e| (e.name == "1002" || e.name == "1003") && e.channels == 1).count() == 2).then_some(())
    });
    assert_api_matches_cli(&ast, &server, "1002 and 1003 in a call");
    drop(calls);
    let log = server.proc.log();
    assert!(!log.contains(asterisk::AMI_SECRET), "the AMI secret is not logged");
}

fn endpoint(addr: &str, name: &str) -> Value {
    let r = get(addr, &format!("/endpoints/{name}"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["details"].clone()
}

/// Polls the API as fast as it answers until `pred` holds; when it first did.
fn api_sees(addr: &str, name: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Instant {
    let deadline = Instant::now() + WAIT;
    loop {
        let d = endpoint(addr, name);
        let at = Instant::now();
        if pred(&d) {
            return at;
        }
        assert!(Instant::now() < deadline, "the API never showed {what}: {d}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn contacts_of(d: &Value) -> &Vec<Value> {
    d["contacts"].as_array().unwrap()
}

/// Milliseconds from Asterisk's event to the API showing it; never negative
/// (ISPBX's connection may get the event before the test's).
fn lag_ms(event: Instant, api: Instant) -> f64 {
    api.saturating_duration_since(event).as_secs_f64() * 1000.0
}

fn distribution(name: &str, lags: &mut [f64]) -> String {
    lags.sort_by(f64::total_cmp);
    let q = |p: f64| lags[((lags.len() - 1) as f64 * p).round() as usize];
    format!("{name}: n={} min={:.0} p50={:.0} p90={:.0} max={:.0} ms", lags.len(), q(0.0), q(0.5), q(0.9), q(1.0))
}

/// Registration, unregistration, a call and its hangup each reach the API
/// within a second of Asterisk's AMI event for them. Run with --nocapture
/// for the distribution.
#[test]
fn live_changes_reach_the_api_within_a_second_of_asterisk() {
    let Some(ast) = Asterisk::start() else { return };
    let server = serve_connected(&ast);
    let tap = common::ami_tap::AmiTap::connect(&ast.ami_addr(), asterisk::AMI_USER, asterisk::AMI_SECRET);
    let users = ["1001", "1002", "1004", "1005", "1007", "1008", "1009", "1011", "1012", "1014"];
    let (mut reg, mut unreg, mut call, mut hangup) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // A registration is first reported as NonQualified (the qualify follows), its end as Removed.
    let contact_event = |user: &'static str, removed: bool| {
        move |m: &common::ami_tap::Received| {
            m.event() == Some("ContactStatus") && m.get("AOR") == Some(user) && (m.get("ContactStatus") == Some("Removed")) == removed
        }
    };
    let mut phones = Vec::new();
    for user in users {
        let mark = tap.len();
        phones.push(Sipp::register(&ast, user, Transport::Udp));
        let ev = tap.wait_for(mark, "ContactStatus of a new contact", contact_event(user, false));
        let seen = api_sees(&server.addr, user, "the registration", |d| !contacts_of(d).is_empty());
        reg.push(lag_ms(ev.at, seen));
    }
    for user in users {
        let mark = tap.len();
        Sipp::spawn(&ast, "unregister", user, Transport::Udp, Duration::ZERO).finish();
        let ev = tap.wait_for(mark, "ContactStatus Removed", contact_event(user, true));
        let seen = api_sees(&server.addr, user, "the unregistration", |d| contacts_of(d).is_empty());
        unreg.push(lag_ms(ev.at, seen));
    }
    for user in &users[..5] {
        let mark = tap.len();
        let phone = Sipp::spawn(&ast, "call", user, Transport::Udp, Duration::from_millis(700));
        let prefix = format!("PJSIP/{user}-");
        let ev = tap.wait_for(mark, "Newchannel", |m| m.event() == Some("Newchannel") && m.get("Channel").is_some_and(|c| c.starts_with(&prefix)));
        let seen = api_sees(&server.addr, user, "the call", |d| d["activechannels"] == 1);
        call.push(lag_ms(ev.at, seen));
        let ev = tap.wait_for(mark, "Hangup", |m| m.event() == Some("Hangup") && m.get("Channel").is_some_and(|c| c.starts_with(&prefix)));
        let seen = api_sees(&server.addr, user, "the hangup", |d| d["activechannels"] == 0);
        hangup.push(lag_ms(ev.at, seen));
        phone.finish();
    }
    let mut report = Vec::new();
    for (name, lags) in [("registration", &mut reg), ("unregistration", &mut unreg), ("call", &mut call), ("hangup", &mut hangup)] {
        report.push(distribution(name, lags));
        assert!(lags.iter().all(|&l| l < 1000.0), "{name} took a second or more: {lags:?}");
    }
    eprintln!("event → API latency against Asterisk 22:\n  {}", report.join("\n  "));
}

/// The API's contacts (URI, via, user agent, RTT, expiry, status) are
/// PJSIPShowContacts's, read between two identical API answers.
#[test]
fn contacts_equal_pjsipshowcontacts() {
    let Some(ast) = Asterisk::start() else { return };
    let server = serve_connected(&ast);
    let tap = common::ami_tap::AmiTap::connect(&ast.ami_addr(), asterisk::AMI_USER, asterisk::AMI_SECRET);
    let _phones = [
        Sipp::register(&ast, "1001", Transport::Udp),
        Sipp::register(&ast, "1003", Transport::Tcp),
        Sipp::register(&ast, "1010", Transport::Tcp),
    ];
    let api_contacts = |list: &Value| -> Vec<String> {
        let mut out: Vec<String> = list["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|e| e["contacts"].as_array().unwrap().iter())
            .map(|c| {
                let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
                let rtt = c["rtt_ms"].as_f64().map_or(String::new(), |r| format!("{:.0}", r * 1000.0));
                let expires = c["expires"].as_i64().map_or(String::new(), |e| e.to_string());
                format!("{} {} via={} ua={} rtt_us={rtt} expires={expires} {}", s("aor"), s("uri"), s("via"), s("user_agent"), s("status"))
            })
            .collect();
        out.sort();
        out
    };
    let mut n = 0;
    let deadline = Instant::now() + WAIT;
    loop {
        let before = endpoints(&server.addr);
        n += 1;
        let listed = tap.list(&[("Action", "PJSIPShowContacts")], &format!("contacts-{n}"));
        let after = endpoints(&server.addr);
        let mut asterisk: Vec<String> = listed
            .iter()
            .filter(|m| m.event() == Some("ContactList"))
            .map(|m| {
                let g = |k: &str| m.get(k).unwrap_or("").to_string();
                let aor = g("ObjectName").split(";@").next().unwrap().to_string();
                let via = match (g("ViaAddr"), g("ViaPort")) {
                    (a, p) if !a.is_empty() && p != "0" && !p.is_empty() => format!("{a}:{p}"),
                    (a, _) => a,
                };
                let rtt = Some(g("RoundtripUsec")).filter(|r| r != "0" && !r.is_empty() && r != "N/A").unwrap_or_default();
                let expires = Some(g("ExpirationTime")).filter(|e| e != "0").unwrap_or_default();
                format!("{aor} {} via={via} ua={} rtt_us={rtt} expires={expires} {}", g("Uri"), g("UserAgent"), g("Status"))
            })
            .collect();
        asterisk.sort();
        let registered = asterisk.iter().filter(|c| c.contains("ua=ISPBX test phone") && c.ends_with(" Reachable")).count();
        // PJSIPShowContacts lists registered contacts only; an AOR's
        // permanent `contact=` is in `pjsip show contacts`, where the API's
        // status for it must be too.
        let (api_registered, api_permanent): (Vec<String>, Vec<String>) = api_contacts(&after).into_iter().partition(|c| !c.contains(" expires= "));
        if before == after && registered == 3 && api_registered == asterisk {
            let cli = ast.cli("pjsip show contacts");
            assert_eq!(api_permanent.len(), 3, "the intercom's door and gate, and the provider: {api_permanent:#?}");
            for c in &api_permanent {
                let w: Vec<&str> = c.split_whitespace().collect();
                let short = short_status(w.last().unwrap());
                assert!(
                    cli.lines().any(|l| l.contains(&format!("{}/{}", w[0], w[1])) && l.split_whitespace().nth(3) == Some(short)),
                    "{c} is not in `pjsip show contacts` as {short}:\n{cli}"
                );
            }
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the API's contacts never equalled PJSIPShowContacts:\nAPI {:#?}\nAsterisk {asterisk:#?}",
            api_contacts(&after)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// GET /endpoints answered in time, never a 5xx; how long it took.
fn prompt_list(addr: &str) -> (Value, Duration) {
    let t0 = Instant::now();
    let r = get(addr, "/endpoints");
    let took = t0.elapsed();
    assert!(r.status < 500, "a {} while Asterisk is away: {}", r.status, r.text());
    assert_eq!(r.status, 200, "{}", r.text());
    (r.json(), took)
}

/// Asterisk stops and starts again: meanwhile every request is answered at
/// once with `ami.connected=false`; ISPBX reconnects with backoff, and the
/// state equals Asterisk's again within 30 s of its return.
#[test]
fn asterisk_restarting_is_reported_and_recovered_from() {
    let Some(mut ast) = Asterisk::start() else { return };
    let server = serve_connected(&ast);
    let _phones = [Sipp::register(&ast, "1001", Transport::Udp), Sipp::register(&ast, "1002", Transport::Udp)];
    until("two phones online", || {
        let list = endpoints(&server.addr);
        let online = list["endpoints"].as_array().unwrap().iter().filter(|e| e["state"] == "online").count();
        (online >= 3).then_some(()) // and the provider's unqualified contact
    });

    ast.stop();
    let down_at = Instant::now();
    let mut slowest = Duration::ZERO;
    let detail = until("ami.connected=false", || {
        let (list, took) = prompt_list(&server.addr);
        slowest = slowest.max(took);
        (list["ami"]["connected"] == false).then(|| list["ami"]["detail"].as_str().unwrap_or("").to_string())
    });
    assert!(!detail.is_empty(), "the API says why");
    // Asterisk stays away for three seconds: every request still answers.
    while down_at.elapsed() < Duration::from_secs(3) {
        let (list, took) = prompt_list(&server.addr);
        slowest = slowest.max(took);
        assert_eq!(list["ami"]["connected"], false);
        assert_eq!(list["endpoints"].as_array().unwrap().len(), 21, "the config view stays");
    }
    assert!(slowest < Duration::from_secs(1), "a request took {slowest:?} while Asterisk was away");
    let attempts = server.proc.log().lines().filter(|l| l.contains("AMI:")).count();
    assert!((2..=6).contains(&attempts), "reconnects back off ({attempts} attempts in 3 s):\n{}", server.proc.log());

    ast.boot();
    let back_at = Instant::now();
    until("ISPBX reconnected", || connected(&server.addr).then_some(()));
    assert_api_matches_cli(&ast, &server, "after the restart");
    let recovered = back_at.elapsed();
    assert!(recovered < Duration::from_secs(30), "state complete {recovered:?} after Asterisk's return");
    eprintln!("Asterisk back → ISPBX state complete: {recovered:?}; slowest request while down: {slowest:?}");
}

/// Login refused, or a user whose class does not allow PJSIPShow*: the API
/// and the dashboard say what is wrong, the log says it once per attempt,
/// and the attempts back off.
#[test]
fn a_wrong_secret_or_a_user_without_write_system_is_named_not_retried_in_a_loop() {
    let Some(ast) = Asterisk::start() else { return };
    for (user, secret, says) in [
        (asterisk::AMI_USER, "not-the-secret", "Authentication failed"),
        (asterisk::AMI_USER_WITHOUT_WRITE, asterisk::AMI_SECRET, "write = system"),
    ] {
        let server = serve(&ast, user, secret);
        let t0 = Instant::now();
        let mut said = Vec::new();
        let deadline = Instant::now() + WAIT;
        while !said.last().is_some_and(|d: &String| d.contains(says)) {
            assert!(Instant::now() < deadline, "{user}: the API never said {says:?}, only {said:?}");
            let (list, _) = prompt_list(&server.addr);
            let detail = list["ami"]["detail"].as_str().unwrap_or("").to_string();
            if said.last() != Some(&detail) {
                said.push(detail);
            }
        }
        let page = common::serve::request(&server.addr, "GET", "/", &[("Accept", "text/html")]).text();
        assert!(page.contains("AMI not connected") && page.contains(says), "{user}: the dashboard's notice:\n{page}");
        while t0.elapsed() < Duration::from_secs(4) {
            prompt_list(&server.addr);
        }
        let log = server.proc.log();
        let attempts: Vec<&str> = log.lines().filter(|l| l.contains("AMI:")).collect();
        let warnings: Vec<&&str> = attempts.iter().filter(|l| l.contains("WARN")).collect();
        assert!(warnings.len() == 1 && warnings[0].contains(says), "{user}: one warning that says why:\n{log}");
        assert!(attempts.iter().all(|l| l.contains(says)), "{user}: every attempt says why:\n{log}");
        assert!((2..=5).contains(&attempts.len()), "{user}: {} attempts in 4 s, with backoff 2 to 5:\n{log}", attempts.len());
        assert!(!log.contains(asterisk::AMI_SECRET) && !log.contains("not-the-secret"), "no secret in the log");
    }
}

/// pjsip.conf changes and Asterisk reloads it: the config view and the live
/// state both follow, an added endpoint takes registrations, a removed one
/// is gone.
#[test]
fn a_config_change_and_an_asterisk_reload_are_followed() {
    let Some(ast) = Asterisk::start() else { return };
    let server = serve_connected(&ast);
    assert_eq!(get(&server.addr, "/endpoints/1030/config").status, 404);

    let users = ast.etc().join("pjsip_users.conf");
    let text = std::fs::read_to_string(&users).unwrap();
    let cut = text.find("[1020](phone)").expect("1020 is the last user");
    let added = "[1030](phone)\ncallerid=\"New Starter\" <1030>\nauth=1030\naors=1030\n\n\
                 [1030](auth-userpass)\nusername=1030\npassword=Sample-1030-secret\n\n[1030](aor-single)\n";
    std::fs::write(&users, format!("{}{added}", &text[..cut])).unwrap();

    // ISPBX reads the file as soon as it changes; Asterisk when told.
    let config = until("the config view has 1030", || {
        let r = get(&server.addr, "/endpoints/1030/config");
        (r.status == 200).then(|| r.json())
    });
    assert_eq!(config["config"]["callerid"], "\"New Starter\" <1030>");
    let reload = ast.cli("module reload res_pjsip.so");
    assert!(!reload.contains("rror"), "{reload}");
    until("Asterisk has 1030 and not 1020", || {
        let cli = parse_show_endpoints(&ast.cli("pjsip show endpoints"));
        (cli.iter().any(|e| e.name == "1030") && !cli.iter().any(|e| e.name == "1020")).then_some(())
    });
    assert_api_matches_cli(&ast, &server, "after the reload");
    assert_eq!(get(&server.addr, "/endpoints/1020").status, 404, "1020 is gone");

    let _phone = Sipp::register(&ast, "1030", Transport::Udp);
    api_sees(&server.addr, "1030", "1030 online", |d| d["state"] == "online");
    assert_api_matches_cli(&ast, &server, "1030 registered");
}
