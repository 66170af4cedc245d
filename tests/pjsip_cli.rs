//! `ispbx pjsip resolve|check`: the CLI contract of the config engine.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn ispbx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ispbx")).args(args).output().expect("run ispbx")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn resolve_prints_sections_objects_and_diagnostics() {
    let conf = common::fixtures().join("pjsip/pjsip.conf");
    let out = ispbx(&["pjsip", "resolve", conf.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let obj = json.as_object().unwrap();
    let mut keys: Vec<_> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["diagnostics", "objects", "sections"]);
    let s0 = &json["sections"][0];
    for key in ["name", "templates", "file", "line", "variables"] {
        assert!(s0.get(key).is_some(), "section lacks {key}");
    }
    assert!(s0["variables"][0].get("key").is_some() && s0["variables"][0].get("value").is_some());
    assert!(json["objects"].as_array().unwrap().iter().any(|o| o["type"] == "endpoint" && o["name"] == "1001"));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("Alice-1001-pass"));
}

#[test]
fn show_secrets_prints_what_asterisk_reads_as_the_password_with_a_warning() {
    let conf = common::fixtures().join("pjsip/pjsip.conf");
    let conf = conf.to_str().unwrap();
    let redacted = ispbx(&["pjsip", "resolve", conf]);
    let shown = ispbx(&["pjsip", "resolve", "--show-secrets", conf]);
    assert_eq!(shown.status.code(), Some(0));
    let (redacted, stdout, stderr) =
        (String::from_utf8(redacted.stdout).unwrap(), String::from_utf8(shown.stdout).unwrap(), String::from_utf8(shown.stderr).unwrap());
    assert!(!redacted.contains("Carol;1003;pass") && redacted.contains("********"));
    // The escaped `\;` is part of the password; Asterisk reads it unescaped.
    assert!(stdout.contains("\"Carol;1003;pass\"") && stdout.contains("Alice-1001-pass"), "{stdout}");
    assert!(!stdout.contains("********"));
    assert!(stderr.contains("warning") && stderr.contains("clear text"), "{stderr}");
}

#[test]
fn resolve_exits_1_when_asterisk_would_reject_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let conf = write(dir.path(), "pjsip.conf", "[a]\ntype=endpoint\n#include missing.conf\n");
    let out = ispbx(&["pjsip", "resolve", &conf]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &json["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["line"], 3);
    assert!(d["file"].as_str().unwrap().ends_with("pjsip.conf"));
    assert!(d["message"].as_str().unwrap().contains("missing.conf"));
}

#[test]
fn check_is_quiet_and_zero_on_a_clean_config() {
    let conf = common::fixtures().join("pjsip/pjsip.conf");
    let out = ispbx(&["pjsip", "check", conf.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn check_names_file_and_line_and_fails_on_a_rejected_object() {
    let dir = tempfile::tempdir().unwrap();
    let conf = write(dir.path(), "pjsip.conf", "[a]\ntype=endpoint\nalow=ulaw\n");
    let out = ispbx(&["pjsip", "check", &conf]);
    assert_ne!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("{conf}:3: error: Could not find option suitable")), "{text}");
}

#[test]
fn check_on_a_missing_file_fails_clearly() {
    let out = ispbx(&["pjsip", "check", "/nonexistent/pjsip.conf"]);
    assert_ne!(out.status.code(), Some(0));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("/nonexistent/pjsip.conf"), "{all}");
}
