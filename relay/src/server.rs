//! Start-up and shutdown: open storage, create the demo agent on a first run, listen, and on a
//! stop signal tell every connected client to reconnect (close code 1012) before exiting.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth;
use crate::config::Config;
use crate::http::router;
use crate::limits::{ConnectionBudget, raise_open_files_limit};
use crate::state::AppState;
use crate::storage::Storage;
use crate::storage::sqlite::SqliteStorage;

/// How long shutdown waits for WebSocket sessions to say goodbye.
const SESSION_DRAIN: Duration = Duration::from_secs(5);

/// Runs the relay until `shutdown` is cancelled.
pub async fn run(mut config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let budget = connection_budget(&config);
    config.max_connections = budget.shoppers;
    warn_about_insecure_cookies(&config);
    let storage = SqliteStorage::open(&config.database)
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", config.database.display()))?;
    let serves_demo_shop = config.shops.iter().any(|shop| shop.id.as_str() == auth::DEMO_SHOP);
    let demo_password = config.demo_agent_password.as_deref();
    if serves_demo_shop && let Some(password) = auth::ensure_demo_agent(&storage, demo_password).await? {
        tracing::info!(
            "created the demo agent for /console: email {} password {password} (shown once; \
             change it with `relay agent reset-password {}`)",
            auth::DEMO_AGENT_EMAIL,
            auth::DEMO_AGENT_EMAIL
        );
    }
    // Nobody is connected to a relay that was not running (see `departures`).
    storage.shoppers_all_left(crate::clock::now_ms()).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    let address = listener.local_addr()?;
    let shops = crate::shops::Shops::load(&config, &storage).await?;
    let state = AppState::new(config, shops, Arc::new(storage), shutdown.clone());
    // Tests and scripts wait for this exact line on stdout.
    println!("checkout-chat relay listening on http://{address}");
    tracing::info!("demo shop: http://{address}/  agent console: http://{address}/console");

    let sessions = state.sessions.clone();
    let deliverer = tokio::spawn(crate::mail::run_deliverer(state.clone()));
    let webhooks = tokio::spawn(crate::webhooks::run_deliverer(state.clone()));
    let sweeper = tokio::spawn(crate::routing::run_offline_sweeper(state.clone()));
    let forgetter = tokio::spawn(forget_quiet_addresses(state.clone()));
    let auto_closer = tokio::spawn(crate::departures::run_auto_closer(state.clone()));
    // Chat frames are small and often written two at a time (an ack, then the event; an inbox
    // update, then the event): with Nagle's algorithm the second waits for the client's delayed
    // ACK, up to 40 ms. Node's `ws` turns it off too.
    crate::accept::serve(listener, router(state.clone()), state, budget.total, shutdown).await;
    sessions.close();
    deliverer.abort();
    webhooks.abort();
    sweeper.abort();
    forgetter.abort();
    auto_closer.abort();
    if tokio::time::timeout(SESSION_DRAIN, sessions.wait()).await.is_err() {
        tracing::warn!("some WebSocket sessions did not close in time");
    }
    tracing::info!("relay stopped");
    Ok(())
}

/// Raises the descriptor limit and fits the connection limits under it, saying so when the
/// configured `max_connections` does not fit.
fn connection_budget(config: &Config) -> ConnectionBudget {
    let open_files = raise_open_files_limit();
    let budget = ConnectionBudget::for_open_files(open_files, config.max_connections);
    if budget.shoppers < config.max_connections {
        tracing::warn!(
            "max_connections = {} does not fit in the {open_files} files this process may open: shoppers' \
             sockets are limited to {} (raise the limit with `ulimit -n` or systemd's LimitNOFILE)",
            config.max_connections,
            budget.shoppers
        );
    }
    tracing::info!(connections = budget.total, shoppers = budget.shoppers, "connection limits");
    budget
}

/// A session cookie without `Secure` travels in clear text over plain HTTP: fine on this
/// machine, not when the relay is reached over a network.
fn warn_about_insecure_cookies(config: &Config) {
    if !config.secure_cookies && !config.listen.ip().is_loopback() {
        tracing::warn!(
            "listening on {} with secure_cookies = false: agents' session cookies are not marked Secure; \
             serve the relay over HTTPS and set secure_cookies = true",
            config.listen
        );
    }
}

/// Every minute, drops the rate state of addresses and visitors that have been quiet, and says
/// what the quotas refused.
async fn forget_quiet_addresses(state: AppState) {
    let mut every_minute = tokio::time::interval(Duration::from_secs(60));
    loop {
        every_minute.tick().await;
        state.per_ip.forget_quiet();
        state.quotas.forget_quiet();
        let (events, chats) = state.quotas.take_refusals();
        if events > 0 || chats > 0 {
            tracing::warn!(
                activity_events = events,
                new_conversations = chats,
                "refused over quota in the last minute"
            );
        }
    }
}
