//! One WebSocket to the relay, kept alive: connecting → live (after the relay's welcome) →
//! reconnecting (exponential backoff with full jitter) → connecting …
//!
//! What is said on the socket belongs to the caller, through [`Link`]: the opening frame, what to
//! do with each frame from the relay, which queued messages still need sending. The loop makes
//! sure each queued message is sent once per connection and again on every new connection until
//! the relay has stored it (the relay recognises the resend by its client id).

use std::collections::HashSet;

use checkout_chat_protocol::{ClientId, ErrorCode, ServerFrame};
use futures::channel::mpsc;
use futures::future::FusedFuture;
use futures::{FutureExt, SinkExt, StreamExt, select};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use gloo_timers::future::TimeoutFuture;

/// The relay's close code for a refused identity or session (RFC 6455 "policy violation").
const CLOSE_POLICY: u16 = 1008;
/// How often the client checks that the relay still answers. Browsers hide the relay's own
/// WebSocket pings, and a socket lost silently (a phone asleep, a changed network) would
/// otherwise go unnoticed for minutes.
const PING_EVERY_MS: u32 = 25_000;
/// How long a message refused for a passing reason (rate, storage trouble) waits before it is
/// sent again on the same connection.
const TRANSIENT_RETRY_MS: u32 = 2_000;
const FIRST_BACKOFF_MS: f64 = 500.0;
const MAX_BACKOFF_MS: f64 = 30_000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No connection, and no reason for one yet.
    Idle,
    Connecting,
    Live,
    Reconnecting,
    /// The relay refused us for good (e.g. the agent's session ended); no more attempts.
    Stopped,
}

/// What the application asks of the running connection.
pub enum Command {
    /// Send whatever is queued and not yet sent on this connection.
    Flush,
    /// Send this message again (after the user pressed "retry").
    Resend(ClientId),
    /// Send this frame if the connection is live; otherwise drop it (what it asks for must then
    /// be asked again by [`Link::on_live`]).
    Frame(String),
}

/// What happens next after the relay refused us (close code 1008).
pub enum AfterRefusal {
    /// Try again (the application has reset what the relay refused).
    Retry,
    Stop,
}

/// The application's side of the conversation on the socket.
pub trait Link: Copy + 'static {
    /// Reads a frame from the relay (`None` for frames to skip).
    fn decode(&self, text: &str) -> Option<ServerFrame>;
    /// The first frame on every new connection (`hello`; for agents, nothing).
    fn opening(&self) -> Option<String>;
    /// Frames to send right after the relay's welcome (re-opening conversations, ...).
    fn on_live(&self) -> Vec<String> {
        Vec::new()
    }
    /// A frame from the relay.
    fn on_frame(&self, frame: ServerFrame);
    /// Queued messages, encoded, whose client id is not in `sent_here`; the loop adds them.
    fn unsent(&self, sent_here: &HashSet<ClientId>) -> Vec<(ClientId, String)>;
    fn on_status(&self, status: Status);
    /// The relay refused us (an error before its welcome, or close code 1008); `code` is the
    /// error it gave, if any.
    fn on_refused(&self, code: Option<ErrorCode>) -> AfterRefusal;
    /// The connection failed before the relay's welcome; return false to stop (e.g. logged out).
    fn may_retry(&self) -> impl Future<Output = bool> {
        async { true }
    }
}

/// Keeps the socket to `url` alive for as long as the page lives (or until [`Status::Stopped`]).
pub async fn run<L: Link>(url: String, link: L, mut commands: mpsc::UnboundedReceiver<Command>) {
    let mut failures: u32 = 0;
    loop {
        link.on_status(if failures == 0 { Status::Connecting } else { Status::Reconnecting });
        let ended = match WebSocket::open(&url) {
            Ok(socket) => session(socket, link, &mut commands).await,
            Err(_) => Ended::Lost { was_live: false },
        };
        match ended {
            Ended::Refused(code) => match link.on_refused(code) {
                // Still backing off: a refusal that repeats must not become a tight loop.
                AfterRefusal::Retry => failures = failures.saturating_add(1),
                AfterRefusal::Stop => return link.on_status(Status::Stopped),
            },
            Ended::Lost { was_live: true } => failures = 1,
            Ended::Lost { was_live: false } => {
                if !link.may_retry().await {
                    return link.on_status(Status::Stopped);
                }
                failures = failures.saturating_add(1);
            }
        }
        link.on_status(Status::Reconnecting);
        TimeoutFuture::new(backoff_ms(failures)).await;
    }
}

