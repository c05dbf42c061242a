//! The shopper's conversation service: the timeline the view shows, what the relay says about
//! agents and the queue, the outbox kept in localStorage, and the [`Link`] that speaks the visitor
//! protocol on the shared reconnecting socket. Views only read its signals and call its methods.
//!
//! The state is in few, larger values (one signal for the timeline, one for everything else the
//! view shows, one store for what it does not): every distinct type of signal costs the bundle
//! its own copy of the reactive machinery.

use std::collections::HashSet;
use std::time::Duration;

use checkout_chat_client::socket::{AfterRefusal, Link, Socket, Status};
use checkout_chat_client::util::{new_client_id, now_ms};
use checkout_chat_client::wire::{decode_for_visitor, encode_visitor};
use checkout_chat_protocol::limits::{TYPING_THROTTLE_MS, TYPING_TIMEOUT_MS};
use checkout_chat_protocol::settings::ShopFace;
use checkout_chat_protocol::text::{mask_card_numbers, normalize_message};
use checkout_chat_protocol::timeline::Timeline;
use checkout_chat_protocol::{
    Author, ClientId, ErrorCode, Event, EventBody, Identity, Seq, ServerFrame, VisitorFrame, VisitorHello,
};
use leptos::prelude::*;

use crate::config::WidgetConfig;
use crate::store::Store;

/// How long the note that a card number was hidden stays.
const MASKED_NOTICE: Duration = Duration::from_secs(10);

/// What the view shows besides the messages.
#[derive(Clone, PartialEq)]
pub struct Live {
    pub status: Status,
    pub shop_name: Option<String>,
    /// The shop's own greeting and "we usually reply within …", when it set them.
    pub greeting: Option<String>,
    pub reply_time: Option<String>,
    /// Agents online, once the relay has said.
    pub agents_online: Option<u32>,
    /// Place in the queue (1 = next) and estimated seconds, if known.
    pub queue: Option<(u32, Option<u32>)>,
    /// The agent typing now, by name.
    pub agent_typing: Option<String>,
    /// The highest sequence number the shopper has seen with the chat open.
    pub read_seq: Seq,
    /// The relay can send email: the conversation is offered by email.
    pub mail: bool,
    /// The text of the prompt the shopper answered, shown until the conversation has its own lines.
    pub prompt_text: Option<String>,
    /// The last message had a card number that was masked before sending.
    pub masked_notice: bool,
}

impl Live {
    fn show_shop(&mut self, shop: ShopFace) {
        self.shop_name = Some(shop.shop_name);
        self.greeting = shop.greeting;
        self.reply_time = shop.reply_time;
    }
}

/// Told (agent name, text) of each reply that arrives live.
type ReplyListener = std::rc::Rc<dyn Fn(&str, &str)>;

/// What the service keeps that no view shows.
struct Inner {
    socket: Option<Socket<ChatService>>,
    config: WidgetConfig,
    store: Store,
    identity: Option<Identity>,
    /// When "typing" was last sent, and the timer that will say "stopped".
    typing_sent_at: f64,
    typing_stop: Option<TimeoutHandle>,
    /// Bumped by each typing notice, so that only the latest one's timeout clears it.
    agent_typing_generation: u32,
    /// Between a welcome and `synced` the relay replays history; replies arriving then are old.
    replaying: bool,
    /// Called with (agent name, text) for each reply that arrives live.
    on_reply: Option<ReplyListener>,
    /// The prompt the shopper answered on this page: their next message answers it.
    accepted_prompt: Option<String>,
    /// The message that answers a prompt, and the prompt's rule.
    answer: Option<(ClientId, String)>,
}

#[derive(Clone, Copy)]
pub struct ChatService {
    pub timeline: RwSignal<Timeline>,
    pub live: RwSignal<Live>,
    inner: StoredValue<Inner, LocalStorage>,
}

