//! Properties of the editing engine over random edit sequences on the
//! sample PBX (LF or CRLF, with or without a final newline): an edit changes
//! only the lines of what it edits, and an edit followed by its inverse gives
//! back the original bytes.
#![cfg(feature = "ssr")]

use ispbx::pjsip::edit::{edit, edit_with, line, Change, EditError, Edited, Reread, Target};
use ispbx::pjsip::objects::Object;
use ispbx::pjsip::fs::MemFs;
use ispbx::pjsip::PjsipConfig;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ROOT: &str = "/etc/asterisk/pjsip.conf";

/// The sample PBX's files, reshaped: CRLF endings, and no final newline.
fn sample(crlf: bool, final_newline: bool) -> BTreeMap<PathBuf, Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-pbx");
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        let mut text = std::fs::read_to_string(e.path()).unwrap();
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        if !final_newline {
            while text.ends_with('\n') || text.ends_with('\r') {
                text.pop();
            }
        }
        files.insert(Path::new("/etc/asterisk").join(e.file_name()), text.into_bytes());
    }
    files
}

fn load(files: &BTreeMap<PathBuf, Vec<u8>>) -> PjsipConfig {
    PjsipConfig::load_with(&MemFs { files: files.clone() }, Path::new(ROOT))
}

fn files_of(cfg: &PjsipConfig) -> BTreeMap<PathBuf, Vec<u8>> {
    [Some(&cfg.main), cfg.wizard.as_ref()]
        .into_iter()
        .flatten()
        .flat_map(|c| c.document.files.iter().map(|f| (f.path.clone(), f.bytes.clone())))
        .collect()
}

/// One random edit and the edit that undoes it, chosen on the current config.
#[derive(Debug, Clone)]
enum Op {
    SetScalar { endpoint: usize, key: usize, value: usize },
    AddCodec { endpoint: usize, codec: usize },
    Trio { n: u16 },
    SetAorMax { aor: usize, n: u8 },
}

const KEYS: [&str; 4] = ["context", "language", "mailboxes", "accountcode"];
const VALUES: [&str; 4] = ["vip", "fr", "9@default", "a;b"];
const CODECS: [&str; 4] = ["gsm", "vp8", "speex", "h263"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..64usize, 0..KEYS.len(), 0..VALUES.len()).prop_map(|(endpoint, key, value)| Op::SetScalar { endpoint, key, value }),
        (0..64usize, 0..CODECS.len()).prop_map(|(endpoint, codec)| Op::AddCodec { endpoint, codec }),
        (3000..3999u16).prop_map(|n| Op::Trio { n }),
        (0..64usize, 1..9u8).prop_map(|(aor, n)| Op::SetAorMax { aor, n }),
    ]
}

fn nth_config_object(cfg: &PjsipConfig, kind: &str, i: usize) -> Option<String> {
    let names: Vec<String> = cfg
        .objects_of(kind)
        .filter(|o| o.origin == ispbx::pjsip::Origin::Config)
        .map(|o| o.name.to_string())
        .collect();
    (!names.is_empty()).then(|| names[i % names.len()].clone())
}

