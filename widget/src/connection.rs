//! The shopper's conversation service: the timeline the view shows, the outbox kept in
//! localStorage, what the relay says about agents and the queue, and the [`Link`] that speaks
//! the visitor protocol on the shared reconnecting socket. Views only read its signals and call
//! its methods.

use std::collections::HashSet;
use std::time::Duration;

use checkout_chat_client::socket::{AfterRefusal, Link, Socket, Status};
use checkout_chat_client::util::{new_client_id, now_ms};
use checkout_chat_client::wire::{decode_for_visitor, encode_visitor};
use checkout_chat_protocol::limits::{TYPING_THROTTLE_MS, TYPING_TIMEOUT_MS};
use checkout_chat_protocol::text::{mask_card_numbers, normalize_message};
use checkout_chat_protocol::timeline::Timeline;
use checkout_chat_protocol::{
    Author, ClientId, ErrorCode, EventBody, Identity, Seq, ServerFrame, VisitorFrame, VisitorHello,
};
use leptos::prelude::*;

use crate::config::WidgetConfig;
use crate::store::Store;

/// Where the shopper stands in the queue: place (1 = next) and estimated seconds, if known.
pub type QueuePlace = (u32, Option<u32>);

#[derive(Clone, Copy)]
pub struct ChatService {
    pub timeline: RwSignal<Timeline>,
    pub status: RwSignal<Status>,
    pub shop_name: RwSignal<Option<String>>,
    /// Agents online, once the relay has said.
    pub agents_online: RwSignal<Option<u32>>,
    pub queue: RwSignal<Option<QueuePlace>>,
    /// The agent typing now, by name.
    pub agent_typing: RwSignal<Option<String>>,
    /// The highest sequence number the shopper has seen with the chat open.
    pub read_seq: RwSignal<Seq>,
    /// The last message had a card number that was masked before sending.
    pub masked_notice: RwSignal<bool>,
    socket: StoredValue<Option<Socket<ChatService>>, LocalStorage>,
    config: StoredValue<WidgetConfig, LocalStorage>,
    store: StoredValue<Store, LocalStorage>,
    identity: StoredValue<Option<Identity>, LocalStorage>,
    /// When "typing" was last sent, and the timer that will say "stopped".
    typing_sent_at: StoredValue<f64, LocalStorage>,
    typing_stop: StoredValue<Option<TimeoutHandle>, LocalStorage>,
    /// Bumped by each typing notice, so that only the latest one's timeout clears it.
    agent_typing_generation: StoredValue<u32, LocalStorage>,
    /// Between a welcome and `synced` the relay replays history; replies arriving then are old.
    replaying: StoredValue<bool, LocalStorage>,
    /// Called with (agent name, text) for each reply that arrives live.
    on_reply: StoredValue<Option<Box<dyn Fn(&str, &str)>>, LocalStorage>,
}

impl ChatService {
    pub fn new(config: WidgetConfig) -> Self {
        let store = Store::new(config.shop.as_str());
        let service = ChatService {
            timeline: RwSignal::new(Timeline::with_outbox(store.outbox())),
            status: RwSignal::new(Status::Idle),
            shop_name: RwSignal::new(None),
            agents_online: RwSignal::new(None),
            queue: RwSignal::new(None),
            agent_typing: RwSignal::new(None),
            read_seq: RwSignal::new(store.read_seq()),
            masked_notice: RwSignal::new(false),
            socket: StoredValue::new_local(None),
            config: StoredValue::new_local(config),
            store: StoredValue::new_local(store),
            identity: StoredValue::new_local(None),
            typing_sent_at: StoredValue::new_local(0.0),
            typing_stop: StoredValue::new_local(None),
            agent_typing_generation: StoredValue::new_local(0),
            replaying: StoredValue::new_local(false),
            on_reply: StoredValue::new_local(None),
        };
        // A returning shopper (a conversation, or unsent messages) is reconnected at once, so the
        // agent's replies (and the unread count) arrive without opening the chat.
        let returning = service.store.with_value(|s| s.conversation().is_some());
        if returning || service.timeline.with_untracked(|t| !t.pending.is_empty()) {
            service.connect();
        }
        service
    }

    /// Starts the connection if it is not running.
    pub fn connect(&self) {
        if self.socket.with_value(Option::is_some) {
            return;
        }
        let url = self.config.with_value(WidgetConfig::socket_url);
        self.socket.set_value(Some(Socket::start(url, *self)));
    }

    fn with_socket(&self, act: impl FnOnce(&Socket<ChatService>)) {
        if let Some(socket) = self.socket.get_value() {
            act(&socket);
        }
    }

