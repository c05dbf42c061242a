//! The hub: in-memory fan-out of what storage has already made durable.
//!
//! Nothing here is a source of truth. A connection that misses a broadcast (it lagged, or the
//! relay restarted) catches up from storage by sequence number, so the channels can be small.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use checkout_chat_protocol::api::Role;
use checkout_chat_protocol::{
    AgentId, AgentProfile, AgentStatus, ConversationId, ConversationSummary, Event, ServerFrame, ShopId,
};
use tokio::sync::{broadcast, watch};

use crate::storage::{AgentRecord, TokenHash};

/// Events buffered per conversation for followers that are momentarily slower than the writer.
/// A follower further behind resynchronises from storage.
const CONVERSATION_BUFFER: usize = 32;
/// Inbox updates buffered per shop. A console further behind gets the whole inbox again from
/// storage, which is heavy in a busy shop (hundreds of rows) and comes exactly when the relay is
/// busiest (a burst of reconnects), so the buffer is generous: about 0.5 MB per shop.
const SHOP_BUFFER: usize = 1024;
/// Ended sessions buffered; a socket that misses some re-checks its session on the next heartbeat.
const REVOCATION_BUFFER: usize = 64;

/// A frame encoded once for all the connections it goes to: an inbox update reaches every
/// console of the shop, and encoding it per console was a large share of the relay's CPU.
#[derive(Debug, Clone)]
pub struct SharedFrame(Utf8Bytes);

impl SharedFrame {
    pub fn new(frame: &ServerFrame) -> Self {
        SharedFrame(Utf8Bytes::from(frame.to_json()))
    }

    /// The encoded frame (a reference-counted copy, not a new string).
    pub fn text(&self) -> Utf8Bytes {
        self.0.clone()
    }
}

/// What goes to the followers of a conversation.
#[derive(Debug)]
pub enum Live {
    /// A stored event (numbered, replayable), with its `event` frame.
    Event { event: Event, frame: SharedFrame },
    /// A passing notice (typing, queue position): never stored, sent only to who is connected.
    Notice { frame: SharedFrame, audience: Audience },
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
    /// Inbox updates (`conversation_updated` frames) per shop.
    shops: Topics<ShopId, SharedFrame>,
    /// Agent sessions ended in this process (logout, a disabled account, a new password), so
    /// their sockets close at once.
    revoked_sessions: broadcast::Sender<Revoked>,
    /// Agents connected, per shop.
    presence: Mutex<HashMap<ShopId, ShopPresence>>,
    /// When this relay started: an agent with chats assigned from before it has been absent
    /// since then at least.
    started: Instant,
    /// Shoppers' connections per conversation, so the queue counts only who is still there.
    visitors_here: Mutex<HashMap<ConversationId, Here>>,
    /// The last team list built per shop, with the team version it reflects: every console of
    /// the shop is sent the same list when the team changes, built from storage only once.
    team_lists: Mutex<HashMap<ShopId, (u64, SharedFrame)>>,
}

/// A shop's agents as presence knows them, with two signals: how many are available (for the
/// widget), and a counter bumped whenever presence or load changes (for the consoles' team list).
struct ShopPresence {
    available: watch::Sender<u32>,
    team: watch::Sender<u64>,
    agents: HashMap<AgentId, AgentPresence>,
}

/// One agent: each counted once however many consoles they have open.
struct AgentPresence {
    profile: AgentProfile,
    role: Role,
    capacity: u32,
    connections: usize,
    /// What the agent chose (kept across a reload).
    status: AgentStatus,
    /// When their last connection went, while they have none.
    gone_since: Option<Instant>,
    /// When routing last gave them a conversation: equal loads go to who waited longest.
    last_assigned: Option<Instant>,
}

impl AgentPresence {
    fn is_available(&self) -> bool {
        self.connections > 0 && self.status == AgentStatus::Online
    }
}

impl ShopPresence {
    fn new() -> Self {
        ShopPresence { available: watch::channel(0).0, team: watch::channel(0).0, agents: HashMap::new() }
    }

