//! What happens when someone writes into a conversation: store the event, and only then fan it
//! out. Shared by the visitor and agent sessions.

use checkout_chat_protocol::text::{MessageText, TextError};
use checkout_chat_protocol::{AgentProfile, Author, ClientId, EventBody, ShopId};

use crate::state::AppState;
use crate::storage::{Appended, ConversationRecord, NewEvent, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error(transparent)]
    InvalidText(#[from] TextError),
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
    let event = NewEvent { author, client_id: Some(client_id), body: EventBody::Message { text: text.into_string() } };
    let appended = state.storage.append_event(&conversation.id, event).await?;
    if !appended.duplicate {
        forward(state, &conversation.shop_id, &appended);
    }
    Ok(appended)
}

/// Makes `agent` the conversation's agent; the shopper sees a "joined" event.
pub async fn join(state: &AppState, conversation: &ConversationRecord, agent: &AgentProfile) -> Result<(), ChatError> {
    if let Some(appended) = state.storage.assign_agent(&conversation.id, agent).await? {
        forward(state, &conversation.shop_id, &appended);
    }
    Ok(())
}

fn forward(state: &AppState, shop: &ShopId, appended: &Appended) {
    state.hub.publish_event(appended.event.clone());
    state.hub.publish_summary(shop, appended.summary.clone());
}