/// The edit and its inverse, or None when the op does not apply here.
fn plan(cfg: &PjsipConfig, op: &Op) -> Option<(Change, Change, Vec<&'static str>)> {
    match op {
        Op::SetScalar { endpoint, key, value } => {
            let name = nth_config_object(cfg, "endpoint", *endpoint)?;
            let key = KEYS[*key];
            let cat = cfg.main.categories.iter().find(|c| *c.name == *name && c.first("type").is_some_and(|t| &*t.value == "endpoint"))?;
            let own = cat.variables.iter().rev().find(|v| v.template.is_none() && v.name.eq_ignore_ascii_case(key));
            if own.is_some_and(|v| *v.value == *VALUES[*value]) {
                return None;
            }
            let t = Target::new(name, Some("endpoint"));
            let forward = Change::Set { target: t.clone(), key: key.into(), value: VALUES[*value].into() };
            let inverse = match own {
                // Only a line holding one own value is restored by setting it back.
                Some(v) if cat.variables.iter().filter(|x| x.template.is_none() && x.name.eq_ignore_ascii_case(key)).count() == 1 && v.appended.is_empty() => {
                    Change::Set { target: t, key: key.into(), value: v.value.to_string() }
                }
                Some(_) => return None,
                None => Change::Unset { target: t, key: key.into() },
            };
            Some((forward, inverse, vec![key]))
        }
        Op::AddCodec { endpoint, codec } => {
            let name = nth_config_object(cfg, "endpoint", *endpoint)?;
            let o = cfg.object("endpoint", &name)?;
            let codec = CODECS[*codec];
            // Only a codec not allowed yet comes back out by its own line.
            let allowed = o.fields().any(|f| f.name.eq_ignore_ascii_case("allow") && f.value.shown().split(',').any(|c| c.trim().eq_ignore_ascii_case(codec)));
            if allowed {
                return None;
            }
            let t = Target::new(name, Some("endpoint"));
            Some((
                Change::Add { target: t.clone(), key: "allow".into(), items: vec![codec.into()] },
                Change::Remove { target: t, key: "allow".into(), items: vec![codec.into()] },
                vec!["allow", "disallow"],
            ))
        }
        Op::Trio { n } => {
            let name = n.to_string();
            if cfg.object("endpoint", &name).is_some() || cfg.object("auth", &name).is_some() || cfg.object("aor", &name).is_some() {
                return None;
            }
            Some((
                Change::CreateTrio { name: name.clone(), template: "phone".into(), password: format!("P{n}-secret") },
                Change::Delete { target: Target::new(name, Some("endpoint")), trio: true, force: false },
                vec![],
            ))
        }
        Op::SetAorMax { aor, n } => {
            let name = nth_config_object(cfg, "aor", *aor)?;
            let cat = cfg.main.categories.iter().find(|c| *c.name == *name && c.first("type").is_some_and(|t| &*t.value == "aor"))?;
            if cat.variables.iter().any(|v| v.template.is_none() && v.name.eq_ignore_ascii_case("max_contacts")) {
                return None;
            }
            let t = Target::new(name, Some("aor"));
            Some((
                Change::Set { target: t.clone(), key: "max_contacts".into(), value: n.to_string() },
                Change::Unset { target: t, key: "max_contacts".into() },
                vec!["max_contacts"],
            ))
        }
    }
}

/// Lines of `before` that are not in `after` and lines of `after` not in
/// `before`, compared without their endings: a line that becomes the last
/// but one of a file without a final newline gains its `\n`, and nothing else.
fn changed(before: &[u8], after: &[u8]) -> Vec<Vec<u8>> {
    let lines = |b: &[u8]| -> Vec<String> {
        b.split_inclusive(|&c| c == b'\n').map(|l| String::from_utf8_lossy(line::content(l)).into_owned()).collect()
    };
    let (a, b) = (lines(before), lines(after));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.iter().map(String::as_str).collect(), b.iter().map(String::as_str).collect());
    similar::capture_diff_slices(similar::Algorithm::Myers, &a, &b)
        .iter()
        .flat_map(|op| {
            let (_, old, new) = op.as_tag_tuple();
            let removed: Vec<Vec<u8>> = if matches!(op.tag(), similar::DiffTag::Equal) { vec![] } else { a[old].iter().map(|s| s.as_bytes().to_vec()).collect() };
            let added: Vec<Vec<u8>> = if matches!(op.tag(), similar::DiffTag::Equal) { vec![] } else { b[new].iter().map(|s| s.as_bytes().to_vec()).collect() };
            removed.into_iter().chain(added)
        })
        .collect()
}

/// Every line ends as the file's lines do, and the final newline is as it was.
fn assert_endings_kept(before: &[u8], after: &[u8], path: &Path) {
    let crlf = before.windows(2).any(|w| w == b"\r\n");
    for l in after.split_inclusive(|&c| c == b'\n').filter(|l| l.ends_with(b"\n")) {
        assert_eq!(l.ends_with(b"\r\n"), crlf, "{}: a line ends unlike the others: {:?}", path.display(), String::from_utf8_lossy(l));
    }
    assert_eq!(before.ends_with(b"\n"), after.ends_with(b"\n"), "{}: the final newline changed", path.display());
}

