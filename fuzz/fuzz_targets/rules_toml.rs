//! A shop's `[[rules]]` TOML as the relay reads and validates it.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The relay and the widget only ever get valid UTF-8 text.
    if let Ok(text) = std::str::from_utf8(data) {
        checkout_chat_rules::fuzzing::check_toml_rules(text);
    }
});
