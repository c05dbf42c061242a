//! Checks and normalisation of the text people type, applied by the clients before sending and by
//! the relay again before storing (the relay never trusts a client to have done it).

use crate::limits::{MAX_MESSAGE_CHARS, MAX_NAME_CHARS};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the message is empty")]
    Empty,
    /// Only zero-width or blank-looking characters: it would show as an empty bubble.
    #[error("the message has no visible character")]
    NothingVisible,
    #[error("the message is longer than {max} characters")]
    TooLong { max: usize },
}

/// A message text that has passed [`normalize_message`] and [`mask_card_numbers`]: what the
/// relay stores and forwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    pub fn new(text: &str) -> Result<Self, TextError> {
        let text = normalize_message(text)?;
        Ok(MessageText(mask_card_numbers(&text).unwrap_or(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Returns the message as it will be stored: line endings normalised to `\n`, control characters
/// other than newline and tab removed, bidi embeddings, overrides and isolates removed, surrounding
/// whitespace trimmed. A text with nothing visible in it (only zero-width spaces, say) is refused.
///
/// The bidi marks (LRM, RLM, ALM) stay: right-to-left writers use them to place punctuation, and
/// they cannot reorder letters. Embeddings and overrides can (an RLO shows "Anna" as "annA"), and
/// nobody needs them in a chat: every message is shown in an element of its own direction.
pub fn normalize_message(text: &str) -> Result<String, TextError> {
    let cleaned: String = text
        .replace("\r\n", "\n")
        .chars()
        .map(|c| if c == '\r' { '\n' } else { c })
        .filter(|c| (!c.is_control() || *c == '\n' || *c == '\t') && !is_bidi_override(*c))
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if !trimmed.chars().any(is_visible) {
        return Err(TextError::NothingVisible);
    }
    if trimmed.chars().count() > MAX_MESSAGE_CHARS {
        return Err(TextError::TooLong { max: MAX_MESSAGE_CHARS });
    }
    Ok(trimmed.to_owned())
}

/// A person's name as agents see it: every bidi control and invisible character removed, runs of
/// whitespace (newlines too) made one space, trimmed. A name is one short line beside other text,
/// where a stray override or mark reorders what follows; only the zero-width joiner and non-joiner
/// stay, which Persian and emoji need between visible letters. Refused when nothing visible is left
/// or it is longer than [`MAX_NAME_CHARS`].
pub fn normalize_name(name: &str) -> Result<String, TextError> {
    let kept = |c: &char| !c.is_control() && (*c == ZWNJ || *c == ZWJ || !is_invisible(*c));
    let words: Vec<String> =
        name.split_whitespace().map(|word| word.chars().filter(kept).collect::<String>()).collect();
    let joined = words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        return Err(TextError::Empty);
    }
    if !joined.chars().any(is_visible) {
        return Err(TextError::NothingVisible);
    }
    if joined.chars().count() > MAX_NAME_CHARS {
        return Err(TextError::TooLong { max: MAX_NAME_CHARS });
    }
    Ok(joined)
}

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';

/// Whether `c` draws something: not whitespace, not a control, not [invisible](is_invisible).
pub fn is_visible(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && !is_invisible(c)
}

/// Characters that draw nothing although they are not whitespace: Unicode's
/// Default_Ignorable_Code_Point set (zero-width spaces and joiners, bidi controls, the soft
/// hyphen, variation selectors, tags; from DerivedCoreProperties.txt, Unicode 16) and the
/// Braille blank, which is how "empty" names are faked.
pub fn is_invisible(c: char) -> bool {
    // A table rather than a `match`: the widget carries this, and the table is smaller there.
    const RANGES: [(char, char); 18] = [
        ('\u{00AD}', '\u{00AD}'),
        ('\u{034F}', '\u{034F}'),
        ('\u{061C}', '\u{061C}'),
        ('\u{115F}', '\u{1160}'),
        ('\u{17B4}', '\u{17B5}'),
        ('\u{180B}', '\u{180F}'),
        ('\u{200B}', '\u{200F}'),
        ('\u{202A}', '\u{202E}'),
        ('\u{2060}', '\u{206F}'),
        ('\u{2800}', '\u{2800}'),
        ('\u{3164}', '\u{3164}'),
        ('\u{FE00}', '\u{FE0F}'),
        ('\u{FEFF}', '\u{FEFF}'),
        ('\u{FFA0}', '\u{FFA0}'),
        ('\u{FFF0}', '\u{FFF8}'),
        ('\u{1BCA0}', '\u{1BCA3}'),
        ('\u{1D173}', '\u{1D17A}'),
        ('\u{E0000}', '\u{E0FFF}'),
    ];
    RANGES.iter().any(|&(first, last)| (first..=last).contains(&c))
}

/// The bidi controls that reorder text: embeddings (LRE, RLE), overrides (LRO, RLO), isolates
/// (LRI, RLI, FSI) and their ends (PDF, PDI). The marks (LRM, RLM, ALM) are not among them.
pub fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A one-line preview of a message for lists, cut at a character boundary.
pub fn preview(text: &str, max_chars: usize) -> String {
    let single_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if single_line.chars().count() <= max_chars {
        return single_line;
    }
    let mut cut: String = single_line.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The text with every payment card number (13 to 19 digits, optionally grouped by single spaces
/// or dashes, passing the Luhn check) masked to its last four digits, or `None` when there is
/// none. Other numbers (order numbers, phone numbers) are left alone. Card numbers that share a
/// digit group are masked as one stretch, down to its last four digits: masking them one by one
/// would leave the end of the first showing beside the rest of the next.
pub fn mask_card_numbers(text: &str) -> Option<String> {
    let mut bytes = text.as_bytes().to_vec();
    let mut masked = false;
    // A stretch's last four digits, cut from a longer group, can begin a new card number with the
    // groups after it; so masking goes on until nothing is found, which leaves no card number in
    // the result (masking it again changes nothing). Each round masks at least nine digits.
    while mask_stretches(&mut bytes) {
        masked = true;
    }
    if !masked {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// One round over the text: masks every stretch of card numbers; whether it found any.
fn mask_stretches(bytes: &mut [u8]) -> bool {
    let mut found = false;
    let mut start = 0;
    while start < bytes.len() {
        if !bytes[start].is_ascii_digit() {
            start += 1;
            continue;
        }
        let groups = digit_groups(bytes, start);
        let end = groups.last().map_or(start + 1, |g| g.1);
        for (first, last) in card_stretches(bytes, &groups) {
            mask_span(bytes, groups[first].0, groups[last].1);
            found = true;
        }
        start = end;
    }
    found
}

/// Digit groups starting at `start`, separated by exactly one space or dash: (start, end) byte
/// ranges.
fn digit_groups(bytes: &[u8], start: usize) -> Vec<(usize, usize)> {
    let mut groups = Vec::new();
    let mut position = start;
    loop {
        let group_start = position;
        while position < bytes.len() && bytes[position].is_ascii_digit() {
            position += 1;
        }
        groups.push((group_start, position));
        let separated = position + 1 < bytes.len()
            && matches!(bytes[position], b' ' | b'-')
            && bytes[position + 1].is_ascii_digit();
        if !separated {
            return groups;
        }
        position += 1;
    }
}

/// Runs of consecutive groups to mask: every card number among the groups, those that share a
/// group joined into one stretch. A card has at most 19 digits, so from each group only the runs
/// up to 19 digits are tried: linear in the length of the text whatever its shape (a message of
/// "1 1 1 …" must not cost seconds).
fn card_stretches(bytes: &[u8], groups: &[(usize, usize)]) -> Vec<(usize, usize)> {
    const MAX_DIGITS: usize = 19;
    let mut stretches: Vec<(usize, usize)> = Vec::new();
    let mut digits: Vec<u8> = Vec::with_capacity(MAX_DIGITS);
    for first in 0..groups.len() {
        digits.clear();
        let mut longest = None;
        for (last, &(start, end)) in groups.iter().enumerate().skip(first) {
            if digits.len() + (end - start) > MAX_DIGITS {
                break;
            }
            digits.extend(bytes[start..end].iter().map(|b| b - b'0'));
            if digits.len() >= 13 && passes_luhn(&digits) {
                longest = Some(last);
            }
        }
        let Some(last) = longest else { continue };
        match stretches.last_mut() {
            Some(stretch) if first <= stretch.1 => stretch.1 = stretch.1.max(last),
            _ => stretches.push((first, last)),
        }
    }
    stretches
}

fn passes_luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Replaces every digit in `start..end` but the last four with `*`.
fn mask_span(bytes: &mut [u8], start: usize, end: usize) {
    let digits = bytes[start..end].iter().filter(|b| b.is_ascii_digit()).count();
    let mut seen = 0;
    for byte in &mut bytes[start..end] {
        if byte.is_ascii_digit() {
            seen += 1;
            if seen <= digits.saturating_sub(4) {
                *byte = b'*';
            }
        }
    }
}

/// A piece of a message: plain text, or a web link to render as a safe link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    Link(&'a str),
}

/// Splits a message into text and `http(s)://` links. Trailing punctuation that ends a sentence
/// (and an unbalanced closing bracket) is not part of the link.
pub fn linkify(text: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(found) = find_link_start(rest) {
        let after = &rest[found..];
        let raw_end =
            after.find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"').unwrap_or(after.len());
        let link = trim_link(&after[..raw_end]);
        let scheme_only = link.trim_end_matches('/').ends_with(':');
        if scheme_only {
            segments.push(Segment::Text(&rest[..found + raw_end.max(1)]));
            rest = &rest[found + raw_end.max(1)..];
            continue;
        }
        if found > 0 {
            segments.push(Segment::Text(&rest[..found]));
        }
        segments.push(Segment::Link(link));
        rest = &rest[found + link.len()..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Text(rest));
    }
    segments
}

fn find_link_start(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    [lower.find("https://"), lower.find("http://")].into_iter().flatten().min()
}

fn trim_link(link: &str) -> &str {
    let mut link = link.trim_end_matches(['.', ',', '!', '?', ';', ':', '\'', '…']);
    for (open, close) in [('(', ')'), ('[', ']')] {
        while link.ends_with(close) && link.matches(open).count() < link.matches(close).count() {
            link = &link[..link.len() - 1];
        }
    }
    link
}

/// A light check that `email` looks like an address (one `@`, a dot in the domain, no spaces,
/// not too long); delivery is the real test.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    email.len() <= crate::limits::MAX_EMAIL_LEN
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || is_invisible(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_text_is_always_normalised() {
        assert_eq!(MessageText::new(" hi\r\n ").unwrap().as_str(), "hi");
        assert_eq!(MessageText::new(""), Err(TextError::Empty));
    }

    #[test]
    fn trims_and_normalises_line_endings() {
        assert_eq!(normalize_message("  hi\r\nthere\r ").unwrap(), "hi\nthere");
    }

    #[test]
    fn removes_control_characters_but_keeps_tabs_and_newlines() {
        assert_eq!(normalize_message("a\u{0}b\tc\u{1b}[31m\nd").unwrap(), "ab\tc[31m\nd");
    }

    #[test]
    fn rejects_blank_and_overlong_messages() {
        assert_eq!(normalize_message(" \n\t "), Err(TextError::Empty));
        let long = "é".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(normalize_message(&long), Err(TextError::TooLong { max: MAX_MESSAGE_CHARS }));
        assert!(normalize_message(&"é".repeat(MAX_MESSAGE_CHARS)).is_ok());
    }

    #[test]
    fn messages_with_nothing_visible_are_refused() {
        // Zero-width spaces, a word joiner, a BOM, bidi marks, a Hangul filler, the Braille blank:
        // each would be an empty bubble in the console.
        for text in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}",
            " \u{2060}\u{FEFF} ",
            "\u{200E}\u{200F}",
            "\u{3164}",
            "\u{2800}\n\u{2800}",
        ] {
            assert_eq!(normalize_message(text), Err(TextError::NothingVisible), "{text:?}");
            assert_eq!(MessageText::new(text), Err(TextError::NothingVisible), "{text:?}");
        }
        // One visible character is enough, and the invisible ones beside it stay (a ZWJ joins
        // an emoji sequence; a ZWNJ belongs in Persian words).
        assert_eq!(normalize_message("\u{200B}a").unwrap(), "\u{200B}a");
        assert_eq!(normalize_message("👩\u{200D}💻").unwrap(), "👩\u{200D}💻");
        assert_eq!(normalize_message("می\u{200C}خواهم").unwrap(), "می\u{200C}خواهم");
    }

    #[test]
    fn bidi_overrides_are_removed_from_messages_but_marks_stay() {
        // An RLO would show the rest of the line reversed ("Anna" as "annA").
        assert_eq!(normalize_message("\u{202E}annA\u{202C}").unwrap(), "annA");
        assert_eq!(normalize_message("pay\u{2067}\u{202D}.exe\u{2069}").unwrap(), "pay.exe");
        assert_eq!(normalize_message("\u{202E}\u{202C}"), Err(TextError::Empty));
        // The right-to-left mark places the question mark for an Arabic reader.
        assert_eq!(normalize_message("متى؟\u{200F}").unwrap(), "متى؟\u{200F}");
    }

    #[test]
    fn names_lose_bidi_controls_and_invisible_characters() {
        assert_eq!(normalize_name("\u{202E}annA").unwrap(), "annA");
        assert_eq!(normalize_name("\u{2067}Anna\u{2069} \u{200F}de\u{200B} Vries\u{200E}").unwrap(), "Anna de Vries");
        assert_eq!(normalize_name("  Sara\n\tAhmadi\u{00A0} ").unwrap(), "Sara Ahmadi");
        // Persian keeps its non-joiner between letters.
        assert_eq!(normalize_name("علی\u{200C}رضا").unwrap(), "علی\u{200C}رضا");
        assert_eq!(normalize_name("سارا احمدی").unwrap(), "سارا احمدی");
        for blank in ["", " \n", "\u{202E}", "\u{200B}\u{200D}", "\u{2800}\u{3164}", "\u{200C} \u{202E}"] {
            assert!(normalize_name(blank).is_err(), "{blank:?}");
        }
        assert_eq!(normalize_name(&"é".repeat(MAX_NAME_CHARS + 1)), Err(TextError::TooLong { max: MAX_NAME_CHARS }));
        // Removed characters do not count against the length.
        assert!(normalize_name(&format!("{}{}", "\u{200B}".repeat(50), "é".repeat(MAX_NAME_CHARS))).is_ok());
    }

    #[test]
    fn emails_with_invisible_characters_are_refused() {
        assert!(!is_plausible_email("anna\u{202E}@shop.example"));
        assert!(!is_plausible_email("anna\u{200B}@shop.example"));
    }

    #[test]
    fn keeps_right_to_left_text_intact() {
        assert_eq!(normalize_message("سلام، سفارش من کجاست؟").unwrap(), "سلام، سفارش من کجاست؟");
    }

    #[test]
    fn card_numbers_are_masked_to_their_last_four_digits() {
        assert_eq!(
            mask_card_numbers("my card is 4242 4242 4242 4242, ok?").as_deref(),
            Some("my card is **** **** **** 4242, ok?")
        );
        assert_eq!(mask_card_numbers("4111-1111-1111-1111").as_deref(), Some("****-****-****-1111"));
        assert_eq!(mask_card_numbers("5555555555554444").as_deref(), Some("************4444"));
        // Amex, 15 digits in 4-6-5 groups.
        assert_eq!(mask_card_numbers("378282246310005").as_deref(), Some("***********0005"));
        assert_eq!(mask_card_numbers("3782 822463 10005").as_deref(), Some("**** ****** *0005"));
    }

    #[test]
    fn other_numbers_are_left_alone() {
        // Order and phone numbers, a 16-digit number that fails Luhn, too short, too long.
        for text in [
            "order NH-204118",
            "call +31 20 123 4567",
            "4242 4242 4242 4241",
            "424242424242",
            "42424242424242424242424",
        ] {
            assert_eq!(mask_card_numbers(text), None, "{text}");
        }
    }

    #[test]
    fn a_card_inside_a_longer_run_of_groups_is_found() {
        assert_eq!(mask_card_numbers("ref 12 4242 4242 4242 4242").as_deref(), Some("ref 12 **** **** **** 4242"));
    }

    #[test]
    fn a_card_overlapping_another_digit_run_shows_only_its_last_four_digits() {
        // "14 4111 1111 1111" passes Luhn as well; masking it alone left "1111 1111", eight digits
        // of the real card, in view.
        assert_eq!(mask_card_numbers("order 14 4111 1111 1111 1111").as_deref(), Some("order ** **** **** **** 1111"));
    }

    #[test]
    fn masked_text_holds_no_card_number_so_masking_twice_changes_nothing() {
        // The card keeps "7340" of its last group, and "7340 4242 4242 1" passes Luhn: it is
        // masked in turn.
        let once = mask_card_numbers("4111 1111 1111 917340 4242 4242 1");
        assert_eq!(once.as_deref(), Some("**** **** **** ****** **** *242 1"));
        assert_eq!(mask_card_numbers(once.as_deref().unwrap_or_default()), None);
    }

    #[test]
    fn masking_cost_grows_linearly_with_the_text() {
        // Thousands of one-digit groups: each group is tried against at most 19 digits.
        for text in ["1 ".repeat(2000), "1-".repeat(2000), "4242 ".repeat(800)] {
            let started = std::time::Instant::now();
            let _ = mask_card_numbers(&text);
            // A generous bound (the work is well under a millisecond); the old cubic version took
            // seconds here.
            assert!(started.elapsed() < std::time::Duration::from_millis(500), "{:?}", started.elapsed());
        }
        // Every window of four groups here is a card number, each sharing groups with the next:
        // one stretch, so no window shows more than four digits.
        assert_eq!(
            mask_card_numbers("4242 4242 4242 4242 4242 4242 4242 4242").as_deref(),
            Some("**** **** **** **** **** **** **** 4242")
        );
    }

    #[test]
    fn message_text_masks_card_numbers() {
        assert_eq!(MessageText::new("pay with 4242424242424242").unwrap().as_str(), "pay with ************4242");
    }

    #[test]
    fn links_are_found_without_trailing_punctuation() {
        assert_eq!(
            linkify("See https://shop.example/track?id=5. Thanks!"),
            [Segment::Text("See "), Segment::Link("https://shop.example/track?id=5"), Segment::Text(". Thanks!")]
        );
        assert_eq!(
            linkify("(http://a.example/x)"),
            [Segment::Text("("), Segment::Link("http://a.example/x"), Segment::Text(")")]
        );
        assert_eq!(linkify("no links"), [Segment::Text("no links")]);
        assert_eq!(linkify("javascript:alert(1)"), [Segment::Text("javascript:alert(1)")]);
        assert_eq!(linkify("https://"), [Segment::Text("https://")]);
    }

    #[test]
    fn emails_are_checked_lightly() {
        assert!(is_plausible_email("anna@shop.example"));
        for bad in ["", "anna", "anna@", "@shop.example", "anna@shop", "an na@shop.example", "a@b@c.example"] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }

    #[test]
    fn preview_is_one_line_and_bounded() {
        assert_eq!(preview("a\nb   c", 10), "a b c");
        assert_eq!(preview("abcdefghij", 5), "abcd…");
    }
}
