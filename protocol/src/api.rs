//! The small HTTP API beside the sockets: agent login, logout and "who am I".

use serde::{Deserialize, Serialize};

use crate::event::AgentProfile;
use crate::ids::ShopId;

/// Body of `POST /v1/agent/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Answer to a successful login and to `GET /v1/agent/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub agent: AgentProfile,
    pub shop: ShopId,
}

/// Body of every HTTP error answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Machine-readable: `not_logged_in`, `bad_credentials`, `cross_origin`, `unavailable`.
    pub error: String,
    /// For people.
    pub message: String,
}
