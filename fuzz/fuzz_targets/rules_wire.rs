//! The rules text the widget gets from the relay (`rules::wire::decode`), then evaluated.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The relay and the widget only ever get valid UTF-8 text.
    if let Ok(text) = std::str::from_utf8(data) {
        checkout_chat_rules::fuzzing::check_wire_decoding(text);
    }
});
