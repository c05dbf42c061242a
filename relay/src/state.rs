//! The state every handler shares, passed explicitly as axum `State`.

use std::sync::Arc;

use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::hub::Hub;
use crate::installs::SeenOrigins;
use crate::limits::{LoginLimits, PerIpLimits};
use crate::quotas::Quotas;
use crate::routing::{PendingAnnouncements, RoutingTurns};
use crate::shops::Shops;
use crate::storage::Storage;
use crate::unstored::UnstoredVisitors;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// The shops served, with the settings their admins gave them (see [`crate::shops`]).
    pub shops: Arc<Shops>,
    pub storage: Arc<dyn Storage>,
    pub hub: Arc<Hub>,
    /// Cancelled when the relay is asked to stop; every WebSocket session watches it.
    pub shutdown: CancellationToken,
    /// Tracks WebSocket sessions, which outlive the HTTP request that upgraded them, so shutdown
    /// can wait for them to close cleanly.
    pub sessions: TaskTracker,
    /// One permit per open shopper's WebSocket, up to `max_connections` (agents need none).
    pub connection_slots: Arc<Semaphore>,
    /// WebSockets and frames per client address.
    pub per_ip: Arc<PerIpLimits>,
    /// Wakes the mail deliverer when something was put in the outbox.
    pub outbox_ready: Arc<Notify>,
    /// Wakes the webhook deliverer when an event or activity was stored.
    pub webhooks_ready: Arc<Notify>,
    /// Queue announcements on their way, gathered per shop.
    pub queue_announcements: Arc<PendingAnnouncements>,
    /// One assignment pass at a time per shop.
    pub routing_turns: Arc<RoutingTurns>,
    /// New visitors not stored yet, by token.
    pub unstored_visitors: Arc<UnstoredVisitors>,
    /// What anonymous clients may make the relay store (see [`crate::quotas`]).
    pub quotas: Arc<Quotas>,
    /// Login attempts per account and address and per address: password guessing is slowed to
    /// a few tries a minute without locking the account out.
    pub login_attempts: Arc<LoginLimits>,
    /// Where each shop's widget was seen lately (see [`crate::installs`]).
    pub seen_origins: Arc<SeenOrigins>,
}

impl AppState {
    pub fn new(config: Config, shops: Shops, storage: Arc<dyn Storage>, shutdown: CancellationToken) -> Self {
        let connection_slots = Arc::new(Semaphore::new(config.max_connections));
        let per_ip = Arc::new(PerIpLimits::new(config.max_connections_per_ip, config.max_frames_per_second_per_ip));
        let quotas = Arc::new(Quotas::new(&config));
        Self {
            config: Arc::new(config),
            shops: Arc::new(shops),
            storage,
            hub: Arc::new(Hub::default()),
            shutdown,
            sessions: TaskTracker::new(),
            connection_slots,
            per_ip,
            outbox_ready: Arc::new(Notify::new()),
            webhooks_ready: Arc::new(Notify::new()),
            queue_announcements: Arc::new(PendingAnnouncements::default()),
            routing_turns: Arc::new(RoutingTurns::default()),
            login_attempts: Arc::new(LoginLimits::default()),
            seen_origins: Arc::new(SeenOrigins::default()),
            quotas,
            unstored_visitors: Arc::new(UnstoredVisitors::default()),
        }
    }
}
