//! The text the relay sends the widget.

use checkout_chat_rules::wire::{self, MAX_DEPTH};
use checkout_chat_rules::{Amount, Cap, Condition, Localized, Rule, VisitorKind, WireError};

fn example() -> Rule {
    Rule {
        id: "payment-help".into(),
        cap: Cap::Days(7),
        message: Localized(vec![("en".into(), "Paying; or not?".into()), ("nl".into(), "Betalen|of niet\\".into())]),
        replies: vec![Localized(vec![("en".into(), "Yes, please".into())])],
        when: Condition::All(vec![
            Condition::Step("payment".into()),
            Condition::SecondsOnStep(30),
            Condition::CartTotalAtLeast(Amount { cents: 4995, currency: Some("EUR".into()) }),
            Condition::Any(vec![Condition::Visitor(VisitorKind::Returning), Condition::AgentsOnline(false)]),
        ]),
    }
}

#[test]
fn the_text_is_flat_fields_with_escapes() {
    assert_eq!(
        wire::encode(&[example()]),
        "cr1;payment-help;7;2;en;Paying\\; or not?;nl;Betalen\\|of niet\\\\;1;1;en;Yes, please;\
         A;4;s;payment;t;30;G;4995;EUR;O;2;v;1;a;0;"
    );
}

#[test]
fn rules_round_trip() {
    let rules = vec![example(), Rule { id: "b".into(), cap: Cap::Page, replies: vec![], ..example() }];
    assert_eq!(wire::decode(&wire::encode(&rules)), Ok(rules));
    assert_eq!(wire::decode(&wire::encode(&[])), Ok(vec![]));
}

#[test]
fn another_version_is_refused_as_such() {
    assert_eq!(wire::decode(""), Err(WireError::Version));
    assert_eq!(wire::decode("cr2;"), Err(WireError::Version));
    assert_eq!(wire::decode("[{\"id\":1}]"), Err(WireError::Version));
}

#[test]
fn truncated_or_garbled_text_is_refused() {
    let text = wire::encode(&[example()]);
    for end in 5..text.len() {
        if text.is_char_boundary(end) {
            assert!(matches!(wire::decode(&text[..end]), Err(WireError::Malformed(_))), "cut at {end}");
        }
    }
    assert!(wire::decode(&format!("{text}x;")).is_err(), "trailing garbage");
    assert!(wire::decode(&text.replace(";t;30;", ";t;-30;")).is_err(), "negative seconds");
    assert!(wire::decode(&text.replace(";v;1;", ";v;2;")).is_err(), "a flag other than 0 or 1");
    assert!(wire::decode(&text.replace(";s;payment;", ";?;payment;")).is_err(), "an unknown tag");
    assert!(wire::decode(&text.replace(";payment-help;7;", ";payment-help;-4;")).is_err(), "an unknown cap");
    assert!(wire::decode(&text.replace(";4995;", ";99999999999999999999;")).is_err(), "overflow");
}

#[test]
fn hostile_nesting_and_counts_are_refused_without_recursing_or_allocating() {
    let nested = |depth: usize| format!("cr1;x;-1;0;0;{}p;/;", "A;1;".repeat(depth - 1));
    assert!(wire::decode(&nested(MAX_DEPTH)).is_ok());
    assert!(matches!(wire::decode(&nested(MAX_DEPTH + 1)), Err(WireError::TooDeep(_))));
    assert!(matches!(wire::decode(&nested(100_000)), Err(WireError::TooDeep(_))));
    assert!(wire::decode("cr1;x;-1;9223372036854775807;en;hi;").is_err());
    assert!(wire::decode("cr1;x;-1;0;0;A;9223372036854775807;").is_err());
}
