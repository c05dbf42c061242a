//! WebSocket sessions: one task per socket, driving frames in, stored events out.
//!
//! [`Connection`] is what both kinds of session share: the socket, the conversations it follows
//! (each event delivered at most once per connection and in order, see [`Connection::deliver`]),
//! and the one place where errors become error frames or close codes ([`Connection::report`]).
//! The per-kind logic lives in [`visitor`] and [`agent`].

pub mod agent;
mod followed;
pub mod visitor;

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use checkout_chat_protocol::limits::{MAX_FRAME_BYTES, REPLAY_PAGE};
use checkout_chat_protocol::settings::ShopFace;
use checkout_chat_protocol::{AgentId, ClientId, ConversationId, ErrorCode, Event, Seq, ServerFrame, ShopId};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, broadcast, watch};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use self::followed::Followed;
use crate::accept::{Peer, Place};
use crate::activity::{self, ActivityError};
use crate::chat::ChatError;
use crate::hub::{Audience, Live, Revoked, SharedFrame};
use crate::quotas::QuotaError;
use crate::shops::Shop;
use crate::state::AppState;
use crate::storage::{StorageError, TokenHash};

/// WebSocket close codes we use (RFC 6455 §7.4.1).
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const RESTART: u16 = 1012;
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// How often the relay pings an idle client (and re-checks an agent's session), and how long it
/// waits for any sign of life.
const HEARTBEAT: Duration = Duration::from_secs(25);
const IDLE_LIMIT: Duration = Duration::from_secs(75);

/// How long one frame may take to reach a client. A client that stops reading is disconnected
/// instead of holding its session (and the memory of what is queued for it) indefinitely.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a session waits for the client's reply to its close frame. Dropping the socket while
/// the client's data is unread makes the kernel send a reset, which can destroy the close frame
/// (and its code) before the client reads it.
const CLOSE_LINGER: Duration = Duration::from_secs(1);

/// Largest frame the WebSocket layer buffers at all. Frames between the protocol's limit
/// (`MAX_FRAME_BYTES`) and this one are read whole and refused with a clean 1009 close; beyond it
/// the connection is refused as soon as the frame header arrives.
const HARD_FRAME_LIMIT: usize = 1024 * 1024;

/// Frames a client may send per second, and in a burst. Beyond that the relay reads the client's
/// frames more slowly (nothing is refused): a widget resending a long outbox is delayed, a flood
/// is held to this rate.
const FRAMES_PER_SECOND: u32 = 20;
const FRAME_BURST: u32 = 40;

/// The largest frame the relay can write. Every send is awaited until flushed, so the write
/// buffer never holds more than the frame being written: this caps one frame, not a backlog. The
/// agent's welcome is paged (a page per inbox tab, ~17 KB) but a shopper's activity history can
/// be large; a frame over the cap cannot be sent at all (the connection just drops), which with
/// 256 KiB once locked every console out of a shop with ~550 open chats.
const MAX_OUTGOING_FRAME: usize = 64 * 1024 * 1024;

/// Bytes read from a socket at a time, and what every connection keeps allocated for reading.
/// Nearly every client frame (a message, typing, a ping) fits in 1 KiB; the rare larger one (an
/// activity batch, a hello with a long page address) takes a few more reads. 4 KiB here cost
/// 3 KB more per idle connection, a quarter of its memory (see BENCHMARKS.md).
const READ_CHUNK: usize = 1024;

/// Accepts an upgrade from `peer` and runs the session with the relay's socket limits; a
/// shopper's socket also needs one of the shopper places (`max_connections`, 503 otherwise),
/// which agents' consoles do not use, so they connect when shoppers fill the relay. Small
/// buffers keep an idle connection at a few KB instead of the ~260 KB tungstenite reserves by
/// default (see ../shared/TOOLCHAIN.md).
pub fn accept<H: Handler + 'static>(state: AppState, upgrade: WebSocketUpgrade, peer: &Peer, handler: H) -> Response {
    let shopper = if H::VISITOR {
        let Ok(permit) = state.connection_slots.clone().try_acquire_owned() else {
            tracing::warn!("shoppers' connection limit reached; refusing a WebSocket");
            return (StatusCode::SERVICE_UNAVAILABLE, "too many connections; retry shortly").into_response();
        };
        Some(permit)
    } else {
        None
    };
    let places = Places { _shopper: shopper, connection: peer.place() };
    let sessions = state.sessions.clone();
    // Boxed for the same reason as `SessionStart`: the upgrade's future keeps this closure's
    // captures for the whole session.
    let parts = Box::new((state, handler, places));
    upgrade
        .read_buffer_size(READ_CHUNK)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_OUTGOING_FRAME)
        .max_message_size(HARD_FRAME_LIMIT)
        .max_frame_size(HARD_FRAME_LIMIT)
        .on_upgrade(move |socket| {
            let (state, handler, places) = *parts;
            sessions.track_future(run_session(Box::new(SessionStart { socket, state, handler, places })))
        })
}

