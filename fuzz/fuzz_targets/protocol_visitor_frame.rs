//! A visitor socket's text frame as the relay reads it, and the checks it applies to the fields.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The relay and the widget only ever get valid UTF-8 text.
    if let Ok(text) = std::str::from_utf8(data) {
        checkout_chat_protocol::fuzzing::check_visitor_frame_text(text);
    }
});
