//! Properties over generated rules, texts and shopper sessions.

use arbitrary::Unstructured;
use checkout_chat_rules::fuzzing::{
    self, check_history_decoding, check_toml_rules, check_wire_decoding, check_wire_round_trip,
};
use checkout_chat_rules::{
    Amount, Cap, Cart, Condition, Context, History, Localized, Rule, Screen, VisitorKind, choose, choose_named, wire,
};
use proptest::prelude::*;

const DAY: i64 = 86_400_000;

/// Strings heavy in the codec's special characters, plus arbitrary Unicode.
fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z;|\\\\é]{0,6}", any::<String>()]
}

fn localized() -> impl Strategy<Value = Localized> {
    prop::collection::vec((text(), text()), 0..3).prop_map(Localized)
}

fn amount() -> impl Strategy<Value = Amount> {
    (any::<i64>(), prop::option::of(text())).prop_map(|(cents, currency)| Amount { cents, currency })
}

fn condition() -> impl Strategy<Value = Condition> {
    let leaf = prop_oneof![
        text().prop_map(Condition::Path),
        text().prop_map(Condition::Step),
        text().prop_map(Condition::Event),
        any::<u32>().prop_map(Condition::SecondsOnStep),
        any::<u32>().prop_map(Condition::IdleSeconds),
        amount().prop_map(Condition::CartTotalAtLeast),
        amount().prop_map(Condition::CartTotalAtMost),
        any::<u32>().prop_map(Condition::ItemsAtLeast),
        any::<u32>().prop_map(Condition::ItemsAtMost),
        any::<bool>().prop_map(Condition::ExitIntent),
        prop_oneof![Just(VisitorKind::New), Just(VisitorKind::Returning)].prop_map(Condition::Visitor),
        any::<bool>().prop_map(Condition::AgentsOnline),
    ];
    leaf.prop_recursive(5, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Condition::All),
            prop::collection::vec(inner, 0..4).prop_map(Condition::Any),
        ]
    })
}

fn cap() -> impl Strategy<Value = Cap> {
    prop_oneof![Just(Cap::Page), Just(Cap::Session), Just(Cap::Visitor), any::<u32>().prop_map(Cap::Days)]
}

fn rule() -> impl Strategy<Value = Rule> {
    (text(), condition(), localized(), prop::collection::vec(localized(), 0..3), cap())
        .prop_map(|(id, when, message, replies, cap)| Rule { id, when, message, replies, cap })
}

/// Amounts a shop can write (0 to 10^12 units); others are refused when read, by design.
fn writable(mut condition: Condition) -> Condition {
    match &mut condition {
        Condition::All(inner) | Condition::Any(inner) => {
            *inner = std::mem::take(inner).into_iter().map(writable).collect();
        }
        Condition::CartTotalAtLeast(amount) | Condition::CartTotalAtMost(amount) => {
            amount.cents = amount.cents.rem_euclid(checkout_chat_rules::validate::MAX_CENTS + 1);
        }
        _ => {}
    }
    condition
}

proptest! {
    /// What the relay stores and the console edits (JSON) reads back as the same rules.
    #[test]
    fn serialized_rules_read_back_the_same(rules in prop::collection::vec(rule(), 0..4)) {
        let rules: Vec<Rule> = rules.into_iter().map(|r| Rule { when: writable(r.when), ..r }).collect();
        let json = serde_json::to_string(&rules).unwrap();
        let back: Vec<Rule> = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, rules);
    }
}

