//! Writing edits: a stale view is refused, writers take turns across
//! processes, owner and mode survive, backups are kept and pruned, and a
//! writer killed at any step leaves the old file or the new one.
#![cfg(feature = "ssr")]

use ispbx::pjsip::edit::{edit, Change, Edited, Target};
use ispbx::pjsip::store::{Step, Store, StoreError};
use ispbx::pjsip::version::Version;
use ispbx::pjsip::PjsipConfig;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn sample(dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-pbx");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    dir.join("pjsip.conf")
}

fn set_context(cfg: &PjsipConfig, value: &str) -> Edited {
    let change = Change::Set { target: Target::new("1001", Some("endpoint")), key: "context".into(), value: value.into() };
    edit(cfg, &[change]).unwrap()
}

fn store(state: &Path) -> Store {
    Store { lock_wait: Duration::from_millis(100), ..Store::new(state) }
}

#[test]
fn an_edit_made_on_a_stale_view_is_refused_naming_the_changed_file() {
    let (etc, state) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let root = sample(etc.path());
    let cfg = PjsipConfig::load(&root);
    let e = set_context(&cfg, "vip");
    let trunks = etc.path().join("pjsip_trunks.conf");
    let mut text = std::fs::read(&trunks).unwrap();
    text.extend_from_slice(b"; edited by hand meanwhile\n");
    std::fs::write(&trunks, &text).unwrap();
    let err = store(state.path()).write(&cfg, &e.files).unwrap_err();
    let StoreError::Conflict { changed } = &err else { panic!("{err}") };
    assert_eq!(changed, &vec![trunks.clone()]);
    assert!(err.to_string().contains("pjsip_trunks.conf"), "{err}");
    assert_eq!(std::fs::read(etc.path().join("pjsip_users.conf")).unwrap(), e.files[0].before, "nothing written");
}

#[test]
fn a_write_keeps_owner_group_and_mode_and_backs_up_the_old_file() {
    let (etc, state) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let root = sample(etc.path());
    let users = etc.path().join("pjsip_users.conf");
    std::fs::set_permissions(&users, std::fs::Permissions::from_mode(0o640)).unwrap();
    // Asterisk's files belong to asterisk:asterisk; root (these tests' user here) can give a file away.
    let owned = std::os::unix::fs::chown(&users, Some(4242), Some(4343)).is_ok();
    let cfg = PjsipConfig::load(&root);
    let e = set_context(&cfg, "vip");
    let written = store(state.path()).write(&cfg, &e.files).unwrap();
    assert_eq!(std::fs::read(&users).unwrap(), e.files[0].after);
    let meta = std::fs::metadata(&users).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o640);
    if owned {
        assert_eq!((meta.uid(), meta.gid()), (4242, 4343));
    }
    assert_eq!(written.backups.len(), 1);
    assert_eq!(std::fs::read(&written.backups[0]).unwrap(), e.files[0].before);
    assert_eq!(std::fs::metadata(&written.backups[0]).unwrap().mode() & 0o777, 0o600, "backups hold passwords");
    assert_eq!(written.version, Version::of(&PjsipConfig::load(&root)));
}

#[test]
fn only_the_newest_backups_are_kept() {
    let (etc, state) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let root = sample(etc.path());
    let s = Store { keep: 3, ..store(state.path()) };
    let mut last_before = Vec::new();
    for i in 0..6 {
        let cfg = PjsipConfig::load(&root);
        let e = set_context(&cfg, &format!("ctx{i}"));
        last_before = e.files[0].before.clone();
        s.write(&cfg, &e.files).unwrap();
    }
    let dir = std::fs::read_dir(state.path().join("backups")).unwrap().next().unwrap().unwrap().path();
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    backups.sort();
    assert_eq!(backups.len(), 3);
    assert_eq!(std::fs::read(backups.last().unwrap()).unwrap(), last_before);
}

#[test]
fn a_second_writer_waits_for_the_first_and_says_so_when_it_waits_too_long() {
    let (etc, state) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let root = sample(etc.path());
    let cfg = PjsipConfig::load(&root);
    let e = set_context(&cfg, "vip");
    // Another writer (any process: flock is per open file) holds the directory.
    let held = std::fs::File::open(etc.path()).unwrap();
    held.lock().unwrap();
    let err = store(state.path()).write(&cfg, &e.files).unwrap_err();
    assert!(matches!(err, StoreError::Busy { .. }), "{err}");
    assert_eq!(std::fs::read(etc.path().join("pjsip_users.conf")).unwrap(), e.files[0].before);
    held.unlock().unwrap();
    store(state.path()).write(&cfg, &e.files).unwrap();
}

const STEPS: [(&str, Step); 7] = [
    ("locked", Step::Locked),
    ("backed-up", Step::BackedUp),
    ("temp-written", Step::TempWritten),
    ("temp-synced", Step::TempSynced),
    ("journaled", Step::Journaled),
    ("renamed", Step::Renamed),
    ("dir-synced", Step::DirSynced),
];

/// An edit of two files: a template in pjsip.conf and an endpoint in pjsip_users.conf.
fn two_files(cfg: &PjsipConfig, tag: &str) -> Edited {
    let changes = [
        Change::Set { target: Target::new("1001", Some("endpoint")), key: "context".into(), value: format!("ctx-{tag}") },
        Change::Set { target: Target::new("phone", Some("template")), key: "language".into(), value: "fr".into() },
    ];
    edit(cfg, &changes).unwrap()
}

