//! The console's HTTP calls to the relay (same origin): login, logout, "who am I".

use checkout_chat_protocol::api::{ApiErrorBody, LoginRequest, SessionInfo};
use gloo_net::http::Request;

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
    let message = match response.json::<ApiErrorBody>().await {
        Ok(body) => body.message,
        Err(_) => format!("Login failed ({}).", response.status()),
    };
    Err(message)
}

pub async fn logout() {
    // Whatever the answer, the console forgets the session; the cookie ends with it.
    let _ = Request::post("/v1/agent/logout").send().await;
}
