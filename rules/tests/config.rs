//! Rules as the relay reads them from its TOML config, and the errors a shop owner sees.

use checkout_chat_rules::{Amount, Cap, Condition, Localized, Rule, RuleError, VisitorKind, validate};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    rules: Vec<Rule>,
}

fn parse(toml_text: &str) -> Result<Vec<Rule>, String> {
    toml::from_str::<Config>(toml_text).map(|c| c.rules).map_err(|e| e.to_string())
}

fn texts(pairs: &[(&str, &str)]) -> Localized {
    Localized(pairs.iter().map(|(l, t)| (l.to_string(), t.to_string())).collect())
}

const EXAMPLE: &str = r#"
[[rules]]
id = "payment-help"
cap = "session"
message = { en = "Questions about paying? We're here.", nl = "Vragen over betalen? We helpen graag." }
replies = [ { en = "Yes, please" , nl = "Ja, graag" }, { en = "Is my card safe?" } ]
when = { all = [ { step = "payment" }, { seconds_on_step = 30 }, { cart_total_at_least = 50 } ] }

[[rules]]
id = "big-cart"
cap = "7d"
message = { en = "Free shipping over 500!" }
when = { any = [
  { path = "/checkout/**" }, { idle_seconds = 20 }, { cart_total_at_most = 500 },
  { cart_total_at_least = { amount = 49.95, currency = "EUR" } }, { items_at_least = 1 }, { items_at_most = 10 },
  { exit_intent = true }, { visitor = "new" }, { visitor = "returning" }, { event = "coupon_failed" },
  { agents_online = true },
] }
"#;

#[test]
fn the_documented_example_parses_to_the_model() {
    let rules = parse(EXAMPLE).unwrap();
    let payment = Rule {
        id: "payment-help".into(),
        cap: Cap::Session,
        message: texts(&[
            ("en", "Questions about paying? We're here."),
            ("nl", "Vragen over betalen? We helpen graag."),
        ]),
        replies: vec![texts(&[("en", "Yes, please"), ("nl", "Ja, graag")]), texts(&[("en", "Is my card safe?")])],
        when: Condition::All(vec![
            Condition::Step("payment".into()),
            Condition::SecondsOnStep(30),
            Condition::CartTotalAtLeast(Amount { cents: 5000, currency: None }),
        ]),
    };
    let big_cart = Rule {
        id: "big-cart".into(),
        cap: Cap::Days(7),
        message: texts(&[("en", "Free shipping over 500!")]),
        replies: vec![],
        when: Condition::Any(vec![
            Condition::Path("/checkout/**".into()),
            Condition::IdleSeconds(20),
            Condition::CartTotalAtMost(Amount { cents: 50000, currency: None }),
            Condition::CartTotalAtLeast(Amount { cents: 4995, currency: Some("EUR".into()) }),
            Condition::ItemsAtLeast(1),
            Condition::ItemsAtMost(10),
            Condition::ExitIntent(true),
            Condition::Visitor(VisitorKind::New),
            Condition::Visitor(VisitorKind::Returning),
            Condition::Event("coupon_failed".into()),
            Condition::AgentsOnline(true),
        ]),
    };
    assert_eq!(rules, vec![payment, big_cart]);
    validate(&rules).unwrap();
}

#[test]
fn localized_lookup_uses_the_first_two_letters_and_falls_back_to_english() {
    let message = &parse(EXAMPLE).unwrap()[0].message;
    assert_eq!(message.get("nl"), "Vragen over betalen? We helpen graag.");
    assert_eq!(message.get("NL-be"), "Vragen over betalen? We helpen graag.");
    assert_eq!(message.get("fa"), "Questions about paying? We're here.");
    assert_eq!(message.get(""), "Questions about paying? We're here.");
}