impl ChatService {
    pub fn new(config: WidgetConfig) -> Self {
        let store = Store::new(config.shop.as_str());
        let live = Live {
            status: Status::Idle,
            shop_name: None,
            greeting: None,
            reply_time: None,
            agents_online: None,
            mail: false,
            prompt_text: None,
            queue: None,
            agent_typing: None,
            read_seq: store.read_seq(),
            masked_notice: false,
        };
        let returning = store.conversation().is_some();
        let timeline = Timeline::with_outbox(store.outbox());
        let store_answer = store.answer();
        let has_unsent = !timeline.pending.is_empty();
        let service = ChatService {
            timeline: RwSignal::new(timeline),
            live: RwSignal::new(live),
            inner: StoredValue::new_local(Inner {
                socket: None,
                config,
                store,
                identity: None,
                typing_sent_at: 0.0,
                typing_stop: None,
                agent_typing_generation: 0,
                replaying: false,
                on_reply: None,
                accepted_prompt: None,
                answer: store_answer,
            }),
        };
        // A returning shopper (a conversation, or unsent messages) is reconnected at once, so the
        // agent's replies (and the unread count) arrive without opening the chat.
        if returning || has_unsent {
            service.connect();
        }
        service
    }

    /// Whether the relay cannot hear us now (reactive), for forms that need it at once. One
    /// closure type for every form: each distinct one costs the bundle its own attribute code.
    pub fn offline(self) -> impl Fn() -> bool + Copy + 'static {
        move || self.live.with(|l| l.status != Status::Live)
    }

    /// Starts the connection if it is not running.
    pub fn connect(&self) {
        if self.inner.with_value(|i| i.socket.is_some()) {
            return;
        }
        let url = self.inner.with_value(|i| i.config.socket_url());
        let socket = Socket::start(url, *self);
        self.inner.update_value(|i| i.socket = Some(socket));
    }

    fn socket(&self) -> Option<Socket<ChatService>> {
        self.inner.with_value(|i| i.socket.clone())
    }

    fn store(&self) -> Store {
        self.inner.with_value(|i| i.store.clone())
    }

    /// Calls `listener` with (agent name, text) for each reply that arrives while the page is
    /// open (not for history replayed after a reload).
    pub fn on_reply(&self, listener: impl Fn(&str, &str) + 'static) {
        self.inner.update_value(|i| i.on_reply = Some(std::rc::Rc::new(listener)));
    }

    /// Queues a message for delivery (now, or after a reconnect or a reload), card numbers
    /// masked first. Returns false if there is nothing to send.
    pub fn send(&self, text: &str) -> bool {
        let Ok(text) = normalize_message(text) else { return false };
        let text = match mask_card_numbers(&text) {
            Some(masked) => {
                // A passing notice: said when it happens, gone after a while.
                let live = self.live;
                live.update(|l| l.masked_notice = true);
                let _ = set_timeout_with_handle(move || live.update(|l| l.masked_notice = false), MASKED_NOTICE);
                masked
            }
            None => text,
        };
        self.stop_typing();
        let client_id = new_client_id();
        // The first message after answering a prompt starts the conversation with the prompt.
        let answer = self.inner.try_update_value(|i| {
            let rule = i.accepted_prompt.take()?;
            i.answer = Some((client_id.clone(), rule));
            i.answer.clone()
        });
        if let Some(answer) = answer.flatten() {
            self.store().set_answer(Some(&answer));
        }
        self.timeline.update(|t| t.queue(client_id, text, now_ms()));
        self.save_outbox();
        self.connect();
        if let Some(socket) = self.socket() {
            socket.flush();
        }
        true
    }

    pub fn retry(&self, client_id: &ClientId) {
        self.timeline.update(|t| t.retry(client_id));
        if let Some(socket) = self.socket() {
            socket.resend(client_id);
        }
    }

    pub fn discard(&self, client_id: &ClientId) {
        self.timeline.update(|t| t.discard(client_id));
        self.store().forget_outbox_entry(client_id);
    }

    /// The shopper answered a prompt (the watcher drew it): if their next message (or the
    /// message they leave while nobody is online) starts a conversation, it starts with the
    /// prompt, whose text stays in view meanwhile; a quick reply they picked is sent now.
    pub fn answer_prompt(&self, answer: crate::api::PromptAnswer) {
        // Only a conversation that begins now starts with the prompt, or an ended one that the
        // answer reopens.
        if self.timeline.with_untracked(|t| t.id.is_none() || t.closed) {
            self.inner.update_value(|i| i.accepted_prompt = Some(answer.rule));
            self.live.update(|l| l.prompt_text = answer.text);
        }
        if let Some(reply) = answer.reply {
            self.send(&reply);
        }
    }

    /// Says the shopper is typing, at most every few seconds, and that they stopped after a
    /// pause.
    pub fn typing(&self) {
        let now = js_sys::Date::now();
        let due = self.inner.with_value(|i| now - i.typing_sent_at > f64::from(TYPING_THROTTLE_MS));
        if due {
            self.inner.update_value(|i| i.typing_sent_at = now);
            self.frame(&VisitorFrame::Typing { typing: true });
        }
        let service = *self;
        let stop =
            set_timeout_with_handle(move || service.stop_typing(), Duration::from_millis(TYPING_TIMEOUT_MS.into()))
                .ok();
        let previous = self.inner.try_update_value(|i| std::mem::replace(&mut i.typing_stop, stop)).flatten();
        if let Some(previous) = previous {
            previous.clear();
        }
    }

    fn stop_typing(&self) {
        if self.inner.with_value(|i| i.typing_sent_at > 0.0) {
            self.inner.update_value(|i| i.typing_sent_at = 0.0);
            self.frame(&VisitorFrame::Typing { typing: false });
        }
    }

    /// These three return whether the request went out (they are offered only while connected,
    /// but the connection may have dropped a moment ago): if not, the form keeps what was typed.
    pub fn rate(&self, score: u8, comment: &str) -> bool {
        let comment = normalize_message(comment).ok().map(masked);
        self.frame(&VisitorFrame::Rate { client_id: new_client_id(), score, comment })
    }

    pub fn leave_message(&self, email: &str, text: &str) -> bool {
        let Ok(text) = normalize_message(text) else { return false };
        let text = masked(text);
        let prompt = self.inner.with_value(|i| i.accepted_prompt.clone());
        let email = email.trim().to_owned();
        // The prompt goes with the message that was sent; a message not sent keeps it for the next.
        let sent = self.frame(&VisitorFrame::LeaveMessage { client_id: new_client_id(), email, text, prompt });
        if sent {
            self.inner.update_value(|i| i.accepted_prompt = None);
        }
        sent
    }

    pub fn email_transcript(&self, email: &str) -> bool {
        self.frame(&VisitorFrame::EmailTranscript { client_id: new_client_id(), email: email.trim().to_owned() })
    }

    /// The shop says who the shopper is; sent now and with every later `hello`.
    pub fn identify(&self, identity: Identity) {
        self.inner.update_value(|i| i.identity = Some(identity.clone()));
        self.frame(&VisitorFrame::Identify(identity));
    }

    /// The shop signed the shopper out: forget the conversation, the unsent messages and the
    /// identity, so the next person at this browser starts with an empty chat.
    pub fn reset(&self) {
        self.inner.update_value(|i| i.identity = None);
        self.forget_everything();
        if let Some(socket) = self.socket() {
            socket.reconnect();
        }
    }

    /// Forgets the conversation, unsent messages and the visitor's token (not the identity the
    /// page gave: after a refused identity change, that is who the next visitor is).
    fn forget_everything(&self) {
        self.store().forget_all();
        self.inner.update_value(|i| i.accepted_prompt = None);
        crate::host::title_notice(None);
        self.timeline.update(|t| {
            t.pending.clear();
            t.start_over();
        });
        self.live.update(|l| {
            l.queue = None;
            l.read_seq = 0;
            l.masked_notice = false;
            l.prompt_text = None;
            l.agent_typing = None;
        });
    }

    /// The shopper has seen everything up to now.
    pub fn mark_read(&self) {
        let last = self.timeline.with_untracked(|t| t.last_seq);
        if self.live.with_untracked(|l| l.read_seq) != last {
            self.live.update(|l| l.read_seq = last);
            self.store().set_read_seq(last);
        }
    }

    /// Sends a frame if connected now (these are for actions offered only while live).
    fn frame(&self, frame: &VisitorFrame) -> bool {
        self.socket().is_some_and(|socket| socket.send_if_live(&encode_visitor(frame)))
    }

    fn save_outbox(&self) {
        let store = self.store();
        self.timeline.with_untracked(|t| store.save_outbox(&t.pending, |p| t.is_delivered(&p.client_id)));
    }

    fn agent_typing(&self, name: Option<String>) {
        let generation = self.inner.try_update_value(|i| {
            i.agent_typing_generation = i.agent_typing_generation.wrapping_add(1);
            i.agent_typing_generation
        });
        let typing = name.is_some();
        self.live.update(|l| l.agent_typing = name);
        if typing {
            // A lost "stopped typing" must not leave the indicator on forever.
            let service = *self;
            let clear = move || {
                if service.inner.with_value(|i| Some(i.agent_typing_generation)) == generation {
                    service.live.update(|l| l.agent_typing = None);
                }
            };
            let _ = set_timeout_with_handle(clear, Duration::from_millis(TYPING_TIMEOUT_MS.into()));
        }
    }

    fn on_event(&self, event: Event) {
        let stored_own_message = event.client_id.is_some() && event.author == Author::Visitor;
        let reply = match (&event.author, &event.body) {
            (Author::Agent(agent), EventBody::Message { text }) => Some((agent.name.clone(), text.clone())),
            _ => None,
        };
        if matches!(event.body, EventBody::Joined | EventBody::Closed { .. }) {
            self.live.update(|l| l.queue = None);
        }
        // The answered prompt is stored now: its own line shows it from here.
        if matches!(event.body, EventBody::Prompted { .. }) {
            self.live.update(|l| l.prompt_text = None);
        }
        let new = self.timeline.try_update(|t| t.apply(event)).unwrap_or(false);
        if stored_own_message {
            self.save_outbox();
        }
        if let Some((author, text)) = reply.filter(|_| new) {
            self.agent_typing(None);
            // Called outside the stored value: the listener may call back into the service.
            let listener = self.inner.with_value(|i| i.on_reply.clone().filter(|_| !i.replaying));
            if let Some(listener) = listener {
                listener(&author, &text);
            }
        }
        // The first message started the conversation: remember it for the next page.
        let shown = self.timeline.with_untracked(|t| t.id.clone());
        let store = self.store();
        if shown.is_some() && store.conversation() != shown {
            store.set_conversation(shown.as_ref());
        }
    }
}