    /// Tells whoever watches that something changed.
    fn publish(&self) {
        let count = self.agents.values().filter(|a| a.is_available()).count();
        let agents = u32::try_from(count).unwrap_or(u32::MAX);
        self.available.send_if_modified(|available| std::mem::replace(available, agents) != agents);
        self.team.send_modify(|version| *version = version.wrapping_add(1));
    }
}

/// An agent routing may give a conversation to now.
#[derive(Debug, Clone)]
pub struct AvailableAgent {
    pub profile: AgentProfile,
    pub capacity: u32,
    pub last_assigned: Option<Instant>,
}

/// An agent with a console open (online or away).
#[derive(Debug, Clone)]
pub struct ConnectedAgent {
    pub profile: AgentProfile,
    pub role: Role,
    pub status: AgentStatus,
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
            started: Instant::now(),
            visitors_here: Mutex::new(HashMap::new()),
            team_lists: Mutex::new(HashMap::new()),
        }
    }
}

/// What was ended: one session, or every session of an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    Session(TokenHash),
    Agent(AgentId),
}

impl Hub {
    pub fn revoke_session(&self, session: TokenHash) {
        // Nobody listening means no socket uses the session.
        let _ = self.revoked_sessions.send(Revoked::Session(session));
    }

    /// Ends every socket of `agent` (their account was disabled or given a new password).
    pub fn revoke_agent(&self, agent: AgentId) {
        let _ = self.revoked_sessions.send(Revoked::Agent(agent));
    }

    pub fn session_revocations(&self) -> broadcast::Receiver<Revoked> {
        self.revoked_sessions.subscribe()
    }

    /// Counts the agent as connected until the guard is dropped (and all their other
    /// connections are gone). They come back with the status they chose before, or online.
    pub fn agent_online(self: &Arc<Self>, shop: &ShopId, agent: &AgentRecord) -> PresenceGuard {
        self.with_shop(shop, |presence| {
            let entry = presence.agents.entry(agent.id.clone()).or_insert_with(|| AgentPresence {
                profile: agent.profile(),
                role: agent.role,
                capacity: agent.capacity,
                connections: 0,
                status: AgentStatus::Online,
                gone_since: None,
                last_assigned: None,
            });
            // An admin may have changed them since their last connection.
            (entry.profile, entry.role, entry.capacity) = (agent.profile(), agent.role, agent.capacity);
            entry.connections += 1;
            entry.gone_since = None;
        });
        PresenceGuard { hub: Arc::clone(self), shop: shop.clone(), agent: agent.id.clone() }
    }

    /// An admin changed the agent (role, capacity, name): presence uses the new values at once.
    pub fn refresh_agent(&self, agent: &AgentRecord) {
        self.with_shop(&agent.shop_id, |presence| {
            if let Some(entry) = presence.agents.get_mut(&agent.id) {
                (entry.profile, entry.role, entry.capacity) = (agent.profile(), agent.role, agent.capacity);
            }
        });
    }

    fn agent_disconnected(&self, shop: &ShopId, agent: &AgentId) {
        self.with_shop(shop, |presence| {
            if let Some(entry) = presence.agents.get_mut(agent) {
                entry.connections = entry.connections.saturating_sub(1);
                if entry.connections == 0 {
                    entry.gone_since = Some(Instant::now());
                }
            }
        });
    }

    /// Runs `change` on the shop's presence and tells the watchers.
    fn with_shop<T>(&self, shop: &ShopId, change: impl FnOnce(&mut ShopPresence) -> T) -> T {
        let mut presence = lock(&self.presence);
        let shop_presence = presence.entry(shop.clone()).or_insert_with(ShopPresence::new);
        let result = change(shop_presence);
        shop_presence.publish();
        result
    }

