//! Each condition kind against the facts the widget reports.

use std::time::{Duration, Instant};

use checkout_chat_rules::{Amount, Cart, Condition, Context, VisitorKind};

const NOW: i64 = 1_700_000_000_000;

fn ctx() -> Context<'static> {
    Context {
        now_ms: NOW,
        path: "/",
        step: None,
        step_since_ms: NOW,
        last_activity_ms: NOW,
        cart: None,
        exit_intent: false,
        returning: false,
        events: &[],
        agents_online: None,
    }
}

fn eur(cents: i64) -> Amount {
    Amount { cents, currency: Some("EUR".into()) }
}

fn any_currency(cents: i64) -> Amount {
    Amount { cents, currency: None }
}

fn path_matches(glob: &str, path: &str) -> bool {
    Condition::Path(glob.into()).matches(&Context { path, ..ctx() })
}

#[test]
fn path_globs_follow_segment_rules() {
    let table = [
        ("/checkout", "/checkout", true),
        ("/checkout", "/checkout/", false),
        ("/checkout/*", "/checkout/payment", true),
        ("/checkout/*", "/checkout/a/b", false),
        ("/checkout/*", "/checkout/", true),
        ("/checkout/**", "/checkout/a/b", true),
        ("/checkout/**", "/checkout", false),
        ("/**", "/", true),
        ("/**", "/any/depth/at/all", true),
        ("/*", "/a/b", false),
        ("/product/?", "/product/7", true),
        ("/product/?", "/product/42", false),
        ("/product/?", "/product//", false),
        ("/product/?", "/product/é", true),
        ("/a?c", "/a/c", false),
        ("/**/thanks", "/checkout/order/thanks", true),
        ("/**/thanks", "/thanks", false),
        ("/**thanks", "/thanks", true),
        ("/*/thanks", "/checkout/order/thanks", false),
        ("/shop/*.html", "/shop/shoes.html", true),
        ("/shop/*.html", "/shop/shoes.htm", false),
        ("/Checkout", "/checkout", false),
        ("", "", true),
        ("", "/", false),
    ];
    for (glob, path, expected) in table {
        assert_eq!(path_matches(glob, path), expected, "{glob:?} on {path:?}");
    }
}

#[test]
fn path_ignores_a_query_or_fragment_the_caller_left_in() {
    assert!(path_matches("/checkout/*", "/checkout/payment?step=2"));
    assert!(path_matches("/checkout/*", "/checkout/payment#card"));
    assert!(!path_matches("/checkout/*", "/checkout/a/b?x=/"));
}

#[test]
fn pathological_globs_stay_fast() {
    let long_a = format!("/{}", "a".repeat(5000));
    let deep = "/a".repeat(2500);
    let started = Instant::now();
    assert!(!path_matches("/*a*a*a*a*a*a*a*a*b", &long_a));
    assert!(!path_matches("/**a**a**a**a**a**a**a**b", &long_a));
    assert!(!path_matches("/**/a/**/a/**/a/**/b", &deep));
    assert!(path_matches(&"/*a".repeat(60), &"/aaa".repeat(60)));
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
}

#[test]
fn step_is_ascii_case_insensitive_and_needs_a_step() {
    let cond = Condition::Step("payment".into());
    assert!(cond.matches(&Context { step: Some("Payment"), ..ctx() }));
    assert!(!cond.matches(&Context { step: Some("shipping"), ..ctx() }));
    assert!(!cond.matches(&ctx()));
}

#[test]
fn seconds_on_step_counts_from_entering_the_step() {
    let cond = Condition::SecondsOnStep(30);
    let on_step = |since: i64| Context { step: Some("payment"), step_since_ms: since, ..ctx() };
    assert!(cond.matches(&on_step(NOW - 30_000)));
    assert!(cond.matches(&on_step(NOW - 90_000)));
    assert!(!cond.matches(&on_step(NOW - 29_999)));
    assert!(!cond.matches(&on_step(NOW + 5_000)), "a clock that went backwards has not elapsed");
    assert!(!cond.matches(&Context { step_since_ms: NOW - 90_000, ..ctx() }), "no step, no time on it");
    assert!(cond.matches(&on_step(i64::MIN)), "extreme timestamps saturate instead of overflowing");
}

#[test]
fn idle_seconds_counts_from_the_last_interaction() {
    let cond = Condition::IdleSeconds(20);
    assert!(cond.matches(&Context { last_activity_ms: NOW - 20_000, ..ctx() }));
    assert!(!cond.matches(&Context { last_activity_ms: NOW - 19_000, ..ctx() }));
    assert!(Condition::IdleSeconds(0).matches(&ctx()));
}

