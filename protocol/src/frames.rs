//! The frames on the two WebSockets: `/v1/visitor` (widget) and `/v1/agent` (console).
//!
//! Every frame is one JSON object with a `type` field. Clients send [`VisitorFrame`] or
//! [`AgentFrame`]; the relay answers both with [`ServerFrame`].

use serde::{Deserialize, Serialize};

use crate::activity::Activity;
use crate::api::Role;
use crate::event::{AgentProfile, Author, ConversationSummary, Event};
use crate::ids::{AgentId, ClientId, ConversationId, Seq, ShopId, VisitorId, VisitorToken};
use crate::inbox::{InboxKey, InboxStart, InboxTab};
use crate::settings::ShopFace;

/// What the widget sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum VisitorFrame {
    /// Must be the first frame: says which shop and, after a reload, who the visitor is and what
    /// they last saw.
    Hello(VisitorHello),
    /// A message into the visitor's conversation; the relay starts one if there is none.
    Send {
        client_id: ClientId,
        text: String,
        /// The proactive rule whose prompt the shopper answered with this message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt: Option<String>,
    },
    /// What the shopper did on the shop's pages, acknowledged with `activity_ack` once stored.
    /// The same `batch_id` sent again (after a reconnect) is stored once.
    Activity {
        batch_id: ClientId,
        events: Vec<Activity>,
    },
    /// The shopper started or stopped typing (not stored; throttled by the widget).
    Typing {
        typing: bool,
    },
    /// The shop says who the shopper is (also possible in `hello`).
    Identify(Identity),
    /// A rating for the conversation after the agent ended it.
    Rate {
        client_id: ClientId,
        score: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// No agent online: a question and the address to answer to. Starts a conversation if needed.
    LeaveMessage {
        client_id: ClientId,
        email: String,
        text: String,
        /// The proactive rule whose prompt the shopper answered by leaving the message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt: Option<String>,
    },
    /// Email this conversation to the shopper (when it ends, or now if it has ended).
    EmailTranscript {
        client_id: ClientId,
        email: String,
    },
    Ping,
}

/// What the shop's page passes to `checkoutChat.push(["identify", …])`, in one of two forms:
///
/// - `identity_token`: a compact JWS (HS256 under the shop's identity secret) whose claims carry
///   the user id (`user_id` or `sub`), optionally `name` and `email`, and `exp`. Every field it
///   carries is verified.
/// - `user_id` + `user_hash` (the hex HMAC-SHA256 of `user_id`), as older integrations send it:
///   only the user id is verified; `name` and `email` beside it are the page's word and are shown
///   to agents as unverified.
///
/// With a token, plain `name` and `email` fill in only what the token does not carry (and are
/// unverified); a plain `user_id` must equal the token's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitorHello {
    pub shop: ShopId,
    /// The token from an earlier `welcome`, if the widget has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<VisitorToken>,
    /// The conversation the widget was showing, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
    /// The highest sequence number the widget has shown; the relay replays everything after it.
    #[serde(default)]
    pub last_seq: Seq,
    /// Who the shop says the shopper is, if it called `identify` before the widget connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// The browser's visit (ends after 30 minutes without activity); reports count per session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<ClientId>,
    /// The widget's watcher: this socket only sends activity (it follows no conversation and
    /// does not hold the shopper's place in the queue).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub activity_only: bool,
    /// The shopper's language (a BCP 47 tag): texts the relay writes for them, such as the
    /// prompt a conversation begins with, are in it when the shop has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// What the agents' console sends (after logging in over HTTP; the socket is authenticated by the