    /// Online (routing gives them chats) or away (it does not); false if they are not connected.
    pub fn set_agent_status(&self, shop: &ShopId, agent: &AgentId, status: AgentStatus) -> bool {
        self.with_shop(shop, |presence| match presence.agents.get_mut(agent) {
            Some(entry) if entry.connections > 0 => {
                entry.status = status;
                true
            }
            _ => false,
        })
    }

    /// A connected agent's status; offline when they have no connection.
    pub fn agent_status(&self, shop: &ShopId, agent: &AgentId) -> AgentStatus {
        let presence = lock(&self.presence);
        match presence.get(shop).and_then(|p| p.agents.get(agent)) {
            Some(entry) if entry.connections > 0 => entry.status,
            _ => AgentStatus::Offline,
        }
    }

    /// The shop's agents routing may give a conversation to now.
    pub fn available_agents(&self, shop: &ShopId) -> Vec<AvailableAgent> {
        let presence = lock(&self.presence);
        let Some(shop_presence) = presence.get(shop) else { return Vec::new() };
        let available = shop_presence.agents.values().filter(|a| a.is_available());
        available
            .map(|a| AvailableAgent {
                profile: a.profile.clone(),
                capacity: a.capacity,
                last_assigned: a.last_assigned,
            })
            .collect()
    }

    /// The shop's agents with a console open.
    pub fn connected_agents(&self, shop: &ShopId) -> Vec<ConnectedAgent> {
        let presence = lock(&self.presence);
        let Some(shop_presence) = presence.get(shop) else { return Vec::new() };
        let connected = shop_presence.agents.values().filter(|a| a.connections > 0);
        connected.map(|a| ConnectedAgent { profile: a.profile.clone(), role: a.role, status: a.status }).collect()
    }

    /// Routing gave the agent a conversation.
    pub fn note_assigned(&self, shop: &ShopId, agent: &AgentId) {
        self.with_shop(shop, |presence| {
            if let Some(entry) = presence.agents.get_mut(agent) {
                entry.last_assigned = Some(Instant::now());
            }
        });
    }

    /// Whether the agent has had no connection for longer than `limit` (counting from the
    /// relay's start for an agent not seen since).
    pub fn absent_longer_than(&self, shop: &ShopId, agent: &AgentId, limit: Duration) -> bool {
        let presence = lock(&self.presence);
        match presence.get(shop).and_then(|p| p.agents.get(agent)) {
            Some(entry) if entry.connections > 0 => false,
            Some(AgentPresence { gone_since: Some(since), .. }) => since.elapsed() > limit,
            _ => self.started.elapsed() > limit,
        }
    }

    /// Forgets agents absent longer than `limit` (they are offline; their status is not kept).
    pub fn forget_absent(&self, limit: Duration) {
        let mut presence = lock(&self.presence);
        for shop_presence in presence.values_mut() {
            let before = shop_presence.agents.len();
            shop_presence.agents.retain(|_, a| a.gone_since.is_none_or(|since| since.elapsed() <= limit));
            if shop_presence.agents.len() != before {
                shop_presence.publish();
            }
        }
    }

    /// Something the team list shows changed (a conversation was assigned, moved or ended).
    pub fn team_changed(&self, shop: &ShopId) {
        self.with_shop(shop, |_| ());
    }

    /// Bumped whenever the shop's team list may have changed.
    pub fn team_changes(&self, shop: &ShopId) -> watch::Receiver<u64> {
        lock(&self.presence).entry(shop.clone()).or_insert_with(ShopPresence::new).team.subscribe()
    }

    /// The shop's team version now: bumped by every change a team list shows.
    pub fn team_version(&self, shop: &ShopId) -> u64 {
        lock(&self.presence).get(shop).map_or(0, |p| *p.team.borrow())
    }

    /// The team list built for `version`, if it is the last one built.
    pub fn team_list(&self, shop: &ShopId, version: u64) -> Option<SharedFrame> {
        let lists = lock(&self.team_lists);
        lists.get(shop).filter(|(built_for, _)| *built_for == version).map(|(_, frame)| frame.clone())
    }

