//! What happens when something is said or done in a conversation: store the event, and only then
//! fan it out, update the queue, and wake whoever has work to do because of it. Shared by the
//! visitor and agent sessions.

use checkout_chat_protocol::text::{MessageText, TextError};
use checkout_chat_protocol::{AgentProfile, Author, ClientId, ConversationStatus, EventBody, ShopId};

use crate::routing;
use crate::state::AppState;
use crate::storage::{Appended, ConversationRecord, NewEvent, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error(transparent)]
    InvalidText(#[from] TextError),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Stores a message and forwards it. A resend (same client id) returns the stored event and
/// forwards nothing.
pub async fn post_message(
    state: &AppState,
    conversation: &ConversationRecord,
    author: Author,
    client_id: ClientId,
    text: MessageText,
) -> Result<Appended, ChatError> {
    let body = EventBody::Message { text: text.into_string() };
    post(state, conversation, NewEvent { author, client_id: Some(client_id), body }).await
}

/// Stores any event and does what follows from it.
pub async fn post(state: &AppState, conversation: &ConversationRecord, event: NewEvent) -> Result<Appended, ChatError> {
    let appended = state.storage.append_event(&conversation.id, event).await?;
    if !appended.duplicate {
        after_append(state, &conversation.shop_id, &appended).await;
    }
    Ok(appended)
}

/// Makes `agent` the conversation's agent; the shopper sees a "joined" event.
pub async fn join(state: &AppState, conversation: &ConversationRecord, agent: &AgentProfile) -> Result<(), ChatError> {
    if let Some(appended) = state.storage.assign_agent(&conversation.id, agent).await? {
        after_append(state, &conversation.shop_id, &appended).await;
    }
    Ok(())
}

pub async fn after_append(state: &AppState, shop: &ShopId, appended: &Appended) {
    publish(state, shop, appended);
    let event = &appended.event;
    let assignment_changed =
        matches!(event.body, EventBody::Joined | EventBody::Closed { .. } | EventBody::Handover { .. });
    // The team list also carries the inbox's counts, which a conversation's first event moves
    // too (it enters Waiting and Open).
    if assignment_changed || event.seq == 1 {
        state.hub.team_changed(shop);
    }
    // Routing has work when a shopper writes while waiting (a new conversation, or one who had
    // left a message writing live), or a conversation is taken, moves, or ends (a slot frees
    // up). Not on the prompt a conversation may begin with: the agent joins after the
    // shopper's first words, not between the prompt and them.
    let writes_while_waiting = event.author == Author::Visitor
        && matches!(event.body, EventBody::Message { .. })
        && appended.summary.status == ConversationStatus::Waiting;
    if assignment_changed || writes_while_waiting {
        routing::rebalance(state, shop).await;
    }
    if matches!(event.body, EventBody::Closed { .. } | EventBody::TranscriptRequested { .. }) {
        state.outbox_ready.notify_one();
    }
}

/// Sends a stored event to whoever follows its conversation, the inboxes and the webhooks.
pub fn publish(state: &AppState, shop: &ShopId, appended: &Appended) {
    state.hub.publish_event(appended.event.clone());
    state.webhooks_ready.notify_one();
    state.hub.publish_summary(shop, appended.summary.clone());
}
