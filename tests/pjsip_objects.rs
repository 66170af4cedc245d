//! The object level: res_sorcery_config's rules over res_pjsip's types.

use ispbx::pjsip::fs::MemFs;
use ispbx::pjsip::{PjsipConfig, Severity};
use std::path::Path;

const ROOT: &str = "/etc/asterisk/pjsip.conf";

fn load(text: &str) -> PjsipConfig {
    PjsipConfig::load_with(&MemFs::new().with(ROOT, text.as_bytes().to_vec()), Path::new(ROOT))
}

fn names(cfg: &PjsipConfig, kind: &str) -> Vec<String> {
    cfg.objects_of(kind).map(|o| o.name.to_string()).collect()
}

#[test]
fn objects_of_different_types_share_a_name() {
    let cfg = load("[1001]\ntype=endpoint\nauth=1001\naors=1001\n[1001]\ntype=auth\nusername=1001\npassword=p\n[1001]\ntype=aor\nmax_contacts=1\n");
    assert_eq!(names(&cfg, "endpoint"), ["1001"]);
    assert_eq!(names(&cfg, "auth"), ["1001"]);
    assert_eq!(names(&cfg, "aor"), ["1001"]);
    // Each object keeps only its own keys.
    let ep = cfg.object("endpoint", "1001").unwrap();
    assert!(ep.get("username").is_none() && ep.get("max_contacts").is_none());
    assert!(!cfg.rejected);
}

#[test]
fn the_first_type_decides_and_its_value_is_case_sensitive() {
    let cfg = load("[a]\nType=aor\ntype=endpoint\n[b]\ntype=Endpoint\n[c]\nmax_contacts=1\n");
    assert_eq!(names(&cfg, "aor"), ["a"]);
    assert!(names(&cfg, "endpoint").is_empty());
    let notices: Vec<_> = cfg.diagnostics().filter(|d| d.severity == Severity::Notice).collect();
    assert_eq!(notices.len(), 2, "{notices:?}");
}

#[test]
fn a_duplicate_rejects_every_object_of_that_type() {
    let cfg = load("[x]\ntype=aor\n[y]\ntype=aor\n[x]\ntype=aor\n[e]\ntype=endpoint\n");
    assert!(names(&cfg, "aor").is_empty());
    assert_eq!(names(&cfg, "endpoint"), ["e"]);
    assert!(cfg.rejected);
    assert!(cfg.diagnostics().any(|d| d.message
        == "Config file 'pjsip.conf' could not be loaded; configuration contains a duplicate object: 'x' of type 'aor'"));
}

#[test]
fn an_unknown_option_rejects_that_object_only() {
    let cfg = load("[a]\ntype=endpoint\nallow=ulaw\nalow=alaw\n[b]\ntype=endpoint\n");
    assert_eq!(names(&cfg, "endpoint"), ["b"]);
    assert!(cfg.rejected);
    let d = cfg.diagnostics().find(|d| d.severity == Severity::Error).unwrap();
    assert_eq!(d.line, 4);
    assert!(d.message.starts_with("Could not find option suitable for category 'a' named 'alow'"));
}

#[test]
fn list_options_accumulate_and_scalars_take_the_last() {
    let cfg = load(concat!(
        "[t](!)\ntype=endpoint\ncontext=a\ndisallow=all\nallow=ulaw\n",
        "[e](t)\ncontext=b\nallow=alaw,g722\nset_var=A=1\nset_var=B=2\n",
    ));
    let e = cfg.object("endpoint", "e").unwrap();
    assert_eq!(e.get("context").as_deref(), Some("b"));
    assert_eq!(e.get("allow").as_deref(), Some("ulaw,alaw,g722"));
    assert_eq!(e.get("set_var").as_deref(), Some("A=1,B=2"));
    let eff = e.effective();
    let ctx = eff.iter().find(|f| &*f.name == "context").unwrap();
    assert_eq!((ctx.sources.len(), ctx.sources[0].line, ctx.sources[0].template.clone()), (1, 7, None));
    let allow = eff.iter().find(|f| &*f.name == "allow").unwrap();
    let from: Vec<_> = allow.sources.iter().map(|s| (s.line, s.template.as_deref().map(str::to_string))).collect();
    assert_eq!(from, [(5, Some("t".to_string())), (8, None)]);
}

#[test]
fn secrets_are_values_that_cannot_print() {
    let cfg = load("[a]\ntype=auth\nusername=a\npassword=Hunter2\n[t]\ntype=transport\nprotocol=tls\npassword=KeyPass\n");
    let auth = cfg.object("auth", "a").unwrap();
    let pw = auth.effective().into_iter().find(|f| &*f.name == "password").unwrap();
    assert!(pw.value.is_secret());
    assert_eq!(pw.value.to_string(), "********");
    assert_eq!(auth.get("password").as_deref(), Some("********"));
    let dump = format!("{:?} {}", cfg.objects, serde_json::to_string(&ispbx::pjsip::report::resolve(&cfg)).unwrap());
    assert!(!dump.contains("Hunter2") && !dump.contains("KeyPass"));
}
