//! The shopper's socket (`/v1/visitor`): `hello` proves who the visitor is, then messages go
//! into their one open conversation, which their first message starts (and, after an agent ended
//! it, their next message starts anew).

use std::sync::Arc;

use tokio::sync::watch;

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use checkout_chat_protocol::limits::MAX_COMMENT_CHARS;
use checkout_chat_protocol::text::{MessageText, is_plausible_email, mask_card_numbers, normalize_message};
use checkout_chat_protocol::{
    Author, ClientId, ConversationId, ConversationStatus, ErrorCode, EventBody, Identity, ServerFrame, ShopId,
    VisitorFrame, VisitorHello, VisitorToken,
};

use super::{Connection, Handler, WsError, accept, close_code};
use crate::accept::Peer;
use crate::activity;
use crate::chat::{self, ChatError};
use crate::clock::now_ms;
use crate::hub::Audience;
use crate::identity;
use crate::ids::{hash_hex, hash_token, random_token};
use crate::routing::{self, QueuePlace};
use crate::shops::Shop;
use crate::state::AppState;
use crate::storage::{Appended, ConversationRecord, IdentityUpdate, NewEvent, StorageError, TokenHash, VisitorRecord};

pub async fn upgrade(
    State(state): State<AppState>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let device = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(describe_device);
    let session = VisitorSession {
        origin,
        device,
        identity: None,
        token_hash: None,
        stored: false,
        session: None,
        activity_only: false,
        locale: None,
        conversation: None,
        here: None,
    };
    accept(state, upgrade, &peer, session)
}

/// The visitor's shop: its id, and the shop as it is now (an admin may change it while the
/// shopper is here). A receiver rather than a copy: a shop's rules and texts are kilobytes, and
/// an idle shopper's connection should cost a few.
struct ShopRef {
    id: ShopId,
    current: watch::Receiver<Arc<Shop>>,
}

impl ShopRef {
    /// The shop (one added since the relay started too), or none for an id no shop has.
    async fn find(state: &AppState, id: &ShopId) -> Result<Option<ShopRef>, WsError> {
        let found = state.shops.find(state.storage.as_ref(), id).await.map_err(|error| {
            tracing::error!(shop = %id, %error, "a shop's settings could not be read");
            WsError::rejected(ErrorCode::Unavailable, "the shop could not be read; try again")
        })?;
        Ok(found.and_then(|_| Some(ShopRef { id: id.clone(), current: state.shops.watch(id)? })))
    }

    fn now(&self) -> Arc<Shop> {
        Arc::clone(&self.current.borrow())
    }
}

struct VisitorSession {
    /// The page's origin, checked against the shop's allowed origins at `hello`.
    origin: Option<String>,
    /// The shopper's device and browser in a few words, for agents.
    device: Option<String>,
    /// Set by a successful `hello`.
    identity: Option<(ShopRef, VisitorRecord)>,
    /// The hash of the visitor's token, once `hello` has said who it is.
    token_hash: Option<TokenHash>,
    /// Whether the visitor is in storage: a new one is stored only when it first does something
    /// that needs it (activity, a message, an identity), so a `hello` alone writes nothing.
    stored: bool,
    /// The browser session the widget said it is in (none from an older widget).
    session: Option<ClientId>,
    /// The widget's watcher: only activity, no conversation.
    activity_only: bool,
    /// The shopper's language, as `hello` said.
    locale: Option<String>,
    /// The conversation this socket follows; none until the visitor first writes.
    conversation: Option<ConversationRecord>,
    /// This socket's presence in that conversation, for the queue.
    here: Option<QueuePlace>,
}

impl Handler for VisitorSession {
    const VISITOR: bool = true;

    fn introduced(&self) -> bool {
        self.identity.is_some()
    }

