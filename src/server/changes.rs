//! The API's writes: change an endpoint's options, create and delete an
//! extension, preview a change. Each is applied through the domain's one
//! pipeline (`pbx::apply`) and answers the change record Asterisk proved.

use super::app_state::AppState;
use super::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crate::model::{AuditFilter, ChangeAccepted, ChangeEntry, ChangeList, ChangePreview, ChangeRecord, ErrorBody};
use crate::pbx::apply::{Applied, Plan};
use crate::pbx::{Asked, EndpointPart, PbxError, Submitted};
use crate::pbx::editing::delete_extension;
use crate::pjsip::edit::Scope;
use crate::routes;
use serde::Deserialize;

/// `PATCH /endpoints/{extension}/config`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigPatch {
    /// `endpoint` (default), or the `aor` or `auth` the endpoint names.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "endpoint")]
    pub object: EndpointPart,
    /// Options to give a value (for a list: exactly these items).
    #[serde(default)]
    #[schema(value_type = std::collections::HashMap<String, String>)]
    pub set: serde_json::Map<String, serde_json::Value>,
    /// Options whose own lines go: the template's value or Asterisk's default applies again.
    #[serde(default)]
    pub unset: Vec<String>,
}

/// `POST /changes/preview`: a patch of one endpoint, not written: the
/// endpoint's name beside a [`ConfigPatch`]'s fields. (serde cannot refuse
/// unknown fields through `flatten`, so the body is taken apart by hand.)
#[derive(Debug, utoipa::ToSchema)]
pub struct PreviewRequest {
    #[schema(example = "1001")]
    pub extension: String,
    #[schema(inline)]
    #[serde(flatten)]
    pub patch: ConfigPatch,
}

impl PreviewRequest {
    fn from_json(mut body: serde_json::Map<String, serde_json::Value>) -> Result<PreviewRequest, ApiError> {
        let extension = match body.remove("extension") {
            Some(serde_json::Value::String(e)) => e,
            _ => return Err(ApiError::Invalid("the request body is not what this route takes: `extension` (a string) is missing".into())),
        };
        let patch = serde_json::from_value(serde_json::Value::Object(body))
            .map_err(|e| ApiError::Invalid(format!("the request body is not what this route takes: {e}")))?;
        Ok(PreviewRequest { extension, patch })
    }
}

/// `POST /endpoints`: an endpoint with its auth and aor, from a template.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExtension {
    #[schema(example = "1007")]
    pub extension: String,
    /// A template the config has, e.g. the one the other extensions use.
    #[schema(example = "phone")]
    pub template: String,
}

fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(b)| b).map_err(|e| ApiError::Invalid(format!("the request body is not what this route takes: {}", e.body_text())))
}

/// JSON scalars as config text; anything else is refused by name.
fn scalars(set: &serde_json::Map<String, serde_json::Value>) -> Result<Vec<(String, String)>, ApiError> {
    set.iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k.clone(), s.clone())),
            serde_json::Value::Number(n) => Ok((k.clone(), n.to_string())),
            serde_json::Value::Bool(b) => Ok((k.clone(), if *b { "yes" } else { "no" }.to_string())),
            _ => Err(ApiError::Invalid(format!("set.{k}: a value is a string, a number or a boolean"))),
        })
        .collect()
}

fn extension(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(ext)| ext).map_err(|_| PbxError::EndpointNotFound.into())
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(|v| v.trim_start_matches("W/").to_string())
}

