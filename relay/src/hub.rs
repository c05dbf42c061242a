//! The hub: in-memory fan-out of what storage has already made durable.
//!
//! Nothing here is a source of truth. A connection that misses a broadcast (it lagged, or the
//! relay restarted) catches up from storage by sequence number, so the channels can be small.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use checkout_chat_protocol::{ConversationId, ConversationSummary, Event, ServerFrame, ShopId};
use tokio::sync::{broadcast, watch};

use crate::storage::TokenHash;

/// Events buffered per conversation for followers that are momentarily slower than the writer.
/// A follower further behind resynchronises from storage.
const CONVERSATION_BUFFER: usize = 32;
/// Inbox updates buffered per shop.
const SHOP_BUFFER: usize = 64;
/// Ended sessions buffered; a socket that misses some re-checks its session on the next heartbeat.
const REVOCATION_BUFFER: usize = 64;

/// What goes to the followers of a conversation.
#[derive(Debug)]
pub enum Live {
    /// A stored event (numbered, replayable).
    Event(Event),
    /// A passing notice (typing, queue position): never stored, sent only to who is connected.
    Notice { frame: ServerFrame, visitors_only: bool },
}

pub struct Hub {
    conversations: Topics<ConversationId, Arc<Live>>,
    shops: Topics<ShopId, Arc<ConversationSummary>>,
    /// Agent sessions ended in this process (logout), so their sockets close at once.
    revoked_sessions: broadcast::Sender<TokenHash>,
    /// Agents connected, per shop.
    presence: Mutex<HashMap<ShopId, watch::Sender<u32>>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            conversations: Topics::default(),
            shops: Topics::default(),
            revoked_sessions: broadcast::channel(REVOCATION_BUFFER).0,
            presence: Mutex::new(HashMap::new()),
        }
    }
}

impl Hub {
    pub fn revoke_session(&self, session: TokenHash) {
        // Nobody listening means no socket uses the session.
        let _ = self.revoked_sessions.send(session);
    }

    pub fn session_revocations(&self) -> broadcast::Receiver<TokenHash> {
        self.revoked_sessions.subscribe()
    }

    /// Counts an agent of `shop` as online until the guard is dropped.
    pub fn agent_online(self: &Arc<Self>, shop: &ShopId) -> PresenceGuard {
        self.presence_sender(shop).send_modify(|online| *online += 1);
        PresenceGuard { hub: Arc::clone(self), shop: shop.clone() }
    }

    /// The number of `shop`'s agents online, kept current.
    pub fn presence(&self, shop: &ShopId) -> watch::Receiver<u32> {
        self.presence_sender(shop).subscribe()
    }

    pub fn agents_online(&self, shop: &ShopId) -> u32 {
        *self.presence_sender(shop).borrow()
    }

    fn presence_sender(&self, shop: &ShopId) -> watch::Sender<u32> {
        let mut presence = self.presence.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        presence.entry(shop.clone()).or_insert_with(|| watch::channel(0).0).clone()
    }

    pub fn follow_conversation(&self, id: &ConversationId) -> broadcast::Receiver<Arc<Live>> {
        self.conversations.subscribe(id, CONVERSATION_BUFFER)
    }

    /// Call after dropping a receiver from [`Hub::follow_conversation`], so that a channel with no
    /// followers left is freed.
    pub fn release_conversation(&self, id: &ConversationId) {
        self.conversations.release(id);
    }

    pub fn publish_event(&self, event: Event) {
        let id = event.conversation_id.clone();
        self.conversations.publish(&id, Arc::new(Live::Event(event)));
    }

    /// A notice for whoever follows the conversation now; nobody else ever sees it.
    pub fn publish_notice(&self, conversation: &ConversationId, frame: ServerFrame, visitors_only: bool) {
        self.conversations.publish(conversation, Arc::new(Live::Notice { frame, visitors_only }));
    }

