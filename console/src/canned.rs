//! Canned responses in the composer: typing `/shortcut` and a space (or Tab) puts the shop's
//! text in its place, with `{{name}}`, `{{cart_total}}` and `{{order_id}}` filled in for the
//! conversation (`{{name|there}}` when a word should stand in for an unknown value), in the
//! version for the shopper's language. Pure text work, tested natively.

use checkout_chat_protocol::api::CannedResponse;

/// What the variables stand for in one conversation; an unknown one is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub name: Option<String>,
    pub cart_total: Option<String>,
    pub order_id: Option<String>,
}

impl Values {
    fn get(&self, variable: &str) -> Option<Option<&str>> {
        match variable {
            "name" => Some(self.name.as_deref()),
            "cart_total" => Some(self.cart_total.as_deref()),
            "order_id" => Some(self.order_id.as_deref()),
            _ => None,
        }
    }
}

/// The text with its variables filled in. A variable without a value takes its fallback
/// (`{{name|there}}`); without one it disappears with the space or comma before it, so
/// "Hi {{name}}!" reads "Hi!" and "Total {{cart_total}}, {{name}}." reads "Total €5.00." for a
/// shopper whose name is not known. Anything else in braces is left as written.
pub fn fill(text: &str, values: &Values) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = &rest[start..];
            break;
        };
        let (variable, fallback) = match after[..end].split_once('|') {
            Some((variable, fallback)) => (variable.trim(), Some(fallback.trim())),
            None => (after[..end].trim(), None),
        };
        let token = &rest[start..start + 2 + end + 2];
        rest = &after[end + 2..];
        match values.get(variable) {
            None => out.push_str(token),
            Some(Some(value)) => out.push_str(value),
            Some(None) => match fallback.filter(|f| !f.is_empty()) {
                Some(fallback) => out.push_str(fallback),
                None => {
                    let kept = out.trim_end().trim_end_matches([',', ';']).trim_end().len();
                    out.truncate(kept);
                    if out.is_empty() {
                        rest = rest.trim_start().trim_start_matches([',', ';']).trim_start();
                    }
                }
            },
        }
    }
    out.push_str(rest);
    out
}

/// The responses an agent may use in a conversation with a shopper of `locale` (`nl-NL`): per
/// shortcut the version in the shopper's language, else the one for every language; a shortcut
/// written only for other languages is not offered.
pub fn for_language(canned: &[CannedResponse], locale: Option<&str>) -> Vec<CannedResponse> {
    let wanted = locale.and_then(|l| l.split(['-', '_']).next()).map(str::to_ascii_lowercase);
    let mut chosen: Vec<CannedResponse> = Vec::new();
    for response in canned {
        let fits = response.lang.is_none() || response.lang == wanted;
        if !fits {
            continue;
        }
        match chosen.iter_mut().find(|c| c.shortcut == response.shortcut) {
            // The shopper's language wins over the version for every language.
            Some(existing) if response.lang.is_some() => *existing = response.clone(),
            Some(_) => {}
            None => chosen.push(response.clone()),
        }
    }
    chosen
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
            response("shipping", "Hi {{name}}! Your cart of {{cart_total}} ships today.", None),
            response("order", "Order {{order_id}} is on its way.", None),
            response("shop", "Our shop is open 9–17.", None),
        ]
    }

    fn response(shortcut: &str, text: &str, lang: Option<&str>) -> CannedResponse {
        CannedResponse { shortcut: shortcut.into(), text: text.into(), lang: lang.map(Into::into) }
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
        assert_eq!(fill("Your total is {{cart_total}}, {{name}}.", &anonymous), "Your total is €5.00.");
        assert_eq!(fill("{{name}}, your cart is saved.", &anonymous), "your cart is saved.");
    }

    #[test]
    fn a_fallback_stands_in_for_an_unknown_value_only() {
        let text = "Hi {{name|there}}, order {{ order_id | in progress }}.";
        assert_eq!(fill(text, &Values::default()), "Hi there, order in progress.");
        assert_eq!(fill(text, &sara()), "Hi Sara, order NC-7.");
    }

    #[test]
    fn braces_that_are_not_our_variables_stay_as_written() {
        assert_eq!(fill("Use {{code}} or {{name", &sara()), "Use {{code}} or {{name");
        assert_eq!(fill("{{}} {{|x}}", &sara()), "{{}} {{|x}}");
    }

    #[test]
    fn the_shoppers_language_picks_the_version() {
        let canned = [
            response("hello", "Hello!", None),
            response("hello", "Hallo!", Some("nl")),
            response("tulips", "Tulpen!", Some("nl")),
        ];
        let texts = |locale| for_language(&canned, locale).into_iter().map(|c| c.text).collect::<Vec<_>>();
        assert_eq!(texts(Some("nl-NL")), ["Hallo!", "Tulpen!"]);
        assert_eq!(texts(Some("NL")), ["Hallo!", "Tulpen!"]);
        assert_eq!(texts(Some("ar")), ["Hello!"], "Dutch-only responses are not offered");
        assert_eq!(texts(None), ["Hello!"]);
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
