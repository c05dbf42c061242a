//! What the console knows of a shopper's activity on the shop's pages, and the views of it the
//! shopper panel shows: the current cart, the checkout step, the pages visited, a time line.
//!
//! The relay sends a conversation's activity oldest first: the recent past once after `open`,
//! then what happens live. Everything here is derived from that list on demand, so there is one
//! source of truth and no summary to keep in step with it.

use std::collections::BTreeMap;

use checkout_chat_protocol::{Activity, ActivityBody, CartItem, ConversationId};

/// Most activities kept per conversation; a shopper who browses all day should not slow the
/// console down. The oldest go first (the panel shows the recent past).
const MAX_HELD: usize = 300;

/// Adds a `visitor_activity` frame to what the console holds for its conversation.
///
/// A history frame replaces everything (it is the relay's full recent past, sent after every
/// `open`, also after a reconnect). Live frames append, except activities already held: around
/// the `open` the same activity may come once in the history and once live.
pub fn merge(held: &mut Vec<Activity>, incoming: Vec<Activity>, history: bool) {
    if history {
        held.clear();
    }
    for activity in incoming {
        if !held.contains(&activity) {
            held.push(activity);
        }
    }
    if held.len() > MAX_HELD {
        held.drain(..held.len() - MAX_HELD);
    }
}

/// The cart as the shop last reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cart {
    pub currency: String,
    pub total: i64,
    pub items: Vec<CartItem>,
}

impl Cart {
    /// Items in the cart, counting each line's quantity.
    pub fn count(&self) -> u64 {
        self.items.iter().map(|item| u64::from(item.qty)).sum()
    }
}

pub fn current_cart(activities: &[Activity]) -> Option<Cart> {
    activities.iter().rev().find_map(|a| match &a.body {
        ActivityBody::Cart { currency, total, items } => {
            Some(Cart { currency: currency.clone(), total: *total, items: items.clone() })
        }
        _ => None,
    })
}

/// Where the shopper is in the checkout.
#[derive(Debug, Clone, PartialEq)]
pub enum Checkout {
    NotStarted,
    /// On `step` since `since_ms` (the shopper's clock).
    Step {
        step: String,
        since_ms: i64,
    },
    /// An order was completed after the last step (or without steps reported).
    Ordered {
        order_id: String,
        total: i64,
        currency: String,
    },
}

/// When the shopper came to `step`: the first report of the latest run of it (the shop reports the
/// step again on every page of it, which must not restart the clock).
fn on_step_since(activities: &[Activity], step: &str) -> i64 {
    let mut since = i64::MAX;
    for activity in activities.iter().rev() {
        match &activity.body {
            ActivityBody::CheckoutStep { step: this } if this == step => since = activity.at_ms,
            ActivityBody::CheckoutStep { .. } | ActivityBody::OrderCompleted { .. } => break,
            _ => {}
        }
    }
    since
}

pub fn checkout(activities: &[Activity]) -> Checkout {
    // Order of arrival decides "after", not the timestamps: they come from the shopper's
    // clock, which may jump.
    let latest = activities
        .iter()
        .rev()
        .find(|a| matches!(a.body, ActivityBody::CheckoutStep { .. } | ActivityBody::OrderCompleted { .. }));
    match latest.map(|a| (&a.body, a.at_ms)) {
        Some((ActivityBody::CheckoutStep { step }, _)) => {
            Checkout::Step { step: step.clone(), since_ms: on_step_since(activities, step) }
        }
        Some((ActivityBody::OrderCompleted { order_id, total, currency }, _)) => {
            Checkout::Ordered { order_id: order_id.clone(), total: *total, currency: currency.clone() }
        }
        _ => Checkout::NotStarted,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub at_ms: i64,
    pub path: String,
    pub title: String,
}

/// The latest `max` page views, latest first.
pub fn pages(activities: &[Activity], max: usize) -> Vec<Page> {
    activities
        .iter()
        .rev()
        .filter_map(|a| match &a.body {
            ActivityBody::PageView { path, title, .. } => {
                Some(Page { at_ms: a.at_ms, path: path.clone(), title: title.clone() })
            }
            _ => None,
        })
        .take(max)
        .collect()
}

/// One line of the panel's time line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at_ms: i64,
    pub what: What,
}

