//! Which section an edit means: an object named by its id (and its type,
//! where pjsip.conf gives several objects one name), a wizard entry, or a
//! template named outright.

use super::{tree, EditError, Tree};
use crate::pjsip::parser::{Category, Config, Location, Variable};
use crate::pjsip::PjsipConfig;

/// Where an edit of an inherited value lands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scope {
    /// In the object's own section: an inherited value is overridden there.
    #[default]
    Own,
    /// In the template the value in effect comes from: every object
    /// inheriting it changes.
    Template,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    /// `endpoint`, `aor`, …, `wizard`; `None` when the name says it alone.
    pub kind: Option<String>,
    pub scope: Scope,
}

impl Target {
    pub fn new(name: impl Into<String>, kind: Option<&str>) -> Self {
        Target { name: name.into(), kind: kind.map(str::to_string), scope: Scope::Own }
    }

    pub fn in_template(mut self) -> Self {
        self.scope = Scope::Template;
        self
    }
}

/// A section found for a target.
pub(crate) struct Found<'c> {
    pub tree: Tree,
    pub config: &'c Config,
    pub index: usize,
    /// The section's type (`wizard` for a wizard entry); for a template, the
    /// type it gives (or "template" when it gives none).
    pub kind: String,
}

impl<'c> Found<'c> {
    pub fn category(&self) -> &'c Category {
        &self.config.categories[self.index]
    }

    pub fn is_template(&self) -> bool {
        self.category().is_template
    }

    /// `endpoint 1001`, `template phone`, `wizard 2001`: how messages name it.
    pub fn label(&self) -> String {
        if self.is_template() {
            format!("template [{}]", self.category().name)
        } else {
            format!("{} [{}]", self.kind, self.category().name)
        }
    }

    /// The option table's type for a key (see [`key_kind`]).
    pub fn key_kind<'k>(&self, key: &'k str) -> (String, &'k str) {
        key_kind(&self.kind, key)
    }
}

/// The option table's type for a key of a section of type `kind`:
/// `endpoint/context` in a wizard entry is an endpoint's option.
pub(crate) fn key_kind<'k>(kind: &str, key: &'k str) -> (String, &'k str) {
    if kind == "wizard" {
        if let Some((prefix, rest)) = key.split_once('/') {
            let kind = match prefix {
                "inbound_auth" | "outbound_auth" => "auth",
                other => other,
            };
            return (kind.to_string(), rest);
        }
    }
    (kind.to_string(), key)
}

/// The section's own variables for `key` (not inherited), in order.
pub(crate) fn own<'c>(cat: &'c Category, key: &str) -> Vec<&'c Variable> {
    cat.variables.iter().filter(|v| v.template.is_none() && v.name.eq_ignore_ascii_case(key)).collect()
}

/// The section's inherited variables for `key`, in order.
pub(crate) fn inherited<'c>(cat: &'c Category, key: &str) -> Vec<&'c Variable> {
    cat.variables.iter().filter(|v| v.template.is_some() && v.name.eq_ignore_ascii_case(key)).collect()
}

/// Every line a variable took: its own and its `+=` lines.
pub(crate) fn lines_of(v: &Variable) -> impl Iterator<Item = Location> + '_ {
    std::iter::once(v.origin).chain(v.appended.iter().copied())
}

fn kind_of(cat: &Category) -> String {
    match cat.first("type") {
        Some(t) => t.value.to_string(),
        None if cat.is_template => "template".to_string(),
        None => match &*cat.name {
            name @ ("system" | "global") => name.to_string(),
            _ => String::new(),
        },
    }
}

/// Finds the one section `target` names.
pub(crate) fn find<'c>(cfg: &'c PjsipConfig, target: &Target) -> Result<Found<'c>, EditError> {
    let mut found: Vec<Found<'c>> = Vec::new();
    for t in [Tree::Main, Tree::Wizard] {
        let Some(config) = tree(cfg, t) else { continue };
        for (index, cat) in config.categories.iter().enumerate() {
            if *cat.name != *target.name {
                continue;
            }
            let kind = kind_of(cat);
            if t == Tree::Wizard && kind != "wizard" && !cat.is_template {
                continue;
            }
            let wanted = match &target.kind {
                Some(k) if k == "template" => cat.is_template,
                Some(k) => *k == kind,
                None => true,
            };
            if wanted {
                found.push(Found { tree: t, config, index, kind });
            }
        }
    }
    // A template and an object may share a name; naming the object's type picks it.
    if target.kind.is_some() && found.len() > 1 && found.iter().any(|f| !f.is_template()) {
        found.retain(|f| !f.is_template());
    }
    match found.len() {
        1 => Ok(found.pop().expect("one")),
        0 => Err(EditError::NotFound(match &target.kind {
            Some(k) => format!("no {k} named '{}' in the config", target.name),
            None => format!("no section named '{}' in the config", target.name),
        })),
        _ => {
            let at: Vec<String> = found
                .iter()
                .map(|f| {
                    let c = f.category();
                    format!("{} ({}:{})", f.label(), f.config.path(c.origin.file).display(), c.origin.line)
                })
                .collect();
            Err(EditError::Ambiguous(format!(
                "'{}' names {} sections: {}; say which with --type",
                target.name,
                found.len(),
                at.join(", ")
            )))
        }
    }
}
