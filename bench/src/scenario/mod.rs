//! The scenarios, each against one relay at a time: [`idle`] shoppers and the broadcast to all
//! of them, and [`chat`]: active conversations at a steady pace, optionally with the relay
//! killed and restarted in the middle (every client reconnects at once and must lose nothing
//! and see nothing twice).

pub mod chat;
pub mod idle;

use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::conn::ConnError;
use crate::procfs::ProcError;
use crate::relays::RelayError;

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error(transparent)]
    Relay(#[from] RelayError),
    #[error(transparent)]
    Proc(#[from] ProcError),
    #[error(transparent)]
    Conn(#[from] ConnError),
    #[error("{0}")]
    Setup(String),
}

/// Lets the relay finish what a ramp left behind (and idle blocking threads exit) before a
/// measurement.
async fn settle(pause: Duration) {
    tokio::time::sleep(pause).await;
}

/// The reports of every task, waiting at most `limit` for the last ones.
async fn collect<T: 'static>(tasks: &mut JoinSet<T>, limit: Duration) -> Vec<T> {
    let mut reports = Vec::new();
    let deadline = Instant::now() + limit;
    while let Ok(Some(joined)) = tokio::time::timeout_at(deadline.into(), tasks.join_next()).await {
        if let Ok(report) = joined {
            reports.push(report);
        }
    }
    tasks.abort_all();
    reports
}
