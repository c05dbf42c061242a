//! The console's HTTP calls to the relay (same origin): login, logout, "who am I", the report.

use checkout_chat_protocol::api::{ApiErrorBody, LoginRequest, SessionInfo};
use gloo_net::http::{Request, Response};
use web_sys::RequestCredentials;

use checkout_chat_protocol::report::Report;

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
    let response = request.send().await.map_err(|_| "The relay cannot be reached.".to_owned())?;
    if response.ok() {
        return response.json().await.map_err(|e| e.to_string());
    }
    Err(error_message(response, "Login failed").await)
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
        .map_err(|_| "The relay cannot be reached.".to_owned())?;
    match response.status() {
        200 => response.json().await.map_err(|e| format!("The report could not be read: {e}")),
        401 => Err("Your session has ended: log in again to see the report.".to_owned()),
        _ => Err(error_message(response, "The report could not be made").await),
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
