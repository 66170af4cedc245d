//! The edited files read again as Asterisk reads them: the edit stands only
//! if the sections asked for say what was asked, Asterisk would log no error
//! it did not log before, every object the edit may change still exists, and
//! every other object has exactly the options it had.

use super::codecs::{self, Codecs};
use super::target::{find, Found, Target};
use super::{EditError, FileChange, Tree};
use crate::pjsip::fs::MemFs;
use crate::pjsip::objects::Object;
use crate::pjsip::{PjsipConfig, Severity};
use rustc_hash::FxHashMap;
use std::collections::HashSet;

/// A section as an edit names it, stable across the edit (line numbers are not).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SectionKey {
    pub tree: Tree,
    pub name: String,
    /// The type the target was found under (`template` for a template).
    pub kind: String,
}

impl SectionKey {
    pub fn of(f: &Found) -> Self {
        SectionKey {
            tree: f.tree,
            name: f.category().name.to_string(),
            kind: if f.is_template() { "template".into() } else { f.kind.clone() },
        }
    }
}

/// What an option of a section must be after the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The value in effect (`None`: not set at all).
    Scalar(Option<String>),
    Items { has: Vec<String>, lacks: Vec<String> },
    /// Exactly these codecs allowed.
    Codecs(Codecs),
    /// These allowed and those not, whatever else is.
    CodecItems { has: Vec<String>, lacks: Vec<String> },
}

#[derive(Debug, Default)]
pub struct Expectations {
    values: Vec<(SectionKey, String, Expect)>,
    /// Objects that may change: (type, id).
    touched: Vec<(String, String)>,
    /// Wizard entries whose generated objects may change.
    wizards: Vec<String>,
    /// Templates whose inheritors may change.
    templates: Vec<(Tree, String)>,
    pub created: Vec<SectionKey>,
    pub deleted: Vec<SectionKey>,
    /// Any object may change, appear or go (files put back as they were).
    pub anything: bool,
}

impl Expectations {
    pub fn push(&mut self, at: SectionKey, key: &str, expect: Expect) {
        self.values.push((at, key.to_string(), expect));
    }

    /// The section's object (or, for a wizard entry, its objects) may change.
    pub fn touch(&mut self, f: &Found) {
        if f.is_template() {
            self.touch_inheritors(f.tree, &f.category().name);
        } else if f.kind == "wizard" {
            self.wizards.push(f.category().name.to_string());
        } else {
            self.touched.push((f.kind.clone(), f.category().name.to_string()));
        }
    }

    pub fn touch_inheritors(&mut self, tree: Tree, template: &str) {
        self.templates.push((tree, template.to_string()));
    }

    fn may_change(&self, o: &Object, inheritors: &HashSet<(String, String)>) -> bool {
        let is = |kind: &str, name: &str| *o.kind == *kind && *o.name == *name;
        self.anything
            || self.touched.iter().any(|(k, n)| is(k, n))
            || self.created.iter().chain(&self.deleted).any(|k| is(&k.kind, &k.name))
            || (!inheritors.is_empty() && inheritors.contains(&(o.kind.to_string(), o.name.to_string())))
            || (o.origin == crate::pjsip::Origin::Wizard
                && self.wizards.iter().any(|w| *o.name == **w || o.name.strip_prefix(w.as_str()).is_some_and(|r| r.starts_with('-'))))
    }
}

/// The config as it would be read from the edited files: every other file
/// as it was read, so the check sees one consistent snapshot.
pub fn reload(cfg: &PjsipConfig, changes: &[FileChange]) -> PjsipConfig {
    let mut fs = MemFs::new();
    for t in [&cfg.main].into_iter().chain(cfg.wizard.as_ref()) {
        for f in &t.document.files {
            fs.files.insert(f.path.clone(), f.bytes.clone());
        }
    }
    for c in changes {
        fs.files.insert(c.path.clone(), c.after.clone());
    }
    let root = cfg.main.document.files.first().map(|f| f.path.clone()).unwrap_or_default();
    PjsipConfig::load_with(&fs, &root)
}

/// Same options, same values, same order: what Asterisk would apply is unchanged.
fn same_fields(a: &Object, b: &Object) -> bool {
    a.fields().len() == b.fields().len()
        && a.fields().zip(b.fields()).all(|(x, y)| x.name.eq_ignore_ascii_case(y.name) && x.value.clear() == y.value.clear())
}

