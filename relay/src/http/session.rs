//! Agent login, logout and "who am I", with the session in an HttpOnly, SameSite=Strict cookie.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::{Extension, Json};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use checkout_chat_protocol::api::{LoginRequest, Role, SessionInfo};

use super::error::ApiError;
use checkout_chat_protocol::limits::MAX_EMAIL_LEN;

use crate::accept::Peer;
use crate::auth;
use crate::ids::hash_token;
use crate::state::AppState;
use crate::storage::AgentRecord;

pub const SESSION_COOKIE: &str = "cc_session";

fn session_info(state: &AppState, agent: &AgentRecord) -> SessionInfo {
    SessionInfo {
        agent: agent.profile(),
        shop: agent.shop_id.clone(),
        role: agent.role,
        mail_configured: state.config.can_send_mail(),
    }
}

pub async fn login(
    State(state): State<AppState>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    jar: CookieJar,
    Json(request): Json<LoginRequest>,
) -> Result<(CookieJar, Json<SessionInfo>), ApiError> {
    check_same_origin(&headers)?;
    // An address longer than any email is refused before it can be remembered.
    if request.email.len() > MAX_EMAIL_LEN {
        return Err(ApiError::BadCredentials);
    }
    state.login_attempts.attempt(&request.email, peer.client_ip()).map_err(ApiError::too_many_attempts)?;
    let agent = auth::check_credentials(state.storage.as_ref(), &request.email, &request.password).await?;
    let token = auth::open_session(state.storage.as_ref(), &agent, state.config.session_hours).await?;
    let hours = i64::try_from(state.config.session_hours).unwrap_or(i64::MAX);
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies)
        .path("/")
        .max_age(time_hours(hours));
    tracing::info!(agent = %agent.email, "agent logged in");
    Ok((jar.add(cookie), Json(session_info(&state, &agent))))
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Result<CookieJar, ApiError> {
    check_same_origin(&headers)?;
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        auth::close_session(state.storage.as_ref(), cookie.value()).await?;
        // Sockets opened with this session close now, not at their next heartbeat.
        state.hub.revoke_session(hash_token(cookie.value()));
    }
    Ok(jar.remove(Cookie::build(SESSION_COOKIE).path("/")))
}

pub async fn me(State(state): State<AppState>, jar: CookieJar) -> Result<Json<SessionInfo>, ApiError> {
    let agent = current_agent(&state, &jar).await?;
    Ok(Json(session_info(&state, &agent)))
}

/// The agent whose session cookie came with the request.
pub async fn current_agent(state: &AppState, jar: &CookieJar) -> Result<AgentRecord, ApiError> {
    let token = jar.get(SESSION_COOKIE).ok_or(ApiError::NotLoggedIn)?;
    auth::session_agent(state.storage.as_ref(), token.value()).await?.ok_or(ApiError::NotLoggedIn)
}

/// The admin whose session cookie came with a request that changes something: same origin only.
pub async fn current_admin(state: &AppState, headers: &HeaderMap, jar: &CookieJar) -> Result<AgentRecord, ApiError> {
    check_same_origin(headers)?;
    let agent = current_agent(state, jar).await?;
    if agent.role == Role::Admin { Ok(agent) } else { Err(ApiError::AdminOnly) }
}

/// Refuses a browser request whose `Origin` is not this relay's own (cross-site request forgery,
/// or another site opening an agent socket). Requests without `Origin` come from non-browser
/// clients, which carry no ambient cookie authority to abuse.
pub fn check_same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let origin = origin.to_str().unwrap_or_default();
    let origin_host = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
    if origin_host == Some(host) && !host.is_empty() { Ok(()) } else { Err(ApiError::CrossOrigin) }
}

fn time_hours(hours: i64) -> time::Duration {
    time::Duration::hours(hours)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            map.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        map
    }

    #[test]
    fn same_origin_requests_pass_and_others_are_refused() {
        assert!(check_same_origin(&headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080")).is_ok());
        assert!(check_same_origin(&headers(None, "127.0.0.1:8080")).is_ok());
        assert!(check_same_origin(&headers(Some("http://evil.example"), "127.0.0.1:8080")).is_err());
        assert!(check_same_origin(&headers(Some("null"), "127.0.0.1:8080")).is_err());
    }
}