    /// Calls `listener` with (agent name, text) for each reply that arrives while the page is
    /// open (not for history replayed after a reload).
    pub fn on_reply(&self, listener: impl Fn(&str, &str) + 'static) {
        self.on_reply.set_value(Some(Box::new(listener)));
    }

    /// Queues a message for delivery (now, or after a reconnect or a reload), card numbers
    /// masked first. Returns false if there is nothing to send.
    pub fn send(&self, text: &str) -> bool {
        let Ok(text) = normalize_message(text) else { return false };
        let text = match mask_card_numbers(&text) {
            Some(masked) => {
                self.masked_notice.set(true);
                masked
            }
            None => text,
        };
        self.stop_typing();
        self.timeline.update(|t| t.queue(new_client_id(), text, now_ms()));
        self.save_outbox();
        self.connect();
        self.with_socket(Socket::flush);
        true
    }

    pub fn retry(&self, client_id: &ClientId) {
        self.timeline.update(|t| t.retry(client_id));
        self.with_socket(|socket| socket.resend(client_id));
    }

    pub fn discard(&self, client_id: &ClientId) {
        self.timeline.update(|t| t.discard(client_id));
        self.store.with_value(|s| s.forget_outbox_entry(client_id));
    }

    /// Says the shopper is typing, at most every few seconds, and that they stopped after a
    /// pause.
    pub fn typing(&self) {
        let now = js_sys::Date::now();
        if now - self.typing_sent_at.get_value() > f64::from(TYPING_THROTTLE_MS) {
            self.typing_sent_at.set_value(now);
            self.frame(&VisitorFrame::Typing { typing: true });
        }
        let service = *self;
        let stop =
            set_timeout_with_handle(move || service.stop_typing(), Duration::from_millis(TYPING_TIMEOUT_MS.into()));
        if let Some(previous) = self.typing_stop.try_update_value(|slot| std::mem::replace(slot, stop.ok())).flatten() {
            previous.clear();
        }
    }

    fn stop_typing(&self) {
        if self.typing_sent_at.get_value() > 0.0 {
            self.typing_sent_at.set_value(0.0);
            self.frame(&VisitorFrame::Typing { typing: false });
        }
    }

    pub fn rate(&self, score: u8, comment: String) {
        let comment = normalize_message(&comment).ok();
        self.frame(&VisitorFrame::Rate { client_id: new_client_id(), score, comment });
    }

    pub fn leave_message(&self, email: &str, text: &str) {
        let Ok(text) = normalize_message(text) else { return };
        let text = mask_card_numbers(&text).unwrap_or(text);
        self.frame(&VisitorFrame::LeaveMessage { client_id: new_client_id(), email: email.trim().to_owned(), text });
    }

    pub fn email_transcript(&self, email: &str) {
        self.frame(&VisitorFrame::EmailTranscript { client_id: new_client_id(), email: email.trim().to_owned() });
    }

    /// The shop says who the shopper is; sent now and with every later `hello`.
    pub fn identify(&self, identity: Identity) {
        self.identity.set_value(Some(identity.clone()));
        self.frame(&VisitorFrame::Identify(identity));
    }

    /// After an ended chat: an empty chat; the next message starts a new conversation.
    pub fn start_over(&self) {
        self.timeline.update(Timeline::start_over);
        self.queue.set(None);
        self.store.with_value(|s| s.set_conversation(None));
    }

    /// The shopper has seen everything up to now.
    pub fn mark_read(&self) {
        let last = self.timeline.with_untracked(|t| t.last_seq);
        if self.read_seq.get_untracked() != last {
            self.read_seq.set(last);
            self.store.with_value(|s| s.set_read_seq(last));
        }
    }

    /// Sends a frame if connected now (these are for actions offered only while live).
    fn frame(&self, frame: &VisitorFrame) {
        self.with_socket(|socket| socket.send_if_live(&encode_visitor(frame)));
    }

    fn save_outbox(&self) {
        self.timeline.with_untracked(|t| {
            self.store.with_value(|s| s.save_outbox(&t.pending, |p| t.is_delivered(&p.client_id)));
        });
    }

    fn agent_typing(&self, name: Option<String>) {
        let generation = self.agent_typing_generation.get_value().wrapping_add(1);
        self.agent_typing_generation.set_value(generation);
        let typing = name.is_some();
        self.agent_typing.set(name);
        if typing {
            // A lost "stopped typing" must not leave the indicator on forever.
            let service = *self;
            let clear = move || {
                if service.agent_typing_generation.get_value() == generation {
                    service.agent_typing.set(None);
                }
            };
            let _ = set_timeout_with_handle(clear, Duration::from_millis(TYPING_TIMEOUT_MS.into()));
        }
    }

