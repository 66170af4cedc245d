//! The documented JSON API. Every route answers JSON to API clients and the
//! dashboard to browsers, on the same path.

use super::error::ApiError;
use super::negotiate::wants_html;
use super::app_state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::extract::rejection::PathRejection;
use axum::http::{header, HeaderValue, Request, Uri};
use axum::response::{IntoResponse, Response};
use super::json_body::JsonBody;
use crate::model::{ApiRoot, EndpointConfigResponse, EndpointDetailResponse, EndpointListResponse, ErrorBody};
use crate::pbx::PbxError;
use crate::routes;

/// A query this server could only misread: not UTF-8 once percent-decoded,
/// or control characters in it. Well-formed unknown parameters are ignored,
/// as the original API ignored them.
fn junk_query(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| match percent_encoding::percent_decode_str(q).decode_utf8() {
        Ok(text) => text.chars().any(char::is_control),
        Err(_) => true,
    })
}

/// Serves the page to browsers, or the JSON `api` computes to everyone else
/// (304 when their `If-None-Match` still holds).
async fn negotiated(
    state: &AppState,
    req: Request<Body>,
    api: impl FnOnce(&AppState) -> Result<JsonBody, ApiError>,
) -> Response {
    let mut res = if junk_query(req.uri()) {
        ApiError::BadRequest.into_response()
    } else if wants_html(req.headers()) {
        state.render_page(req).await
    } else {
        match api(state) {
            Ok(body) => body.respond(req.headers()),
            Err(e) => e.into_response(),
        }
    };
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept"));
    res
}

/// The `{extension}` segment; one that is not UTF-8 names no endpoint.
fn extension(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(ext)| ext).map_err(|_| PbxError::EndpointNotFound.into())
}

/// The API's welcome.
#[utoipa::path(get, path = routes::ROOT, tag = "api",
    responses((status = 200, description = "Always", body = ApiRoot)))]
pub async fn root(State(state): State<AppState>, req: Request<Body>) -> Response {
    negotiated(&state, req, |_| JsonBody::of(&ApiRoot { message: "ISPBX Manager API".into() })).await
}

/// Every endpoint of the config (pjsip.conf and pjsip_wizard.conf) and every
/// endpoint Asterisk reports, with its live status. Templates are never listed.
/// Served from memory: no AMI action per request. Send `If-None-Match` to poll cheaply.
#[utoipa::path(get, path = routes::ENDPOINTS, tag = "api",
    responses(
        (status = 200, description = "The endpoints; `ami.connected` false means every status is offline because Asterisk is unreachable", body = EndpointListResponse),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 400, description = "A query string that is not text", body = ErrorBody),
        (status = 500, description = "No readable PJSIP configuration", body = ErrorBody,
            example = json!({"detail": "Error reading PJSIP configuration"})),
    ))]
pub async fn endpoints(State(state): State<AppState>, req: Request<Body>) -> Response {
    negotiated(&state, req, AppState::endpoint_list_json).await
}

/// One endpoint: the list's fields plus its auths and AORs.
#[utoipa::path(get, path = routes::ENDPOINT, tag = "api",
    params(("extension" = String, Path, description = "The endpoint's name, e.g. 1001")),
    responses(
        (status = 200, description = "The endpoint", body = EndpointDetailResponse),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 404, description = "No such endpoint (templates and malformed names included)", body = ErrorBody,
            example = json!({"detail": "Extension not found"})),
        (status = 500, description = "No readable PJSIP configuration", body = ErrorBody),
    ))]
pub async fn endpoint(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    req: Request<Body>,
) -> Response {
    negotiated(&state, req, |s| {
        JsonBody::of(&s.pbx.snapshot().endpoint_detail(&extension(path)?)?)
    })
    .await
}

/// The endpoint object's effective configuration, secrets left out.
#[utoipa::path(get, path = routes::ENDPOINT_CONFIG, tag = "api",
    params(("extension" = String, Path, description = "The endpoint's name, e.g. 1001")),
    responses(
        (status = 200, description = "The effective options. The `ETag` is the config's version: send it in `If-Match` with a change", body = EndpointConfigResponse),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 404, description = "No such endpoint in the config", body = ErrorBody,
            example = json!({"detail": "Extension not found"})),
        (status = 500, description = "No readable PJSIP configuration", body = ErrorBody),
    ))]
pub async fn endpoint_config(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    req: Request<Body>,
) -> Response {
    negotiated(&state, req, |s| {
        let ext = extension(path)?;
        let snapshot = s.pbx.snapshot();
        let config = snapshot.endpoint_config(&ext)?;
        let mut body = JsonBody::of(&EndpointConfigResponse { status: "success".into(), extension: ext, config })?;
        // The config's version: what a change's `If-Match` names (and it
        // decides this body, so `If-None-Match` works with it as well).
        if let Some(tag) = snapshot.config_version().and_then(|v| HeaderValue::from_str(&format!("\"{v}\"")).ok()) {
            body.etag = tag;
        }
        Ok(body)
    })
    .await
}

/// Static files and the app's own 404 page for browsers; JSON 404 for API clients.
pub async fn fallback(State(state): State<AppState>, uri: Uri, req: Request<Body>) -> Response {
    let is_asset = uri.path().starts_with("/pkg/")
        || uri.path().rsplit('/').next().is_some_and(|last| last.contains('.'));
    if is_asset || wants_html(req.headers()) {
        let files = leptos_axum::file_and_error_handler(crate::app::shell);
        return files(uri, State(state), req).await;
    }
    ApiError::NotFound.into_response()
}

pub async fn method_not_allowed() -> Response {
    ApiError::MethodNotAllowed.into_response()
}
