//! The editing engine on the sample PBX: where each edit lands, what it
//! refuses, and that every other byte stays.
#![cfg(feature = "ssr")]

use ispbx::pjsip::edit::{edit, unified, Change, EditError, Edited, NewObject, Target};
use ispbx::pjsip::PjsipConfig;
use std::path::{Path, PathBuf};

fn sample() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-pbx");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let root = dir.path().join("pjsip.conf");
    (dir, root)
}

fn load(root: &Path) -> PjsipConfig {
    PjsipConfig::load(root)
}

fn target(name: &str, kind: &str) -> Target {
    Target::new(name, Some(kind))
}

fn set(name: &str, kind: &str, key: &str, value: &str) -> Change {
    Change::Set { target: target(name, kind), key: key.into(), value: value.into() }
}

fn apply(root: &Path, changes: &[Change]) -> Result<Edited, EditError> {
    edit(&load(root), changes)
}

/// The lines that differ, as (-old, +new) text, for exact assertions.
fn changed_lines(e: &Edited) -> Vec<(String, Vec<String>)> {
    e.files
        .iter()
        .map(|f| {
            let (a, b) = (String::from_utf8_lossy(&f.before), String::from_utf8_lossy(&f.after));
            let diff = similar::TextDiff::from_lines(a.as_ref(), b.as_ref());
            let lines = diff
                .iter_all_changes()
                .filter(|c| c.tag() != similar::ChangeTag::Equal)
                .map(|c| format!("{}{}", if c.tag() == similar::ChangeTag::Delete { "-" } else { "+" }, c.value().trim_end_matches(['\n', '\r'])))
                .collect();
            (f.path.file_name().unwrap().to_string_lossy().into_owned(), lines)
        })
        .collect()
}

fn write(e: &Edited) {
    for f in &e.files {
        std::fs::write(&f.path, &f.after).unwrap();
    }
}

#[test]
fn an_inherited_value_is_overridden_in_the_objects_own_section_in_its_own_file() {
    let (_d, root) = sample();
    let e = apply(&root, &[set("1001", "endpoint", "context", "vip")]).unwrap();
    assert_eq!(changed_lines(&e), vec![("pjsip_users.conf".to_string(), vec!["+context=vip".to_string()])]);
    let reread = e.reread(&load(&root));
    let after = reread.object("endpoint", "1001").unwrap();
    assert_eq!(after.get("context").as_deref(), Some("vip"));
    // The new line sits in [1001]'s own block, after its last own line.
    let text = String::from_utf8(e.files[0].after.clone()).unwrap();
    assert!(text.contains("named_pickup_group=sales\ncontext=vip\n\n[1001](auth-userpass)"), "{text}");
}

#[test]
fn an_own_value_is_replaced_where_it_is_written_keeping_its_comment() {
    let (_d, root) = sample();
    let e = apply(&root, &[set("1016", "endpoint", "direct_media", "no")]).unwrap_err();
    // The door phone's line carries a block comment: not an edit's to rewrite.
    assert!(matches!(e, EditError::Unsafe(_)), "{e}");
    let e = apply(&root, &[set("1002", "endpoint", "callerid", "\"Bob N.\" <1002>")]).unwrap();
    assert_eq!(
        changed_lines(&e)[0].1,
        vec!["-callerid=\"Bob Nguyen\" <1002>".to_string(), "+callerid=\"Bob N.\" <1002>".to_string()]
    );
}

#[test]
fn unset_removes_the_own_line_and_the_template_applies_again() {
    let (_d, root) = sample();
    let e = apply(&root, &[Change::Unset { target: target("1002", "endpoint"), key: "mailboxes".into() }]).unwrap();
    assert_eq!(changed_lines(&e)[0].1, vec!["-mailboxes=1002@default".to_string()]);
    let err = apply(&root, &[Change::Unset { target: target("1002", "endpoint"), key: "context".into() }]).unwrap_err();
    assert_eq!(err.to_string(), "endpoint [1002] does not set context itself (its value comes from template [endpoint-basic])");
}