// The wire and history properties are the fuzz targets' own checks (`fuzz/`, docs/testing.md),
// from `checkout_chat_rules::fuzzing`, so the short run here and the long one there cannot drift.
proptest! {
    #[test]
    fn wire_round_trips_any_rules(rules in prop::collection::vec(rule(), 0..4)) {
        check_wire_round_trip(&rules);
    }

    #[test]
    fn wire_round_trips_rules_from_the_fuzz_generator(seed in prop::collection::vec(any::<u8>(), 0..1024)) {
        if let Ok(rules) = fuzzing::rules(&mut Unstructured::new(&seed)) {
            check_wire_round_trip(&rules);
        }
    }

    #[test]
    fn wire_decoding_never_panics_and_what_it_reads_is_stable(text in prop_oneof![
        any::<String>(),
        "cr1;[a-z0-9;|\\\\AOpsetiGgLlNnxva-]{0,120}",
    ]) {
        check_wire_decoding(&text);
    }

    #[test]
    fn wire_decoding_survives_damage(rules in prop::collection::vec(rule(), 1..3), cut in any::<prop::sample::Index>(), junk in "[;|\\\\0-9A-z]{0,3}") {
        let encoded = wire::encode(&rules);
        let mut at = cut.index(encoded.len() + 1);
        while !encoded.is_char_boundary(at) {
            at -= 1;
        }
        check_wire_decoding(&encoded[..at]);
        check_wire_decoding(&format!("{}{junk}{}", &encoded[..at], &encoded[at..]));
    }

    #[test]
    fn history_decoding_never_panics(text in prop_oneof![
        any::<String>(),
        "h1\\|[a-z0-9;|\\\\d-]{0,120}",
    ]) {
        // Whatever was read is stable from then on.
        check_history_decoding(&text);
    }

    #[test]
    fn history_round_trips(ops in prop::collection::vec((text(), text(), any::<i64>(), any::<bool>()), 0..20)) {
        let mut history = History::default();
        for (rule, session, now, dismiss) in ops {
            if dismiss { history.dismissed(&rule) } else { history.shown(&rule, &session, now) }
        }
        prop_assert_eq!(History::decode(&history.encode()), history);
    }

    #[test]
    fn toml_rules_read_validate_and_reach_the_widget_without_panicking(toml in toml_rules()) {
        check_toml_rules(&toml);
    }
}

/// A shop's `[[rules]]` in TOML: mostly what validation accepts, each part sometimes wrong (out
/// of range, an unknown key, a wrong type), nested up to past the limit.
fn toml_rules() -> impl Strategy<Value = String> {
    let regex = |pattern: &str| {
        proptest::string::string_regex(pattern).unwrap_or_else(|e| panic!("{pattern} is not a regex: {e}")).boxed()
    };
    // Usually the first, sometimes the second.
    let mostly = |good: BoxedStrategy<String>, bad: BoxedStrategy<String>| prop_oneof![12 => good, 1 => bad].boxed();
    // An inline table of the entries present; each key at most once, as TOML wants.
    let table = |entries: [Option<String>; 3]| {
        format!("{{ {} }}", entries.into_iter().flatten().collect::<Vec<_>>().join(", "))
    };
    let number = mostly(regex("0|1|30|49\\.95|500|86400"), regex("-1|86401|4294967296|1e12|1e13|nan|inf|\"7\""));
    let amount = (
        prop::option::weighted(0.95, number.clone().prop_map(|n| format!("amount = {n}"))),
        prop::option::weighted(0.5, mostly(regex("currency = \"(EUR|SEK)\""), regex("currency = \"eur\""))),
        prop::option::weighted(0.03, Just("x = 1".to_owned())),
    )
        .prop_map(move |(amount, currency, unknown)| table([amount, currency, unknown]));
    let leaf = prop_oneof![
        mostly(regex("(step|event) = \"(payment|coupon_failed)\""), regex("(step|event) = \"( |)\"")),
        mostly(regex("path = \"(/checkout/\\*\\*|/\\*a\\*a\\*b|/|/[a-z?*/]{0,8})\""), regex("path = \"x\"")),
        (regex("seconds_on_step|idle_seconds|items_at_least|items_at_most"), number.clone())
            .prop_map(|(key, n)| format!("{key} = {n}")),
        (regex("cart_total_at_(least|most)"), prop_oneof![number, amount]).prop_map(|(key, n)| format!("{key} = {n}")),
        mostly(regex("(exit_intent|agents_online) = (true|false)"), regex("exit_intent = 1")),
        mostly(regex("visitor = \"(new|returning)\""), regex("visitor = \"other\"|stepp = 1|all = 1|any = \\[\\]")),
    ]
    .prop_map(move |entry| table([Some(entry), None, None]));
    let condition = leaf.prop_recursive(7, 24, 3, move |inner| {
        (prop::bool::ANY, prop::collection::vec(inner, 1..4))
            .prop_map(|(all, list)| format!("{{ {} = [ {} ] }}", if all { "all" } else { "any" }, list.join(", ")))
    });
    let texts = (
        prop::option::weighted(0.97, mostly(regex("en = \"(Hi|Hi there)\""), regex("en = \"  \""))),
        prop::option::weighted(0.5, Just("nl = \"Hoi\"".to_owned())),
        prop::option::weighted(0.03, regex("(EN|n|fa-IR) = \"x\"")),
    )
        .prop_map(move |(en, nl, odd)| table([en, nl, odd]))
        .boxed();
    let rule = (
        mostly(regex("payment-help|big-cart|coupon"), regex("Bad Id|")),
        mostly(regex("page|session|visitor|7d|3650d"), regex("0d|3651d|4294967296d|week")),
        texts.clone(),
        prop::collection::vec(texts, 0..5),
        condition,
    )
        .prop_map(|(id, cap, message, replies, when)| {
            format!(
                "[[rules]]\nid = \"{id}\"\ncap = \"{cap}\"\nmessage = {message}\nreplies = [ {} ]\nwhen = {when}\n",
                replies.join(", ")
            )
        });
    prop::collection::vec(rule, 1..4).prop_map(|rules| rules.concat())
}