impl Link for ChatService {
    fn decode(&self, text: &str) -> Option<ServerFrame> {
        decode_for_visitor(text)
    }

    fn opening(&self) -> Option<String> {
        let (shop, store, identity) =
            self.inner.with_value(|i| (i.config.shop.clone(), i.store.clone(), i.identity.clone()));
        let (token, conversation_id) = (store.token(), store.conversation());
        let last_seq = self.timeline.with_untracked(|t| if t.id == conversation_id { t.last_seq } else { 0 });
        // The watcher keeps the browser's session; the shopper's language names the prompt text.
        let session_id = store.session_id();
        let locale = Some(self.inner.with_value(|i| i.config.locale.clone()));
        let hello =
            VisitorHello { shop, token, conversation_id, last_seq, identity, session_id, activity_only: false, locale };
        Some(encode_visitor(&VisitorFrame::Hello(hello)))
    }

    fn on_frame(&self, frame: ServerFrame) {
        match frame {
            ServerFrame::Welcome { token, conversation_id, shop, agents_online, mail, .. } => {
                let store = self.store();
                store.set_token(&token);
                store.set_conversation(conversation_id.as_ref());
                self.inner.update_value(|i| i.replaying = conversation_id.is_some());
                self.live.update(|l| {
                    l.show_shop(shop);
                    l.agents_online = Some(agents_online);
                    l.mail = mail;
                });
                self.timeline.update(|t| t.welcome(conversation_id));
            }
            ServerFrame::Shop(shop) => self.live.update(|l| l.show_shop(shop)),
            ServerFrame::Event { event } => self.on_event(event),
            ServerFrame::Synced { conversation_id, last_seq } => {
                self.inner.update_value(|i| i.replaying = false);
                // Only the shown conversation's replay may trim what is shown.
                if self.timeline.with_untracked(|t| t.id.as_ref() == Some(&conversation_id)) {
                    self.timeline.update(|t| t.synced(last_seq));
                }
            }
            ServerFrame::Ack { client_id, conversation_id, seq } => {
                let waiting = self.timeline.with_untracked(|t| t.pending.iter().any(|p| p.client_id == client_id));
                if waiting {
                    self.timeline.update(|t| t.acked(&client_id, &conversation_id, seq));
                    self.save_outbox();
                }
            }
            ServerFrame::Presence { agents_online } => self.live.update(|l| l.agents_online = Some(agents_online)),
            ServerFrame::Queue { position, estimated_wait_seconds, .. } => {
                self.live.update(|l| l.queue = Some((position, estimated_wait_seconds)));
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
            _ => {}
        }
    }

    fn unsent(&self, sent_here: &HashSet<ClientId>) -> Vec<(ClientId, String)> {
        let answer = self.inner.with_value(|i| i.answer.clone());
        self.timeline.with_untracked(|t| {
            t.unsent()
                .filter(|p| !sent_here.contains(&p.client_id))
                .map(|p| {
                    let prompt = answer.as_ref().filter(|(id, _)| *id == p.client_id).map(|(_, rule)| rule.clone());
                    let frame = VisitorFrame::Send { client_id: p.client_id.clone(), text: p.text.clone(), prompt };
                    (p.client_id.clone(), encode_visitor(&frame))
                })
                .collect()
        })
    }

    fn on_status(&self, status: Status) {
        self.live.update(|l| l.status = status);
    }

    fn on_refused(&self, code: Option<ErrorCode>) -> AfterRefusal {
        match code {
            // The embed is wrong (data-shop) or the page's origin is not allowed for the shop:
            // nothing the widget can fix, so it says so once to the shop owner and stops.
            Some(ErrorCode::UnknownShop | ErrorCode::OriginNotAllowed) => {
                let shop = self.inner.with_value(|i| i.config.shop.clone());
                web_sys::console::warn_1(
                    &format!("checkout-chat: the relay does not serve shop \"{shop}\" on this page (check data-shop and the shop's allowed origins)").into(),
                );
                AfterRefusal::Stop
            }
            // The browser is now someone else's (another user signed in): nothing of the last
            // person's may stay, unsent messages included.
            Some(ErrorCode::IdentityChanged) => {
                self.forget_everything();
                AfterRefusal::Retry
            }
            // Our identity is refused (the relay's database was reset, or the stored conversation
            // is not ours): start over as a new visitor, keeping unsent messages.
            _ => {
                self.store().forget_identity();
                self.timeline.update(|t| t.welcome(None));
                AfterRefusal::Retry
            }
        }
    }
}

/// Text with card numbers masked (the shopper is told only for chat messages, where the note sits
/// beside the composer).
fn masked(text: String) -> String {
    mask_card_numbers(&text).unwrap_or(text)
}
