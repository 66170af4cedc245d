//! Differential testing of the pjsip.conf engine against Asterisk: what a
//! real Asterisk makes of a config (GetConfig section by section, the sorcery
//! objects that exist after the load) and what ISPBX makes of it, in one
//! comparable form, so that a difference is a line in a test failure.
//!
//! A case is a directory of config files (tests/fidelity/cases/NN-name/)
//! with Asterisk's recorded answer beside them (`asterisk.json`).
//! Transports bind `127.0.0.1:0` in the case files; the live runner gives
//! each such bind a free port and maps it back to 0 in what it records, so
//! that cases load side by side and recordings do not depend on the run.

use super::ami_tap::AmiTap;
use super::asterisk::{free_port, Asterisk, AMI_SECRET};
use ispbx::pjsip::{parser, LoadStatus, PjsipConfig};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fidelity/cases")
}

/// Every case directory, in name order.
pub fn cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("pjsip.conf").exists()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub name: String,
    pub templates: Vec<String>,
    pub variables: Vec<(String, String)>,
}

/// One side's view of a config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    /// GetConfig for pjsip.conf: its sections, or the error it answers.
    pub getconfig: Result<Vec<Section>, String>,
    /// GetConfigJSON for pjsip.conf, as the text Asterisk sends (templates
    /// included, which GetConfig leaves out), or the error it answers.
    #[serde(default = "not_recorded")]
    pub getconfigjson: Result<String, String>,
    /// The objects that exist after the load, as "type name", sorted.
    pub objects: BTreeSet<String>,
}

fn not_recorded() -> Result<String, String> {
    Err("not recorded".into())
}

/// What Asterisk answered for a case, as recorded.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Recording {
    pub asterisk: String,
    #[serde(flatten)]
    pub view: View,
    /// What Asterisk logged about pjsip while loading (for the reader: why an object is missing).
    pub log: Vec<String>,
}

/// Object types an AMI list gives whole (ObjectName), with its item event.
const AMI_LISTED: &[(&str, &str, &str)] = &[
    ("endpoint", "PJSIPShowEndpoints", "EndpointList"),
    ("aor", "PJSIPShowAors", "AorList"),
    ("auth", "PJSIPShowAuths", "AuthList"),
    ("registration", "PJSIPShowRegistrationsOutbound", "OutboundRegistrationDetail"),
];

/// Types only the CLI lists (its column cuts ids past 40-odd characters),
/// with the CLI list and the line prefix of an item.
const LISTED: &[(&str, &str, Option<&str>)] = &[("transport", "transports", Some("Transport:")), ("identify", "identifies", Some("Identify:"))];

/// Types no CLI lists: asked one name at a time through AST_SORCERY(), with
/// a field that is never empty on an object that exists.
const PROBED: &[(&str, &str)] = &[("system", "timer_t1"), ("global", "max_forwards"), ("domain_alias", "domain")];

fn compared_type(kind: &str) -> bool {
    AMI_LISTED.iter().any(|(k, _, _)| *k == kind) || LISTED.iter().any(|(k, _, _)| *k == kind) || PROBED.iter().any(|(k, _)| *k == kind)
}

/// What ISPBX makes of the case's pjsip.conf.
pub fn ispbx_view(case: &Path) -> View {
    let conf = case.join("pjsip.conf");
    let parsed = parser::load(&conf);
    let getconfig = match parsed.status {
        LoadStatus::Loaded => Ok(parsed
            .sections()
            .map(|c| Section {
                name: c.name.to_string(),
                templates: c.templates.iter().map(|t| t.to_string()).collect(),
                variables: c.variables.iter().map(|v| (v.name.to_string(), v.value.to_string())).collect(),
            })
            .collect()),
        LoadStatus::Invalid => Err("Config file has invalid format".to_string()),
        LoadStatus::Missing => Err("Config file not found".to_string()),
    };
    let getconfigjson = match parsed.status {
        LoadStatus::Loaded => Ok(config_json(&parsed)),
        LoadStatus::Invalid => Err("Config file has invalid format".to_string()),
        LoadStatus::Missing => Err("Config file not found".to_string()),
    };
    let cfg = PjsipConfig::load(&conf);
    let objects = cfg.objects.iter().filter(|o| compared_type(&o.kind)).map(|o| format!("{} {}", o.kind, o.name)).collect();
    View { getconfig, getconfigjson, objects }
}

/// manager.c: action_getconfigjson's text for a parsed config: the
/// categories ast_category_browse_filtered gives (templates are skipped, so
/// its `istemplate` never shows), `templates`, then the variables, with
/// json_escape's escaping (backslash and double quote only).
fn config_json(cfg: &ispbx::pjsip::Config) -> String {
    fn esc(s: &str) -> String {
        s.chars().flat_map(|c| if c == '\\' || c == '"' { vec!['\\', c] } else { vec![c] }).collect()
    }
    let mut out = String::from("{");
    for (i, c) in cfg.sections().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\"{}\":{{", esc(&c.name)));
        let mut fields: Vec<String> = Vec::new();
        if !c.templates.is_empty() {
            fields.push(format!("\"templates\":\"{}\"", c.templates.join(",")));
        }
        fields.extend(c.variables.iter().map(|v| format!("\"{}\":\"{}\"", esc(&v.name), esc(&v.value))));
        out.push_str(&fields.join(","));
        out.push('}');
    }
    out.push('}');
    out
}