#[test]
fn a_template_changes_only_when_asked_and_says_how_many_objects_follow() {
    let (_d, root) = sample();
    let e = apply(&root, &[Change::Set { target: target("1001", "endpoint").in_template(), key: "context".into(), value: "staff".into() }]).unwrap();
    assert_eq!(changed_lines(&e), vec![("pjsip.conf".to_string(), vec!["-context=from-internal".to_string(), "+context=staff".to_string()])]);
    let note = e.notes.join("\n");
    assert!(note.contains("changes template [endpoint-basic]"), "{note}");
    let inheriting = load(&root).objects_of("endpoint").filter(|o| o.fields().any(|f| f.provenance.template.is_some_and(|t| &**t == "endpoint-basic"))).count();
    assert!(note.contains(&format!("{inheriting} object(s) inherit it")), "{note} / {inheriting}");
    assert_eq!(e.reread(&load(&root)).object("endpoint", "1002").unwrap().get("context").as_deref(), Some("staff"));
}

#[test]
fn codecs_keep_asterisks_order_semantics() {
    let (_d, root) = sample();
    // [phone] allows ulaw, alaw (from endpoint-basic) and g722: set means exactly these.
    let e = apply(&root, &[set("1002", "endpoint", "allow", "g722,opus")]).unwrap();
    assert_eq!(changed_lines(&e)[0].1, vec!["+disallow=all".to_string(), "+allow=g722,opus".to_string()]);
    // Removing an inherited codec disallows it on a line of its own.
    let e = apply(&root, &[Change::Remove { target: target("1002", "endpoint"), key: "allow".into(), items: vec!["alaw".into()] }]).unwrap();
    assert_eq!(changed_lines(&e)[0].1, vec!["+disallow=alaw".to_string()]);
    // Adding appends an allow line.
    let e = apply(&root, &[Change::Add { target: target("1013", "endpoint"), key: "allow".into(), items: vec!["vp8".into()] }]).unwrap();
    assert_eq!(changed_lines(&e)[0].1, vec!["+allow=vp8".to_string()]);
    let err = apply(&root, &[Change::Remove { target: target("1002", "endpoint"), key: "allow".into(), items: vec!["gsm".into()] }]).unwrap_err();
    assert!(matches!(err, EditError::NotFound(_)), "{err}");
}

#[test]
fn a_trio_follows_its_siblings_and_deleting_it_gives_back_every_byte() {
    let (_d, root) = sample();
    let users = root.with_file_name("pjsip_users.conf");
    let before = std::fs::read(&users).unwrap();
    let e = apply(&root, &[Change::CreateTrio { name: "1030".into(), template: "phone".into(), password: "Gen-Pass-1030-xyz".into() }]).unwrap();
    assert_eq!(e.files.len(), 1);
    let added = String::from_utf8(e.files[0].after[before.len()..].to_vec()).unwrap();
    assert_eq!(
        added,
        "\n[1030](phone)\nauth=1030\naors=1030\n\n[1030](auth-userpass)\nusername=1030\npassword=Gen-Pass-1030-xyz\n\n[1030](aor-single)\n"
    );
    let diff = unified(&e.files);
    assert!(!diff.contains("Gen-Pass-1030-xyz") && diff.contains("+password=********"), "{diff}");
    let after = e.reread(&load(&root));
    assert!(after.object("endpoint", "1030").is_some() && after.object("auth", "1030").is_some() && after.object("aor", "1030").is_some());
    write(&e);
    let d = apply(&root, &[Change::Delete { target: target("1030", "endpoint"), trio: true, force: false }]).unwrap();
    write(&d);
    assert_eq!(std::fs::read(&users).unwrap(), before);
}