/// A session's places under the relay's and its address's connection limits, held while it runs.
struct Places {
    _shopper: Option<OwnedSemaphorePermit>,
    /// The TCP connection's places (its address's and the relay's), taken when it was accepted.
    connection: Arc<Place>,
}

/// Why handling a frame did not succeed, and therefore what the client is told.
#[derive(Debug, thiserror::Error)]
pub enum WsError {
    /// The client is gone; nothing more can be sent.
    #[error("connection lost")]
    Disconnected,
    /// The frame is refused with an error frame; the connection stays usable.
    #[error("{message}")]
    Rejected { code: ErrorCode, message: String, client_id: Option<ClientId> },
    /// The connection is closed with `close_code` after an error frame.
    #[error("{reason}")]
    Fatal { code: ErrorCode, close_code: u16, reason: String },
}

impl WsError {
    pub fn rejected(code: ErrorCode, message: impl Into<String>) -> Self {
        WsError::Rejected { code, message: message.into(), client_id: None }
    }

    pub fn fatal(code: ErrorCode, close_code: u16, reason: impl Into<String>) -> Self {
        WsError::Fatal { code, close_code, reason: reason.into() }
    }

    /// The same error, but ending the connection (1013, try again later) if it would not have:
    /// for steps after which a client cannot go on without reconnecting.
    pub fn ending(self) -> Self {
        match self {
            WsError::Rejected { code, message, .. } => WsError::fatal(code, close_code::TRY_AGAIN_LATER, message),
            other => other,
        }
    }

    fn for_message(self, id: &ClientId) -> Self {
        match self {
            WsError::Rejected { code, message, .. } => WsError::Rejected { code, message, client_id: Some(id.clone()) },
            other => other,
        }
    }
}

impl From<StorageError> for WsError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::ConversationClosed => WsError::rejected(ErrorCode::ConversationClosed, err.to_string()),
            StorageError::AlreadyRated | StorageError::TranscriptAlreadySent | StorageError::NotClosed => {
                WsError::rejected(ErrorCode::BadFrame, err.to_string())
            }
            StorageError::ConversationNotFound => WsError::rejected(ErrorCode::NotFound, err.to_string()),
            _ => {
                tracing::error!(error = %err, "storage failed");
                WsError::rejected(ErrorCode::Unavailable, "the relay could not store this; please retry")
            }
        }
    }
}

impl From<ChatError> for WsError {
    fn from(err: ChatError) -> Self {
        match err {
            ChatError::InvalidText(text) => WsError::rejected(ErrorCode::InvalidText, text.to_string()),
            ChatError::Invalid(message) => WsError::rejected(ErrorCode::BadFrame, message),
            ChatError::Storage(storage) => storage.into(),
        }
    }
}

impl From<QuotaError> for WsError {
    fn from(err: QuotaError) -> Self {
        match err {
            QuotaError::Blocked => WsError::rejected(ErrorCode::Forbidden, err.to_string()),
            _ => WsError::rejected(ErrorCode::RateLimited, err.to_string()),
        }
    }
}

impl From<ActivityError> for WsError {
    fn from(err: ActivityError) -> Self {
        match err {
            ActivityError::Storage(storage) => storage.into(),
            ActivityError::Quota(quota) => quota.into(),
            invalid => WsError::rejected(ErrorCode::BadFrame, invalid.to_string()),
        }
    }
}

/// The per-kind part of a session.
pub trait Handler: Send {
    /// Whether the client is a shopper's widget (it gets queue notices; agents do not).
    const VISITOR: bool;

    /// Runs right after the upgrade, before any frame is read.
    fn on_start(&mut self, _conn: &mut Connection) -> impl Future<Output = Result<(), WsError>> + Send {
        async { Ok(()) }
    }