/// One step of a simulated shopper.
#[derive(Debug, Clone)]
enum Op {
    /// Time passes and the widget asks which prompt to show.
    Tick {
        advance_ms: i64,
        facts: u8,
        chat_open: bool,
        prompt_on_screen: bool,
    },
    /// The shop's code fires a rule by id.
    Named {
        rule: usize,
        advance_ms: i64,
    },
    /// The shopper closes a rule's prompt.
    Dismiss {
        rule: usize,
    },
    NewPage,
    NewSession,
    /// The page reloads: history goes through localStorage text, and a new page view begins.
    Reload,
}

fn op(rules: usize) -> impl Strategy<Value = Op> {
    let advance = prop_oneof![0..5_000i64, 0..3 * DAY];
    prop_oneof![
        6 => (advance.clone(), any::<u8>(), prop::bool::weighted(0.1), prop::bool::weighted(0.1))
            .prop_map(|(advance_ms, facts, chat_open, prompt_on_screen)| Op::Tick { advance_ms, facts, chat_open, prompt_on_screen }),
        2 => (0..rules, advance).prop_map(|(rule, advance_ms)| Op::Named { rule, advance_ms }),
        1 => (0..rules).prop_map(|rule| Op::Dismiss { rule }),
        2 => Just(Op::NewPage),
        1 => Just(Op::NewSession),
        1 => Just(Op::Reload),
    ]
}

/// Conditions that the random facts of a tick sometimes satisfy.
fn simple_condition() -> impl Strategy<Value = Condition> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Condition::ExitIntent),
        Just(Condition::Step("payment".into())),
        Just(Condition::Path("/checkout/*".into())),
        Just(Condition::Path("/**".into())),
        (0..3u32).prop_map(Condition::ItemsAtLeast),
        Just(Condition::Visitor(VisitorKind::Returning)),
        Just(Condition::AgentsOnline(true)),
    ];
    leaf.prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..3).prop_map(Condition::All),
            prop::collection::vec(inner, 1..3).prop_map(Condition::Any),
        ]
    })
}

fn capped_rules() -> impl Strategy<Value = Vec<Rule>> {
    let cap = prop_oneof![Just(Cap::Page), Just(Cap::Session), Just(Cap::Visitor), (1..3u32).prop_map(Cap::Days)];
    prop::collection::vec((cap, simple_condition()), 1..6).prop_map(|specs| {
        (specs.into_iter().enumerate())
            .map(|(i, (cap, when))| Rule {
                id: format!("r{i}"),
                when,
                message: Localized(vec![("en".into(), "Hi".into())]),
                replies: vec![],
                cap,
            })
            .collect()
    })
}

/// What the simulation remembers independently of `History`, to hold the engine to its promises.
#[derive(Default)]
struct Seen {
    dismissed: Vec<String>,
    on_page: Vec<String>,
    /// (rule, session) pairs.
    in_session: Vec<(String, u32)>,
    /// (rule, last shown ms).
    ever: Vec<(String, i64)>,
}

