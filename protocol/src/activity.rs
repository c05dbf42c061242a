//! What a shopper does on the shop's pages besides chatting: page views, the cart, the checkout
//! step, completed orders, the shop's own events, and the proactive prompts the widget showed.
//!
//! The widget sends these in batches on its WebSocket; the relay keeps them in an append-only log
//! per visitor (beside, not inside, the conversation's log: a shopper browses long before and
//! after a chat) and shows them to the agent of the shopper's conversation. The `relay report`
//! measures prompts and orders from the same log.
//!
//! Money is in hundredths of the currency's unit (cents for EUR, yen × 100 for JPY), as whole
//! numbers, so that no side has to agree on float rounding.

use serde::{Deserialize, Serialize};

use crate::ids::ConversationId;

/// Most activities in one batch.
pub const MAX_BATCH: usize = 50;
/// Most lines in a cart.
pub const MAX_CART_ITEMS: usize = 50;
/// Longest name, title, path, sku, step, order id or rule id, in characters.
pub const MAX_LABEL_CHARS: usize = 200;
/// Longest page path or referrer, in characters.
pub const MAX_URL_CHARS: usize = 1000;
/// Largest custom event payload, as JSON.
pub const MAX_CUSTOM_DATA_BYTES: usize = 2048;
/// Largest activity, as JSON: a batch of them must still fit a frame (16 KiB), so widgets split
/// batches by size and no single activity can make a batch unsendable.
pub const MAX_ACTIVITY_BYTES: usize = 8 * 1024;
/// Largest amount, in hundredths (ten billion in the currency's unit).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;
/// Most items of one line of a cart.
pub const MAX_QUANTITY: u32 = 100_000;