    /// Whether the client has said who it is (a shopper's `hello`); a socket that has not within
    /// `hello_timeout_seconds` is closed. Agents are known from their cookie before the upgrade.
    fn introduced(&self) -> bool {
        true
    }

    /// Runs on every heartbeat (an agent re-checks its session here).
    fn on_heartbeat(&mut self, _conn: &mut Connection) -> impl Future<Output = Result<(), WsError>> + Send {
        async { Ok(()) }
    }

    /// The session this connection watches (see [`Connection::watch_session`]) was ended.
    fn on_session_revoked(&mut self) -> WsError {
        WsError::Disconnected
    }

    /// Handles one text frame from the client.
    fn on_text(&mut self, conn: &mut Connection, text: &str) -> impl Future<Output = Result<(), WsError>> + Send;
}

/// An agent's session, as a revocation names it.
struct Session {
    token: TokenHash,
    agent: AgentId,
}

/// One client's socket and what it follows.
pub struct Connection {
    pub state: AppState,
    sink: SplitSink<WebSocket, Message>,
    /// For each followed conversation, the highest sequence number sent on this connection.
    sent_up_to: HashMap<ConversationId, Seq>,
    live_events: Followed,
    /// For visitors: the number of the shop's agents online.
    presence: Option<watch::Receiver<u32>>,
    /// For visitors: their shop as it is now, and the language its face is sent in.
    shop: Option<(watch::Receiver<Arc<Shop>>, String)>,
    visitor: bool,
    /// For agents: the shop whose inbox updates this connection receives, and the agent (whose
    /// Mine tab it sends when it sends the inbox anew).
    inbox: Option<(ShopId, AgentId, BroadcastStream<SharedFrame>)>,
    /// For agents: their session and account, and the channel that says when sessions end.
    session: Option<(Session, broadcast::Receiver<Revoked>)>,
    /// For agents: the shop whose team list (presence and load) this connection receives.
    team: Option<(ShopId, watch::Receiver<u64>)>,
    limiter: DefaultDirectRateLimiter,
    /// The client's address, whose frames are also limited together (see [`crate::limits`]).
    peer: IpAddr,
    /// Set once a close frame was sent.
    closing: bool,
}

