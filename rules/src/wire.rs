//! The rules as the relay sends them to the widget, inside a JSON string field. A flat text of
//! `;`-terminated fields rather than JSON objects, so the widget decodes it with a few dozen lines
//! instead of serde, and integers only, so it needs no float code.
//!
//! Layout: `cr1;` then per rule: `id;cap;` (`-1` page, `-2` session, `-3` visitor, else days),
//! the message, the reply count, the replies, the condition. A localized text is its pair count
//! then `lang;text;` pairs. A condition is a tag field then its payload: `A;n;`/`O;n;` (all/any of
//! the next n conditions), `p;glob;`, `s;step;`, `e;event;`, `t;secs;` (seconds on step),
//! `i;secs;` (idle), `g;cents;`/`l;cents;` (cart total at least / at most), `G;cents;CUR;`/
//! `L;cents;CUR;` (the same in a currency), `n;count;`/`N;count;` (items at least / at most),
//! `x;0|1;` (exit intent), `v;0|1;` (returning visitor), `a;0|1;` (agents online). `;`, `|` and
//! `\` inside a field are escaped with `\`.

use crate::model::{Amount, Cap, Condition, Localized, Rule, VisitorKind};
use crate::text::{self, Reader};

const VERSION: &str = "cr1";

/// Deeper nesting than validation allows (5) but shallow enough that hostile text cannot
/// overflow the widget's stack through recursion.
pub const MAX_DEPTH: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Another format version: the relay and the widget are out of step.
    #[error("rules text is not in format {VERSION}")]
    Version,
    #[error("rules text malformed at byte {0}")]
    Malformed(usize),
    #[error("rules text nested too deeply at byte {0}")]
    TooDeep(usize),
}

pub fn encode(rules: &[Rule]) -> String {
    let mut out = String::new();
    text::push_str(&mut out, VERSION);
    for rule in rules {
        text::push_str(&mut out, &rule.id);
        let cap = match rule.cap {
            Cap::Page => -1,
            Cap::Session => -2,
            Cap::Visitor => -3,
            Cap::Days(days) => i64::from(days),
        };
        text::push_int(&mut out, cap);
        localized(&mut out, &rule.message);
        text::push_int(&mut out, rule.replies.len() as i64);
        for reply in &rule.replies {
            localized(&mut out, reply);
        }
        condition(&mut out, &rule.when);
    }
    out
}

fn localized(out: &mut String, texts: &Localized) {
    text::push_int(out, texts.0.len() as i64);
    for (lang, value) in &texts.0 {
        text::push_str(out, lang);
        text::push_str(out, value);
    }
}

fn condition(out: &mut String, cond: &Condition) {
    let (tag, payload): (&str, Payload) = match cond {
        Condition::All(all) => ("A", Payload::List(all)),
        Condition::Any(any) => ("O", Payload::List(any)),
        Condition::Path(glob) => ("p", Payload::Str(glob)),
        Condition::Step(step) => ("s", Payload::Str(step)),
        Condition::Event(event) => ("e", Payload::Str(event)),
        Condition::SecondsOnStep(secs) => ("t", Payload::Int(i64::from(*secs))),
        Condition::IdleSeconds(secs) => ("i", Payload::Int(i64::from(*secs))),
        Condition::CartTotalAtLeast(amount) => {
            (if amount.currency.is_some() { "G" } else { "g" }, Payload::Amount(amount))
        }
        Condition::CartTotalAtMost(amount) => {
            (if amount.currency.is_some() { "L" } else { "l" }, Payload::Amount(amount))
        }
        Condition::ItemsAtLeast(n) => ("n", Payload::Int(i64::from(*n))),
        Condition::ItemsAtMost(n) => ("N", Payload::Int(i64::from(*n))),
        Condition::ExitIntent(on) => ("x", Payload::Int(i64::from(*on))),
        Condition::Visitor(kind) => ("v", Payload::Int(i64::from(*kind == VisitorKind::Returning))),
        Condition::AgentsOnline(on) => ("a", Payload::Int(i64::from(*on))),
    };
    text::push_str(out, tag);
    match payload {
        Payload::List(list) => {
            text::push_int(out, list.len() as i64);
            for c in list {
                condition(out, c);
            }
        }
        Payload::Str(s) => text::push_str(out, s),
        Payload::Int(n) => text::push_int(out, n),
        Payload::Amount(amount) => {
            text::push_int(out, amount.cents);
            if let Some(currency) = &amount.currency {
                text::push_str(out, currency);
            }
        }
    }
}

