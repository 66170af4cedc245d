//! Access: with no flags every route but the login page, the assets and the
//! probes asks for credentials; tokens and sessions get exactly the answers
//! anonymous read gets; a change needs an admin; a cross-site post with the
//! session cookie is refused; no secret shows in an answer or the log.
#![cfg(feature = "ssr")]

mod common;

use common::serve::{request, request_with_body, Proc, Reply};
use std::path::Path;

fn serve(state: &Path, extra: &[(&str, &str)]) -> (Proc, String) {
    let conf = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/sample-pbx/pjsip.conf");
    let mut env = vec![
        ("ISPBX_LISTEN", "127.0.0.1:0"),
        ("ISPBX_PJSIP_CONF", conf.to_str().unwrap()),
        ("ISPBX_STATE_DIR", state.to_str().unwrap()),
        ("ISPBX_ANONYMOUS_READ", "off"),
    ];
    env.extend_from_slice(extra);
    let proc = Proc::spawn(&["serve"], &env);
    let rest = proc.wait_for("listening on http://");
    (proc, rest.split_whitespace().next().unwrap().to_string())
}

fn token(state: &Path, name: &str, role: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ispbx"))
        .args(["token", "create", name, "--role", role])
        .env("ISPBX_STATE_DIR", state)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn with(addr: &str, method: &str, target: &str, auth: &[(&str, &str)], body: &str) -> Reply {
    let mut h = vec![("Accept", "application/json"), ("Content-Type", "application/json")];
    h.extend_from_slice(auth);
    request_with_body(addr, method, target, &h, body.as_bytes())
}

fn login(addr: &str, user: &str, password: &str, extra: &[(&str, &str)]) -> Reply {
    let body = format!("username={user}&password={}&next=%2Fendpoints%2F1001", password.replace('+', "%2B"));
    let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
    h.extend_from_slice(extra);
    request_with_body(addr, "POST", "/login", &h, body.as_bytes())
}

/// The session cookie a login set, as `name=value`.
fn cookie(r: &Reply) -> String {
    let set = r.header("set-cookie").unwrap_or_else(|| panic!("no cookie: {:?}", r.headers));
    assert!(set.starts_with("ispbx_session="), "{set}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing: {set}");
    }
    set.split(';').next().unwrap().to_string()
}

