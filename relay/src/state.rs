//! The state every handler shares, passed explicitly as axum `State`.

use std::sync::Arc;

use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::hub::Hub;
use crate::routing::PendingAnnouncements;
use crate::storage::Storage;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub storage: Arc<dyn Storage>,
    pub hub: Arc<Hub>,
    /// Cancelled when the relay is asked to stop; every WebSocket session watches it.
    pub shutdown: CancellationToken,
    /// Tracks WebSocket sessions, which outlive the HTTP request that upgraded them, so shutdown
    /// can wait for them to close cleanly.
    pub sessions: TaskTracker,
    /// One permit per open WebSocket, up to `max_connections`.
    pub connection_slots: Arc<Semaphore>,
    /// Wakes the mail deliverer when something was put in the outbox.
    pub outbox_ready: Arc<Notify>,
    /// Queue announcements on their way, gathered per shop.
    pub queue_announcements: Arc<PendingAnnouncements>,
}

impl AppState {
    pub fn new(config: Config, storage: Arc<dyn Storage>, shutdown: CancellationToken) -> Self {
        let connection_slots = Arc::new(Semaphore::new(config.max_connections));
        Self {
            config: Arc::new(config),
            storage,
            hub: Arc::new(Hub::default()),
            shutdown,
            sessions: TaskTracker::new(),
            connection_slots,
            outbox_ready: Arc::new(Notify::new()),
            queue_announcements: Arc::new(PendingAnnouncements::default()),
        }
    }
}
