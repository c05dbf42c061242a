//! What the loader hands over: the embed tag's `data-*` attributes and what it found on the page.
//! Read from a plain JS object (no serde in the widget: see `checkout_chat_client::wire`).

use checkout_chat_protocol::ShopId;
use js_sys::Reflect;
use wasm_bindgen::JsValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

#[derive(Debug, Clone)]
pub struct WidgetConfig {
    /// `data-shop`.
    pub shop: ShopId,
    /// The relay's base URL, taken from the loader's own `src` (ends with `/`).
    pub relay: String,
    /// `data-locale`, else the page's `<html lang>`, else the browser's language.
    pub locale: String,
    /// `data-position`; by default the end side of the reading direction.
    pub side: Option<Side>,
    /// `data-sound="on"`: a short chime for a reply while the chat is closed.
    pub sound: bool,
}

impl WidgetConfig {
    pub fn from_js(value: &JsValue) -> Result<Self, String> {
        let field = |name: &str| Reflect::get(value, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
        let shop = field("shop").unwrap_or_default();
        let shop = ShopId::new(shop).map_err(|e| format!("data-shop: {e}"))?;
        let relay = field("relay").unwrap_or_default();
        if !(relay.starts_with("http://") || relay.starts_with("https://")) {
            return Err(format!("the relay URL must be http(s): {relay}"));
        }
        let side = match field("position").as_deref() {
            Some("bottom-left" | "left") => Some(Side::Left),
            Some("bottom-right" | "right") => Some(Side::Right),
            _ => None,
        };
        Ok(WidgetConfig {
            shop,
            relay,
            locale: field("locale").unwrap_or_default(),
            side,
            sound: field("sound").as_deref() == Some("on"),
        })
    }

    /// The visitor WebSocket URL on the relay.
    pub fn socket_url(&self) -> String {
        socket_url(&self.relay)
    }
}

fn socket_url(relay: &str) -> String {
    let base = relay.trim_end_matches('/');
    let base = base.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
    format!("{base}/v1/visitor")
}

#[cfg(test)]
mod tests {
    #[test]
    fn socket_url_follows_the_relay_scheme() {
        assert_eq!(super::socket_url("https://chat.example/"), "wss://chat.example/v1/visitor");
        assert_eq!(super::socket_url("http://127.0.0.1:8080/"), "ws://127.0.0.1:8080/v1/visitor");
    }
}