#[test]
fn every_route_asks_for_credentials_and_each_kind_gets_its_due() {
    let state = tempfile::tempdir().unwrap();
    let viewer = token(state.path(), "crm", "viewer");
    let admin = token(state.path(), "ops", "admin");
    let (proc, addr) = serve(state.path(), &[]);

    // Nobody: 401 with the specification's body for API clients, the login page for browsers.
    for target in ["/", "/endpoints", "/endpoints/1001", "/endpoints/1001/config", "/openapi.json", "/metrics", "/events", "/changes"] {
        let r = with(&addr, "GET", target, &[], "");
        assert_eq!(r.status, 401, "{target}: {}", r.text());
        assert!(r.json()["detail"].as_str().unwrap().contains("Authentication required"), "{target}");
        assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"ispbx\""));
    }
    let page = request(&addr, "GET", "/endpoints?filter=10", &[("Accept", "text/html")]);
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/login?next=%2Fendpoints%3Ffilter%3D10"));
    for open in ["/healthz", "/readyz", "/login", "/favicon.svg"] {
        assert_ne!(request(&addr, "GET", open, &[("Accept", "text/html")]).status, 401, "{open}");
    }
    assert!(request(&addr, "GET", "/login", &[("Accept", "text/html")]).text().contains("name=\"password\""));
    assert_eq!(with(&addr, "POST", "/api/list_endpoints", &[], "").status, 401);

    // A token gets what anonymous read gets.
    let bearer = format!("Bearer {viewer}");
    let as_viewer = [("Authorization", bearer.as_str())];
    let list = with(&addr, "GET", "/endpoints", &as_viewer, "");
    assert_eq!(list.status, 200, "{}", list.text());
    assert_eq!(list.json()["status"], "success");
    assert_eq!(with(&addr, "GET", "/endpoints/1001", &as_viewer, "").json()["details"]["objectname"], "1001");
    // A viewer may not change the PBX; an admin may (writes are off here, so says that).
    let patch = r#"{"set": {"context": "vip"}}"#;
    let r = with(&addr, "PATCH", "/endpoints/1001/config", &as_viewer, patch);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("only an admin"), "{}", r.text());
    let bearer_admin = format!("Bearer {admin}");
    let r = with(&addr, "PATCH", "/endpoints/1001/config", &[("Authorization", bearer_admin.as_str())], patch);
    assert_eq!(r.status, 403);
    assert!(r.text().contains("ISPBX_WRITES"), "{}", r.text());
    // Unknown, malformed and revoked tokens.
    for bad in ["Bearer ispbx_nonsense", "Bearer", "Basic YWRtaW46YWRtaW4="] {
        let r = with(&addr, "GET", "/endpoints", &[("Authorization", bad)], "");
        assert_eq!(r.status, 401, "{bad}");
        assert_eq!(r.json()["detail"], "Invalid, expired or revoked token");
    }
    let revoked = std::process::Command::new(env!("CARGO_BIN_EXE_ispbx")).args(["token", "revoke", "crm"]).env("ISPBX_STATE_DIR", state.path()).status().unwrap();
    assert!(revoked.success());
    assert_eq!(with(&addr, "GET", "/endpoints", &as_viewer, "").status, 401);

    // The first start made an admin and said its password once, on stderr.
    let log = proc.log();
    let password = log.split("user 'admin', password ").nth(1).and_then(|r| r.split_whitespace().next()).expect("the first password").to_string();
    assert!(log.contains("ispbx user passwd admin"));
    // A wrong password and an unknown user get the same answer.
    let wrong = login(&addr, "admin", "not-the-password", &[]);
    let nobody = login(&addr, "nobody", "not-the-password", &[]);
    assert_eq!((wrong.status, wrong.header("location")), (303, Some("/login?failed=1&next=%2Fendpoints%2F1001")));
    assert_eq!((nobody.status, nobody.header("location")), (wrong.status, wrong.header("location")));
    assert!(wrong.header("set-cookie").is_none_or(|c| !c.contains("ispbx_session=") || c.contains("Max-Age=0")));
    let ok = login(&addr, "admin", &password, &[]);
    assert_eq!((ok.status, ok.header("location")), (303, Some("/endpoints/1001")));
    let session = cookie(&ok);
    let as_admin = [("Cookie", session.as_str())];
    assert_eq!(with(&addr, "GET", "/endpoints", &as_admin, "").status, 200);
    let me = with(&addr, "POST", "/api/whoami", &as_admin, "");
    assert_eq!(me.json()["name"], "admin");
    assert_eq!(me.json()["role"], "admin");
    // A post from another site with the cookie is refused; from this one it goes through.
    let from = |origin: &'static str| [("Cookie", session.as_str()), ("Origin", origin)];
    let host = format!("http://{addr}");
    let r = with(&addr, "PATCH", "/endpoints/1001/config", &from("http://evil.example"), patch);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("another site"));
    let same = [("Cookie", session.as_str()), ("Origin", host.as_str())];
    assert!(with(&addr, "PATCH", "/endpoints/1001/config", &same, patch).text().contains("ISPBX_WRITES"));
    // A login only goes on to this server's own pages.
    assert_eq!(request_with_body(&addr, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], format!("username=admin&password={password}&next=%2F%2Fevil.example").as_bytes()).header("location"), Some("/"));
    // Logged out, the cookie opens nothing.
    let out = with(&addr, "POST", "/logout", &as_admin, "");
    assert_eq!((out.status, out.header("location")), (303, Some("/login")));
    assert_eq!(with(&addr, "GET", "/endpoints", &as_admin, "").status, 401);

    // The logins, the failed ones and the logout are in the audit log, for admins only.
    let events = with(&addr, "GET", "/changes?kind=access", &[("Authorization", bearer_admin.as_str())], "");
    assert_eq!(events.status, 200, "{}", events.text());
    let seen: Vec<String> = events.json()["changes"].as_array().unwrap().iter().map(|e| format!("{} {}", e["action"].as_str().unwrap(), e["result"].as_str().unwrap())).collect();
    assert_eq!(seen[..5], ["logout ok", "login ok", "login ok", "login_failed refused", "login_failed refused"], "{seen:?}");
    assert!(events.json()["changes"].as_array().unwrap().iter().all(|e| e["kind"] == "access" && e["endpoint"] == ""));
    assert!(!events.text().contains(&password) && !events.text().contains("not-the-password"));
    assert_eq!(with(&addr, "GET", "/changes", &[("Authorization", bearer_admin.as_str())], "").json()["changes"], serde_json::json!([]));
    let viewer2 = token(state.path(), "wallboard", "viewer");
    let bearer2 = format!("Bearer {viewer2}");
    let r = with(&addr, "GET", "/changes?kind=access", &[("Authorization", bearer2.as_str())], "");
    assert_eq!(r.status, 403, "{}", r.text());
    let first = events.json()["changes"][0]["id"].as_i64().unwrap();
    assert_eq!(with(&addr, "GET", &format!("/changes/{first}"), &[("Authorization", bearer2.as_str())], "").status, 404);
    assert_eq!(with(&addr, "GET", &format!("/changes/{first}"), &[("Authorization", bearer_admin.as_str())], "").json()["action"], "logout");
    // Its page says who, what and from where; it is not a change to the PBX.
    let login_event = events.json()["changes"][1]["id"].as_i64().unwrap();
    let page = request(&addr, "GET", &format!("/changes/{login_event}"), &[("Accept", "text/html"), ("Authorization", bearer_admin.as_str())]);
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains(&format!("Access event #{login_event}")) && html.contains("admin logged in") && html.contains("127.0.0.1"), "{html}");
    assert!(!html.contains("Extension") && !html.contains("data-testid=\"steps\""), "{html}");
    assert_eq!(with(&addr, "GET", "/changes?kind=everything", &[("Authorization", bearer_admin.as_str())], "").status, 400);

    // No secret in the log but the first password, said once.
    let log = proc.log();
    assert_eq!(log.matches(&password).count(), 1);
    for secret in [viewer.as_str(), admin.as_str(), session.split('=').nth(1).unwrap()] {
        assert!(!log.contains(secret), "a secret in the log");
    }
}