#[test]
fn deleting_what_another_object_names_is_refused_with_the_referrers() {
    let (_d, root) = sample();
    let err = apply(&root, &[Change::Delete { target: target("1002", "aor"), trio: false, force: false }]).unwrap_err();
    let EditError::Referenced { referrers, .. } = &err else { panic!("{err}") };
    assert_eq!(referrers.len(), 1);
    assert_eq!((referrers[0].kind.as_str(), referrers[0].name.as_str(), referrers[0].option.as_str()), ("endpoint", "1002", "aors"));
    assert!(err.to_string().contains("endpoint '1002' (aors="), "{err}");
    let forced = apply(&root, &[Change::Delete { target: target("1002", "aor"), trio: false, force: true }]).unwrap();
    assert!(forced.reread(&load(&root)).object("aor", "1002").is_none());
    assert!(forced.notes.iter().any(|n| n.contains("still named by")));
}

#[test]
fn a_name_shared_by_several_types_needs_its_type() {
    let (_d, root) = sample();
    let err = apply(&root, &[Change::Set { target: Target::new("1002", None), key: "context".into(), value: "x".into() }]).unwrap_err();
    assert!(matches!(err, EditError::Ambiguous(_)), "{err}");
    assert!(err.to_string().contains("say which with --type"), "{err}");
}

#[test]
fn wizard_entries_are_edited_in_the_wizard_file() {
    let (_d, root) = sample();
    let e = apply(&root, &[Change::Set { target: Target::new("2001", None), key: "endpoint/context".into(), value: "remote".into() }]).unwrap();
    assert_eq!(changed_lines(&e), vec![("pjsip_wizard.conf".to_string(), vec!["+endpoint/context=remote".to_string()])]);
    assert_eq!(e.reread(&load(&root)).object("endpoint", "2001").unwrap().get("context").as_deref(), Some("remote"));
    let err = apply(&root, &[Change::Set { target: Target::new("2001", None), key: "bogus".into(), value: "1".into() }]).unwrap_err();
    assert!(matches!(err, EditError::Invalid(_)), "{err}");
}

#[test]
fn create_from_a_template_and_refuse_a_duplicate() {
    let (_d, root) = sample();
    let new = NewObject { kind: "aor".into(), name: "1040".into(), templates: vec!["aor-multi".into()], options: vec![("max_contacts".into(), "5".into())] };
    let e = apply(&root, &[Change::Create(new.clone())]).unwrap();
    assert_eq!(e.reread(&load(&root)).object("aor", "1040").unwrap().get("max_contacts").as_deref(), Some("5"));
    let dup = NewObject { name: "1001".into(), ..new };
    assert!(matches!(apply(&root, &[Change::Create(dup)]), Err(EditError::Invalid(_))));
}

#[test]
fn crlf_and_a_missing_final_newline_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pjsip.conf");
    std::fs::write(&root, b"[t](!)\r\ntype=aor\r\nmax_contacts=1\r\n\r\n[a](t)\r\nqualify_frequency=30").unwrap();
    let e = apply(&root, &[set("a", "aor", "max_contacts", "2")]).unwrap();
    assert_eq!(e.files[0].after, b"[t](!)\r\ntype=aor\r\nmax_contacts=1\r\n\r\n[a](t)\r\nqualify_frequency=30\r\nmax_contacts=2");
    write(&e);
    let back = apply(&root, &[Change::Unset { target: target("a", "aor"), key: "max_contacts".into() }]).unwrap();
    assert_eq!(back.files[0].after, b"[t](!)\r\ntype=aor\r\nmax_contacts=1\r\n\r\n[a](t)\r\nqualify_frequency=30");
}

#[test]
fn escapes_are_written_as_asterisk_reads_them() {
    let (_d, root) = sample();
    let e = apply(&root, &[set("1002", "endpoint", "callerid", "Bob; the boss <1002>")]).unwrap();
    assert_eq!(changed_lines(&e)[0].1[1], "+callerid=Bob\\; the boss <1002>");
    assert_eq!(e.reread(&load(&root)).object("endpoint", "1002").unwrap().get("callerid").as_deref(), Some("Bob; the boss <1002>"));
    assert!(matches!(apply(&root, &[set("1002", "endpoint", "callerid", "a\nb")]), Err(EditError::Invalid(_))));
}

