//! The shop's accounts, managed by its admins from the console (the same as `relay agent …` on
//! the command line): list, add, and change role, capacity, password or whether they may log in.
//!
//! `GET /v1/admin/agents`, `POST /v1/admin/agents`, `PATCH /v1/admin/agents/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum_extra::extract::CookieJar;
use checkout_chat_protocol::AgentId;
use checkout_chat_protocol::api::{AccountChange, AgentAccount, DEFAULT_CAPACITY, MAX_CAPACITY, NewAccount, Role};
use checkout_chat_protocol::limits::{MAX_EMAIL_LEN, MAX_NAME_CHARS};
use checkout_chat_protocol::text::{is_plausible_email, normalize_name};

use super::error::ApiError;
use super::session::current_admin;
use crate::auth;
use crate::routing;
use crate::state::AppState;
use crate::storage::{AgentRecord, NewAgent};

fn account(agent: &AgentRecord) -> AgentAccount {
    AgentAccount {
        agent: agent.profile(),
        email: agent.email.clone(),
        role: agent.role,
        capacity: agent.capacity,
        disabled: agent.disabled,
    }
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Json<Vec<AgentAccount>>, ApiError> {
    let admin = current_admin(&state, &headers, &jar).await?;
    let agents = state.storage.agents(Some(&admin.shop_id)).await?;
    Ok(Json(agents.iter().map(account).collect()))
}

pub async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Json(request): Json<NewAccount>,
) -> Result<(StatusCode, Json<AgentAccount>), ApiError> {
    let admin = current_admin(&state, &headers, &jar).await?;
    let email = request.email.trim().to_owned();
    if email.len() > MAX_EMAIL_LEN || !is_plausible_email(&email) {
        return Err(ApiError::BadRequest("that is not an email address".into()));
    }
    // Shoppers see this name: no bidi overrides or invisible characters in it.
    let name = normalize_name(&request.name)
        .map_err(|_| ApiError::BadRequest(format!("the name must have 1 to {MAX_NAME_CHARS} visible characters")))?;
    let capacity = checked_capacity(request.capacity.unwrap_or(DEFAULT_CAPACITY))?;
    let password_hash = auth::hash_password(request.password).await?;
    let new = NewAgent { shop_id: admin.shop_id.clone(), email, name, password_hash, role: request.role, capacity };
    let created = state.storage.create_agent(new).await?;
    tracing::info!(admin = %admin.email, agent = %created.email, "agent added from the console");
    state.hub.team_changed(&admin.shop_id);
    Ok((StatusCode::CREATED, Json(account(&created))))
}

pub async fn change(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(id): Path<String>,
    Json(change): Json<AccountChange>,
) -> Result<Json<AgentAccount>, ApiError> {
    let admin = current_admin(&state, &headers, &jar).await?;
    let not_found = ApiError::NotFound("no such agent");
    let Ok(id) = AgentId::new(id) else { return Err(not_found) };
    // Another shop's account is answered exactly like a missing one.
    let agent = state.storage.agent_by_id(&id).await?.filter(|a| a.shop_id == admin.shop_id).ok_or(not_found)?;
    // An admin cannot lock themselves out (nor leave the shop without an admin that way).
    if agent.id == admin.id && (change.disabled == Some(true) || change.role == Some(Role::Agent)) {
        return Err(ApiError::BadRequest("you cannot disable or demote yourself; ask another admin".into()));
    }
    let sessions_end = change.password.is_some() || change.disabled == Some(true);
    if let Some(capacity) = change.capacity {
        state.storage.set_agent_capacity(&id, checked_capacity(capacity)?).await?;
    }
    if let Some(role) = change.role {
        state.storage.set_agent_role(&id, role).await?;
    }
    if let Some(password) = change.password {
        state.storage.set_agent_password(&agent.id, auth::hash_password(password).await?).await?;
    }
    if let Some(disabled) = change.disabled {
        state.storage.set_agent_disabled(&agent.id, disabled).await?;
    }
    // Storage ended the agent's sessions; their open consoles close now, not at a heartbeat.
    if sessions_end {
        state.hub.revoke_agent(agent.id.clone());
    }
    let changed = state.storage.agent_by_id(&id).await?.ok_or(ApiError::NotFound("no such agent"))?;
    tracing::info!(admin = %admin.email, agent = %changed.email, "agent changed from the console");
    state.hub.refresh_agent(&changed);
    state.hub.team_changed(&admin.shop_id);
    // More capacity (or an agent back) may take waiting shoppers now.
    routing::rebalance(&state, &admin.shop_id).await;
    Ok(Json(account(&changed)))
}

fn checked_capacity(capacity: u32) -> Result<u32, ApiError> {
    if (1..=MAX_CAPACITY).contains(&capacity) {
        Ok(capacity)
    } else {
        Err(ApiError::BadRequest(format!("capacity is from 1 to {MAX_CAPACITY}")))
    }
}
