//! The events of a conversation's log, and the summaries agents see in their inbox.
//!
//! Everything that happens in a conversation is one [`Event`] with the next sequence number of
//! that conversation. The relay stores it before it acknowledges or forwards it, so the log is the
//! single source of truth: history, replay after a reconnect and (later) transcripts all read it.

use serde::{Deserialize, Serialize};

use crate::ids::{AgentId, ClientId, ConversationId, Seq};

/// One entry of a conversation's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub conversation_id: ConversationId,
    pub seq: Seq,
    /// When the relay stored it, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub author: Author,
    /// The id the sending client gave the event, when a client sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    pub body: EventBody,
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Author {
    Visitor,
    Agent(AgentProfile),
    System,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    /// A chat message. Always plain text: clients render it as text, never as HTML.
    Message { text: String },
    /// The author (an agent) joined the conversation.
    Joined,
    /// The conversation ended: the author (an agent) ended it and the shopper is asked for a
    /// rating, or the relay (the system) closed it for `reason` after the shopper left.
    Closed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<CloseReason>,
    },
    /// The shopper (the author) wrote again after the conversation ended: it is open again, with
    /// its history, waiting for an agent (its last agent, when they can take it, joins at once).
    Reopened,
    /// The shopper rated the conversation, 1 to 5.
    Rated {
        score: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// No agent was online: the shopper left a question and an email to answer to.
    LeftMessage { email: String, text: String },
    /// The shopper asked for the conversation by email, to this address.
    TranscriptRequested { email: String },
    /// The conversation began as an answer to this proactive prompt (its English text), so the
    /// agent sees what the shopper was replying to.
    Prompted { rule_id: String, message: String },
    /// An agent's internal note: for agents only. The relay never sends it to a shopper, never
    /// emails it in a transcript and never posts it to a webhook.
    Note { text: String },
    /// For agents only: the conversation passed from its agent (the author) to `to`, with the
    /// transferring agent's note; `to` is none when it went back to the queue (its agent went
    /// offline). The shopper sees only the new agent's `joined`.
    Handover {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<AgentProfile>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

impl EventBody {
    /// Whether only agents may see it.
    pub fn is_internal(&self) -> bool {
        matches!(self, EventBody::Note { .. } | EventBody::Handover { .. })
    }
}

/// Why the relay closed a conversation by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The shopper left with nothing unanswered, and did not come back in time.
    ShopperLeft,
    /// The shopper left while their last messages were still unanswered.
    Missed,
}

/// The public face of an agent: what a shopper and other agents may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentProfile {
    pub id: AgentId,
    pub name: String,
}

impl AgentProfile {
    /// Up to two letters for an avatar: first letters of the first and last word of the name.
    /// Left in their case: capitalising is the stylesheet's job (`text-transform`), which spares
    /// the widget the Unicode case tables.
    pub fn initials(&self) -> String {
        let mut words = self.name.split_whitespace();
        let first = words.next().and_then(|w| w.chars().next());
        let last = words.last().and_then(|w| w.chars().next());
        first.into_iter().chain(last).collect()
    }
}

/// What the relay knows of who the shopper is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityStatus {
    /// The shop did not say.
    #[default]
    Anonymous,
    /// The shop vouched for the shopper's user id with a valid signature (their name and email
    /// may still be the page's word: see [`ConversationSummary::name`]).
    Verified,
    /// An identity was claimed but its signature was wrong: treat the shopper as anonymous.
    Unverified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// No agent has joined yet.
    Waiting,
    /// An agent has joined.
    Active,
    Closed,
}

/// Something the shop said about the shopper, and whether its signature covers it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Claimed {
    pub value: String,
    /// Signed by the shop (in an identity token); false for what the page passed beside a signed
    /// user id, which agents are shown as unverified.
    #[serde(default)]
    pub verified: bool,
}

/// One row of an agent's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    /// A readable name for the shopper: the name the shop gave with a verified user id (signed
    /// or not: see `name`), else "Visitor 7F3A".
    pub visitor_name: String,
    #[serde(default)]
    pub identity: IdentityStatus,
    /// Where the shopper asked to be answered or sent the transcript, if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    /// The shop's user id, when the identity is verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The name and email the shop gave with the verified user id, each marked with whether the
    /// shop signed it; none for an anonymous or unverified shopper. Boxed because a summary rides
    /// in `ServerFrame`, and every frame (events above all) is as large as its largest variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Box<Claimed>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Box<Claimed>>,
    pub status: ConversationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_agent: Option<AgentProfile>,
    pub last_seq: Seq,
    /// A one-line preview of the latest message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// When the oldest shopper message that no agent has answered yet came; none when answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_since_ms: Option<i64>,
    /// Shopper messages since an agent last wrote.
    #[serde(default)]
    pub unanswered: u32,
    /// The shopper's cart as last reported (minor units), its currency, and checkout step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cart_total: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cart_currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_step: Option<String>,
    /// The shopper's last completed order, for the `{{order_id}}` of canned responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_order_id: Option<String>,
    /// The shopper's language (as the widget said) and device (from the browser's user agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// When the shopper's last connection to the conversation went; none while they have it
    /// open somewhere (on this relay's word).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shopper_left_at_ms: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_use_first_and_last_word() {
        let agent = |name: &str| AgentProfile { id: AgentId::new("a1").unwrap(), name: name.into() };
        assert_eq!(agent("Anna de Vries").initials(), "AV");
        assert_eq!(agent("sam").initials(), "s");
        assert_eq!(agent("سارا احمدی").initials(), "سا");
        assert_eq!(agent("  ").initials(), "");
    }
}