    async fn on_text(&mut self, conn: &mut Connection, text: &str) -> Result<(), WsError> {
        let frame = VisitorFrame::parse(text).map_err(|e| WsError::rejected(ErrorCode::BadFrame, e.to_string()))?;
        let frame = match frame {
            VisitorFrame::Ping => return conn.send(&ServerFrame::Pong).await,
            // The client is live only after a welcome, and reconnecting is how it tries again:
            // so a hello that cannot be answered ends the connection rather than leaving it idle.
            VisitorFrame::Hello(hello) if self.identity.is_none() => {
                return self.hello(conn, hello).await.map_err(WsError::ending);
            }
            VisitorFrame::Hello(_) => {
                return Err(WsError::rejected(ErrorCode::HelloExpected, "hello was already sent"));
            }
            _ if self.identity.is_none() => {
                return Err(WsError::rejected(ErrorCode::HelloExpected, "send hello first"));
            }
            frame @ VisitorFrame::Activity { .. } => frame,
            _ if self.activity_only => return Err(invalid("this socket only sends activity (activity_only)")),
            frame => frame,
        };
        match frame {
            VisitorFrame::Send { client_id, text, prompt } => {
                self.send(conn, &client_id, &text, prompt).await.map_err(|e| e.for_message(&client_id))
            }
            VisitorFrame::Activity { batch_id, events } => {
                if let Some((_, visitor)) = &self.identity {
                    // Before anything is stored for it: a refused flood writes nothing.
                    let quota = conn.state.quotas.activity(&visitor.id, conn.peer(), events.len(), text.len());
                    quota.map_err(|e| WsError::from(e).for_message(&batch_id))?;
                }
                self.ensure_stored(conn).await.map_err(|e| e.for_message(&batch_id))?;
                let Some(doer) = self.doer() else { return Err(invalid("activity needs session_id in hello")) };
                let shop = self.identity.as_ref().map(|(shop, _)| shop.now());
                let rules = shop.as_ref().map(|shop| shop.rules.as_slice()).unwrap_or_default();
                activity::record(&conn.state, &doer, rules, batch_id.clone(), events)
                    .await
                    .map_err(|e| WsError::from(e).for_message(&batch_id))?;
                conn.send(&ServerFrame::ActivityAck { batch_id }).await
            }
            VisitorFrame::Typing { typing } => {
                self.typing(conn, typing);
                Ok(())
            }
            VisitorFrame::Identify(identity) => self.identify(conn, &identity).await,
            VisitorFrame::Rate { client_id, score, comment } => {
                self.rate(conn, &client_id, score, comment).await.map_err(|e| e.for_message(&client_id))
            }
            VisitorFrame::LeaveMessage { client_id, email, text, prompt } => {
                self.leave_message(conn, &client_id, &email, &text, prompt).await.map_err(|e| e.for_message(&client_id))
            }
            VisitorFrame::EmailTranscript { client_id, email } => {
                self.email_transcript(conn, &client_id, &email).await.map_err(|e| e.for_message(&client_id))
            }
            VisitorFrame::Hello(_) | VisitorFrame::Ping => Ok(()),
        }
    }
}

/// A BCP 47 tag as browsers give them (`nl`, `pt-BR`, `zh-Hant-TW`): letters, digits, dashes.
/// The language of a locale as the widget picks its texts: `nl-BE` speaks `nl`.
fn language_of(locale: Option<&str>) -> String {
    let tag = locale.unwrap_or("en");
    tag.split(['-', '_']).next().unwrap_or(tag).to_ascii_lowercase()
}

