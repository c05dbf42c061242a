//! Property checks of the rules' three readers: the compact text the widget gets
//! ([`crate::wire::decode`]), the shop's TOML as the relay reads it, and the history the widget
//! keeps in localStorage. Shared by the fuzz targets in `fuzz/` and the proptests in
//! `tests/properties.rs`, so the two cannot drift apart; a check panics when its property fails.
//!
//! Behind the `fuzzing` feature (which brings `serde` and `toml`): no production build enables it.

use arbitrary::{Result, Unstructured};

use crate::model::{Amount, Cap, Condition, Localized, Rule, VisitorKind};
use crate::wire::{self, MAX_DEPTH, WireError};
use crate::{Cart, Context, History, Screen, choose, validate};

/// The rules text as the widget reads it: whatever is accepted encodes to a text that reads back
/// the same, and evaluating it never panics.
pub fn check_wire_decoding(text: &str) {
    let Ok(rules) = wire::decode(text) else { return };
    let again = wire::encode(&rules);
    assert_eq!(wire::decode(&again).as_ref(), Ok(&rules), "{text:?} read, but not its rewrite {again:?}");
    evaluate(&rules);
}

/// Rules sent to the widget arrive as they were, unless nested deeper than the reader allows,
/// which it refuses as such.
pub fn check_wire_round_trip(rules: &[Rule]) {
    let text = wire::encode(rules);
    let decoded = wire::decode(&text);
    if rules.iter().all(|rule| depth(&rule.when) <= MAX_DEPTH) {
        assert_eq!(decoded.as_deref(), Ok(rules), "rules changed on their way through {text:?}");
    } else {
        assert!(matches!(decoded, Err(WireError::TooDeep(_))), "too deep, yet {decoded:?} from {text:?}");
    }
}

/// The rules section of a shop's TOML as the relay reads it (`toml` into `Vec<Rule>`, then
/// [`validate`]): reading and validating never panic, an error names a rule and a field, and
/// valid rules reach the widget unchanged and evaluate without panicking.
pub fn check_toml_rules(text: &str) {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RulesSection {
        rules: Vec<Rule>,
    }
    let Ok(section) = toml::from_str::<RulesSection>(text) else { return };
    match validate(&section.rules) {
        Ok(()) => {
            check_wire_round_trip(&section.rules);
            evaluate(&section.rules);
        }
        Err(error) => {
            assert!(!error.rule.is_empty() && !error.field.is_empty(), "an error that names nothing: {error:?}");
        }
    }
}

/// The history as the widget reads it from localStorage: whatever was read is stable from then on.
pub fn check_history_decoding(text: &str) {
    let history = History::decode(text);
    assert_eq!(History::decode(&history.encode()), history, "history read from {text:?} changes when written back");
}

/// How deep a condition nests, as the wire reader counts: a condition outside any list is 1.
fn depth(condition: &Condition) -> usize {
    match condition {
        Condition::All(list) | Condition::Any(list) => 1 + list.iter().map(depth).max().unwrap_or(0),
        _ => 1,
    }
}

/// Evaluates the rules as the widget does, in a few situations including extreme clocks and
/// paths with multi-byte characters.
fn evaluate(rules: &[Rule]) {
    let events = vec!["coupon_failed".to_owned(), "É".to_owned()];
    let cart = Cart { total_cents: 5_000, currency: "EUR", items: 2 };
    let contexts = [
        (1_700_000_000_000, "/checkout/payment?step=2", Some("payment"), Some(cart), Some(true)),
        (i64::MIN, "/é/ü/**", None, None, None),
        (i64::MAX, "", Some(""), Some(Cart { total_cents: i64::MIN, currency: "", items: u32::MAX }), Some(false)),
    ];
    for (now_ms, path, step, cart, agents_online) in contexts {
        let ctx = Context {
            now_ms,
            path,
            step,
            step_since_ms: now_ms.wrapping_neg(),
            last_activity_ms: i64::MIN,
            cart,
            exit_intent: true,
            returning: false,
            events: &events,
            agents_online,
        };
        let _ =
            choose(rules, &ctx, &History::default(), "s", &[], Screen { chat_open: false, prompt_on_screen: false });
        for rule in rules {
            let _ = rule.when.matches(&ctx);
            let _ = rule.message.get("nl-BE");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Generators

/// Any rules, some nested one level deeper than the wire reader accepts.
pub fn rules(u: &mut Unstructured) -> Result<Vec<Rule>> {
    let count = u.int_in_range(0..=4)?;
    (0..count).map(|_| rule(u)).collect()
}

fn rule(u: &mut Unstructured) -> Result<Rule> {
    let cap = match u.int_in_range(0..=3)? {
        0 => Cap::Page,
        1 => Cap::Session,
        2 => Cap::Visitor,
        _ => Cap::Days(u.arbitrary()?),
    };
    let replies = u.int_in_range(0..=3)?;
    Ok(Rule {
        id: text(u)?,
        message: localized(u)?,
        replies: (0..replies).map(|_| localized(u)).collect::<Result<_>>()?,
        when: condition(u, MAX_DEPTH + 1)?,
        cap,
    })
}

/// Text heavy in the codec's special characters, or anything at all.
fn text(u: &mut Unstructured) -> Result<String> {
    if u.arbitrary()? {
        return u.arbitrary();
    }
    let len = u.int_in_range(0..=8)?;
    (0..len).map(|_| u.choose(&[";", "|", "\\", "a", "é", "-", "1", "😀"]).copied()).collect()
}

fn localized(u: &mut Unstructured) -> Result<Localized> {
    let len = u.int_in_range(0..=3)?;
    Ok(Localized((0..len).map(|_| Ok((text(u)?, text(u)?))).collect::<Result<_>>()?))
}

fn condition(u: &mut Unstructured, levels: usize) -> Result<Condition> {
    let kinds = if levels > 1 { 13 } else { 11 };
    Ok(match u.int_in_range(0..=kinds)? {
        0 => Condition::Path(text(u)?),
        1 => Condition::Step(text(u)?),
        2 => Condition::Event(text(u)?),
        3 => Condition::SecondsOnStep(u.arbitrary()?),
        4 => Condition::IdleSeconds(u.arbitrary()?),
        5 => Condition::CartTotalAtLeast(amount(u)?),
        6 => Condition::CartTotalAtMost(amount(u)?),
        7 => Condition::ItemsAtLeast(u.arbitrary()?),
        8 => Condition::ItemsAtMost(u.arbitrary()?),
        9 => Condition::ExitIntent(u.arbitrary()?),
        10 => Condition::Visitor(if u.arbitrary()? { VisitorKind::Returning } else { VisitorKind::New }),
        11 => Condition::AgentsOnline(u.arbitrary()?),
        kind => {
            let len = u.int_in_range(0..=3)?;
            let list = (0..len).map(|_| condition(u, levels - 1)).collect::<Result<_>>()?;
            if kind == 12 { Condition::All(list) } else { Condition::Any(list) }
        }
    })
}

fn amount(u: &mut Unstructured) -> Result<Amount> {
    Ok(Amount { cents: u.arbitrary()?, currency: if u.arbitrary()? { Some(text(u)?) } else { None } })
}
