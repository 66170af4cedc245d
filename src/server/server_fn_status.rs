//! Server functions answer every error with 500, their framework's choice. A
//! body that does not decode into the function's arguments is the client's
//! mistake, and gets 400 here, as bad input does on the JSON routes. The body
//! is kept: it is what a Leptos client decodes.
//!
//! A form posted without JavaScript is answered with the page it came from:
//! a refusal goes back to it in the query (`__path`, `__err`), where Leptos
//! gives it to that page's action as its result, shown in place, instead of
//! a bare error body the browser would show alone.

use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use std::collections::HashSet;
use std::sync::Arc;

/// Error bodies are one short line; anything longer is not an argument error.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The paths of the registered server functions, read once when the router is built.
pub fn server_fn_paths() -> Arc<HashSet<String>> {
    Arc::new(leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_string()).collect())
}

/// `ServerFnError`'s wire form is `Variant|message`; these two mean the
/// request could not be read as the function's arguments.
fn is_argument_error(body: &[u8]) -> bool {
    body.starts_with(b"Args|") || body.starts_with(b"Deserialization|")
}

/// A server function's own error (`Variant|message`), not a refusal made
/// before it ran (the gate's `{"detail": …}`).
fn is_server_fn_error(body: &[u8]) -> bool {
    body.iter().position(|&b| b == b'|').is_some_and(|i| i > 0 && body[..i].iter().all(u8::is_ascii_alphabetic))
}

/// The page a form was posted from without JavaScript (a browser that
/// accepts HTML and says where it was): its path and query on this server.
fn posted_from(headers: &HeaderMap) -> Option<String> {
    let html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok()).filter(|_| html)?;
    // Only a path of this server: never back to another host.
    let path = match referer.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => referer,
    };
    Some(crate::routes::local(path.split('#').next().unwrap_or("/")).to_string())
}

/// `page` with the refusal of the server function at `path` in its query,
/// as `leptos_router` reads it back (`ServerFnUrlError`): any earlier one goes.
fn with_refusal(page: &str, path: &str, body: &[u8]) -> String {
    let (base, query) = page.split_once('?').unwrap_or((page, ""));
    let mut pairs: Vec<String> =
        query.split('&').filter(|p| !p.is_empty() && !p.starts_with("__path=") && !p.starts_with("__err=")).map(str::to_string).collect();
    pairs.push(format!("__path={}", crate::routes::query_value(path)));
    pairs.push(format!("__err={}", crate::routes::query_value(&base64::engine::general_purpose::URL_SAFE.encode(body))));
    format!("{base}?{}", pairs.join("&"))
}

pub async fn server_fn_answers(server_fns: Arc<HashSet<String>>, req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if !server_fns.contains(&path) {
        return next.run(req).await;
    }
    let back = posted_from(req.headers());
    let res = next.run(req).await;
    if !res.status().is_client_error() && !res.status().is_server_error() {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        tracing::error!("a server function's error body could not be read");
        return Response::from_parts(parts, Body::empty());
    };
    if parts.status == StatusCode::INTERNAL_SERVER_ERROR && is_argument_error(&bytes) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    let back = back.filter(|_| is_server_fn_error(&bytes)).and_then(|page| HeaderValue::from_str(&with_refusal(&page, &path, &bytes)).ok());
    if let Some(to) = back {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::SEE_OTHER;
        res.headers_mut().insert(header::LOCATION, to);
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return res;
    }
    parts.headers.remove(header::LOCATION);
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_errors_are_told_from_the_others() {
        assert!(is_argument_error(b"Args|missing field `extension`"));
        assert!(!is_argument_error(b"ServerError|Error reading PJSIP configuration"));
        assert!(is_server_fn_error(b"ServerError|Error reading PJSIP configuration"));
        assert!(!is_server_fn_error(br#"{"detail":"Authentication required | log in"}"#));
    }

    #[test]
    fn a_refusal_goes_back_to_the_page_it_came_from_and_no_other_host() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_static("text/html,application/xhtml+xml"));
        h.insert(header::REFERER, HeaderValue::from_static("https://pbx.example:8443/endpoints/1001/edit?option=context#top"));
        assert_eq!(posted_from(&h).as_deref(), Some("/endpoints/1001/edit?option=context"));
        for elsewhere in ["https://elsewhere.example", "https://pbx.example//evil.example/x", "https://pbx.example/\\evil.example", "//evil.example/x"] {
            h.insert(header::REFERER, HeaderValue::from_str(elsewhere).unwrap());
            assert_eq!(posted_from(&h).as_deref(), Some("/"), "{elsewhere}");
        }
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert_eq!(posted_from(&h), None);

        let to = with_refusal("/access?__path=%2Fapi%2Fx&__err=old&tab=1", "/api/remove_account", b"ServerError|'admin' is the last admin");
        assert!(to.starts_with("/access?tab=1&__path=%2Fapi%2Fremove_account&__err="), "{to}");
        let err = to.split("__err=").nth(1).unwrap();
        let err = percent_encoding::percent_decode_str(err).decode_utf8().unwrap();
        let decoded = base64::engine::general_purpose::URL_SAFE.decode(err.as_bytes()).unwrap();
        assert_eq!(decoded, b"ServerError|'admin' is the last admin");
    }
}