/// session cookie).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AgentFrame {
    /// Start following a conversation: replay after `last_seq`, then live events.
    Open {
        conversation_id: ConversationId,
        #[serde(default)]
        last_seq: Seq,
    },
    /// Stop following a conversation.
    Leave {
        conversation_id: ConversationId,
    },
    /// A message into a conversation of the agent's shop.
    Send {
        conversation_id: ConversationId,
        client_id: ClientId,
        text: String,
    },
    /// The agent started or stopped typing in a conversation (not stored).
    Typing {
        conversation_id: ConversationId,
        typing: bool,
    },
    /// An internal note in the conversation, for agents only (acknowledged like `send`).
    Note {
        conversation_id: ConversationId,
        client_id: ClientId,
        text: String,
    },
    /// End the conversation; the shopper is asked for a rating.
    Close {
        conversation_id: ConversationId,
    },
    /// Take a waiting conversation (whatever the agent's load: it is their choice).
    Claim {
        conversation_id: ConversationId,
    },
    /// Mark the conversation's shopper as spam: the conversation ends and leaves the queue, the
    /// shopper's token opens nothing any more, and their address starts no conversation for an
    /// hour.
    Block {
        conversation_id: ConversationId,
    },
    /// Hand the conversation to another agent of the shop, or to a supervisor (an admin online),
    /// with a note for them. The shopper sees who joined; the new agent sees everything.
    Transfer {
        conversation_id: ConversationId,
        to: TransferTo,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Available for new chats, or away (keeps the open ones, gets no new ones).
    SetStatus {
        status: AgentStatus,
    },
    /// The next page of an inbox tab, after the last conversation the console was given
    /// (`more_after`); answered with `inbox_page`.
    LoadInbox {
        tab: InboxTab,
        after: InboxKey,
    },
    Ping,
}

/// Who a transfer goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TransferTo {
    Agent(AgentId),
    /// The least busy of the shop's admins who is online.
    Supervisor,
}

/// An agent's presence: online (gets new chats), away (keeps theirs, gets none), offline (no
/// connection for longer than the shop allows: their chats went back to the queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    Online,
    Away,
    Offline,
}

/// One of the shop's agents as their colleagues see them (for transfers and the team list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub agent: AgentProfile,
    pub role: Role,
    pub status: AgentStatus,
    /// Conversations assigned to them that are not closed, and how many they take at most.
    pub load: u32,
    pub capacity: u32,
}

/// What the relay sends to either kind of client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Answer to a visitor's `hello`. The widget keeps `token` and sends it next time.
    Welcome {
        token: VisitorToken,
        visitor_id: VisitorId,
        /// The shop's name, texts, look and rules (`shop_name`, `greeting`, `reply_time`,
        /// `look`, `rules` in the frame itself).
        #[serde(flatten)]
        shop: ShopFace,
        /// Agents of the shop online now (none while the shop says it is away); none means the
        /// widget offers to leave a message.
        #[serde(default)]
        agents_online: u32,
        /// The relay can send email (an SMTP server is configured): the widget offers the
        /// conversation by email only then.
        #[serde(default)]
        mail: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation_id: Option<ConversationId>,
    },
    /// To visitors: an admin changed the shop's settings; the same fields as in the welcome.
    Shop(ShopFace),
    /// A visitor's activity batch is stored.
    ActivityAck {
        batch_id: ClientId,
    },
    /// To agents: what the shopper of a conversation did on the shop's pages. After `open`, one
    /// frame with `history` set holds the recent past (replacing what the console had); later
    /// frames add what happens live.
    VisitorActivity {
        conversation_id: ConversationId,
        events: Vec<Activity>,
        #[serde(default)]
        history: bool,
    },
    /// First frame on an agent socket: who is logged in, the first page of each inbox tab and
    /// how many conversations each tab holds.
    AgentWelcome {
        agent: AgentProfile,
        shop: ShopId,
        #[serde(flatten)]
        inbox: InboxStart,
    },
    /// The inbox anew, as in the welcome: the relay missed updates it owed this console (it fell
    /// behind), so the console replaces what it had.
    Inbox {
        #[serde(flatten)]
        inbox: InboxStart,
    },
    /// Answer to `load_inbox`: the tab's next conversations in order, and `more_after` when
    /// there are more still.
    InboxPage {
        tab: InboxTab,
        conversations: Vec<ConversationSummary>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        more_after: Option<InboxKey>,
    },
    /// One event of a conversation, replayed or live, in sequence order; on one connection each
    /// event is sent at most once (opening a conversation twice does not replay it again).
    Event {
        event: Event,
    },
    /// The replay for a conversation is complete; what follows is live. `last_seq` is the
    /// conversation's real position: lower than the client's own only if the relay's database
    /// went back in time, in which case the client drops what it showed beyond it.
    Synced {
        conversation_id: ConversationId,
        last_seq: Seq,
    },
    /// The message with this client id is stored under `seq` (sent again for a resend, with the
    /// original `seq`).
    Ack {
        client_id: ClientId,
        conversation_id: ConversationId,
        seq: Seq,
    },
    /// For agents: the shop's agents, their presence and load, whenever it changes. It also
    /// carries the shop's Waiting and Open counts from storage, which change with the same
    /// things (a chat arriving, taken, moved, ended); an agent's Mine count is their `load`.
    Team {
        agents: Vec<TeamMember>,
        #[serde(default)]
        waiting: u32,
        #[serde(default)]
        open: u32,
    },
    /// For agents: a conversation of the shop was created or changed.
    ConversationUpdated {
        conversation: ConversationSummary,
    },
    /// Someone in the conversation started or stopped typing (never stored).
    Typing {
        conversation_id: ConversationId,
        author: Author,
        typing: bool,
    },
    /// For visitors: how many of the shop's agents are online, whenever it changes.
    Presence {
        agents_online: u32,
    },
    /// For visitors waiting for an agent: their place in the queue (1 = next) and an estimate
    /// from how long recent shoppers waited, when there is enough history for one.
    Queue {
        conversation_id: ConversationId,
        position: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        estimated_wait_seconds: Option<u32>,
    },
    /// Something the client sent was refused. The connection stays open unless the relay closes it.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<ClientId>,
    },
    Pong,
}

