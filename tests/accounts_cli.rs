//! `ispbx user …` and `ispbx token …` on a state directory of their own:
//! passwords come from stdin (never a flag), a token is printed alone, once,
//! and neither is kept in the clear.
#![cfg(feature = "ssr")]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn ispbx(args: &[&str], state: &Path, stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ispbx"))
        .args(args)
        .env("ISPBX_STATE_DIR", state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ispbx");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn users_and_tokens_from_the_command_line() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    let out = ispbx(&["user", "add", "alice", "--role", "admin"], s, "Alice-Long-Password-1\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = ispbx(&["user", "add", "bob"], s, "short\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("12 to 1024 characters"), "{}", text(&out.stderr));
    let out = ispbx(&["user", "add", "alice"], s, "Another-Long-Password\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("exists already"));
    assert!(ispbx(&["user", "add", "carol"], s, "Carol-Long-Password-2\n").status.success());
    let list = text(&ispbx(&["user", "list"], s, "").stdout);
    let rows: Vec<(&str, &str)> = list.lines().map(|l| { let f: Vec<&str> = l.split('\t').collect(); (f[0], f[1]) }).collect();
    assert_eq!(rows, [("alice", "admin"), ("carol", "viewer")], "{list}");
    assert!(ispbx(&["user", "passwd", "carol"], s, "Carol-New-Password-3\n").status.success());
    assert_eq!(ispbx(&["user", "passwd", "dave"], s, "Dave-Long-Password-4\n").status.code(), Some(1));
    // Roles change; the last admin cannot stop being one, nor go.
    let out = ispbx(&["user", "role", "alice", "--role", "viewer"], s, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("last admin"), "{}", text(&out.stderr));
    assert_eq!(ispbx(&["user", "remove", "alice"], s, "").status.code(), Some(1));
    assert!(ispbx(&["user", "role", "carol", "--role", "admin"], s, "").status.success());
    assert!(text(&ispbx(&["user", "list"], s, "").stdout).contains("carol\tadmin"));
    assert!(ispbx(&["user", "role", "carol", "--role", "viewer"], s, "").status.success());
    assert!(ispbx(&["user", "remove", "carol"], s, "").status.success());
    assert_eq!(ispbx(&["user", "remove", "carol"], s, "").status.code(), Some(1));

    let out = ispbx(&["token", "create", "crm", "--role", "viewer"], s, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout);
    let token = token.strip_suffix('\n').expect("one line");
    assert!(token.starts_with("ispbx_") && !token.contains(char::is_whitespace), "{token:?}");
    assert_eq!(ispbx(&["token", "create", "crm"], s, "").status.code(), Some(1));
    let list = text(&ispbx(&["token", "list"], s, "").stdout);
    assert!(list.starts_with("crm\tviewer\t") && list.contains("last used never") && !list.contains(token), "{list}");
    assert!(ispbx(&["token", "revoke", "crm"], s, "").status.success());
    assert!(text(&ispbx(&["token", "list"], s, "").stdout).contains("revoked"));
    let out = ispbx(&["token", "create", "nightly", "--expires-in", "90d"], s, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&ispbx(&["token", "list"], s, "").stdout);
    let nightly = list.lines().find(|l| l.starts_with("nightly\t")).unwrap_or_default();
    assert!(nightly.contains("\texpires 20") && nightly.ends_with("last used never"), "{list}");
    assert!(list.lines().any(|l| l.starts_with("crm\t") && l.contains("never expires")), "{list}");
    let out = ispbx(&["token", "create", "x", "--expires-in", "1w"], s, "");
    assert_eq!(out.status.code(), Some(2), "clap refuses it");
    assert!(text(&out.stderr).contains("90d, 12h, 30m"), "{}", text(&out.stderr));

    // Nothing in the clear on disk.
    for entry in std::fs::read_dir(s).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let t = String::from_utf8_lossy(&bytes);
        for secret in ["Alice-Long-Password-1", "Carol-New-Password-3", token] {
            assert!(!t.contains(secret), "{secret} on disk");
        }
    }
    let dir_mode = std::fs::metadata(s.join("ispbx.db")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(dir_mode.permissions().mode() & 0o777, 0o600);
}