/// A finding as it reads wherever its line moved: "at line 12" and "at
/// line 13" are the same finding; "endpoint '1001'" and "endpoint '1099'"
/// are not.
fn shape(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("line ").or_else(|| rest.find("Line ")) {
        out.push_str(&rest[..i + 5]);
        rest = &rest[i + 5..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push('#');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// Objects that inherit one of `templates`, by (type, id).
fn inheritors(cfg: &PjsipConfig, templates: &[(Tree, String)]) -> HashSet<(String, String)> {
    let mut out = HashSet::new();
    for (t, name) in templates {
        let Some(config) = super::tree(cfg, *t) else { continue };
        for c in config.categories.iter().filter(|c| !c.is_template) {
            let inherits = c.templates.iter().any(|x| **x == **name)
                || c.variables.iter().any(|v| v.template.as_deref() == Some(name.as_str()));
            if inherits {
                let kind = c.first("type").map(|v| v.value.to_string()).unwrap_or_default();
                out.insert((kind, c.name.to_string()));
            }
        }
    }
    out
}

/// What an edit does to Asterisk's objects, as the check found it.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Objects new or with other options after the edit, as Asterisk would build them.
    pub changed: Vec<Object>,
    /// Objects gone after the edit, as (type, id).
    pub removed: Vec<(String, String)>,
}

/// Checks `new` against `old` and what was asked. `new` and `old` may be the
/// whole config or only the edited sections of it (see `region`); Asterisk's
/// findings before the edit are always those of the whole config, `before`.
pub fn check(before: &PjsipConfig, old: &PjsipConfig, new: &PjsipConfig, expect: &Expectations) -> Result<Outcome, EditError> {
    if let Some(e) = new.error() {
        return Err(EditError::Unverified(format!("Asterisk would no longer load the config: {e}")));
    }
    let old_errors: HashSet<String> =
        before.diagnostics().filter(|d| d.severity == Severity::Error).map(|d| shape(&d.message)).collect();
    let new_errors: Vec<String> = new
        .diagnostics()
        .filter(|d| d.severity == Severity::Error && !old_errors.contains(&shape(&d.message)))
        .map(|d| d.to_string())
        .collect();
    if !new_errors.is_empty() {
        return Err(EditError::Unverified(format!("Asterisk would refuse it: {}", new_errors.join("; "))));
    }

    for (at, key, want) in &expect.values {
        let target = Target::new(at.name.clone(), Some(&at.kind));
        let f = find(new, &target).map_err(|e| EditError::Unverified(e.to_string()))?;
        if f.tree != at.tree {
            return Err(EditError::Unverified(format!("{} moved between files", f.label())));
        }
        let cat = f.category();
        let mut vars = cat.variables.iter().filter(|v| v.name.eq_ignore_ascii_case(key));
        let got = match want {
            Expect::Scalar(_) => Expect::Scalar(vars.next_back().map(|v| v.value.to_string())),
            Expect::Items { .. } => {
                let items: Vec<String> = vars.flat_map(|v| super::ops::items_of(key, &v.value)).collect();
                Expect::Items { has: items, lacks: Vec::new() }
            }
            Expect::Codecs(_) | Expect::CodecItems { .. } => Expect::Codecs(codecs::effective(
                cat.variables.iter().filter_map(|v| codecs::line(&v.name, &v.value)),
            )),
        };
        let ok = match (want, &got) {
            (Expect::CodecItems { has, lacks }, Expect::Codecs(c)) => {
                has.iter().all(|h| c.allows(h)) && lacks.iter().all(|l| !c.allows(l))
            }
            (Expect::Items { has, lacks }, Expect::Items { has: items, .. }) => {
                has.iter().all(|h| items.contains(h)) && lacks.iter().all(|l| !items.contains(l))
            }
            (w, g) => w == g,
        };
        if !ok {
            let shown = if crate::secret::is_secret_name(key) { "the value asked for".to_string() } else { format!("{want:?}") };
            return Err(EditError::Unverified(format!(
                "{} would read {key} as {} rather than {shown}",
                f.label(),
                if crate::secret::is_secret_name(key) { "something else".to_string() } else { format!("{got:?}") }
            )));
        }
    }

    let mut templates = expect.templates.clone();
    templates.dedup();
    let mut allowed = inheritors(old, &templates);
    allowed.extend(inheritors(new, &templates));
    fn index(c: &PjsipConfig) -> FxHashMap<(&str, &str), &Object> {
        c.objects.iter().map(|o| ((&*o.kind, &*o.name), o)).collect()
    }
    let (old_objects, new_objects) = (index(old), index(new));
    for (id, o) in &old_objects {
        if expect.may_change(o, &allowed) {
            // It may change, but not vanish: a template edit that makes
            // Asterisk refuse its inheritors is refused here.
            let deleted = expect.anything || expect.deleted.iter().any(|k| k.kind == id.0 && k.name == id.1);
            if !deleted && o.origin != crate::pjsip::Origin::Wizard && !new_objects.contains_key(id) {
                return Err(EditError::Unverified(format!("Asterisk would no longer create {} '{}'", id.0, id.1)));
            }
            continue;
        }
        match new_objects.get(id) {
            None => return Err(EditError::Unverified(format!("{} '{}' would disappear", id.0, id.1))),
            Some(n) if !same_fields(n, o) => {
                return Err(EditError::Unverified(format!("{} '{}' would change too", id.0, id.1)))
            }
            Some(_) => {}
        }
    }
    for (id, o) in &new_objects {
        if !old_objects.contains_key(id) && !expect.may_change(o, &allowed) {
            return Err(EditError::Unverified(format!("{} '{}' would appear", id.0, id.1)));
        }
    }
    for k in &expect.deleted {
        if k.kind != "wizard" && new_objects.contains_key(&(k.kind.as_str(), k.name.as_str())) {
            return Err(EditError::Unverified(format!("{} '{}' would still exist", k.kind, k.name)));
        }
    }
    for k in expect.created.iter().chain(expect.values.iter().map(|(k, _, _)| k)) {
        if k.kind == "template" || k.kind == "wizard" {
            continue;
        }
        if !new_objects.contains_key(&(k.kind.as_str(), k.name.as_str())) {
            return Err(EditError::Unverified(format!("Asterisk would not create {} '{}'", k.kind, k.name)));
        }
    }
    let changed = new
        .objects
        .iter()
        .filter(|o| old_objects.get(&(&*o.kind, &*o.name)).is_none_or(|was| !same_fields(was, o)))
        .cloned()
        .collect();
    let removed = old
        .objects
        .iter()
        .filter(|o| !new_objects.contains_key(&(&*o.kind, &*o.name)))
        .map(|o| (o.kind.to_string(), o.name.to_string()))
        .collect();
    Ok(Outcome { changed, removed })
}
