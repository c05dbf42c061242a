//! The console's HTTP calls to the relay (same origin): login, logout, "who am I", the report,
//! canned responses, closed and earlier conversations, and the shop's accounts.

use checkout_chat_protocol::api::{
    AccountChange, AgentAccount, ApiErrorBody, CannedResponse, LoginRequest, NewAccount, SessionInfo,
};
use checkout_chat_protocol::{AgentId, ConversationId, ConversationSummary};
use gloo_net::http::{Request, Response};
use web_sys::RequestCredentials;

use checkout_chat_protocol::report::Report;
use checkout_chat_protocol::settings::{FieldProblem, InstallInfo, SettingsChange, ShopSettings};
use checkout_chat_rules::editing::RuleEntry;

use crate::i18n::t;

/// The logged-in agent, or `None` when there is no valid session.
pub async fn current_session() -> Result<Option<SessionInfo>, String> {
    let response = Request::get("/v1/agent/me").send().await.map_err(|e| e.to_string())?;
    match response.status() {
        200 => response.json().await.map(Some).map_err(|e| e.to_string()),
        401 => Ok(None),
        status => Err(format!("the relay answered {status}")),
    }
}

pub async fn login(email: String, password: String) -> Result<SessionInfo, String> {
    let request =
        Request::post("/v1/agent/login").json(&LoginRequest { email, password }).map_err(|e| e.to_string())?;
    let response = request.send().await.map_err(|_| t("The relay cannot be reached.").to_owned())?;
    if response.ok() {
        return response.json().await.map_err(|e| e.to_string());
    }
    Err(error_message(response, t("Login failed")).await)
}

/// The prompts report for sessions that began from day `from` to day `to` (`2026-11-01`; empty
/// for the relay's default, the last 30 days).
pub async fn report(from: &str, to: &str) -> Result<Report, String> {
    let query = [("from", from), ("to", to)].into_iter().filter(|(_, day)| !day.is_empty());
    let response = Request::get("/v1/agent/report")
        .query(query)
        .credentials(RequestCredentials::SameOrigin)
        .send()
        .await
        .map_err(|_| t("The relay cannot be reached.").to_owned())?;
    match response.status() {
        200 => response.json().await.map_err(|e| format!("{}: {e}", t("The report could not be read"))),
        401 => Err(t("Your session has ended: log in again to see the report.").to_owned()),
        _ => Err(error_message(response, t("The report could not be made")).await),
    }
}

/// The relay's own words for a failure (a bad date, say), else `fallback` and the status.
async fn error_message(response: Response, fallback: &str) -> String {
    match response.json::<ApiErrorBody>().await {
        Ok(body) => body.message,
        Err(_) => format!("{fallback} ({}).", response.status()),
    }
}

pub async fn logout() {
    // Whatever the answer, the console forgets the session; the cookie ends with it.
    let _ = Request::post("/v1/agent/logout").send().await;
}

/// The shop's canned responses.
pub async fn canned() -> Result<Vec<CannedResponse>, String> {
    get_json("/v1/agent/canned").await
}

/// Adds or replaces a canned response (admins), for shoppers of `lang` or (none) every language.
pub async fn save_canned(shortcut: &str, lang: Option<&str>, text: &str) -> Result<(), String> {
    let path = format!("/v1/agent/canned/{shortcut}");
    let body = serde_json::json!({ "text": text, "lang": lang });
    let request = Request::put(&path).json(&body).map_err(|e| e.to_string())?;
    expect_ok(request.send().await).await
}

pub async fn delete_canned(shortcut: &str, lang: Option<&str>) -> Result<(), String> {
    let path = format!("/v1/agent/canned/{shortcut}?lang={}", lang.unwrap_or_default());
    expect_ok(Request::delete(&path).send().await).await
}

/// The shop's recently ended conversations.
pub async fn closed_conversations() -> Result<Vec<ConversationSummary>, String> {
    get_json("/v1/agent/conversations/closed").await
}

/// The shopper's other conversations.
pub async fn earlier_conversations(id: &ConversationId) -> Result<Vec<ConversationSummary>, String> {
    get_json(&format!("/v1/agent/conversations/{id}/earlier")).await
}

