//! What the widget remembers in the shop page's localStorage, per shop: the visitor token, the
//! conversation shown, how far the shopper has read, and the outbox of unsent messages. Without
//! storage (blocked cookies, private modes) the widget still works for the current page.

use checkout_chat_protocol::timeline::{Pending, PendingState};
use checkout_chat_protocol::{ClientId, ConversationId, Seq, VisitorToken};
use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::JsValue;

#[derive(Clone)]
pub struct Store {
    prefix: String,
}

impl Store {
    pub fn new(shop: &str) -> Self {
        Store { prefix: format!("checkout-chat:{shop}:") }
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    fn get(&self, key: &str) -> Option<String> {
        Self::storage()?.get_item(&format!("{}{key}", self.prefix)).ok().flatten()
    }

    fn set(&self, key: &str, value: Option<&str>) {
        let Some(storage) = Self::storage() else { return };
        let key = format!("{}{key}", self.prefix);
        // A full or blocked storage only costs persistence across reloads.
        let _ = match value {
            Some(value) => storage.set_item(&key, value),
            None => storage.remove_item(&key),
        };
    }

    pub fn token(&self) -> Option<VisitorToken> {
        self.get("token").and_then(|t| VisitorToken::new(t).ok())
    }

    pub fn set_token(&self, token: &VisitorToken) {
        self.set("token", Some(token.as_str()));
    }

    pub fn conversation(&self) -> Option<ConversationId> {
        self.get("conversation").and_then(|c| ConversationId::new(c).ok())
    }

    pub fn set_conversation(&self, id: Option<&ConversationId>) {
        self.set("conversation", id.map(ConversationId::as_str));
    }

    /// The highest sequence number the shopper has had on screen with the chat open.
    pub fn read_seq(&self) -> Seq {
        self.get("read").and_then(|r| r.parse().ok()).unwrap_or(0)
    }

    pub fn set_read_seq(&self, seq: Seq) {
        self.set("read", Some(&seq.to_string()));
    }

    /// The message that answers a prompt and the prompt's rule, kept until it is delivered (a
    /// page change before that must not lose the link).
    pub fn answer(&self) -> Option<(ClientId, String)> {
        let stored = self.get("answer")?;
        let (client_id, rule) = stored.split_once(' ')?;
        Some((ClientId::new(client_id).ok()?, rule.to_owned()))
    }

    pub fn set_answer(&self, answer: Option<&(ClientId, String)>) {
        let value = answer.map(|(client_id, rule)| format!("{} {rule}", client_id.as_str()));
        self.set("answer", value.as_deref());
    }

    /// The browser session the watcher keeps (reports count per session).
    pub fn session_id(&self) -> Option<ClientId> {
        self.get("session-id").and_then(|s| ClientId::new(s).ok())
    }

    /// Forgets the visitor (the relay refused the token): a fresh start on the next connection.
    pub fn forget_identity(&self) {
        self.set("token", None);
        self.set("conversation", None);
        self.set("read", None);
    }

    /// Forgets everything, unsent messages too (the shop signed the shopper out).
    pub fn forget_all(&self) {
        self.forget_identity();
        self.set("outbox", None);
        self.set("answer", None);
    }

    pub fn outbox(&self) -> Vec<Pending> {
        let Some(json) = self.get("outbox") else { return Vec::new() };
        let Ok(parsed) = JSON::parse(&json) else { return Vec::new() };
        Array::from(&parsed).iter().filter_map(|entry| pending_from_js(&entry)).collect()
    }

    /// Writes this tab's unsent messages. Another tab of the shop may have its own in the same
    /// outbox: those stay unless this tab has seen them delivered (`delivered`), so closing one
    /// tab never drops what another tab queued.
    pub fn save_outbox(&self, mine: &[Pending], delivered: impl Fn(&Pending) -> bool) {
        let others: Vec<Pending> = self
            .outbox()
            .into_iter()
            .filter(|stored| !mine.iter().any(|p| p.client_id == stored.client_id) && !delivered(stored))
            .collect();
        // This tab's first: it is the one delivering them now.
        let outbox: Vec<Pending> = mine.iter().cloned().chain(others).collect();
        self.write_outbox(&outbox);
    }

    /// Removes one message from the outbox (the shopper discarded it).
    pub fn forget_outbox_entry(&self, client_id: &ClientId) {
        let mut outbox = self.outbox();
        outbox.retain(|p| &p.client_id != client_id);
        self.write_outbox(&outbox);
    }

    fn write_outbox(&self, outbox: &[Pending]) {
        if outbox.is_empty() {
            return self.set("outbox", None);
        }
        let entries: Array = outbox.iter().map(pending_to_js).collect();
        if let Some(json) = JSON::stringify(&entries).ok().and_then(|s| s.as_string()) {
            self.set("outbox", Some(&json));
        }
    }
}

fn pending_to_js(pending: &Pending) -> JsValue {
    let entry = Object::new();
    let _ = Reflect::set(&entry, &"client_id".into(), &pending.client_id.as_str().into());
    let _ = Reflect::set(&entry, &"text".into(), &pending.text.as_str().into());
    let _ = Reflect::set(&entry, &"at_ms".into(), &(pending.at_ms as f64).into());
    entry.into()
}

fn pending_from_js(entry: &JsValue) -> Option<Pending> {
    let get = |name: &str| Reflect::get(entry, &JsValue::from_str(name)).ok();
    Some(Pending {
        client_id: ClientId::new(get("client_id")?.as_string()?).ok()?,
        text: get("text")?.as_string()?,
        at_ms: get("at_ms")?.as_f64()? as i64,
        state: PendingState::Sending,
    })
}