    pub fn follow_shop(&self, shop: &ShopId) -> broadcast::Receiver<Arc<ConversationSummary>> {
        self.shops.subscribe(shop, SHOP_BUFFER)
    }

    pub fn release_shop(&self, shop: &ShopId) {
        self.shops.release(shop);
    }

    pub fn publish_summary(&self, shop: &ShopId, summary: ConversationSummary) {
        self.shops.publish(shop, Arc::new(summary));
    }

    /// Number of conversations with at least one live channel (for tests and metrics).
    pub fn followed_conversations(&self) -> usize {
        self.conversations.len()
    }
}

/// An agent's place in their shop's presence count.
pub struct PresenceGuard {
    hub: Arc<Hub>,
    shop: ShopId,
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        self.hub.presence_sender(&self.shop).send_modify(|online| *online = online.saturating_sub(1));
    }
}

/// Broadcast channels by key, created on first subscription and freed when the last one goes.
struct Topics<K, V> {
    channels: Mutex<HashMap<K, broadcast::Sender<V>>>,
}

impl<K, V> Default for Topics<K, V> {
    fn default() -> Self {
        Self { channels: Mutex::new(HashMap::new()) }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Topics<K, V> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, broadcast::Sender<V>>> {
        // A panic while holding this lock cannot leave the map half-updated (every operation is a
        // single insert, remove or lookup), so a poisoned lock is safe to keep using.
        self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn subscribe(&self, key: &K, capacity: usize) -> broadcast::Receiver<V> {
        self.lock().entry(key.clone()).or_insert_with(|| broadcast::channel(capacity).0).subscribe()
    }

    fn release(&self, key: &K) {
        let mut channels = self.lock();
        if channels.get(key).is_some_and(|sender| sender.receiver_count() == 0) {
            channels.remove(key);
        }
    }

    fn publish(&self, key: &K, value: V) {
        let mut channels = self.lock();
        if let Some(sender) = channels.get(key)
            && sender.send(value).is_err()
        {
            channels.remove(key);
        }
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkout_chat_protocol::{Author, EventBody};

    fn event(conversation: &str, seq: u64) -> Event {
        Event {
            conversation_id: ConversationId::new(conversation).unwrap(),
            seq,
            at_ms: 0,
            author: Author::Visitor,
            client_id: None,
            body: EventBody::Message { text: format!("m{seq}") },
        }
    }

    #[tokio::test]
    async fn followers_receive_only_their_conversation() {
        let hub = Hub::default();
        let a = ConversationId::new("a").unwrap();
        let mut follower = hub.follow_conversation(&a);
        hub.publish_event(event("b", 1));
        hub.publish_event(event("a", 1));
        let Live::Event(received) = &*follower.recv().await.unwrap() else { panic!("expected an event") };
        assert_eq!(received.conversation_id, a);
        assert!(follower.try_recv().is_err());
    }

    #[test]
    fn presence_counts_connected_agents() {
        let hub = Arc::new(Hub::default());
        let shop = ShopId::new("demo").unwrap();
        let watcher = hub.presence(&shop);
        let first = hub.agent_online(&shop);
        let second = hub.agent_online(&shop);
        assert_eq!(*watcher.borrow(), 2);
        drop(first);
        assert_eq!(hub.agents_online(&shop), 1);
        drop(second);
        assert_eq!(*watcher.borrow(), 0);
    }

    #[test]
    fn channels_are_freed_when_the_last_follower_leaves() {
        let hub = Hub::default();
        let a = ConversationId::new("a").unwrap();
        let first = hub.follow_conversation(&a);
        let second = hub.follow_conversation(&a);
        drop(first);
        hub.release_conversation(&a);
        assert_eq!(hub.followed_conversations(), 1);
        drop(second);
        hub.release_conversation(&a);
        assert_eq!(hub.followed_conversations(), 0);
        // Publishing with nobody listening creates nothing.
        hub.publish_event(event("a", 2));
        assert_eq!(hub.followed_conversations(), 0);
    }
}
