//! What `contrib/` ships is well-formed: systemd accepts the unit as written.
#![cfg(feature = "ssr")]

use std::path::Path;
use std::process::Command;

#[test]
fn systemd_accepts_the_service_unit() {
    let Ok(v) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("skipped: no systemd-analyze on this machine");
        return;
    };
    assert!(v.status.success());
    let unit = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/ispbx.service")).unwrap();
    // The unit names the installed binary; verify it against the one just built.
    let unit = unit.replace("/usr/local/bin/ispbx", env!("CARGO_BIN_EXE_ispbx"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ispbx.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze").arg("verify").arg(&path).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let problems: Vec<&str> = said.lines().filter(|l| l.contains("ispbx.service")).collect();
    assert!(out.status.success() && problems.is_empty(), "{said}");
}
