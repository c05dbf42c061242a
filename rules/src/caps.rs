//! Which rule to show, if any: conditions, caps and dismissals. The widget keeps a [`History`] in
//! localStorage so caps and dismissals survive page loads; the current page's shown rules are kept
//! in memory by the caller.

use crate::eval::Context;
use crate::model::{Cap, Rule};
use crate::text::{self, Reader};

/// Shops change their rules over time and old ids stay behind; this bounds what localStorage holds.
pub const MAX_HISTORY: usize = 200;

const DAY_MS: i64 = 86_400_000;

/// Leads every encoded history, so a future format is recognised rather than misread.
const VERSION: &str = "h1|";

/// What this browser has seen of each rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    rule: String,
    /// When the rule was last shown; `None` if it was dismissed without being shown here.
    shown_ms: Option<i64>,
    /// The session it was last shown in, for the session cap.
    session: String,
    /// Sticky: once the shopper closed a prompt it never comes back.
    dismissed: bool,
}

impl History {
    /// Tolerant by design: localStorage may hold anything (other versions, hand edits). A damaged
    /// record is skipped alone; everything else is kept.
    pub fn decode(encoded: &str) -> History {
        let mut history = History::default();
        let Some(body) = encoded.strip_prefix(VERSION) else { return history };
        let mut reader = Reader::new(body);
        while !reader.at_end() {
            let start = reader.pos;
            match read_entry(&mut reader) {
                Some(entry) => history.merge(entry),
                None => {
                    reader.pos = start;
                    reader.skip_record();
                }
            }
        }
        history
    }

    /// `h1|` then one record per rule: `id;shown_ms;session;flags|`, where `shown_ms` is empty
    /// when never shown and `flags` is `d` when dismissed.
    pub fn encode(&self) -> String {
        let mut out = String::from(VERSION);
        for entry in &self.entries {
            text::push_str(&mut out, &entry.rule);
            match entry.shown_ms {
                Some(ms) => text::push_int(&mut out, ms),
                None => text::push_str(&mut out, ""),
            }
            text::push_str(&mut out, &entry.session);
            text::push_str(&mut out, if entry.dismissed { "d" } else { "" });
            text::end_record(&mut out);
        }
        out
    }

    pub fn shown(&mut self, rule_id: &str, session: &str, now_ms: i64) {
        let entry = self.entry(rule_id);
        entry.shown_ms = Some(now_ms);
        entry.session = session.into();
    }

    pub fn dismissed(&mut self, rule_id: &str) {
        self.entry(rule_id).dismissed = true;
    }

    pub fn is_dismissed(&self, rule_id: &str) -> bool {
        self.find(rule_id).is_some_and(|e| e.dismissed)
    }

    /// Whether `rule`'s cap and dismissal allow showing it now. Whatever the cap, a rule already
    /// shown on this page is not shown again: every cap is at least as strict as the page cap.
    pub fn allows(&self, rule: &Rule, session: &str, shown_on_page: &[String], now_ms: i64) -> bool {
        if shown_on_page.contains(&rule.id) {
            return false;
        }
        let Some(entry) = self.find(&rule.id) else { return true };
        if entry.dismissed {
            return false;
        }
        let Some(shown_ms) = entry.shown_ms else { return true };
        match rule.cap {
            Cap::Page => true,
            Cap::Session => entry.session != session,
            Cap::Visitor => false,
            // A clock that went backwards counts as "recently shown": better a missed prompt than
            // a repeated one.
            Cap::Days(days) => now_ms.saturating_sub(shown_ms) >= i64::from(days) * DAY_MS,
        }
    }

    fn find(&self, rule_id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.rule == rule_id)
    }

    /// The rule's entry, moved to the back: entries stay in order of last change, so the front
    /// holds the ones to forget first when the history is full.
    fn entry(&mut self, rule_id: &str) -> &mut Entry {
        let entry = match self.entries.iter().position(|e| e.rule == rule_id) {
            Some(at) => self.entries.remove(at),
            None => {
                if self.entries.len() >= MAX_HISTORY {
                    // A dismissal goes last: forgetting it would bring back a prompt the shopper closed.
                    let at = self.entries.iter().position(|e| !e.dismissed).unwrap_or(0);
                    self.entries.remove(at);
                }
                Entry { rule: rule_id.into(), shown_ms: None, session: String::new(), dismissed: false }
            }
        };
        let at = self.entries.len();
        self.entries.push(entry);
        &mut self.entries[at]
    }

    /// Two records for one rule (only in edited text) combine to the stricter of both.
    fn merge(&mut self, record: Entry) {
        let entry = self.entry(&record.rule);
        entry.dismissed |= record.dismissed;
        if record.shown_ms > entry.shown_ms {
            entry.shown_ms = record.shown_ms;
            entry.session = record.session;
        }
    }
}

fn read_entry(reader: &mut Reader) -> Option<Entry> {
    let mut fields = Vec::new();
    loop {
        let (field, last) = reader.field()?;
        fields.push(field);
        if last {
            break;
        }
    }
    // Later versions may add fields: keep what is understood.
    if fields.len() < 4 {
        return None;
    }
    fields.truncate(4);
    let flags = fields.pop()?;
    let session = fields.pop()?;
    let shown = fields.pop()?;
    let shown_ms = if shown.is_empty() { None } else { Some(text::parse_int(&shown)?) };
    Some(Entry { rule: fields.pop()?, shown_ms, session, dismissed: flags.bytes().any(|b| b == b'd') })
}

/// Whether a prompt can appear at all right now; a prompt never interrupts a chat or another prompt.
#[derive(Debug, Clone, Copy, Default)]
pub struct Screen {
    pub chat_open: bool,
    pub prompt_on_screen: bool,
}

impl Screen {
    fn busy(self) -> bool {
        self.chat_open || self.prompt_on_screen
    }
}

/// The first rule in config order whose conditions match and whose cap allows it: config order is
/// the shop's priority. `None` while a chat is open or a prompt is on screen.
pub fn choose<'r>(
    rules: &'r [Rule],
    ctx: &Context,
    history: &History,
    session: &str,
    shown_on_page: &[String],
    screen: Screen,
) -> Option<&'r Rule> {
    if screen.busy() {
        return None;
    }
    rules.iter().find(|r| history.allows(r, session, shown_on_page, ctx.now_ms) && r.when.matches(ctx))
}

/// A rule the shop's own code fires by id (`checkoutChat.push(["prompt", id])`). Its conditions are
/// skipped, since the shop decided; caps, dismissal and the screen still hold, since the shopper
/// decided those.
pub fn choose_named<'r>(
    rules: &'r [Rule],
    id: &str,
    history: &History,
    session: &str,
    shown_on_page: &[String],
    screen: Screen,
    now_ms: i64,
) -> Option<&'r Rule> {
    if screen.busy() {
        return None;
    }
    rules.iter().find(|r| r.id == id).filter(|r| history.allows(r, session, shown_on_page, now_ms))
}