impl Connection {
    fn new(state: AppState, sink: SplitSink<WebSocket, Message>, visitor: bool, peer: IpAddr) -> Self {
        let per_second = NonZeroU32::new(FRAMES_PER_SECOND).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(FRAME_BURST).unwrap_or(NonZeroU32::MIN);
        Self {
            state,
            sink,
            sent_up_to: HashMap::new(),
            live_events: Followed::default(),
            presence: None,
            shop: None,
            visitor,
            inbox: None,
            session: None,
            team: None,
            limiter: RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst)),
            peer,
            closing: false,
        }
    }

    /// The client's address, which the quotas count.
    pub fn peer(&self) -> IpAddr {
        self.peer
    }

    /// Tells the client that what it sent as `client_id` is stored, as `event`.
    pub async fn ack(&mut self, client_id: &ClientId, event: &Event) -> Result<(), WsError> {
        let conversation_id = event.conversation_id.clone();
        self.send(&ServerFrame::Ack { client_id: client_id.clone(), conversation_id, seq: event.seq }).await
    }

    pub async fn send(&mut self, frame: &ServerFrame) -> Result<(), WsError> {
        self.send_message(Message::Text(Utf8Bytes::from(frame.to_json()))).await
    }

    /// Sends a frame encoded once for many connections.
    pub async fn send_shared(&mut self, frame: &SharedFrame) -> Result<(), WsError> {
        self.send_message(Message::Text(frame.text())).await
    }

    async fn send_message(&mut self, message: Message) -> Result<(), WsError> {
        match tokio::time::timeout(SEND_TIMEOUT, self.sink.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) | Err(_) => Err(WsError::Disconnected),
        }
    }

    async fn close(&mut self, code: u16, reason: &str) {
        self.closing = true;
        let frame = CloseFrame { code, reason: Utf8Bytes::from(reason) };
        // The client may already be gone; there is nobody left to tell.
        let _ = self.send_message(Message::Close(Some(frame))).await;
    }

    /// Follows a conversation: sends what was stored after `last_seen`, then `synced`, then live
    /// events. Subscribing before reading storage means nothing falls in between. Following a
    /// conversation again never re-sends what this connection already sent.
    pub async fn follow(&mut self, id: &ConversationId, last_seen: Seq) -> Result<(), WsError> {
        if !self.live_events.contains(id) {
            let receiver = self.state.hub.follow_conversation(id);
            self.live_events.insert(id.clone(), receiver);
        }
        let position = self.sent_up_to.entry(id.clone()).or_insert(last_seen);
        *position = (*position).max(last_seen);
        self.catch_up(id).await?;
        let last_seq = self.sent_up_to.get(id).copied().unwrap_or(last_seen);
        self.send(&ServerFrame::Synced { conversation_id: id.clone(), last_seq }).await
    }

    pub fn follows(&self, id: &ConversationId) -> bool {
        self.live_events.contains(id)
    }

    pub fn unfollow(&mut self, id: &ConversationId) {
        self.sent_up_to.remove(id);
        if self.live_events.remove(id) {
            self.state.hub.release_conversation(id);
        }
    }

    /// Starts receiving the shop's inbox updates. Call before reading the inbox from storage, so
    /// that no update falls in between.
    pub fn follow_inbox(&mut self, shop: &ShopId, agent: &AgentId) {
        let receiver = self.state.hub.follow_shop(shop);
        self.inbox = Some((shop.clone(), agent.clone(), BroadcastStream::new(receiver)));
    }

    /// Starts telling the client how many of the shop's agents are online; returns how many are now.
    pub fn watch_presence(&mut self, shop: &ShopId) -> u32 {
        let mut receiver = self.state.hub.presence(shop);
        let online = *receiver.borrow_and_update();
        self.presence = Some(receiver);
        self.shoppers_see(online)
    }

    /// Starts sending the visitor the shop's face, in `lang`, whenever an admin changes it;
    /// returns the face now.
    pub fn watch_shop(&mut self, mut shop: watch::Receiver<Arc<Shop>>, lang: String) -> ShopFace {
        let face = shop.borrow_and_update().face(&lang);
        self.shop = Some((shop, lang));
        face
    }

    /// How many agents a shopper is told are online: none while their shop is away.
    fn shoppers_see(&self, online: u32) -> u32 {
        match &self.shop {
            Some((shop, _)) => shop.borrow().agents_shoppers_see(online),
            None => online,
        }
    }

    /// Starts sending the shop's team list whenever presence or load changes.
    pub fn watch_team(&mut self, shop: &ShopId) {
        let mut receiver = self.state.hub.team_changes(shop);
        receiver.mark_unchanged();
        self.team = Some((shop.clone(), receiver));
    }

    /// Ends this connection (through [`Handler::on_session_revoked`]) when the session with this
    /// token hash, or every session of its agent, is ended.
    pub fn watch_session(&mut self, session: TokenHash, agent: AgentId) {
        self.session = Some((Session { token: session, agent }, self.state.hub.session_revocations()));
    }

    /// Sends the inbox anew after missed updates: the first page of each tab and the counts,
    /// which the console takes in place of what it had. A page, not the whole inbox: a shop
    /// flooded with chats (whose updates are what make a console fall behind) must not turn
    /// every lag into tens of megabytes.
    async fn resend_inbox(&mut self) -> Result<(), WsError> {
        let Some((shop, agent, _)) = &self.inbox else { return Ok(()) };
        let inbox = crate::inbox::start(&self.state, shop, agent).await?;
        self.send(&ServerFrame::Inbox { inbox }).await
    }

    /// Sends every stored event after what this connection has sent, page by page.
    async fn catch_up(&mut self, id: &ConversationId) -> Result<(), WsError> {
        loop {
            let Some(after) = self.sent_up_to.get(id).copied() else { return Ok(()) };
            let events = self.state.storage.events_after(id, after, REPLAY_PAGE).await?;
            let complete = events.len() < REPLAY_PAGE;
            for event in events {
                self.send_event(event).await?;
            }
            if complete {
                return Ok(());
            }
        }
    }

    /// Sends one event read from storage.
    async fn send_event(&mut self, event: Event) -> Result<(), WsError> {
        let (id, seq) = (event.conversation_id.clone(), event.seq);
        let frame = self.shows(&event).then(|| Utf8Bytes::from(ServerFrame::Event { event }.to_json()));
        self.pass_event(&id, seq, frame).await
    }

    /// An internal note is passed over for a shopper: their position moves past it, nothing is sent.
    fn shows(&self, event: &Event) -> bool {
        !(self.visitor && event.body.is_internal())
    }

    /// Sends an event's `frame` (unless it is hidden from this client) and moves this
    /// connection's position in its conversation to `seq`: the one place every event goes
    /// through, live or replayed.
    async fn pass_event(&mut self, id: &ConversationId, seq: Seq, frame: Option<Utf8Bytes>) -> Result<(), WsError> {
        if let Some(frame) = frame {
            self.send_message(Message::Text(frame)).await?;
        }
        if let Some(position) = self.sent_up_to.get_mut(id) {
            *position = seq;
        }
        Ok(())
    }

    /// Delivers a live event exactly once and in order: an old one is skipped, and a gap (an
    /// event whose predecessor this connection has not sent) is filled from storage, where the
    /// predecessor is already durable.
    async fn deliver(&mut self, event: &Event, frame: &SharedFrame) -> Result<(), WsError> {
        let Some(sent) = self.sent_up_to.get(&event.conversation_id).copied() else { return Ok(()) };
        if event.seq <= sent {
            Ok(())
        } else if event.seq == sent + 1 {
            let frame = self.shows(event).then(|| frame.text());
            self.pass_event(&event.conversation_id, event.seq, frame).await
        } else {
            self.catch_up(&event.conversation_id).await
        }
    }

    /// Turns a failed frame into what the client sees; returns false when the session must end.
    async fn report(&mut self, error: WsError) -> bool {
        match error {
            WsError::Disconnected => false,
            WsError::Rejected { code, message, client_id } => {
                self.send(&ServerFrame::Error { code, message, client_id }).await.is_ok()
            }
            WsError::Fatal { code, close_code, reason } => {
                tracing::info!(%reason, close_code, "closing connection");
                let _ = self.send(&ServerFrame::error(code, reason.clone())).await;
                self.close(close_code, &reason).await;
                false
            }
        }
    }

    fn release_all(&mut self) {
        let followed: Vec<ConversationId> = self.sent_up_to.keys().cloned().collect();
        for id in followed {
            self.unfollow(&id);
        }
        if let Some((shop, _, stream)) = self.inbox.take() {
            drop(stream);
            self.state.hub.release_shop(&shop);
        }
    }
}