#[derive(Debug, Clone, PartialEq)]
pub enum What {
    /// The cart now holds `count` items for `total`; `change` says what was added or removed.
    Cart {
        count: u64,
        total: i64,
        currency: String,
        change: String,
    },
    Step(String),
    Order {
        order_id: String,
        total: i64,
        currency: String,
    },
    PromptShown(String),
    PromptAccepted(String),
    PromptDismissed(String),
    ChatStarted(Option<String>),
    /// The shop's own event, with its data as compact JSON.
    Custom {
        name: String,
        data: Option<String>,
    },
}

/// Everything but page views (they have their own list), latest first, at most `max`.
pub fn timeline(activities: &[Activity], max: usize) -> Vec<Entry> {
    let mut previous: Option<&[CartItem]> = None;
    let mut entries = Vec::new();
    for activity in activities {
        let what = match &activity.body {
            ActivityBody::PageView { .. } => continue,
            ActivityBody::Cart { currency, total, items } => {
                let change = cart_change(previous.unwrap_or_default(), items);
                previous = Some(items);
                let count = items.iter().map(|item| u64::from(item.qty)).sum();
                What::Cart { count, total: *total, currency: currency.clone(), change }
            }
            ActivityBody::CheckoutStep { step } => What::Step(step.clone()),
            ActivityBody::OrderCompleted { order_id, total, currency } => {
                What::Order { order_id: order_id.clone(), total: *total, currency: currency.clone() }
            }
            ActivityBody::Custom { name, data } => {
                What::Custom { name: name.clone(), data: data.as_ref().map(ToString::to_string) }
            }
            ActivityBody::PromptShown { rule_id } => What::PromptShown(rule_id.clone()),
            ActivityBody::PromptAccepted { rule_id } => What::PromptAccepted(rule_id.clone()),
            ActivityBody::PromptDismissed { rule_id } => What::PromptDismissed(rule_id.clone()),
            ActivityBody::ChatStarted { rule_id, .. } => What::ChatStarted(rule_id.clone()),
        };
        entries.push(Entry { at_ms: activity.at_ms, what });
    }
    entries.into_iter().rev().take(max).collect()
}

/// "+2 Beans, −1 Mug": the quantities that changed between two carts, by sku (the name is the
/// label; the sku when the shop sent no name).
pub fn cart_change(before: &[CartItem], after: &[CartItem]) -> String {
    let mut delta: BTreeMap<&str, (i64, &str)> = BTreeMap::new();
    for (items, sign) in [(before, -1), (after, 1)] {
        for item in items {
            let label = if item.name.trim().is_empty() { &item.sku } else { &item.name };
            let entry = delta.entry(&item.sku).or_insert((0, label));
            entry.0 += sign * i64::from(item.qty);
            if sign == 1 {
                entry.1 = label;
            }
        }
    }
    let parts: Vec<String> = delta
        .values()
        .filter(|(qty, _)| *qty != 0)
        .map(|(qty, label)| if *qty > 0 { format!("+{qty} {label}") } else { format!("−{} {label}", -qty) })
        .collect();
    parts.join(", ")
}