/// Run in a child process by the test below: writes, and dies at one step
/// (the first time it comes: with two files, between their renames).
#[test]
#[ignore = "run by a_writer_killed_at_any_step_leaves_every_file_old_or_every_file_new"]
fn crash_child() {
    let (Ok(dir), Ok(step)) = (std::env::var("ISPBX_CRASH_DIR"), std::env::var("ISPBX_CRASH_AT")) else { return };
    let step = STEPS.iter().find(|(n, _)| *n == step).expect("a step").1;
    let root = Path::new(&dir).join("etc/pjsip.conf");
    let cfg = PjsipConfig::load(&root);
    let e = two_files(&cfg, "after-crash");
    let s = Store::new(Path::new(&dir).join("state"));
    let _ = s.write_observed(&cfg, &e.files, &mut |at, _| {
        if at == step {
            // As a kill -9 would: no unwinding, no destructors, no flush.
            std::process::abort();
        }
    });
}

#[test]
fn a_writer_killed_at_any_step_leaves_every_file_old_or_every_file_new() {
    for (name, step) in STEPS {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        let root = sample(&dir.path().join("etc"));
        let read = |f: &str| std::fs::read(dir.path().join("etc").join(f)).unwrap();
        let files = ["pjsip.conf", "pjsip_users.conf"];
        let old: Vec<Vec<u8>> = files.iter().map(|f| read(f)).collect();
        let edited = two_files(&PjsipConfig::load(&root), "after-crash");
        assert_eq!(edited.files.len(), 2);
        let new: Vec<Vec<u8>> = files.iter().map(|f| edited.files.iter().find(|c| c.path.ends_with(f)).unwrap().after.clone()).collect();
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env("ISPBX_CRASH_DIR", dir.path())
            .env("ISPBX_CRASH_AT", name)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "{name}: the child was to die");
        // Each file is whole, old or new, even before recovery.
        let now: Vec<Vec<u8>> = files.iter().map(|f| read(f)).collect();
        for i in 0..2 {
            assert!(now[i] == old[i] || now[i] == new[i], "{name}: {} is neither", files[i]);
        }
        // The next writer finishes what the journal promised: all new, or all old.
        let s = store(&dir.path().join("state"));
        s.recover(&root).unwrap();
        let now: Vec<Vec<u8>> = files.iter().map(|f| read(f)).collect();
        let journaled = matches!(step, Step::Journaled | Step::Renamed | Step::DirSynced);
        assert_eq!(now, if journaled { new.clone() } else { old.clone() }, "after a crash at {name}");
        assert!(PjsipConfig::load(&root).error().is_none());
        // And it is not blocked by the dead one, and clears its leftovers.
        let cfg = PjsipConfig::load(&root);
        s.write(&cfg, &set_context(&cfg, "next").files).unwrap();
        let leftovers: Vec<String> = std::fs::read_dir(dir.path().join("etc"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{name}: {leftovers:?}");
    }
}

#[test]
fn a_symlinked_file_is_written_where_it_points_and_the_new_bytes_are_never_readable_by_others() {
    let (etc, real, state) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let root = sample(etc.path());
    let users = etc.path().join("pjsip_users.conf");
    let managed = real.path().join("pjsip_users.conf");
    std::fs::rename(&users, &managed).unwrap();
    std::fs::set_permissions(&managed, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink(&managed, &users).unwrap();
    let cfg = PjsipConfig::load(&root);
    let e = set_context(&cfg, "vip");
    let mut modes = Vec::new();
    store(state.path())
        .write_observed(&cfg, &e.files, &mut |step, _| {
            if step == Step::TempWritten {
                for f in std::fs::read_dir(real.path()).unwrap().map(|f| f.unwrap()) {
                    if f.file_name().to_string_lossy().ends_with(".tmp") {
                        modes.push(f.metadata().unwrap().mode() & 0o777);
                    }
                }
            }
        })
        .unwrap();
    assert_eq!(modes, vec![0o640], "the new file has its final mode before it holds a byte");
    assert!(std::fs::symlink_metadata(&users).unwrap().file_type().is_symlink(), "the link stays");
    assert_eq!(std::fs::read(&managed).unwrap(), e.files[0].after);
}

/// A failure after the first rename (here the second file's temporary file
/// vanishes, so its rename fails) puts the first file's old bytes back: a
/// write reported as failed is on disk for no reload to pick up.
#[test]
fn a_rename_failing_halfway_puts_back_the_files_already_renamed() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample(dir.path());
    let files = ["pjsip.conf", "pjsip_users.conf"];
    let read = |f: &str| std::fs::read(dir.path().join(f)).unwrap();
    let old: Vec<Vec<u8>> = files.iter().map(|f| read(f)).collect();
    let cfg = PjsipConfig::load(&root);
    let edited = two_files(&cfg, "half");
    let state = tempfile::tempdir().unwrap();
    let mut renamed = Vec::new();
    let err = store(state.path())
        .write_observed(&cfg, &edited.files, &mut |step, path| {
            if step == Step::Renamed && renamed.is_empty() {
                renamed.push(path.to_path_buf());
                // The other file's new bytes, waiting to be renamed into place.
                for e in std::fs::read_dir(dir.path()).unwrap() {
                    let p = e.unwrap().path();
                    if p.extension().is_some_and(|x| x == "tmp") {
                        std::fs::remove_file(p).unwrap();
                    }
                }
            }
        })
        .unwrap_err();
    assert_eq!(renamed.len(), 1, "the first rename was made before the failure");
    assert!(err.to_string().contains("rename"), "{err}");
    assert_eq!(files.iter().map(|f| read(f)).collect::<Vec<_>>(), old, "a file stayed new after the write failed");
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // No journal is left to roll the failed write forward.
    let s = store(state.path());
    assert!(s.recover(&root).unwrap().is_empty());
    assert_eq!(files.iter().map(|f| read(f)).collect::<Vec<_>>(), old);
    assert_eq!(Version::of(&PjsipConfig::load(&root)), Version::of(&cfg));
}
