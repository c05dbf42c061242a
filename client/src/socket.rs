//! One WebSocket to the relay, kept alive: connecting → live (after the relay's welcome) →
//! reconnecting (exponential backoff with full jitter) → connecting …
//!
//! What is said on the socket belongs to the caller, through [`Link`]: the opening frame, what to
//! do with each frame from the relay, which queued messages still need sending. The socket makes
//! sure each queued message is sent once per connection, and again on every new connection until
//! the relay has stored it (the relay recognises the resend by its client id).
//!
//! Built on the browser's WebSocket callbacks and timers rather than async streams: the widget
//! has a size budget, and the future machinery cost it more than this whole file.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use checkout_chat_protocol::{ClientId, ErrorCode, ServerFrame};
use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

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
/// A connection that stayed up this long was a good one: the next loss starts the backoff anew.
/// A shorter one (a relay that welcomes and then drops us) keeps backing off.
const STABLE_AFTER_MS: f64 = 10_000.0;

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

/// What happens next after the relay refused us.
pub enum AfterRefusal {
    /// Try again (the application has reset what the relay refused).
    Retry,
    Stop,
}

/// The application's side of the conversation on the socket.
pub trait Link: Clone + 'static {
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
    /// Queued messages, encoded, whose client id is not in `sent_here`; the socket adds them.
    fn unsent(&self, sent_here: &HashSet<ClientId>) -> Vec<(ClientId, String)>;
    fn on_status(&self, status: Status);
    /// The relay refused us (an error before its welcome, or close code 1008); `code` is the
    /// error it gave, if any.
    fn on_refused(&self, code: Option<ErrorCode>) -> AfterRefusal;
    /// Asked before reconnecting after a connection that failed before the relay's welcome;
    /// calling `retry(false)` stops (e.g. the agent is logged out). The default retries.
    fn may_retry(&self, retry: Box<dyn FnOnce(bool)>) {
        retry(true);
    }
}

/// A live socket; cloning gives another handle to the same one.
pub struct Socket<L: Link> {
    state: Rc<RefCell<State<L>>>,
}

impl<L: Link> Clone for Socket<L> {
    fn clone(&self) -> Self {
        Socket { state: Rc::clone(&self.state) }
    }
}

struct State<L> {
    link: L,
    url: String,
    socket: Option<WebSocket>,
    /// The browser callbacks of the current socket, kept alive with it.
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    live: bool,
    failures: u32,
    /// When the current connection was welcomed (`Date.now()`).
    live_since: f64,
    sent_here: HashSet<ClientId>,
    /// Messages refused for a passing reason, sent again when `retry_timer` fires.
    deferred: HashSet<ClientId>,
    awaiting_pong: bool,
    /// An error the relay gave before its welcome.
    refusal: Option<ErrorCode>,
    ping_timer: Option<Timeout>,
    retry_timer: Option<Timeout>,
    reconnect_timer: Option<Timeout>,
    stopped: bool,
}

/// How a connection ended.
enum Ended {
    Refused(Option<ErrorCode>),
    Lost { was_live: bool },
}

/// Whether an error the relay gives before its welcome refuses us (rather than failing for now).
fn is_refusal(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Forbidden | ErrorCode::UnknownShop | ErrorCode::OriginNotAllowed | ErrorCode::IdentityChanged
    )
}

impl<L: Link> Socket<L> {
    /// Opens the socket to `url` and keeps it open for as long as the page lives (or until the
    /// relay refuses us for good).
    pub fn start(url: String, link: L) -> Self {
        let socket = Socket {
            state: Rc::new(RefCell::new(State {
                link,
                url,
                socket: None,
                handlers: Vec::new(),
                live: false,
                failures: 0,
                live_since: 0.0,
                sent_here: HashSet::new(),
                deferred: HashSet::new(),
                awaiting_pong: false,
                refusal: None,
                ping_timer: None,
                retry_timer: None,
                reconnect_timer: None,
                stopped: false,
            })),
        };
        socket.connect();
        socket
    }

    fn link(&self) -> L {
        self.state.borrow().link.clone()
    }

