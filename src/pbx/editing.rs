//! What the dashboard's editing pages ask of the PBX: the fields of a
//! form (from Asterisk's option table), and each change checked before it
//! is applied. The answers are the same checks the apply pipeline makes;
//! nothing here writes.

use super::apply::ApplyError;
use super::{EndpointPart, Pbx};
use crate::model::{ChangeReview, EndpointView, OptionField, OptionInput, TemplateChoice};
use crate::pjsip::edit::{unified, Change, Scope, Target};
use crate::pjsip::option_rules::{self, Kind, OptionRule};

/// Every option `kind` objects take, in Asterisk's order, for a form.
pub fn option_fields(kind: &str) -> Vec<OptionField> {
    option_rules::rules(kind).unwrap_or_default().iter().filter(|r| r.kind != Kind::Noop).map(field_of).collect()
}

fn field_of(rule: &OptionRule) -> OptionField {
    let input = match rule.kind {
        Kind::Bool => OptionInput::Bool,
        Kind::Uint { min, max } => OptionInput::Integer {
            min: i64::try_from(min).unwrap_or(i64::MAX),
            max: i64::try_from(max).unwrap_or(i64::MAX),
        },
        Kind::Int { min, max } => OptionInput::Integer { min, max },
        Kind::Double { .. } => OptionInput::Number,
        Kind::Enum { values, also_bool, .. } => {
            let mut values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            if also_bool {
                values.extend(["yes".to_string(), "no".to_string()]);
            }
            OptionInput::Choice { values }
        }
        Kind::Codec => OptionInput::Codecs,
        Kind::Duration | Kind::Address | Kind::Acl | Kind::Str | Kind::Custom | Kind::Noop => OptionInput::Text,
    };
    OptionField {
        name: rule.name.to_string(),
        input,
        default: rule.default.to_string(),
        help: rule.help.to_string(),
        secret: crate::secret::is_secret_name(rule.name),
    }
}

/// One option's change as the dashboard asks it.
#[derive(Debug, Clone)]
pub struct OptionEdit<'a> {
    pub extension: &'a str,
    pub part: EndpointPart,
    pub option: &'a str,
    /// `None`: unset (the object's own line goes).
    pub value: Option<&'a str>,
    pub scope: Scope,
}

impl Pbx {
    /// The endpoint page, with what editing it needs; `may_change` when the
    /// one asking may change the PBX.
    pub fn endpoint_page(&self, name: &str, may_change: bool) -> Result<EndpointView, super::PbxError> {
        let snapshot = self.snapshot();
        let mut view = snapshot.endpoint_view(name)?;
        view.config_version = snapshot.config_version().map(str::to_string);
        view.writes = self.writes() && may_change;
        Ok(view)
    }

    /// The changes one option's edit makes (see [`Pbx::endpoint_changes`]).
    pub fn option_changes(&self, edit: &OptionEdit<'_>) -> Result<Vec<Change>, ApplyError> {
        if crate::secret::is_secret_name(edit.option) {
            return Err(ApplyError::Invalid(format!("{} is a secret: set it through the API (PATCH {})", edit.option, crate::routes::ENDPOINT_CONFIG)));
        }
        let (set, unset) = match edit.value {
            Some(v) => (vec![(edit.option.to_string(), v.to_string())], Vec::new()),
            None => (Vec::new(), vec![edit.option.to_string()]),
        };
        self.endpoint_changes(edit.extension, edit.part, &set, &unset, edit.scope)
    }

    /// One option's edit, checked on the files as they are now.
    pub async fn review_option(&self, edit: &OptionEdit<'_>) -> Result<ChangeReview, ApplyError> {
        let changes = self.option_changes(edit)?;
        let target = match changes.first() {
            Some(Change::Set { target, .. } | Change::Unset { target, .. }) => {
                let kind = target.kind.as_deref().unwrap_or("object");
                match edit.scope {
                    Scope::Own => format!("{kind} {}", target.name),
                    Scope::Template => format!("the template {kind} {} takes this value from", target.name),
                }
            }
            _ => edit.extension.to_string(),
        };
        self.review(target, changes).await
    }

    /// A new extension from `template`, checked (its password not yet made).
    pub async fn review_new_extension(&self, extension: &str, template: &str) -> Result<ChangeReview, ApplyError> {
        let change = Change::CreateTrio { name: extension.to_string(), template: template.to_string(), password: crate::secret::REDACTED.to_string() };
        self.review(format!("extension {extension}"), vec![change]).await
    }

    /// Deleting an extension with its auth and aor, checked.
    pub async fn review_delete(&self, extension: &str) -> Result<ChangeReview, ApplyError> {
        self.review(format!("extension {extension}"), vec![delete_extension(extension)]).await
    }

    async fn review(&self, target: String, changes: Vec<Change>) -> Result<ChangeReview, ApplyError> {
        let (version, edited) = self.preview(changes).await?;
        Ok(ChangeReview {
            target,
            version: version.to_string(),
            diff: unified(&edited.files),
            notes: edited.notes,
            removed: edited.removed.iter().map(|(k, n)| format!("{k} {n}")).collect(),
        })
    }

    /// The endpoint templates of the served config, with how many endpoints
    /// inherit each directly: what "new extension" offers.
    pub fn endpoint_templates(&self) -> Vec<TemplateChoice> {
        let snapshot = self.snapshot();
        let Ok(cfg) = snapshot.config() else { return Vec::new() };
        let cats = &cfg.main.categories;
        let mut out: Vec<TemplateChoice> = Vec::new();
        for t in cats.iter().filter(|c| c.is_template) {
            let used_by = cats
                .iter()
                .filter(|c| !c.is_template && c.templates.contains(&t.name) && cfg.object("endpoint", &c.name).is_some())
                .count();
            let gives_endpoint = t.first("type").is_some_and(|v| &*v.value == "endpoint");
            if (used_by > 0 || gives_endpoint) && !out.iter().any(|o| *o.name == *t.name) {
                out.push(TemplateChoice { name: t.name.to_string(), used_by });
            }
        }
        out
    }
}

/// The change that deletes an extension: the endpoint with the auth and aors it names.
pub fn delete_extension(extension: &str) -> Change {
    Change::Delete { target: Target::new(extension, Some("endpoint")), trio: true, force: false }
}

