//! The shapes `ispbx pjsip resolve` and `ispbx pjsip check` print.

use super::diagnostic::{Diagnostic, Severity};
use super::value::Value;
use super::{LoadStatus, PjsipConfig};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Serialize)]
pub struct Resolved {
    pub sections: Vec<Section>,
    pub objects: Vec<ObjectRef>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Serialize)]
pub struct Section {
    pub name: String,
    pub templates: Vec<String>,
    pub file: String,
    pub line: u32,
    pub variables: Vec<KeyValue>,
}

#[derive(Debug, Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: Value,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ObjectRef {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
}

/// Whether `resolve` prints secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secrets {
    Redacted,
    /// For the admin who must see what Asterisk will read as a password (a
    /// `;` cutting it short is the classic trap): never for a response.
    Shown,
}

/// The non-template sections of pjsip.conf as GetConfig shows them, the objects
/// Asterisk would create, and every finding. Secrets are redacted.
pub fn resolve(cfg: &PjsipConfig) -> Resolved {
    resolve_with(cfg, Secrets::Redacted)
}

/// `resolve`, choosing whether secrets show.
pub fn resolve_with(cfg: &PjsipConfig, secrets: Secrets) -> Resolved {
    let main = &cfg.main;
    let sections = main
        .sections()
        .map(|cat| {
            Section {
                name: cat.name.to_string(),
                templates: cat.templates.iter().map(|t| t.to_string()).collect(),
                file: main.path(cat.origin.file).display().to_string(),
                line: cat.origin.line,
                variables: cat
                    .variables
                    .iter()
                    .map(|v| KeyValue {
                        key: v.name.to_string(),
                        value: Value::new(v.value.clone(), secrets == Secrets::Redacted && crate::secret::is_secret_name(&v.name)),
                    })
                    .collect(),
            }
        })
        .collect();
    Resolved {
        sections,
        objects: cfg
            .objects
            .iter()
            .map(|o| ObjectRef {
                kind: o.kind.to_string(),
                name: o.name.to_string(),
            })
            .collect(),
        diagnostics: cfg.diagnostics().cloned().collect(),
    }
}

/// Asterisk would load pjsip.conf (possibly minus some objects).
pub fn would_load(cfg: &PjsipConfig) -> bool {
    cfg.main.status == LoadStatus::Loaded
}

/// Everything Asterisk would load, with nothing rejected.
pub fn is_clean(cfg: &PjsipConfig) -> bool {
    would_load(cfg)
        && !cfg.rejected
        && cfg.wizard.as_ref().is_none_or(|w| w.status == LoadStatus::Loaded)
        && !cfg.diagnostics().any(|d| d.severity == Severity::Error)
}

/// `file:line: severity: message` lines, then nothing else.
pub fn check_lines(cfg: &PjsipConfig) -> String {
    let mut out = String::new();
    for d in cfg.diagnostics() {
        let _ = writeln!(out, "{d}");
    }
    out
}

/// One line for a human: what would load.
pub fn summary(cfg: &PjsipConfig) -> String {
    let path = cfg
        .main
        .document
        .files
        .first()
        .map(|f| f.path.display().to_string())
        .unwrap_or_default();
    if !would_load(cfg) {
        return format!("{path}: Asterisk would reject the whole file and load no PJSIP objects");
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &cfg.objects {
        *counts.entry(&o.kind).or_default() += 1;
    }
    let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let verdict = if is_clean(cfg) {
        "the configuration is ok"
    } else {
        "some objects would be rejected"
    };
    format!("{path}: {verdict}; Asterisk would load {}", parts.join(", "))
}