fn assert_only_lines_of(e: &Edited, keys: &[&str]) {
    for f in &e.files {
        assert_endings_kept(&f.before, &f.after, &f.path);
        for l in changed(&f.before, &f.after) {
            let Some(spans) = line::lex(&l) else {
                // Creating and deleting sections add and remove headers and blank lines.
                assert!(keys.is_empty(), "{} changed a line that is no assignment: {:?}", f.path.display(), String::from_utf8_lossy(&l));
                continue;
            };
            let name = String::from_utf8_lossy(&l[spans.name]).to_ascii_lowercase();
            assert!(keys.is_empty() || keys.contains(&name.as_str()), "{} changed a line of {name}, not of {keys:?}", f.path.display());
        }
    }
}

/// Everything Asterisk would apply of an object, and where each value was written.
fn same_object(a: &Object, b: &Object) -> bool {
    a.kind == b.kind
        && a.name == b.name
        && a.origin == b.origin
        && a.defined_at == b.defined_at
        && a.fields().len() == b.fields().len()
        && a.fields().zip(b.fields()).all(|(x, y)| x.name == y.name && x.value.clear() == y.value.clear() && x.provenance == y.provenance)
}

/// The edit as `edit` checks it, after making sure a full read of the
/// edited files says the same: the same verdict, bytes and objects.
fn checked(cfg: &PjsipConfig, change: &Change) -> Result<Edited, EditError> {
    let fast = edit(cfg, std::slice::from_ref(change));
    let whole = edit_with(cfg, std::slice::from_ref(change), Reread::Whole);
    match (&fast, &whole) {
        (Ok(f), Ok(w)) => {
            assert_eq!(f.files, w.files, "{change:?}");
            assert_eq!((&f.notes, &f.created, &f.removed, f.objects), (&w.notes, &w.created, &w.removed, w.objects), "{change:?}");
            let key = |o: &Object| (o.kind.to_string(), o.name.to_string());
            let (mut fc, mut wc) = (f.changed.clone(), w.changed.clone());
            fc.sort_by_key(key);
            wc.sort_by_key(key);
            assert!(
                fc.len() == wc.len() && fc.iter().zip(&wc).all(|(a, b)| same_object(a, b)),
                "{change:?}: the edited sections read alone {fc:#?}, the whole config {wc:#?}"
            );
            assert_eq!(f.reread(cfg).objects.len(), f.objects, "{change:?}");
            // The diff, cut to the lines around the change, numbers its hunks as a diff of the whole files does.
            let hunks = |text: &str| text.lines().filter(|l| l.starts_with("@@")).map(str::to_string).collect::<Vec<_>>();
            for file in &f.files {
                let (a, b) = (String::from_utf8_lossy(&file.before), String::from_utf8_lossy(&file.after));
                let reference = similar::TextDiff::from_lines(a.as_ref(), b.as_ref()).unified_diff().context_radius(3).to_string();
                assert_eq!(hunks(&ispbx::pjsip::edit::unified(std::slice::from_ref(file))), hunks(&reference), "{change:?}");
            }
        }
        (Err(f), Err(w)) => assert_eq!(f, w, "{change:?}"),
        _ => panic!("{change:?}: the edited sections say {:?}, the whole config {:?}", fast.as_ref().map(|_| ()), whole.as_ref().map(|_| ())),
    }
    fast
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn edits_touch_only_their_lines_and_inverses_restore_every_byte(
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        ops in prop::collection::vec(op(), 1..7),
    ) {
        let original = sample(crlf, final_newline);
        let mut cfg = load(&original);
        prop_assert!(cfg.error().is_none());
        // Forward, checking each step; then every inverse, newest first.
        let mut undo: Vec<(Change, BTreeMap<PathBuf, Vec<u8>>)> = Vec::new();
        for op in &ops {
            let Some((forward, inverse, keys)) = plan(&cfg, op) else { continue };
            let before = files_of(&cfg);
            let e = checked(&cfg, &forward).map_err(|e| TestCaseError::fail(format!("{forward:?}: {e}")))?;
            prop_assert!(!e.files.is_empty(), "{:?} changed nothing", forward);
            assert_only_lines_of(&e, &keys);
            undo.push((inverse, before));
            cfg = e.reread(&cfg);
        }
        while let Some((inverse, expected)) = undo.pop() {
            let e = checked(&cfg, &inverse).map_err(|e| TestCaseError::fail(format!("{inverse:?}: {e}")))?;
            cfg = e.reread(&cfg);
            let now = files_of(&cfg);
            for (path, bytes) in &expected {
                prop_assert_eq!(String::from_utf8_lossy(&now[path]), String::from_utf8_lossy(bytes), "{} after {:?}", path.display(), inverse);
            }
        }
        prop_assert_eq!(files_of(&cfg), original);
    }
}

