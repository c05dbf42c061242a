//! Whether the shopper is still there: each conversation's summary says when the shopper's last
//! connection went (none while one is open), so agents see "online now" or "left 12 min ago"
//! and the inbox updates as shoppers come and go. Conversations whose shopper has been gone
//! longer than `auto_close_after_minutes` close by themselves, with the reason: missed when the
//! shopper's last messages were never answered, else because the shopper left.

use std::time::Duration;

use checkout_chat_protocol::{Author, CloseReason, ConversationId, EventBody, ShopId};

use crate::chat::{self, ChatError};
use crate::clock::{now_ms, sweep_ticks};
use crate::state::AppState;
use crate::storage::{Departed, NewEvent, StorageError};

/// Conversations closed per sweep at most, so one sweep never holds the writer for long.
const CLOSE_BATCH: usize = 100;

/// Why a conversation whose shopper left is closed: missed while any of their messages is
/// unanswered.
pub fn close_reason(unanswered: u32) -> CloseReason {
    if unanswered > 0 { CloseReason::Missed } else { CloseReason::ShopperLeft }
}

/// Records, soon and off the caller's path, whether the shopper of `conversation` is connected
/// now, and shows the shop's consoles. Reads the hub when it runs, so a leave and a quick
/// return recorded out of order still end with what is true.
pub fn record_soon(state: &AppState, shop: &ShopId, conversation: &ConversationId) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    let (state, shop, conversation) = (state.clone(), shop.clone(), conversation.clone());
    runtime.spawn(async move {
        let left_at = (!state.hub.is_visitor_here(&conversation)).then(now_ms);
        match state.storage.set_shopper_presence(&conversation, left_at).await {
            Ok(Some(summary)) => state.hub.publish_summary(&shop, summary),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, %conversation, "could not record whether the shopper is there"),
        }
    });
}

/// Closes the conversations of shoppers gone longer than the configured time, every so often,
/// until the relay stops. Does nothing when auto-closing is off.
pub async fn run_auto_closer(state: AppState) {
    let minutes = state.config.auto_close_after_minutes;
    if minutes <= 0.0 {
        return;
    }
    let limit = Duration::from_secs_f64(minutes * 60.0);
    let mut ticks = sweep_ticks(limit, Duration::from_secs(60));
    loop {
        ticks.tick().await;
        let cutoff = now_ms() - i64::try_from(limit.as_millis()).unwrap_or(i64::MAX);
        if let Err(error) = close_departed(&state, cutoff).await {
            tracing::warn!(%error, "could not close the conversations of shoppers who left");
        }
    }
}

async fn close_departed(state: &AppState, cutoff_ms: i64) -> Result<(), ChatError> {
    let departed = state.storage.open_conversations_left_before(cutoff_ms, CLOSE_BATCH).await?;
    for Departed { conversation, unanswered } in departed {
        // Storage may lag a shopper who just came back.
        if state.hub.is_visitor_here(&conversation.id) {
            continue;
        }
        let reason = close_reason(unanswered);
        let closed =
            NewEvent { author: Author::System, client_id: None, body: EventBody::Closed { reason: Some(reason) } };
        match chat::post(state, &conversation, closed).await {
            Ok(_) => tracing::info!(conversation = %conversation.id, ?reason, "closed: the shopper left"),
            // An agent ended it in the meantime.
            Err(ChatError::Storage(StorageError::ConversationClosed)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_left_with_unanswered_messages_is_missed() {
        assert_eq!(close_reason(2), CloseReason::Missed);
        assert_eq!(close_reason(1), CloseReason::Missed);
        assert_eq!(close_reason(0), CloseReason::ShopperLeft);
    }
}