/// Machine-readable reason of an [`ServerFrame::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, not a known frame type, or a field of the wrong shape.
    BadFrame,
    /// A visitor frame arrived before `hello`, or a second `hello`.
    HelloExpected,
    UnknownShop,
    /// The page's origin is not one the shop allows to open its chat.
    OriginNotAllowed,
    /// The token or session does not give access to what was asked.
    Forbidden,
    /// The visitor is verified as another user than the page now says: the client must forget
    /// everything of this visitor (conversation, unsent messages, token) and start as a new one.
    IdentityChanged,
    NotFound,
    /// The conversation has ended: nothing but a rating or a transcript request can be added.
    ConversationClosed,
    /// Message text empty or too long.
    InvalidText,
    RateLimited,
    /// The relay could not store the event; the client should retry later.
    Unavailable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::BadFrame,
        ErrorCode::HelloExpected,
        ErrorCode::UnknownShop,
        ErrorCode::OriginNotAllowed,
        ErrorCode::Forbidden,
        ErrorCode::IdentityChanged,
        ErrorCode::NotFound,
        ErrorCode::ConversationClosed,
        ErrorCode::InvalidText,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
    ];

    /// The name on the wire (as serde writes it), for clients that read frames without serde.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadFrame => "bad_frame",
            ErrorCode::HelloExpected => "hello_expected",
            ErrorCode::UnknownShop => "unknown_shop",
            ErrorCode::OriginNotAllowed => "origin_not_allowed",
            ErrorCode::IdentityChanged => "identity_changed",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::ConversationClosed => "conversation_closed",
            ErrorCode::InvalidText => "invalid_text",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
        }
    }

    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|code| code.as_str() == name)
    }

    /// Whether sending the same frame again later can succeed (a client retries these by itself).
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorCode::RateLimited | ErrorCode::Unavailable)
    }
}

/// Why a text frame could not be read as a client frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame is not valid JSON: {0}")]
    Malformed(String),
    #[error("frame is not understood: {0}")]
    Invalid(String),
}

