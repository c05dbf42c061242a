//! Caps, dismissals and which rule the widget shows.

use checkout_chat_rules::caps::MAX_HISTORY;
use checkout_chat_rules::{Cap, Condition, Context, History, Localized, Rule, Screen, choose, choose_named};

const NOW: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;
const FREE: Screen = Screen { chat_open: false, prompt_on_screen: false };

fn rule(id: &str, cap: Cap, when: Condition) -> Rule {
    Rule { id: id.into(), when, message: Localized(vec![("en".into(), "Hi".into())]), replies: vec![], cap }
}

fn always(id: &str, cap: Cap) -> Rule {
    rule(id, cap, Condition::Path("/**".into()))
}

fn ctx(now_ms: i64) -> Context<'static> {
    Context {
        now_ms,
        path: "/checkout/payment",
        step: Some("payment"),
        step_since_ms: now_ms,
        last_activity_ms: now_ms,
        cart: None,
        exit_intent: false,
        returning: false,
        events: &[],
        agents_online: None,
    }
}

fn page(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn page_cap_allows_once_per_page_view() {
    let r = always("r", Cap::Page);
    let mut history = History::default();
    assert!(history.allows(&r, "s1", &[], NOW));
    history.shown("r", "s1", NOW);
    assert!(!history.allows(&r, "s1", &page(&["r"]), NOW));
    assert!(history.allows(&r, "s1", &[], NOW + 1), "a new page view");
}

#[test]
fn session_cap_allows_once_per_session() {
    let r = always("r", Cap::Session);
    let mut history = History::default();
    history.shown("r", "s1", NOW);
    assert!(!history.allows(&r, "s1", &[], NOW + DAY));
    assert!(history.allows(&r, "s2", &[], NOW + 1));
    assert!(!history.allows(&r, "s2", &page(&["r"]), NOW + 1), "shown on this page implies shown this session");
}

#[test]
fn visitor_cap_allows_once_ever() {
    let r = always("r", Cap::Visitor);
    let mut history = History::default();
    assert!(history.allows(&r, "s1", &[], NOW));
    history.shown("r", "s1", NOW);
    assert!(!history.allows(&r, "s2", &[], NOW + 3650 * DAY));
}

#[test]
fn days_cap_allows_again_after_the_window() {
    let r = always("r", Cap::Days(7));
    let mut history = History::default();
    history.shown("r", "s1", NOW);
    assert!(!history.allows(&r, "s2", &[], NOW + 7 * DAY - 1));
    assert!(history.allows(&r, "s2", &[], NOW + 7 * DAY));
    assert!(!history.allows(&r, "s2", &[], NOW - DAY), "a clock that went backwards counts as recent");
}

#[test]
fn a_dismissed_rule_never_returns_whatever_its_cap() {
    for cap in [Cap::Page, Cap::Session, Cap::Visitor, Cap::Days(1)] {
        let r = always("r", cap);
        let mut history = History::default();
        history.shown("r", "s1", NOW);
        history.dismissed("r");
        assert!(history.is_dismissed("r"));
        assert!(!history.allows(&r, "s2", &[], NOW + 10_000 * DAY), "{cap:?}");
        let reloaded = History::decode(&history.encode());
        assert!(!reloaded.allows(&r, "s3", &[], NOW + 10_000 * DAY), "{cap:?} after reload");
    }
}

#[test]
fn dismissing_a_rule_never_shown_still_sticks() {
    let mut history = History::default();
    history.dismissed("r");
    assert!(History::decode(&history.encode()).is_dismissed("r"));
    assert!(!history.is_dismissed("other"));
}

#[test]
fn nothing_is_chosen_while_a_chat_is_open_or_a_prompt_is_on_screen() {
    let rules = [always("r", Cap::Page)];
    let history = History::default();
    for screen in [
        Screen { chat_open: true, prompt_on_screen: false },
        Screen { chat_open: false, prompt_on_screen: true },
        Screen { chat_open: true, prompt_on_screen: true },
    ] {
        assert_eq!(choose(&rules, &ctx(NOW), &history, "s", &[], screen), None);
        assert_eq!(choose_named(&rules, "r", &history, "s", &[], screen, NOW), None);
    }
    assert!(choose(&rules, &ctx(NOW), &history, "s", &[], FREE).is_some());
}

#[test]
fn choose_takes_the_first_matching_allowed_rule_in_config_order() {
    let rules = [
        rule("exit", Cap::Page, Condition::ExitIntent(true)),
        rule("payment", Cap::Session, Condition::Step("payment".into())),
        always("fallback", Cap::Page),
    ];
    let mut history = History::default();
    let chosen = |history: &History, shown: &[String]| {
        choose(&rules, &ctx(NOW), history, "s1", shown, FREE).map(|r| r.id.clone())
    };
    assert_eq!(chosen(&history, &[]).as_deref(), Some("payment"));
    history.shown("payment", "s1", NOW);
    assert_eq!(chosen(&history, &page(&["payment"])).as_deref(), Some("fallback"));
    assert_eq!(chosen(&history, &page(&["payment", "fallback"])), None);
    let exiting = Context { exit_intent: true, ..ctx(NOW) };
    assert_eq!(choose(&rules, &exiting, &history, "s1", &[], FREE).map(|r| r.id.as_str()), Some("exit"));
}

#[test]
fn choose_named_skips_conditions_but_not_caps() {
    let rules = [rule("coupon", Cap::Session, Condition::ExitIntent(true))];
    let mut history = History::default();
    assert_eq!(choose_named(&rules, "coupon", &history, "s1", &[], FREE, NOW).map(|r| r.id.as_str()), Some("coupon"));
    assert_eq!(choose_named(&rules, "unknown", &history, "s1", &[], FREE, NOW), None);
    history.shown("coupon", "s1", NOW);
    assert_eq!(choose_named(&rules, "coupon", &history, "s1", &[], FREE, NOW), None);
    assert!(choose_named(&rules, "coupon", &history, "s2", &[], FREE, NOW).is_some());
    history.dismissed("coupon");
    assert_eq!(choose_named(&rules, "coupon", &history, "s2", &[], FREE, NOW), None);
}

#[test]
fn history_round_trips_through_its_text() {
    let mut history = History::default();
    history.shown("payment-help", "sess;with|odd\\chars", NOW);
    history.shown("exit", "s2", NOW + 5);
    history.dismissed("exit");
    history.dismissed("never-shown");
    let text = history.encode();
    assert_eq!(History::decode(&text), history);
    let mut one = History::default();
    one.shown("payment-help", "s1", NOW);
    assert_eq!(one.encode(), "h1|payment-help;1700000000000;s1;|");
}

#[test]
fn history_decoding_skips_damaged_records_and_keeps_the_rest() {
    let mut history = History::default();
    history.shown("a", "s1", NOW);
    history.dismissed("b");
    let good = history.encode();
    let damaged = good.replacen("h1|", "h1|x;notanumber;s;d|;;|y;1|", 1);
    let decoded = History::decode(&damaged);
    assert_eq!(decoded, history);
    assert!(History::decode(&format!("{good}z;1;s;d")).is_dismissed("b"), "a truncated tail is dropped alone");
    assert!(!History::decode(&format!("{good}z;1;s;d")).is_dismissed("z"));
    assert_eq!(History::decode(""), History::default());
    assert_eq!(History::decode("h2|a;1;s;d|"), History::default(), "an unknown version is not misread");
}

#[test]
fn history_records_from_a_later_version_keep_what_is_understood() {
    let decoded = History::decode("h1|a;5;s1;dz;extra;fields|");
    assert!(decoded.is_dismissed("a"));
}

#[test]
fn duplicate_records_combine_to_the_stricter() {
    let decoded = History::decode("h1|a;;;d|a;5;s1;|");
    assert!(decoded.is_dismissed("a"));
    let r = always("a", Cap::Session);
    let undismissed = History::decode("h1|a;9;s1;|a;5;s2;|");
    assert!(!undismissed.allows(&r, "s1", &[], NOW), "the later showing wins");
}

#[test]
fn history_is_bounded_and_forgets_dismissals_last() {
    let mut history = History::default();
    history.dismissed("closed");
    history.shown("closed", "s", 0);
    for i in 0..(MAX_HISTORY as i64 * 2) {
        history.shown(&format!("r{i}"), "s", NOW + i);
    }
    let text = history.encode();
    assert_eq!(text.matches('|').count(), MAX_HISTORY + 1, "header plus {MAX_HISTORY} records");
    assert!(history.is_dismissed("closed"));
    let last = format!("r{}", MAX_HISTORY * 2 - 1);
    assert!(!history.allows(&always(&last, Cap::Visitor), "s", &[], NOW));
    assert!(history.allows(&always("r0", Cap::Visitor), "s", &[], NOW), "the oldest was forgotten");
    let many: String = (0..MAX_HISTORY * 2).map(|i| format!("q{i};{i};s;|")).collect();
    let decoded = History::decode(&format!("h1|{many}"));
    assert_eq!(decoded.encode().matches('|').count(), MAX_HISTORY + 1, "bounded on decoding too");
}