    /// Sends whatever is queued and not yet sent on this connection.
    pub fn flush(&self) {
        if !self.state.borrow().live {
            return;
        }
        let unsent = {
            let state = self.state.borrow();
            state.link.unsent(&state.sent_here)
        };
        for (client_id, frame) in unsent {
            self.state.borrow_mut().sent_here.insert(client_id);
            self.send(&frame);
        }
    }

    /// Sends a message again (after the user pressed "retry").
    pub fn resend(&self, client_id: &ClientId) {
        self.state.borrow_mut().sent_here.remove(client_id);
        self.flush();
    }

    /// Sends a frame if the connection is live (and says whether it did); otherwise drops it
    /// (what it asks for must then be asked again by [`Link::on_live`] or by the user).
    pub fn send_if_live(&self, frame: &str) -> bool {
        let live = self.state.borrow().live;
        if live {
            self.send(frame);
        }
        live
    }

    fn send(&self, frame: &str) {
        let socket = self.state.borrow().socket.clone();
        // A failed send means the socket is closing; its close event starts the reconnect.
        if let Some(socket) = socket {
            let _ = socket.send_with_str(frame);
        }
    }

    fn connect(&self) {
        let link = self.link();
        let failures = self.state.borrow().failures;
        link.on_status(if failures == 0 { Status::Connecting } else { Status::Reconnecting });
        let url = self.state.borrow().url.clone();
        let Ok(socket) = WebSocket::new(&url) else {
            return self.ended(Ended::Lost { was_live: false });
        };
        let on_open = self.handler(|this, _| {
            if let Some(opening) = this.link().opening() {
                this.send(&opening);
            }
        });
        let on_message = self.handler(|this, event| {
            if let Some(text) = event.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()) {
                this.on_text(&text);
            }
        });
        let on_close = self.handler(|this, event| {
            let code = event.dyn_ref::<CloseEvent>().map_or(0, CloseEvent::code);
            let (was_live, refusal) = {
                let state = this.state.borrow();
                (state.live, state.refusal)
            };
            this.ended(match refusal {
                Some(code) => Ended::Refused(Some(code)),
                None if code == CLOSE_POLICY => Ended::Refused(None),
                None => Ended::Lost { was_live },
            });
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut state = self.state.borrow_mut();
        state.socket = Some(socket);
        state.handlers = vec![on_open, on_message, on_close];
        state.live = false;
        state.sent_here.clear();
        state.deferred.clear();
        state.awaiting_pong = false;
        state.refusal = None;
        state.retry_timer = None;
        drop(state);
        self.schedule_ping();
    }

    /// A browser callback that reaches this socket without keeping it alive by itself.
    fn handler(&self, run: impl Fn(&Socket<L>, JsValue) + 'static) -> Closure<dyn FnMut(JsValue)> {
        let weak = Rc::downgrade(&self.state);
        Closure::new(move |event: JsValue| {
            if let Some(state) = weak.upgrade() {
                run(&Socket { state }, event);
            }
        })
    }

    fn on_text(&self, text: &str) {
        let link = self.link();
        // A frame this version does not know is skipped, not fatal: the relay may be newer.
        let Some(frame) = link.decode(text) else { return };
        let welcome = matches!(frame, ServerFrame::Welcome { .. } | ServerFrame::AgentWelcome { .. });
        let live = self.state.borrow().live;
        match &frame {
            ServerFrame::Pong => self.state.borrow_mut().awaiting_pong = false,
            ServerFrame::Error { code, client_id: Some(client_id), .. } if code.is_transient() => {
                self.defer(client_id.clone());
            }
            ServerFrame::Error { client_id: Some(client_id), .. } => {
                self.state.borrow_mut().sent_here.remove(client_id);
            }
            // Without a welcome the connection is of no use: refused, or failed for now (the
            // relay then closes it, and reconnecting tries again).
            ServerFrame::Error { code, client_id: None, .. } if !live => {
                if is_refusal(*code) {
                    self.state.borrow_mut().refusal = Some(*code);
                }
                self.close();
                return;
            }
            // Refused while live (the relay closes next): the close is handled as this refusal.
            ServerFrame::Error { code, client_id: None, .. } if is_refusal(*code) => {
                self.state.borrow_mut().refusal = Some(*code);
            }
            _ => {}
        }
        link.on_frame(frame);
        if welcome {
            {
                let mut state = self.state.borrow_mut();
                state.live = true;
                state.live_since = js_sys::Date::now();
            }
            link.on_status(Status::Live);
            for frame in link.on_live() {
                self.send(&frame);
            }
        }
        self.flush();
    }

    fn defer(&self, client_id: ClientId) {
        let mut state = self.state.borrow_mut();
        state.deferred.insert(client_id);
        if state.retry_timer.is_none() {
            let weak = Rc::downgrade(&self.state);
            state.retry_timer = Some(Timeout::new(TRANSIENT_RETRY_MS, move || {
                let Some(state) = weak.upgrade() else { return };
                let this = Socket { state };
                {
                    let mut state = this.state.borrow_mut();
                    state.retry_timer = None;
                    let deferred: Vec<ClientId> = state.deferred.drain().collect();
                    for client_id in deferred {
                        state.sent_here.remove(&client_id);
                    }
                }
                this.flush();
            }));
        }
    }

    fn schedule_ping(&self) {
        let weak = Rc::downgrade(&self.state);
        let timer = Timeout::new(PING_EVERY_MS, move || {
            let Some(state) = weak.upgrade() else { return };
            let this = Socket { state };
            if this.state.borrow().awaiting_pong {
                // No answer for a whole period: the connection is dead; its close event
                // reconnects.
                return this.close();
            }
            this.state.borrow_mut().awaiting_pong = true;
            this.send(r#"{"type":"ping"}"#);
            this.schedule_ping();
        });
        self.state.borrow_mut().ping_timer = Some(timer);
    }

    /// Drops the current connection; the next one (after the usual short wait) opens afresh,
    /// with whatever [`Link::opening`] says then.
    pub fn reconnect(&self) {
        self.close();
    }

    fn close(&self) {
        let socket = self.state.borrow().socket.clone();
        if let Some(socket) = socket {
            let _ = socket.close();
        }
    }

    /// The current connection is over: reconnect with backoff, or stop.
    fn ended(&self, ended: Ended) {
        {
            let mut state = self.state.borrow_mut();
            if state.stopped {
                return;
            }
            state.socket = None;
            state.live = false;
            state.ping_timer = None;
            state.retry_timer = None;
        }
        let link = self.link();
        match ended {
            Ended::Refused(code) => match link.on_refused(code) {
                // Still backing off: a refusal that repeats must not become a tight loop.
                AfterRefusal::Retry => self.reconnect_later(),
                AfterRefusal::Stop => self.stop(),
            },
            Ended::Lost { was_live: true } => {
                {
                    let mut state = self.state.borrow_mut();
                    if js_sys::Date::now() - state.live_since >= STABLE_AFTER_MS {
                        state.failures = 0;
                    }
                }
                self.reconnect_later();
            }
            Ended::Lost { was_live: false } => {
                let this = self.clone();
                link.may_retry(Box::new(move |retry| if retry { this.reconnect_later() } else { this.stop() }));
            }
        }
    }

    fn stop(&self) {
        let link = {
            let mut state = self.state.borrow_mut();
            state.stopped = true;
            state.handlers.clear();
            state.link.clone()
        };
        link.on_status(Status::Stopped);
    }

    fn reconnect_later(&self) {
        let link = self.link();
        link.on_status(Status::Reconnecting);
        let failures = {
            let mut state = self.state.borrow_mut();
            state.failures = state.failures.saturating_add(1);
            state.failures
        };
        let weak = Rc::downgrade(&self.state);
        let timer = Timeout::new(backoff_ms(failures), move || {
            if let Some(state) = weak.upgrade() {
                Socket { state }.connect();
            }
        });
        self.state.borrow_mut().reconnect_timer = Some(timer);
    }
}

/// Exponential backoff with full jitter, so that many clients reconnecting after a relay restart
/// spread out instead of arriving at once.
fn backoff_ms(failures: u32) -> u32 {
    let ceiling = (FIRST_BACKOFF_MS * 2f64.powi(failures.min(16) as i32)).min(MAX_BACKOFF_MS);
    (ceiling * (0.5 + js_sys::Math::random() / 2.0)) as u32
}