    /// Keeps a team list built after the team reached `version` (read before building it).
    pub fn keep_team_list(&self, shop: &ShopId, version: u64, frame: SharedFrame) {
        let mut lists = lock(&self.team_lists);
        let newer = lists.get(shop).is_some_and(|(built_for, _)| *built_for > version);
        if !newer {
            lists.insert(shop.clone(), (version, frame));
        }
    }

    /// The number of `shop`'s agents available for new chats, kept current.
    pub fn presence(&self, shop: &ShopId) -> watch::Receiver<u32> {
        lock(&self.presence).entry(shop.clone()).or_insert_with(ShopPresence::new).available.subscribe()
    }

    /// The shop's agents available for new chats (connected and online, not away).
    pub fn agents_online(&self, shop: &ShopId) -> u32 {
        lock(&self.presence).get(shop).map_or(0, |p| *p.available.borrow())
    }

    /// Counts a shopper's connection from `address` as present in `conversation` until the
    /// guard is dropped.
    pub fn visitor_here(self: &Arc<Self>, conversation: &ConversationId, address: IpAddr) -> VisitorGuard {
        let mut here = lock(&self.visitors_here);
        let entry = here.entry(conversation.clone()).or_insert(Here { sockets: 0, address });
        entry.sockets += 1;
        entry.address = address;
        VisitorGuard { hub: Arc::clone(self), conversation: conversation.clone() }
    }

    /// The address the shopper of `conversation` is connected from (the latest, if several).
    pub fn visitor_address(&self, conversation: &ConversationId) -> Option<IpAddr> {
        lock(&self.visitors_here).get(conversation).map(|here| here.address)
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
        self.conversations.publish(&id, || {
            let frame = SharedFrame::new(&ServerFrame::Event { event: event.clone() });
            Arc::new(Live::Event { event, frame })
        });
    }

    /// A notice for whoever follows the conversation now; nobody else ever sees it.
    pub fn publish_notice(&self, conversation: &ConversationId, frame: ServerFrame, audience: Audience) {
        self.conversations
            .publish(conversation, || Arc::new(Live::Notice { frame: SharedFrame::new(&frame), audience }));
    }

    pub fn follow_shop(&self, shop: &ShopId) -> broadcast::Receiver<SharedFrame> {
        self.shops.subscribe(shop, SHOP_BUFFER)
    }

    pub fn release_shop(&self, shop: &ShopId) {
        self.shops.release(shop);
    }

    pub fn publish_summary(&self, shop: &ShopId, summary: ConversationSummary) {
        self.shops.publish(shop, || SharedFrame::new(&ServerFrame::ConversationUpdated { conversation: summary }));
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
        self.hub.agent_disconnected(&self.shop, &self.agent);
    }
}

/// A shopper's connection to their conversation.
pub struct VisitorGuard {
    hub: Arc<Hub>,
    conversation: ConversationId,
}

/// A conversation's shopper sockets, and where the latest came from.
struct Here {
    sockets: usize,
    address: IpAddr,
}

