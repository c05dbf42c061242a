//! What the proactive prompts bring: per rule, how often its prompt was shown, accepted and
//! dismissed, how many chats it started, and how often sessions ended in an order when the
//! prompt was accepted, when it was shown but not accepted, and when no prompt was shown at all.
//!
//! Counts are given beside every rate, so that "100 %" of 2 sessions reads as the small number
//! it is. Read by `relay report` and by the console's report page, from the activity log.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use checkout_chat_protocol::ShopId;
use checkout_chat_protocol::report::percent;
pub use checkout_chat_protocol::report::{Cohort, Report, RuleReport};

use crate::storage::{ActivityFact, Storage, StorageError};

/// What one session did, gathered from its facts (positions are the order things happened).
#[derive(Default)]
struct Session {
    /// Where each rule's prompt was first shown and first accepted.
    shown: HashMap<String, usize>,
    accepted: HashMap<String, usize>,
    /// How often each rule's prompt was shown, and answered (accepted or dismissed): an answer
    /// counts only for a show before it in the same session, so the report cannot be inflated
    /// by acceptances sent without a prompt ("accepted 1 of 0 shown").
    shows: HashMap<String, u32>,
    answers: HashMap<String, u32>,
    /// The rules (by place in the report) whose prompt the session's chats say they answer.
    chats_from: Vec<usize>,
    chat: bool,
    last_order: Option<usize>,
}

impl Session {
    /// Takes one of the rule's shows for an answer; false when every show was answered already.
    fn answer(&mut self, rule: &str) -> bool {
        let shows = self.shows.get(rule).copied().unwrap_or(0);
        let answers = self.answers.entry(rule.to_owned()).or_insert(0);
        if *answers < shows {
            *answers += 1;
            true
        } else {
            false
        }
    }

    /// An order came after `position`: only then can a prompt have had a part in it.
    fn ordered_after(&self, position: usize) -> bool {
        self.last_order.is_some_and(|order| order > position)
    }
}

/// The report for sessions of `shop` that began in `[from_ms, to_ms)`. `configured` rules are
/// listed even when nothing happened to them (in that order); rules no longer configured but
/// seen in the log follow.
pub async fn build(
    storage: &dyn Storage,
    shop: &ShopId,
    configured: &[String],
    from_ms: i64,
    to_ms: i64,
) -> Result<Report, StorageError> {
    let facts = storage.report_facts(shop, from_ms, to_ms).await?;
    let mut report = summarize(configured, &facts);
    report.shop_id = shop.to_string();
    report.from_ms = from_ms;
    report.to_ms = to_ms;
    Ok(report)
}

fn summarize(configured: &[String], facts: &[ActivityFact]) -> Report {
    let mut rules: Vec<RuleReport> =
        configured.iter().map(|id| RuleReport { rule_id: id.clone(), ..RuleReport::default() }).collect();
    let mut index: HashMap<String, usize> = configured.iter().cloned().enumerate().map(|(i, id)| (id, i)).collect();
    let mut sessions: BTreeMap<&str, Session> = BTreeMap::new();
    for (position, fact) in facts.iter().enumerate() {
        let session = sessions.entry(fact.session_id.as_str()).or_default();
        let rule = fact.rule_id.as_ref().map(|id| {
            let position = *index.entry(id.clone()).or_insert_with(|| {
                rules.push(RuleReport { rule_id: id.clone(), ..RuleReport::default() });
                rules.len() - 1
            });
            (id, position)
        });
        match (fact.kind.as_str(), rule) {
            ("prompt_shown", Some((id, i))) => {
                rules[i].shown += 1;
                session.shown.entry(id.clone()).or_insert(position);
                *session.shows.entry(id.clone()).or_insert(0) += 1;
            }
            ("prompt_accepted", Some((id, i))) if session.answer(id) => {
                rules[i].accepted += 1;
                session.accepted.entry(id.clone()).or_insert(position);
            }
            ("prompt_dismissed", Some((id, i))) if session.answer(id) => rules[i].dismissed += 1,
            ("chat_started", rule) => {
                session.chat = true;
                // Counted once the whole session is known: the chat starts on the chat app's
                // socket and the show is told by the watcher's, so the log may have either first.
                if let Some((_, i)) = rule {
                    session.chats_from.push(i);
                }
            }
            ("order_completed", _) => session.last_order = Some(position),
            _ => {}
        }
    }
    // A chat is the prompt's only if the prompt was shown in the session.
    for session in sessions.values() {
        for &i in &session.chats_from {
            if session.shows.contains_key(&rules[i].rule_id) {
                rules[i].chats += 1;
            }
        }
    }
    let mut report = Report { rules, ..Report::default() };
    for session in sessions.values() {
        let ordered = session.last_order.is_some();
        report.all_sessions.add(ordered);
        if session.shown.is_empty() && session.accepted.is_empty() {
            report.no_prompt_sessions.add(ordered);
        }
        if session.chat {
            report.chat_sessions.add(ordered);
        }
        for rule in &mut report.rules {
            if let Some(&at) = session.accepted.get(&rule.rule_id) {
                rule.accepted_sessions.add(session.ordered_after(at));
            } else if let Some(&at) = session.shown.get(&rule.rule_id) {
                rule.ignored_sessions.add(session.ordered_after(at));
            }
        }
    }
    report
}

const DAY_MS: i64 = 86_400_000;

/// The sessions a report covers: from the start of `from` to the end of `to` (UTC dates written
/// `2026-11-01`), by default the 30 days up to now.
pub fn period(from: Option<&str>, to: Option<&str>, now_ms: i64) -> Result<(i64, i64), String> {
    let to_ms = match to {
        Some(day) => day_start_ms(day)? + DAY_MS,
        None => now_ms,
    };
    let from_ms = match from {
        Some(day) => day_start_ms(day)?,
        None => to_ms - 30 * DAY_MS,
    };
    if from_ms >= to_ms {
        return Err("the period's start must come before its end".into());
    }
    Ok((from_ms, to_ms))
}