/// What a session starts from. It comes boxed because an async fn keeps its arguments' slots in
/// its future for as long as it runs, beside the locals they are moved into: as four arguments
/// they cost every connection ~950 bytes for nothing, as a box 8.
struct SessionStart<H> {
    socket: WebSocket,
    state: AppState,
    handler: H,
    places: Places,
}

/// Runs a session until the client leaves, misbehaves fatally, or the relay shuts down, holding
/// its places under the connection limits until then.
async fn run_session<H: Handler>(start: Box<SessionStart<H>>) {
    let SessionStart { socket, state, mut handler, places } = *start;
    let shutdown = state.shutdown.clone();
    let (sink, mut stream) = socket.split();
    let mut conn = Connection::new(state, sink, H::VISITOR, places.connection.ip());
    if let Err(error) = Box::pin(handler.on_start(&mut conn)).await {
        Box::pin(conn.report(error)).await;
        conn.release_all();
        return Box::pin(linger(&mut stream, conn.closing)).await;
    }
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    let mut last_heard = Instant::now();
    let hello_timeout = Duration::from_secs(conn.state.config.hello_timeout_seconds);
    let hello_deadline = tokio::time::sleep(hello_timeout);
    tokio::pin!(hello_deadline);
    // The work a frame or a live event causes is boxed: its future (a hello, a send, a replay
    // from storage) then lives on the heap only while it runs, instead of inline in this
    // session's future, which every idle connection keeps (~7 KB per connection otherwise).
    loop {
        let keep_going = tokio::select! {
            () = shutdown.cancelled() => {
                Box::pin(conn.close(close_code::RESTART, "relay restarting; reconnect")).await;
                false
            }
            // A socket held open without a word (answering pings is not a word) holds a place a
            // shopper could use.
            () = &mut hello_deadline, if !handler.introduced() => {
                let reason = format!("no hello within {} s", hello_timeout.as_secs());
                Box::pin(conn.report(WsError::fatal(ErrorCode::HelloExpected, close_code::POLICY, reason))).await
            }
            incoming = stream.next() => {
                last_heard = Instant::now();
                Box::pin(on_incoming(&mut conn, &mut handler, incoming)).await
            }
            Some((id, item)) = conn.live_events.next() => Box::pin(on_live_event(&mut conn, id, item)).await,
            Some(item) = next_inbox_update(&mut conn.inbox) => Box::pin(on_inbox_update(&mut conn, item)).await,
            Some(online) = presence_change(&mut conn.presence) => {
                let agents_online = conn.shoppers_see(online);
                Box::pin(conn.send(&ServerFrame::Presence { agents_online })).await.is_ok()
            }
            Some(face) = shop_change(&mut conn.shop) => Box::pin(on_shop_change(&mut conn, face)).await,
            () = session_revoked(&mut conn.session) => Box::pin(conn.report(handler.on_session_revoked())).await,
            Some(shop) = team_change(&mut conn.team) => Box::pin(on_team_change(&mut conn, &shop)).await,
            _ = heartbeat.tick() => Box::pin(on_heartbeat(&mut conn, &mut handler, last_heard)).await,
        };
        if !keep_going {
            break;
        }
    }
    conn.release_all();
    Box::pin(linger(&mut stream, conn.closing)).await;
}