#[test]
fn anonymous_read_is_for_reading_and_loopback_unless_said_otherwise() {
    let state = tempfile::tempdir().unwrap();
    let (_proc, addr) = serve(state.path(), &[("ISPBX_ANONYMOUS_READ", "on")]);
    assert_eq!(with(&addr, "GET", "/endpoints", &[], "").status, 200);
    assert_eq!(with(&addr, "POST", "/api/get_endpoint", &[("Content-Type", "application/x-www-form-urlencoded")], "extension=1001").status, 200);
    let r = with(&addr, "PATCH", "/endpoints/1001/config", &[], r#"{"set": {"context": "vip"}}"#);
    assert_eq!(r.status, 401, "{}", r.text());

    // Every answer says what a browser may do with it; a page names the nonce its inline scripts carry.
    let json = with(&addr, "GET", "/endpoints", &[], "");
    let page = request(&addr, "GET", "/endpoints", &[("Accept", "text/html")]);
    for r in [&json, &page] {
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("referrer-policy"), Some("same-origin"));
        let csp = r.header("content-security-policy").expect("a CSP");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'") && csp.contains("default-src 'self'"), "{csp}");
    }
    let csp = page.header("content-security-policy").unwrap();
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce in the page's CSP");
    let html = page.text();
    assert!(html.matches("<script").count() >= 1 && html.matches("<script").count() == html.matches(&format!("nonce=\"{nonce}\"")).count(), "{html}");

    // The sixth login attempt in a minute from one address is refused, whoever it names.
    for i in 0..5 {
        assert_eq!(login(&addr, &format!("guess{i}"), "wrong-password-here", &[]).status, 303);
    }
    // Saying it comes from elsewhere does not help: no proxy is trusted here.
    let r = login(&addr, "admin", "wrong-password-here", &[("X-Forwarded-For", "198.51.100.9")]);
    assert_eq!(r.status, 429, "{}", r.text());
    let wait: u64 = r.header("retry-after").and_then(|w| w.parse().ok()).expect("Retry-After in seconds");
    assert!((1..=60).contains(&wait), "{wait}");

    let conf = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/sample-pbx/pjsip.conf");
    let public = std::process::Command::new(env!("CARGO_BIN_EXE_ispbx"))
        .arg("serve")
        .envs([("ISPBX_LISTEN", "0.0.0.0:0"), ("ISPBX_ANONYMOUS_READ", "on"), ("ISPBX_PJSIP_CONF", conf.to_str().unwrap())])
        .env("ISPBX_STATE_DIR", state.path())
        .output()
        .unwrap();
    assert!(!public.status.success());
    let said = format!("{}{}", String::from_utf8_lossy(&public.stdout), String::from_utf8_lossy(&public.stderr));
    assert!(said.contains("--i-know-this-is-public"), "{said}");
}

