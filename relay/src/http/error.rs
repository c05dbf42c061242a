//! The one place where HTTP handler errors become responses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use checkout_chat_protocol::api::ApiErrorBody;

use crate::auth::AuthError;
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("log in first")]
    NotLoggedIn,
    #[error("wrong email or password")]
    BadCredentials,
    #[error("too many login attempts; wait a minute and try again")]
    TooManyAttempts,
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
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotLoggedIn => (StatusCode::UNAUTHORIZED, "not_logged_in"),
            ApiError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            ApiError::TooManyAttempts => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            ApiError::CrossOrigin => (StatusCode::FORBIDDEN, "cross_origin"),
            ApiError::AdminOnly => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        (status, Json(ApiErrorBody { error: code.to_owned(), message: self.to_string() })).into_response()
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
            AuthError::Storage(storage) => storage.into(),
            other => {
                tracing::error!(error = %other, "authentication failed");
                ApiError::Unavailable
            }
        }
    }
}
