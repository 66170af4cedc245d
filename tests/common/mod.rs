//! Helpers shared by the integration tests: where the recorded Asterisk truth
//! lives (`tests/fixtures`, byte-exact copies of Asterisk 22.10.1's answers).
#![allow(dead_code)]

pub mod ami_tap;
pub mod asterisk;
pub mod fidelity;
pub mod serve;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(rel: &str) -> PathBuf {
    fixtures().join(rel)
}

/// The fixture config (`tests/fixtures/pjsip/*.conf`) copied to a directory a test may edit.
pub fn config_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture("pjsip")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "conf") {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    dir
}

pub fn read(rel: &str) -> Vec<u8> {
    let p = fixture(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {} unreadable: {e}", p.display()))
}

/// GetConfig's answer as (category, templates, [(key, value)]) in order.
pub type GetConfigSection = (String, Vec<String>, Vec<(String, String)>);

pub fn parse_getconfig(raw: &[u8]) -> Vec<GetConfigSection> {
    let text = String::from_utf8_lossy(raw);
    let mut out: Vec<GetConfigSection> = Vec::new();
    for line in text.split("\r\n") {
        let Some((k, v)) = line.split_once(": ") else { continue };
        if k.starts_with("Category-") {
            out.push((v.to_string(), Vec::new(), Vec::new()));
        } else if k.starts_with("Templates-") {
            out.last_mut().unwrap().1 = v.split(',').map(str::to_string).collect();
        } else if k.starts_with("Line-") {
            let (name, value) = v.split_once('=').unwrap();
            out.last_mut().unwrap().2.push((name.to_string(), value.to_string()));
        }
    }
    out
}

/// A bound on a broken test, not a timing assertion.
const UPDATE_WAIT: Duration = Duration::from_secs(10);

/// The next update the AMI supervisor publishes that satisfies `pred`.
pub async fn next_update(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<ispbx::ami::supervisor::Update>,
    what: &str,
    pred: impl Fn(&ispbx::ami::supervisor::Update) -> bool,
) -> ispbx::ami::supervisor::Update {
    tokio::time::timeout(UPDATE_WAIT, async {
        loop {
            let u = rx.recv().await.expect("the supervisor runs");
            if pred(&u) {
                return u;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no update: {what}"))
}

/// Children die with the test thread that started them, even on SIGKILL of the test.
pub fn die_with_parent(cmd: &mut Command) -> &mut Command {
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        })
    }
}


/// A new admin API token in `state` (the state directory a server will use).
pub fn admin_token(state: &std::path::Path) -> String {
    token(state, "tests-admin", "admin")
}

/// A new API token `name` with `role` in `state`.
pub fn token(state: &std::path::Path, name: &str, role: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ispbx"))
        .args(["token", "create", name, "--role", role])
        .env("ISPBX_STATE_DIR", state)
        .output()
        .expect("run ispbx token create");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