#[test]
fn each_token_and_address_keeps_to_the_rate() {
    let state = tempfile::tempdir().unwrap();
    let crm = token(state.path(), "crm", "viewer");
    let (proc, addr) = serve(state.path(), &[("ISPBX_RATE_LIMIT", "4/min"), ("ISPBX_ANONYMOUS_READ", "on")]);
    // Anonymous reads from this address: four, then 429 with when to come back.
    for _ in 0..4 {
        assert_eq!(with(&addr, "GET", "/endpoints", &[], "").status, 200);
    }
    let over = with(&addr, "GET", "/endpoints", &[], "");
    assert_eq!(over.status, 429, "{}", over.text());
    assert!(over.json()["detail"].as_str().unwrap().starts_with("Too many requests"), "{}", over.text());
    let wait: u64 = over.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=15).contains(&wait), "one request comes back every 15 s: {wait}");
    // The token has a budget of its own; the probes and the login page count against nobody.
    let bearer = format!("Bearer {crm}");
    for _ in 0..4 {
        assert_eq!(with(&addr, "GET", "/endpoints/1001", &[("Authorization", bearer.as_str())], "").status, 200);
    }
    assert_eq!(with(&addr, "GET", "/endpoints/1001", &[("Authorization", bearer.as_str())], "").status, 429);
    for open in ["/healthz", "/readyz", "/login"] {
        assert_ne!(request(&addr, "GET", open, &[("Accept", "text/html")]).status, 429, "{open}");
    }
    // Guessed tokens are counted against the address that sends them.
    assert_eq!(with(&addr, "GET", "/endpoints", &[("Authorization", "Bearer ispbx_guess")], "").status, 429);
    // One log line per caller refused, however often it is refused.
    let lines = |log: &str, what: &str| log.lines().filter(|l| l.contains("requests over the rate limit") && l.contains(what)).count();
    let log = proc.log();
    assert_eq!((lines(&log, "Address(127.0.0.1)"), lines(&log, "Token(\"crm\")")), (1, 1), "{log}");
}

