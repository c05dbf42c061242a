//! Any text through the widget's serde-free frame reader (natively, on serde_json's parse).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The relay and the widget only ever get valid UTF-8 text.
    if let Ok(text) = std::str::from_utf8(data) {
        checkout_chat_client::fuzzing::check_visitor_decoding(text);
    }
});
