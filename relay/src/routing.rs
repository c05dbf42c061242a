//! Who answers and who waits. A shopper who writes is given to the least-loaded online agent
//! below their capacity; when every agent is full (or away, or none is online) they wait in a
//! first-come queue, told their place and an honest estimate. Agents can also claim a waiting
//! chat. An agent whose console has been gone longer than the configured time is offline, and
//! their open chats go back to the queue (keeping their place: by when they began).
//!
//! Every change that can free a slot or add a shopper ends in [`rebalance`]: assign what can be
//! assigned, then tell those still waiting their places. Assignment runs one at a time per shop,
//! and each is a conditional write (`assign_if_waiting`), so two passes never give one
//! conversation twice, and a claim racing a pass is settled by the database.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use checkout_chat_protocol::{AgentId, AgentProfile, AgentStatus, ConversationId, ServerFrame, ShopId, TeamMember};

use crate::chat;
use crate::clock::{now_ms, sweep_ticks};
use crate::departures;
use crate::hub::{Audience, SharedFrame, VisitorGuard};
use crate::state::AppState;
use crate::storage::StorageError;

/// An agent routing may give a conversation to, with what they have now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub agent: AgentId,
    pub load: u32,
    pub capacity: u32,
    /// When they were last given one: of agents with equal loads, who waited longest is next.
    pub last_assigned: Option<Instant>,
}

/// Which agent takes each waiting conversation, in queue order (oldest first): each goes to the
/// least-loaded candidate below capacity, until no one has room. Pure, so it can be tested.
pub fn plan_assignments(
    waiting: &[ConversationId],
    mut candidates: Vec<Candidate>,
    now: Instant,
) -> Vec<(ConversationId, AgentId)> {
    let mut plan = Vec::new();
    for conversation in waiting {
        let Some(next) = least_loaded(&candidates) else { break };
        let chosen = &mut candidates[next];
        chosen.load += 1;
        chosen.last_assigned = Some(now);
        plan.push((conversation.clone(), chosen.agent.clone()));
    }
    plan
}

/// The candidate with the lowest load below their capacity; ties go to who was given a
/// conversation longest ago (never counts as longest), then by id so the choice is stable.
pub fn least_loaded(candidates: &[Candidate]) -> Option<usize> {
    candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.load < c.capacity)
        .min_by(|(_, a), (_, b)| {
            a.load.cmp(&b.load).then(a.last_assigned.cmp(&b.last_assigned)).then_with(|| a.agent.cmp(&b.agent))
        })
        .map(|(index, _)| index)
}

/// Assigns what can be assigned, then tells the shoppers still waiting their places. Logs
/// rather than fails: routing is never a reason to refuse what caused it.
pub async fn rebalance(state: &AppState, shop: &ShopId) {
    if let Err(error) = assign_waiting(state, shop).await {
        tracing::warn!(%error, %shop, "could not assign waiting conversations");
    }
    announce_queue_quietly(state, shop).await;
}

/// Gives waiting conversations whose shopper is here to available agents, in queue order.
async fn assign_waiting(state: &AppState, shop: &ShopId) -> Result<(), StorageError> {
    let turn = state.routing_turns.for_shop(shop);
    let _turn = turn.lock().await;
    let mut waiting = state.storage.waiting_conversations(shop).await?;
    waiting.retain(|entry| state.hub.is_visitor_here(&entry.conversation_id));
    let available = state.hub.available_agents(shop);
    if waiting.is_empty() || available.is_empty() {
        return Ok(());
    }
    let loads: HashMap<AgentId, u32> = state.storage.agent_loads(shop).await?.into_iter().collect();
    let profiles: HashMap<AgentId, AgentProfile> =
        available.iter().map(|a| (a.profile.id.clone(), a.profile.clone())).collect();
    let candidates = available
        .into_iter()
        .map(|a| Candidate {
            load: loads.get(&a.profile.id).copied().unwrap_or(0),
            agent: a.profile.id,
            capacity: a.capacity,
            last_assigned: a.last_assigned,
        })
        .collect();
    let queue: Vec<ConversationId> = waiting.into_iter().map(|w| w.conversation_id).collect();
    for (conversation, agent) in plan_assignments(&queue, candidates, Instant::now()) {
        let Some(profile) = profiles.get(&agent) else { continue };
        // None: claimed by someone or ended since it was read; its slot waits for the next pass.
        if let Some(joined) = state.storage.assign_if_waiting(&conversation, profile).await? {
            state.hub.note_assigned(shop, &agent);
            chat::publish(state, shop, &joined);
        }
    }
    Ok(())
}

