//! A shop's rules as its admins edit them in the console: each rule and whether it is on. The
//! relay stores these and gives the widget [`for_widget`]; the console's simulator runs the same.

use crate::model::Rule;
use crate::validate::{RuleError, validate};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleEntry {
    /// Off: kept, but shop pages do not use it.
    #[serde(default = "on")]
    pub enabled: bool,
    pub rule: Rule,
}

fn on() -> bool {
    true
}

/// The rules of a configuration file, all on.
pub fn entries_of(rules: &[Rule]) -> Vec<RuleEntry> {
    rules.iter().map(|rule| RuleEntry { enabled: true, rule: rule.clone() }).collect()
}

/// What shop pages run: the rules that are on, each speaking only while an agent is online
/// unless it says otherwise (see [`Rule::only_when_staffed_by_default`]).
pub fn for_widget(entries: &[RuleEntry]) -> Vec<Rule> {
    entries.iter().filter(|e| e.enabled).map(|e| e.rule.clone().only_when_staffed_by_default()).collect()
}

/// Checks every rule, those off too (they may be turned on later); the error names the entry by
/// its place in the list: the first one the validator refuses in the list up to it (so of two
/// rules with one id, the second).
pub fn check(entries: &[RuleEntry]) -> Result<(), (usize, RuleError)> {
    let rules: Vec<Rule> = entries.iter().map(|e| e.rule.clone()).collect();
    // At most MAX_RULES + 1 short checks: cheap, and exact where an id would be ambiguous.
    for end in 1..=rules.len() {
        validate(&rules[..end]).map_err(|error| (end - 1, error))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cap, Condition, Localized};

    fn rule(id: &str, when: Condition) -> Rule {
        Rule {
            id: id.into(),
            when,
            message: Localized(vec![("en".into(), "Hi".into())]),
            replies: vec![],
            cap: Cap::Session,
        }
    }

    #[test]
    fn the_widget_gets_the_rules_that_are_on_with_the_offline_default() {
        let mut entries =
            entries_of(&[rule("a", Condition::Step("payment".into())), rule("b", Condition::AgentsOnline(false))]);
        assert_eq!(for_widget(&entries).len(), 2);
        assert!(for_widget(&entries)[0].when.mentions_agents_online());
        entries[0].enabled = false;
        let rules = for_widget(&entries);
        assert_eq!(rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["b"]);
        assert_eq!(rules[0].when, Condition::AgentsOnline(false), "a rule that says when is left as written");
    }

    #[test]
    fn a_refusal_names_the_entry_by_its_place() {
        let entries = entries_of(&[rule("a", Condition::Step("x".into())), rule("a", Condition::Step("y".into()))]);
        let (index, error) = check(&entries).unwrap_err();
        assert_eq!((index, error.field.as_str()), (1, "id"));
        let entries =
            entries_of(&[rule("ok", Condition::Step("x".into())), rule("bad", Condition::Path("checkout".into()))]);
        let (index, error) = check(&entries).unwrap_err();
        assert_eq!((index, error.field.as_str()), (1, "when.path"), "{error}");
    }
}
