//! What the simulated people say, and at what pace: shoppers who type a question every so often
//! and update their cart, agents who read, type and answer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde_json::{Value, json};

/// The timing of a chat scenario. Shoppers write on their own schedule (not waiting for the
/// answer), so a slow relay cannot slow the offered load down and hide its own latency.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Shoppers' first messages are spread over this long.
    pub ramp: Duration,
    /// Between one shopper message and the next.
    pub shopper_gap: (Duration, Duration),
    /// A shopper starts typing this long before sending (a `typing` notice).
    pub typing_lead: (Duration, Duration),
    /// An agent answers each shopper message after this long (reading and typing), with a
    /// `typing` notice a second before.
    pub reply_delay: (Duration, Duration),
    /// Between two cart updates of a shopper.
    pub cart_gap: (Duration, Duration),
}

const fn secs(s: f64) -> Duration {
    Duration::from_millis((s * 1000.0) as u64)
}

impl Pace {
    /// A steady chat, as busy as a live chat gets: a shopper writes every 20–40 s (30 s on
    /// average, typing 2–6 s before), the agent answers each message 3–10 s later, the cart
    /// changes every 30–90 s. A thousand conversations make about 67 messages a second.
    pub const STEADY: Pace = Pace {
        ramp: secs(20.0),
        shopper_gap: (secs(20.0), secs(40.0)),
        typing_lead: (secs(2.0), secs(6.0)),
        reply_delay: (secs(3.0), secs(10.0)),
        cart_gap: (secs(30.0), secs(90.0)),
    };

    /// Fast enough to say a lot within the few seconds of a smoke test.
    pub const SMOKE: Pace = Pace {
        ramp: secs(0.5),
        shopper_gap: (secs(0.3), secs(0.7)),
        typing_lead: (secs(0.1), secs(0.2)),
        reply_delay: (secs(0.2), secs(0.4)),
        cart_gap: (secs(0.8), secs(1.5)),
    };
}

/// A random duration in `range`.
pub fn between(range: (Duration, Duration)) -> Duration {
    let (low, high) = range;
    if high <= low {
        return low;
    }
    rand::rng().random_range(low..high)
}

const SHOPPER_LINES: &[&str] = &[
    "Hi! Do you ship to Belgium, and how long does it usually take?",
    "Is the Ethiopia Yirgacheffe a light roast?",
    "My discount code WELCOME10 says it is not valid anymore.",
    "Can I change the grind to espresso after ordering?",
    "Which payment methods can I use?",
    "The checkout asks for a phone number, is that required?",
    "Do you have the 1 kg bag of the house blend back in stock soon?",
    "Thanks! And can I pick it up in the Copenhagen shop instead?",
    "Is my payment safe if I pay by card here?",
    "When will it arrive if I order before 3 pm today?",
    "Could you combine my two orders into one shipment?",
    "ok, thank you",
];

const AGENT_LINES: &[&str] = &[
    "Hi, thanks for reaching out! Yes, we ship to Belgium: usually 2–3 working days.",
    "It is a light roast with notes of bergamot and apricot; lovely as a pour-over.",
    "Let me check that code for you. It expired last week, but I can apply 10% to this order.",
    "Of course: reply with the order number and I will change the grind before it ships.",
    "You can pay by card, iDEAL, Bancontact, MobilePay or PayPal.",
    "The phone number is only for the courier; they text you a delivery window.",
    "The 1 kg house blend is back on Thursday. Shall I email you when it is in?",
    "Yes, choose 'Pick up in store' at the shipping step; it is free.",
    "Card payments go through our payment provider with 3-D Secure; we never see your card number.",
    "Orders placed before 3 pm leave the roastery the same day.",
    "Done, I merged them into one shipment and refunded the second shipping fee.",
    "You're welcome, enjoy the coffee!",
];

pub fn shopper_line(n: u64) -> &'static str {
    SHOPPER_LINES[(n as usize) % SHOPPER_LINES.len()]
}

pub fn agent_line(n: u64) -> &'static str {
    AGENT_LINES[(n as usize) % AGENT_LINES.len()]
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A batch of cart activity as the watcher sends it: the whole cart, and now and then the
/// checkout step it moved to (amounts in cents).
pub fn cart_activity(shopper: usize, n: u64) -> Value {
    let bags = 1 + (shopper as u64 + n) % 3;
    let items = json!([
        {"sku": "ETH-YIRG-250", "name": "Ethiopia Yirgacheffe 250 g", "qty": bags, "price": 1295},
        {"sku": "HOUSE-1KG", "name": "House blend 1 kg", "qty": 1, "price": 3450},
    ]);
    let total = bags * 1295 + 3450;
    let mut events =
        vec![json!({"at_ms": now_ms(), "body": {"kind": "cart", "currency": "EUR", "total": total, "items": items}})];
    if n % 2 == 1 {
        let step = ["shipping", "payment", "review"][(n as usize / 2) % 3];
        events.push(json!({"at_ms": now_ms(), "body": {"kind": "checkout_step", "step": step}}));
    }
    Value::Array(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_durations_stay_in_their_range() {
        for _ in 0..100 {
            let d = between((secs(1.0), secs(2.0)));
            assert!(d >= secs(1.0) && d < secs(2.0));
        }
        assert_eq!(between((secs(3.0), secs(3.0))), secs(3.0));
    }

    #[test]
    fn carts_add_up() {
        let batch = cart_activity(4, 1);
        let cart = &batch[0]["body"];
        let items = cart["items"].as_array().unwrap();
        let sum: i64 = items.iter().map(|i| i["qty"].as_i64().unwrap() * i["price"].as_i64().unwrap()).sum();
        assert_eq!(cart["total"].as_i64(), Some(sum));
        assert_eq!(batch[1]["body"]["kind"], "checkout_step");
    }
}