/// One thing the shopper did, at `at_ms` by the browser's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub at_ms: i64,
    pub body: ActivityBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActivityBody {
    PageView {
        path: String,
        #[serde(default)]
        title: String,
        #[serde(default)]
        referrer: String,
    },
    /// The whole cart as it is now (not a change): the last one wins.
    Cart {
        currency: String,
        total: i64,
        #[serde(default)]
        items: Vec<CartItem>,
    },
    /// The shopper reached a checkout step: cart, shipping, payment, review, or the shop's own.
    CheckoutStep {
        step: String,
    },
    OrderCompleted {
        order_id: String,
        total: i64,
        currency: String,
    },
    /// The shop's own event (`checkoutChat.push(["event", name, data])`).
    Custom {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<serde_json::Value>,
    },
    PromptShown {
        rule_id: String,
    },
    /// The shopper answered the prompt (opened the chat from it or picked a quick reply).
    PromptAccepted {
        rule_id: String,
    },
    PromptDismissed {
        rule_id: String,
    },
    /// Written by the relay, never accepted from a widget: the shopper's first message started
    /// a conversation, from a prompt if `rule_id` is set.
    ChatStarted {
        conversation_id: ConversationId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule_id: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartItem {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    /// Price of one, in hundredths.
    pub price: i64,
}

impl ActivityBody {
    /// The name stored with it and used by reports (`"page_view"`, `"cart"`, …).
    /// Whether it changes the cart, checkout step or last order an agent's inbox shows.
    pub fn changes_shopping_state(&self) -> bool {
        matches!(
            self,
            ActivityBody::Cart { .. } | ActivityBody::CheckoutStep { .. } | ActivityBody::OrderCompleted { .. }
        )
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ActivityBody::PageView { .. } => "page_view",
            ActivityBody::Cart { .. } => "cart",
            ActivityBody::CheckoutStep { .. } => "checkout_step",
            ActivityBody::OrderCompleted { .. } => "order_completed",
            ActivityBody::Custom { .. } => "custom",
            ActivityBody::PromptShown { .. } => "prompt_shown",
            ActivityBody::PromptAccepted { .. } => "prompt_accepted",
            ActivityBody::PromptDismissed { .. } => "prompt_dismissed",
            ActivityBody::ChatStarted { .. } => "chat_started",
        }
    }

    /// The rule a prompt activity is about.
    pub fn rule_id(&self) -> Option<&str> {
        match self {
            ActivityBody::PromptShown { rule_id }
            | ActivityBody::PromptAccepted { rule_id }
            | ActivityBody::PromptDismissed { rule_id } => Some(rule_id),
            ActivityBody::ChatStarted { rule_id, .. } => rule_id.as_deref(),
            _ => None,
        }
    }

    /// Checks what a widget sent (the page's values are untrusted); the reason names the field.
    pub fn validate_from_widget(&self) -> Result<(), String> {
        match self {
            ActivityBody::PageView { path, title, referrer } => {
                text("path", path, MAX_URL_CHARS)?;
                if !path.starts_with('/') {
                    return Err("path must start with /".into());
                }
                optional_text("title", title, MAX_LABEL_CHARS)?;
                optional_text("referrer", referrer, MAX_URL_CHARS)
            }
            ActivityBody::Cart { currency, total, items } => {
                currency_code(currency)?;
                amount("total", *total)?;
                if items.len() > MAX_CART_ITEMS {
                    return Err(format!("a cart has at most {MAX_CART_ITEMS} lines"));
                }
                items.iter().try_for_each(CartItem::validate)?;
                let size = serde_json::to_string(self).map_or(usize::MAX, |json| json.len());
                if size > MAX_ACTIVITY_BYTES {
                    return Err(format!("a cart is at most {MAX_ACTIVITY_BYTES} bytes of JSON"));
                }
                Ok(())
            }
            ActivityBody::CheckoutStep { step } => text("step", step, MAX_LABEL_CHARS),
            ActivityBody::OrderCompleted { order_id, total, currency } => {
                text("order_id", order_id, MAX_LABEL_CHARS)?;
                amount("total", *total)?;
                currency_code(currency)
            }
            ActivityBody::Custom { name, data } => {
                text("name", name, MAX_LABEL_CHARS)?;
                let size = data.as_ref().map_or(0, |d| d.to_string().len());
                if size > MAX_CUSTOM_DATA_BYTES {
                    return Err(format!("event data is at most {MAX_CUSTOM_DATA_BYTES} bytes of JSON"));
                }
                Ok(())
            }
            ActivityBody::PromptShown { rule_id }
            | ActivityBody::PromptAccepted { rule_id }
            | ActivityBody::PromptDismissed { rule_id } => text("rule_id", rule_id, MAX_LABEL_CHARS),
            ActivityBody::ChatStarted { .. } => Err("chat_started is written by the relay only".into()),
        }
    }
}

impl CartItem {
    fn validate(&self) -> Result<(), String> {
        text("sku", &self.sku, MAX_LABEL_CHARS)?;
        optional_text("name", &self.name, MAX_LABEL_CHARS)?;
        if self.qty > MAX_QUANTITY {
            return Err(format!("qty is at most {MAX_QUANTITY}"));
        }
        amount("price", self.price)
    }
}

fn text(field: &str, value: &str, max_chars: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    optional_text(field, value, max_chars)
}

fn optional_text(field: &str, value: &str, max_chars: usize) -> Result<(), String> {
    if value.chars().count() > max_chars {
        return Err(format!("{field} is at most {max_chars} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{field} must not contain control characters"));
    }
    Ok(())
}

fn amount(field: &str, value: i64) -> Result<(), String> {
    if !(0..=MAX_AMOUNT).contains(&value) {
        return Err(format!("{field} must be between 0 and {MAX_AMOUNT} hundredths"));
    }
    Ok(())
}

fn currency_code(code: &str) -> Result<(), String> {
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err("currency must be an ISO 4217 code such as EUR".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cart(total: i64, items: Vec<CartItem>) -> ActivityBody {
        ActivityBody::Cart { currency: "EUR".into(), total, items }
    }

    fn item(sku: &str, qty: u32, price: i64) -> CartItem {
        CartItem { sku: sku.into(), name: "Beans".into(), qty, price }
    }

    #[test]
    fn reasonable_activities_pass() {
        let good = [
            ActivityBody::PageView { path: "/checkout".into(), title: "Checkout".into(), referrer: String::new() },
            cart(5490, vec![item("beans-1kg", 2, 2745)]),
            ActivityBody::CheckoutStep { step: "payment".into() },
            ActivityBody::OrderCompleted { order_id: "A-1".into(), total: 5490, currency: "EUR".into() },
            ActivityBody::Custom { name: "coupon_failed".into(), data: Some(serde_json::json!({"code": "X"})) },
            ActivityBody::PromptShown { rule_id: "payment-help".into() },
        ];
        for body in good {
            assert_eq!(body.validate_from_widget(), Ok(()), "{body:?}");
        }
    }

    #[test]
    fn bad_values_are_refused_with_the_field_named() {
        let cases = [
            (cart(-1, vec![]), "total"),
            (cart(MAX_AMOUNT + 1, vec![]), "total"),
            (ActivityBody::Cart { currency: "eur".into(), total: 1, items: vec![] }, "currency"),
            (cart(1, vec![item("", 1, 1)]), "sku"),
            (cart(1, vec![item("s", MAX_QUANTITY + 1, 1)]), "qty"),
            (cart(1, (0..=MAX_CART_ITEMS).map(|_| item("s", 1, 1)).collect()), "lines"),
            (
                cart(1, (0..MAX_CART_ITEMS).map(|_| CartItem { name: "n".repeat(190), ..item("s", 1, 1) }).collect()),
                "bytes",
            ),
            (ActivityBody::PageView { path: "x".into(), title: String::new(), referrer: String::new() }, "path"),
            (ActivityBody::CheckoutStep { step: "a\u{0}b".into() }, "step"),
            (ActivityBody::CheckoutStep { step: "x".repeat(MAX_LABEL_CHARS + 1) }, "step"),
            (ActivityBody::Custom { name: "big".into(), data: Some(serde_json::json!("x".repeat(3000))) }, "data"),
            (ActivityBody::ChatStarted { conversation_id: ConversationId::new("c").unwrap(), rule_id: None }, "relay"),
        ];
        for (body, field) in cases {
            let error = body.validate_from_widget().expect_err(field);
            assert!(error.contains(field), "{error} should name {field}");
        }
    }

    #[test]
    fn the_wire_shape_is_flat_and_tagged() {
        let activity = Activity { at_ms: 5, body: ActivityBody::CheckoutStep { step: "payment".into() } };
        let json = serde_json::to_string(&activity).unwrap();
        assert_eq!(json, r#"{"at_ms":5,"body":{"kind":"checkout_step","step":"payment"}}"#);
        assert_eq!(serde_json::from_str::<Activity>(&json).unwrap(), activity);
        assert!(serde_json::from_str::<Activity>(r#"{"at_ms":5,"body":{"kind":"cart","total":1.5}}"#).is_err());
    }
}
