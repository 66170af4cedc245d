//! The one place where errors become HTTP status codes and `{"detail": …}` bodies.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crate::model::ErrorBody;
use crate::pbx::PbxError;

/// Errors the API answers with. The texts of the specification are kept verbatim.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// What the PBX said: its texts are the specification's.
    #[error(transparent)]
    Pbx(#[from] PbxError),
    #[error("Not Found")]
    NotFound,
    #[error("Method Not Allowed")]
    MethodNotAllowed,
    #[error("Request timed out")]
    Timeout,
    /// A bug of ours; the cause is logged where it happens.
    #[error("Internal Server Error")]
    Internal,
    /// A request this server will not read (a path or query that is not text).
    #[error("Bad Request")]
    BadRequest,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Pbx(PbxError::EndpointNotFound) | ApiError::NotFound => StatusCode::NOT_FOUND,
            // The config is ours to read: its absence is the server's fault, not the client's.
            ApiError::Pbx(PbxError::ConfigUnavailable) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::BadRequest => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status(), Json(ErrorBody { detail: self.to_string() })).into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        res
    }
}