fn day_start_ms(day: &str) -> Result<i64, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(day, format).map_err(|_| format!("\"{day}\" is not a date like 2026-11-01"))?;
    Ok(date.midnight().assume_utc().unix_timestamp() * 1000)
}

/// The report as a plain-text table for the terminal.
pub fn to_text(report: &Report, period: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Proactive prompts of shop \"{}\", sessions that began {period}", report.shop_id);
    let all = &report.all_sessions;
    let _ = writeln!(out, "Sessions: {}; ordered: {}", all.sessions, all.orders());
    let _ = writeln!(out, "Orders in sessions with no prompt: {}", report.no_prompt_sessions.orders());
    let _ = writeln!(out, "Orders in sessions with a chat: {}", report.chat_sessions.orders());
    for rule in &report.rules {
        let _ = writeln!(out, "\nRule \"{}\"", rule.rule_id);
        let _ = writeln!(out, "  shown:      {}", rule.shown);
        let _ = writeln!(out, "  accepted:   {}", percent(rule.accepted, rule.shown));
        let _ = writeln!(out, "  dismissed:  {}", percent(rule.dismissed, rule.shown));
        let _ = writeln!(out, "  chats:      {}", rule.chats);
        let _ = writeln!(out, "  orders when accepted:             {}", rule.accepted_sessions.orders());
        let _ = writeln!(out, "  orders when shown, not accepted:  {}", rule.ignored_sessions.orders());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(session: &str, kind: &str, rule: Option<&str>) -> ActivityFact {
        ActivityFact { session_id: session.into(), kind: kind.into(), rule_id: rule.map(Into::into) }
    }

    #[test]
    fn periods_are_whole_utc_days() {
        let (from, to) = period(Some("2026-11-01"), Some("2026-11-02"), 0).unwrap();
        assert_eq!((from, to), (1_793_491_200_000, 1_793_491_200_000 + 2 * DAY_MS));
        assert_eq!(period(None, None, 100 * DAY_MS).unwrap(), (70 * DAY_MS, 100 * DAY_MS));
        assert!(period(Some("2026-13-01"), None, 0).unwrap_err().contains("2026-13-01"));
        assert!(period(Some("2026-11-03"), Some("2026-11-01"), 0).is_err());
    }

    #[test]
    fn sessions_fall_into_accepted_ignored_and_no_prompt() {
        let pay = Some("pay");
        let facts = [
            // s1: shown, accepted, chatted (stored before the show: another socket), ordered.
            fact("s1", "session", None),
            fact("s1", "chat_started", pay),
            fact("s1", "prompt_shown", pay),
            fact("s1", "prompt_accepted", pay),
            fact("s1", "order_completed", None),
            // s2: shown twice, dismissed, no order.
            fact("s2", "session", None),
            fact("s2", "prompt_shown", pay),
            fact("s2", "prompt_shown", pay),
            fact("s2", "prompt_dismissed", pay),
            // s3: no prompt, ordered; s4: no prompt, nothing.
            fact("s3", "session", None),
            fact("s3", "order_completed", None),
            fact("s4", "session", None),
            // s5: a rule no longer configured.
            fact("s5", "session", None),
            fact("s5", "prompt_shown", Some("old")),
            // s6: ordered first, then shown the prompt and ignored it: not the prompt's order.
            fact("s6", "session", None),
            fact("s6", "order_completed", None),
            fact("s6", "prompt_shown", pay),
            // s7: forged answers with a real rule id, never shown: not counted.
            fact("s7", "session", None),
            fact("s7", "prompt_accepted", pay),
            fact("s7", "prompt_dismissed", pay),
            fact("s7", "chat_started", pay),
            // s8: shown once, "accepted" three times: one acceptance.
            fact("s8", "session", None),
            fact("s8", "prompt_shown", pay),
            fact("s8", "prompt_accepted", pay),
            fact("s8", "prompt_accepted", pay),
            fact("s8", "prompt_accepted", pay),
        ];
        let report = summarize(&["pay".into(), "exit".into()], &facts);
        assert_eq!(report.all_sessions, Cohort { sessions: 8, converted: 3 });
        assert_eq!(report.no_prompt_sessions, Cohort { sessions: 3, converted: 1 }, "s7 was shown no prompt");
        assert_eq!(report.chat_sessions, Cohort { sessions: 2, converted: 1 });
        let ids: Vec<&str> = report.rules.iter().map(|r| r.rule_id.as_str()).collect();
        assert_eq!(ids, ["pay", "exit", "old"]);
        let pay = &report.rules[0];
        assert_eq!((pay.shown, pay.accepted, pay.dismissed, pay.chats), (5, 2, 1, 1));
        assert_eq!(pay.accepted_sessions, Cohort { sessions: 2, converted: 1 });
        assert_eq!(pay.ignored_sessions, Cohort { sessions: 2, converted: 0 }, "s6's order came before");
        assert_eq!(report.rules[1], RuleReport { rule_id: "exit".into(), ..RuleReport::default() });
        assert_eq!(report.rules[2].shown, 1);
        let text = to_text(&report, "in the test");
        assert!(text.contains("accepted:   40.0 % (2 of 5)"), "{text}");
        assert!(text.contains("orders when shown, not accepted:  0.0 % (0 of 2)"), "{text}");
        assert!(text.contains("Rule \"exit\"\n  shown:      0\n  accepted:   – (0 of 0)"), "{text}");
    }
}
