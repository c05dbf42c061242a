//! Start-up and shutdown: open storage, create the demo agent on a first run, listen, and on a
//! stop signal tell every connected client to reconnect (close code 1012) before exiting.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth;
use crate::config::Config;
use crate::http::router;
use crate::state::AppState;
use crate::storage::sqlite::SqliteStorage;

/// How long shutdown waits for WebSocket sessions to say goodbye.
const SESSION_DRAIN: Duration = Duration::from_secs(5);

/// Runs the relay until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
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
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    let address = listener.local_addr()?;
    let state = AppState::new(config, Arc::new(storage), shutdown.clone());
    // Tests and scripts wait for this exact line on stdout.
    println!("checkout-chat relay listening on http://{address}");
    tracing::info!("demo shop: http://{address}/  agent console: http://{address}/console");

    let sessions = state.sessions.clone();
    let deliverer = tokio::spawn(crate::mail::run_deliverer(state.clone()));
    let webhooks = tokio::spawn(crate::webhooks::run_deliverer(state.clone()));
    let sweeper = tokio::spawn(crate::routing::run_offline_sweeper(state.clone()));
    let forgetter = tokio::spawn(forget_quiet_addresses(state.clone()));
    // Chat frames are small and often written two at a time (an ack, then the event; an inbox
    // update, then the event): with Nagle's algorithm the second waits for the client's delayed
    // ACK, up to 40 ms. Node's `ws` turns it off too.
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY on a connection");
        }
    });
    // The peer's address is what the per-address limits count (see `crate::limits`).
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await?;
    sessions.close();
    deliverer.abort();
    webhooks.abort();
    sweeper.abort();
    forgetter.abort();
    if tokio::time::timeout(SESSION_DRAIN, sessions.wait()).await.is_err() {
        tracing::warn!("some WebSocket sessions did not close in time");
    }
    tracing::info!("relay stopped");
    Ok(())
}

/// Every minute, drops the frame-rate state of addresses that have been quiet.
async fn forget_quiet_addresses(state: AppState) {
    let mut every_minute = tokio::time::interval(Duration::from_secs(60));
    loop {
        every_minute.tick().await;
        state.per_ip.forget_quiet();
    }
}