enum Payload<'a> {
    List(&'a [Condition]),
    Str(&'a str),
    Int(i64),
    Amount(&'a Amount),
}

/// Never panics, whatever the text; every count is checked against the input as it is read (no
/// allocation sized by a count), so a hostile count costs no memory.
pub fn decode(encoded: &str) -> Result<Vec<Rule>, WireError> {
    let mut d = Decoder { reader: Reader::new(encoded), too_deep: false };
    if d.reader.string().as_deref() != Some(VERSION) {
        return Err(WireError::Version);
    }
    let mut rules = Vec::new();
    while !d.reader.at_end() {
        match d.rule() {
            Some(rule) => rules.push(rule),
            None if d.too_deep => return Err(WireError::TooDeep(d.reader.pos)),
            None => return Err(WireError::Malformed(d.reader.pos)),
        }
    }
    Ok(rules)
}

struct Decoder<'a> {
    reader: Reader<'a>,
    /// Tells a depth refusal from malformed text once the `None` has bubbled up.
    too_deep: bool,
}

impl Decoder<'_> {
    fn rule(&mut self) -> Option<Rule> {
        let id = self.reader.string()?;
        let cap = match self.reader.int()? {
            -1 => Cap::Page,
            -2 => Cap::Session,
            -3 => Cap::Visitor,
            days => Cap::Days(u32::try_from(days).ok()?),
        };
        let message = self.localized()?;
        let mut replies = Vec::new();
        for _ in 0..self.reader.int()? {
            replies.push(self.localized()?);
        }
        let when = self.condition(1)?;
        Some(Rule { id, when, message, replies, cap })
    }

    fn localized(&mut self) -> Option<Localized> {
        let mut texts = Vec::new();
        for _ in 0..self.reader.int()? {
            texts.push((self.reader.string()?, self.reader.string()?));
        }
        Some(Localized(texts))
    }

    fn condition(&mut self, depth: usize) -> Option<Condition> {
        if depth > MAX_DEPTH {
            self.too_deep = true;
            return None;
        }
        let tag = self.reader.string()?;
        let &[tag] = tag.as_bytes() else { return None };
        Some(match tag {
            b'A' | b'O' => {
                let mut list = Vec::new();
                for _ in 0..self.reader.int()? {
                    list.push(self.condition(depth + 1)?);
                }
                if tag == b'A' { Condition::All(list) } else { Condition::Any(list) }
            }
            b'p' | b's' | b'e' => {
                let name = self.reader.string()?;
                match tag {
                    b'p' => Condition::Path(name),
                    b's' => Condition::Step(name),
                    _ => Condition::Event(name),
                }
            }
            b'g' | b'G' | b'l' | b'L' => {
                let cents = self.reader.int()?;
                let currency = if tag.is_ascii_uppercase() { Some(self.reader.string()?) } else { None };
                let amount = Amount { cents, currency };
                if tag | 0x20 == b'g' {
                    Condition::CartTotalAtLeast(amount)
                } else {
                    Condition::CartTotalAtMost(amount)
                }
            }
            // The rest carry one number: a count or a 0/1 flag. Read once, checked per kind.
            _ => {
                let n = self.reader.int()?;
                let count = u32::try_from(n).ok();
                let flag = if n == 0 || n == 1 { Some(n == 1) } else { None };
                match tag {
                    b't' => Condition::SecondsOnStep(count?),
                    b'i' => Condition::IdleSeconds(count?),
                    b'n' => Condition::ItemsAtLeast(count?),
                    b'N' => Condition::ItemsAtMost(count?),
                    b'x' => Condition::ExitIntent(flag?),
                    b'v' => Condition::Visitor(if flag? { VisitorKind::Returning } else { VisitorKind::New }),
                    b'a' => Condition::AgentsOnline(flag?),
                    _ => return None,
                }
            }
        })
    }
}
