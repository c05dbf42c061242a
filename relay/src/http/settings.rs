//! The shop's settings, edited by its admins in the console: the widget's name, texts, colour
//! and corner, whether the shop is away, and the origins allowed to open it. A change is stored
//! with who made it and reaches every open widget of the shop at once (see [`crate::shops`]).
//!
//! `GET /v1/admin/settings`, `PUT /v1/admin/settings`, `GET /v1/admin/settings/changes`, and the
//! install page's `GET /v1/admin/install`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum_extra::extract::CookieJar;
use checkout_chat_protocol::settings::{InstallInfo, SeenOrigin, SettingsChange, ShopSettings};

use super::error::ApiError;
use super::session::current_admin;
use crate::clock::now_ms;
use crate::shops::SettingsError;
use crate::shops::Shop;
use crate::state::AppState;
use crate::storage::{AgentRecord, ShopChange};

/// The history an admin is shown: enough to trace a recent dip to a change.
const CHANGES_SHOWN: usize = 100;

pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Json<ShopSettings>, ApiError> {
    let admin = current_admin(&state, &headers, &jar).await?;
    let shop = admins_shop(&state, &admin).await?;
    Ok(Json(shop.settings.clone()))
}

pub async fn put(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Json(settings): Json<ShopSettings>,
) -> Result<Json<ShopSettings>, ApiError> {
    let admin = current_admin(&state, &headers, &jar).await?;
    let settings = settings.tidied();
    let problems = settings.problems();
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    let by = admin.profile();
    let shop = state.shops.save_settings(state.storage.as_ref(), &admin.shop_id, settings, &by, now_ms()).await?;
    tracing::info!(admin = %admin.email, shop = %admin.shop_id, "shop settings changed from the console");
    Ok(Json(shop.settings.clone()))
}

pub async fn changes(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Json<Vec<SettingsChange>>, ApiError> {
    let admin = current_admin(&state, &headers, &jar).await?;
    let changes = state.storage.shop_changes(&admin.shop_id, CHANGES_SHOWN).await?;
    Ok(Json(changes.into_iter().map(shown).collect()))
}

/// The install page: the shop's id for its snippet, and where its widget was seen.
pub async fn install(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Json<InstallInfo>, ApiError> {
    let admin = current_admin(&state, &headers, &jar).await?;
    let shop = admins_shop(&state, &admin).await?;
    let seen = state.storage.origins_seen(&admin.shop_id).await?;
    let seen = seen
        .into_iter()
        .map(|(origin, last_seen_ms)| SeenOrigin { allowed: shop.allows_origin(Some(&origin)), origin, last_seen_ms })
        .collect();
    Ok(Json(InstallInfo { shop: admin.shop_id, seen }))
}

/// The shop whose settings the admin `admin` manages (one added since the relay started too).
pub(super) async fn admins_shop(state: &AppState, admin: &AgentRecord) -> Result<Arc<Shop>, ApiError> {
    state.shops.find(state.storage.as_ref(), &admin.shop_id).await?.ok_or(ApiError::NotFound("no such shop"))
}

fn shown(change: ShopChange) -> SettingsChange {
    // Written by this relay as JSON; anything else shows as the text it is.
    let json = |text: String| serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    SettingsChange {
        section: change.section,
        at_ms: change.at_ms,
        by: change.agent,
        before: change.before.map(json),
        after: json(change.after),
    }
}

impl From<SettingsError> for ApiError {
    fn from(err: SettingsError) -> Self {
        match err {
            SettingsError::UnknownShop => ApiError::NotFound("no such shop"),
            SettingsError::Storage(err) => err.into(),
            SettingsError::Encode(err) => {
                tracing::error!(error = %err, "settings could not be encoded");
                ApiError::Unavailable
            }
        }
    }
}
