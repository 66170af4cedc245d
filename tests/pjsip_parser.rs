//! The parser level, against what main/config.c does (docs/asterisk-notes.md,
//! "Config-file semantics"). Each case is a small in-memory config tree.

use ispbx::pjsip::fs::MemFs;
use ispbx::pjsip::parser::{self, Config, LoadStatus};
use ispbx::pjsip::{PjsipConfig, Severity};
use std::path::Path;

const ROOT: &str = "/etc/asterisk/pjsip.conf";

fn load(files: &[(&str, &str)]) -> Config {
    let mut fs = MemFs::new();
    for (path, text) in files {
        fs = fs.with(*path, text.as_bytes().to_vec());
    }
    parser::load_with(&fs, Path::new(ROOT))
}

fn one(text: &str) -> Config {
    load(&[(ROOT, text)])
}

/// (section, [(key, value)]) for every non-template section, as GetConfig lists them.
fn sections(cfg: &Config) -> Vec<(String, Vec<(String, String)>)> {
    cfg.sections()
        .map(|c| {
            (
                c.name.to_string(),
                c.variables.iter().map(|v| (v.name.to_string(), v.value.to_string())).collect(),
            )
        })
        .collect()
}

fn vars(cfg: &Config, section: &str) -> Vec<(String, String)> {
    sections(cfg)
        .into_iter()
        .find(|(n, _)| n == section)
        .unwrap_or_else(|| panic!("no section {section}"))
        .1
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn messages(cfg: &Config, severity: Severity) -> Vec<String> {
    cfg.diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn comments_escapes_and_assignment() {
    let cfg = one(concat!(
        "[a]\n",
        "k1 = plain value   ; trailing comment\n",
        "k2=semi\\;colon\n",
        "k3 => arrow\n",
        "k4=x=y=z\n",
        "k5=\n",
        "; a whole-line comment\n",
        "\n",
    ));
    assert_eq!(cfg.status, LoadStatus::Loaded);
    assert_eq!(
        vars(&cfg, "a"),
        kv(&[("k1", "plain value"), ("k2", "semi;colon"), ("k3", "arrow"), ("k4", "x=y=z"), ("k5", "")])
    );
}

#[test]
fn block_comments_nest_and_hide_nothing_after_them() {
    let cfg = one(concat!(
        "[a]\n",
        ";-- inline --; k1=v1\n",
        ";-- outer\n",
        "k2=hidden\n",
        ";-- inner --;\n",
        "still hidden=yes\n",
        "--;\n",
        "k3=v3\n",
        ";--- three dashes is a line comment\n",
        "k4=v4\n",
    ));
    assert_eq!(vars(&cfg, "a"), kv(&[("k1", "v1"), ("k3", "v3"), ("k4", "v4")]));
}

#[test]
fn an_unterminated_block_comment_is_reported() {
    let cfg = one("[a]\nk=v\n;-- never closed\nx=y\n");
    assert_eq!(vars(&cfg, "a"), kv(&[("k", "v")]));
    assert!(messages(&cfg, Severity::Warning).iter().any(|m| m.contains("Unterminated comment")));
}

#[test]
fn templates_are_copied_when_the_child_is_read() {
    let cfg = one(concat!(
        "[base](!)\n",
        "allow=ulaw\n",
        "context=one\n",
        "[video](!)\n",
        "allow=h264\n",
        "[1001](base,video)\n",
        "allow=g722\n",
        "[base](+TEMPLATES=include)\n",
        "allow=added-later\n",
    ));
    // Parents left to right, own lines last; the later append to the template is not seen.
    assert_eq!(
        vars(&cfg, "1001"),
        kv(&[("allow", "ulaw"), ("context", "one"), ("allow", "h264"), ("allow", "g722")])
    );
    // Templates are not listed.
    assert_eq!(sections(&cfg).len(), 1);
    let c = cfg.sections().next().unwrap();
    assert_eq!(c.templates.iter().map(|t| t.to_string()).collect::<Vec<_>>(), vec!["base", "video"]);
    assert_eq!(c.variables[0].template.as_deref(), Some("base"));
    assert_eq!(c.variables[3].template, None);
}

#[test]
fn plus_equals_appends_verbatim_to_the_last_value_even_inherited() {
    let cfg = one(concat!(
        "[t](!)\n",
        "mailboxes=100@default\n",
        "[x](t)\n",
        "mailboxes+= ,200@default\n",
        "new+=first\n",
    ));
    // The blank after += is kept, as Asterisk keeps it.
    assert_eq!(vars(&cfg, "x"), kv(&[("mailboxes", "100@default ,200@default"), ("new", "first")]));
}

#[test]
fn plus_appends_to_the_first_section_of_that_name() {
    let cfg = one(concat!(
        "[1001]\ntype=endpoint\n",
        "[1001]\ntype=aor\n",
        "[1001](+)\nallow=opus\n",
        "[1001](+type=aor)\nmax_contacts=2\n",
        "[1001](+)\n",
    ));
    let s = sections(&cfg);
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].1, kv(&[("type", "endpoint"), ("allow", "opus")]));
    assert_eq!(s[1].1, kv(&[("type", "aor"), ("max_contacts", "2")]));
}