impl From<serde_json::Error> for FrameError {
    fn from(err: serde_json::Error) -> Self {
        match err.classify() {
            serde_json::error::Category::Data => FrameError::Invalid(err.to_string()),
            _ => FrameError::Malformed(err.to_string()),
        }
    }
}

impl VisitorFrame {
    pub fn parse(text: &str) -> Result<Self, FrameError> {
        Ok(serde_json::from_str(text)?)
    }
}

impl AgentFrame {
    pub fn parse(text: &str) -> Result<Self, FrameError> {
        Ok(serde_json::from_str(text)?)
    }
}

impl ServerFrame {
    pub fn parse(text: &str) -> Result<Self, FrameError> {
        Ok(serde_json::from_str(text)?)
    }

    pub fn to_json(&self) -> String {
        // Serialising these types cannot fail (no maps with non-string keys, no custom impls);
        // should it ever, the client gets an honest error instead of a broken frame.
        serde_json::to_string(self).unwrap_or_else(|_| {
            String::from(r#"{"type":"error","code":"unavailable","message":"the relay could not encode a frame"}"#)
        })
    }

    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerFrame::Error { code, message: message.into(), client_id: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Author, EventBody};

    fn cid(s: &str) -> ConversationId {
        ConversationId::new(s).unwrap()
    }

    fn round_trip_server(frame: ServerFrame) {
        let json = frame.to_json();
        assert_eq!(ServerFrame::parse(&json).unwrap(), frame, "{json}");
    }

    #[test]
    fn visitor_frames_round_trip() {
        let frames = [
            VisitorFrame::Hello(VisitorHello {
                shop: ShopId::new("demo").unwrap(),
                token: Some(VisitorToken::new("tok").unwrap()),
                conversation_id: Some(cid("c1")),
                last_seq: 7,
                identity: Some(Identity {
                    user_id: Some("u-1".into()),
                    name: Some("Sara".into()),
                    user_hash: Some("ab12".into()),
                    ..Identity::default()
                }),
                session_id: Some(ClientId::new("s1").unwrap()),
                activity_only: true,
                locale: Some("nl-BE".into()),
            }),
            VisitorFrame::Activity {
                batch_id: ClientId::new("b1").unwrap(),
                events: vec![crate::activity::Activity {
                    at_ms: 1,
                    body: crate::activity::ActivityBody::CheckoutStep { step: "payment".into() },
                }],
            },
            VisitorFrame::Typing { typing: true },
            VisitorFrame::Identify(Identity { identity_token: Some("e30.e30.sig".into()), ..Identity::default() }),
            VisitorFrame::Rate { client_id: ClientId::new("r").unwrap(), score: 5, comment: Some("great".into()) },
            VisitorFrame::LeaveMessage {
                client_id: ClientId::new("l").unwrap(),
                email: "a@b.example".into(),
                text: "call me".into(),
                prompt: Some("payment-help".into()),
            },
            VisitorFrame::EmailTranscript { client_id: ClientId::new("e").unwrap(), email: "a@b.example".into() },
            VisitorFrame::Send { client_id: ClientId::new("m1").unwrap(), text: "hoi".into(), prompt: None },
            VisitorFrame::Send {
                client_id: ClientId::new("m2").unwrap(),
                text: "yes".into(),
                prompt: Some("payment-help".into()),
            },
            VisitorFrame::Ping,
        ];
        for frame in frames {
            let json = serde_json::to_string(&frame).unwrap();
            assert_eq!(VisitorFrame::parse(&json).unwrap(), frame, "{json}");
        }
    }

    #[test]
    fn agent_frames_round_trip() {
        let frames = [
            AgentFrame::Open { conversation_id: cid("c1"), last_seq: 3 },
            AgentFrame::Leave { conversation_id: cid("c1") },
            AgentFrame::Send {
                conversation_id: cid("c1"),
                client_id: ClientId::new("m2").unwrap(),
                text: "Hello!".into(),
            },
            AgentFrame::Typing { conversation_id: cid("c1"), typing: false },
            AgentFrame::Close { conversation_id: cid("c1") },
            AgentFrame::Note {
                conversation_id: cid("c1"),
                client_id: ClientId::new("n1").unwrap(),
                text: "VIP".into(),
            },
            AgentFrame::Claim { conversation_id: cid("c1") },
            AgentFrame::Block { conversation_id: cid("c1") },
            AgentFrame::Transfer {
                conversation_id: cid("c1"),
                to: TransferTo::Agent(AgentId::new("a2").unwrap()),
                note: Some("wants a refund".into()),
            },
            AgentFrame::Transfer { conversation_id: cid("c1"), to: TransferTo::Supervisor, note: None },
            AgentFrame::SetStatus { status: AgentStatus::Away },
            AgentFrame::LoadInbox {
                tab: InboxTab::Waiting,
                after: InboxKey { rank: 1_700_000_000_000, id: cid("c9") },
            },
            AgentFrame::Ping,
        ];
        for frame in frames {
            let json = serde_json::to_string(&frame).unwrap();
            assert_eq!(AgentFrame::parse(&json).unwrap(), frame, "{json}");
        }
    }

    #[test]
    fn server_frames_round_trip() {
        let agent = AgentProfile { id: AgentId::new("a1").unwrap(), name: "Anna".into() };
        round_trip_server(ServerFrame::Event {
            event: Event {
                conversation_id: cid("c1"),
                seq: 2,
                at_ms: 1_700_000_000_000,
                author: Author::Agent(agent.clone()),
                client_id: None,
                body: EventBody::Message { text: "<b>not html</b>".into() },
            },
        });
        round_trip_server(ServerFrame::Event {
            event: Event {
                conversation_id: cid("c1"),
                seq: 1,
                at_ms: 1,
                author: Author::Visitor,
                client_id: Some(ClientId::new("x").unwrap()),
                body: EventBody::Joined,
            },
        });
        round_trip_server(ServerFrame::Ack {
            client_id: ClientId::new("m").unwrap(),
            conversation_id: cid("c"),
            seq: 9,
        });
        round_trip_server(ServerFrame::error(ErrorCode::BadFrame, "nope"));
        round_trip_server(ServerFrame::Synced { conversation_id: cid("c"), last_seq: 0 });
        round_trip_server(ServerFrame::Typing { conversation_id: cid("c"), author: Author::Visitor, typing: true });
        round_trip_server(ServerFrame::Presence { agents_online: 2 });
        let key = InboxKey { rank: 1_700_000_000_000, id: cid("c9") };
        let inbox = InboxStart {
            conversations: vec![],
            tabs: vec![
                crate::inbox::TabPage { tab: InboxTab::Waiting, more_after: Some(key.clone()) },
                crate::inbox::TabPage { tab: InboxTab::Mine, more_after: None },
            ],
            counts: crate::inbox::InboxCounts { waiting: 20_000, mine: 1, open: 20_001 },
        };
        round_trip_server(ServerFrame::AgentWelcome {
            agent: agent.clone(),
            shop: ShopId::new("demo").unwrap(),
            inbox: inbox.clone(),
        });
        round_trip_server(ServerFrame::Inbox { inbox });
        round_trip_server(ServerFrame::InboxPage { tab: InboxTab::Open, conversations: vec![], more_after: Some(key) });
        round_trip_server(ServerFrame::Team { agents: vec![], waiting: 3, open: 4 });
        round_trip_server(ServerFrame::Queue {
            conversation_id: cid("c"),
            position: 3,
            estimated_wait_seconds: Some(90),
        });
        for body in [
            EventBody::Closed { reason: None },
            EventBody::Rated { score: 4, comment: None },
            EventBody::LeftMessage { email: "a@b.example".into(), text: "hi".into() },
            EventBody::TranscriptRequested { email: "a@b.example".into() },
        ] {
            round_trip_server(ServerFrame::Event {
                event: Event {
                    conversation_id: cid("c"),
                    seq: 1,
                    at_ms: 1,
                    author: Author::Visitor,
                    client_id: None,
                    body,
                },
            });
        }
    }

    #[test]
    fn wire_format_is_stable() {
        let typing = ServerFrame::Typing { conversation_id: cid("c"), author: Author::Visitor, typing: true };
        assert_eq!(
            typing.to_json(),
            r#"{"type":"typing","conversation_id":"c","author":{"role":"visitor"},"typing":true}"#
        );
        let json = r#"{"type":"hello","shop":"demo","last_seq":4}"#;
        let VisitorFrame::Hello(hello) = VisitorFrame::parse(json).unwrap() else { panic!("not hello") };
        assert_eq!(hello.shop.as_str(), "demo");
        assert_eq!(hello.token, None);
        assert_eq!(hello.last_seq, 4);
        let ack = ServerFrame::Ack { client_id: ClientId::new("m").unwrap(), conversation_id: cid("c"), seq: 9 };
        assert_eq!(ack.to_json(), r#"{"type":"ack","client_id":"m","conversation_id":"c","seq":9}"#);
        // The inbox's fields sit beside the welcome's own (older readers find `conversations`).
        let welcome = ServerFrame::AgentWelcome {
            agent: AgentProfile { id: AgentId::new("a").unwrap(), name: "A".into() },
            shop: ShopId::new("demo").unwrap(),
            inbox: InboxStart {
                conversations: vec![],
                tabs: vec![crate::inbox::TabPage {
                    tab: InboxTab::Waiting,
                    more_after: Some(InboxKey { rank: 5, id: cid("c") }),
                }],
                counts: crate::inbox::InboxCounts { waiting: 2, mine: 0, open: 2 },
            },
        };
        assert_eq!(
            welcome.to_json(),
            r#"{"type":"agent_welcome","agent":{"id":"a","name":"A"},"shop":"demo","conversations":[],"tabs":[{"tab":"waiting","more_after":{"rank":5,"id":"c"}}],"counts":{"waiting":2,"mine":0,"open":2}}"#
        );
        let load = AgentFrame::parse(r#"{"type":"load_inbox","tab":"open","after":{"rank":5,"id":"c"}}"#).unwrap();
        assert_eq!(load, AgentFrame::LoadInbox { tab: InboxTab::Open, after: InboxKey { rank: 5, id: cid("c") } });
    }

    #[test]
    fn error_code_names_match_the_wire() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{}\"", code.as_str()));
            assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::from_name("nope"), None);
    }

    #[test]
    fn rejects_malformed_json() {
        assert!(matches!(VisitorFrame::parse("{not json"), Err(FrameError::Malformed(_))));
        assert!(matches!(AgentFrame::parse(""), Err(FrameError::Malformed(_))));
    }

    #[test]
    fn rejects_unknown_types_and_fields() {
        let unknown = VisitorFrame::parse(r#"{"type":"delete_everything"}"#).unwrap_err();
        assert!(matches!(unknown, FrameError::Invalid(ref m) if m.contains("unknown variant")), "{unknown}");
        assert!(matches!(VisitorFrame::parse(r#"{"text":"no type"}"#), Err(FrameError::Invalid(_))));
        assert!(matches!(
            VisitorFrame::parse(r#"{"type":"send","client_id":"a","text":"x","admin":true}"#),
            Err(FrameError::Invalid(_))
        ));
    }

    #[test]
    fn rejects_fields_of_the_wrong_shape() {
        for bad in [
            r#"{"type":"send","client_id":"has space","text":"x"}"#,
            r#"{"type":"send","client_id":"a","text":5}"#,
            r#"{"type":"hello","shop":"demo","last_seq":-1}"#,
            r#"{"type":"hello","shop":""}"#,
            r#"[1,2,3]"#,
            r#"null"#,
        ] {
            assert!(matches!(VisitorFrame::parse(bad), Err(FrameError::Invalid(_))), "accepted {bad}");
        }
        assert!(matches!(
            AgentFrame::parse(r#"{"type":"open","conversation_id":"x/../y"}"#),
            Err(FrameError::Invalid(_))
        ));
    }
}