#[test]
fn unrepresentable_values_are_refused_while_parsing() {
    let with = |field: &str| {
        format!("[[rules]]\nid = \"r\"\ncap = \"page\"\nmessage = {{ en = \"Hi\" }}\nwhen = {{ {field} }}\n")
    };
    for (bad, why) in [
        ("cart_total_at_least = -1", "negative"),
        ("cart_total_at_least = nan", "NaN"),
        ("cart_total_at_least = 1e13", "over 10^12"),
        ("cart_total_at_least = { amount = 5, currency = \"EUR\", tax = true }", "unknown key"),
        ("cart_total_at_least = { currency = \"EUR\" }", "no amount"),
        ("seconds_on_step = -5", "negative seconds"),
        ("visitor = \"maybe\"", "unknown visitor kind"),
        ("colour = \"red\"", "unknown condition"),
        ("step = \"payment\", event = \"x\"", "two conditions in one table"),
    ] {
        assert!(parse(&with(bad)).is_err(), "{why}: {bad}");
    }
    let extra_key =
        "[[rules]]\nid = \"r\"\ncap = \"page\"\nmessage = { en = \"Hi\" }\nwhen = { step = \"x\" }\ncolour = 1\n";
    assert!(parse(extra_key).is_err(), "unknown rule key");
    let bad_cap = "[[rules]]\nid = \"r\"\ncap = \"weekly\"\nmessage = { en = \"Hi\" }\nwhen = { step = \"x\" }\n";
    assert!(parse(bad_cap).unwrap_err().contains("weekly"));
}

#[test]
fn amounts_round_to_whole_cents() {
    let rules = parse(
        "[[rules]]\nid = \"r\"\ncap = \"page\"\nmessage = { en = \"Hi\" }\nwhen = { cart_total_at_most = 19.999 }\n",
    )
    .unwrap();
    assert_eq!(rules[0].when, Condition::CartTotalAtMost(Amount { cents: 2000, currency: None }));
}

fn error_of(toml_text: &str) -> RuleError {
    validate(&parse(toml_text).unwrap()).unwrap_err()
}

