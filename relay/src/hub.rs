//! The hub: in-memory fan-out of what storage has already made durable.
//!
//! Nothing here is a source of truth. A connection that misses a broadcast (it lagged, or the
//! relay restarted) catches up from storage by sequence number, so the channels can be small.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use checkout_chat_protocol::{AgentId, ConversationId, ConversationSummary, Event, ServerFrame, ShopId};
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
    Notice { frame: ServerFrame, audience: Audience },
}

/// Who of a conversation's followers a notice is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    /// Queue places: the shopper's business only.
    Visitors,
    /// What the shopper does on the shop's pages: for the agents, not echoed to the shopper.
    Agents,
}

pub struct Hub {
    conversations: Topics<ConversationId, Arc<Live>>,
    shops: Topics<ShopId, Arc<ConversationSummary>>,
    /// Agent sessions ended in this process (logout), so their sockets close at once.
    revoked_sessions: broadcast::Sender<TokenHash>,
    /// Agents connected, per shop.
    presence: Mutex<HashMap<ShopId, ShopPresence>>,
    /// Shoppers' connections per conversation, so the queue counts only who is still there.
    visitors_here: Mutex<HashMap<ConversationId, usize>>,
}

/// Who of a shop's agents is connected: each counted once, however many consoles they have open.
struct ShopPresence {
    online: watch::Sender<u32>,
    connections: HashMap<AgentId, usize>,
}

impl ShopPresence {
    fn new() -> Self {
        ShopPresence { online: watch::channel(0).0, connections: HashMap::new() }
    }

    fn publish(&self) {
        let agents = u32::try_from(self.connections.len()).unwrap_or(u32::MAX);
        self.online.send_if_modified(|online| std::mem::replace(online, agents) != agents);
    }
}

/// Locks a map that no operation can leave half-updated (each is a single insert, remove or
/// lookup under the lock), so a poisoned lock is safe to keep using.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            conversations: Topics::default(),
            shops: Topics::default(),
            revoked_sessions: broadcast::channel(REVOCATION_BUFFER).0,
            presence: Mutex::new(HashMap::new()),
            visitors_here: Mutex::new(HashMap::new()),
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

    /// Counts `agent` of `shop` as online until the guard is dropped (and all their other
    /// connections are gone).
    pub fn agent_online(self: &Arc<Self>, shop: &ShopId, agent: &AgentId) -> PresenceGuard {
        let mut presence = lock(&self.presence);
        let shop_presence = presence.entry(shop.clone()).or_insert_with(ShopPresence::new);
        *shop_presence.connections.entry(agent.clone()).or_insert(0) += 1;
        shop_presence.publish();
        PresenceGuard { hub: Arc::clone(self), shop: shop.clone(), agent: agent.clone() }
    }

    fn agent_offline(&self, shop: &ShopId, agent: &AgentId) {
        let mut presence = lock(&self.presence);
        let Some(shop_presence) = presence.get_mut(shop) else { return };
        if let Some(count) = shop_presence.connections.get_mut(agent) {
            *count -= 1;
            if *count == 0 {
                shop_presence.connections.remove(agent);
            }
        }
        shop_presence.publish();
    }

    /// The number of `shop`'s agents online, kept current.
    pub fn presence(&self, shop: &ShopId) -> watch::Receiver<u32> {
        lock(&self.presence).entry(shop.clone()).or_insert_with(ShopPresence::new).online.subscribe()
    }

    pub fn agents_online(&self, shop: &ShopId) -> u32 {
        lock(&self.presence).get(shop).map_or(0, |p| *p.online.borrow())
    }

    /// Counts a shopper's connection as present in `conversation` until the guard is dropped.
    pub fn visitor_here(self: &Arc<Self>, conversation: &ConversationId) -> VisitorGuard {
        *lock(&self.visitors_here).entry(conversation.clone()).or_insert(0) += 1;
        VisitorGuard { hub: Arc::clone(self), conversation: conversation.clone() }
    }

    /// Whether the shopper of `conversation` has it open somewhere now.
    pub fn is_visitor_here(&self, conversation: &ConversationId) -> bool {
        lock(&self.visitors_here).contains_key(conversation)
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
    pub fn publish_notice(&self, conversation: &ConversationId, frame: ServerFrame, audience: Audience) {
        self.conversations.publish(conversation, Arc::new(Live::Notice { frame, audience }));
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

/// An agent's connection in their shop's presence count.
pub struct PresenceGuard {
    hub: Arc<Hub>,
    shop: ShopId,
    agent: AgentId,
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        self.hub.agent_offline(&self.shop, &self.agent);
    }
}

/// A shopper's connection to their conversation.
pub struct VisitorGuard {
    hub: Arc<Hub>,
    conversation: ConversationId,
}

impl Drop for VisitorGuard {
    fn drop(&mut self) {
        let mut here = lock(&self.hub.visitors_here);
        if let Some(count) = here.get_mut(&self.conversation) {
            *count -= 1;
            if *count == 0 {
                here.remove(&self.conversation);
            }
        }
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
        lock(&self.channels)
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
    fn presence_counts_each_connected_agent_once() {
        let hub = Arc::new(Hub::default());
        let shop = ShopId::new("demo").unwrap();
        let (anna, sam) = (AgentId::new("anna").unwrap(), AgentId::new("sam").unwrap());
        let watcher = hub.presence(&shop);
        let first = hub.agent_online(&shop, &anna);
        let second = hub.agent_online(&shop, &sam);
        let annas_second_tab = hub.agent_online(&shop, &anna);
        assert_eq!(*watcher.borrow(), 2);
        drop(first);
        assert_eq!(hub.agents_online(&shop), 2, "Anna is still online in another tab");
        drop(annas_second_tab);
        assert_eq!(hub.agents_online(&shop), 1);
        drop(second);
        assert_eq!(*watcher.borrow(), 0);
    }

    #[test]
    fn a_visitor_is_here_while_any_of_their_connections_is() {
        let hub = Arc::new(Hub::default());
        let a = ConversationId::new("a").unwrap();
        assert!(!hub.is_visitor_here(&a));
        let tab = hub.visitor_here(&a);
        let other_tab = hub.visitor_here(&a);
        drop(tab);
        assert!(hub.is_visitor_here(&a));
        drop(other_tab);
        assert!(!hub.is_visitor_here(&a));
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