/// The lines of a case (every file, bytes as they are) with each
/// `bind=127.0.0.1:0` given a free port; the ports given.
fn with_free_binds(dir: &Path) -> (tempfile::TempDir, Vec<u16>) {
    let out = tempfile::tempdir().unwrap();
    let mut ports = Vec::new();
    copy_binding(dir, out.path(), &mut ports);
    (out, ports)
}

fn copy_binding(from: &Path, to: &Path, ports: &mut Vec<u16>) {
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap();
        if p.is_dir() {
            std::fs::create_dir_all(to.join(name)).unwrap();
            copy_binding(&p, &to.join(name), ports);
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        let needle = b"127.0.0.1:0";
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let at_end = bytes.get(i + needle.len()).is_none_or(|b| !b.is_ascii_digit());
            if bytes[i..].starts_with(needle) && at_end {
                let port = free_port();
                ports.push(port);
                out.extend_from_slice(format!("127.0.0.1:{port}").as_bytes());
                i += needle.len();
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        std::fs::write(to.join(name), out).unwrap();
    }
}

/// GetConfig's answer as sections (Category-N, Templates-N, Line-N-M: k=v).
fn sections_of(answer: &super::ami_tap::Received, ports: &[u16]) -> Result<Vec<Section>, String> {
    if answer.get("Response") != Some("Success") {
        return Err(answer.get("Message").unwrap_or("").to_string());
    }
    let mut out: Vec<Section> = Vec::new();
    for (k, v) in &answer.headers {
        if k.starts_with("Category-") {
            out.push(Section { name: v.clone(), templates: Vec::new(), variables: Vec::new() });
        } else if k.starts_with("Templates-") {
            if let Some(s) = out.last_mut() {
                s.templates = v.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect();
            }
        } else if k.starts_with("Line-") {
            let (name, value) = v.split_once('=').unwrap_or((v, ""));
            let mut value = value.to_string();
            for p in ports {
                value = value.replace(&format!("127.0.0.1:{p}"), "127.0.0.1:0");
            }
            if let Some(s) = out.last_mut() {
                s.variables.push((name.to_string(), value));
            }
        }
    }
    Ok(out)
}

/// The ids in a `pjsip list …` answer.
fn listed_ids(text: &str, prefix: Option<&str>) -> Vec<String> {
    let body = text.split_once("=====").map_or("", |(_, rest)| rest);
    body.lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Objects found") && !l.starts_with('='))
        .filter_map(|l| match prefix {
            Some(p) => l.strip_prefix(p).map(str::trim),
            None => Some(l),
        })
        .filter_map(|l| l.split_whitespace().next())
        .map(|id| id.split('/').next().unwrap_or(id).to_string())
        .collect()
}

/// Loads the case into a fresh Asterisk and records what it makes of it.
/// `None` when there is no Asterisk to run.
pub fn record(case: &Path) -> Option<Recording> {
    let (files, ports) = with_free_binds(case);
    let recording = record_files(files.path(), &ports);
    super::asterisk::release(&ports);
    recording
}

fn record_files(files: &Path, ports: &[u16]) -> Option<Recording> {
    let ast = match Asterisk::start_with_pjsip(files)? {
        Ok(ast) => ast,
        // Recorded as it is: the config kills (or hangs) Asterisk. No object exists then.
        Err(died) => {
            let how = died.lines().next().unwrap_or("").to_string();
            let died = format!("ASTERISK DIED: {how}");
            let view = View { getconfig: Err(died.clone()), getconfigjson: Err(died), objects: BTreeSet::new() };
            return Some(Recording { asterisk: "Asterisk 22".into(), view, log: Vec::new() });
        }
    };
    let tap = AmiTap::connect(&ast.ami_addr(), "fidelity", AMI_SECRET);
    let mark = tap.send(&[("Action", "GetConfig"), ("Filename", "pjsip.conf"), ("ActionID", "gc")]);
    let getconfig = sections_of(&tap.response(mark, "gc"), ports);
    let mark = tap.send(&[("Action", "GetConfigJSON"), ("Filename", "pjsip.conf"), ("ActionID", "gcj")]);
    let answer = tap.response(mark, "gcj");
    let getconfigjson = match answer.get("Response") {
        Some("Success") => {
            let mut json = answer.get("JSON").unwrap_or("").to_string();
            for p in ports {
                json = json.replace(&format!("127.0.0.1:{p}"), "127.0.0.1:0");
            }
            Ok(json)
        }
        _ => Err(answer.get("Message").unwrap_or("").to_string()),
    };

    let mut objects = BTreeSet::new();
    for (kind, action, item) in AMI_LISTED {
        for m in tap.list(&[("Action", action)], &format!("list-{kind}")) {
            if m.event() == Some(item) {
                objects.insert(format!("{kind} {}", m.get("ObjectName").unwrap_or("")));
            }
        }
    }
    for (kind, list, prefix) in LISTED {
        for id in listed_ids(&ast.cli(&format!("pjsip list {list}")), *prefix) {
            objects.insert(format!("{kind} {id}"));
        }
    }
    // Candidates: every section Asterisk read, and the names res_pjsip uses by itself.
    let mut names: BTreeSet<String> = getconfig.iter().flatten().map(|s| s.name.clone()).collect();
    names.extend(["system".to_string(), "global".to_string()]);
    for (kind, field) in PROBED {
        for name in &names {
            let id = format!("probe-{kind}-{name}");
            let var = format!("AST_SORCERY(res_pjsip,{kind},{name},{field})");
            let mark = tap.send(&[("Action", "Getvar"), ("Variable", &var), ("ActionID", &id)]);
            if tap.response(mark, &id).get("Value").is_some_and(|v| !v.is_empty()) {
                objects.insert(format!("{kind} {name}"));
            }
        }
    }
    let version = ast.cli("core show version");
    let etc = format!("{}/", ast.etc().display());
    let log = ast
        .file("log/messages.log")
        .lines()
        .filter(|l| (l.contains("ERROR") || l.contains("WARNING")) && (l.to_ascii_lowercase().contains("pjsip") || l.contains("sorcery")))
        // Drop the timestamp and thread: "[date time] LEVEL[tid] file: text" → "LEVEL file: text".
        .map(|l| {
            let l = l.split_once("] ").map_or(l, |(_, r)| r);
            match l.split_once('[') {
                Some((level, rest)) => format!("{level}{}", rest.split_once(']').map_or(rest, |(_, r)| r)),
                None => l.to_string(),
            }
        })
        .filter(|l| !l.contains("pjproject.conf"))
        // The instance's directory changes every run.
        .map(|l| l.replace(&etc, ""))
        .collect();
    Some(Recording { asterisk: version.split_whitespace().take(2).collect::<Vec<_>>().join(" "), view: View { getconfig, getconfigjson, objects }, log })
}

/// An object named `[]` gets a random UUID from sorcery: its shape is compared.
fn uuid_shaped(objects: &BTreeSet<String>) -> BTreeSet<String> {
    let mut n = 0;
    objects
        .iter()
        .map(|o| match o.split_once(' ') {
            Some((kind, name)) if name.len() == 36 && name.chars().filter(|&c| c == '-').count() == 4 => {
                n += 1;
                format!("{kind} <uuid #{n}>")
            }
            _ => o.clone(),
        })
        .collect()
}

/// The differences between Asterisk's view and ISPBX's, one line each.
pub fn differences(asterisk: &View, ispbx: &View) -> Vec<String> {
    let mut out = Vec::new();
    let (asterisk_objects, ispbx_objects) = (uuid_shaped(&asterisk.objects), uuid_shaped(&ispbx.objects));
    match (&asterisk.getconfig, &ispbx.getconfig) {
        (Ok(a), Ok(i)) => {
            if a.len() != i.len() {
                out.push(format!(
                    "sections: Asterisk {:?}, ISPBX {:?}",
                    a.iter().map(|s| &s.name).collect::<Vec<_>>(),
                    i.iter().map(|s| &s.name).collect::<Vec<_>>()
                ));
            }
            for (n, (sa, si)) in a.iter().zip(i).enumerate() {
                if sa.name != si.name || sa.templates != si.templates {
                    out.push(format!("section #{n}: Asterisk [{}]({:?}), ISPBX [{}]({:?})", sa.name, sa.templates, si.name, si.templates));
                }
                if sa.variables != si.variables {
                    out.push(format!("section #{n} [{}] variables: Asterisk {:?}, ISPBX {:?}", sa.name, sa.variables, si.variables));
                }
            }
        }
        (a, i) if a != i => out.push(format!("GetConfig: Asterisk {a:?}, ISPBX {i:?}")),
        _ => {}
    }
    if asterisk.getconfigjson != ispbx.getconfigjson {
        out.push(format!("GetConfigJSON: Asterisk {:?}, ISPBX {:?}", asterisk.getconfigjson, ispbx.getconfigjson));
    }
    for o in asterisk_objects.difference(&ispbx_objects) {
        out.push(format!("object {o}: Asterisk has it, ISPBX not"));
    }
    for o in ispbx_objects.difference(&asterisk_objects) {
        out.push(format!("object {o}: ISPBX has it, Asterisk not"));
    }
    out
}
