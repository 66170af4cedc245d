//! A JSON answer with its validator: pollers send `If-None-Match` and get a
//! bodiless 304 while nothing changed.

use super::error::ApiError;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde::Serialize;
use std::hash::Hasher;

#[derive(Clone, Debug)]
pub struct JsonBody {
    pub bytes: Bytes,
    /// Weak (`W/"…"`): the compression layer may re-encode the same content.
    pub etag: HeaderValue,
}

impl JsonBody {
    pub fn of<T: Serialize>(value: &T) -> Result<JsonBody, ApiError> {
        let bytes = serde_json::to_vec(value).map_err(|e| {
            tracing::error!("cannot serialise an answer: {e}");
            ApiError::Internal
        })?;
        Ok(JsonBody::from_bytes(bytes.into()))
    }

    pub fn from_bytes(bytes: Bytes) -> JsonBody {
        // The validator only has to change when the body does; a 64-bit
        // content hash does that without keeping any state.
        let mut h = rustc_hash::FxHasher::default();
        h.write(&bytes);
        h.write_usize(bytes.len());
        let etag = HeaderValue::from_str(&format!("W/\"{:016x}\"", h.finish())).expect("hex is a valid header");
        JsonBody { bytes, etag }
    }

    /// 304 when the client's `If-None-Match` names this body, else 200 with it.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let fresh = request.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|v| {
            v.split(',').map(str::trim).any(|tag| tag == "*" || weak_eq(tag, self.etag.to_str().unwrap_or("")))
        });
        let mut res = if fresh {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            let mut r = Response::new(Body::from(self.bytes.clone()));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        };
        res.headers_mut().insert(header::ETAG, self.etag.clone());
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        res
    }
}

/// RFC 9110 weak comparison: the opaque tags match, `W/` aside.
fn weak_eq(a: &str, b: &str) -> bool {
    let opaque = |t: &str| t.strip_prefix("W/").unwrap_or(t).to_string();
    opaque(a) == opaque(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(inm: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(inm).unwrap());
        h
    }

    #[test]
    fn a_matching_validator_gets_304_and_any_change_a_new_tag() {
        let a = JsonBody::of(&serde_json::json!({"status": "success", "n": 1})).unwrap();
        let b = JsonBody::of(&serde_json::json!({"status": "success", "n": 2})).unwrap();
        assert_ne!(a.etag, b.etag);
        let tag = a.etag.to_str().unwrap().to_string();
        assert!(tag.starts_with("W/\""));
        assert_eq!(a.respond(&HeaderMap::new()).status(), StatusCode::OK);
        assert_eq!(a.respond(&req(&tag)).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(a.respond(&req(tag.trim_start_matches("W/"))).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(a.respond(&req(&format!("\"x\", {tag}"))).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(a.respond(&req("*")).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(b.respond(&req(&tag)).status(), StatusCode::OK);
        assert_eq!(a.respond(&req("garbage")).status(), StatusCode::OK);
    }
}
