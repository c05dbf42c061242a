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
    #[serde(default)]
    pub role: Role,
}

/// What an account may do: answer shoppers, or also manage the shop's agents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Agent,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "agent" => Some(Role::Agent),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Body of every HTTP error answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Machine-readable: `not_logged_in`, `bad_credentials`, `too_many_attempts`, `cross_origin`,
    /// `bad_request`, `unavailable`.
    pub error: String,
    /// For people.
    pub message: String,
}
