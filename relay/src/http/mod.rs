//! HTTP routes: the two WebSocket endpoints, agent login, the console's lookups (report, canned
//! responses, closed and earlier conversations), account management, health, and the static
//! front end.

pub mod admin;
pub mod assets;
pub mod canned;
pub mod conversations;
pub mod error;
pub mod report;
pub mod rules;
pub mod security_headers;
pub mod session;
pub mod settings;

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::state::AppState;
use crate::ws;

/// How long a request may take, reading its body included: a client dribbling a body byte by
/// byte holds its connection no longer. (A WebSocket's life is not a request's: the upgrade is
/// answered at once.)
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/visitor", get(ws::visitor::upgrade))
        .route("/v1/agent", get(ws::agent::upgrade))
        .route("/v1/agent/login", post(session::login))
        .route("/v1/agent/logout", post(session::logout))
        .route("/v1/agent/me", get(session::me))
        .route("/v1/agent/report", get(report::prompts))
        .route("/v1/agent/canned", get(canned::list))
        .route("/v1/agent/canned/{shortcut}", put(canned::put).delete(canned::delete))
        .route("/v1/agent/conversations/closed", get(conversations::closed))
        .route("/v1/agent/conversations/{id}/earlier", get(conversations::earlier))
        .route("/v1/admin/agents", get(admin::list).post(admin::add))
        .route("/v1/admin/agents/{id}", patch(admin::change))
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/admin/settings", get(settings::get).put(settings::put))
        .route("/v1/admin/settings/changes", get(settings::changes))
        .route("/v1/admin/rules", get(rules::get).put(rules::put))
        .route("/v1/admin/install", get(settings::install))
        .merge(assets::routes(&state.config, &state.shops))
        .layer(axum::middleware::from_fn(security_headers::every_answer))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