/// Behind a named proxy, each client it forwards for has its own budget;
/// an X-Forwarded-For from anyone else is not believed.
#[test]
fn clients_behind_a_trusted_proxy_are_counted_apart() {
    let state = tempfile::tempdir().unwrap();
    let (proc, addr) = serve(state.path(), &[("ISPBX_RATE_LIMIT", "3/min"), ("ISPBX_ANONYMOUS_READ", "on"), ("ISPBX_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")]);
    let from = |client: &str| with(&addr, "GET", "/endpoints", &[("X-Forwarded-For", client)], "").status;
    for _ in 0..3 {
        assert_eq!(from("192.0.2.7"), 200);
    }
    assert_eq!(from("192.0.2.7"), 429);
    // The client's own words left of the proxy's are not believed.
    assert_eq!(from("198.51.100.1, 192.0.2.7"), 429);
    assert_eq!(from("192.0.2.8"), 200);
    // Failed logins, and their audit entries, are the client's too.
    for _ in 0..5 {
        assert_eq!(login(&addr, "admin", "wrong-password-here", &[("X-Forwarded-For", "203.0.113.5")]).status, 303);
    }
    assert_eq!(login(&addr, "nobody1", "wrong-password-here", &[("X-Forwarded-For", "203.0.113.5")]).status, 429);
    assert_eq!(login(&addr, "nobody2", "wrong-password-here", &[("X-Forwarded-For", "203.0.113.6")]).status, 303);
    let log = proc.log();
    assert!(log.contains("client=203.0.113.5") && !log.contains("client=127.0.0.1"), "{log}");
}

#[test]
fn admins_manage_accounts_and_tokens_from_the_dashboard_and_viewers_may_not() {
    let state = tempfile::tempdir().unwrap();
    let admin = token(state.path(), "ops", "admin");
    let viewer = token(state.path(), "crm", "viewer");
    let (proc, addr) = serve(state.path(), &[]);
    let call = |bearer: &str, function: &str, form: &str| {
        let auth = format!("Bearer {bearer}");
        request_with_body(&addr, "POST", &format!("/api/{function}"), &[("Authorization", auth.as_str()), ("Content-Type", "application/x-www-form-urlencoded")], form.as_bytes())
    };
    // A viewer is refused every one of them, reading included.
    for (function, form) in [("get_access", ""), ("create_api_token", "name=x&role=admin"), ("add_account", "name=eve&role=admin&password=")] {
        let r = call(&viewer, function, form);
        assert_eq!(r.status, 403, "{function}: {}", r.text());
        assert!(r.text().contains("only an admin may manage accounts and tokens"), "{}", r.text());
    }
    // An admin makes a token; it is in that answer only, and works at once.
    let made = call(&admin, "create_api_token", "name=wallboard&role=viewer&days=30");
    assert_eq!(made.status, 200, "{}", made.text());
    let new_token: String = serde_json::from_slice(&made.body).unwrap();
    assert!(new_token.starts_with("ispbx_"));
    let bearer = format!("Bearer {new_token}");
    assert_eq!(with(&addr, "GET", "/endpoints", &[("Authorization", bearer.as_str())], "").status, 200);
    let overview = call(&admin, "get_access", "");
    assert_eq!(overview.status, 200);
    let o = overview.json();
    let wallboard = o["tokens"].as_array().unwrap().iter().find(|t| t["name"] == "wallboard").unwrap().clone();
    assert_eq!((wallboard["role"].as_str(), wallboard["live"].as_bool()), (Some("viewer"), Some(true)));
    assert!(wallboard["expires"].as_str().is_some());
    assert!(!overview.text().contains(&new_token) && !overview.text().contains("argon2"), "{}", overview.text());
    assert_eq!(call(&admin, "create_api_token", "name=wallboard&role=viewer").status, 409);
    assert_eq!(call(&admin, "create_api_token", "name=x&role=viewer&days=0").status, 400);
    assert_eq!(call(&admin, "create_api_token", "name=x&role=root").status, 400);
    // Revoked, it is refused.
    assert_eq!(call(&admin, "revoke_api_token", "name=wallboard").status, 200);
    assert_eq!(with(&addr, "GET", "/endpoints", &[("Authorization", bearer.as_str())], "").status, 401);
    assert_eq!(call(&admin, "revoke_api_token", "name=wallboard").status, 404);

    // Accounts: a generated password comes back once and logs in.
    let added = call(&admin, "add_account", "name=carol&role=viewer&password=");
    assert_eq!(added.status, 200, "{}", added.text());
    let password: String = serde_json::from_slice::<Option<String>>(&added.body).unwrap().expect("a generated password");
    assert_eq!(login(&addr, "carol", &password, &[]).header("location"), Some("/endpoints/1001"));
    let typed = call(&admin, "add_account", "name=dave&role=admin&password=a-long-typed-password");
    assert_eq!(serde_json::from_slice::<Option<String>>(&typed.body).unwrap(), None, "a typed password is not sent back");
    assert_eq!(call(&admin, "add_account", "name=dave&role=admin&password=a-long-typed-password").status, 409);
    assert_eq!(call(&admin, "add_account", "name=erin&role=viewer&password=short").status, 400);
    assert_eq!(call(&admin, "set_account_role", "name=carol&role=admin").status, 200);
    assert_eq!(call(&admin, "set_account_password", "name=nobody&password=").status, 404);
    assert_eq!(call(&admin, "remove_account", "name=carol").status, 200);
    // The admin made on first start, and dave: dave and admin may go one at a time, never both.
    assert_eq!(call(&admin, "remove_account", "name=dave").status, 200);
    let last = call(&admin, "remove_account", "name=admin");
    assert_eq!(last.status, 409, "{}", last.text());
    assert!(last.text().contains("last admin"));

    // All of it is in the audit log, by the token that did it, without a secret.
    let log = with(&addr, "GET", "/changes?kind=access&limit=200", &[("Authorization", format!("Bearer {admin}").as_str())], "");
    let actions: Vec<String> = log.json()["changes"].as_array().unwrap().iter().filter(|e| e["actor"] == "ops").map(|e| e["action"].as_str().unwrap().to_string()).collect();
    for action in ["token_create", "token_revoke", "user_add", "user_role", "user_remove"] {
        assert!(actions.iter().any(|a| a == action), "{action} not in {actions:?}");
    }
    for secret in [new_token.as_str(), password.as_str(), "a-long-typed-password"] {
        assert!(!log.text().contains(secret));
        assert!(!proc.log().contains(secret), "a secret in the server's log");
    }
}