/// After a close frame was sent, waits (bounded) for the client's close reply; see `CLOSE_LINGER`.
async fn linger(stream: &mut SplitStream<WebSocket>, closing: bool) {
    if !closing {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        loop {
            match stream.next().await {
                Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
                // Unreadable (after an oversized frame the stream reports an error, then its end):
                // waiting out the timeout still gives the close frame time to reach the client.
                Some(Err(_)) | None => std::future::pending::<()>().await,
            }
        }
    })
    .await;
}

async fn next_inbox_update(
    inbox: &mut Option<(ShopId, AgentId, BroadcastStream<SharedFrame>)>,
) -> Option<Result<SharedFrame, BroadcastStreamRecvError>> {
    match inbox {
        Some((_, _, stream)) => stream.next().await,
        None => std::future::pending().await,
    }
}

/// The new number of agents online when it changes; never, when presence is not watched.
async fn presence_change(presence: &mut Option<watch::Receiver<u32>>) -> Option<u32> {
    let Some(receiver) = presence else { return std::future::pending().await };
    match receiver.changed().await {
        Ok(()) => Some(*receiver.borrow_and_update()),
        Err(_) => std::future::pending().await,
    }
}

/// The visitor's shop's new face when an admin changed it; never, when no shop is watched.
async fn shop_change(shop: &mut Option<(watch::Receiver<Arc<Shop>>, String)>) -> Option<ShopFace> {
    let Some((receiver, lang)) = shop else { return std::future::pending().await };
    match receiver.changed().await {
        Ok(()) => Some(receiver.borrow_and_update().face(lang)),
        Err(_) => std::future::pending().await,
    }
}

/// Sends the shop's new face, and the agents online as shoppers now see them (the shop may
/// have said it is away, or back).
async fn on_shop_change(conn: &mut Connection, face: ShopFace) -> bool {
    if conn.send(&ServerFrame::Shop(face)).await.is_err() {
        return false;
    }
    let Some(online) = conn.presence.as_ref().map(|presence| *presence.borrow()) else { return true };
    let agents_online = conn.shoppers_see(online);
    conn.send(&ServerFrame::Presence { agents_online }).await.is_ok()
}

/// The shop whose team changed; never, when the team is not watched.
async fn team_change(team: &mut Option<(ShopId, watch::Receiver<u64>)>) -> Option<ShopId> {
    let Some((shop, receiver)) = team else { return std::future::pending().await };
    match receiver.changed().await {
        Ok(()) => {
            receiver.mark_unchanged();
            Some(shop.clone())
        }
        Err(_) => std::future::pending().await,
    }
}

async fn on_team_change(conn: &mut Connection, shop: &ShopId) -> bool {
    let result = match crate::routing::team_frame(&conn.state, shop).await {
        Ok(frame) => conn.send_shared(&frame).await,
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => true,
        Err(error) => conn.report(error).await,
    }
}

