//! HTTPS without a proxy: the server serves the certificate it is given,
//! tells browsers to keep to HTTPS, marks its session cookie `Secure`, and
//! serves a renewed certificate without a restart, keeping the old one
//! while a renewal cannot be read.
#![cfg(feature = "ssr")]

mod common;

use common::serve::{request_over, Proc, Reply};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Cert {
    pem: String,
    key: String,
    der: Vec<u8>,
}

fn cert() -> Cert {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    Cert { pem: made.cert.pem(), key: made.key_pair.serialize_pem(), der: made.cert.der().to_vec() }
}

/// A client that trusts `trusted` only; the certificate the server showed, and its answer.
fn https(addr: &str, trusted: &[&Cert], method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<(Vec<u8>, Reply), String> {
    let mut roots = rustls::RootCertStore::empty();
    for c in trusted {
        roots.add(rustls::pki_types::CertificateDer::from(c.der.clone())).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).map_err(|e| e.to_string())?;
    }
    let shown = tls.conn.peer_certificates().and_then(|c| c.first()).map(|c| c.to_vec()).unwrap_or_default();
    let reply = request_over(&mut tls, addr, method, target, headers, body);
    Ok((shown, reply))
}

fn write(dir: &Path, c: &Cert) {
    // Key first, as a renewal tool that writes two files does; the server copes with either order.
    std::fs::write(dir.join("key.pem"), &c.key).unwrap();
    std::fs::write(dir.join("cert.pem"), &c.pem).unwrap();
}

fn serve(dir: &Path) -> Proc {
    let conf = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/sample-pbx/pjsip.conf");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    Proc::spawn(
        &["serve"],
        &[
            ("ISPBX_LISTEN", "127.0.0.1:0"),
            ("ISPBX_PJSIP_CONF", conf.to_str().unwrap()),
            ("ISPBX_ANONYMOUS_READ", "off"),
            ("ISPBX_TLS_CERT", cert.to_str().unwrap()),
            ("ISPBX_TLS_KEY", key.to_str().unwrap()),
        ],
    )
}

#[test]
fn https_with_hsts_secure_cookies_and_renewal_without_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = cert();
    write(dir.path(), &first);
    let proc = serve(dir.path());
    let addr = proc.wait_for("listening on https://").split_whitespace().next().unwrap().to_string();

    let (shown, health) = https(&addr, &[&first], "GET", "/healthz", &[], b"").unwrap();
    assert_eq!(shown, first.der);
    assert_eq!(health.status, 200);
    assert_eq!(health.header("strict-transport-security"), Some("max-age=31536000"));
    // Plain HTTP on the TLS port gets no page.
    let plain = std::panic::catch_unwind(|| common::serve::request(&addr, "GET", "/healthz", &[]));
    assert!(plain.map_or(true, |r| r.status != 200), "plain HTTP answered");

    // The session cookie is Secure.
    let password = proc.log().split("user 'admin', password ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_string();
    let form = format!("username=admin&password={password}");
    let (_, login) = https(&addr, &[&first], "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], form.as_bytes()).unwrap();
    assert_eq!(login.status, 303);
    let cookie = login.header("set-cookie").unwrap();
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");

    // A renewed certificate is served without a restart.
    let second = cert();
    write(dir.path(), &second);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (shown, r) = https(&addr, &[&first, &second], "GET", "/healthz", &[], b"").unwrap();
        assert_eq!(r.status, 200);
        if shown == second.der {
            break;
        }
        assert!(Instant::now() < deadline, "the renewed certificate was not served");
        std::thread::sleep(Duration::from_millis(100));
    }
    proc.wait_for("serving the renewed TLS certificate");
    // A renewal that cannot be read: the one served stays, and the log says why.
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    proc.wait_for("the previous certificate is still served");
    let (shown, r) = https(&addr, &[&second], "GET", "/healthz", &[], b"").unwrap();
    assert_eq!((shown, r.status), (second.der.clone(), 200));
    // No key in the log.
    assert!(!proc.log().contains("PRIVATE KEY"));
}

#[test]
fn a_certificate_that_cannot_be_read_stops_the_start_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), "garbage").unwrap();
    std::fs::write(dir.path().join("key.pem"), "garbage").unwrap();
    let conf = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/sample-pbx/pjsip.conf");
    let state = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ispbx"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("ISPBX_PJSIP_CONF", &conf)
        .env("ISPBX_STATE_DIR", state.path())
        .env("ISPBX_TLS_CERT", dir.path().join("cert.pem"))
        .env("ISPBX_TLS_KEY", dir.path().join("key.pem"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read the TLS certificate") && err.contains("cert.pem"), "{err}");
    // One of the two alone is refused by the command line.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ispbx"))
        .args(["serve", "--tls-cert", "/nonexistent.pem"])
        .env("ISPBX_STATE_DIR", state.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
}
