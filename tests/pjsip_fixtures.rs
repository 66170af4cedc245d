//! The config engine against what a real Asterisk 22.10.1 made of the fixture config.
#![cfg(feature = "ssr")]

mod common;

use common::{fixture, parse_getconfig, read};
use ispbx::pjsip::{parser, LoadStatus, PjsipConfig};
use std::collections::BTreeSet;

#[test]
fn fixture_config_equals_getconfig_section_by_section() {
    let cfg = parser::load(&fixture("pjsip/pjsip.conf"));
    assert_eq!(cfg.status, LoadStatus::Loaded, "{:?}", cfg.diagnostics);
    let expected = parse_getconfig(&read("ami/36_getconfig_pjsip.response"));
    let ours: Vec<_> = cfg
        .sections()
        .map(|c| {
            (
                c.name.to_string(),
                c.templates.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                c.variables
                    .iter()
                    .map(|v| (v.name.to_string(), v.value.to_string()))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(ours.len(), expected.len(), "section count");
    for (i, (o, e)) in ours.iter().zip(&expected).enumerate() {
        assert_eq!(o, e, "section #{i} ({})", e.0);
    }
}

#[test]
fn wizard_file_equals_getconfig() {
    let cfg = parser::load(&fixture("pjsip/pjsip_wizard.conf"));
    let expected = parse_getconfig(&read("ami/38_getconfig_pjsip_wizard.response"));
    let ours: Vec<_> = cfg
        .sections()
        .map(|c| {
            (
                c.name.to_string(),
                c.templates.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                c.variables
                    .iter()
                    .map(|v| (v.name.to_string(), v.value.to_string()))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(ours, expected);
}

#[test]
fn fixture_config_parses_without_warnings() {
    let cfg = parser::load(&fixture("pjsip/pjsip.conf"));
    assert!(cfg.diagnostics.is_empty(), "{:?}", cfg.diagnostics);
}

/// The endpoint names Asterisk listed in `pjsip show endpoints`.
fn cli_endpoints() -> BTreeSet<String> {
    let text = String::from_utf8(read("asterisk-cli/pjsip_show_endpoints.txt")).unwrap();
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("Endpoint:"))
        .map(|rest| rest.split_whitespace().next().unwrap().split('/').next().unwrap().to_string())
        .filter(|n| !n.starts_with('<'))
        .collect()
}

#[test]
fn objects_equal_what_asterisk_loaded() {
    let cfg = PjsipConfig::load(&fixture("pjsip/pjsip.conf"));
    assert!(cfg.error().is_none());
    let endpoints: BTreeSet<String> = cfg.objects_of("endpoint").map(|o| o.name.to_string()).collect();
    assert_eq!(endpoints, cli_endpoints());

    // Every resolved/NAME.KIND.txt file is an object Asterisk had.
    let mut expected = BTreeSet::new();
    for entry in std::fs::read_dir(fixture("asterisk-cli/resolved")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".txt") else { continue };
        let (obj, kind) = stem.rsplit_once('.').unwrap();
        expected.insert((kind.to_string(), obj.to_string()));
    }
    let ours: BTreeSet<(String, String)> = cfg
        .objects
        .iter()
        .filter(|o| ["endpoint", "aor", "auth", "registration"].contains(&&*o.kind))
        .map(|o| (o.kind.to_string(), o.name.to_string()))
        .collect();
    assert_eq!(ours, expected);
}

#[test]
fn effective_endpoint_values_match_asterisk() {
    let cfg = PjsipConfig::load(&fixture("pjsip/pjsip.conf"));
    let ep = |n: &str| cfg.object("endpoint", n).unwrap();
    // templates resolved, own lines last
    assert_eq!(ep("1003").get("context").as_deref(), Some("from-sales"));
    assert_eq!(ep("1003").get("direct_media").as_deref(), Some("yes"));
    // allow accumulates through two templates and a (+) append
    assert_eq!(ep("1003").get("allow").as_deref(), Some("ulaw,alaw,gsm,g722"));
    assert_eq!(ep("1002").get("allow").as_deref(), Some("ulaw,alaw,g722,opus,h264,vp8"));
    // += appends verbatim
    assert_eq!(ep("1006").get("mailboxes").as_deref(), Some("1006@default ,1006@sales"));
    // a value containing '='
    assert_eq!(ep("1006").get("set_var").as_deref(), Some("LAB_TIER=gold"));
    // the inline block comment hides nothing after it
    assert_eq!(ep("2001").get("direct_media").as_deref(), Some("yes"));
    // wizard objects
    assert_eq!(ep("3001").get("auth").as_deref(), Some("3001-iauth"));
    assert_eq!(ep("wiz-trunk").get("outbound_auth").as_deref(), Some("wiz-trunk-oauth"));
    assert_eq!(ep("wiz-trunk").get("context").as_deref(), Some("from-provider"));
    let reg = cfg.object("registration", "wiz-trunk-reg-0").unwrap();
    assert_eq!(reg.get("client_uri").as_deref(), Some("sip:labpbx2@127.0.0.1:5081"));
    assert_eq!(reg.get("server_uri").as_deref(), Some("sip:127.0.0.1:5081"));
    assert!(cfg.object("identify", "wiz-trunk-identify").is_some());
}

#[test]
fn provenance_points_at_the_template_line() {
    let cfg = PjsipConfig::load(&fixture("pjsip/pjsip.conf"));
    let ep = cfg.object("endpoint", "1002").unwrap();
    let eff = ep.effective();
    let ctx = eff.iter().find(|e| &*e.name == "context").unwrap();
    assert_eq!(ctx.sources.len(), 1);
    // context=from-internal is written in endpoint-tpl, reached through softphone-tpl
    assert_eq!(ctx.sources[0].template.as_deref(), Some("endpoint-tpl"));
    let text = String::from_utf8(read("pjsip/pjsip.conf")).unwrap();
    let line = text.lines().nth(ctx.sources[0].line as usize - 1).unwrap();
    assert_eq!(line, "context=from-internal");
    // The CRLF include's lines are numbered in that file
    let ep = cfg.object("endpoint", "2003").unwrap();
    let eff = ep.effective();
    let ctx = eff.iter().find(|e| &*e.name == "context").unwrap();
    assert!(ctx.sources[0].file.ends_with("pjsip_extra.conf"));
    assert_eq!(ctx.sources[0].template, None);
}

#[test]
fn secrets_are_marked_in_the_model() {
    let cfg = PjsipConfig::load(&fixture("pjsip/pjsip.conf"));
    let auth = cfg.object("auth", "1006").unwrap();
    let md5 = auth.effective().into_iter().find(|e| &*e.name == "md5_cred").unwrap();
    assert!(md5.value.is_secret());
    let dump = format!("{:?}", cfg.objects);
    for secret in ["Alice-1001-pass", "Carol;1003;pass", "224d4597b1d99f271886df5449211c0b", "Wiz-3001-pass", "Prov1der-pass"] {
        assert!(!dump.contains(secret), "{secret} leaked into Debug");
    }
    let json = serde_json::to_string(&ispbx::pjsip::report::resolve(&cfg)).unwrap();
    for secret in ["Alice-1001-pass", "Carol;1003;pass", "224d4597b1d99f271886df5449211c0b", "HotDesk-shared-pass"] {
        assert!(!json.contains(secret), "{secret} leaked into resolve output");
    }
}

#[test]
fn every_fixture_file_round_trips_byte_for_byte() {
    let cfg = PjsipConfig::load(&fixture("pjsip/pjsip.conf"));
    let mut n = 0;
    for f in cfg.main.document.files.iter().chain(cfg.wizard.iter().flat_map(|w| w.document.files.iter())) {
        assert_eq!(f.to_bytes(), std::fs::read(&f.path).unwrap(), "{}", f.path.display());
        n += 1;
    }
    assert_eq!(n, 3);
    assert!(cfg.main.document.files[1].uses_crlf());
}
