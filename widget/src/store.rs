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

    /// Writes this tab's unsent messages. Another tab of the shop may have its own in the same
    /// outbox: those stay unless this tab has seen them delivered (`delivered`), so closing one
    /// tab never drops what another tab queued.
    pub fn save_outbox(&self, mine: &[Pending], delivered: impl Fn(&Pending) -> bool) {
        let others: Vec<Pending> = self
            .outbox()
            .into_iter()
            .filter(|stored| !mine.iter().any(|p| p.client_id == stored.client_id) && !delivered(stored))
            .collect();
        let mut outbox: Vec<Pending> = mine.iter().cloned().chain(others).collect();
        outbox.sort_by_key(|p| p.at_ms);
        self.write_outbox(&outbox);
    }

    /// Removes one message from the outbox (the shopper discarded it).
    pub fn forget_outbox_entry(&self, client_id: &checkout_chat_protocol::ClientId) {
        let mut outbox = self.outbox();
        outbox.retain(|p| &p.client_id != client_id);
        self.write_outbox(&outbox);
    }

    fn write_outbox(&self, outbox: &[Pending]) {
        if outbox.is_empty() {
            self.set("outbox", None);
        } else if let Ok(json) = serde_json::to_string(outbox) {
            self.set("outbox", Some(&json));
        }
    }
}