#[test]
fn validation_names_the_rule_and_field() {
    let err = error_of(
        r#"
        [[rules]]
        id = "payment-help"
        cap = "session"
        message = { en = "Hi" }
        when = { all = [ { path = "checkout/*" } ] }
        "#,
    );
    assert_eq!(err.to_string(), r#"rule "payment-help", field when.all[0].path: a path glob must start with "/""#);

    let cases = [
        (r#"id = "x"  cap = "page"  message = { nl = "Hoi" }  when = { step = "a" }"#, "x", "message"),
        (r#"id = "x"  cap = "page"  message = { en = "\t" }  when = { step = "a" }"#, "x", "message.en"),
        (r#"id = "x"  cap = "0d"  message = { en = "Hi" }  when = { step = "a" }"#, "x", "cap"),
        (r#"id = "x"  cap = "3651d"  message = { en = "Hi" }  when = { step = "a" }"#, "x", "cap"),
        (r#"id = "Bad Id"  cap = "page"  message = { en = "Hi" }  when = { step = "a" }"#, "Bad Id", "id"),
        (r#"id = ""  cap = "page"  message = { en = "Hi" }  when = { step = "a" }"#, "#1", "id"),
        (
            r#"id = "x"  cap = "page"  message = { en = "Hi" }  replies = [{ en = "a" }, { en = "b" }, { nl = "c" }]  when = { step = "a" }"#,
            "x",
            "replies[2]",
        ),
        (
            r#"id = "x"  cap = "page"  message = { en = "Hi" }  replies = [{ en = "a" }, { en = "b" }, { en = "c" }, { en = "d" }, { en = "e" }]  when = { step = "a" }"#,
            "x",
            "replies",
        ),
        (r#"id = "x"  cap = "page"  message = { en = "Hi", EN = "Hi" }  when = { step = "a" }"#, "x", "message.EN"),
        (
            r#"id = "x"  cap = "page"  message = { en = "Hi", en-gb = "Hi" }  when = { step = "a" }"#,
            "x",
            "message.en-gb",
        ),
        (r#"id = "x"  cap = "page"  message = { en = "Hi" }  when = { all = [] }"#, "x", "when.all"),
        (
            r#"id = "x"  cap = "page"  message = { en = "Hi" }  when = { any = [{ step = "a" }, { seconds_on_step = 100000 }] }"#,
            "x",
            "when.any[1].seconds_on_step",
        ),
        (
            r#"id = "x"  cap = "page"  message = { en = "Hi" }  when = { cart_total_at_least = { amount = 5, currency = "eur" } }"#,
            "x",
            "when.cart_total_at_least",
        ),
        (r#"id = "x"  cap = "page"  message = { en = "Hi" }  when = { event = "" }"#, "x", "when.event"),
        (
            r#"id = "x"  cap = "page"  message = { en = "Hi" }  when = { all = [{ any = [{ all = [{ any = [{ all = [{ any = [{ step = "a" }] }] }] }] }] }] }"#,
            "x",
            "when.all[0].any[0].all[0].any[0].all[0].any",
        ),
    ];
    for (rule, id, field) in cases {
        let toml_text = format!("[[rules]]\n{}\n", rule.replace("  ", "\n"));
        let err = error_of(&toml_text);
        assert_eq!((err.rule.as_str(), err.field.as_str()), (id, field), "{toml_text}\n{err}");
    }
}

#[test]
fn long_texts_are_refused() {
    let long = "a".repeat(81);
    let err = error_of(&format!(
        "[[rules]]\nid = \"x\"\ncap = \"page\"\nmessage = {{ en = \"{}\" }}\nreplies = [{{ en = \"{long}\" }}]\nwhen = {{ step = \"a\" }}\n",
        "b".repeat(500)
    ));
    assert_eq!(err.field, "replies[0].en");
}

#[test]
fn ids_are_unique_and_rules_are_few() {
    let one = |id: &str| {
        format!("[[rules]]\nid = \"{id}\"\ncap = \"page\"\nmessage = {{ en = \"Hi\" }}\nwhen = {{ step = \"a\" }}\n")
    };
    let err = error_of(&format!("{}{}", one("a"), one("a")));
    assert_eq!((err.rule.as_str(), err.field.as_str()), ("a", "id"));
    let many: String = (0..101).map(|i| one(&format!("r{i}"))).collect();
    assert_eq!(error_of(&many).rule, "r100");
    let hundred: String = (0..100).map(|i| one(&format!("r{i}"))).collect();
    validate(&parse(&hundred).unwrap()).unwrap();
}

#[test]
fn a_rule_silent_on_agents_speaks_only_while_one_is_online() {
    let rules = parse(
        r#"
[[rules]]
id = "help"
cap = "page"
message = { en = "Questions? We're here." }
when = { step = "payment" }

[[rules]]
id = "offline"
cap = "page"
message = { en = "Leave a question; we answer by email." }
when = { all = [ { step = "payment" }, { any = [ { agents_online = false } ] } ] }
"#,
    )
    .unwrap();
    let effective: Vec<Rule> = rules.iter().cloned().map(Rule::only_when_staffed_by_default).collect();
    assert_eq!(
        effective[0].when,
        Condition::All(vec![Condition::Step("payment".into()), Condition::AgentsOnline(true)])
    );
    assert_eq!(effective[1], rules[1], "a rule that mentions agents_online, however deep, is the shop's to decide");
    validate(&effective).unwrap();

    let at_payment = |agents_online| checkout_chat_rules::Context {
        now_ms: 0,
        path: "/checkout",
        step: Some("payment"),
        step_since_ms: 0,
        last_activity_ms: 0,
        cart: None,
        exit_intent: false,
        returning: false,
        events: &[],
        agents_online,
    };
    let firing = |agents_online| {
        let ctx = at_payment(agents_online);
        effective.iter().filter(|r| r.when.matches(&ctx)).map(|r| r.id.as_str()).collect::<Vec<_>>()
    };
    assert_eq!(firing(Some(true)), ["help"]);
    assert_eq!(firing(Some(false)), ["offline"]);
    assert!(firing(None).is_empty(), "nothing until the relay has said");
}
