//! Server functions answer every error with 500, their framework's choice. A
//! body that does not decode into the function's arguments is the client's
//! mistake, and gets 400 here, as bad input does on the JSON routes. The body
//! is kept: it is what a Leptos client decodes.

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
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

pub async fn bad_arguments_are_400(server_fns: Arc<HashSet<String>>, req: Request<Body>, next: Next) -> Response {
    let server_fn = server_fns.contains(req.uri().path());
    let res = next.run(req).await;
    if !server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        tracing::error!("a server function's error body could not be read");
        return Response::from_parts(parts, Body::empty());
    };
    if is_argument_error(&bytes) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_errors_are_told_from_the_others() {
        assert!(is_argument_error(b"Args|missing field `extension`"));
        assert!(!is_argument_error(b"ServerError|Error reading PJSIP configuration"));
    }
}
