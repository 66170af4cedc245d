//! The dashboard's changes, as server functions: each check before an
//! apply, and the applies themselves. An apply records the change and
//! starts it, then sends the browser to the change's page, which follows
//! it to its end: the same with and without JavaScript (a form posted
//! without it is redirected as well). Paths are fixed, as in
//! [`super::server_fns`].

use crate::model::{ChangeList, ChangeReview, ChangeView, OptionField, TemplateChoice};
use leptos::prelude::*;

/// The paths of the server functions that change the PBX: only an admin may call them.
#[cfg(feature = "ssr")]
pub fn changing() -> [&'static str; 4] {
    use leptos::server_fn::ServerFn;
    [ApplyOption::PATH, CreateExtension::PATH, DeleteExtension::PATH, RevertChange::PATH]
}

/// A check's outcome: the change, or why it is refused (shown in place).
pub type Review = Result<ChangeReview, String>;

/// How the server answers a refused change: its status and words. The
/// server's edge provides it (its one mapping of errors to statuses), so a
/// refusal gets the status the JSON API gives it, never a 500.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy)]
pub struct Refusal(pub fn(crate::pbx::apply::ApplyError) -> (axum::http::StatusCode, String));

#[cfg(feature = "ssr")]
pub(crate) mod on_server {
    use crate::pbx::{apply::ApplyError, editing::OptionEdit, EndpointPart, Pbx};
    use crate::pjsip::edit::Scope;
    use leptos::prelude::*;

    pub fn pbx() -> Pbx {
        expect_context::<Pbx>()
    }

    pub fn failed(e: ApplyError) -> ServerFnError {
        answered(e, use_context::<super::Refusal>().map(|r| r.0))
    }

    /// A refusal with the status and words the edge's `answer` gives it
    /// (its words alone when no edge provided one).
    pub fn answered<E: ToString>(e: E, answer: Option<fn(E) -> (axum::http::StatusCode, String)>) -> ServerFnError {
        let Some(answer) = answer else { return ServerFnError::new(e.to_string()) };
        let (status, detail) = answer(e);
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(status);
        }
        ServerFnError::new(detail)
    }

    /// Bad arguments: a 400, as on the JSON routes.
    pub fn invalid(why: String) -> ServerFnError {
        failed(ApplyError::Invalid(why))
    }

    pub fn edit<'a>(extension: &'a str, object: &str, option: &'a str, value: Option<&'a str>, scope: &str) -> Result<OptionEdit<'a>, String> {
        let part = EndpointPart::parse(object).ok_or_else(|| format!("object is endpoint, aor or auth, not '{object}'"))?;
        let scope = match scope {
            "" | "own" => Scope::Own,
            "template" => Scope::Template,
            other => return Err(format!("scope is own or template, not '{other}'")),
        };
        Ok(OptionEdit { extension, part, option, value, scope })
    }

    /// Who asks (the server's gate left it in the request).
    pub fn identity() -> Option<crate::model::Identity> {
        use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<crate::model::Identity>().cloned())
    }

    /// The audit log's actor: the account or token, none for anonymous read.
    pub fn actor() -> Option<String> {
        identity().and_then(|i| i.actor().map(str::to_string))
    }

    /// What the asker may read of the audit log.
    pub fn reader() -> crate::model::Role {
        identity().map_or(crate::model::Role::Viewer, |i| i.role)
    }

    /// Whether the page may offer changes: writes on, and an admin asking.
    pub fn may_change(pbx: &Pbx) -> bool {
        pbx.writes() && identity().is_some_and(|i| i.role == crate::model::Role::Admin)
    }

    /// The browser goes on to the change's page.
    pub fn to_change(id: i64) {
        leptos_axum::redirect(&crate::routes::change_href(id));
    }
}

/// Every option an endpoint, an aor and an auth take: the three objects
/// of an extension the dashboard edits. Empty for whoever may not change
/// the PBX: their page has no forms.
#[server(endpoint = "editing_fields")]
pub async fn editing_fields() -> Result<FormFields, ServerFnError> {
    use crate::pbx::editing::option_fields;
    if !on_server::may_change(&on_server::pbx()) {
        return Ok(FormFields { endpoint: Vec::new(), aor: Vec::new(), auth: Vec::new() });
    }
    Ok(FormFields { endpoint: option_fields("endpoint"), aor: option_fields("aor"), auth: option_fields("auth") })
}

