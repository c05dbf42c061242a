//! The shopper's conversation service: the timeline the view shows, the outbox kept in
//! localStorage, and the [`Link`] that speaks the visitor protocol on the shared reconnecting
//! socket. Views only read its signals and call its methods.

use std::collections::HashSet;

use checkout_chat_client::socket::{self, AfterRefusal, Command, Link, Status};
use checkout_chat_client::util::{new_client_id, now_ms};
use checkout_chat_protocol::text::normalize_message;
use checkout_chat_protocol::timeline::Timeline;
use checkout_chat_protocol::{ClientId, ErrorCode, ServerFrame, VisitorFrame, VisitorHello};
use futures::channel::mpsc;
use leptos::prelude::*;

use crate::config::WidgetConfig;
use crate::store::Store;

#[derive(Clone, Copy)]
pub struct ChatService {
    pub timeline: RwSignal<Timeline>,
    pub status: RwSignal<Status>,
    pub shop_name: RwSignal<Option<String>>,
    commands: StoredValue<Option<mpsc::UnboundedSender<Command>>, LocalStorage>,
    config: StoredValue<WidgetConfig, LocalStorage>,
    store: StoredValue<Store, LocalStorage>,
}

impl ChatService {
    pub fn new(config: WidgetConfig) -> Self {
        let store = Store::new(config.shop.as_str());
        let service = ChatService {
            timeline: RwSignal::new(Timeline::with_outbox(store.outbox())),
            status: RwSignal::new(Status::Idle),
            shop_name: RwSignal::new(None),
            commands: StoredValue::new_local(None),
            config: StoredValue::new_local(config),
            store: StoredValue::new_local(store),
        };
        // A returning shopper (a conversation, or unsent messages) is reconnected at once, so the
        // agent's replies arrive without opening the chat.
        let returning = service.store.with_value(|s| s.conversation().is_some());
        if returning || service.timeline.with_untracked(|t| !t.pending.is_empty()) {
            service.connect();
        }
        service
    }

    /// Starts the connection if it is not running.
    pub fn connect(&self) {
        if self.commands.with_value(Option::is_some) {
            return;
        }
        let (sender, receiver) = mpsc::unbounded();
        self.commands.set_value(Some(sender));
        let url = self.config.with_value(WidgetConfig::socket_url);
        let link = *self;
        wasm_bindgen_futures::spawn_local(socket::run(url, link, receiver));
    }

    /// Queues a message for delivery (now, or after a reconnect or a reload). Returns false if
    /// there is nothing to send.
    pub fn send(&self, text: &str) -> bool {
        let Ok(text) = normalize_message(text) else { return false };
        self.timeline.update(|t| t.queue(new_client_id(), text, now_ms()));
        self.save_outbox();
        self.connect();
        self.command(Command::Flush);
        true
    }

    pub fn retry(&self, client_id: &ClientId) {
        self.timeline.update(|t| t.retry(client_id));
        self.command(Command::Resend(client_id.clone()));
    }

    pub fn discard(&self, client_id: &ClientId) {
        self.timeline.update(|t| t.discard(client_id));
        self.store.with_value(|s| s.forget_outbox_entry(client_id));
    }

    fn command(&self, command: Command) {
        self.commands.with_value(|sender| {
            if let Some(sender) = sender {
                // The receiving task lives as long as the page; there is nobody to tell otherwise.
                let _ = sender.unbounded_send(command);
            }
        });
    }

    fn save_outbox(&self) {
        self.timeline.with_untracked(|t| {
            self.store.with_value(|s| s.save_outbox(&t.pending, |p| t.is_delivered(&p.client_id)));
        });
    }
}

impl Link for ChatService {
    fn opening(&self) -> Option<String> {
        let shop = self.config.with_value(|c| c.shop.clone());
        let (token, conversation_id) = self.store.with_value(|s| (s.token(), s.conversation()));
        let last_seq = self.timeline.with_untracked(|t| if t.id == conversation_id { t.last_seq } else { 0 });
        serde_json::to_string(&VisitorFrame::Hello(VisitorHello { shop, token, conversation_id, last_seq })).ok()
    }

    fn on_frame(&self, frame: ServerFrame) {
        match frame {
            ServerFrame::Welcome { token, conversation_id, shop_name, .. } => {
                self.store.with_value(|s| {
                    s.set_token(&token);
                    s.set_conversation(conversation_id.as_ref());
                });
                self.shop_name.set(Some(shop_name));
                self.timeline.update(|t| t.welcome(conversation_id));
            }
            ServerFrame::Event { event } => {
                let stored_own_message = event.client_id.is_some();
                self.timeline.update(|t| {
                    t.apply(event);
                });
                if stored_own_message {
                    self.save_outbox();
                }
                // The first message started the conversation: remember it for the next page.
                let shown = self.timeline.with_untracked(|t| t.id.clone());
                self.store.with_value(|s| {
                    if s.conversation() != shown {
                        s.set_conversation(shown.as_ref());
                    }
                });
            }
            ServerFrame::Synced { last_seq, .. } => self.timeline.update(|t| t.synced(last_seq)),
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
                .filter_map(|p| {
                    let frame = VisitorFrame::Send { client_id: p.client_id.clone(), text: p.text.clone() };
                    Some((p.client_id.clone(), serde_json::to_string(&frame).ok()?))
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
                leptos::logging::warn!(
                    "checkout-chat: the relay does not serve shop \"{shop}\" on this page (check data-shop and the shop's allowed origins)"
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
