//! The option table is exactly what Asterisk's source registers: the
//! generator is run again on the source and must produce the committed file.
//! Without the source (a clone on its own) the check is skipped, except in
//! CI, where the source is always beside the clone.
#![cfg(feature = "ssr")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn source() -> Option<PathBuf> {
    let dir = std::env::var_os("ISPBX_ASTERISK_SOURCES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/asterisk"));
    let tarball = dir.join("asterisk-22.10.1.tar.gz");
    tarball.exists().then_some(tarball)
}

#[test]
fn the_option_table_is_what_the_asterisk_source_registers() {
    let Some(tarball) = source() else {
        assert!(std::env::var("CI").is_err(), "CI runs beside ../shared/asterisk: its source tarball is missing");
        eprintln!("skipped: no Asterisk 22.10.1 source (../shared/asterisk or ISPBX_ASTERISK_SOURCES)");
        return;
    };
    let out = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen-option-table.py"))
        .arg("--check")
        .arg("--source")
        .arg(&tarball)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "src/pjsip/option_table.rs differs from what {} registers; regenerate it with python3 scripts/gen-option-table.py:\n{}{}",
        tarball.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
