//! Canned responses in the composer: typing `/shipping` and a space (or Tab) puts the shop's
//! text in its place, with `{{name}}`, `{{cart_total}}` and `{{order_id}}` filled in for the
//! conversation. Pure text work, tested natively.

use checkout_chat_protocol::api::CannedResponse;

/// What the variables stand for in one conversation; an unknown one is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub name: Option<String>,
    pub cart_total: Option<String>,
    pub order_id: Option<String>,
}

/// The text with its variables filled in. A variable without a value disappears with the space
/// before it, so "Hi {{name}}!" reads "Hi!" for a shopper whose name is not known.
pub fn fill(text: &str, values: &Values) -> String {
    let mut out = text.to_owned();
    for (variable, value) in
        [("{{name}}", &values.name), ("{{cart_total}}", &values.cart_total), ("{{order_id}}", &values.order_id)]
    {
        match value {
            Some(value) => out = out.replace(variable, value),
            None => out = out.replace(&format!(" {variable}"), "").replace(variable, ""),
        }
    }
    out
}

/// The `/word` being typed at the end of the draft, if any (without the slash).
fn typed_shortcut(draft: &str) -> Option<(usize, &str)> {
    let start = draft.rfind(|c: char| c.is_whitespace()).map_or(0, |i| i + 1);
    let word = &draft[start..];
    let shortcut = word.strip_prefix('/')?;
    Some((start, shortcut))
}

/// The canned responses whose shortcut begins with the `/word` at the end of the draft.
pub fn suggestions<'a>(draft: &str, canned: &'a [CannedResponse]) -> Vec<&'a CannedResponse> {
    match typed_shortcut(draft) {
        Some((_, typed)) => canned.iter().filter(|c| c.shortcut.starts_with(typed)).collect(),
        None => Vec::new(),
    }
}

/// The draft with a `/shortcut` just completed by a space expanded; `None` when the draft does
/// not end that way.
pub fn expand_on_space(draft: &str, canned: &[CannedResponse], values: &Values) -> Option<String> {
    let before = draft.strip_suffix(' ')?;
    let (start, typed) = typed_shortcut(before)?;
    let found = canned.iter().find(|c| c.shortcut == typed)?;
    Some(format!("{}{}", &before[..start], fill(&found.text, values)))
}

/// The draft with the `/word` at its end replaced by the first suggestion (Tab).
pub fn expand_first(draft: &str, canned: &[CannedResponse], values: &Values) -> Option<String> {
    let (start, _) = typed_shortcut(draft)?;
    let first = suggestions(draft, canned).into_iter().next()?;
    Some(format!("{}{}", &draft[..start], fill(&first.text, values)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canned() -> Vec<CannedResponse> {
        vec![
            CannedResponse {
                shortcut: "shipping".into(),
                text: "Hi {{name}}! Your cart of {{cart_total}} ships today.".into(),
            },
            CannedResponse { shortcut: "order".into(), text: "Order {{order_id}} is on its way.".into() },
            CannedResponse { shortcut: "shop".into(), text: "Our shop is open 9–17.".into() },
        ]
    }

    fn sara() -> Values {
        Values { name: Some("Sara".into()), cart_total: Some("€54.90".into()), order_id: Some("NC-7".into()) }
    }

    #[test]
    fn a_completed_shortcut_expands_with_its_variables() {
        let expanded = expand_on_space("/shipping ", &canned(), &sara());
        assert_eq!(expanded.as_deref(), Some("Hi Sara! Your cart of €54.90 ships today."));
        let inside = expand_on_space("Thanks. /order ", &canned(), &sara());
        assert_eq!(inside.as_deref(), Some("Thanks. Order NC-7 is on its way."));
    }

    #[test]
    fn unknown_values_leave_no_gap() {
        let anonymous = Values { cart_total: Some("€5.00".into()), ..Values::default() };
        assert_eq!(fill("Hi {{name}}! Total {{cart_total}}.", &anonymous), "Hi! Total €5.00.");
        assert_eq!(fill("{{order_id}}", &Values::default()), "");
    }

    #[test]
    fn only_a_known_shortcut_at_the_end_expands() {
        assert_eq!(expand_on_space("/nothing ", &canned(), &sara()), None);
        assert_eq!(expand_on_space("/shipping", &canned(), &sara()), None, "not completed yet");
        assert_eq!(expand_on_space("a/shipping ", &canned(), &sara()), None, "not a word of its own");
        assert_eq!(expand_on_space("see https://x.example/shipping ", &canned(), &sara()), None);
    }

    #[test]
    fn suggestions_follow_what_is_typed_and_tab_takes_the_first() {
        let canned = canned();
        let names = |draft: &str| suggestions(draft, &canned).iter().map(|c| c.shortcut.clone()).collect::<Vec<_>>();
        assert_eq!(names("/sh"), ["shipping", "shop"]);
        assert_eq!(names("Hello /o"), ["order"]);
        assert!(names("Hello").is_empty());
        assert_eq!(expand_first("Hello /o", &canned, &sara()).as_deref(), Some("Hello Order NC-7 is on its way."));
    }
}
