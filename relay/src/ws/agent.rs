//! The agent's socket (`/v1/agent`), authenticated by the session cookie before the upgrade and
//! checked again on every heartbeat; logging out closes it at once. An agent sees and writes into
//! the conversations of their own shop only.

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use checkout_chat_protocol::text::MessageText;
use std::collections::HashMap;

use checkout_chat_protocol::api::Role;
use checkout_chat_protocol::refusals;
use checkout_chat_protocol::{
    AgentFrame, AgentId, AgentProfile, AgentStatus, Author, ClientId, ConversationId, ConversationStatus, ErrorCode,
    EventBody, ServerFrame, TransferTo,
};

use super::{Connection, Handler, WsError, accept, close_code};
use crate::accept::Peer;
use crate::activity;
use crate::auth;
use crate::chat::{self, ChatError};
use crate::http::session::{SESSION_COOKIE, check_same_origin, current_agent};
use crate::hub::Audience;
use crate::hub::PresenceGuard;
use crate::ids::hash_token;
use crate::inbox;
use crate::routing;
use crate::state::AppState;
use crate::storage::{AgentRecord, ConversationRecord, NewEvent};

pub async fn upgrade(
    State(state): State<AppState>,
    Extension(peer): Extension<Peer>,
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
    accept(state, upgrade, &peer, AgentSession { agent, session_token, online: None })
}

struct AgentSession {
    agent: AgentRecord,
    /// Re-checked on every heartbeat, so an ended session (logout, expiry, new password, a
    /// disabled account) ends the socket too.
    session_token: String,
    /// Counts this agent as online (shoppers see whether anyone is) while the socket lives.
    online: Option<PresenceGuard>,
}

fn invalid(message: &str) -> WsError {
    WsError::rejected(ErrorCode::BadFrame, message)
}

fn session_ended() -> WsError {
    WsError::fatal(ErrorCode::Forbidden, close_code::POLICY, "the session has ended; log in again")
}

impl Handler for AgentSession {
    const VISITOR: bool = false;

    async fn on_start(&mut self, conn: &mut Connection) -> Result<(), WsError> {
        let shop = self.agent.shop_id.clone();
        conn.follow_inbox(&shop, &self.agent.id);
        conn.watch_session(hash_token(&self.session_token), self.agent.id.clone());
        conn.watch_team(&shop);
        self.online = Some(conn.state.hub.agent_online(&shop, &self.agent));
        // With an agent online, waiting shoppers are assigned, or at least get an estimate.
        routing::rebalance(&conn.state, &shop).await;
        // The first page of each tab, not the whole inbox: a shop flooded with chats once made
        // this frame larger than a socket can carry, and no console of the shop could connect.
        let inbox = inbox::start(&conn.state, &shop, &self.agent.id).await?;
        let welcome = ServerFrame::AgentWelcome { agent: self.agent.profile(), shop: shop.clone(), inbox };
        conn.send(&welcome).await.map_err(WsError::ending)?;
        let team = routing::team_frame(&conn.state, &shop).await?;
        conn.send_shared(&team).await.map_err(WsError::ending)
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
                // A conversation this socket follows was checked to be the shop's when it was
                // opened; typing comes with every message, so it is not read again from storage.
                if !conn.follows(&conversation_id) {
                    self.own_conversation(conn, &conversation_id).await?;
                }
                let author = Author::Agent(self.agent.profile());
                let frame = ServerFrame::Typing { conversation_id: conversation_id.clone(), author, typing };
                conn.state.hub.publish_notice(&conversation_id, frame, Audience::Everyone);
                Ok(())
            }
            AgentFrame::Note { conversation_id, client_id, text } => {
                self.note(conn, &conversation_id, &client_id, &text).await.map_err(|e| e.for_message(&client_id))
            }
            AgentFrame::Claim { conversation_id } => self.claim(conn, &conversation_id).await,
            AgentFrame::Block { conversation_id } => self.block(conn, &conversation_id).await,
            AgentFrame::Transfer { conversation_id, to, note } => {
                self.transfer(conn, &conversation_id, &to, note.as_deref()).await
            }
            AgentFrame::SetStatus { status } => self.set_status(conn, status).await,
            AgentFrame::LoadInbox { tab, after } => {
                let page = inbox::next_page(&conn.state, &self.agent.shop_id, &self.agent.id, tab, &after).await?;
                conn.send(&page).await
            }
            AgentFrame::Close { conversation_id } => {
                let conversation = self.own_conversation(conn, &conversation_id).await?;
                if conversation.status == ConversationStatus::Closed {
                    return Ok(());
                }
                let event = NewEvent {
                    author: Author::Agent(self.agent.profile()),
                    client_id: None,
                    body: EventBody::Closed { reason: None },
                };
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
            .ok_or_else(|| WsError::rejected(ErrorCode::NotFound, refusals::NO_CONVERSATION))
    }

