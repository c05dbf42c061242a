//! Checks a shop's rules when the relay loads its config, so a mistake is reported once at start,
//! naming the rule and the field, instead of a prompt silently never (or always) showing. Relay
//! side only, so it may format freely.

use crate::model::{Amount, Cap, Condition, Localized, Rule};

pub const MAX_RULES: usize = 100;
pub const MAX_ID_LEN: usize = 64;
pub const MAX_TEXT_CHARS: usize = 500;
pub const MAX_REPLY_CHARS: usize = 80;
pub const MAX_REPLIES: usize = 4;
/// How deep `all`/`any` may nest; more is never needed and keeps evaluation shallow.
pub const MAX_NESTING: usize = 5;
pub const MAX_GLOB_LEN: usize = 200;
pub const MAX_NAME_LEN: usize = 64;
pub const MAX_DAYS: u32 = 3650;
/// 10^12 currency units, in cents: beyond it a number is a typo, not a cart.
pub const MAX_CENTS: i64 = 100_000_000_000_000;
pub const MAX_SECONDS: u32 = 86_400;
pub const MAX_ITEMS: u32 = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule \"{rule}\", field {field}: {problem}")]
pub struct RuleError {
    /// The rule's id, or `#n` (counting `[[rules]]` entries from 1) when it has none.
    pub rule: String,
    /// Dotted path as written in the config, e.g. `when.all[1].seconds_on_step`.
    pub field: String,
    pub problem: String,
}

pub fn validate(rules: &[Rule]) -> Result<(), RuleError> {
    for (index, rule) in rules.iter().enumerate() {
        let fail = |field: &str, problem: String| RuleError {
            rule: if rule.id.is_empty() { format!("#{}", index + 1) } else { rule.id.clone() },
            field: field.into(),
            problem,
        };
        if index == MAX_RULES {
            return Err(fail("id", format!("a shop may have at most {MAX_RULES} rules")));
        }
        if let Some(problem) = id_problem(&rule.id) {
            return Err(fail("id", problem));
        }
        if rules[..index].iter().any(|r| r.id == rule.id) {
            return Err(fail("id", "another rule before this one has the same id".into()));
        }
        if let Cap::Days(days) = rule.cap
            && !(1..=MAX_DAYS).contains(&days)
        {
            return Err(fail("cap", format!("days must be 1 to {MAX_DAYS}")));
        }
        check_texts(&rule.message, "message", MAX_TEXT_CHARS).map_err(|(f, p)| fail(&f, p))?;
        if rule.replies.len() > MAX_REPLIES {
            return Err(fail("replies", format!("at most {MAX_REPLIES} replies")));
        }
        for (i, reply) in rule.replies.iter().enumerate() {
            check_texts(reply, &format!("replies[{i}]"), MAX_REPLY_CHARS).map_err(|(f, p)| fail(&f, p))?;
        }
        check_condition(&rule.when, "when", 0).map_err(|(f, p)| fail(&f, p))?;
    }
    Ok(())
}

/// A problem found below a rule: the field path and what is wrong.
type Problem = (String, String);

fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Some(format!("an id must be 1 to {MAX_ID_LEN} characters"));
    }
    if !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
        return Some("an id may contain only a-z, 0-9, '-' and '_'".into());
    }
    None
}

fn check_texts(texts: &Localized, field: &str, max_chars: usize) -> Result<(), Problem> {
    if !texts.0.iter().any(|(lang, _)| lang == "en") {
        return Err((field.into(), "needs an \"en\" text, the fallback for every other language".into()));
    }
    for (i, (lang, text)) in texts.0.iter().enumerate() {
        let at = format!("{field}.{lang}");
        let bytes = lang.as_bytes();
        if !(2..=8).contains(&bytes.len())
            || !bytes[..2].iter().all(u8::is_ascii_lowercase)
            || !bytes.iter().all(|b| b.is_ascii_lowercase() || *b == b'-')
        {
            return Err((at, "a language tag is 2 to 8 characters a-z and '-', starting with two letters".into()));
        }
        if texts.0[..i].iter().any(|(other, _)| other.as_bytes().get(..2) == bytes.get(..2)) {
            return Err((at, "languages are told apart by their first two letters; this one is already given".into()));
        }
        if text.trim().is_empty() {
            return Err((at, "the text is blank".into()));
        }
        if text.chars().count() > max_chars {
            return Err((at, format!("the text is longer than {max_chars} characters")));
        }
    }
    Ok(())
}

fn check_condition(cond: &Condition, field: &str, nesting: usize) -> Result<(), Problem> {
    let fail = |key: &str, problem: String| Err((format!("{field}.{key}"), problem));
    match cond {
        Condition::All(list) | Condition::Any(list) => {
            let key = if matches!(cond, Condition::All(_)) { "all" } else { "any" };
            if list.is_empty() {
                return fail(key, "needs at least one condition".into());
            }
            if nesting == MAX_NESTING {
                return fail(key, format!("\"all\" and \"any\" may nest at most {MAX_NESTING} deep"));
            }
            for (i, c) in list.iter().enumerate() {
                check_condition(c, &format!("{field}.{key}[{i}]"), nesting + 1)?;
            }
        }
        Condition::Path(glob) => {
            if !glob.starts_with('/') {
                return fail("path", "a path glob must start with \"/\"".into());
            }
            if glob.chars().count() > MAX_GLOB_LEN {
                return fail("path", format!("a path glob may be at most {MAX_GLOB_LEN} characters"));
            }
        }
        Condition::Step(name) | Condition::Event(name) => {
            let key = if matches!(cond, Condition::Step(_)) { "step" } else { "event" };
            if name.trim().is_empty() || name.chars().count() > MAX_NAME_LEN {
                return fail(key, format!("a name must be 1 to {MAX_NAME_LEN} characters, not blank"));
            }
        }
        Condition::SecondsOnStep(secs) | Condition::IdleSeconds(secs) => {
            let key = if matches!(cond, Condition::SecondsOnStep(_)) { "seconds_on_step" } else { "idle_seconds" };
            if *secs > MAX_SECONDS {
                return fail(key, format!("at most {MAX_SECONDS} seconds (a day)"));
            }
        }
        Condition::CartTotalAtLeast(amount) => check_amount(amount).or_else(|p| fail("cart_total_at_least", p))?,
        Condition::CartTotalAtMost(amount) => check_amount(amount).or_else(|p| fail("cart_total_at_most", p))?,
        Condition::ItemsAtLeast(n) | Condition::ItemsAtMost(n) => {
            let key = if matches!(cond, Condition::ItemsAtLeast(_)) { "items_at_least" } else { "items_at_most" };
            if *n > MAX_ITEMS {
                return fail(key, format!("at most {MAX_ITEMS} items"));
            }
        }
        Condition::ExitIntent(_) | Condition::Visitor(_) | Condition::AgentsOnline(_) => {}
    }
    Ok(())
}

fn check_amount(amount: &Amount) -> Result<(), String> {
    if !(0..=MAX_CENTS).contains(&amount.cents) {
        return Err("an amount must be 0 to 10^12".into());
    }
    if let Some(currency) = &amount.currency
        && !(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err("a currency is an ISO 4217 code: 3 capital letters like \"EUR\"".into());
    }
    Ok(())
}