/// A session is good while its account has the password it logged in with:
/// a new password ends every session of the account (but the one that set
/// its own), and a removed account made again under the same name does not
/// bring back the old one's sessions.
#[test]
fn a_session_ends_with_its_password_and_with_its_account() {
    let state = tempfile::tempdir().unwrap();
    let admin = token(state.path(), "ops", "admin");
    let (_proc, addr) = serve(state.path(), &[]);
    let by_token = |function: &str, form: &str| {
        let auth = format!("Bearer {admin}");
        request_with_body(&addr, "POST", &format!("/api/{function}"), &[("Authorization", auth.as_str()), ("Content-Type", "application/x-www-form-urlencoded")], form.as_bytes())
    };
    let signed_in = |cookie: &str| with(&addr, "GET", "/endpoints", &[("Cookie", cookie)], "").status == 200;
    assert_eq!(by_token("add_account", "name=carol&role=viewer&password=carols-first-password").status, 200);
    let (one, two) = (cookie(&login(&addr, "carol", "carols-first-password", &[])), cookie(&login(&addr, "carol", "carols-first-password", &[])));
    assert!(signed_in(&one) && signed_in(&two));

    assert_eq!(by_token("set_account_password", "name=carol&password=carols-second-password").status, 200);
    assert!(!signed_in(&one) && !signed_in(&two), "a session outlived its password");
    assert!(login(&addr, "carol", "carols-first-password", &[]).header("set-cookie").is_none_or(|c| c.contains("Max-Age=0")));
    let three = cookie(&login(&addr, "carol", "carols-second-password", &[]));
    assert!(signed_in(&three));

    assert_eq!(by_token("remove_account", "name=carol").status, 200);
    assert!(!signed_in(&three));
    assert_eq!(by_token("add_account", "name=carol&role=admin&password=carols-second-password").status, 200);
    assert!(!signed_in(&three), "a removed account's session came back with a new account of its name");

    // An admin who sets their own password stays signed in where they did it.
    assert_eq!(by_token("add_account", "name=dave&role=admin&password=daves-first-password").status, 200);
    let (here, elsewhere) = (cookie(&login(&addr, "dave", "daves-first-password", &[])), cookie(&login(&addr, "dave", "daves-first-password", &[])));
    let form = [("Cookie", here.as_str()), ("Content-Type", "application/x-www-form-urlencoded"), ("Sec-Fetch-Site", "same-origin")];
    let set = request_with_body(&addr, "POST", "/api/set_account_password", &form, b"name=dave&password=daves-second-password");
    assert_eq!(set.status, 200, "{}", set.text());
    assert!(!signed_in(&elsewhere), "another session outlived the password it logged in with");
    // A new session id comes with the new key; the old id is gone.
    let renewed = cookie(&set);
    assert_ne!(renewed, here);
    assert!(signed_in(&renewed) && !signed_in(&here));
}

