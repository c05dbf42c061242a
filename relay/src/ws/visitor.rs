//! The shopper's socket (`/v1/visitor`): `hello` proves who the visitor is, then messages go
//! into their one open conversation, which their first message starts.

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use checkout_chat_protocol::text::MessageText;
use checkout_chat_protocol::{Author, ClientId, ErrorCode, ServerFrame, VisitorFrame, VisitorHello, VisitorToken};

use super::{Connection, Handler, WsError, accept, close_code};
use crate::chat::{self, ChatError};
use crate::config::ShopConfig;
use crate::ids::{hash_token, random_token};
use crate::state::AppState;
use crate::storage::{ConversationRecord, VisitorRecord};

pub async fn upgrade(State(state): State<AppState>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    accept(state, upgrade, VisitorSession { origin, identity: None, conversation: None })
}

struct VisitorSession {
    /// The page's origin, checked against the shop's allowed origins at `hello`.
    origin: Option<String>,
    /// Set by a successful `hello`.
    identity: Option<(ShopConfig, VisitorRecord)>,
    /// The conversation this socket follows; none until the visitor first writes.
    conversation: Option<ConversationRecord>,
}

impl Handler for VisitorSession {
    async fn on_text(&mut self, conn: &mut Connection, text: &str) -> Result<(), WsError> {
        let frame = VisitorFrame::parse(text).map_err(|e| WsError::rejected(ErrorCode::BadFrame, e.to_string()))?;
        match (frame, self.identity.is_some()) {
            (VisitorFrame::Ping, _) => conn.send(&ServerFrame::Pong).await,
            // The client is live only after a welcome, and reconnecting is how it tries again:
            // so a hello that cannot be answered ends the connection rather than leaving it idle.
            (VisitorFrame::Hello(hello), false) => self.hello(conn, hello).await.map_err(WsError::ending),
            (VisitorFrame::Hello(_), true) => {
                Err(WsError::rejected(ErrorCode::HelloExpected, "hello was already sent"))
            }
            (VisitorFrame::Send { .. }, false) => Err(WsError::rejected(ErrorCode::HelloExpected, "send hello first")),
            (VisitorFrame::Send { client_id, text }, true) => {
                self.send(conn, &client_id, &text).await.map_err(|e| e.for_message(&client_id))
            }
        }
    }
}

fn forbidden(reason: &str) -> WsError {
    WsError::fatal(ErrorCode::Forbidden, close_code::POLICY, reason)
}

impl VisitorSession {
    async fn hello(&mut self, conn: &mut Connection, hello: VisitorHello) -> Result<(), WsError> {
        let state = conn.state.clone();
        let shop = state
            .config
            .shop(&hello.shop)
            .cloned()
            .ok_or_else(|| WsError::fatal(ErrorCode::UnknownShop, close_code::POLICY, "unknown shop"))?;
        if !shop.allows_origin(self.origin.as_deref()) {
            return Err(WsError::fatal(
                ErrorCode::OriginNotAllowed,
                close_code::POLICY,
                "this page may not open this shop's chat",
            ));
        }
        let known = match &hello.token {
            Some(token) => state.storage.visitor_by_token(&shop.id, hash_token(token.as_str())).await?,
            None => None,
        };
        let (visitor, token) = match (known, hello.token) {
            (Some(visitor), Some(token)) => (visitor, token),
            // A conversation can only be reopened with the token it was started with.
            _ if hello.conversation_id.is_some() => {
                return Err(forbidden("this token does not open that conversation"));
            }
            // No token, or one this relay does not know (its database was reset): a new visitor.
            _ => {
                let token = random_token();
                let visitor = state.storage.create_visitor(&shop.id, hash_token(&token)).await?;
                let token =
                    VisitorToken::new(token).map_err(|e| WsError::rejected(ErrorCode::Unavailable, e.to_string()))?;
                (visitor, token)
            }
        };
        let conversation = match &hello.conversation_id {
            Some(id) => {
                let found = state.storage.conversation(id).await?;
                let owned = found.filter(|c| c.visitor_id == visitor.id && c.shop_id == shop.id);
                Some(owned.ok_or_else(|| forbidden("this token does not open that conversation"))?)
            }
            None => state.storage.open_conversation_of(&visitor.id).await?,
        };
        conn.send(&ServerFrame::Welcome {
            token,
            visitor_id: visitor.id.clone(),
            shop_name: shop.name.clone(),
            conversation_id: conversation.as_ref().map(|c| c.id.clone()),
        })
        .await?;
        self.identity = Some((shop, visitor));
        if let Some(conversation) = conversation {
            // A client cannot have seen more than is stored; if it claims so (the database went
            // back in time), it gets the real position in `synced` and drops the rest.
            conn.follow(&conversation.id, hello.last_seq.min(conversation.last_seq)).await?;
            self.conversation = Some(conversation);
        }
        Ok(())
    }

    async fn send(&mut self, conn: &mut Connection, client_id: &ClientId, text: &str) -> Result<(), WsError> {
        // Checked before a conversation is started for it, so a bad first message starts nothing.
        let text = MessageText::new(text).map_err(ChatError::from)?;
        let conversation = match &self.conversation {
            Some(conversation) => conversation.clone(),
            None => self.start_conversation(conn).await?,
        };
        let appended = chat::post_message(&conn.state, &conversation, Author::Visitor, client_id.clone(), text).await?;
        conn.send(&ServerFrame::Ack {
            client_id: client_id.clone(),
            conversation_id: conversation.id,
            seq: appended.event.seq,
        })
        .await
    }

    /// Follows the visitor's open conversation, starting one if there is none. Another tab of
    /// the same visitor may have started it already: then this socket replays it from the start.
    async fn start_conversation(&mut self, conn: &mut Connection) -> Result<ConversationRecord, WsError> {
        let Some((shop, visitor)) = &self.identity else {
            return Err(WsError::rejected(ErrorCode::HelloExpected, "send hello first"));
        };
        let conversation = conn.state.storage.open_or_create_conversation(&shop.id, &visitor.id).await?;
        conn.follow(&conversation.id, 0).await?;
        // Only once followed: if following failed, the next message tries again.
        self.conversation = Some(conversation.clone());
        Ok(conversation)
    }
}