    /// Takes a waiting conversation, whatever the agent's load (claiming is their choice).
    async fn claim(&self, conn: &mut Connection, id: &ConversationId) -> Result<(), WsError> {
        let conversation = self.own_conversation(conn, id).await?;
        if conversation.assigned_agent_id.as_ref() == Some(&self.agent.id) {
            return Ok(());
        }
        match conn.state.storage.assign_if_waiting(id, &self.agent.profile()).await? {
            Some(joined) => {
                chat::after_append(&conn.state, &self.agent.shop_id, &joined).await;
                Ok(())
            }
            None if conversation.status == ConversationStatus::Closed => {
                Err(WsError::rejected(ErrorCode::ConversationClosed, refusals::ENDED))
            }
            None => Err(WsError::rejected(ErrorCode::Forbidden, refusals::TAKEN)),
        }
    }

    /// Marks the shopper as spam: their token opens nothing any more, the address they are
    /// connected from starts no conversation for a while, and the conversation ends (so it
    /// leaves the queue and every inbox's Waiting tab).
    async fn block(&self, conn: &mut Connection, id: &ConversationId) -> Result<(), WsError> {
        let conversation = self.own_conversation(conn, id).await?;
        conn.state.storage.block_visitor(&conversation.visitor_id).await?;
        if let Some(address) = conn.state.hub.visitor_address(id) {
            conn.state.quotas.block(address);
        }
        tracing::info!(agent = %self.agent.email, conversation = %id, "a shopper was blocked as spam");
        if conversation.status != ConversationStatus::Closed {
            let author = Author::Agent(self.agent.profile());
            chat::post(
                &conn.state,
                &conversation,
                NewEvent { author, client_id: None, body: EventBody::Closed { reason: None } },
            )
            .await?;
        }
        Ok(())
    }

    /// Hands the conversation to a colleague (or the least busy supervisor online) with a note.
    async fn transfer(
        &self,
        conn: &mut Connection,
        id: &ConversationId,
        to: &TransferTo,
        note: Option<&str>,
    ) -> Result<(), WsError> {
        let conversation = self.own_conversation(conn, id).await?;
        let target = self.transfer_target(conn, to).await?;
        let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
            Some(note) => Some(MessageText::new(note).map_err(ChatError::from)?.into_string()),
            None => None,
        };
        let shop = &self.agent.shop_id;
        let moved = conn.state.storage.transfer(&conversation.id, &self.agent.profile(), &target, note).await?;
        for appended in &moved {
            chat::after_append(&conn.state, shop, appended).await;
        }
        Ok(())
    }

    async fn transfer_target(&self, conn: &Connection, to: &TransferTo) -> Result<AgentProfile, WsError> {
        let state = &conn.state;
        let shop = &self.agent.shop_id;
        match to {
            TransferTo::Agent(id) if *id == self.agent.id => Err(invalid(refusals::ALREADY_YOURS)),
            TransferTo::Agent(id) => {
                let colleague = state.storage.agent_by_id(id).await?.filter(|a| a.shop_id == *shop && !a.disabled);
                let colleague = colleague.ok_or_else(|| WsError::rejected(ErrorCode::NotFound, refusals::NO_AGENT))?;
                if !routing::is_reachable(state, shop, id) {
                    return Err(WsError::rejected(
                        ErrorCode::Unavailable,
                        format!("{}{}", colleague.name, refusals::IS_OFFLINE),
                    ));
                }
                Ok(colleague.profile())
            }
            TransferTo::Supervisor => {
                let loads: HashMap<AgentId, u32> = state.storage.agent_loads(shop).await?.into_iter().collect();
                let supervisors = state.hub.connected_agents(shop).into_iter();
                let supervisors = supervisors.filter(|a| a.role == Role::Admin && a.profile.id != self.agent.id);
                supervisors
                    .min_by_key(|a| loads.get(&a.profile.id).copied().unwrap_or(0))
                    .map(|a| a.profile)
                    .ok_or_else(|| WsError::rejected(ErrorCode::Unavailable, refusals::NO_SUPERVISOR))
            }
        }
    }

    async fn set_status(&self, conn: &mut Connection, status: AgentStatus) -> Result<(), WsError> {
        if status == AgentStatus::Offline {
            return Err(invalid("offline is not chosen: log out or close the console"));
        }
        conn.state.hub.set_agent_status(&self.agent.shop_id, &self.agent.id, status);
        if status == AgentStatus::Online {
            routing::rebalance(&conn.state, &self.agent.shop_id).await;
        }
        Ok(())
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
        let stored = chat::post(&conn.state, &conversation, event).await?.event;
        conn.ack(client_id, &stored).await
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
        let profile = self.agent.profile();
        if conversation.assigned_agent_id.as_ref() != Some(&profile.id) {
            // A resend is answered before anything else, so it cannot make the agent (re)join.
            if let Some(stored) = conn.state.storage.event_by_client_id(conversation_id, client_id).await? {
                return conn.ack(client_id, &stored).await;
            }
            // Answering a waiting chat takes it; a colleague's chat is theirs, as `claim` says.
            // An admin may step in (a supervisor taking over).
            if conversation.assigned_agent_id.is_some() && self.agent.role != Role::Admin {
                return Err(WsError::rejected(ErrorCode::Forbidden, refusals::TAKEN));
            }
            chat::join(&conn.state, &conversation, &profile).await?;
        }
        // Storing recognises a resend by its client id (and forwards nothing then).
        let author = Author::Agent(profile);
        let stored = chat::post_message(&conn.state, &conversation, author, client_id.clone(), text).await?.event;
        conn.ack(client_id, &stored).await
    }
}
