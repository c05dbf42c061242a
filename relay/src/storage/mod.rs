//! Storage: the one place that knows how conversations, visitors and agents are kept.
//!
//! Handlers see only the [`Storage`] trait, so a PostgreSQL implementation can be added beside
//! [`sqlite::SqliteStorage`] without touching them. Every method is atomic (all of what it
//! writes is stored, or none of it), and what it wrote is durable when it returns `Ok`.

pub mod sqlite;

use async_trait::async_trait;
use checkout_chat_protocol::api::{CannedResponse, Role};
use checkout_chat_protocol::{
    Activity, AgentId, AgentProfile, Author, Claimed, ClientId, ConversationId, ConversationStatus,
    ConversationSummary, Event, EventBody, InboxCounts, InboxKey, InboxTab, Seq, ShopId, VisitorId,
};

/// A sha256 of a secret token; tokens themselves are never stored.
pub type TokenHash = [u8; 32];

#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(String),
    #[error("{}", checkout_chat_protocol::refusals::NO_CONVERSATION)]
    ConversationNotFound,
    #[error("an agent with this email already exists")]
    DuplicateAgent,
    #[error("{}", checkout_chat_protocol::refusals::NO_AGENT)]
    AgentNotFound,
    #[error("{}", checkout_chat_protocol::refusals::ENDED)]
    ConversationClosed,
    #[error("the conversation has not ended")]
    NotClosed,
    #[error("the conversation is already rated")]
    AlreadyRated,
    #[error("the transcript of this conversation has already been emailed")]
    TranscriptAlreadySent,
}

pub type StorageResult<T> = Result<T, StorageError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorRecord {
    pub id: VisitorId,
    pub shop_id: ShopId,
    /// An agent marked the visitor as spam.
    pub blocked: bool,
}

impl VisitorRecord {
    /// A visitor not stored yet, with a fresh id.
    pub fn new(shop: &ShopId) -> Result<Self, StorageError> {
        let id = VisitorId::new(crate::ids::random_id())
            .map_err(|e| StorageError::Database(format!("a random id is not a visitor id: {e}")))?;
        Ok(Self { id, shop_id: shop.clone(), blocked: false })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRecord {
    pub id: ConversationId,
    pub shop_id: ShopId,
    pub visitor_id: VisitorId,
    pub status: ConversationStatus,
    pub assigned_agent_id: Option<AgentId>,
    pub last_seq: Seq,
    /// When it ended (none while open).
    pub closed_at_ms: Option<i64>,
}

/// An open conversation whose shopper has gone, with the shopper messages nobody answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departed {
    pub conversation: ConversationRecord,
    pub unanswered: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRecord {
    pub id: AgentId,
    pub shop_id: ShopId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub disabled: bool,
    pub role: Role,
    /// Conversations routing gives them at once.
    pub capacity: u32,
}

impl AgentRecord {
    pub fn profile(&self) -> AgentProfile {
        AgentProfile { id: self.id.clone(), name: self.name.clone() }
    }
}

#[derive(Debug, Clone)]
pub struct NewAgent {
    pub shop_id: ShopId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub capacity: u32,
}

/// An event as a handler hands it to storage, before it has a number.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub author: Author,
    pub client_id: Option<ClientId>,
    pub body: EventBody,
}

/// What the relay knows of a visitor's identity, as checked against the shop's secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityUpdate {
    /// The user id is signed; the name and email each say whether they are.
    Verified { user_id: String, name: Option<Claimed>, email: Option<Claimed> },
    /// A claim with a wrong signature: nothing of it is kept.
    Unverified,
}

/// One piece of work in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: OutboxKind,
    pub conversation_id: ConversationId,
    pub recipient: String,
    pub attempts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxKind {
    /// Email the conversation's transcript to `recipient`.
    TranscriptEmail,
}

/// A conversation waiting for an agent, in queue order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub conversation_id: ConversationId,
    pub since_ms: i64,
}