/// The rule whose prompt started `conversation`, as the relay logged it.
pub fn chat_rule(activities: &[Activity], conversation: &ConversationId) -> Option<String> {
    activities.iter().rev().find_map(|a| match &a.body {
        ActivityBody::ChatStarted { conversation_id, rule_id } if conversation_id == conversation => rule_id.clone(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at_ms: i64, body: ActivityBody) -> Activity {
        Activity { at_ms, body }
    }

    fn step(at_ms: i64, step: &str) -> Activity {
        at(at_ms, ActivityBody::CheckoutStep { step: step.into() })
    }

    fn item(sku: &str, name: &str, qty: u32) -> CartItem {
        CartItem { sku: sku.into(), name: name.into(), qty, price: 250 }
    }

    fn cart(at_ms: i64, items: Vec<CartItem>) -> Activity {
        let total = items.iter().map(|i| i64::from(i.qty) * i.price).sum();
        at(at_ms, ActivityBody::Cart { currency: "EUR".into(), total, items })
    }

    fn order(at_ms: i64) -> Activity {
        at(at_ms, ActivityBody::OrderCompleted { order_id: "NC-1".into(), total: 500, currency: "EUR".into() })
    }

    #[test]
    fn history_replaces_and_live_appends_without_repeats() {
        let mut held = vec![step(1, "stale")];
        merge(&mut held, vec![step(2, "cart"), step(3, "payment")], true);
        assert_eq!(held, vec![step(2, "cart"), step(3, "payment")]);
        merge(&mut held, vec![step(3, "payment"), step(4, "review")], false);
        assert_eq!(held, vec![step(2, "cart"), step(3, "payment"), step(4, "review")]);
    }

    #[test]
    fn the_same_step_at_another_time_is_kept() {
        let mut held = vec![step(3, "payment")];
        merge(&mut held, vec![step(9, "payment")], false);
        assert_eq!(held.len(), 2);
    }

    #[test]
    fn held_activity_is_bounded_dropping_the_oldest() {
        let mut held = Vec::new();
        merge(&mut held, (0..MAX_HELD as i64 + 5).map(|i| step(i, "x")).collect(), false);
        assert_eq!(held.len(), MAX_HELD);
        assert_eq!(held[0].at_ms, 5);
    }

    #[test]
    fn the_last_cart_is_the_current_one() {
        let activities = [cart(1, vec![item("a", "A", 1)]), step(2, "cart"), cart(3, vec![item("a", "A", 3)])];
        let current = current_cart(&activities).unwrap();
        assert_eq!((current.count(), current.total), (3, 750));
        assert_eq!(current_cart(&[step(1, "cart")]), None);
    }

    #[test]
    fn the_step_counts_from_its_latest_report_until_an_order() {
        assert_eq!(checkout(&[]), Checkout::NotStarted);
        let on_payment = [step(10, "shipping"), step(20, "payment")];
        assert_eq!(checkout(&on_payment), Checkout::Step { step: "payment".into(), since_ms: 20 });
        // Reported again on the next page of the same step: the clock goes on.
        let reloaded = [step(10, "shipping"), step(20, "payment"), cart(25, vec![]), step(30, "payment")];
        assert_eq!(checkout(&reloaded), Checkout::Step { step: "payment".into(), since_ms: 20 });
        let ordered = [step(10, "payment"), order(30)];
        assert!(matches!(checkout(&ordered), Checkout::Ordered { ref order_id, .. } if order_id == "NC-1"));
        // A new checkout after an order is a step again.
        let again = [step(10, "payment"), order(30), step(40, "cart")];
        assert_eq!(checkout(&again), Checkout::Step { step: "cart".into(), since_ms: 40 });
    }

    #[test]
    fn pages_are_latest_first_and_capped() {
        let view = |at_ms, path: &str| {
            at(at_ms, ActivityBody::PageView { path: path.into(), title: String::new(), referrer: String::new() })
        };
        let activities = [view(1, "/"), step(2, "cart"), view(3, "/cart"), view(4, "/checkout")];
        let paths: Vec<_> = pages(&activities, 2).into_iter().map(|p| p.path).collect();
        assert_eq!(paths, ["/checkout", "/cart"]);
    }

    #[test]
    fn cart_changes_name_what_was_added_and_removed() {
        let before = [item("a", "Beans", 1), item("b", "Mug", 1)];
        let after = [item("a", "Beans", 3), item("c", "", 1)];
        assert_eq!(cart_change(&before, &after), "+2 Beans, −1 Mug, +1 c");
        assert_eq!(cart_change(&after, &after), "");
    }

    #[test]
    fn the_time_line_leaves_out_pages_and_is_latest_first() {
        let page = at(1, ActivityBody::PageView { path: "/".into(), title: String::new(), referrer: String::new() });
        let activities = [
            page,
            cart(2, vec![item("a", "Beans", 1)]),
            at(3, ActivityBody::PromptShown { rule_id: "help".into() }),
            cart(4, vec![item("a", "Beans", 2)]),
        ];
        let entries = timeline(&activities, 10);
        assert_eq!(entries.len(), 3);
        assert_eq!(
            entries[0].what,
            What::Cart { count: 2, total: 500, currency: "EUR".into(), change: "+1 Beans".into() }
        );
        assert_eq!(entries[1].what, What::PromptShown("help".into()));
        assert!(matches!(entries[2].what, What::Cart { ref change, .. } if change == "+1 Beans"));
    }

    #[test]
    fn the_chat_rule_is_the_one_of_this_conversation() {
        let started = |id: &str, rule: Option<&str>| {
            at(
                1,
                ActivityBody::ChatStarted {
                    conversation_id: ConversationId::new(id).unwrap(),
                    rule_id: rule.map(Into::into),
                },
            )
        };
        let activities = [started("c1", Some("old")), started("c2", None)];
        assert_eq!(chat_rule(&activities, &ConversationId::new("c1").unwrap()), Some("old".into()));
        assert_eq!(chat_rule(&activities, &ConversationId::new("c2").unwrap()), None);
    }
}
