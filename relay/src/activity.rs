//! What shoppers do on the shop's pages: batches from the widget are checked, written to the
//! visitor's append-only activity log, acknowledged, and then shown live to the agents of the
//! shopper's conversation. Chats started are written here too, so that reports can count
//! prompts, chats and orders per session from one log.

use checkout_chat_protocol::activity::MAX_BATCH;
use checkout_chat_protocol::{Activity, ActivityBody, ClientId, ConversationId, ServerFrame, ShopId, VisitorId};

use checkout_chat_rules::Rule;

use crate::clock::now_ms;
use crate::hub::Audience;
use crate::quotas::QuotaError;
use crate::state::AppState;
use crate::storage::{ActivityBatch, StorageError};

/// How much of a shopper's past an agent sees when they open the conversation.
pub const HISTORY_FOR_AGENTS: usize = 200;

/// How far back the browser's clock is believed (a batch kept in the page while the connection
/// was down); older times, and times in the future, are stored as the nearest believable one.
const CLOCK_SLACK_MS: i64 = 60 * 60 * 1000;

#[derive(Debug, thiserror::Error)]
pub enum ActivityError {
    #[error("a batch holds 1 to {MAX_BATCH} activities")]
    BatchSize,
    #[error("activity {index}: {reason}")]
    Invalid { index: usize, reason: String },
    #[error(transparent)]
    Quota(#[from] QuotaError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Who did it: the visitor of a socket, in one browser session.
pub struct Doer<'a> {
    pub shop: &'a ShopId,
    pub visitor: &'a VisitorId,
    pub session: &'a ClientId,
}

/// Checks and stores a widget's batch, tied to the visitor's open conversation if there is one
/// (looked up now: the watcher's socket follows none, and the chat may have begun on another
/// socket since), then shows it to that conversation's agents. Returns after the batch is
/// durable (a batch resent after a reconnect is stored once).
pub async fn record(
    state: &AppState,
    doer: &Doer<'_>,
    rules: &[Rule],
    batch_id: ClientId,
    mut events: Vec<Activity>,
) -> Result<(), ActivityError> {
    if events.is_empty() || events.len() > MAX_BATCH {
        return Err(ActivityError::BatchSize);
    }
    for (index, activity) in events.iter().enumerate() {
        activity.body.validate_from_widget().map_err(|reason| ActivityError::Invalid { index, reason })?;
    }
    // Prompts of rules the shop does not have (any more, or never: a forged one) are left out,
    // so nobody can write rows into the shop owner's report; the rest of the batch counts.
    events.retain(|a| a.body.rule_id().is_none_or(|id| rules.iter().any(|r| r.id == id)));
    if events.is_empty() {
        return Ok(());
    }
    let open = state.storage.open_conversation_of(doer.visitor).await?;
    store(state, doer, open.as_ref().map(|c| &c.id), batch_id, events).await
}

/// Notes that the shopper's first message started `conversation`, from a prompt of `rule_id`.
pub async fn chat_started(
    state: &AppState,
    doer: &Doer<'_>,
    conversation: &ConversationId,
    rule_id: Option<String>,
) -> Result<(), ActivityError> {
    // Keyed by the conversation, so a resend of that first message cannot count it twice.
    let batch_id = ClientId::new(format!("chat-{}", conversation.as_str()))
        .map_err(|e| StorageError::Database(format!("conversation id unfit as a batch id: {e}")))?;
    let body = ActivityBody::ChatStarted { conversation_id: conversation.clone(), rule_id };
    store(state, doer, Some(conversation), batch_id, vec![Activity { at_ms: now_ms(), body }]).await
}

async fn store(
    state: &AppState,
    doer: &Doer<'_>,
    conversation: Option<&ConversationId>,
    batch_id: ClientId,
    mut events: Vec<Activity>,
) -> Result<(), ActivityError> {
    let received_ms = now_ms();
    // Stored and shown to agents with the same times, so a console can tell a repeat.
    for activity in &mut events {
        activity.at_ms = activity.at_ms.clamp(received_ms - CLOCK_SLACK_MS, received_ms);
    }
    let batch = ActivityBatch {
        shop_id: doer.shop.clone(),
        visitor_id: doer.visitor.clone(),
        session_id: doer.session.clone(),
        conversation_id: conversation.cloned(),
        batch_id,
        events: events.clone(),
        received_ms,
    };
    let new = state.storage.append_activity(batch).await?;
    state.webhooks_ready.notify_one();
    if let (true, Some(conversation)) = (new, conversation) {
        // The inbox shows the cart and checkout step: its row changes with them.
        if events.iter().any(|a| a.body.changes_shopping_state()) {
            let summary = state.storage.conversation_summary(conversation).await?;
            state.hub.publish_summary(doer.shop, summary);
        }
        let frame = ServerFrame::VisitorActivity { conversation_id: conversation.clone(), events, history: false };
        state.hub.publish_notice(conversation, frame, Audience::Agents);
    }
    Ok(())
}

/// What an agent is sent about a conversation's shopper when they open it, or when their
/// connection fell behind the live frames: the recent past, replacing what they held.
pub async fn history_for_agents(state: &AppState, conversation: &ConversationId) -> Result<ServerFrame, StorageError> {
    let visitor = state.storage.conversation(conversation).await?.ok_or(StorageError::ConversationNotFound)?.visitor_id;
    let events = state.storage.recent_activity(&visitor, HISTORY_FOR_AGENTS).await?;
    Ok(ServerFrame::VisitorActivity { conversation_id: conversation.clone(), events, history: true })
}
