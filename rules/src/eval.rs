//! Evaluating conditions against what the widget observed on the page. The widget gathers the
//! facts into a [`Context`] (time included, so evaluation is pure and testable).

use crate::model::{Amount, Condition, VisitorKind};

/// What the widget knows about the shopper right now.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Unix ms; passed in because this crate has no clock.
    pub now_ms: i64,
    /// The page path; a query or fragment, if the caller leaves one, is ignored.
    pub path: &'a str,
    /// The checkout step the shop reported, if the shopper is in the checkout.
    pub step: Option<&'a str>,
    /// When the shopper entered `step` (Unix ms).
    pub step_since_ms: i64,
    /// When the shopper last typed, clicked, scrolled or moved (Unix ms).
    pub last_activity_ms: i64,
    /// `None` when the shop has not reported a cart: treated as empty.
    pub cart: Option<Cart<'a>>,
    pub exit_intent: bool,
    pub returning: bool,
    /// Custom event names fired on this page.
    pub events: &'a [String],
    /// `None` until the relay has said.
    pub agents_online: Option<bool>,
}

#[derive(Debug, Clone, Copy)]
pub struct Cart<'a> {
    /// Hundredths of the currency unit.
    pub total_cents: i64,
    /// ISO 4217 code.
    pub currency: &'a str,
    pub items: u32,
}

impl Condition {
    pub fn matches(&self, ctx: &Context) -> bool {
        match self {
            Condition::All(all) => all.iter().all(|c| c.matches(ctx)),
            Condition::Any(any) => any.iter().any(|c| c.matches(ctx)),
            Condition::Path(glob) => {
                let end = ctx.path.bytes().position(|b| b == b'?' || b == b'#');
                glob_matches(glob, ctx.path.get(..end.unwrap_or(ctx.path.len())).unwrap_or(""))
            }
            Condition::Step(name) => ctx.step.is_some_and(|step| step.eq_ignore_ascii_case(name)),
            Condition::SecondsOnStep(secs) => ctx.step.is_some() && elapsed(ctx.step_since_ms, ctx.now_ms, *secs),
            Condition::IdleSeconds(secs) => elapsed(ctx.last_activity_ms, ctx.now_ms, *secs),
            Condition::CartTotalAtLeast(amount) => cart_total(ctx, amount).is_some_and(|t| t >= amount.cents),
            Condition::CartTotalAtMost(amount) => cart_total(ctx, amount).is_some_and(|t| t <= amount.cents),
            Condition::ItemsAtLeast(n) => items(ctx) >= *n,
            Condition::ItemsAtMost(n) => items(ctx) <= *n,
            Condition::ExitIntent(wanted) => ctx.exit_intent == *wanted,
            Condition::Visitor(kind) => ctx.returning == (*kind == VisitorKind::Returning),
            Condition::Event(name) => ctx.events.iter().any(|e| e.eq_ignore_ascii_case(name)),
            Condition::AgentsOnline(wanted) => ctx.agents_online == Some(*wanted),
        }
    }
}

/// Saturating, so hostile or skewed timestamps cannot overflow; a clock that went backwards
/// simply has not elapsed yet.
fn elapsed(since_ms: i64, now_ms: i64, secs: u32) -> bool {
    now_ms.saturating_sub(since_ms) >= i64::from(secs) * 1000
}

/// The cart total to compare with `amount`, or `None` when the currencies differ (there is no
/// sensible comparison). A missing cart is an empty one in no currency.
fn cart_total(ctx: &Context, amount: &Amount) -> Option<i64> {
    let (total, currency) = match ctx.cart {
        Some(cart) => (cart.total_cents, Some(cart.currency)),
        None => (0, None),
    };
    match (&amount.currency, currency) {
        (None, _) => Some(total),
        (Some(wanted), Some(have)) if wanted.eq_ignore_ascii_case(have) => Some(total),
        _ => None,
    }
}

fn items(ctx: &Context) -> u32 {
    ctx.cart.map_or(0, |cart| cart.items)
}

/// Glob matching by dynamic programming over (pattern position, path position): O(pattern × path)
/// whatever the pattern, where naive backtracking is exponential on patterns like `/*a*a*a*b`.
/// Two wildcards that differ in whether they cross `/` rule out the classic two-pointer trick.
/// Works on bytes to stay small: the pattern's literal bytes can only line up with whole
/// characters of the path, and `?` is widened to whole characters explicitly.
fn glob_matches(glob: &str, path: &str) -> bool {
    let text = path.as_bytes();
    let continues = |j: usize| text.get(j).is_some_and(|b| b & 0xc0 == 0x80);
    // `row[j]`: the pattern read so far matches the first `j` bytes of the path.
    let mut row = vec![false; text.len() + 1];
    row[0] = true;
    let pattern = glob.as_bytes();
    let mut at = 0;
    while let Some(&p) = pattern.get(at) {
        at += 1;
        let mut alive = false;
        if p == b'*' {
            let deep = pattern.get(at) == Some(&b'*');
            at += usize::from(deep);
            alive = row[0];
            for j in 1..row.len() {
                row[j] = row[j] || (row[j - 1] && (deep || text[j - 1] != b'/'));
                alive |= row[j];
            }
        } else {
            // Right to left, so `row` still holds the previous pattern position on the left.
            for j in (1..row.len()).rev() {
                row[j] = if p == b'?' {
                    let mut start = j - 1;
                    while start > 0 && continues(start) {
                        start -= 1;
                    }
                    !continues(j) && row[start] && text[start] != b'/'
                } else {
                    row[j - 1] && text[j - 1] == p
                };
                alive |= row[j];
            }
            row[0] = false;
        }
        if !alive {
            return false;
        }
    }
    row[text.len()]
}