#[test]
fn plus_on_a_missing_section_rejects_the_file() {
    let cfg = one("[a]\nk=v\n[b](+)\nk=v\n");
    assert_eq!(cfg.status, LoadStatus::Invalid);
    assert!(messages(&cfg, Severity::Error)
        .iter()
        .any(|m| m.starts_with("Category addition requested, but category 'b' does not exist")));
}

#[test]
fn section_names_compare_case_insensitively_and_are_cut_at_79() {
    let long = "x".repeat(100);
    let cfg = one(&format!("[Alice]\nk=1\n[alice](+)\nj=2\n[{long}]\nk=v\n"));
    let s = sections(&cfg);
    assert_eq!(s[0], ("Alice".to_string(), kv(&[("k", "1"), ("j", "2")])));
    assert_eq!(s[1].0.len(), 79);
}

#[test]
fn unknown_parent_rejects_the_file() {
    let cfg = one("[a](nope)\nk=v\n");
    assert_eq!(cfg.status, LoadStatus::Invalid);
    assert!(messages(&cfg, Severity::Error)
        .iter()
        .any(|m| m.starts_with("Inheritance requested, but category 'nope' does not exist")));
}

#[test]
fn includes_quoted_angled_bare_and_globbed() {
    let cfg = load(&[
        (ROOT, "#include \"a.conf\"\n#include <b.conf>\n#include c.conf\n#include users.d/*.conf\n"),
        ("/etc/asterisk/a.conf", "[a]\nk=a\n"),
        ("/etc/asterisk/b.conf", "[b]\nk=b\n"),
        ("/etc/asterisk/c.conf", "[c]\nk=c\n"),
        ("/etc/asterisk/users.d/2.conf", "[u2]\nk=2\n"),
        ("/etc/asterisk/users.d/1.conf", "[u1]\nk=1\n"),
    ]);
    assert_eq!(cfg.status, LoadStatus::Loaded);
    let names: Vec<_> = sections(&cfg).into_iter().map(|s| s.0).collect();
    assert_eq!(names, ["a", "b", "c", "u1", "u2"]);
}

#[test]
fn an_included_file_continues_the_current_section() {
    let cfg = load(&[
        (ROOT, "[a]\nk=1\n#include more.conf\nk=3\n"),
        ("/etc/asterisk/more.conf", "k=2\n[b]\nj=1\n"),
    ]);
    // The include's keys land in [a]; after it, the includer's own section continues.
    assert_eq!(vars(&cfg, "a"), kv(&[("k", "1"), ("k", "2"), ("k", "3")]));
    assert_eq!(vars(&cfg, "b"), kv(&[("j", "1")]));
}

#[test]
fn a_missing_include_is_fatal_and_a_missing_tryinclude_is_not() {
    let cfg = one("[a]\nk=v\n#tryinclude nothing.conf\n");
    assert_eq!(cfg.status, LoadStatus::Loaded);
    let cfg = one("[a]\nk=v\n#include nothing.conf\n");
    assert_eq!(cfg.status, LoadStatus::Invalid);
    assert!(messages(&cfg, Severity::Error)
        .iter()
        .any(|m| m == "The file 'nothing.conf' was listed as a #include but it does not exist."));
}

#[test]
fn exec_is_never_run_and_unknown_directives_warn() {
    let cfg = one("[a]\n#exec /bin/rm -rf /tmp/x\n#frobnicate y\nk=v\n");
    assert_eq!(cfg.status, LoadStatus::Loaded);
    let w = messages(&cfg, Severity::Warning);
    assert!(w.iter().any(|m| m.starts_with("#exec is never run")));
    assert!(w.iter().any(|m| m.starts_with("Unknown directive '#frobnicate'")));
    assert_eq!(vars(&cfg, "a"), kv(&[("k", "v")]));
}

#[test]
fn include_cycles_stop_at_the_depth_limit() {
    let cfg = load(&[(ROOT, "[a]\nk=v\n#include pjsip.conf\n")]);
    // The innermost #include fails; an invalid included file does not
    // invalidate its includer (config.c's CONFIG_STATUS_FILEINVALID is not NULL).
    assert_eq!(cfg.status, LoadStatus::Loaded);
    assert!(messages(&cfg, Severity::Warning).iter().any(|m| m.contains("Maximum Include level (10) exceeded")));
    assert!(messages(&cfg, Severity::Error).iter().any(|m| m.contains("was listed as a #include but it does not exist")));
    assert_eq!(sections(&cfg).len(), 10);
}