/// One assignment pass at a time per shop.
#[derive(Default)]
pub struct RoutingTurns {
    shops: Mutex<HashMap<ShopId, Arc<tokio::sync::Mutex<()>>>>,
}

impl RoutingTurns {
    fn for_shop(&self, shop: &ShopId) -> Arc<tokio::sync::Mutex<()>> {
        let mut shops = self.shops.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(shops.entry(shop.clone()).or_default())
    }
}

/// Puts the open chats of agents absent longer than `agent_offline_after_seconds` back in the
/// queue, every few seconds, until the relay stops. Also covers chats assigned before a restart
/// to agents who do not come back.
pub async fn run_offline_sweeper(state: AppState) {
    let limit = Duration::from_secs(state.config.agent_offline_after_seconds);
    let mut ticks = sweep_ticks(limit, Duration::from_secs(5));
    loop {
        ticks.tick().await;
        if let Err(error) = requeue_absent(&state, limit).await {
            tracing::warn!(%error, "could not requeue the chats of offline agents");
        }
        state.hub.forget_absent(limit);
    }
}

async fn requeue_absent(state: &AppState, limit: Duration) -> Result<(), StorageError> {
    let mut shops = HashSet::new();
    for (shop, agent, conversation) in state.storage.assignments().await? {
        if !state.hub.absent_longer_than(&shop, &agent.id, limit) {
            continue;
        }
        if let Some(requeued) = state.storage.requeue(&conversation, &agent).await? {
            tracing::info!(agent = %agent.id, %conversation, "agent offline; conversation back in the queue");
            chat::publish(state, &shop, &requeued);
            shops.insert(shop);
        }
    }
    for shop in shops {
        state.hub.team_changed(&shop);
        rebalance(state, &shop).await;
    }
    Ok(())
}

/// The shop's team as the consoles show it: every enabled account, with presence and load.
/// Built once per change of the team and shared by the shop's consoles.
pub async fn team_frame(state: &AppState, shop: &ShopId) -> Result<SharedFrame, StorageError> {
    // Read before building: a change while building bumps the version, and the next console
    // builds the list again instead of reusing one that may predate the change.
    let version = state.hub.team_version(shop);
    if let Some(frame) = state.hub.team_list(shop, version) {
        return Ok(frame);
    }
    let frame = SharedFrame::new(&build_team_frame(state, shop).await?);
    state.hub.keep_team_list(shop, version, frame.clone());
    Ok(frame)
}

async fn build_team_frame(state: &AppState, shop: &ShopId) -> Result<ServerFrame, StorageError> {
    let loads: HashMap<AgentId, u32> = state.storage.agent_loads(shop).await?.into_iter().collect();
    let accounts = state.storage.agents(Some(shop)).await?;
    let agents = accounts
        .into_iter()
        .filter(|account| !account.disabled)
        .map(|account| TeamMember {
            status: state.hub.agent_status(shop, &account.id),
            load: loads.get(&account.id).copied().unwrap_or(0),
            capacity: account.capacity,
            role: account.role,
            agent: account.profile(),
        })
        .collect();
    // Counted here because the team list is rebuilt (once per change, for all the shop's
    // consoles) on the same changes that move these counts: see `chat::after_append`.
    let counts = state.storage.inbox_counts(shop, None).await?;
    Ok(ServerFrame::Team { agents, waiting: counts.waiting, open: counts.open })
}

/// The agent's profile if routing could give them a conversation now: online (not away) and
/// below their capacity.
pub async fn can_take_now(
    state: &AppState,
    shop: &ShopId,
    agent: &AgentId,
) -> Result<Option<AgentProfile>, StorageError> {
    let Some(available) = state.hub.available_agents(shop).into_iter().find(|a| &a.profile.id == agent) else {
        return Ok(None);
    };
    let load = state.storage.agent_loads(shop).await?.into_iter().find(|(id, _)| id == agent).map_or(0, |(_, n)| n);
    Ok((load < available.capacity).then_some(available.profile))
}

