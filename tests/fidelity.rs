//! pjsip.conf as Asterisk 22 reads it, case by case: the corpus in
//! tests/fidelity/cases, each case a config and Asterisk's recorded answer
//! (GetConfig section by section, the objects that exist after the load).
//! Without Asterisk, ISPBX is compared with the recordings; with one
//! (`ISPBX_TEST_ASTERISK`), each case is also loaded into it, and its answer
//! must still be the recorded one (`scripts/fidelity-record.sh` re-records
//! them all, for a new Asterisk version or a new case).

mod common;

use common::fidelity::{cases, differences, ispbx_view, record, Recording};
use std::collections::BTreeMap;
use std::path::Path;

/// Cases where ISPBX still differs from Asterisk. A case that starts to agree
/// must leave the list (the test says so), so that it only ever shrinks.
const KNOWN_DIVERGENCES: &[&str] = &[
    // Asterisk 22.10.1 crashes (SIGSEGV) while booting on an include loop;
    // ISPBX reads the loop ten levels deep and carries on.
    "50-include-loop",
    "gen-a683d15ea20f0bb5",
    // Values refused by rules beyond one option's value (a file on
    // Asterisk's disk, a module not loaded, URI and regex syntax, global's
    // apply): see the case's case.md.
    "103-known-gaps",
];

fn recorded(case: &Path) -> Recording {
    let path = case.join("asterisk.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; record it with scripts/fidelity-record.sh", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn name(case: &Path) -> String {
    case.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn ispbx_reads_every_case_as_asterisk_did() {
    let all = cases();
    assert!(all.len() >= 40, "the corpus has {} cases", all.len());
    let mut diverging = BTreeMap::new();
    for case in &all {
        let diffs = differences(&recorded(case).view, &ispbx_view(case));
        if !diffs.is_empty() {
            diverging.insert(name(case), diffs);
        }
    }
    let unexpected: Vec<String> = diverging
        .iter()
        .filter(|(n, _)| !KNOWN_DIVERGENCES.contains(&n.as_str()))
        .map(|(n, d)| format!("{n}:\n  {}", d.join("\n  ")))
        .collect();
    let fixed: Vec<&&str> = KNOWN_DIVERGENCES.iter().filter(|n| !diverging.contains_key(**n)).collect();
    assert!(
        unexpected.is_empty() && fixed.is_empty(),
        "ISPBX reads {} case(s) unlike Asterisk:\n{}\nand these now agree with Asterisk (take them off KNOWN_DIVERGENCES): {fixed:?}",
        unexpected.len(),
        unexpected.join("\n")
    );
}

/// Loads every case into a real Asterisk: its answer must be the recorded
/// one (or, with ISPBX_FIDELITY_RECORD=1, becomes it).
#[test]
fn asterisk_still_answers_what_was_recorded() {
    if common::asterisk::binary().is_none() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true and {}", common::asterisk::SKIP_HINT);
        eprintln!("{}", common::asterisk::SKIP_HINT);
        return;
    }
    let rerecord = std::env::var("ISPBX_FIDELITY_RECORD").as_deref() == Ok("1");
    let all = cases();
    // A few Asterisks at a time: each boots in about a second.
    let changed: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = all
            .chunks(all.len().div_ceil(3).max(1))
            .map(|chunk| {
                s.spawn(move || {
                    let mut changed = Vec::new();
                    for case in chunk {
                        let live = record(case).expect("Asterisk runs");
                        if rerecord {
                            let json = serde_json::to_string_pretty(&live).unwrap() + "\n";
                            std::fs::write(case.join("asterisk.json"), json).unwrap();
                            continue;
                        }
                        let diffs = differences(&recorded(case).view, &live.view);
                        if !diffs.is_empty() {
                            changed.push(format!("{}:\n  {}", name(case), diffs.join("\n  ")));
                        }
                    }
                    changed
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    assert!(changed.is_empty(), "Asterisk now answers differently (scripts/fidelity-record.sh re-records):\n{}", changed.join("\n"));
}