/// A batch of a visitor's activity, as the relay stores it.
#[derive(Debug, Clone)]
pub struct ActivityBatch {
    pub shop_id: ShopId,
    pub visitor_id: VisitorId,
    pub session_id: ClientId,
    /// The visitor's open conversation, if any.
    pub conversation_id: Option<ConversationId>,
    pub batch_id: ClientId,
    pub events: Vec<Activity>,
    pub received_ms: i64,
}

/// One row of the activity log as reports read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFact {
    pub session_id: String,
    pub kind: String,
    pub rule_id: Option<String>,
}

/// A row of the activity log, for webhooks.
#[derive(Debug, Clone)]
pub struct ActivityRow {
    pub id: i64,
    pub visitor_id: VisitorId,
    pub conversation_id: Option<ConversationId>,
    pub activity: Activity,
}

/// How far a webhook has delivered, and when it tries again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookCursor {
    pub feed_after: i64,
    pub activity_after: i64,
    /// Orders travel on their own lane (see `crate::webhooks`).
    pub orders_after: i64,
    pub attempts: u32,
    pub next_attempt_ms: i64,
}

/// The result of an append.
#[derive(Debug, Clone)]
pub struct Appended {
    pub event: Event,
    /// True when an event with the same client id was already stored: `event` is that earlier
    /// event, nothing new was written, and nothing must be forwarded again.
    pub duplicate: bool,
    /// The conversation after the append, for agents' inboxes.
    pub summary: ConversationSummary,
}

/// A part of a shop's settings that is stored and changed as one JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopSection {
    /// [`checkout_chat_protocol::settings::ShopSettings`].
    Settings,
    /// The proactive rules, each on or off ([`checkout_chat_rules::editing::RuleEntry`]).
    Rules,
}

impl ShopSection {
    pub fn as_str(self) -> &'static str {
        match self {
            ShopSection::Settings => "settings",
            ShopSection::Rules => "rules",
        }
    }
}

/// One change of a shop's section: who (none for the configuration's seed), when, from what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopChange {
    pub section: String,
    pub at_ms: i64,
    pub agent: Option<AgentProfile>,
    pub before: Option<String>,
    pub after: String,
}

