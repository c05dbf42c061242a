//! The shop's proactive rules, edited by its admins in the console: the whole list, each rule on
//! or off. Checked with the validator the relay runs on its configuration at start; a saved list
//! is recorded with who saved it and reaches every open shop page at once (the watcher gets the
//! rules anew in a `shop` frame).
//!
//! `GET /v1/admin/rules`, `PUT /v1/admin/rules`.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum_extra::extract::CookieJar;
use checkout_chat_protocol::settings::{FieldProblem, Problem};
use checkout_chat_rules::editing::{self, RuleEntry};

use super::error::ApiError;
use super::session::current_admin;
use crate::clock::now_ms;
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Json<Vec<RuleEntry>>, ApiError> {
    let admin = current_admin(&state, &headers, &jar).await?;
    let shop = super::settings::admins_shop(&state, &admin).await?;
    Ok(Json(shop.rule_entries.clone()))
}

pub async fn put(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Json(entries): Json<Vec<RuleEntry>>,
) -> Result<Json<Vec<RuleEntry>>, ApiError> {
    let admin = current_admin(&state, &headers, &jar).await?;
    if let Err((index, error)) = editing::check(&entries) {
        let field = format!("rules[{index}].{}", error.field);
        return Err(ApiError::Invalid(vec![FieldProblem { field, problem: Problem::Rule { message: error.problem } }]));
    }
    let by = admin.profile();
    let shop = state.shops.save_rules(state.storage.as_ref(), &admin.shop_id, entries, &by, now_ms()).await?;
    tracing::info!(admin = %admin.email, shop = %admin.shop_id, rules = shop.rule_entries.len(), "rules changed from the console");
    Ok(Json(shop.rule_entries.clone()))
}
