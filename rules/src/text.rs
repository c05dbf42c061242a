//! Text primitives shared by the wire codec and the history: every field ends with `;`, a history
//! record ends with `|`, and `\` escapes either (and itself) inside a field. Hand-written and
//! integer-only because it runs in the widget, where every formatting or parsing routine from
//! `core` costs bytes of the size budget. No control characters: the wire text travels inside a
//! JSON string and the history in localStorage, where those would be escaped or mangled.

/// Appends `text` as one field.
pub(crate) fn push_str(out: &mut String, text: &str) {
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if matches!(b, b';' | b'|' | b'\\') {
            out.push_str(text.get(start..i).unwrap_or(""));
            out.push('\\');
            start = i;
        }
    }
    out.push_str(text.get(start..).unwrap_or(""));
    out.push(';');
}

/// Appends `n` as one field.
pub(crate) fn push_int(out: &mut String, n: i64) {
    push_digits(out, n);
    out.push(';');
}

/// Ends a history record: its last field ends with `|` instead of `;`.
pub(crate) fn end_record(out: &mut String) {
    out.pop();
    out.push('|');
}

/// Decimal digits of `n`, without `core::fmt`.
pub(crate) fn push_digits(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    let mut rest = n.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &d in &digits[start..] {
        out.push(char::from(d));
    }
}

/// Reads what [`push_digits`] writes: an optional `-` and 1 to 19 ASCII digits, nothing else.
/// `None` when out of range rather than wrapping, so a tampered number cannot turn into another.
pub(crate) fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    // 19 digits always fit a u64, so the loop needs no overflow checks (which cost 128-bit
    // multiplication code in wasm).
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut magnitude: u64 = 0;
    for b in digits.bytes() {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        magnitude = magnitude * 10 + u64::from(digit);
    }
    if negative { 0i64.checked_sub_unsigned(magnitude) } else { i64::try_from(magnitude).ok() }
}

/// A cursor over encoded text. Never panics: every slice is taken at a position it found itself.
pub(crate) struct Reader<'a> {
    text: &'a str,
    /// Byte offset of the next unread field; reported in errors.
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str) -> Reader<'a> {
        Reader { text, pos: 0 }
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    /// The next field, unescaped, and whether a record end (`|`) rather than `;` closed it.
    /// `None`, with the position unchanged, when the text ends before the field does: truncated
    /// text must not yield a shortened value. Scans bytes: the special characters are ASCII, so
    /// they never occur inside a multi-byte character and every cut is at a character boundary.
    pub(crate) fn field(&mut self) -> Option<(String, bool)> {
        let rest = self.text.get(self.pos..)?;
        let bytes = rest.as_bytes();
        let mut value = String::new();
        let (mut start, mut i) = (0, 0);
        while let Some(&b) = bytes.get(i) {
            if matches!(b, b';' | b'|' | b'\\') {
                value.push_str(rest.get(start..i)?);
                start = i + 1;
                if b != b'\\' {
                    self.pos += start;
                    return Some((value, b == b'|'));
                }
                // Skip the escaped character's first byte, so a special one is taken literally.
                i += 1;
            }
            i += 1;
        }
        None
    }

    /// The next field, which must end with `;`.
    pub(crate) fn string(&mut self) -> Option<String> {
        match self.field()? {
            (value, false) => Some(value),
            (_, true) => None,
        }
    }

    /// The next field as an integer.
    pub(crate) fn int(&mut self) -> Option<i64> {
        parse_int(&self.string()?)
    }

    /// Moves past the next unescaped record end (or to the end), so that one damaged history
    /// record does not take the following ones with it.
    pub(crate) fn skip_record(&mut self) {
        loop {
            match self.field() {
                Some((_, false)) => {}
                Some((_, true)) => return,
                None => {
                    self.pos = self.text.len();
                    return;
                }
            }
        }
    }
}
