//! The documented JSON API. Every route answers JSON to API clients and the
//! dashboard to browsers, on the same path.

use super::error::ApiError;
use super::negotiate::wants_html;
use super::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::extract::rejection::PathRejection;
use axum::http::{header, HeaderValue, Request, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;

/// JSON with the headers every API answer carries.
fn json<T: Serialize>(value: &T) -> Response {
    let mut res = Json(value).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// Serves the page to browsers, or the JSON `api` computes to everyone else.
async fn negotiated(
    state: &AppState,
    req: Request<Body>,
    api: impl FnOnce(&AppState) -> Result<Response, ApiError>,
) -> Response {
    let mut res = if wants_html(req.headers()) {
        state.render_page(req).await
    } else {
        api(state).unwrap_or_else(IntoResponse::into_response)
    };
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept"));
    res
}

pub async fn root(State(state): State<AppState>, req: Request<Body>) -> Response {
    negotiated(&state, req, |_| Ok(json(&json!({ "message": "ISPBX Manager API" })))).await
}

pub async fn endpoints(State(state): State<AppState>, req: Request<Body>) -> Response {
    negotiated(&state, req, |s| Ok(json(&s.endpoint_list()?))).await
}

pub async fn endpoint(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    req: Request<Body>,
) -> Response {
    negotiated(&state, req, |s| {
        let Path(ext) = path.map_err(|_| ApiError::ExtensionNotFound)?;
        Ok(json(&s.endpoint_detail(&ext)?))
    })
    .await
}

pub async fn endpoint_config(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    req: Request<Body>,
) -> Response {
    negotiated(&state, req, |s| {
        let Path(ext) = path.map_err(|_| ApiError::ExtensionNotFound)?;
        let config = s.endpoint_config(&ext)?;
        Ok(json(&json!({ "status": "success", "extension": ext, "config": config })))
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
