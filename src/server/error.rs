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
    #[error("Change not found")]
    NoSuchChange,
    /// An account or token that is not there.
    #[error("{0}")]
    Missing(String),
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
    /// A change refused before anything was written: what is wrong with it.
    #[error("{0}")]
    Invalid(String),
    /// A change made on a version of the config that is no longer on disk,
    /// or another writer holding it.
    #[error("{0}")]
    Conflict(String),
    /// A change that needs Asterisk while it cannot be reached: nothing written.
    #[error("{0}")]
    AmiDown(String),
    /// A change asked of a server that is stopping: nothing written.
    #[error("{0}")]
    Stopping(String),
    /// A change Asterisk did not take: undone, with what it did not take.
    #[error("{0}")]
    NotTaken(String),
    #[error("{0}")]
    Forbidden(String),
    /// No credentials, and the route needs some.
    #[error("Authentication required: log in, or send Authorization: Bearer <token>")]
    Unauthorized,
    /// A token that is unknown, past its end or revoked.
    #[error("Invalid, expired or revoked token")]
    BadCredentials,
    /// Login attempts over the limit: seconds until the next is taken.
    #[error("Too many login attempts: try again in {0} s")]
    TooManyLogins(u64),
    /// Requests over the configured rate for a token or address: seconds until the next is taken.
    #[error("Too many requests: try again in {0} s")]
    TooManyRequests(u64),
    /// A change that failed on the server's side (disk, an undo that failed).
    #[error("{0}")]
    ChangeFailed(String),
}

impl From<crate::pbx::apply::ApplyError> for ApiError {
    fn from(e: crate::pbx::apply::ApplyError) -> Self {
        use crate::pbx::apply::ApplyError as A;
        use crate::pjsip::edit::EditError;
        use crate::pjsip::store::StoreError;
        let detail = e.to_string();
        match e {
            A::NoEndpoint => ApiError::Pbx(PbxError::EndpointNotFound),
            A::NoChange => ApiError::NoSuchChange,
            A::Refused(EditError::NotFound(_)) => ApiError::Invalid(detail),
            A::Refused(EditError::Unloadable(_)) | A::Unreadable(_) => ApiError::ChangeFailed(detail),
            A::Refused(_) | A::Transport(_) | A::Invalid(_) => ApiError::Invalid(detail),
            A::VersionMismatch { .. } | A::Superseded(_) | A::Store(StoreError::Conflict { .. } | StoreError::Busy { .. }) => ApiError::Conflict(detail),
            A::Store(_) | A::RollbackFailed { .. } => {
                tracing::error!("a change failed: {detail}");
                ApiError::ChangeFailed(detail)
            }
            A::AmiDown(_) => ApiError::AmiDown(detail),
            A::Stopping => ApiError::Stopping(detail),
            A::RolledBack { .. } => ApiError::NotTaken(detail),
            A::WritesOff | A::Forbidden(_) => ApiError::Forbidden(detail),
        }
    }
}

impl From<crate::pbx::accounts::AccountError> for ApiError {
    fn from(e: crate::pbx::accounts::AccountError) -> Self {
        use crate::pbx::accounts::AccountError as A;
        let detail = e.to_string();
        match e {
            A::Invalid(_) => ApiError::Invalid(detail),
            A::NoUser(_) | A::NoToken(_) => ApiError::Missing(detail),
            A::UserExists(_) | A::TokenExists(_) | A::LastAdmin(_) => ApiError::Conflict(detail),
            A::Random(_) | A::Hash(_) | A::Query(_) => {
                tracing::error!("accounts: {detail}");
                ApiError::Internal
            }
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Pbx(PbxError::EndpointNotFound) | ApiError::NotFound | ApiError::NoSuchChange | ApiError::Missing(_) => StatusCode::NOT_FOUND,
            // The config is ours to read: its absence is the server's fault, not the client's.
            ApiError::Pbx(PbxError::ConfigUnavailable) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::BadRequest | ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::AmiDown(_) | ApiError::Stopping(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::NotTaken(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Unauthorized | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::TooManyLogins(_) | ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::ChangeFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status(), Json(ErrorBody { detail: self.to_string() })).into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if let ApiError::TooManyLogins(wait) | ApiError::TooManyRequests(wait) = self {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        if self.status() == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"ispbx\""));
        }
        res
    }
}
