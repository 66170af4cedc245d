//! The router: the documented API paths (negotiated), the dashboard's other
//! pages and server functions, static files, and the middleware every request
//! passes through. Paths come from [`crate::routes`].

use super::app_state::AppState;
use super::error::ApiError;
use super::{api, auth, changes, events, health, metrics, openapi, server_fn_status};
use crate::routes;
use axum::body::Body;
use axum::http::{HeaderName, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos_axum::{generate_route_list_with_exclusions, LeptosRoutes};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use axum::http::{header, HeaderValue};

pub struct RouterOptions {
    pub request_timeout: Duration,
    pub cors_origins: Vec<String>,
    /// Served over TLS: browsers are told to keep to HTTPS (HSTS).
    pub https: bool,
    /// Where sessions are kept, and their cookie (see [`super::auth::sessions`]).
    pub sessions: tower_sessions::SessionManagerLayer<tower_sessions_sqlx_store::SqliteStore>,
}

pub fn router(state: AppState, opts: &RouterOptions) -> Router {
    // The negotiated paths are pages too, served by their handlers after negotiation.
    let pages = generate_route_list_with_exclusions(
        crate::app::App,
        Some(routes::NEGOTIATED.iter().chain(routes::HANDLED.iter()).map(|p| p.to_string()).collect()),
    );
    let shell_options = state.leptos_options.clone();
    let pbx = state.pbx.clone();
    let counted = state.metrics.clone();
    let access = state.access.clone();
    let accounts = state.access.accounts.clone();
    let app = Router::new()
        .route(routes::ROOT, get(api::root))
        .route(routes::ENDPOINTS, get(api::endpoints).post(changes::create))
        .route(routes::ENDPOINT, get(api::endpoint).delete(changes::delete))
        .route(routes::ENDPOINT_CONFIG, get(api::endpoint_config).patch(changes::patch_config))
        .route(routes::CHANGES_PREVIEW, post(changes::preview))
        .route(routes::CHANGES, get(changes::list))
        .route(routes::CHANGE, get(changes::one))
        .route(routes::CHANGE_REVERT, post(changes::revert))
        .route(routes::LOGIN, get(auth::login_page).post(auth::login))
        .route(routes::LOGOUT, post(auth::logout))
        .route(routes::HEALTHZ, get(health::healthz))
        .route(routes::READYZ, get(health::readyz))
        .route(routes::METRICS, get(metrics::scrape))
        .route(routes::EVENTS, get(events::events))
        .merge(openapi::routes())
        .leptos_routes_with_context(&state, pages, move || super::app_state::provide_app_context(&pbx, &accounts), move || {
            crate::app::shell(shell_options.clone())
        })
        .fallback(api::fallback)
        .method_not_allowed_fallback(api::method_not_allowed)
        .with_state(state)
        // Inside the router, so each request's matched route pattern is known.
        .layer(axum::middleware::from_fn_with_state(counted, metrics::track));

    let limit = opts.request_timeout;
    let server_fns = server_fn_status::server_fn_paths();
    let request_id = HeaderName::from_static("x-request-id");
    let cors = (!opts.cors_origins.is_empty()).then(|| {
        let origins: Vec<_> = opts
            .cors_origins
            .iter()
            .filter_map(|o| o.trim().parse().ok())
            .collect();
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([axum::http::Method::GET])
    });
    app.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", id, method = %req.method(), path = %req.uri().path())
                }),
            )
            .layer(PropagateRequestIdLayer::new(request_id))
            .option_layer(cors)
            .layer(CompressionLayer::new())
            .layer(axum::middleware::from_fn(move |req, next| {
                server_fn_status::server_fn_answers(server_fns.clone(), req, next)
            }))
            .layer(axum::middleware::from_fn(move |req, next| timeout(limit, req, next)))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(&crate::app::content_security_policy_with(None)).unwrap_or(HeaderValue::from_static("default-src 'self'")),
            ))
            .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
            .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
            // Same-origin only: a form posted without JavaScript is sent back by its Referer.
            .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
            // A year, this host only: other services under the same domain are not ours to decide.
            .option_layer(opts.https.then(|| {
                SetResponseHeaderLayer::overriding(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"))
            }))
            .layer(opts.sessions.clone())
            .layer(axum::middleware::from_fn_with_state(access, auth::gate)),
    )
}

/// No request waits forever: past the limit the client gets
/// `503 {"detail":"Request timed out"}` and the handler is dropped. (tower-http's
/// TimeoutLayer would answer with an empty body; every API error has a `detail`.)
/// A change still running shortly before that is answered 202 with its id
/// instead ([`changes::AnswerBy`]): a 503 would not say it goes on.
async fn timeout(limit: Duration, mut req: Request<Body>, next: Next) -> Response {
    let start = tokio::time::Instant::now();
    let margin = (limit / 5).min(Duration::from_secs(1));
    req.extensions_mut().insert(changes::AnswerBy(start + limit - margin));
    match tokio::time::timeout_at(start + limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!("request timed out after {limit:?}");
            ApiError::Timeout.into_response()
        }
    }
}
