//! What the loader hands over from the embed tag (`data-*` attributes) and the page.

use checkout_chat_protocol::ShopId;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct WidgetConfig {
    /// `data-shop`.
    pub shop: ShopId,
    /// The relay's base URL, taken from the loader's own `src` (ends with `/`).
    pub relay: String,
    /// `data-locale`, else the page's `<html lang>`, else the browser's language.
    #[serde(default)]
    pub locale: String,
}

impl WidgetConfig {
    pub fn parse(json: &str) -> Result<Self, String> {
        let config: WidgetConfig =
            serde_json::from_str(json).map_err(|e| format!("bad widget configuration (check data-shop): {e}"))?;
        if !(config.relay.starts_with("http://") || config.relay.starts_with("https://")) {
            return Err(format!("relay URL must be http(s): {}", config.relay));
        }
        Ok(config)
    }

    /// The visitor WebSocket URL on the relay.
    pub fn socket_url(&self) -> String {
        let base = self.relay.trim_end_matches('/');
        let base = base.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
        format!("{base}/v1/visitor")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_url_follows_the_relay_scheme() {
        let config = WidgetConfig::parse(r#"{"shop":"demo","relay":"https://chat.example/"}"#).unwrap();
        assert_eq!(config.socket_url(), "wss://chat.example/v1/visitor");
        let config = WidgetConfig::parse(r#"{"shop":"demo","relay":"http://127.0.0.1:8080/"}"#).unwrap();
        assert_eq!(config.socket_url(), "ws://127.0.0.1:8080/v1/visitor");
        assert!(WidgetConfig::parse(r#"{"shop":"demo","relay":"javascript:alert(1)"}"#).is_err());
        assert!(WidgetConfig::parse(r#"{"shop":"no spaces","relay":"https://chat.example/"}"#).is_err());
    }
}
