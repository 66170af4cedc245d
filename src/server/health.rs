//! Probes for process supervisors and load balancers: `/healthz` says the
//! process answers, `/readyz` whether its answers are true to the PBX (a
//! config loaded; AMI connected, or deliberately not configured). JSON only,
//! never cached, and cheap: read from the current snapshot.

use super::app_state::AppState;
use crate::model::{Health, Readiness};
use crate::routes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

fn answer(status: StatusCode, body: impl serde::Serialize) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// The process is up and serving requests.
#[utoipa::path(get, path = routes::HEALTHZ, tag = "operations",
    responses((status = 200, description = "Always, while the process serves requests", body = Health)))]
pub async fn healthz() -> Response {
    answer(StatusCode::OK, Health { status: "ok".into() })
}

/// Ready to be trusted: 503 with the reason while there is no config to
/// serve or the configured AMI connection is down.
#[utoipa::path(get, path = routes::READYZ, tag = "operations",
    responses(
        (status = 200, description = "A config is loaded and AMI is connected (or not configured)", body = Readiness),
        (status = 503, description = "Not ready; `reason` says why", body = Readiness,
            example = json!({"ready": false, "config": "loaded", "ami": "down", "reason": "AMI: Connection refused"})),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let readiness = state.pbx.snapshot().readiness();
    let status = if readiness.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    answer(status, readiness)
}