fn record((id, applied): (i64, Applied), password: Option<String>, status: StatusCode) -> Response {
    let version = applied.version.clone();
    let record = ChangeRecord {
        status: "success".into(),
        id,
        version: applied.version,
        diff: applied.diff,
        files: applied.files.iter().map(|f| f.display().to_string()).collect(),
        notes: applied.notes,
        verification: applied.verification,
        password,
    };
    let mut res = (status, Json(record)).into_response();
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// When a request that makes a change stops waiting for it (the router
/// sets it, counted from the request's start, under its time limit).
#[derive(Debug, Clone, Copy)]
pub struct AnswerBy(pub tokio::time::Instant);

/// The change's record if it ends while the request may wait; else 202 and
/// where to follow it. It goes on to its end either way: a client told
/// nothing would ask again and make it twice.
async fn settled(state: &AppState, who: &Who, by: AnswerBy, submitted: Submitted, status: StatusCode) -> Result<Response, ApiError> {
    let id = submitted.id;
    let Some(ended) = submitted.finished_by(by.0).await else {
        let href = routes::change_href(id);
        let body = ChangeAccepted {
            status: "pending".into(),
            id,
            detail: format!("The change is still running and goes on to its end: GET {href} follows it; do not send it again"),
        };
        let mut res = (StatusCode::ACCEPTED, Json(body)).into_response();
        if let Ok(location) = HeaderValue::from_str(&href) {
            res.headers_mut().insert(header::LOCATION, location);
        }
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(res);
    };
    let applied = ended?;
    let password = state.pbx.reveal(id, principal(who));
    Ok(record(applied, password, status))
}

/// A page to browsers, JSON to the others: caches must tell them apart.
fn varied(mut res: Response) -> Response {
    res.headers_mut().append(header::VARY, HeaderValue::from_static("accept"));
    res
}

fn answer(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Writes off: said before anything of the request is read.
fn writable(state: &AppState) -> Result<(), ApiError> {
    if state.pbx.writes() {
        Ok(())
    } else {
        Err(crate::pbx::apply::ApplyError::WritesOff.into())
    }
}

/// The account or token that asks (the gate left it), for the audit log.
type Who = Option<axum::Extension<crate::model::Identity>>;

fn actor(who: &Who) -> Option<&str> {
    who.as_ref().and_then(|w| w.0.actor())
}

/// Who a created password is given to.
fn principal(who: &Who) -> Option<crate::model::Principal<'_>> {
    who.as_ref().and_then(|w| w.0.principal())
}

type AnswerAt = axum::Extension<AnswerBy>;

/// What the asker may read of the audit log.
fn reader(who: &Who) -> crate::model::Role {
    who.as_ref().map_or(crate::model::Role::Viewer, |w| w.0.role)
}

/// Sets and unsets options of an endpoint, or of the aor or auth it names,
/// and proves the result on Asterisk. Send `If-Match` with the `ETag` of
/// `GET /endpoints/{extension}/config`. The aor or auth changed is the one
/// the endpoint names when the change is made.
#[utoipa::path(patch, path = routes::ENDPOINT_CONFIG, tag = "changes",
    params(
        ("extension" = String, Path, description = "The endpoint's name, e.g. 1001"),
        ("If-Match" = Option<String>, Header, description = "The config version the change was made on (the `ETag` of the config)"),
    ),
    request_body = ConfigPatch,
    responses(
        (status = 200, description = "Written, reloaded and verified on Asterisk", body = ChangeRecord),
        (status = 202, description = "Still running when the answer was due (a slow Asterisk): `Location` is the change, which goes on to its end", body = ChangeAccepted),
        (status = 400, description = "Refused before anything was written: an unknown option, an invalid value, a transport", body = ErrorBody),
        (status = 403, description = "Writes are off (ISPBX_WRITES)", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
        (status = 409, description = "The config changed since the `If-Match` version, or another writer holds it", body = ErrorBody),
        (status = 422, description = "Asterisk did not take it: undone, Asterisk holds what it held before", body = ErrorBody),
        (status = 503, description = "Asterisk is not reachable over AMI, or the server is stopping: nothing written", body = ErrorBody),
    ))]
pub async fn patch_config(
    State(state): State<AppState>,
    who: Who,
    axum::Extension(by): AnswerAt,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    patch: Result<Json<ConfigPatch>, JsonRejection>,
) -> Response {
    answer(async {
        writable(&state)?;
        let ext = extension(path)?;
        let patch = body(patch)?;
        let changes = state.pbx.endpoint_changes(&ext, patch.object, &scalars(&patch.set)?, &patch.unset, Scope::Own)?;
        let plan = match patch.object {
            EndpointPart::Endpoint => Plan::Edit(changes),
            part => Plan::OfEndpoint { extension: ext.clone(), part, changes },
        };
        let submitted = state.pbx.submit(Asked { action: "patch", endpoint: &ext, actor: actor(&who) }, plan, if_match(&headers)).await?;
        settled(&state, &who, by, submitted, StatusCode::OK).await
    }
    .await)
}

