//! Small browser helpers.

use checkout_chat_protocol::ClientId;

/// A new id for a message this client sends (96 random bits), so a resend is recognised.
pub fn new_client_id() -> ClientId {
    let mut bytes = [0u8; 12];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for byte in &mut bytes {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    ClientId::new(hex).unwrap_or_else(|_| unreachable!("hex is a valid client id"))
}

/// Milliseconds since the Unix epoch, as the protocol counts time.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// "14:05" in the reader's own time zone.
pub fn clock(at_ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// Whether a key press in a message box sends the message: Enter alone sends, Shift+Enter is a
/// new line, and Enter that confirms an input method's composition (Chinese, Japanese, …) does
/// neither.
pub fn is_send_shortcut(event: &web_sys::KeyboardEvent) -> bool {
    event.key() == "Enter" && !event.shift_key() && !event.is_composing()
}
