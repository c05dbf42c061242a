//! The proactive-prompts report as the relay computes it and `GET /v1/agent/report` sends it: one
//! definition for the relay (`relay report`, the endpoint) and the console's report page, and
//! one way to read its numbers: every rate beside its counts, so that "100 %" of 2 sessions
//! reads as the small number it is.

use serde::{Deserialize, Serialize};

/// Sessions and how many of them completed an order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cohort {
    pub sessions: u64,
    pub converted: u64,
}

impl Cohort {
    /// Counts one more session, ordered or not.
    pub fn add(&mut self, converted: bool) {
        self.sessions += 1;
        self.converted += u64::from(converted);
    }

    /// "50.0 % (1 of 2)": the sessions that ended in an order.
    pub fn orders(&self) -> String {
        percent(self.converted, self.sessions)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleReport {
    pub rule_id: String,
    /// Times the prompt was shown, accepted and dismissed.
    pub shown: u64,
    pub accepted: u64,
    pub dismissed: u64,
    /// Conversations that began as an answer to the prompt.
    pub chats: u64,
    /// Sessions in which the prompt was accepted.
    pub accepted_sessions: Cohort,
    /// Sessions in which it was shown and not accepted.
    pub ignored_sessions: Cohort,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub shop_id: String,
    /// The sessions counted began in `[from_ms, to_ms)`.
    pub from_ms: i64,
    pub to_ms: i64,
    /// Every session that began in the period.
    pub all_sessions: Cohort,
    /// Sessions in which no prompt was shown.
    pub no_prompt_sessions: Cohort,
    /// Sessions with a chat, whatever started it.
    pub chat_sessions: Cohort,
    pub rules: Vec<RuleReport>,
}

/// `12.5 % (1 of 8)`, or `– (0 of 0)`.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return format!("– ({part} of {whole})");
    }
    format!("{:.1} % ({part} of {whole})", part as f64 * 100.0 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_come_with_their_counts() {
        assert_eq!(percent(1, 2), "50.0 % (1 of 2)");
        assert_eq!(percent(1, 3), "33.3 % (1 of 3)");
        assert_eq!(percent(0, 0), "– (0 of 0)");
        assert_eq!(Cohort { sessions: 8, converted: 1 }.orders(), "12.5 % (1 of 8)");
        assert_eq!(Cohort::default().orders(), "– (0 of 0)");
    }

    #[test]
    fn reads_the_relays_json() {
        let json = r#"{"shop_id":"demo","from_ms":0,"to_ms":86400000,
            "all_sessions":{"sessions":5,"converted":2},
            "no_prompt_sessions":{"sessions":2,"converted":1},
            "chat_sessions":{"sessions":1,"converted":1},
            "rules":[{"rule_id":"pay","shown":3,"accepted":1,"dismissed":1,"chats":1,
                "accepted_sessions":{"sessions":1,"converted":1},
                "ignored_sessions":{"sessions":1,"converted":0}}]}"#;
        let report: Report = serde_json::from_str(json).unwrap();
        assert_eq!(report.all_sessions, Cohort { sessions: 5, converted: 2 });
        assert_eq!(report.rules[0].rule_id, "pay");
        assert_eq!(report.rules[0].ignored_sessions.sessions, 1);
        assert_eq!(serde_json::from_str::<Report>(&serde_json::to_string(&report).unwrap()).unwrap(), report);
    }
}
