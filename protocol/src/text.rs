//! Checks and normalisation of the text people type, applied by the clients before sending and by
//! the relay again before storing (the relay never trusts a client to have done it).

use crate::limits::MAX_MESSAGE_CHARS;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is longer than {max} characters")]
    TooLong { max: usize },
}

/// A message text that has passed [`normalize_message`]: what the relay stores and forwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    pub fn new(text: &str) -> Result<Self, TextError> {
        normalize_message(text).map(MessageText)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Returns the message as it will be stored: line endings normalised to `\n`, control characters
/// other than newline and tab removed, surrounding whitespace trimmed.
pub fn normalize_message(text: &str) -> Result<String, TextError> {
    let cleaned: String = text
        .replace("\r\n", "\n")
        .chars()
        .map(|c| if c == '\r' { '\n' } else { c })
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed.chars().count() > MAX_MESSAGE_CHARS {
        return Err(TextError::TooLong { max: MAX_MESSAGE_CHARS });
    }
    Ok(trimmed.to_owned())
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
    fn keeps_right_to_left_text_intact() {
        assert_eq!(normalize_message("سلام، سفارش من کجاست؟").unwrap(), "سلام، سفارش من کجاست؟");
    }

    #[test]
    fn preview_is_one_line_and_bounded() {
        assert_eq!(preview("a\nb   c", 10), "a b c");
        assert_eq!(preview("abcdefghij", 5), "abcd…");
    }
}
