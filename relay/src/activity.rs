//! What shoppers do on the shop's pages: batches from the widget are checked, written to the
//! visitor's append-only activity log, acknowledged, and then shown live to the agents of the
//! shopper's conversation. Chats started are written here too, so that reports can count
//! prompts, chats and orders per session from one log.

use checkout_chat_protocol::activity::MAX_BATCH;
use checkout_chat_protocol::{Activity, ActivityBody, ClientId, ConversationId, ServerFrame, ShopId, VisitorId};

use crate::clock::now_ms;
use crate::hub::Audience;
use crate::state::AppState;
use crate::storage::{ActivityBatch, StorageError};

/// How much of a shopper's past an agent sees when they open the conversation.
pub const HISTORY_FOR_AGENTS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum ActivityError {
    #[error("a batch holds 1 to {MAX_BATCH} activities")]
    BatchSize,
    #[error("activity {index}: {reason}")]
    Invalid { index: usize, reason: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Who did it: the visitor of a socket, in one browser session, with this open conversation.
pub struct Doer<'a> {
    pub shop: &'a ShopId,
    pub visitor: &'a VisitorId,
    pub session: &'a ClientId,
    pub conversation: Option<&'a ConversationId>,
}

/// Checks and stores a widget's batch, then shows it to the conversation's agents. Returns
/// after the batch is durable (a batch resent after a reconnect is stored once).
pub async fn record(
    state: &AppState,
    doer: &Doer<'_>,
    batch_id: ClientId,
    events: Vec<Activity>,
) -> Result<(), ActivityError> {
    if events.is_empty() || events.len() > MAX_BATCH {
        return Err(ActivityError::BatchSize);
    }
    for (index, activity) in events.iter().enumerate() {
        activity.body.validate_from_widget().map_err(|reason| ActivityError::Invalid { index, reason })?;
    }
    store(state, doer, batch_id, events).await
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
    let doer = Doer { conversation: Some(conversation), ..*doer };
    store(state, &doer, batch_id, vec![Activity { at_ms: now_ms(), body }]).await
}

async fn store(
    state: &AppState,
    doer: &Doer<'_>,
    batch_id: ClientId,
    events: Vec<Activity>,
) -> Result<(), ActivityError> {
    let batch = ActivityBatch {
        shop_id: doer.shop.clone(),
        visitor_id: doer.visitor.clone(),
        session_id: doer.session.clone(),
        conversation_id: doer.conversation.cloned(),
        batch_id,
        events: events.clone(),
        received_ms: now_ms(),
    };
    let new = state.storage.append_activity(batch).await?;
    if let (true, Some(conversation)) = (new, doer.conversation) {
        let frame = ServerFrame::VisitorActivity { conversation_id: conversation.clone(), events, history: false };
        state.hub.publish_notice(conversation, frame, Audience::Agents);
    }
    Ok(())
}