    fn on_event(&self, event: checkout_chat_protocol::Event) {
        let stored_own_message = event.client_id.is_some() && event.author == Author::Visitor;
        let reply = match (&event.author, &event.body) {
            (Author::Agent(agent), EventBody::Message { text }) => Some((agent.name.clone(), text.clone())),
            _ => None,
        };
        if matches!(event.body, EventBody::Joined | EventBody::Closed) {
            self.queue.set(None);
        }
        let new = self.timeline.try_update(|t| t.apply(event)).unwrap_or(false);
        if stored_own_message {
            self.save_outbox();
        }
        if let Some((author, text)) = reply.filter(|_| new) {
            self.agent_typing(None);
            if !self.replaying.get_value() {
                self.on_reply.with_value(|listener| {
                    if let Some(listener) = listener {
                        listener(&author, &text);
                    }
                });
            }
        }
        // The first message started the conversation: remember it for the next page.
        let shown = self.timeline.with_untracked(|t| t.id.clone());
        self.store.with_value(|s| {
            if shown.is_some() && s.conversation() != shown {
                s.set_conversation(shown.as_ref());
            }
        });
    }
}

impl Link for ChatService {
    fn decode(&self, text: &str) -> Option<ServerFrame> {
        decode_for_visitor(text)
    }

    fn opening(&self) -> Option<String> {
        let shop = self.config.with_value(|c| c.shop.clone());
        let (token, conversation_id) = self.store.with_value(|s| (s.token(), s.conversation()));
        let last_seq = self.timeline.with_untracked(|t| if t.id == conversation_id { t.last_seq } else { 0 });
        let identity = self.identity.get_value();
        Some(encode_visitor(&VisitorFrame::Hello(VisitorHello { shop, token, conversation_id, last_seq, identity })))
    }

    fn on_frame(&self, frame: ServerFrame) {
        match frame {
            ServerFrame::Welcome { token, conversation_id, shop_name, agents_online, .. } => {
                self.store.with_value(|s| {
                    s.set_token(&token);
                    s.set_conversation(conversation_id.as_ref());
                });
                self.shop_name.set(Some(shop_name));
                self.agents_online.set(Some(agents_online));
                self.replaying.set_value(conversation_id.is_some());
                self.timeline.update(|t| t.welcome(conversation_id));
            }
            ServerFrame::Event { event } => self.on_event(event),
            ServerFrame::Synced { last_seq, .. } => {
                self.replaying.set_value(false);
                self.timeline.update(|t| t.synced(last_seq));
            }
            ServerFrame::Presence { agents_online } => self.agents_online.set(Some(agents_online)),
            ServerFrame::Queue { position, estimated_wait_seconds, .. } => {
                self.queue.set(Some((position, estimated_wait_seconds)));
            }
            ServerFrame::Typing { author: Author::Agent(agent), typing, .. } => {
                self.agent_typing(typing.then_some(agent.name));
            }
            // Refused for good: the shopper sees it and decides (retry or discard); nothing is
            // dropped silently. A passing refusal is retried by the socket by itself.
            ServerFrame::Error { code, message, client_id: Some(client_id) } if !code.is_transient() => {
                let reason = if code == ErrorCode::InvalidText { message } else { String::new() };
                self.timeline.update(|t| t.fail(&client_id, reason));
            }
            // An ack needs nothing: the message's own event (on this connection, or in the next
            // replay) moves it from the outbox into the timeline.
            _ => {}
        }
    }

    fn unsent(&self, sent_here: &HashSet<ClientId>) -> Vec<(ClientId, String)> {
        self.timeline.with_untracked(|t| {
            t.unsent()
                .filter(|p| !sent_here.contains(&p.client_id))
                .map(|p| {
                    let frame = VisitorFrame::Send { client_id: p.client_id.clone(), text: p.text.clone() };
                    (p.client_id.clone(), encode_visitor(&frame))
                })
                .collect()
        })
    }

    fn on_status(&self, status: Status) {
        self.status.set(status);
    }

    fn on_refused(&self, code: Option<ErrorCode>) -> AfterRefusal {
        match code {
            // The embed is wrong (data-shop) or the page's origin is not allowed for the shop:
            // nothing the widget can fix, so it says so once to the shop owner and stops.
            Some(ErrorCode::UnknownShop | ErrorCode::OriginNotAllowed) => {
                let shop = self.config.with_value(|c| c.shop.clone());
                web_sys::console::warn_1(
                    &format!("checkout-chat: the relay does not serve shop \"{shop}\" on this page (check data-shop and the shop's allowed origins)").into(),
                );
                AfterRefusal::Stop
            }
            // Our identity is refused (the relay's database was reset, or the stored conversation
            // is not ours): start over as a new visitor, keeping unsent messages.
            _ => {
                self.store.with_value(Store::forget_identity);
                self.timeline.update(|t| t.welcome(None));
                AfterRefusal::Retry
            }
        }
    }
}