#[test]
fn a_globbed_include_cycle_cannot_explode() {
    // Ten files each trying to include all ten: #tryinclude never fails at the
    // depth limit, so Asterisk would read 10^10 files; here it is a bounded error.
    let mut files = vec![(ROOT.to_string(), "#include d/*.conf\n".to_string())];
    for i in 0..10 {
        files.push((format!("/etc/asterisk/d/{i}.conf"), format!("[s{i}]\nk=v\n#tryinclude d/*.conf\n")));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let cfg = load(&refs);
    assert!(cfg.document.files.len() <= parser::MAX_FILES_READ);
    assert!(messages(&cfg, Severity::Error).iter().any(|m| m.starts_with("Stopped reading at")));
}

#[test]
fn malformed_lines() {
    let cfg = one("[a]\nno equals sign here\nk=v\n");
    assert_eq!(cfg.status, LoadStatus::Loaded);
    assert!(messages(&cfg, Severity::Warning).iter().any(|m| m == "No '=' (equal sign) in line 2 of /etc/asterisk/pjsip.conf"));
    assert_eq!(vars(&cfg, "a"), kv(&[("k", "v")]));

    let cfg = one("k=v\n[a]\n");
    assert_eq!(cfg.status, LoadStatus::Invalid);
    assert!(messages(&cfg, Severity::Error).iter().any(|m| m.starts_with("parse error: No category context for line 1")));
}

#[test]
fn lines_over_8191_bytes_are_skipped_with_a_warning() {
    let long = format!("long={}\n", "x".repeat(9000));
    let cfg = one(&format!("[a]\n{long}k=v\n"));
    assert!(messages(&cfg, Severity::Warning).iter().any(|m| m.starts_with("Line 2 too long, skipping")));
    assert!(vars(&cfg, "a").iter().all(|(k, _)| k != "long"));
    assert!(vars(&cfg, "a").contains(&("k".to_string(), "v".to_string())));
}

#[test]
fn a_long_line_cut_short_by_a_nul_goes_on_as_the_next_chunk() {
    // fgets gives 8,191 bytes; the C string ends at the NUL, so the chunk is
    // no "too long" line: `a=1` is read, then the rest of the line as a line
    // of its own, without an `=`, before the next physical line.
    let text = format!("[s]\na=1\0{}\nb=2\n", "x".repeat(9000));
    let cfg = one(&text);
    assert_eq!(vars(&cfg, "s"), kv(&[("a", "1"), ("b", "2")]));
    assert!(messages(&cfg, Severity::Warning).iter().any(|m| m.starts_with("No '=' (equal sign) in line 2")), "{:?}", cfg.diagnostics);
    let b = cfg.categories[0].first("b").map(|v| v.origin.line);
    assert_eq!(b, Some(3));
}

#[test]
fn crlf_and_bom_are_read_and_kept() {
    let text = "\u{feff}[a]\r\nk=v\r\n";
    let cfg = one(text);
    assert_eq!(vars(&cfg, "a"), kv(&[("k", "v")]));
    assert_eq!(cfg.document.files[0].to_bytes(), text.as_bytes());
    assert!(cfg.document.files[0].uses_crlf());
}

#[test]
fn a_missing_root_file_is_an_error_not_a_panic() {
    let cfg = load(&[]);
    assert_eq!(cfg.status, LoadStatus::Missing);
    let all = PjsipConfig::load_with(&MemFs::new(), Path::new(ROOT));
    assert!(all.error().is_some());
}

#[test]
fn an_overlong_password_line_is_not_quoted() {
    let cfg = one(&format!("[a]\npassword=TopSecret{}\n", "x".repeat(9000)));
    let all: String = cfg.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(all.contains("too long"));
    assert!(!all.contains("TopSecret"), "{all}");
}

#[test]
fn an_include_loop_is_an_error_because_asterisk_crashes_on_it_but_a_deep_chain_is_not() {
    let looped = load(&[
        (ROOT, "[a]\ntype=aor\n#include \"loop-a.conf\"\n"),
        ("/etc/asterisk/loop-a.conf", "#include \"loop-b.conf\"\n"),
        ("/etc/asterisk/loop-b.conf", "#include \"loop-a.conf\"\n"),
    ]);
    let errors = messages(&looped, Severity::Error);
    assert!(errors.iter().any(|m| m.contains("is a loop: Asterisk 22.10.1 crashes")), "{errors:?}");
    // Eleven distinct files: past the depth limit, but no loop.
    let mut files: Vec<(String, String)> = vec![(ROOT.into(), "#include \"f1.conf\"\n".into())];
    for i in 1..12 {
        files.push((format!("/etc/asterisk/f{i}.conf"), format!("#include \"f{}.conf\"\n", i + 1)));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let deep = load(&refs);
    assert!(messages(&deep, Severity::Warning).iter().any(|m| m.contains("Maximum Include level")));
    assert!(!messages(&deep, Severity::Error).iter().any(|m| m.contains("loop")));
}