#[test]
fn cart_totals_compare_in_the_carts_currency() {
    let cart = |total_cents, currency| Context { cart: Some(Cart { total_cents, currency, items: 1 }), ..ctx() };
    let table = [
        (Condition::CartTotalAtLeast(any_currency(5000)), cart(5000, "EUR"), true),
        (Condition::CartTotalAtLeast(any_currency(5000)), cart(4999, "EUR"), false),
        (Condition::CartTotalAtLeast(any_currency(5000)), cart(5000, "SEK"), true),
        (Condition::CartTotalAtLeast(eur(5000)), cart(9000, "EUR"), true),
        (Condition::CartTotalAtLeast(eur(5000)), cart(9000, "eur"), true),
        (Condition::CartTotalAtLeast(eur(5000)), cart(9000, "SEK"), false),
        (Condition::CartTotalAtMost(any_currency(50000)), cart(50000, "EUR"), true),
        (Condition::CartTotalAtMost(any_currency(50000)), cart(50001, "EUR"), false),
        (Condition::CartTotalAtMost(eur(50000)), cart(100, "SEK"), false),
        (Condition::CartTotalAtMost(eur(50000)), cart(100, "EUR"), true),
    ];
    for (cond, context, expected) in table {
        assert_eq!(cond.matches(&context), expected, "{cond:?} on {:?}", context.cart);
    }
}

#[test]
fn a_missing_cart_is_empty_and_in_no_currency() {
    let table = [
        (Condition::CartTotalAtMost(any_currency(50000)), true),
        (Condition::CartTotalAtMost(eur(50000)), false),
        (Condition::CartTotalAtLeast(any_currency(0)), true),
        (Condition::CartTotalAtLeast(any_currency(1)), false),
        (Condition::CartTotalAtLeast(eur(0)), false),
        (Condition::ItemsAtMost(10), true),
        (Condition::ItemsAtMost(0), true),
        (Condition::ItemsAtLeast(0), true),
        (Condition::ItemsAtLeast(1), false),
    ];
    for (cond, expected) in table {
        assert_eq!(cond.matches(&ctx()), expected, "{cond:?}");
    }
}

#[test]
fn item_counts_are_inclusive_bounds() {
    let with_items = |items| Context { cart: Some(Cart { total_cents: 100, currency: "EUR", items }), ..ctx() };
    assert!(Condition::ItemsAtLeast(1).matches(&with_items(1)));
    assert!(!Condition::ItemsAtLeast(2).matches(&with_items(1)));
    assert!(Condition::ItemsAtMost(10).matches(&with_items(10)));
    assert!(!Condition::ItemsAtMost(10).matches(&with_items(11)));
}

#[test]
fn flags_match_their_value() {
    let exiting = Context { exit_intent: true, ..ctx() };
    assert!(Condition::ExitIntent(true).matches(&exiting));
    assert!(!Condition::ExitIntent(true).matches(&ctx()));
    assert!(Condition::ExitIntent(false).matches(&ctx()));

    let returning = Context { returning: true, ..ctx() };
    assert!(Condition::Visitor(VisitorKind::Returning).matches(&returning));
    assert!(!Condition::Visitor(VisitorKind::New).matches(&returning));
    assert!(Condition::Visitor(VisitorKind::New).matches(&ctx()));
}

#[test]
fn agents_online_never_matches_while_unknown() {
    for wanted in [true, false] {
        assert!(!Condition::AgentsOnline(wanted).matches(&ctx()));
        assert!(Condition::AgentsOnline(wanted).matches(&Context { agents_online: Some(wanted), ..ctx() }));
        assert!(!Condition::AgentsOnline(wanted).matches(&Context { agents_online: Some(!wanted), ..ctx() }));
    }
}

#[test]
fn events_match_when_fired_on_this_page() {
    let events = ["coupon_failed".to_string(), "size_chart".to_string()];
    let fired = Context { events: &events, ..ctx() };
    assert!(Condition::Event("coupon_failed".into()).matches(&fired));
    assert!(Condition::Event("Coupon_Failed".into()).matches(&fired));
    assert!(!Condition::Event("coupon".into()).matches(&fired));
    assert!(!Condition::Event("coupon_failed".into()).matches(&ctx()));
}

#[test]
fn all_needs_every_condition_and_any_needs_one() {
    let on_payment = Context { step: Some("payment"), path: "/checkout/payment", ..ctx() };
    let step = || Condition::Step("payment".into());
    let shipping = || Condition::Step("shipping".into());
    let path = || Condition::Path("/checkout/*".into());
    assert!(Condition::All(vec![step(), path()]).matches(&on_payment));
    assert!(!Condition::All(vec![step(), shipping()]).matches(&on_payment));
    assert!(Condition::Any(vec![shipping(), step()]).matches(&on_payment));
    assert!(!Condition::Any(vec![shipping(), Condition::ExitIntent(true)]).matches(&on_payment));
    let nested = Condition::All(vec![path(), Condition::Any(vec![shipping(), Condition::All(vec![step()])])]);
    assert!(nested.matches(&on_payment));
}