/// Every route and page, asked by nobody, a viewer and an admin, each with a
/// token and with a session: the status each gets. Writes are on and no
/// Asterisk is configured, so an admin's change is refused for that (503),
/// after the gate let it through.
#[test]
fn every_route_and_page_for_each_role() {
    let dir = common::config_copy();
    let state = tempfile::tempdir().unwrap();
    let viewer_token = token(state.path(), "crm", "viewer");
    let admin_token = token(state.path(), "ops", "admin");
    let add = |name: &str, role: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ispbx"))
            .args(["user", "add", name, "--role", role])
            .env("ISPBX_STATE_DIR", state.path())
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"a-long-enough-password\n").unwrap();
        assert!(child.wait().unwrap().success());
    };
    add("vera", "viewer");
    add("adam", "admin");
    let conf = dir.path().join("pjsip.conf");
    let (_proc, addr) = serve(state.path(), &[("ISPBX_PJSIP_CONF", conf.to_str().unwrap()), ("ISPBX_WRITES", "on")]);
    let session = |user: &str| cookie(&login(&addr, user, "a-long-enough-password", &[]));
    let (vera, adam) = (session("vera"), session("adam"));
    let (vera_id, adam_id) = (vera.split('=').nth(1).unwrap(), adam.split('=').nth(1).unwrap());
    let origin = format!("http://{addr}");
    let (vt, at) = (format!("Bearer {viewer_token}"), format!("Bearer {admin_token}"));
    // (who, headers)
    let callers: [(&str, Vec<(&str, &str)>); 5] = [
        ("nobody", vec![]),
        ("viewer token", vec![("Authorization", vt.as_str())]),
        ("admin token", vec![("Authorization", at.as_str())]),
        ("viewer session", vec![("Cookie", vera.as_str()), ("Origin", origin.as_str())]),
        ("admin session", vec![("Cookie", adam.as_str()), ("Origin", origin.as_str())]),
    ];
    let form = "application/x-www-form-urlencoded";
    // (method, target, accept, content type, body, [nobody, viewer token, admin token, viewer session, admin session])
    type Row<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, [u16; 5]);
    let table: &[Row] = &[
        ("GET", "/", "application/json", "", "", [401, 200, 200, 200, 200]),
        ("GET", "/endpoints", "application/json", "", "", [401, 200, 200, 200, 200]),
        ("GET", "/endpoints/1001", "application/json", "", "", [401, 200, 200, 200, 200]),
        ("GET", "/endpoints/1001/config", "application/json", "", "", [401, 200, 200, 200, 200]),
        ("GET", "/endpoints/nope", "application/json", "", "", [401, 404, 404, 404, 404]),
        ("GET", "/changes", "application/json", "", "", [401, 200, 200, 200, 200]),
        ("GET", "/changes?kind=access", "application/json", "", "", [401, 403, 200, 403, 200]),
        // Entry 1 is the token made above: an access event, there for admins only.
        ("GET", "/changes/1", "application/json", "", "", [401, 404, 200, 404, 200]),
        ("GET", "/openapi.json", "application/json", "", "", [401, 200, 200, 200, 200]),
        ("GET", "/metrics", "text/plain", "", "", [401, 200, 200, 200, 200]),
        ("POST", "/changes/preview", "application/json", "application/json", r#"{"extension":"1001","set":{"context":"vip"}}"#, [401, 200, 200, 200, 200]),
        ("PATCH", "/endpoints/1001/config", "application/json", "application/json", r#"{"set":{"context":"vip"}}"#, [401, 403, 503, 403, 503]),
        ("POST", "/endpoints", "application/json", "application/json", r#"{"extension":"1077","template":"endpoint-tpl"}"#, [401, 403, 503, 403, 503]),
        ("DELETE", "/endpoints/1002", "application/json", "", "", [401, 403, 503, 403, 503]),
        ("POST", "/changes/1/revert", "application/json", "", "", [401, 403, 400, 403, 400]),
        ("POST", "/api/whoami", "application/json", form, "", [401, 200, 200, 200, 200]),
        ("POST", "/api/get_access", "application/json", form, "", [401, 403, 200, 403, 200]),
        ("POST", "/api/revoke_api_token", "application/json", form, "name=nope", [401, 403, 404, 403, 404]),
        // Taken and recorded; the change itself is then refused (no Asterisk), on its page.
        ("POST", "/api/apply_option", "application/json", form, "extension=1001&object=endpoint&option=context&value=vip&scope=&version=x", [401, 403, 200, 403, 200]),
        // Pages, as a browser asks for them.
        ("GET", "/", "text/html", "", "", [303, 200, 200, 200, 200]),
        ("GET", "/endpoints/1001", "text/html", "", "", [303, 200, 200, 200, 200]),
        ("GET", "/endpoints/1001/edit?object=endpoint&option=context&value=vip", "text/html", "", "", [303, 200, 200, 200, 200]),
        ("GET", "/endpoints/1001/delete", "text/html", "", "", [303, 200, 200, 200, 200]),
        ("GET", "/new-extension", "text/html", "", "", [303, 200, 200, 200, 200]),
        ("GET", "/changes", "text/html", "", "", [303, 200, 200, 200, 200]),
        ("GET", "/access", "text/html", "", "", [303, 403, 200, 403, 200]),
        ("GET", "/docs", "text/html", "", "", [303, 200, 200, 200, 200]),
        // Open to all.
        ("GET", "/healthz", "application/json", "", "", [200, 200, 200, 200, 200]),
        ("GET", "/login", "text/html", "", "", [200, 200, 200, 200, 200]),
    ];
    let mut wrong = Vec::new();
    for (method, target, accept, content_type, body, expected) in table {
        for ((who, auth), want) in callers.iter().zip(expected) {
            let mut h = vec![("Accept", *accept)];
            if !content_type.is_empty() {
                h.push(("Content-Type", content_type));
            }
            h.extend(auth.iter().copied());
            let r = request_with_body(&addr, method, target, &h, body.as_bytes());
            // No page or answer, hydration payload included, carries a secret.
            let text = r.text();
            for secret in [viewer_token.as_str(), admin_token.as_str(), vera_id, adam_id, "$argon2", "a-long-enough-password"] {
                assert!(!text.contains(secret), "{method} {target} as {who} shows a secret");
            }
            if r.status != *want {
                wrong.push(format!("{method} {target} ({accept}) as {who}: {} not {want}: {}", r.status, r.text().chars().take(120).collect::<String>()));
            }
            // An API client that is refused is told why, in the specification's
            // shape (server functions are the dashboard's own calls, in Leptos's).
            if accept.contains("json") && r.status >= 400 && !target.starts_with("/api/") {
                assert!(r.json()["detail"].is_string(), "{method} {target} as {who}: {}", r.text());
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