/// A new extension: an endpoint, its auth and its aor, named and templated
/// as the config's other endpoints on `template` are, with a generated
/// password given in this answer only.
#[utoipa::path(post, path = routes::ENDPOINTS, tag = "changes",
    request_body = NewExtension,
    responses(
        (status = 201, description = "Created and seen loaded by Asterisk; `password` is shown this once", body = ChangeRecord),
        (status = 202, description = "Still running when the answer was due: `GET /changes/{id}` by the same caller gives the password once it is applied", body = ChangeAccepted),
        (status = 400, description = "Refused: the name is taken, the template unknown", body = ErrorBody),
        (status = 403, description = "Writes are off", body = ErrorBody),
        (status = 409, description = "Another writer holds the config", body = ErrorBody),
        (status = 422, description = "Asterisk did not take it: undone", body = ErrorBody),
        (status = 503, description = "Asterisk is not reachable over AMI, or the server is stopping: nothing written", body = ErrorBody),
    ))]
pub async fn create(State(state): State<AppState>, who: Who, axum::Extension(by): AnswerAt, new: Result<Json<NewExtension>, JsonRejection>) -> Response {
    answer(async {
        writable(&state)?;
        let new = body(new)?;
        let submitted = state.pbx.submit_new_extension(&new.extension, &new.template, None, actor(&who), principal(&who)).await?;
        settled(&state, &who, by, submitted, StatusCode::CREATED).await
    }
    .await)
}

/// Deletes an extension: the endpoint, and the auth and aors it names.
/// Refused while another object still names one of them.
#[utoipa::path(delete, path = routes::ENDPOINT, tag = "changes",
    params(
        ("extension" = String, Path, description = "The endpoint's name"),
        ("If-Match" = Option<String>, Header, description = "The config version the deletion was decided on"),
    ),
    responses(
        (status = 200, description = "Deleted, and gone from Asterisk", body = ChangeRecord),
        (status = 202, description = "Still running when the answer was due: `Location` is the change", body = ChangeAccepted),
        (status = 400, description = "Refused: another object names it", body = ErrorBody),
        (status = 403, description = "Writes are off", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
        (status = 409, description = "The config changed since `If-Match`", body = ErrorBody),
        (status = 503, description = "Asterisk is not reachable over AMI, or the server is stopping: nothing written", body = ErrorBody),
    ))]
pub async fn delete(State(state): State<AppState>, who: Who, axum::Extension(by): AnswerAt, path: Result<Path<String>, PathRejection>, headers: HeaderMap) -> Response {
    answer(async {
        writable(&state)?;
        let ext = extension(path)?;
        state.pbx.snapshot().endpoint_config(&ext)?;
        let change = delete_extension(&ext);
        let submitted = state.pbx.submit(Asked { action: "delete", endpoint: &ext, actor: actor(&who) }, Plan::Edit(vec![change]), if_match(&headers)).await?;
        settled(&state, &who, by, submitted, StatusCode::OK).await
    }
    .await)
}

/// What a patch would write and whether it is valid; nothing is written.
/// Works with writes off.
#[utoipa::path(post, path = routes::CHANGES_PREVIEW, tag = "changes",
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "Valid: the diff it would write", body = ChangePreview),
        (status = 400, description = "Invalid, and why", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    ))]
pub async fn preview(State(state): State<AppState>, req: Result<Json<serde_json::Map<String, serde_json::Value>>, JsonRejection>) -> Response {
    answer(async {
        let req = PreviewRequest::from_json(body(req)?)?;
        let patch = &req.patch;
        let changes = state.pbx.endpoint_changes(&req.extension, patch.object, &scalars(&patch.set)?, &patch.unset, Scope::Own)?;
        let (version, edited) = state.pbx.preview(changes).await?;
        let preview = ChangePreview {
            status: "success".into(),
            version: version.to_string(),
            diff: crate::pjsip::edit::unified(&edited.files),
            notes: edited.notes,
        };
        Ok((StatusCode::OK, Json(preview)).into_response())
    }
    .await)
}

