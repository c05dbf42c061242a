//! The agent's socket (`/v1/agent`), authenticated by the session cookie before the upgrade and
//! checked again on every heartbeat; logging out closes it at once. An agent sees and writes into
//! the conversations of their own shop only.

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use checkout_chat_protocol::text::MessageText;
use checkout_chat_protocol::{
    AgentFrame, Author, ClientId, ConversationId, ConversationStatus, ErrorCode, EventBody, ServerFrame,
};

use super::{Connection, Handler, WsError, accept, close_code};
use crate::activity;
use crate::auth;
use crate::chat::{self, ChatError};
use crate::http::session::{SESSION_COOKIE, check_same_origin, current_agent};
use crate::hub::Audience;
use crate::hub::PresenceGuard;
use crate::ids::hash_token;
use crate::routing;
use crate::state::AppState;
use crate::storage::{AgentRecord, ConversationRecord, NewEvent};

pub async fn upgrade(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // A cookie-authenticated socket must not be opened by another site's page.
    if let Err(error) = check_same_origin(&headers) {
        return error.into_response();
    }
    let agent = match current_agent(&state, &jar).await {
        Ok(agent) => agent,
        Err(error) => return error.into_response(),
    };
    let session_token = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    accept(state, upgrade, AgentSession { agent, session_token, online: None })
}

struct AgentSession {
    agent: AgentRecord,
    /// Re-checked on every heartbeat, so an ended session (logout, expiry, new password, a
    /// disabled account) ends the socket too.
    session_token: String,
    /// Counts this agent as online (shoppers see whether anyone is) while the socket lives.
    online: Option<PresenceGuard>,
}

fn session_ended() -> WsError {
    WsError::fatal(ErrorCode::Forbidden, close_code::POLICY, "the session has ended; log in again")
}

impl Handler for AgentSession {
    const VISITOR: bool = false;

    async fn on_start(&mut self, conn: &mut Connection) -> Result<(), WsError> {
        conn.follow_inbox(&self.agent.shop_id);
        conn.watch_session(hash_token(&self.session_token));
        self.online = Some(conn.state.hub.agent_online(&self.agent.shop_id, &self.agent.id));
        // With an agent online, waiting shoppers may now get an estimate.
        routing::announce_queue_quietly(&conn.state, &self.agent.shop_id).await;
        let conversations = conn.state.storage.open_conversations(&self.agent.shop_id).await?;
        let welcome =
            ServerFrame::AgentWelcome { agent: self.agent.profile(), shop: self.agent.shop_id.clone(), conversations };
        conn.send(&welcome).await.map_err(WsError::ending)
    }

    async fn on_heartbeat(&mut self, conn: &mut Connection) -> Result<(), WsError> {
        match auth::session_agent(conn.state.storage.as_ref(), &self.session_token).await {
            Ok(Some(agent)) if agent.id == self.agent.id => Ok(()),
            Ok(_) => Err(session_ended()),
            // Storage trouble is not the agent's fault; check again next time.
            Err(_) => Ok(()),
        }
    }

    fn on_session_revoked(&mut self) -> WsError {
        session_ended()
    }

    async fn on_text(&mut self, conn: &mut Connection, text: &str) -> Result<(), WsError> {
        let frame = AgentFrame::parse(text).map_err(|e| WsError::rejected(ErrorCode::BadFrame, e.to_string()))?;
        match frame {
            AgentFrame::Ping => conn.send(&ServerFrame::Pong).await,
            AgentFrame::Open { conversation_id, last_seq } => {
                let conversation = self.own_conversation(conn, &conversation_id).await?;
                conn.follow(&conversation_id, last_seq.min(conversation.last_seq)).await?;
                // The shopper's cart, steps and pages so far; what follows comes live.
                conn.send(&activity::history_for_agents(&conn.state, &conversation_id).await?).await
            }
            AgentFrame::Leave { conversation_id } => {
                conn.unfollow(&conversation_id);
                Ok(())
            }
            AgentFrame::Send { conversation_id, client_id, text } => {
                self.send(conn, &conversation_id, &client_id, &text).await.map_err(|e| e.for_message(&client_id))
            }
            AgentFrame::Typing { conversation_id, typing } => {
                let conversation = self.own_conversation(conn, &conversation_id).await?;
                let author = Author::Agent(self.agent.profile());
                let frame = ServerFrame::Typing { conversation_id: conversation.id.clone(), author, typing };
                conn.state.hub.publish_notice(&conversation.id, frame, Audience::Everyone);
                Ok(())
            }
            AgentFrame::Note { conversation_id, client_id, text } => {
                self.note(conn, &conversation_id, &client_id, &text).await.map_err(|e| e.for_message(&client_id))
            }
            AgentFrame::Close { conversation_id } => {
                let conversation = self.own_conversation(conn, &conversation_id).await?;
                if conversation.status == ConversationStatus::Closed {
                    return Ok(());
                }
                let event =
                    NewEvent { author: Author::Agent(self.agent.profile()), client_id: None, body: EventBody::Closed };
                chat::post(&conn.state, &conversation, event).await?;
                Ok(())
            }
        }
    }
}

impl AgentSession {
    /// The conversation, if it belongs to the agent's shop. Another shop's conversation is
    /// reported exactly like a missing one, so its existence is not revealed.
    async fn own_conversation(&self, conn: &Connection, id: &ConversationId) -> Result<ConversationRecord, WsError> {
        conn.state
            .storage
            .conversation(id)
            .await?
            .filter(|c| c.shop_id == self.agent.shop_id)
            .ok_or_else(|| WsError::rejected(ErrorCode::NotFound, "no such conversation"))
    }

    /// An internal note: stored in the conversation for agents (no join: writing a note does not
    /// take the conversation), never shown to the shopper.
    async fn note(
        &self,
        conn: &mut Connection,
        conversation_id: &ConversationId,
        client_id: &ClientId,
        text: &str,
    ) -> Result<(), WsError> {
        let conversation = self.own_conversation(conn, conversation_id).await?;
        let text = MessageText::new(text).map_err(ChatError::from)?;
        let event = NewEvent {
            author: Author::Agent(self.agent.profile()),
            client_id: Some(client_id.clone()),
            body: EventBody::Note { text: text.into_string() },
        };
        let seq = chat::post(&conn.state, &conversation, event).await?.event.seq;
        conn.send(&ServerFrame::Ack { client_id: client_id.clone(), conversation_id: conversation.id, seq }).await
    }

    async fn send(
        &self,
        conn: &mut Connection,
        conversation_id: &ConversationId,
        client_id: &ClientId,
        text: &str,
    ) -> Result<(), WsError> {
        let conversation = self.own_conversation(conn, conversation_id).await?;
        let text = MessageText::new(text).map_err(ChatError::from)?;
        // A resend is answered before anything else, so it cannot make the agent (re)join.
        let seq = match conn.state.storage.event_by_client_id(conversation_id, client_id).await? {
            Some(stored) => stored.seq,
            None => {
                let profile = self.agent.profile();
                if conversation.assigned_agent_id.as_ref() != Some(&profile.id) {
                    chat::join(&conn.state, &conversation, &profile).await?;
                }
                let author = Author::Agent(profile);
                chat::post_message(&conn.state, &conversation, author, client_id.clone(), text).await?.event.seq
            }
        };
        conn.send(&ServerFrame::Ack { client_id: client_id.clone(), conversation_id: conversation.id, seq }).await
    }
}