impl Seen {
    fn check_and_record(&mut self, rule: &Rule, session: u32, now: i64) -> Result<(), TestCaseError> {
        prop_assert!(!self.dismissed.contains(&rule.id), "{} chosen after dismissal", rule.id);
        prop_assert!(!self.on_page.contains(&rule.id), "{} chosen twice on a page", rule.id);
        let last = self.ever.iter().find(|(id, _)| *id == rule.id).map(|(_, ms)| *ms);
        match rule.cap {
            Cap::Page => {}
            Cap::Session => {
                prop_assert!(!self.in_session.contains(&(rule.id.clone(), session)), "{} twice in a session", rule.id)
            }
            Cap::Visitor => prop_assert!(last.is_none(), "{} twice for a visitor", rule.id),
            Cap::Days(days) => prop_assert!(
                last.is_none_or(|ms| now - ms >= i64::from(days) * DAY),
                "{} twice within {} days",
                rule.id,
                days
            ),
        }
        self.on_page.push(rule.id.clone());
        self.in_session.push((rule.id.clone(), session));
        self.ever.retain(|(id, _)| *id != rule.id);
        self.ever.push((rule.id.clone(), now));
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn caps_and_dismissals_hold_across_pages_sessions_and_reloads(
        (rules, ops) in capped_rules().prop_flat_map(|rules| {
            let n = rules.len();
            (Just(rules), prop::collection::vec(op(n), 1..60))
        })
    ) {
        let mut history = History::default();
        let mut shown_on_page: Vec<String> = Vec::new();
        let mut session = 0u32;
        let mut now = 1_700_000_000_000i64;
        let mut seen = Seen::default();
        let events: Vec<String> = Vec::new();

        for op in ops {
            match op {
                Op::Tick { advance_ms, facts, chat_open, prompt_on_screen } => {
                    now += advance_ms;
                    let bit = |n: u8| facts & (1 << n) != 0;
                    let ctx = Context {
                        now_ms: now,
                        path: if bit(0) { "/checkout/payment" } else { "/products/shoes" },
                        step: bit(1).then_some("payment"),
                        step_since_ms: now - 60_000,
                        last_activity_ms: now,
                        cart: bit(2).then_some(Cart { total_cents: 5000, currency: "EUR", items: u32::from(facts >> 6) }),
                        exit_intent: bit(3),
                        returning: bit(4),
                        events: &events,
                        agents_online: bit(5).then_some(true),
                    };
                    let screen = Screen { chat_open, prompt_on_screen };
                    let session_id = session.to_string();
                    if let Some(rule) = choose(&rules, &ctx, &history, &session_id, &shown_on_page, screen) {
                        prop_assert!(!chat_open && !prompt_on_screen);
                        seen.check_and_record(rule, session, now)?;
                        history.shown(&rule.id, &session_id, now);
                        shown_on_page.push(rule.id.clone());
                    }
                }
                Op::Named { rule, advance_ms } => {
                    now += advance_ms;
                    let session_id = session.to_string();
                    let free = Screen { chat_open: false, prompt_on_screen: false };
                    if let Some(chosen) = choose_named(&rules, &rules[rule].id, &history, &session_id, &shown_on_page, free, now) {
                        seen.check_and_record(chosen, session, now)?;
                        history.shown(&chosen.id, &session_id, now);
                        shown_on_page.push(chosen.id.clone());
                    }
                }
                Op::Dismiss { rule } => {
                    history.dismissed(&rules[rule].id);
                    seen.dismissed.push(rules[rule].id.clone());
                }
                Op::NewPage => {
                    shown_on_page.clear();
                    seen.on_page.clear();
                }
                Op::NewSession => {
                    session += 1;
                    shown_on_page.clear();
                    seen.on_page.clear();
                }
                Op::Reload => {
                    history = History::decode(&history.encode());
                    shown_on_page.clear();
                    seen.on_page.clear();
                }
            }
            for id in &seen.dismissed {
                prop_assert!(history.is_dismissed(id));
            }
        }
    }
}