/// `GET /changes`: `endpoint` to keep one endpoint's, `before` (an id) for
/// the next page, `limit` up to 200 (default 50), `kind` `config` (the
/// default), `access` (logins, accounts and tokens: admins only) or `all`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChangeQuery {
    pub endpoint: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<u32>,
    pub kind: Option<String>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = routes::CHANGES, tag = "changes",
    params(ChangeQuery),
    responses(
        (status = 200, description = "The changes asked of the PBX (or access events), newest first", body = ChangeList),
        (status = 400, description = "A query this route does not take", body = ErrorBody),
        (status = 403, description = "Access events asked by a viewer", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    who: Who,
    query: Result<axum::extract::Query<ChangeQuery>, axum::extract::rejection::QueryRejection>,
    req: axum::extract::Request,
) -> Response {
    if super::negotiate::wants_html(req.headers()) {
        return varied(state.render_page(req).await);
    }
    varied(answer(async {
        let axum::extract::Query(q) = query.map_err(|e| ApiError::Invalid(e.body_text()))?;
        let limit = q.limit.unwrap_or(50).clamp(1, 200);
        let kind = q.kind.as_deref().unwrap_or("");
        let filter = AuditFilter::parse(kind).ok_or_else(|| ApiError::Invalid(format!("kind is config, access or all, not '{kind}'")))?;
        let changes = state.pbx.changes(q.endpoint.as_deref(), q.before, limit, filter, reader(&who)).await?;
        let next = (changes.len() == limit as usize).then(|| changes.last().map(|c| c.id)).flatten();
        Ok(Json(ChangeList { status: "success".into(), changes, next, writes: state.pbx.writes() }).into_response())
    }
    .await))
}

/// One change of the audit log.
#[utoipa::path(get, path = routes::CHANGE, tag = "changes",
    params(("id" = i64, Path, description = "The change's id")),
    responses(
        (status = 200, description = "The change (with a created extension's `password`, once, for its creator, if `POST /endpoints` answered 202)", body = ChangeEntry),
        (status = 404, description = "No such change", body = ErrorBody, example = json!({"detail": "Change not found"})),
    ))]
pub async fn one(State(state): State<AppState>, who: Who, id: Result<Path<i64>, PathRejection>, req: axum::extract::Request) -> Response {
    // Either may hold a created extension's password, given once.
    let unstored = |mut res: Response| {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        varied(res)
    };
    if super::negotiate::wants_html(req.headers()) {
        return unstored(state.render_page(req).await);
    }
    unstored(answer(async {
        let Ok(Path(id)) = id else { return Err(ApiError::NoSuchChange) };
        let entry = state.pbx.change(id, reader(&who), principal(&who)).await?.ok_or(ApiError::NoSuchChange)?;
        Ok(Json(entry).into_response())
    }
    .await))
}

/// Undoes an applied change: its files' previous versions are put back
/// through the same pipeline (reloaded and verified, or undone in turn).
/// Only while the config is what that change made of it: later changes are
/// reverted first, newest first.
#[utoipa::path(post, path = routes::CHANGE_REVERT, tag = "changes",
    params(("id" = i64, Path, description = "The change's id")),
    responses(
        (status = 200, description = "Reverted and verified on Asterisk; the revert is a change of its own", body = ChangeRecord),
        (status = 202, description = "Still running when the answer was due: `Location` is the revert", body = ChangeAccepted),
        (status = 400, description = "Not an applied change, or its backups are no longer kept", body = ErrorBody),
        (status = 403, description = "Writes are off", body = ErrorBody),
        (status = 404, description = "No such change", body = ErrorBody),
        (status = 409, description = "The config changed after that change", body = ErrorBody),
        (status = 422, description = "Asterisk did not take the revert: undone", body = ErrorBody),
        (status = 503, description = "Asterisk is not reachable over AMI, or the server is stopping: nothing written", body = ErrorBody),
    ))]
pub async fn revert(State(state): State<AppState>, who: Who, axum::Extension(by): AnswerAt, id: Result<Path<i64>, PathRejection>) -> Response {
    answer(async {
        writable(&state)?;
        let Ok(Path(id)) = id else { return Err(ApiError::NoSuchChange) };
        let submitted = state.pbx.submit_revert(id, actor(&who)).await?;
        settled(&state, &who, by, submitted, StatusCode::OK).await
    }
    .await)
}
