//! The checkout-chat wire protocol: JSON frames over WebSocket, shared by the shopper's widget,
//! the agents' console and the relay. Pure types and validation, no I/O, so every side agrees on
//! exactly one definition. `docs/protocol.md` describes the same thing for humans.

pub mod activity;
pub mod api;
pub mod event;
pub mod frames;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod ids;
pub mod inbox;
pub mod limits;
pub mod refusals;
pub mod report;
pub mod settings;
pub mod text;
pub mod timeline;
pub mod transcript;

pub use activity::{Activity, ActivityBody, CartItem};
pub use event::{
    AgentProfile, Author, Claimed, CloseReason, ConversationStatus, ConversationSummary, Event, EventBody,
    IdentityStatus,
};
pub use frames::{
    AgentFrame, AgentStatus, ErrorCode, FrameError, Identity, ServerFrame, TeamMember, TransferTo, VisitorFrame,
    VisitorHello,
};
pub use ids::{AgentId, ClientId, ConversationId, IdError, Seq, ShopId, VisitorId, VisitorToken};
pub use inbox::{InboxCounts, InboxKey, InboxStart, InboxTab, TabPage};
