//! The one place where HTTP handler errors become responses.

use axum::Json;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use checkout_chat_protocol::api::ApiErrorBody;
use checkout_chat_protocol::settings::FieldProblem;

use crate::auth::AuthError;
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("log in first")]
    NotLoggedIn,
    #[error("wrong email or password")]
    BadCredentials,
    #[error("too many login attempts; try again in {} s", retry_after.as_secs().max(1))]
    TooManyAttempts { retry_after: Duration },
    #[error("the relay is busy checking other logins; try again in a moment")]
    LoginsBusy,
    #[error("requests from another site are not accepted here")]
    CrossOrigin,
    #[error("only an admin of the shop may do this")]
    AdminOnly,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("the relay could not complete this request; please retry")]
    Unavailable,
    #[error("{0}")]
    BadRequest(String),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
}

impl ApiError {
    pub fn too_many_attempts(retry_after: Duration) -> Self {
        ApiError::TooManyAttempts { retry_after }
    }

    /// Whole seconds the client should wait before trying again, for the `Retry-After` header.
    fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            // Rounded up: a client that waits what it was told is let in.
            ApiError::TooManyAttempts { retry_after } => Some(retry_after.as_secs() + 1),
            ApiError::LoginsBusy => Some(1),
            _ => None,
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotLoggedIn => (StatusCode::UNAUTHORIZED, "not_logged_in"),
            ApiError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            ApiError::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            ApiError::LoginsBusy => (StatusCode::TOO_MANY_REQUESTS, "busy"),
            ApiError::CrossOrigin => (StatusCode::FORBIDDEN, "cross_origin"),
            ApiError::AdminOnly => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let retry_after = self.retry_after_seconds();
        let message = self.to_string();
        let problems = match self {
            ApiError::Invalid(problems) => problems,
            _ => Vec::new(),
        };
        let mut response = (status, Json(ApiErrorBody { error: code.to_owned(), message, problems })).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::ConversationNotFound => ApiError::NotFound("no such conversation"),
            StorageError::AgentNotFound => ApiError::NotFound("no such agent"),
            StorageError::DuplicateAgent => ApiError::Conflict(err.to_string()),
            _ => {
                tracing::error!(error = %err, "storage failed");
                ApiError::Unavailable
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::BadCredentials => ApiError::BadCredentials,
            AuthError::WeakPassword => ApiError::BadRequest(err.to_string()),
            AuthError::Busy => ApiError::LoginsBusy,
            AuthError::Storage(storage) => storage.into(),
            other => {
                tracing::error!(error = %other, "authentication failed");
                ApiError::Unavailable
            }
        }
    }
}
