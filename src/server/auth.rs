//! Who is asking, and whether they may: a bearer token (the API), a
//! session cookie (the dashboard, after `/login`), or nobody (anonymous
//! read, only when asked for). Every request but the login page, static
//! assets and the health probes passes [`gate`]; a change to the PBX needs
//! an admin. The identity is left in the request's extensions for the
//! handlers and server functions (the audit log's actor).

use super::app_state::AppState;
use super::error::ApiError;
use super::client_address::TrustedProxies;
use super::rate_limit::{Caller, Said};
use crate::model::{Identity, Role};
use crate::pbx::accounts::Accounts;
use crate::pbx::sessions;
use crate::routes;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;
use tower_sessions::Session;

/// A session unused this long ends.
pub const IDLE: Duration = Duration::from_secs(60 * 60);
/// The session cookie's name.
pub const COOKIE: &str = "ispbx_session";

#[derive(Clone, Debug)]
pub struct Access {
    pub accounts: Accounts,
    /// Reads without credentials (the specification's behaviour), when asked.
    pub anonymous_read: bool,
    pub logins: LoginLimit,
    /// Requests per token or client address; none when off.
    pub rate: Option<super::rate_limit::RateLimit>,
    /// Whose `X-Forwarded-For` says who the client is.
    pub proxies: TrustedProxies,
    /// Which callers' request-rate refusals have been logged this minute.
    pub said: Said,
    /// Which clients' login-limit refusals have been logged this minute.
    pub said_logins: Said,
}

impl Access {
    /// The client's address, when the connection's is known (the binary
    /// serves with it; in-process tests have none).
    fn client(&self, req: &Request<Body>) -> Option<std::net::IpAddr> {
        let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?.0.ip();
        Some(self.proxies.client(peer, req.headers()))
    }
}

/// Failed logins a client address, or a user name, may have in a minute;
/// the next attempt within it is refused (429) before any password is looked at.
pub const FAILED_LOGINS_PER_MINUTE: usize = 5;
const WINDOW: Duration = Duration::from_secs(60);

/// Recent failed logins per client address and per user name. Only
/// failures count: an office behind one address logs in as often as it needs.
#[derive(Clone, Debug, Default)]
pub struct LoginLimit(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, std::collections::VecDeque<std::time::Instant>>>>);

impl LoginLimit {
    fn keys(ip: std::net::IpAddr, user: &str) -> [String; 2] {
        [format!("ip {ip}"), format!("user {}", user.to_lowercase())]
    }

    /// `Err(seconds to wait)` while either key has had its failures this minute.
    fn check(&self, ip: std::net::IpAddr, user: &str) -> Result<(), u64> {
        let now = std::time::Instant::now();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, times| times.back().is_some_and(|t| now - *t < WINDOW));
        }
        let mut wait = None;
        for key in Self::keys(ip, user) {
            let Some(times) = map.get_mut(&key) else { continue };
            while times.front().is_some_and(|t| now - *t >= WINDOW) {
                times.pop_front();
            }
            if times.len() >= FAILED_LOGINS_PER_MINUTE {
                let left = times.front().map_or(1, |oldest| (WINDOW - (now - *oldest)).as_secs().max(1));
                wait = wait.max(Some(left));
            }
        }
        wait.map_or(Ok(()), Err)
    }

    fn failed(&self, ip: std::net::IpAddr, user: &str) {
        let now = std::time::Instant::now();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for key in Self::keys(ip, user) {
            let times = map.entry(key).or_default();
            times.push_back(now);
            while times.len() > FAILED_LOGINS_PER_MINUTE {
                times.pop_front();
            }
        }
    }
}

/// Paths anyone may fetch: logging in, the assets the login page needs, and
/// the probes a supervisor polls.
fn is_public(path: &str) -> bool {
    [routes::LOGIN, routes::LOGOUT, routes::HEALTHZ, routes::READYZ, "/favicon.svg"].contains(&path) || path.starts_with("/pkg/")
}

/// Whether the request is one of the routes that change the PBX. Any other
/// method on a path is the router's to refuse (405, as specified).
fn changes_pbx(method: &Method, path: &str) -> bool {
    use leptos_router::PossibleRouteMatch;
    let is = |route: &'static str| routes::page(route).test(path).is_some_and(|m| m.remaining().is_empty());
    match *method {
        Method::POST => path == routes::ENDPOINTS || is(routes::CHANGE_REVERT) || crate::app::change_fns::changing().contains(&path),
        Method::PATCH => is(routes::ENDPOINT_CONFIG),
        Method::DELETE => is(routes::ENDPOINT),
        _ => false,
    }
}

