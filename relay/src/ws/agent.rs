//! The agent's socket (`/v1/agent`), authenticated by the session cookie before the upgrade.
//! An agent sees and writes into the conversations of their own shop only.

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use checkout_chat_protocol::text::normalize_message;
use checkout_chat_protocol::{AgentFrame, Author, ClientId, ConversationId, ErrorCode, ServerFrame};

use super::{Connection, Handler, WsError, configure, run_session};
use crate::chat::{self, ChatError};
use crate::http::session::{check_same_origin, current_agent};
use crate::state::AppState;
use crate::storage::{AgentRecord, ConversationRecord};

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
    let session = AgentSession { agent };
    let sessions = state.sessions.clone();
    configure(upgrade).on_upgrade(move |socket| sessions.track_future(run_session(socket, state, session)))
}

struct AgentSession {
    agent: AgentRecord,
}

impl Handler for AgentSession {
    async fn on_start(&mut self, conn: &mut Connection) -> Result<(), WsError> {
        conn.follow_inbox(&self.agent.shop_id);
        let conversations = conn.state.storage.open_conversations(&self.agent.shop_id).await?;
        conn.send(&ServerFrame::AgentWelcome {
            agent: self.agent.profile(),
            shop: self.agent.shop_id.clone(),
            conversations,
        })
        .await
    }

    async fn on_text(&mut self, conn: &mut Connection, text: &str) -> Result<(), WsError> {
        let frame = AgentFrame::parse(text).map_err(|e| WsError::rejected(ErrorCode::BadFrame, e.to_string()))?;
        match frame {
            AgentFrame::Ping => conn.send(&ServerFrame::Pong).await,
            AgentFrame::Open { conversation_id, last_seq } => {
                self.own_conversation(conn, &conversation_id).await?;
                conn.follow(&conversation_id, last_seq).await
            }
            AgentFrame::Leave { conversation_id } => {
                conn.unfollow(&conversation_id);
                Ok(())
            }
            AgentFrame::Send { conversation_id, client_id, text } => {
                self.send(conn, &conversation_id, &client_id, &text).await.map_err(|e| e.for_message(&client_id))
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

    async fn send(
        &self,
        conn: &mut Connection,
        conversation_id: &ConversationId,
        client_id: &ClientId,
        text: &str,
    ) -> Result<(), WsError> {
        let conversation = self.own_conversation(conn, conversation_id).await?;
        // Checked before joining, so a bad message does not make the agent join.
        normalize_message(text).map_err(ChatError::from)?;
        let profile = self.agent.profile();
        if conversation.assigned_agent_id.as_ref() != Some(&profile.id) {
            chat::join(&conn.state, &conversation, &profile).await?;
        }
        let appended =
            chat::post_message(&conn.state, &conversation, Author::Agent(profile), client_id.clone(), text).await?;
        conn.send(&ServerFrame::Ack {
            client_id: client_id.clone(),
            conversation_id: conversation.id,
            seq: appended.event.seq,
        })
        .await
    }
}
