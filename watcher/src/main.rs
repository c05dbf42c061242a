//! The widget's watcher: the small part of the widget that runs on every page, beside the tiny
//! loader, while the chat app itself loads only when the shopper chats. `watcher.js` watches the
//! page (cart, checkout step, idle time, exit intent, GA4 `dataLayer`), sends that activity to the
//! relay and draws the prompt bubble; this module decides, with the rule engine the relay also
//! uses (`checkout_chat_rules`), whether and which prompt shows. No network round trip.
//!
//! The boundary is a few positional primitives and one string back: for a module this small,
//! that is far cheaper than building and reading JavaScript objects.

use std::cell::RefCell;

use checkout_chat_rules::{Cart, Context, History, Rule, Screen};
use wasm_bindgen::prelude::*;

/// A smaller allocator than the default, as in the chat app.
#[cfg(target_family = "wasm")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Separates the new history from the prompt, and the prompt's fields, in [`decide`]'s answer.
const RECORD: char = '\u{1e}';
const FIELD: char = '\u{1f}';

#[derive(Default)]
struct Watcher {
    rules: Vec<Rule>,
    /// Rules shown on this page (the `page` cap, and never twice on one page).
    shown_on_page: Vec<String>,
}

thread_local! {
    static WATCHER: RefCell<Watcher> = RefCell::default();
}

/// Installs the shop's rules from the relay's `welcome`; false (and no prompts) if unreadable.
#[wasm_bindgen]
pub fn rules(encoded: &str) -> bool {
    let decoded = checkout_chat_rules::wire::decode(encoded);
    let ok = decoded.is_ok();
    WATCHER.with_borrow_mut(|w| w.rules = decoded.unwrap_or_default());
    ok
}

/// Whether a prompt shows now: the first rule whose conditions hold and whose caps allow it, or
/// `named` (the shop's own `["prompt", id]`, conditions skipped). Counts it as shown and answers
/// `history ␞ rule ␟ text ␟ reply…` (texts in `lang`), or nothing.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)] // the page, flattened: see the module comment
pub fn decide(
    history: &str,
    session: &str,
    lang: &str,
    named: Option<String>,
    now_ms: f64,
    path: &str,
    step: Option<String>,
    step_since_ms: f64,
    last_active_ms: f64,
    currency: Option<String>,
    total_cents: f64,
    items: u32,
    exit_intent: bool,
    returning: bool,
    events: &str,
    agents_online: Option<bool>,
    chat_open: bool,
    prompt_on_screen: bool,
) -> Option<String> {
    let now_ms = now_ms as i64;
    let events: Vec<String> = events.split('\n').filter(|e| !e.is_empty()).map(str::to_owned).collect();
    let context = Context {
        now_ms,
        path,
        step: step.as_deref(),
        step_since_ms: step_since_ms as i64,
        last_activity_ms: last_active_ms as i64,
        cart: currency.as_deref().map(|currency| Cart { total_cents: total_cents as i64, currency, items }),
        exit_intent,
        returning,
        events: &events,
        agents_online,
    };
    let screen = Screen { chat_open, prompt_on_screen };
    let mut history = History::decode(history);
    WATCHER.with_borrow_mut(|w| {
        let rule = match &named {
            Some(id) => {
                checkout_chat_rules::choose_named(&w.rules, id, &history, session, &w.shown_on_page, screen, now_ms)
            }
            None => checkout_chat_rules::choose(&w.rules, &context, &history, session, &w.shown_on_page, screen),
        }?;
        history.shown(&rule.id, session, now_ms);
        w.shown_on_page.push(rule.id.clone());
        Some(answer(&history, rule, lang))
    })
}

/// The shopper dismissed the prompt: the history with it never to show again.
#[wasm_bindgen]
pub fn dismissed(history: &str, rule_id: &str) -> String {
    let mut history = History::decode(history);
    history.dismissed(rule_id);
    history.encode()
}

fn answer(history: &History, rule: &Rule, lang: &str) -> String {
    let mut out = history.encode();
    out.push(RECORD);
    out.push_str(&rule.id);
    for text in std::iter::once(&rule.message).chain(&rule.replies) {
        out.push(FIELD);
        out.push_str(text.get(lang));
    }
    out
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use checkout_chat_rules::{Cap, Condition, Localized};

    fn rule() -> Rule {
        let text = |en: &str, nl: &str| Localized(vec![("en".into(), en.into()), ("nl".into(), nl.into())]);
        Rule {
            id: "pay".into(),
            when: Condition::Step("payment".into()),
            message: text("Help?", "Hulp?"),
            replies: vec![text("Yes", "Ja"), text("Safe?", "Veilig?")],
            cap: Cap::Session,
        }
    }

    fn ask(history: &str, step: &str) -> Option<String> {
        decide(
            history,
            "s1",
            "nl",
            None,
            1e12,
            "/checkout",
            Some(step.into()),
            0.0,
            0.0,
            None,
            0.0,
            0,
            false,
            false,
            "",
            None,
            false,
            false,
        )
    }

    #[test]
    fn a_prompt_comes_with_its_texts_in_the_shoppers_language_and_the_new_history() {
        assert!(rules(&checkout_chat_rules::wire::encode(&[rule()])));
        assert_eq!(ask("", "shipping"), None);
        let answer = ask("", "payment").unwrap();
        let (history, prompt) = answer.split_once(RECORD).unwrap();
        assert_eq!(prompt.split(FIELD).collect::<Vec<_>>(), ["pay", "Hulp?", "Ja", "Veilig?"]);
        // Shown once per page, and once per session after a reload with that history.
        assert_eq!(ask(history, "payment"), None);
        WATCHER.with_borrow_mut(|w| w.shown_on_page.clear());
        assert_eq!(ask(history, "payment"), None, "the session cap holds across pages");
        let fresh = dismissed("", "pay");
        assert_eq!(ask(&fresh, "payment"), None, "a dismissed prompt never comes back");
        assert!(!rules("not rules"));
    }
}