/// Whether an agent is online or away (a transfer can go to them).
pub fn is_reachable(state: &AppState, shop: &ShopId, agent: &AgentId) -> bool {
    state.hub.agent_status(shop, agent) != AgentStatus::Offline
}

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
    let waiting = state.storage.waiting_conversations(shop).await?;
    let here: Vec<(ConversationId, Option<IpAddr>)> = waiting
        .into_iter()
        .filter(|entry| state.hub.is_visitor_here(&entry.conversation_id))
        .map(|entry| {
            let address = state.hub.visitor_address(&entry.conversation_id);
            (entry.conversation_id, address)
        })
        .collect();
    if here.is_empty() {
        return Ok(Vec::new());
    }
    let recent = state.storage.recent_waits(shop, now_ms() - HISTORY_MS, LONGEST_WAIT_MS, SAMPLES).await?;
    let agents_online = state.hub.agents_online(shop);
    let frames = queue_positions(&here).into_iter().map(|(conversation_id, position)| ServerFrame::Queue {
        conversation_id,
        position,
        estimated_wait_seconds: estimate_wait_seconds(&recent, position, agents_online),
    });
    Ok(frames.collect())
}

/// Waiting conversations one address may have ahead of others in the queue: an office's few
/// shoppers count, a machine holding hundreds of sockets open does not push anyone back.
const PLAUSIBLE_PER_ADDRESS: usize = 5;

/// Each waiting conversation's place, in arrival order, counting only plausible chats: beyond
/// [`PLAUSIBLE_PER_ADDRESS`] of one address, a chat is told the place after those ahead of it
/// but does not move anyone behind it back.
fn queue_positions(waiting: &[(ConversationId, Option<IpAddr>)]) -> Vec<(ConversationId, u32)> {
    let mut per_address: HashMap<IpAddr, usize> = HashMap::new();
    let mut counted = 0u32;
    let mut positions = Vec::with_capacity(waiting.len());
    for (conversation, address) in waiting {
        let plausible = address.is_none_or(|address| {
            let seen = per_address.entry(address).or_insert(0);
            *seen += 1;
            *seen <= PLAUSIBLE_PER_ADDRESS
        });
        positions.push((conversation.clone(), counted.saturating_add(1)));
        if plausible {
            counted = counted.saturating_add(1);
        }
    }
    positions
}

/// How long changes that come in bursts (shoppers arriving and leaving, a reconnect storm after a
/// restart) are gathered into one rebalance per shop.
const ANNOUNCE_DELAY: Duration = Duration::from_millis(250);

/// Shops with a rebalance on its way.
#[derive(Default)]
pub struct PendingAnnouncements {
    shops: Mutex<HashSet<ShopId>>,
}

/// Rebalances `shop` shortly, once for all changes until then.
pub fn rebalance_soon(state: &AppState, shop: &ShopId) {
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
            rebalance(&state, &shop).await;
        });
    }
}

/// A shopper's connection present in their conversation: while it lasts they keep their place
/// in the queue, and when it goes the others are told their new places.
/// Its coming and going are also recorded for the agents (see `departures`).
pub struct QueuePlace {
    here: Option<VisitorGuard>,
    state: AppState,
    shop: ShopId,
    conversation: ConversationId,
}

impl QueuePlace {
    pub fn take(state: &AppState, shop: &ShopId, conversation: &ConversationId, address: IpAddr) -> Self {
        let here = state.hub.visitor_here(conversation, address);
        departures::record_soon(state, shop, conversation);
        QueuePlace { here: Some(here), state: state.clone(), shop: shop.clone(), conversation: conversation.clone() }
    }
}

impl Drop for QueuePlace {
    fn drop(&mut self) {
        drop(self.here.take());
        departures::record_soon(&self.state, &self.shop, &self.conversation);
        rebalance_soon(&self.state, &self.shop);
    }
}