/// The shop's settings (admins).
pub async fn settings() -> Result<ShopSettings, String> {
    get_json("/v1/admin/settings").await
}

/// Why settings were not saved: the fields that are wrong, or a sentence.
pub enum SettingsRefused {
    Fields(Vec<FieldProblem>),
    Other(String),
}

pub async fn save_settings(settings: &ShopSettings) -> Result<ShopSettings, SettingsRefused> {
    let request =
        Request::put("/v1/admin/settings").json(settings).map_err(|e| SettingsRefused::Other(e.to_string()))?;
    refused_or(request.send().await).await
}

/// The saved value the relay answers with, or why it refused (the fields, or a sentence).
async fn refused_or<T: serde::de::DeserializeOwned>(
    sent: Result<Response, gloo_net::Error>,
) -> Result<T, SettingsRefused> {
    let unreachable = || SettingsRefused::Other(t("The relay cannot be reached.").to_owned());
    let response = sent.map_err(|_| unreachable())?;
    if response.ok() {
        return response.json().await.map_err(|e| SettingsRefused::Other(e.to_string()));
    }
    let fallback = format!("{} ({}).", t("The change could not be saved"), response.status());
    match response.json::<ApiErrorBody>().await {
        Ok(body) if !body.problems.is_empty() => Err(SettingsRefused::Fields(body.problems)),
        Ok(body) => Err(SettingsRefused::Other(body.message)),
        Err(_) => Err(SettingsRefused::Other(fallback)),
    }
}

/// The shop's id and where its widget was seen (admins).
pub async fn install() -> Result<InstallInfo, String> {
    get_json("/v1/admin/install").await
}

/// The shop's proactive rules, each on or off (admins).
pub async fn rules() -> Result<Vec<RuleEntry>, String> {
    get_json("/v1/admin/rules").await
}

/// Replaces the shop's rules; a refusal names the rule's place and field.
pub async fn save_rules(rules: &[RuleEntry]) -> Result<Vec<RuleEntry>, SettingsRefused> {
    let request = Request::put("/v1/admin/rules").json(&rules).map_err(|e| SettingsRefused::Other(e.to_string()))?;
    refused_or(request.send().await).await
}

/// Who changed the shop's settings when, newest first (admins).
pub async fn settings_changes() -> Result<Vec<SettingsChange>, String> {
    get_json("/v1/admin/settings/changes").await
}

/// The shop's accounts (admins).
pub async fn accounts() -> Result<Vec<AgentAccount>, String> {
    get_json("/v1/admin/agents").await
}

pub async fn add_account(account: &NewAccount) -> Result<AgentAccount, String> {
    let request = Request::post("/v1/admin/agents").json(account).map_err(|e| e.to_string())?;
    let response = request.send().await.map_err(|_| t("The relay cannot be reached.").to_owned())?;
    if response.ok() {
        return response.json().await.map_err(|e| e.to_string());
    }
    Err(error_message(response, t("The account could not be added")).await)
}

pub async fn change_account(id: &AgentId, change: &AccountChange) -> Result<AgentAccount, String> {
    let request = Request::patch(&format!("/v1/admin/agents/{id}")).json(change).map_err(|e| e.to_string())?;
    let response = request.send().await.map_err(|_| t("The relay cannot be reached.").to_owned())?;
    if response.ok() {
        return response.json().await.map_err(|e| e.to_string());
    }
    Err(error_message(response, t("The change could not be saved")).await)
}

async fn get_json<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, String> {
    let response = Request::get(path).send().await.map_err(|_| t("The relay cannot be reached.").to_owned())?;
    if response.ok() {
        return response.json().await.map_err(|e| e.to_string());
    }
    Err(error_message(response, t("The relay refused")).await)
}

async fn expect_ok(sent: Result<Response, gloo_net::Error>) -> Result<(), String> {
    let response = sent.map_err(|_| t("The relay cannot be reached.").to_owned())?;
    if response.ok() { Ok(()) } else { Err(error_message(response, t("The relay refused")).await) }
}