fn config(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pjsip.conf");
    std::fs::write(&root, text).unwrap();
    (dir, root)
}

#[test]
fn codec_lists_are_read_as_asterisk_cuts_them() {
    let (_d, root) = config("[tpl](!)\ntype=endpoint\nallow=ulaw\n\n[e](tpl)\nallow=ulaw\ndisallow=g729|alaw\n");
    // An added codec goes after the own disallow, which would take it back otherwise.
    let e = apply(&root, &[Change::Add { target: target("e", "endpoint"), key: "allow".into(), items: vec!["alaw:20".into()] }]).unwrap();
    assert!(String::from_utf8_lossy(&e.files[0].after).ends_with("disallow=g729|alaw\nallow=alaw:20\n"));
    let e = apply(&root, &[Change::Add { target: target("e", "endpoint"), key: "allow".into(), items: vec!["!ulaw".into()] }]).unwrap();
    assert!(String::from_utf8_lossy(&e.files[0].after).ends_with("allow=!ulaw\n"));
    // ulaw is allowed by the template and by the own line: both must go.
    let e = apply(&root, &[Change::Remove { target: target("e", "endpoint"), key: "allow".into(), items: vec!["ulaw".into()] }]).unwrap();
    assert_eq!(changed_lines(&e)[0].1, vec!["-allow=ulaw".to_string(), "+disallow=ulaw".to_string()]);
    let err = apply(&root, &[Change::Remove { target: target("e", "endpoint"), key: "disallow".into(), items: vec!["alaw".into()] }]).unwrap_err();
    assert!(err.to_string().contains("use allow+="), "{err}");
}

#[test]
fn a_new_line_goes_after_a_plus_equals_on_an_inherited_value() {
    let (_d, root) = config("[tpl](!)\ntype=endpoint\ncontext=from-\n\n[e](tpl)\ncontext+=internal\ncallerid=E <1>\n");
    let e = apply(&root, &[set("e", "endpoint", "context", "vip")]).unwrap();
    assert_eq!(e.reread(&load(&root)).object("endpoint", "e").unwrap().get("context").as_deref(), Some("vip"));
}

#[test]
fn an_edit_that_makes_asterisk_refuse_other_objects_is_refused() {
    // 1099 is already refused for its session timers; raising the template's
    // minimum would refuse 1001 the same way: a new finding, though alike but for its name.
    let (_d, root) = config(
        "[t](!)\ntype=endpoint\n\n[1001](t)\n\n[1099](t)\ntimers_min_se=100\ntimers_sess_expires=95\n",
    );
    let err = apply(&root, &[Change::Set { target: Target::new("t", Some("template")), key: "timers_min_se".into(), value: "2000".into() }]).unwrap_err();
    assert!(matches!(err, EditError::Unverified(_)), "{err}");
}

#[test]
fn a_type_refused_whole_elsewhere_is_judged_on_the_whole_config() {
    // Two aors named `dup`: Asterisk loads no aor at all, so 1001's is not created either way.
    let (_d, root) = config("[dup]\ntype=aor\n\n[dup]\ntype=aor\n\n[1001]\ntype=aor\nmax_contacts=1\n");
    let cfg = load(&root);
    let change = [set("1001", "aor", "max_contacts", "2")];
    let region = edit(&cfg, &change).map(|e| e.checked);
    let whole = ispbx::pjsip::edit::edit_with(&cfg, &change, ispbx::pjsip::edit::Reread::Whole).map(|e| e.checked);
    assert_eq!(region, whole);
}

#[test]
fn a_key_that_names_a_secret_is_hidden_even_when_it_is_no_option() {
    for key in ["password ", "my_secret", "PASSWORD"] {
        let shown = format!("{:?}", set("1001", "auth", key, "hunter2"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