/// One edit on a generated PBX, as a provisioning script makes them.
#[derive(Debug, Clone)]
enum GenOp {
    Set { ext: usize, key: usize, value: usize },
    Codec { ext: usize, codec: usize, add: bool },
    Trio { n: u16 },
    Delete { ext: usize },
    AorMax { ext: usize, n: u8 },
}

fn gen_op() -> impl Strategy<Value = GenOp> {
    prop_oneof![
        (0..40usize, 0..KEYS.len(), 0..VALUES.len()).prop_map(|(ext, key, value)| GenOp::Set { ext, key, value }),
        (0..40usize, 0..CODECS.len(), any::<bool>()).prop_map(|(ext, codec, add)| GenOp::Codec { ext, codec, add }),
        (0..50u16).prop_map(|n| GenOp::Trio { n }),
        (0..40usize).prop_map(|ext| GenOp::Delete { ext }),
        (0..40usize, 0..12u8).prop_map(|(ext, n)| GenOp::AorMax { ext, n }),
    ]
}

fn gen_change(cfg: &PjsipConfig, op: &GenOp) -> Option<Change> {
    let ext = |i: usize| nth_config_object(cfg, "endpoint", i);
    Some(match op {
        GenOp::Set { ext: i, key, value } => Change::Set { target: Target::new(ext(*i)?, Some("endpoint")), key: KEYS[*key].into(), value: VALUES[*value].into() },
        GenOp::Codec { ext: i, codec, add: true } => Change::Add { target: Target::new(ext(*i)?, Some("endpoint")), key: "allow".into(), items: vec![CODECS[*codec].into()] },
        GenOp::Codec { ext: i, codec, add: false } => Change::Remove { target: Target::new(ext(*i)?, Some("endpoint")), key: "allow".into(), items: vec![CODECS[*codec].into()] },
        GenOp::Trio { n } => Change::CreateTrio { name: format!("2{n:04}"), template: "endpoint-tpl".into(), password: format!("P{n}-secret") },
        GenOp::Delete { ext: i } => Change::Delete { target: Target::new(ext(*i)?, Some("endpoint")), trio: true, force: false },
        // 0 is refused by the option table: both reads must refuse it alike.
        GenOp::AorMax { ext: i, n } => Change::Set { target: Target::new(ext(*i)?, Some("aor")), key: "max_contacts".into(), value: n.to_string() },
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Reading back only the edited sections agrees with reading the whole
    /// config, edit after edit, and is what plain edits of one extension take.
    #[test]
    fn reading_the_edited_sections_agrees_with_reading_everything(
        crlf in any::<bool>(),
        ops in prop::collection::vec(gen_op(), 1..10),
    ) {
        // With what a region must not be read alone next to: an addition
        // to an extension, a section inheriting from an extension's, a
        // block comment; in the middle, as new extensions go at the end.
        let mut text = ispbx::pjsip::generate::extensions(40).replacen(
            "[10020](endpoint-tpl)",
            "[10003](+)\nlanguage=de\n\n[copy-of-10005](10005)\ncallerid=Copy <5>\n\n;-- [10007](+)\nlanguage=fr --;\n\n[10020](endpoint-tpl)",
            1,
        );
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        let mut cfg = PjsipConfig::load_with(&MemFs::new().with(ROOT, text.into_bytes()), Path::new(ROOT));
        for op in &ops {
            let Some(change) = gen_change(&cfg, op) else { continue };
            if let Ok(e) = checked(&cfg, &change) {
                let plain = |name: &str| !["10003", "10005", "copy-of-10005", "10019", "10020"].contains(&name);
                let target = match &change {
                    Change::Set { target, .. } | Change::Delete { target, .. } => target.name.clone(),
                    _ => String::new(),
                };
                if !e.files.is_empty() && plain(&target) && matches!(op, GenOp::Set { .. } | GenOp::Trio { .. } | GenOp::Delete { .. }) {
                    prop_assert_eq!(e.checked, Reread::Edited, "{:?} was read back whole", change);
                }
                cfg = e.reread(&cfg);
            }
        }
    }
}