enum Ended {
    Refused(Option<ErrorCode>),
    Lost { was_live: bool },
}

/// Whether an error the relay gives before its welcome refuses us (rather than failing for now).
fn is_refusal(code: ErrorCode) -> bool {
    matches!(code, ErrorCode::Forbidden | ErrorCode::UnknownShop | ErrorCode::OriginNotAllowed)
}

/// One connection, from the opening frame until it is lost.
async fn session<L: Link>(socket: WebSocket, link: L, commands: &mut mpsc::UnboundedReceiver<Command>) -> Ended {
    let (mut outgoing, incoming) = socket.split();
    let mut incoming = incoming.fuse();
    if let Some(opening) = link.opening()
        && outgoing.send(Message::Text(opening)).await.is_err()
    {
        return Ended::Lost { was_live: false };
    }
    let mut live = false;
    let mut sent_here: HashSet<ClientId> = HashSet::new();
    let mut awaiting_pong = false;
    let mut ping_timer = TimeoutFuture::new(PING_EVERY_MS).fuse();
    // Messages refused for a passing reason, sent again when `retry_timer` fires.
    let mut deferred: HashSet<ClientId> = HashSet::new();
    let mut retry_timer = futures::future::Fuse::terminated();
    loop {
        let mut to_send: Vec<String> = Vec::new();
        select! {
            message = incoming.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    // A frame this version does not know is skipped, not fatal: the relay may be newer.
                    let Some(frame) = link.decode(&text) else { continue };
                    let welcome = matches!(frame, ServerFrame::Welcome { .. } | ServerFrame::AgentWelcome { .. });
                    match &frame {
                        ServerFrame::Pong => awaiting_pong = false,
                        ServerFrame::Error { code, client_id: Some(client_id), .. } if code.is_transient() => {
                            deferred.insert(client_id.clone());
                            if retry_timer.is_terminated() {
                                retry_timer = TimeoutFuture::new(TRANSIENT_RETRY_MS).fuse();
                            }
                        }
                        ServerFrame::Error { client_id: Some(client_id), .. } => {
                            sent_here.remove(client_id);
                        }
                        // Without a welcome the connection is of no use: refused, or failed for
                        // now (then the relay closes it too, and reconnecting tries again).
                        ServerFrame::Error { code, client_id: None, .. } if !live => {
                            return if is_refusal(*code) { Ended::Refused(Some(*code)) } else { Ended::Lost { was_live: false } };
                        }
                        _ => {}
                    }
                    link.on_frame(frame);
                    if welcome {
                        live = true;
                        link.on_status(Status::Live);
                        to_send.extend(link.on_live());
                    }
                }
                Some(Ok(Message::Bytes(_))) => {}
                // An error event is always followed by the close event that says why.
                Some(Err(WebSocketError::ConnectionError)) => {}
                Some(Err(WebSocketError::ConnectionClose(close))) if close.code == CLOSE_POLICY => return Ended::Refused(None),
                Some(Err(_)) | None => return Ended::Lost { was_live: live },
            },
            command = commands.next() => match command {
                Some(Command::Resend(client_id)) => {
                    sent_here.remove(&client_id);
                }
                Some(Command::Frame(frame)) if live => to_send.push(frame),
                _ => {}
            },
            () = retry_timer => {
                for client_id in deferred.drain() {
                    sent_here.remove(&client_id);
                }
            }
            () = ping_timer => {
                if awaiting_pong {
                    return Ended::Lost { was_live: live };
                }
                awaiting_pong = true;
                to_send.push(String::from(r#"{"type":"ping"}"#));
                ping_timer = TimeoutFuture::new(PING_EVERY_MS).fuse();
            }
        }
        if live {
            for (client_id, frame) in link.unsent(&sent_here) {
                sent_here.insert(client_id);
                to_send.push(frame);
            }
        }
        for frame in to_send {
            if outgoing.send(Message::Text(frame)).await.is_err() {
                return Ended::Lost { was_live: live };
            }
        }
    }
}

/// Exponential backoff with full jitter, so that many clients reconnecting after a relay restart
/// spread out instead of arriving at once.
fn backoff_ms(failures: u32) -> u32 {
    let ceiling = (FIRST_BACKOFF_MS * 2f64.powi(failures.min(16) as i32)).min(MAX_BACKOFF_MS);
    (ceiling * (0.5 + js_sys::Math::random() / 2.0)) as u32
}
