//! Conversations an agent looks up beside the live inbox: the shop's recently ended ones (the
//! console's "Closed" tab) and a shopper's earlier conversations (the context panel).
//!
//! `GET /v1/agent/conversations/closed`, `GET /v1/agent/conversations/{id}/earlier`.

use axum::Json;
use axum::extract::{Path, State};
use axum_extra::extract::CookieJar;
use checkout_chat_protocol::{ConversationId, ConversationSummary};

use super::error::ApiError;
use super::session::current_agent;
use crate::state::AppState;

/// Rows in the closed tab, and earlier conversations shown for a shopper.
const CLOSED_SHOWN: usize = 50;
const EARLIER_SHOWN: usize = 10;

pub async fn closed(State(state): State<AppState>, jar: CookieJar) -> Result<Json<Vec<ConversationSummary>>, ApiError> {
    let agent = current_agent(&state, &jar).await?;
    Ok(Json(state.storage.closed_conversations(&agent.shop_id, CLOSED_SHOWN).await?))
}

pub async fn earlier(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Json<Vec<ConversationSummary>>, ApiError> {
    let agent = current_agent(&state, &jar).await?;
    let not_found = ApiError::NotFound("no such conversation");
    let Ok(id) = ConversationId::new(id) else { return Err(not_found) };
    // Another shop's conversation is answered exactly like a missing one.
    match state.storage.conversation(&id).await? {
        Some(conversation) if conversation.shop_id == agent.shop_id => {
            Ok(Json(state.storage.earlier_conversations(&id, EARLIER_SHOWN).await?))
        }
        _ => Err(not_found),
    }
}
