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
    /// Whether the relay can send mail (an `[smtp]` server is configured): without it, the
    /// transcripts shoppers ask for wait, and admins are told so.
    #[serde(default)]
    pub mail_configured: bool,
}

/// What an account may do: answer shoppers, or also manage the shop's agents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// A reply a shop keeps ready: typing `/shortcut` in the console expands it. `{{name}}`,
/// `{{cart_total}}` and `{{order_id}}` in the text are filled in for the conversation, and
/// `{{name|there}}` says "there" when the name is not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedResponse {
    pub shortcut: String,
    pub text: String,
    /// The shoppers' language this version is for (`nl`); none for every language. A shortcut
    /// may have one version per language besides the one for every language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// Whether `lang` may name the language of a canned response: a primary language subtag, two
/// or three lowercase letters (`en`, `nl`, `ar`, `fa`).
pub fn is_valid_canned_lang(lang: &str) -> bool {
    (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase())
}

/// Longest shortcut, and longest canned text (in characters).
pub const MAX_SHORTCUT_LEN: usize = 32;
pub const MAX_CANNED_CHARS: usize = 2000;

/// Whether `shortcut` may name a canned response: 1 to 32 of `a-z`, `0-9`, `-` and `_`.
pub fn is_valid_shortcut(shortcut: &str) -> bool {
    (1..=MAX_SHORTCUT_LEN).contains(&shortcut.len())
        && shortcut.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Conversations taken at once by an agent unless an admin says otherwise.
pub const DEFAULT_CAPACITY: u32 = 5;
/// Most conversations an agent can be given at once.
pub const MAX_CAPACITY: u32 = 50;

/// One of the shop's accounts, as an admin manages them (`GET /v1/admin/agents`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentAccount {
    pub agent: AgentProfile,
    pub email: String,
    pub role: Role,
    pub capacity: u32,
    pub disabled: bool,
}

/// Body of `POST /v1/admin/agents`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    pub email: String,
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
}

/// Body of `PATCH /v1/admin/agents/{id}`: what to change (absent fields stay as they are).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Body of every HTTP error answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Machine-readable: `not_logged_in`, `bad_credentials`, `too_many_attempts`, `busy` (both
    /// 429 with `Retry-After`), `cross_origin`, `forbidden`, `not_found`, `conflict`,
    /// `bad_request`, `invalid`, `unavailable`.
    pub error: String,
    /// For people.
    pub message: String,
    /// `invalid` (422): each field that is wrong and how, for a form to show beside the field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<crate::settings::FieldProblem>,
}