/// Announces the queue and logs (rather than fails) when storage cannot say: the queue is a
/// courtesy, never a reason to refuse what caused the change.
async fn announce_queue_quietly(state: &AppState, shop: &ShopId) {
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
    fn one_address_pushes_nobody_back_beyond_a_few_chats() {
        let cid = |n: usize| ConversationId::new(format!("c{n}")).unwrap();
        let squatter: IpAddr = [192, 0, 2, 66].into();
        let shopper: IpAddr = [192, 0, 2, 7].into();
        let mut waiting: Vec<(ConversationId, Option<IpAddr>)> = (0..400).map(|n| (cid(n), Some(squatter))).collect();
        waiting.push((cid(400), Some(shopper)));
        let positions = queue_positions(&waiting);
        assert_eq!(positions[0].1, 1);
        assert_eq!(positions[4].1, 5);
        assert_eq!(positions[399].1, 6, "the squatter's later chats wait behind its first five");
        assert_eq!(positions[400], (cid(400), 6), "the real shopper comes after five, not 400");
    }

    fn agent(id: &str) -> AgentId {
        AgentId::new(id).unwrap()
    }

    fn conversations(n: usize) -> Vec<ConversationId> {
        (1..=n).map(|i| ConversationId::new(format!("c{i}")).unwrap()).collect()
    }

    fn candidate(id: &str, load: u32, capacity: u32) -> Candidate {
        Candidate { agent: agent(id), load, capacity, last_assigned: None }
    }

    #[test]
    fn the_least_loaded_agent_below_capacity_is_chosen() {
        let candidates = [candidate("anna", 2, 5), candidate("sam", 1, 5), candidate("li", 0, 0)];
        assert_eq!(least_loaded(&candidates), Some(1));
        let full = [candidate("anna", 5, 5), candidate("sam", 3, 3)];
        assert_eq!(least_loaded(&full), None);
        assert_eq!(least_loaded(&[]), None);
    }

    #[test]
    fn equal_loads_go_to_who_was_given_one_longest_ago() {
        let now = Instant::now();
        let earlier = now.checked_sub(Duration::from_secs(60)).unwrap_or(now);
        let mut recent = candidate("anna", 1, 5);
        recent.last_assigned = Some(now);
        let mut waited = candidate("sam", 1, 5);
        waited.last_assigned = Some(earlier);
        assert_eq!(least_loaded(&[recent.clone(), waited.clone()]), Some(1));
        // Never given one waits longest of all.
        assert_eq!(least_loaded(&[waited, candidate("zoe", 1, 5)]), Some(1));
    }

    #[test]
    fn no_agent_is_given_more_than_their_capacity_and_the_rest_wait_in_order() {
        let queue = conversations(12);
        let candidates = vec![candidate("anna", 0, 5), candidate("sam", 3, 5), candidate("li", 0, 2)];
        let plan = plan_assignments(&queue, candidates, Instant::now());
        // Room for 5 + 2 + 2: the nine oldest are assigned, in queue order.
        assert_eq!(plan.len(), 9);
        assert_eq!(plan.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>(), queue[..9]);
        let given = |id: &str| plan.iter().filter(|(_, a)| a.as_str() == id).count();
        assert_eq!((given("anna"), given("sam"), given("li")), (5, 2, 2));
    }

    #[test]
    fn assignments_spread_evenly() {
        let queue = conversations(6);
        let candidates = vec![candidate("anna", 0, 5), candidate("sam", 0, 5), candidate("li", 0, 5)];
        let plan = plan_assignments(&queue, candidates, Instant::now());
        for id in ["anna", "sam", "li"] {
            assert_eq!(plan.iter().filter(|(_, a)| a.as_str() == id).count(), 2, "{id}");
        }
    }

    #[test]
    fn nothing_is_assigned_without_room() {
        assert!(plan_assignments(&conversations(3), vec![candidate("anna", 5, 5)], Instant::now()).is_empty());
        assert!(plan_assignments(&conversations(3), Vec::new(), Instant::now()).is_empty());
        assert!(plan_assignments(&[], vec![candidate("anna", 0, 5)], Instant::now()).is_empty());
    }

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