/// Why only an admin may make this request, when only an admin may.
fn admin_only(method: &Method, path: &str) -> Option<&'static str> {
    if changes_pbx(method, path) {
        Some("only an admin may change the PBX")
    } else if *method == Method::POST && crate::app::access_fns::managing().contains(&path) {
        Some("only an admin may manage accounts and tokens")
    } else {
        None
    }
}

/// Another site's page posting with the user's cookie: refused even though
/// the cookie is `SameSite=Strict`.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), host) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// The session's account (see [`sessions::account`]).
async fn session_identity(access: &Access, session: &Session) -> Result<Option<Identity>, ApiError> {
    match sessions::account(&access.accounts, session).await {
        Ok(account) => Ok(account.map(|u| Identity { name: u.name, role: u.role, via: "session".into() })),
        Err(e) => {
            tracing::error!("sessions: {e}");
            Err(ApiError::Internal)
        }
    }
}

/// Credentials are asked for: browsers go to the login page, API clients get 401.
fn challenge(req: &Request<Body>) -> Response {
    let browser = req.method() == Method::GET && super::negotiate::wants_html(req.headers());
    if browser {
        let next = req.uri().path_and_query().map_or("/", |p| p.as_str());
        return see_other(&format!("{}?next={}", routes::LOGIN, routes::query_value(next)));
    }
    ApiError::Unauthorized.into_response()
}

/// Over the rate: 429, before anything else is done for the request.
fn over_rate(access: &Access, caller: Option<Caller>) -> Option<Response> {
    let (rate, caller) = (access.rate.as_ref()?, caller?);
    let wait = rate.check(caller.clone()).err()?;
    if access.said.first(&caller) {
        tracing::warn!(?caller, "requests over the rate limit (its further refusals this minute are not logged)");
    }
    Some(ApiError::TooManyRequests(wait).into_response())
}

