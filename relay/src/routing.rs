//! Who answers and who waits: the queue of shoppers waiting for an agent, each told their place
//! and an honest estimate, kept current as conversations start, are joined and end, and as
//! agents come and go. (Assignment and capacity come with the agents' routing work.)

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use checkout_chat_protocol::{ConversationId, ServerFrame, ShopId};

use crate::clock::now_ms;
use crate::hub::{Audience, VisitorGuard};
use crate::state::AppState;
use crate::storage::StorageError;

/// Waits from the last week count for estimates; fewer than `MIN_SAMPLES` of them give none.
/// A wait longer than `LONGEST_WAIT_MS` was a conversation picked up hours later, not a queue.
const HISTORY_MS: i64 = 7 * 24 * 3_600_000;
const LONGEST_WAIT_MS: i64 = 2 * 3_600_000;
const SAMPLES: usize = 20;
const MIN_SAMPLES: usize = 3;

/// Tells every waiting shopper of `shop` their place in the queue and the estimated wait.
pub async fn announce_queue(state: &AppState, shop: &ShopId) -> Result<(), StorageError> {
    for frame in queue_frames(state, shop).await? {
        if let ServerFrame::Queue { conversation_id, .. } = &frame {
            let conversation_id = conversation_id.clone();
            state.hub.publish_notice(&conversation_id, frame, Audience::Visitors);
        }
    }
    Ok(())
}

/// The queue notice for one conversation, if it is waiting (for a shopper who just came back:
/// the others' places have not changed).
pub async fn queue_notice_for(
    state: &AppState,
    shop: &ShopId,
    conversation: &ConversationId,
) -> Result<Option<ServerFrame>, StorageError> {
    let frames = queue_frames(state, shop).await?;
    Ok(frames
        .into_iter()
        .find(|f| matches!(f, ServerFrame::Queue { conversation_id, .. } if conversation_id == conversation)))
}

/// A queue notice for each waiting conversation whose shopper is here (one who left the page is
/// not ahead of anyone; back again, they have their place again, which is by arrival).
async fn queue_frames(state: &AppState, shop: &ShopId) -> Result<Vec<ServerFrame>, StorageError> {
    let mut waiting = state.storage.waiting_conversations(shop).await?;
    waiting.retain(|entry| state.hub.is_visitor_here(&entry.conversation_id));
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    let recent = state.storage.recent_waits(shop, now_ms() - HISTORY_MS, LONGEST_WAIT_MS, SAMPLES).await?;
    let agents_online = state.hub.agents_online(shop);
    let frames = waiting.into_iter().enumerate().map(|(index, entry)| {
        let position = u32::try_from(index + 1).unwrap_or(u32::MAX);
        ServerFrame::Queue {
            conversation_id: entry.conversation_id,
            position,
            estimated_wait_seconds: estimate_wait_seconds(&recent, position, agents_online),
        }
    });
    Ok(frames.collect())
}

/// How long changes that come in bursts (shoppers arriving and leaving, a reconnect storm after a
/// restart) are gathered into one announcement per shop.
const ANNOUNCE_DELAY: Duration = Duration::from_millis(250);

/// Shops with an announcement on its way.
#[derive(Default)]
pub struct PendingAnnouncements {
    shops: Mutex<HashSet<ShopId>>,
}

/// Announces the queue of `shop` shortly, once for all changes until then.
pub fn announce_soon(state: &AppState, shop: &ShopId) {
    let newly_pending = {
        let mut shops = state.queue_announcements.shops.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        shops.insert(shop.clone())
    };
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    if newly_pending {
        let (state, shop) = (state.clone(), shop.clone());
        runtime.spawn(async move {
            tokio::time::sleep(ANNOUNCE_DELAY).await;
            // Taken off first: a change during the announcement schedules the next one.
            state.queue_announcements.shops.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&shop);
            announce_queue_quietly(&state, &shop).await;
        });
    }
}

/// A shopper's connection present in their conversation: while it lasts they keep their place
/// in the queue, and when it goes the others are told their new places.
pub struct QueuePlace {
    here: Option<VisitorGuard>,
    state: AppState,
    shop: ShopId,
}

impl QueuePlace {
    pub fn take(state: &AppState, shop: &ShopId, conversation: &ConversationId) -> Self {
        QueuePlace { here: Some(state.hub.visitor_here(conversation)), state: state.clone(), shop: shop.clone() }
    }
}

impl Drop for QueuePlace {
    fn drop(&mut self) {
        drop(self.here.take());
        announce_soon(&self.state, &self.shop);
    }
}

/// Announces the queue and logs (rather than fails) when storage cannot say: the queue is a
/// courtesy, never a reason to refuse what caused the change.
pub async fn announce_queue_quietly(state: &AppState, shop: &ShopId) {
    if let Err(error) = announce_queue(state, shop).await {
        tracing::warn!(%error, %shop, "could not update the queue");
    }
}

/// The wait for the shopper at `position` (1 = next): the median of recent waits for each round
/// of shoppers ahead, as `agents_online` agents take one shopper each. `None` without agents or
/// without enough history: an estimate that cannot be honest is not given.
pub fn estimate_wait_seconds(recent_waits_ms: &[i64], position: u32, agents_online: u32) -> Option<u32> {
    if agents_online == 0 || recent_waits_ms.len() < MIN_SAMPLES || position == 0 {
        return None;
    }
    let mut waits: Vec<i64> = recent_waits_ms.iter().map(|w| (*w).max(0)).collect();
    waits.sort_unstable();
    let median_ms = waits[waits.len() / 2];
    let rounds = i64::from(position.div_ceil(agents_online));
    u32::try_from(median_ms.saturating_mul(rounds) / 1000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_estimate_without_agents_or_history() {
        assert_eq!(estimate_wait_seconds(&[60_000, 60_000, 60_000], 1, 0), None);
        assert_eq!(estimate_wait_seconds(&[60_000, 60_000], 1, 1), None);
        assert_eq!(estimate_wait_seconds(&[], 1, 3), None);
    }

    #[test]
    fn the_median_ignores_one_very_long_wait() {
        assert_eq!(estimate_wait_seconds(&[30_000, 40_000, 3_600_000], 1, 1), Some(40));
    }

    #[test]
    fn shoppers_further_back_wait_a_round_per_group_of_agents() {
        let waits = [60_000, 60_000, 60_000, 60_000];
        assert_eq!(estimate_wait_seconds(&waits, 1, 2), Some(60));
        assert_eq!(estimate_wait_seconds(&waits, 2, 2), Some(60));
        assert_eq!(estimate_wait_seconds(&waits, 3, 2), Some(120));
        assert_eq!(estimate_wait_seconds(&waits, 5, 1), Some(300));
    }
}