#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// The shop's `section` (JSON as it was saved), if it has one.
    async fn shop_section(&self, shop: &ShopId, section: ShopSection) -> StorageResult<Option<String>>;
    /// Every shop's `section` (JSON as it was saved), by shop.
    async fn shop_sections(&self, section: ShopSection) -> StorageResult<Vec<(ShopId, String)>>;
    /// Stores `value` as the shop's `section` unless it has one already; true when it did.
    async fn seed_shop_section(&self, shop: &ShopId, section: ShopSection, value: String) -> StorageResult<bool>;
    /// Replaces the shop's `section` with `value` and records the change, in one transaction.
    async fn save_shop_section(
        &self,
        shop: &ShopId,
        section: ShopSection,
        value: String,
        by: &AgentProfile,
        at_ms: i64,
    ) -> StorageResult<()>;
    /// The shop's latest changes, newest first.
    async fn shop_changes(&self, shop: &ShopId, limit: usize) -> StorageResult<Vec<ShopChange>>;
    /// Notes that the shop's widget was seen on a page of `origin`, unless the shop already has
    /// `max` other origins noted (a client can claim any Origin); true when noted.
    async fn note_origin_seen(&self, shop: &ShopId, origin: &str, at_ms: i64, max: usize) -> StorageResult<bool>;
    /// The origins where the shop's widget was seen, most recent first.
    async fn origins_seen(&self, shop: &ShopId) -> StorageResult<Vec<(String, i64)>>;

    /// Stores a visitor made with [`VisitorRecord::new`]; storing it again changes nothing.
    async fn store_visitor(&self, visitor: &VisitorRecord, token_hash: TokenHash) -> StorageResult<()>;
    /// A new visitor, stored.
    async fn create_visitor(&self, shop: &ShopId, token_hash: TokenHash) -> StorageResult<VisitorRecord> {
        let visitor = VisitorRecord::new(shop)?;
        self.store_visitor(&visitor, token_hash).await?;
        Ok(visitor)
    }
    /// Marks the visitor as spam: their token opens nothing any more.
    async fn block_visitor(&self, visitor: &VisitorId) -> StorageResult<()>;
    async fn visitor_by_token(&self, shop: &ShopId, token_hash: TokenHash) -> StorageResult<Option<VisitorRecord>>;

    /// The visitor's open conversation, created if there is none. Atomic: two tabs starting a
    /// conversation at once get the same one.
    async fn open_or_create_conversation(
        &self,
        shop: &ShopId,
        visitor: &VisitorId,
    ) -> StorageResult<ConversationRecord>;
    async fn conversation(&self, id: &ConversationId) -> StorageResult<Option<ConversationRecord>>;
    /// The visitor's most recent conversation that is not closed.
    async fn open_conversation_of(&self, visitor: &VisitorId) -> StorageResult<Option<ConversationRecord>>;
    /// How agents see the conversation in their inbox.
    async fn conversation_summary(&self, id: &ConversationId) -> StorageResult<ConversationSummary>;
    /// The conversations an inbox tab holds after `after` (from its start with none), in
    /// [`InboxKey`] order, at most `limit`. The tab selects as [`InboxTab::shows`] does, among
    /// conversations with at least one event; `agent`'s are the Mine tab. Reads an index range,
    /// never the rest of the tab.
    async fn inbox_page(
        &self,
        shop: &ShopId,
        agent: &AgentId,
        tab: InboxTab,
        after: Option<&InboxKey>,
        limit: usize,
    ) -> StorageResult<Vec<ConversationSummary>>;
    /// How many conversations each inbox tab holds (Mine: `agent`'s; none without an agent).
    async fn inbox_counts(&self, shop: &ShopId, agent: Option<&AgentId>) -> StorageResult<InboxCounts>;

    /// Appends an event with the conversation's next sequence number, unless an event with the
    /// same client id exists (then returns that one, marked duplicate). Durable when it returns.
    ///
    /// What the event changes is updated in the same transaction: `closed` ends the conversation
    /// (only a `rated` event, once, may follow); an email given with `left_message` or
    /// `transcript_requested` becomes the conversation's contact address; a transcript email is
    /// queued in the outbox when a conversation with a requested transcript ends (or at once if
    /// it has ended), once per conversation: a later request is refused with
    /// [`StorageError::TranscriptAlreadySent`].
    async fn append_event(&self, conversation: &ConversationId, event: NewEvent) -> StorageResult<Appended>;
    /// Makes `agent` the conversation's agent, appending a `joined` event if they were not already.
    async fn assign_agent(
        &self,
        conversation: &ConversationId,
        agent: &AgentProfile,
    ) -> StorageResult<Option<Appended>>;
    /// The event a client stored under `client_id`, if any (to recognise a resend early).
    async fn event_by_client_id(
        &self,
        conversation: &ConversationId,
        client_id: &ClientId,
    ) -> StorageResult<Option<Event>>;
    /// Events with `seq > after`, in order, at most `limit`.
    async fn events_after(&self, conversation: &ConversationId, after: Seq, limit: usize) -> StorageResult<Vec<Event>>;

    /// Records what the shop says about the visitor and returns the user id they are verified
    /// as afterwards. A visitor once verified stays bound to that user: a verified claim for
    /// another user, or an unverified claim, changes nothing (the caller compares the result).
    async fn set_visitor_identity(
        &self,
        visitor: &VisitorId,
        identity: IdentityUpdate,
    ) -> StorageResult<Option<String>>;

    /// Waiting conversations of a shop (not closed, no agent, the shopper has written or an agent
    /// had it before, not a left message), oldest first: the queue.
    async fn waiting_conversations(&self, shop: &ShopId) -> StorageResult<Vec<Waiting>>;
    /// How long (ms) the shop's most recent shoppers waited for an agent, newest first: those who
    /// started since `since_ms` and waited at most `longest_ms` (longer waits are conversations
    /// picked up hours later, not a queue).
    async fn recent_waits(
        &self,
        shop: &ShopId,
        since_ms: i64,
        longest_ms: i64,
        limit: usize,
    ) -> StorageResult<Vec<i64>>;

    /// Appends a batch of activity to the visitor's log, unless a batch with the same id was
    /// stored before (then nothing is written and it returns false). Durable when it returns.
    async fn append_activity(&self, batch: ActivityBatch) -> StorageResult<bool>;
    /// The visitor's most recent activity, oldest first, at most `limit`.
    async fn recent_activity(&self, visitor: &VisitorId, limit: usize) -> StorageResult<Vec<Activity>>;
    /// The activity rows reports need (prompts, chats started, orders) of the shop's sessions
    /// that began in `[from_ms, to_ms)`, in the order they happened, after one `session` row per
    /// such session.
    async fn report_facts(&self, shop: &ShopId, from_ms: i64, to_ms: i64) -> StorageResult<Vec<ActivityFact>>;

    /// The shop's conversation events after feed position `after`, in the order they were stored.
    async fn feed_after(&self, shop: &ShopId, after: i64, limit: usize) -> StorageResult<Vec<(i64, Event)>>;
    /// The shop's activity rows after `after`, in order.
    async fn activity_after(&self, shop: &ShopId, after: i64, limit: usize) -> StorageResult<Vec<ActivityRow>>;
    /// The shop's `order_completed` rows after `after`, in order.
    async fn orders_after(&self, shop: &ShopId, after: i64, limit: usize) -> StorageResult<Vec<ActivityRow>>;
    /// A webhook's cursor; a webhook seen for the first time starts at the current end.
    async fn webhook_cursor(&self, shop: &ShopId, url: &str) -> StorageResult<WebhookCursor>;
    async fn save_webhook_cursor(
        &self,
        shop: &ShopId,
        url: &str,
        cursor: WebhookCursor,
        error: Option<String>,
    ) -> StorageResult<()>;

    /// Outbox items due at `now_ms`, oldest first.
    async fn due_outbox(&self, now_ms: i64, limit: usize) -> StorageResult<Vec<OutboxItem>>;
    async fn outbox_delivered(&self, id: i64, now_ms: i64) -> StorageResult<()>;
    /// Records a failed attempt: tried again at `retry_at_ms`, or (with `None`) never again.
    async fn outbox_failed(&self, id: i64, retry_at_ms: Option<i64>, error: &str) -> StorageResult<()>;

    /// Makes `agent` the agent of a conversation that is waiting and unassigned (appending their
    /// `joined`); `None` when it is not waiting any more (another agent took it, or it ended).
    async fn assign_if_waiting(
        &self,
        conversation: &ConversationId,
        agent: &AgentProfile,
    ) -> StorageResult<Option<Appended>>;
    /// Hands an open conversation from `from` to `to` in one transaction: a `handover` (with the
    /// note) by `from`, then `to`'s `joined`. Refused if the conversation has ended.
    async fn transfer(
        &self,
        conversation: &ConversationId,
        from: &AgentProfile,
        to: &AgentProfile,
        note: Option<String>,
    ) -> StorageResult<Vec<Appended>>;
    /// Puts a conversation still assigned to `agent` back in the queue (a `handover` to nobody
    /// by them); `None` if it is not theirs any more or has ended.
    async fn requeue(&self, conversation: &ConversationId, agent: &AgentProfile) -> StorageResult<Option<Appended>>;
    /// The open conversations each agent of the shop has, by agent.
    async fn agent_loads(&self, shop: &ShopId) -> StorageResult<Vec<(AgentId, u32)>>;
    /// Every open assigned conversation of every shop, with its shop and agent.
    async fn assignments(&self) -> StorageResult<Vec<(ShopId, AgentProfile, ConversationId)>>;
    /// The shop's conversations that ended most recently, newest first.
    async fn closed_conversations(&self, shop: &ShopId, limit: usize) -> StorageResult<Vec<ConversationSummary>>;
    /// The visitor's other conversations in the shop, newest first.
    async fn earlier_conversations(
        &self,
        conversation: &ConversationId,
        limit: usize,
    ) -> StorageResult<Vec<ConversationSummary>>;
    /// What the widget said of the shopper's language and device.
    async fn set_visitor_client(
        &self,
        visitor: &VisitorId,
        locale: Option<String>,
        device: Option<String>,
    ) -> StorageResult<()>;
    /// Records that the shopper of `conversation` is connected (`None`) or that their last
    /// connection went at `left_at_ms` (the first leaving time is kept until they return), and
    /// gives the conversation's summary as it now reads; `None` when that changed nothing.
    async fn set_shopper_presence(
        &self,
        conversation: &ConversationId,
        left_at_ms: Option<i64>,
    ) -> StorageResult<Option<ConversationSummary>>;
    /// At start-up: nobody is connected to a relay that was not running, so every shopper of an
    /// open conversation who seemed connected left at `at_ms` at the latest.
    async fn shoppers_all_left(&self, at_ms: i64) -> StorageResult<()>;
    /// Open conversations whose shopper left before `cutoff_ms`, longest gone first.
    async fn open_conversations_left_before(&self, cutoff_ms: i64, limit: usize) -> StorageResult<Vec<Departed>>;

    async fn canned_responses(&self, shop: &ShopId) -> StorageResult<Vec<CannedResponse>>;
    /// Adds or replaces the canned response with this shortcut and language.
    async fn put_canned_response(&self, shop: &ShopId, canned: CannedResponse) -> StorageResult<()>;
    /// Removes the version for `lang` (none: the one for every language); false when there was none.
    async fn delete_canned_response(&self, shop: &ShopId, shortcut: &str, lang: Option<&str>) -> StorageResult<bool>;

    async fn create_agent(&self, agent: NewAgent) -> StorageResult<AgentRecord>;
    async fn agent_by_id(&self, id: &AgentId) -> StorageResult<Option<AgentRecord>>;
    async fn set_agent_role(&self, id: &AgentId, role: Role) -> StorageResult<()>;
    async fn set_agent_capacity(&self, id: &AgentId, capacity: u32) -> StorageResult<()>;
    /// The accounts with this email (any letter case), one per shop at most, by shop.
    async fn agents_by_email(&self, email: &str) -> StorageResult<Vec<AgentRecord>>;
    async fn agent_count(&self, shop: &ShopId) -> StorageResult<u64>;
    /// Sets a new password, ending every session of the agent.
    async fn set_agent_password(&self, agent: &AgentId, password_hash: String) -> StorageResult<()>;
    /// A shop's agents (or every shop's), by email.
    async fn agents(&self, shop: Option<&ShopId>) -> StorageResult<Vec<AgentRecord>>;
    /// Disables (ending every session of) or enables an agent.
    async fn set_agent_disabled(&self, agent: &AgentId, disabled: bool) -> StorageResult<()>;

    async fn create_session(&self, token_hash: TokenHash, agent: &AgentId, expires_at_ms: i64) -> StorageResult<()>;
    /// The agent of a session that has not expired and whose agent is not disabled.
    async fn session_agent(&self, token_hash: TokenHash, now_ms: i64) -> StorageResult<Option<AgentRecord>>;
    async fn delete_session(&self, token_hash: TokenHash) -> StorageResult<()>;
}
