//! `GET /v1/agent/report?from=2026-11-01&to=2026-11-30`: the prompts report of the agent's shop,
//! as JSON for the console's report page.

use axum::Json;
use axum::extract::{Query, State};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::error::ApiError;
use super::session::current_agent;
use crate::clock::now_ms;
use crate::report::{self, Report};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn prompts(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<Report>, ApiError> {
    let agent = current_agent(&state, &jar).await?;
    let (from_ms, to_ms) =
        report::period(query.from.as_deref(), query.to.as_deref(), now_ms()).map_err(ApiError::BadRequest)?;
    let rules: Vec<String> = state
        .shops
        .get(&agent.shop_id)
        .map(|shop| shop.rules.iter().map(|r| r.id.clone()).collect())
        .unwrap_or_default();
    Ok(Json(report::build(state.storage.as_ref(), &agent.shop_id, &rules, from_ms, to_ms).await?))
}