fn is_language_tag(tag: &str) -> bool {
    (2..=35).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// "Phone · Safari · iOS" from a user agent: enough for an agent to picture the shopper's screen,
/// nothing that identifies them.
fn describe_device(user_agent: &str) -> String {
    let has = |needle: &str| user_agent.contains(needle);
    let form = if has("iPad") || has("Tablet") {
        "Tablet"
    } else if has("Mobi") || has("iPhone") || has("Android") {
        "Phone"
    } else {
        "Desktop"
    };
    let browser = if has("Edg/") {
        "Edge"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("CriOS/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else {
        "Other browser"
    };
    let system = if has("iPhone") || has("iPad") {
        "iOS"
    } else if has("Android") {
        "Android"
    } else if has("Windows") {
        "Windows"
    } else if has("Mac OS X") {
        "macOS"
    } else if has("Linux") {
        "Linux"
    } else {
        "other system"
    };
    format!("{form} · {browser} · {system}")
}

fn forbidden(reason: &str) -> WsError {
    WsError::fatal(ErrorCode::Forbidden, close_code::POLICY, reason)
}

fn invalid(message: &str) -> WsError {
    WsError::rejected(ErrorCode::BadFrame, message)
}

impl VisitorSession {
    async fn hello(&mut self, conn: &mut Connection, hello: VisitorHello) -> Result<(), WsError> {
        let state = conn.state.clone();
        let shop = ShopRef::find(&state, &hello.shop)
            .await?
            .ok_or_else(|| WsError::fatal(ErrorCode::UnknownShop, close_code::POLICY, "unknown shop"))?;
        // Before the check: the install page warns of an origin the shop does not allow.
        crate::installs::seen(&state, &shop.id, self.origin.as_deref());
        if !shop.now().allows_origin(self.origin.as_deref()) {
            return Err(WsError::fatal(
                ErrorCode::OriginNotAllowed,
                close_code::POLICY,
                "this page may not open this shop's chat",
            ));
        }
        let known = match &hello.token {
            Some(token) => {
                let hash = hash_token(token.as_str());
                match state.storage.visitor_by_token(&shop.id, hash).await? {
                    Some(visitor) => Some((visitor, true)),
                    None => state.unstored_visitors.find(&hash).filter(|v| v.shop_id == shop.id).map(|v| (v, false)),
                }
            }
            None => None,
        };
        let (visitor, token, stored) = match (known, hello.token) {
            // Marked as spam by an agent: refused for good (the widget stops trying).
            (Some((visitor, _)), _) if visitor.blocked => return Err(forbidden("this chat is not available")),
            (Some((visitor, stored)), Some(token)) => (visitor, token, stored),
            // A conversation can only be reopened with the token it was started with.
            _ if hello.conversation_id.is_some() => {
                return Err(forbidden("this token does not open that conversation"));
            }
            // No token, or one this relay does not know (its database was reset): a new visitor.
            _ => {
                state.quotas.new_visitor(conn.peer())?;
                let token = VisitorToken::new(random_token())
                    .map_err(|e| WsError::rejected(ErrorCode::Unavailable, e.to_string()))?;
                let visitor = VisitorRecord::new(&shop.id)?;
                state.unstored_visitors.remember(hash_token(token.as_str()), visitor.clone());
                (visitor, token, false)
            }
        };
        self.token_hash = Some(hash_token(token.as_str()));
        self.stored = stored;
        self.activity_only = hello.activity_only;
        self.locale = hello.locale.filter(|l| is_language_tag(l));
        let conversation = match &hello.conversation_id {
            // The watcher follows no conversation.
            _ if hello.activity_only => None,
            Some(id) => {
                let found = state.storage.conversation(id).await?;
                let owned = found.filter(|c| c.visitor_id == visitor.id && c.shop_id == shop.id);
                Some(owned.ok_or_else(|| forbidden("this token does not open that conversation"))?)
            }
            None => state.storage.open_conversation_of(&visitor.id).await?,
        };
        // Agents see the shopper's language and device in the conversation they have open.
        if conversation.is_some() && !self.activity_only {
            state.storage.set_visitor_client(&visitor.id, self.locale.clone(), self.device.clone()).await?;
        }
        let (shop_id, visitor_id) = (shop.id.clone(), visitor.id.clone());
        let lang = language_of(self.locale.as_deref());
        let face = conn.watch_shop(shop.current.clone(), lang);
        self.identity = Some((shop, visitor));
        // Without a session (an older widget) nothing is recorded for reports: a made-up one per
        // connection would count every page as a session of its own.
        self.session = hello.session_id;
        // Before the welcome: a visitor refused as another user must not be told anything of
        // theirs (not even the conversation id).
        if let Some(identity) = &hello.identity {
            // A claim that is not even well formed leaves the shopper anonymous, as a wrongly
            // signed one does; the widget checks the shape before sending, so this is rare.
            let update = self.check_identity(identity).unwrap_or(IdentityUpdate::Unverified);
            self.apply_identity(conn, identity, update).await?;
        }
        let agents_online = conn.watch_presence(&shop_id);
        conn.send(&ServerFrame::Welcome {
            token,
            visitor_id,
            shop: face,
            agents_online,
            mail: conn.state.config.can_send_mail(),
            conversation_id: conversation.as_ref().map(|c| c.id.clone()),
        })
        .await?;
        if let Some(conversation) = conversation {
            // A client cannot have seen more than is stored; if it claims so (the database went
            // back in time), it gets the real position in `synced` and drops the rest.
            conn.follow(&conversation.id, hello.last_seq.min(conversation.last_seq)).await?;
            self.here = Some(QueuePlace::take(&state, &shop_id, &conversation.id, conn.peer()));
            let waiting = conversation.status == ConversationStatus::Waiting;
            let id = conversation.id.clone();
            self.conversation = Some(conversation);
            if waiting {
                // This shopper at once; the others (whose places may change now that this one
                // is back) shortly, gathered with any other arrivals.
                self.tell_queue_place(conn, &shop_id, &id).await?;
                routing::rebalance_soon(&state, &shop_id);
            }
        }
        Ok(())
    }

    /// Tells this shopper their place in the queue (quietly skipped if storage cannot say: the
    /// queue is a courtesy).
    async fn tell_queue_place(
        &self,
        conn: &mut Connection,
        shop: &ShopId,
        conversation: &ConversationId,
    ) -> Result<(), WsError> {
        match routing::queue_notice_for(&conn.state, shop, conversation).await {
            Ok(Some(frame)) => conn.send(&frame).await,
            Ok(None) => Ok(()),
            Err(error) => {
                tracing::warn!(%error, %shop, "could not tell a shopper their place in the queue");
                Ok(())
            }
        }
    }

    async fn send(
        &mut self,
        conn: &mut Connection,
        client_id: &ClientId,
        text: &str,
        prompt: Option<String>,
    ) -> Result<(), WsError> {
        // Checked before a conversation is started for it, so a bad first message starts nothing.
        let text = MessageText::new(text).map_err(ChatError::from)?;
        let prompt = prompt.and_then(|rule_id| self.prompt_event(&rule_id));
        let body = EventBody::Message { text: text.into_string() };
        let appended = self.post_starting_if_needed(conn, client_id, body, prompt).await?;
        conn.ack(client_id, &appended.event).await
    }

    /// Stores a shopper's event in their conversation, starting one if there is none. One that has
    /// ended opens again (same history, its last agent when they can take it); a new one starts
    /// only if the shopper has another conversation open meanwhile.
    async fn post_starting_if_needed(
        &mut self,
        conn: &mut Connection,
        client_id: &ClientId,
        body: EventBody,
        prompt: Option<EventBody>,
    ) -> Result<Appended, WsError> {
        let conversation = match &self.conversation {
            Some(conversation) => conversation.clone(),
            None => self.start_conversation(conn).await?,
        };
        let event = NewEvent { author: Author::Visitor, client_id: Some(client_id.clone()), body };
        let mut reopened = false;
        let appended = match self.post_with_prompt(conn, &conversation, &event, &prompt, false).await {
            Err(WsError::Rejected { code: ErrorCode::ConversationClosed, .. }) => {
                self.refuse_if_blocked(conn).await?;
                let next = match chat::reopen(&conn.state, &conversation.id).await {
                    Ok(again) => {
                        reopened = true;
                        again
                    }
                    // Another tab reopened it first.
                    Err(ChatError::Storage(StorageError::NotClosed)) => conversation.clone(),
                    // Ended too long ago, or the shopper has another conversation open.
                    Err(ChatError::Storage(StorageError::ConversationClosed)) => self.start_conversation(conn).await?,
                    Err(other) => return Err(other.into()),
                };
                self.conversation = Some(next.clone());
                self.post_with_prompt(conn, &next, &event, &prompt, reopened).await?
            }
            result => result?,
        };
        // The shopper's first words start the chat: counted once for reports (a resend of them
        // is a duplicate and does not get here); so do words that reopen it answering a prompt.
        let first = !appended.duplicate && (appended.event.seq <= 2 || (reopened && prompt.is_some()));
        if first && let Some(doer) = self.doer() {
            let rule_id = match prompt {
                Some(EventBody::Prompted { rule_id, .. }) => Some(rule_id),
                _ => None,
            };
            // The chat itself is stored; a failure here costs only a count in the report.
            if let Err(error) =
                activity::chat_started(&conn.state, &doer, &appended.event.conversation_id, rule_id).await
            {
                tracing::warn!(%error, "could not record a chat started");
            }
        }
        Ok(appended)
    }

    /// Posts the shopper's event, after the prompt it answers when it starts the conversation
    /// (or has just reopened it).
    async fn post_with_prompt(
        &self,
        conn: &Connection,
        conversation: &ConversationRecord,
        event: &NewEvent,
        prompt: &Option<EventBody>,
        reopened: bool,
    ) -> Result<Appended, WsError> {
        if let Some(prompt) = prompt.clone()
            && let Some(client_id) = &event.client_id
            && (reopened || self.is_empty(conn, conversation).await?)
            && conn.state.storage.event_by_client_id(&conversation.id, client_id).await?.is_none()
        {
            // Keyed by the message's id, so a resend after a lost ack shows the prompt once.
            let prompt_id = ClientId::new(format!("prompt-{}", &hash_hex(client_id.as_str())[..16]))
                .map_err(|e| WsError::rejected(ErrorCode::Unavailable, e.to_string()))?;
            let prompted = NewEvent { author: Author::System, client_id: Some(prompt_id), body: prompt };
            chat::post(&conn.state, conversation, prompted).await?;
        }
        Ok(chat::post(&conn.state, conversation, event.clone()).await?)
    }

    /// Whether nothing has been said in the conversation yet (the record this socket holds may
    /// be older than another tab's messages).
    async fn is_empty(&self, conn: &Connection, conversation: &ConversationRecord) -> Result<bool, WsError> {
        let now = conn.state.storage.conversation(&conversation.id).await?;
        Ok(now.is_none_or(|c| c.last_seq == 0))
    }

    /// The `prompted` event for a rule of this shop (a rule it does not have is ignored: the
    /// message still goes, just without the prompt before it).
    fn prompt_event(&self, rule_id: &str) -> Option<EventBody> {
        let shop = self.identity.as_ref()?.0.now();
        let rule = shop.rules.iter().find(|r| r.id == rule_id)?;
        let message = rule.message.get(self.locale.as_deref().unwrap_or("en")).to_owned();
        Some(EventBody::Prompted { rule_id: rule.id.clone(), message })
    }

    /// This socket's visitor, once `hello` has said who it is.
    fn doer(&self) -> Option<activity::Doer<'_>> {
        let (shop, visitor) = self.identity.as_ref()?;
        Some(activity::Doer { shop: &shop.id, visitor: &visitor.id, session: self.session.as_ref()? })
    }

    /// Stores the visitor if it is not stored yet (see `stored`).
    async fn ensure_stored(&mut self, conn: &Connection) -> Result<(), WsError> {
        if self.stored {
            return Ok(());
        }
        let (Some((_, visitor)), Some(token_hash)) = (&self.identity, self.token_hash) else {
            return Err(WsError::rejected(ErrorCode::HelloExpected, "send hello first"));
        };
        conn.state.storage.store_visitor(visitor, token_hash).await?;
        conn.state.unstored_visitors.stored(&token_hash);
        self.stored = true;
        Ok(())
    }

    /// Marked as spam since this socket said hello: nothing new starts, nothing ended reopens.
    async fn refuse_if_blocked(&self, conn: &Connection) -> Result<(), WsError> {
        let (Some(hash), Some((shop, _))) = (self.token_hash, &self.identity) else { return Ok(()) };
        if conn.state.storage.visitor_by_token(&shop.id, hash).await?.is_some_and(|v| v.blocked) {
            return Err(WsError::rejected(ErrorCode::Forbidden, "this chat is not available"));
        }
        Ok(())
    }

    /// Follows the visitor's open conversation, starting one if there is none. Another tab of
    /// the same visitor may have started it already: then this socket replays it from the start.
    async fn start_conversation(&mut self, conn: &mut Connection) -> Result<ConversationRecord, WsError> {
        self.ensure_stored(conn).await?;
        let Some((shop, visitor)) = &self.identity else {
            return Err(WsError::rejected(ErrorCode::HelloExpected, "send hello first"));
        };
        let storage = &conn.state.storage;
        let conversation = match storage.open_conversation_of(&visitor.id).await? {
            Some(open) => open,
            None => {
                self.refuse_if_blocked(conn).await?;
                conn.state.quotas.new_chat(&shop.id, &visitor.id, conn.peer())?;
                let started = storage.open_or_create_conversation(&shop.id, &visitor.id).await?;
                if !self.activity_only {
                    storage.set_visitor_client(&visitor.id, self.locale.clone(), self.device.clone()).await?;
                }
                started
            }
        };
        conn.follow(&conversation.id, 0).await?;
        // The ended one is not followed any more (its rating was given or is skipped).
        if let Some(previous) = self.conversation.as_ref().filter(|c| c.id != conversation.id) {
            conn.unfollow(&previous.id);
        }
        self.here = Some(QueuePlace::take(&conn.state, &shop.id, &conversation.id, conn.peer()));
        // Only once followed: if following failed, the next message tries again.
        self.conversation = Some(conversation.clone());
        Ok(conversation)
    }

    fn typing(&self, conn: &Connection, typing: bool) {
        if let Some(conversation) = &self.conversation {
            let frame =
                ServerFrame::Typing { conversation_id: conversation.id.clone(), author: Author::Visitor, typing };
            conn.state.hub.publish_notice(&conversation.id, frame, Audience::Everyone);
        }
    }

    /// The shop says who the shopper is (an `identify` frame after `hello`).
    async fn identify(&mut self, conn: &mut Connection, identity: &Identity) -> Result<(), WsError> {
        let update = self.check_identity(identity)?;
        self.apply_identity(conn, identity, update).await
    }

    /// Believes the shop's word about who the shopper is only as far as its signature goes (see
    /// [`identity::check`]): a claim without a valid one keeps the shopper anonymous and shows
    /// agents "unverified"; a signed user id with unsigned name and email keeps those marked so.
    fn check_identity(&self, identity: &Identity) -> Result<IdentityUpdate, WsError> {
        let Some((shop, _)) = &self.identity else { return Err(invalid("send hello first")) };
        match identity::check(shop.now().identity_secret.as_deref(), identity, now_ms()) {
            Ok(update) => Ok(update),
            Err(error) if error.is_malformed() => Err(invalid(&error.to_string())),
            Err(error) => {
                tracing::info!(shop = %shop.id, %error, "an identity that is not the shop's word was ignored");
                Ok(IdentityUpdate::Unverified)
            }
        }
    }

    /// Records the identity. A visitor verified as one user never becomes another: the
    /// connection is refused (`identity_changed`, 1008) and the widget forgets everything and
    /// starts as a new visitor, so one person's conversation is never shown to the next person
    /// signed in on the same browser.
    async fn apply_identity(
        &mut self,
        conn: &mut Connection,
        identity: &Identity,
        update: IdentityUpdate,
    ) -> Result<(), WsError> {
        self.ensure_stored(conn).await?;
        let Some((shop, visitor)) = &self.identity else { return Err(invalid("send hello first")) };
        let state = conn.state.clone();
        let named = match &update {
            IdentityUpdate::Verified { user_id, .. } => Some(user_id.clone()),
            IdentityUpdate::Unverified => identity::claimed_user_id(identity),
        };
        let verified_as = state.storage.set_visitor_identity(&visitor.id, update).await?;
        if verified_as.as_ref().is_some_and(|bound| Some(bound) != named.as_ref()) {
            return Err(WsError::fatal(
                ErrorCode::IdentityChanged,
                close_code::POLICY,
                "this visitor is signed in as another user; start as a new visitor",
            ));
        }
        if let Some(open) = state.storage.open_conversation_of(&visitor.id).await? {
            let summary = state.storage.conversation_summary(&open.id).await?;
            state.hub.publish_summary(&shop.id, summary);
        }
        Ok(())
    }

    async fn rate(
        &mut self,
        conn: &mut Connection,
        client_id: &ClientId,
        score: u8,
        comment: Option<String>,
    ) -> Result<(), WsError> {
        if !(1..=5).contains(&score) {
            return Err(invalid("a rating is from 1 to 5"));
        }
        let comment = match comment.as_deref().map(normalize_message) {
            // Masked here too: a comment is shown to agents like a message.
            Some(Ok(text)) if text.chars().count() <= MAX_COMMENT_CHARS => {
                Some(mask_card_numbers(&text).unwrap_or(text))
            }
            Some(Ok(_)) => return Err(invalid("the comment is too long")),
            Some(Err(_)) | None => None,
        };
        let conversation = self.current_conversation(conn).await?;
        if conversation.status != ConversationStatus::Closed {
            return Err(invalid("a conversation can be rated once it has ended"));
        }
        let event = NewEvent {
            author: Author::Visitor,
            client_id: Some(client_id.clone()),
            body: EventBody::Rated { score, comment },
        };
        let appended = chat::post(&conn.state, &conversation, event).await?;
        conn.ack(client_id, &appended.event).await
    }

    async fn leave_message(
        &mut self,
        conn: &mut Connection,
        client_id: &ClientId,
        email: &str,
        text: &str,
        prompt: Option<String>,
    ) -> Result<(), WsError> {
        if !is_plausible_email(email) {
            return Err(invalid("that is not an email address"));
        }
        let text = MessageText::new(text).map_err(ChatError::from)?;
        // A prompt answered while nobody was online begins the conversation as it would a chat.
        let prompt = prompt.and_then(|rule_id| self.prompt_event(&rule_id));
        let body = EventBody::LeftMessage { email: email.trim().to_owned(), text: text.into_string() };
        let appended = self.post_starting_if_needed(conn, client_id, body, prompt).await?;
        conn.ack(client_id, &appended.event).await
    }

    async fn email_transcript(
        &mut self,
        conn: &mut Connection,
        client_id: &ClientId,
        email: &str,
    ) -> Result<(), WsError> {
        if !is_plausible_email(email) {
            return Err(invalid("that is not an email address"));
        }
        let conversation = self.current_conversation(conn).await?;
        conn.state.quotas.transcript(conn.peer(), email)?;
        let body = EventBody::TranscriptRequested { email: email.trim().to_owned() };
        let event = NewEvent { author: Author::Visitor, client_id: Some(client_id.clone()), body };
        let appended = chat::post(&conn.state, &conversation, event).await?;
        conn.ack(client_id, &appended.event).await
    }

    /// The conversation this socket shows, as stored now (an agent may have ended it meanwhile).
    async fn current_conversation(&self, conn: &Connection) -> Result<ConversationRecord, WsError> {
        let Some(shown) = &self.conversation else {
            return Err(WsError::rejected(ErrorCode::NotFound, "there is no conversation yet"));
        };
        conn.state
            .storage
            .conversation(&shown.id)
            .await?
            .ok_or_else(|| WsError::rejected(ErrorCode::NotFound, "there is no conversation yet"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_told_in_a_few_words() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
                      Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_device(iphone), "Phone · Safari · iOS");
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/130.0 \
                      Chrome/130.0 Safari/537.36";
        assert_eq!(describe_device(chrome), "Desktop · Chrome · Linux");
        assert_eq!(describe_device("curl/8.0"), "Desktop · Other browser · other system");
    }

    #[test]
    fn only_plausible_language_tags_are_kept() {
        assert!(is_language_tag("nl"));
        assert!(is_language_tag("zh-Hant-TW"));
        assert!(!is_language_tag("x"));
        assert!(!is_language_tag("nl<script>"));
        assert!(!is_language_tag(&"a".repeat(36)));
    }
}
