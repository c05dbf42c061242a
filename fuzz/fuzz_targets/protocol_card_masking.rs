//! The card-number masker on any text, and a message as the relay stores it (normalised, then
//! masked).

#![no_main]

use checkout_chat_protocol::fuzzing::{check_card_masking, check_message_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check_card_masking(text);
        check_message_text(text);
    }
});
