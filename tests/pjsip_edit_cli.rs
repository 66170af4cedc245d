//! `ispbx pjsip set|unset|add|delete`: dry runs print the exact diff and
//! write nothing; --write applies it; each failure has its exit code.
#![cfg(feature = "ssr")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ispbx(args: &[&str], state: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ispbx")).args(args).env("ISPBX_STATE_DIR", state).output().expect("run ispbx")
}

/// A copy of the fixture config (the one Asterisk's recordings were made from).
fn fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(common::fixtures().join("pjsip")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let root = dir.path().join("pjsip.conf");
    (dir, root)
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_dry_run_prints_the_exact_diff_and_writes_nothing() {
    let (dir, root) = fixture();
    let state = tempfile::tempdir().unwrap();
    let before = snapshot(dir.path());
    let r = root.display().to_string();
    let out = ispbx(&["pjsip", "set", &r, "1001", "--type", "endpoint", "context=vip"], state.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("--- {r}\n+++ {r}\n@@ -103,6 +103,7 @@\n aors=1001\n callerid=\"Alice Anders\" <1001>\n mailboxes=1001@default\n+context=vip\n \n [1001](auth-tpl)\n username=1001\n")
    );
    assert!(text(&out.stderr).contains("dry run: nothing written"));
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn a_refused_secret_is_not_repeated_back() {
    let (_dir, root) = fixture();
    let state = tempfile::tempdir().unwrap();
    let r = root.display().to_string();
    let digest = "0123456789abcdef0123456789abcde"; // 31 characters: Asterisk refuses it
    for (args, secret) in [
        (vec!["pjsip", "set", &r, "1001", "--type", "auth", "md5_cred=0123456789abcdef0123456789abcde"], digest),
        (vec!["pjsip", "set", &r, "1001", "--type", "auth", "password= Hunter2-secret"], "Hunter2-secret"),
        (vec!["pjsip", "set", &r, "1001", "--type", "auth", "password:Typo-secret"], "Typo-secret"),
    ] {
        let out = ispbx(&args, state.path());
        assert_ne!(out.status.code(), Some(0));
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains(secret), "{args:?}: {all}");
    }
}

#[test]
fn an_extension_is_created_changed_and_deleted_leaving_the_config_as_it_was() {
    let (dir, root) = fixture();
    let state = tempfile::tempdir().unwrap();
    let before = snapshot(dir.path());
    let r = root.display().to_string();

    let out = ispbx(&["pjsip", "add", &r, "1007", "-t", "endpoint-tpl", "--trio", "--write"], state.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let password = stdout.lines().find_map(|l| l.strip_prefix("password for auth 1007: ")).expect("the password, once").to_string();
    assert_eq!(password.len(), 20);
    assert!(!text(&out.stderr).contains(&password) && stdout.matches(&password).count() == 1, "shown once, on stdout");
    assert!(stdout.contains("+[1007](endpoint-tpl)\n+auth=1007\n+aors=1007\n+\n+[1007](auth-tpl)\n+username=1007\n+password=********\n+\n+[1007](aor-tpl)\n"), "{stdout}");
    let on_disk = text(&std::fs::read(&root).unwrap());
    assert!(on_disk.ends_with(&format!("[1007](auth-tpl)\nusername=1007\npassword={password}\n\n[1007](aor-tpl)\n")), "{on_disk}");

    let check = ispbx(&["pjsip", "check", &r], state.path());
    assert!(text(&check.stderr).contains("15 endpoint"), "{}", text(&check.stderr));

    for args in [
        &["pjsip", "set", &r, "1007", "--type", "endpoint", "context=vip", "allow+=g722", "--write"][..],
        &["pjsip", "unset", &r, "1007", "--type", "endpoint", "context", "--write"],
        &["pjsip", "set", &r, "1007", "--type", "endpoint", "allow-=g722", "--write"],
    ] {
        let out = ispbx(args, state.path());
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
    }
    let out = ispbx(&["pjsip", "delete", &r, "1007", "--type", "endpoint", "--trio", "--write"], state.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(snapshot(dir.path()), before, "byte for byte");
    let backups = std::fs::read_dir(state.path().join("backups")).unwrap().next().unwrap().unwrap().path();
    assert_eq!(std::fs::read_dir(backups).unwrap().count(), 5);
}

#[test]
fn each_failure_has_its_exit_code_and_says_why() {
    let (dir, root) = fixture();
    let state = tempfile::tempdir().unwrap();
    let before = snapshot(dir.path());
    let r = root.display().to_string();
    let cases: [(&[&str], i32, &str); 6] = [
        (&["pjsip", "set", &r, "1001", "--type", "endpoint", "dtmf_mode=tones", "--write"], 1, "'tones' is not one of info, rfc4733, inband, none, auto, auto_info"),
        (&["pjsip", "set", &r, "1001", "--type", "endpoint", "alow=ulaw"], 1, "endpoint has no option 'alow'"),
        (&["pjsip", "set", &r, "9999", "context=x"], 1, "no section named '9999'"),
        (&["pjsip", "delete", &r, "1001", "--type", "aor", "--write"], 1, "endpoint '1001' (aors="),
        (&["pjsip", "set", &r, "1001", "context"], 2, "an argument is not KEY=VALUE"),
        (&["pjsip", "set", "/nonexistent/pjsip.conf", "1001", "context=x"], 4, "cannot read /nonexistent/pjsip.conf"),
    ];
    for (args, code, says) in cases {
        let out = ispbx(args, state.path());
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(says), "{args:?}: {}", text(&out.stderr));
    }
    assert_eq!(snapshot(dir.path()), before);
}
