//! What happens when something is said or done in a conversation: store the event, and only then
//! fan it out, update the queue, and wake whoever has work to do because of it. Shared by the
//! visitor and agent sessions.

use checkout_chat_protocol::text::{MessageText, TextError};
use checkout_chat_protocol::{AgentProfile, Author, ClientId, ConversationId, ConversationStatus, EventBody, ShopId};

use crate::clock::now_ms;
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

/// How long after its end a shopper's next words reopen a conversation; later they start a new
/// one (a question days later is usually about another order), which lists the old one as
/// earlier for the agent.
pub const REOPEN_WITHIN_MS: i64 = 24 * 3_600_000;

/// Whether a conversation that ended at `closed_at_ms` reopens when its shopper writes at `now_ms`.
pub fn reopens(closed_at_ms: Option<i64>, now_ms: i64) -> bool {
    closed_at_ms.is_some_and(|closed| now_ms - closed <= REOPEN_WITHIN_MS)
}

/// Opens an ended conversation again for its shopper, who wrote again: its last agent takes it
/// back when they can now (online, below capacity), else it waits for routing like a new chat.
/// Returns the conversation as it is now; `ConversationClosed` when it ended too long ago to
/// reopen, `NotClosed` when it is open (again) already.
pub async fn reopen(state: &AppState, conversation: &ConversationId) -> Result<ConversationRecord, ChatError> {
    // Read afresh: who had it last is whoever had it when it ended.
    let current = || async {
        state.storage.conversation(conversation).await?.ok_or(ChatError::Storage(StorageError::ConversationNotFound))
    };
    let conversation = &current().await?;
    if conversation.status == ConversationStatus::Closed && !reopens(conversation.closed_at_ms, now_ms()) {
        return Err(ChatError::Storage(StorageError::ConversationClosed));
    }
    let reopened = NewEvent { author: Author::Visitor, client_id: None, body: EventBody::Reopened };
    post(state, conversation, reopened).await?;
    let last_agent = match &conversation.assigned_agent_id {
        Some(agent) => routing::can_take_now(state, &conversation.shop_id, agent).await?,
        None => None,
    };
    // Only while it still waits: routing may have given it to someone in the meantime.
    if let Some(agent) = last_agent
        && let Some(joined) = state.storage.assign_if_waiting(&conversation.id, &agent).await?
    {
        state.hub.note_assigned(&conversation.shop_id, &agent.id);
        after_append(state, &conversation.shop_id, &joined).await;
    }
    current().await
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
    // too (it enters Waiting and Open), and so does a reopening.
    if assignment_changed || event.seq == 1 || matches!(event.body, EventBody::Reopened) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_conversation_reopens_for_a_day() {
        let ended = 1_000_000;
        assert!(reopens(Some(ended), ended + 60_000));
        assert!(reopens(Some(ended), ended + REOPEN_WITHIN_MS));
        assert!(!reopens(Some(ended), ended + REOPEN_WITHIN_MS + 1));
        assert!(!reopens(None, ended), "an open conversation has nothing to reopen");
    }
}
