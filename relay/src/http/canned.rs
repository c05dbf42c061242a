//! Canned responses of the agent's shop: every agent reads them (the console expands
//! `/shortcut` as they type); admins add, change and remove them.
//!
//! `GET /v1/agent/canned`, `PUT /v1/agent/canned/{shortcut}` with `{"text": …, "lang": "nl"}`
//! (no `lang`: the version for every language), `DELETE /v1/agent/canned/{shortcut}?lang=nl`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum_extra::extract::CookieJar;
use checkout_chat_protocol::api::{
    CannedResponse, MAX_CANNED_CHARS, MAX_SHORTCUT_LEN, is_valid_canned_lang, is_valid_shortcut,
};
use checkout_chat_protocol::text::normalize_message;
use serde::Deserialize;

use super::error::ApiError;
use super::session::{current_admin, current_agent};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedText {
    text: String,
    #[serde(default)]
    lang: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhichLanguage {
    #[serde(default)]
    lang: Option<String>,
}

pub async fn list(State(state): State<AppState>, jar: CookieJar) -> Result<Json<Vec<CannedResponse>>, ApiError> {
    let agent = current_agent(&state, &jar).await?;
    Ok(Json(state.storage.canned_responses(&agent.shop_id).await?))
}

pub async fn put(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(shortcut): Path<String>,
    Json(body): Json<CannedText>,
) -> Result<StatusCode, ApiError> {
    let admin = current_admin(&state, &headers, &jar).await?;
    let shortcut = checked_shortcut(shortcut)?;
    let text = normalize_message(&body.text)
        .ok()
        .filter(|text| text.chars().count() <= MAX_CANNED_CHARS)
        .ok_or_else(|| ApiError::BadRequest(format!("the text must have 1 to {MAX_CANNED_CHARS} characters")))?;
    let lang = checked_lang(body.lang)?;
    state.storage.put_canned_response(&admin.shop_id, CannedResponse { shortcut, text, lang }).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(shortcut): Path<String>,
    Query(which): Query<WhichLanguage>,
) -> Result<StatusCode, ApiError> {
    let admin = current_admin(&state, &headers, &jar).await?;
    let shortcut = checked_shortcut(shortcut)?;
    let lang = checked_lang(which.lang)?;
    if state.storage.delete_canned_response(&admin.shop_id, &shortcut, lang.as_deref()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no canned response with this shortcut"))
    }
}

fn checked_shortcut(shortcut: String) -> Result<String, ApiError> {
    if is_valid_shortcut(&shortcut) {
        Ok(shortcut)
    } else {
        Err(ApiError::BadRequest(format!("a shortcut has 1 to {MAX_SHORTCUT_LEN} characters: a-z, 0-9, - and _")))
    }
}

/// An empty language is the version for every language, as if none was given.
fn checked_lang(lang: Option<String>) -> Result<Option<String>, ApiError> {
    match lang.filter(|lang| !lang.is_empty()) {
        None => Ok(None),
        Some(lang) if is_valid_canned_lang(&lang) => Ok(Some(lang)),
        Some(_) => Err(ApiError::BadRequest("a language is two or three lowercase letters, like nl".into())),
    }
}