impl Drop for VisitorGuard {
    fn drop(&mut self) {
        let mut here = lock(&self.hub.visitors_here);
        if let Some(entry) = here.get_mut(&self.conversation) {
            entry.sockets -= 1;
            if entry.sockets == 0 {
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

    /// Sends `make()` to whoever follows `key`. `make` runs only when someone does, and outside
    /// the lock: it encodes the frame, the costly part, and most events of a shop with no console
    /// open have nobody to go to.
    fn publish(&self, key: &K, make: impl FnOnce() -> V) {
        let Some(sender) = self.lock().get(key).cloned() else { return };
        if sender.send(make()).is_err() {
            self.release(key);
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
        let Live::Event { event: received, .. } = &*follower.recv().await.unwrap() else { panic!("expected an event") };
        assert_eq!(received.conversation_id, a);
        assert!(follower.try_recv().is_err());
    }

    fn record(id: &str, role: Role) -> AgentRecord {
        AgentRecord {
            id: AgentId::new(id).unwrap(),
            shop_id: ShopId::new("demo").unwrap(),
            email: format!("{id}@shop.example"),
            name: id.into(),
            password_hash: String::new(),
            disabled: false,
            role,
            capacity: 5,
        }
    }

    #[test]
    fn presence_counts_each_connected_agent_once() {
        let hub = Arc::new(Hub::default());
        let shop = ShopId::new("demo").unwrap();
        let (anna, sam) = (record("anna", Role::Agent), record("sam", Role::Agent));
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
    fn an_away_agent_keeps_their_status_across_a_reload_but_gets_no_new_chats() {
        let hub = Arc::new(Hub::default());
        let shop = ShopId::new("demo").unwrap();
        let anna = record("anna", Role::Agent);
        let console = hub.agent_online(&shop, &anna);
        assert!(hub.set_agent_status(&shop, &anna.id, AgentStatus::Away));
        assert!(hub.available_agents(&shop).is_empty());
        assert_eq!(hub.agents_online(&shop), 0);
        drop(console);
        assert_eq!(hub.agent_status(&shop, &anna.id), AgentStatus::Offline);
        let reloaded = hub.agent_online(&shop, &anna);
        assert_eq!(hub.agent_status(&shop, &anna.id), AgentStatus::Away);
        assert!(hub.set_agent_status(&shop, &anna.id, AgentStatus::Online));
        assert_eq!(hub.available_agents(&shop).len(), 1);
        drop(reloaded);
    }

    #[test]
    fn an_agent_is_absent_only_after_the_limit() {
        let hub = Arc::new(Hub::default());
        let shop = ShopId::new("demo").unwrap();
        let anna = record("anna", Role::Agent);
        let console = hub.agent_online(&shop, &anna);
        assert!(!hub.absent_longer_than(&shop, &anna.id, Duration::ZERO), "connected");
        drop(console);
        assert!(!hub.absent_longer_than(&shop, &anna.id, Duration::from_secs(60)), "just gone");
        std::thread::sleep(Duration::from_millis(5));
        assert!(hub.absent_longer_than(&shop, &anna.id, Duration::from_millis(1)));
        hub.forget_absent(Duration::from_millis(1));
        assert_eq!(hub.agent_status(&shop, &anna.id), AgentStatus::Offline);
    }

    #[test]
    fn a_visitor_is_here_while_any_of_their_connections_is() {
        let hub = Arc::new(Hub::default());
        let a = ConversationId::new("a").unwrap();
        assert!(!hub.is_visitor_here(&a));
        let tab = hub.visitor_here(&a, [192, 0, 2, 1].into());
        let other_tab = hub.visitor_here(&a, [192, 0, 2, 1].into());
        drop(tab);
        assert!(hub.is_visitor_here(&a));
        drop(other_tab);
        assert!(!hub.is_visitor_here(&a));
    }

    #[test]
    fn a_team_list_is_reused_only_until_the_team_changes() {
        let hub = Arc::new(Hub::default());
        let shop = ShopId::new("demo").unwrap();
        let anna = record("anna", Role::Agent);
        let _console = hub.agent_online(&shop, &anna);
        let version = hub.team_version(&shop);
        let list = SharedFrame::new(&ServerFrame::Pong);
        hub.keep_team_list(&shop, version, list.clone());
        assert_eq!(hub.team_list(&shop, version).map(|f| f.text()), Some(list.text()));
        assert!(hub.set_agent_status(&shop, &anna.id, AgentStatus::Away));
        let changed = hub.team_version(&shop);
        assert!(changed > version);
        assert!(hub.team_list(&shop, changed).is_none(), "built before the change: not reused");
        // A slow builder that read the old version does not replace a newer list.
        let newer = SharedFrame::new(&ServerFrame::Presence { agents_online: 0 });
        hub.keep_team_list(&shop, changed, newer.clone());
        hub.keep_team_list(&shop, version, list);
        assert_eq!(hub.team_list(&shop, changed).map(|f| f.text()), Some(newer.text()));
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
