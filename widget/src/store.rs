//! What the widget remembers in the shop page's localStorage, per shop: the visitor token, the
//! conversation being shown, and the outbox of unsent messages. When storage is unavailable
//! (blocked cookies, private modes) the widget still works for the current page.

use checkout_chat_protocol::{ConversationId, VisitorToken};

use checkout_chat_protocol::timeline::Pending;

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

    /// Forgets the visitor (the relay refused the token): a fresh start on the next connection.
    pub fn forget_identity(&self) {
        self.set("token", None);
        self.set("conversation", None);
    }

    pub fn outbox(&self) -> Vec<Pending> {
        self.get("outbox").and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default()
    }

    pub fn set_outbox(&self, pending: &[Pending]) {
        if pending.is_empty() {
            self.set("outbox", None);
        } else if let Ok(json) = serde_json::to_string(pending) {
            self.set("outbox", Some(&json));
        }
    }
}