pub async fn gate(State(access): State<Access>, session: Session, mut req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if is_public(&path) {
        return next.run(req).await;
    }
    // Known when served with connect info (the binary); in-process tests have none.
    let address = access.client(&req).map(Caller::address);
    let bearer = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let who = match bearer {
        Some(auth) => {
            let token = auth.strip_prefix("Bearer ").unwrap_or("").trim();
            match access.accounts.by_token(token).await {
                Ok(Some(who)) => Some(who),
                // Guesses count against the address they come from.
                Ok(None) => return over_rate(&access, address).unwrap_or_else(|| ApiError::BadCredentials.into_response()),
                Err(e) => {
                    tracing::error!("tokens: {e}");
                    return ApiError::Internal.into_response();
                }
            }
        }
        None => match session_identity(&access, &session).await {
            Ok(who) => who,
            Err(e) => return e.into_response(),
        },
    };
    let caller = match &who {
        Some(Identity { name, via, .. }) if via == "token" => Some(Caller::Token(name.clone())),
        _ => address,
    };
    if let Some(refused) = over_rate(&access, caller) {
        return refused;
    }
    let admin_only = admin_only(req.method(), &path);
    let who = match who {
        Some(who) => who,
        None if access.anonymous_read && admin_only.is_none() => Identity { name: String::new(), role: Role::Viewer, via: "anonymous".into() },
        None => return challenge(&req),
    };
    if let (Some(why), false) = (admin_only, who.role == Role::Admin) {
        return ApiError::Forbidden(why.into()).into_response();
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if who.via == "session" && unsafe_method && cross_site(req.headers()) {
        return ApiError::Forbidden("a request from another site: refused".into()).into_response();
    }
    req.extensions_mut().insert(who);
    next.run(req).await
}

fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[derive(Debug, serde::Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// `GET /login`: the login page.
pub async fn login_page(State(state): State<AppState>, req: Request<Body>) -> Response {
    state.render_page(req).await
}

impl axum::extract::FromRef<AppState> for Access {
    fn from_ref(state: &AppState) -> Self {
        state.access.clone()
    }
}

/// `POST /login`: a form with `username` and `password`. A new session id on
/// success; on failure the same answer whether the user exists or not.
pub async fn login(
    State(access): State<Access>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    session: Session,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let client = access.proxies.client(peer.ip(), &headers);
    let Ok(Form(form)) = form else { return see_other(&format!("{}?failed=1", routes::LOGIN)) };
    if let Err(wait) = access.logins.check(client, &form.username) {
        if access.said_logins.first(&Caller::address(client)) {
            tracing::warn!(client = %client, "login attempts over the limit (further ones this minute are not logged)");
        }
        return ApiError::TooManyLogins(wait).into_response();
    }
    let failed = || see_other(&format!("{}?failed=1&next={}", routes::LOGIN, routes::query_value(routes::local(&form.next))));
    match access.accounts.login(&form.username, &form.password, &client.to_string()).await {
        Ok(Some((user, key))) => {
            if let Err(e) = sessions::begin(&session, &user, &key).await {
                tracing::error!("sessions: {e}");
                return ApiError::Internal.into_response();
            }
            tracing::info!(user = %user.name, role = user.role.as_str(), "logged in");
            see_other(routes::local(&form.next))
        }
        Ok(None) => {
            access.logins.failed(client, &form.username);
            tracing::warn!(client = %client, "a failed login");
            failed()
        }
        Err(e) => {
            tracing::error!("accounts: {e}");
            ApiError::Internal.into_response()
        }
    }
}

/// `POST /logout`: the session ends.
pub async fn logout(State(access): State<Access>, session: Session) -> Response {
    if let Some(name) = sessions::user(&session).await {
        access.accounts.logged_out(&name).await;
    }
    if let Err(e) = session.flush().await {
        tracing::error!("sessions: {e}");
    }
    see_other(routes::LOGIN)
}

/// The session layer: cookies `HttpOnly`, `SameSite=Strict`, `Secure` under
/// TLS, ended after [`IDLE`] unused; kept in the state database.
pub async fn sessions(
    pool: sqlx::SqlitePool,
    secure: bool,
) -> Result<tower_sessions::SessionManagerLayer<tower_sessions_sqlx_store::SqliteStore>, String> {
    use tower_sessions::cookie::SameSite;
    use tower_sessions::{Expiry, SessionManagerLayer};
    let store = tower_sessions_sqlx_store::SqliteStore::new(pool).with_table_name("sessions").map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let idle = time::Duration::seconds(IDLE.as_secs() as i64);
    Ok(SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_failure_in_a_minute_is_refused_and_successes_do_not_count() {
        let limit = LoginLimit::default();
        let ip: std::net::IpAddr = [127, 0, 0, 1].into();
        for i in 0..FAILED_LOGINS_PER_MINUTE {
            assert_eq!(limit.check(ip, &format!("u{i}")), Ok(()));
            limit.failed(ip, &format!("u{i}"));
        }
        let wait = limit.check(ip, "someone").unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        // The user name counts on its own, from anywhere.
        let other: std::net::IpAddr = [127, 0, 0, 2].into();
        assert_eq!(limit.check(other, "u0"), Ok(()));
        for _ in 0..FAILED_LOGINS_PER_MINUTE {
            limit.failed([127, 0, 0, 3].into(), "alice");
        }
        assert!(limit.check(other, "ALICE").is_err());
    }

    #[test]
    fn what_changes_the_pbx_needs_an_admin() {
        assert!(!changes_pbx(&Method::GET, "/endpoints"));
        assert!(!changes_pbx(&Method::POST, "/api/get_endpoint"));
        assert!(!changes_pbx(&Method::POST, "/api/review_option"));
        assert!(!changes_pbx(&Method::POST, routes::CHANGES_PREVIEW));
        assert!(changes_pbx(&Method::POST, "/api/apply_option"));
        assert!(changes_pbx(&Method::POST, "/endpoints"));
        assert!(changes_pbx(&Method::PATCH, "/endpoints/1001/config"));
        assert!(changes_pbx(&Method::DELETE, "/endpoints/1001"));
        assert!(changes_pbx(&Method::POST, "/changes/3/revert"));
        assert!(admin_only(&Method::POST, "/api/create_api_token").is_some());
        assert!(admin_only(&Method::POST, "/api/get_access").is_some());
        assert!(admin_only(&Method::POST, "/api/whoami").is_none());
        // Not routes: the router answers 405 or 404.
        assert!(!changes_pbx(&Method::PUT, "/endpoints"));
        assert!(!changes_pbx(&Method::PATCH, "/endpoints/1001"));
        assert!(!changes_pbx(&Method::DELETE, "/endpoints/1001/config"));
    }

    #[test]
    fn another_site_is_told_from_this_one() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, HeaderValue::from_static(v));
            }
            m
        };
        assert!(!cross_site(&h(&[("sec-fetch-site", "same-origin")])));
        assert!(cross_site(&h(&[("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&h(&[("sec-fetch-site", "same-site")])));
        assert!(!cross_site(&h(&[("host", "pbx:8000"), ("origin", "http://pbx:8000")])));
        assert!(cross_site(&h(&[("host", "pbx:8000"), ("origin", "http://evil.example")])));
        assert!(!cross_site(&h(&[("host", "pbx:8000")])));
    }
}
