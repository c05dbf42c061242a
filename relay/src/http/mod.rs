//! HTTP routes: the two WebSocket endpoints, agent login, health, and the static front end.

pub mod assets;
pub mod error;
pub mod report;
pub mod session;

use axum::Router;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;

use crate::state::AppState;
use crate::ws;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/visitor", get(ws::visitor::upgrade))
        .route("/v1/agent", get(ws::agent::upgrade))
        .route("/v1/agent/login", post(session::login))
        .route("/v1/agent/logout", post(session::logout))
        .route("/v1/agent/me", get(session::me))
        .route("/v1/agent/report", get(report::prompts))
        .route("/healthz", get(|| async { "ok" }))
        .merge(assets::routes(&state.config))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