/// Completes when the watched session is ended; never, when no session is watched.
async fn session_revoked(session: &mut Option<(Session, broadcast::Receiver<Revoked>)>) {
    let Some((mine, revocations)) = session else { return std::future::pending().await };
    loop {
        match revocations.recv().await {
            Ok(Revoked::Session(token)) if token == mine.token => return,
            Ok(Revoked::Agent(agent)) if agent == mine.agent => return,
            Ok(_) => continue,
            // Missed some revocations: the next heartbeat re-checks the session in storage.
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return std::future::pending().await,
        }
    }
}

async fn on_heartbeat<H: Handler>(conn: &mut Connection, handler: &mut H, last_heard: Instant) -> bool {
    if last_heard.elapsed() > IDLE_LIMIT {
        conn.close(close_code::NORMAL, "idle").await;
        return false;
    }
    if let Err(error) = handler.on_heartbeat(conn).await {
        return conn.report(error).await;
    }
    conn.send_message(Message::Ping(Default::default())).await.is_ok()
}

async fn on_incoming<H: Handler>(
    conn: &mut Connection,
    handler: &mut H,
    incoming: Option<Result<Message, axum::Error>>,
) -> bool {
    let message = match incoming {
        None => return false,
        Some(Ok(message)) => message,
        Some(Err(error)) => {
            if is_too_large(&error) {
                conn.report(too_large()).await;
            }
            return false;
        }
    };
    if matches!(message, Message::Close(_)) {
        return false;
    }
    // Every frame the client sends counts against its rates: pings and pongs cost the relay a
    // read and a wake-up like any other.
    conn.limiter.until_ready().await;
    conn.state.per_ip.until_frame_allowed(conn.peer).await;
    let result = match message {
        Message::Text(text) if text.len() > MAX_FRAME_BYTES => Err(too_large()),
        Message::Binary(bytes) if bytes.len() > MAX_FRAME_BYTES => Err(too_large()),
        Message::Text(text) => handler.on_text(conn, text.as_str()).await,
        Message::Binary(_) => {
            Err(WsError::rejected(ErrorCode::BadFrame, "binary frames are not supported; send JSON text"))
        }
        Message::Close(_) => return false,
        Message::Ping(_) | Message::Pong(_) => Ok(()),
    };
    match result {
        Ok(()) => true,
        Err(error) => conn.report(error).await,
    }
}

fn too_large() -> WsError {
    WsError::fatal(ErrorCode::BadFrame, close_code::TOO_BIG, format!("frame larger than {MAX_FRAME_BYTES} bytes"))
}

fn is_too_large(error: &axum::Error) -> bool {
    use std::error::Error as _;
    let mut source: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(err) = source {
        if let Some(tungstenite::Error::Capacity(_)) = err.downcast_ref::<tungstenite::Error>() {
            return true;
        }
        source = err.source();
    }
    false
}

async fn on_live_event(
    conn: &mut Connection,
    id: ConversationId,
    item: Result<Arc<Live>, BroadcastStreamRecvError>,
) -> bool {
    let result = match item.as_deref() {
        Ok(Live::Event { event, frame }) => conn.deliver(event, frame).await,
        Ok(Live::Notice { frame, audience }) => {
            let for_me = match audience {
                Audience::Everyone => true,
                Audience::Visitors => conn.visitor,
                Audience::Agents => !conn.visitor,
            };
            if for_me { conn.send_shared(frame).await } else { Ok(()) }
        }
        // This connection fell behind the broadcast: storage has everything it missed.
        Err(BroadcastStreamRecvError::Lagged(_)) => match conn.catch_up(&id).await {
            // Passing notices are not in storage, but the shopper's activity is: an agent gets
            // it again whole.
            Ok(()) if !conn.visitor => match activity::history_for_agents(&conn.state, &id).await {
                Ok(frame) => conn.send(&frame).await,
                Err(error) => Err(error.into()),
            },
            result => result,
        },
    };
    match result {
        Ok(()) => true,
        Err(error) => conn.report(error).await,
    }
}

async fn on_inbox_update(conn: &mut Connection, item: Result<SharedFrame, BroadcastStreamRecvError>) -> bool {
    let result = match item {
        Ok(update) => conn.send_shared(&update).await,
        // Missed some inbox updates: send the inbox anew (its first pages).
        Err(BroadcastStreamRecvError::Lagged(_)) => conn.resend_inbox().await,
    };
    match result {
        Ok(()) => true,
        Err(error) => conn.report(error).await,
    }
}