/// One option of an `endpoint`, `aor` or `auth`; `None` when Asterisk has no such option.
#[server(endpoint = "option_field")]
pub async fn field_of_option(object: String, option: String) -> Result<Option<OptionField>, ServerFnError> {
    Ok(crate::pbx::editing::option_fields(&object).into_iter().find(|f| f.name.eq_ignore_ascii_case(&option)))
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FormFields {
    pub endpoint: Vec<OptionField>,
    pub aor: Vec<OptionField>,
    pub auth: Vec<OptionField>,
}

impl FormFields {
    /// `object` is `endpoint`, `aor` or `auth`.
    pub fn of(&self, object: &str) -> &[OptionField] {
        match object {
            "endpoint" => &self.endpoint,
            "aor" => &self.aor,
            "auth" => &self.auth,
            _ => &[],
        }
    }

}

/// One option's edit, checked. `value` absent: its own line goes.
#[server(endpoint = "review_option")]
pub async fn review_option(extension: String, object: String, option: String, value: Option<String>, scope: String) -> Result<Review, ServerFnError> {
    let edit = match on_server::edit(&extension, &object, &option, value.as_deref(), &scope) {
        Ok(e) => e,
        Err(why) => return Ok(Err(why)),
    };
    Ok(on_server::pbx().review_option(&edit).await.map_err(|e| e.to_string()))
}

/// Applies one option's edit made on `version`; the browser goes on to the change.
#[server(endpoint = "apply_option")]
pub async fn apply_option(
    extension: String,
    object: String,
    option: String,
    value: Option<String>,
    scope: Option<String>,
    version: String,
) -> Result<(), ServerFnError> {
    use crate::pbx::{apply::Plan, Asked};
    let pbx = on_server::pbx();
    let edit = on_server::edit(&extension, &object, &option, value.as_deref(), scope.as_deref().unwrap_or("")).map_err(on_server::invalid)?;
    let changes = pbx.option_changes(&edit).map_err(on_server::failed)?;
    let actor = on_server::actor();
    let asked = Asked { action: "patch", endpoint: &extension, actor: actor.as_deref() };
    let submitted = pbx.submit(asked, Plan::Edit(changes), Some(version)).await.map_err(on_server::failed)?;
    on_server::to_change(submitted.id);
    Ok(())
}

/// What "new extension" offers: the endpoint templates, and whether writes are on.
#[server(endpoint = "extension_templates")]
pub async fn extension_templates() -> Result<(Vec<TemplateChoice>, bool), ServerFnError> {
    let pbx = on_server::pbx();
    Ok((pbx.endpoint_templates(), on_server::may_change(&pbx)))
}

#[server(endpoint = "review_new_extension")]
pub async fn review_new_extension(extension: String, template: String) -> Result<Review, ServerFnError> {
    Ok(on_server::pbx().review_new_extension(&extension, &template).await.map_err(|e| e.to_string()))
}

/// Creates the extension as checked on `version`; its password is shown on the change's page, once.
#[server(endpoint = "create_extension")]
pub async fn create_extension(extension: String, template: String, version: String) -> Result<(), ServerFnError> {
    let who = on_server::identity();
    let (actor, creator) = (who.as_ref().and_then(|w| w.actor()), who.as_ref().and_then(|w| w.principal()));
    let submitted = on_server::pbx().submit_new_extension(&extension, &template, Some(version), actor, creator).await.map_err(on_server::failed)?;
    on_server::to_change(submitted.id);
    Ok(())
}

#[server(endpoint = "review_delete")]
pub async fn review_delete(extension: String) -> Result<Review, ServerFnError> {
    Ok(on_server::pbx().review_delete(&extension).await.map_err(|e| e.to_string()))
}

/// Deletes the extension as reviewed on `version`.
#[server(endpoint = "delete_extension")]
pub async fn delete_extension(extension: String, version: String) -> Result<(), ServerFnError> {
    use crate::pbx::{apply::Plan, editing, Asked};
    let plan = Plan::Edit(vec![editing::delete_extension(&extension)]);
    let submitted = on_server::pbx().submit(Asked { action: "delete", endpoint: &extension, actor: on_server::actor().as_deref() }, plan, Some(version)).await.map_err(on_server::failed)?;
    on_server::to_change(submitted.id);
    Ok(())
}

/// The audit log, newest first, 50 a page, of the `kind` asked (`config`,
/// `access`, `all`); `None` when the server keeps no log.
#[server(endpoint = "list_changes")]
pub async fn list_changes(endpoint: Option<String>, before: Option<i64>, kind: Option<String>) -> Result<Option<ChangeList>, ServerFnError> {
    use crate::pbx::apply::ApplyError;
    const PAGE: u32 = 50;
    let pbx = on_server::pbx();
    let kind = kind.unwrap_or_default();
    let filter = crate::model::AuditFilter::parse(&kind).ok_or_else(|| on_server::invalid(format!("kind is config, access or all, not '{kind}'")))?;
    let endpoint = endpoint.filter(|e| !e.is_empty());
    let changes = match pbx.changes(endpoint.as_deref(), before, PAGE, filter, on_server::reader()).await {
        Err(ApplyError::WritesOff) => return Ok(None),
        other => other.map_err(on_server::failed)?,
    };
    let next = (changes.len() == PAGE as usize).then(|| changes.last().map(|c| c.id)).flatten();
    Ok(Some(ChangeList { status: "success".into(), changes, next, writes: pbx.writes() }))
}

/// One change, with a created extension's password the first time it is asked after it is applied.
#[server(endpoint = "get_change")]
pub async fn get_change(id: i64) -> Result<Option<ChangeView>, ServerFnError> {
    use crate::pbx::apply::ApplyError;
    let pbx = on_server::pbx();
    let who = on_server::identity();
    let entry = match pbx.change(id, on_server::reader(), who.as_ref().and_then(|w| w.principal())).await {
        Err(ApplyError::WritesOff) => return Ok(None),
        other => other.map_err(on_server::failed)?,
    };
    let Some(entry) = entry else { return Ok(None) };
    Ok(Some(ChangeView { entry, writes: on_server::may_change(&pbx) }))
}

/// Who is asking: shown in the header.
#[server(endpoint = "whoami")]
pub async fn whoami() -> Result<Option<crate::model::Identity>, ServerFnError> {
    Ok(on_server::identity())
}

/// Puts back what change `id` wrote, as a change of its own.
#[server(endpoint = "revert_change")]
pub async fn revert_change(id: i64) -> Result<(), ServerFnError> {
    let submitted = on_server::pbx().submit_revert(id, on_server::actor().as_deref()).await.map_err(on_server::failed)?;
    on_server::to_change(submitted.id);
    Ok(())
}
