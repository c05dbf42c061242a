//! The short run of the fuzz targets' properties (`fuzz/`, see docs/testing.md): the same checks
//! from `checkout_chat_protocol::fuzzing`, fed by proptest instead of libFuzzer, so they run on
//! stable Rust in every `cargo test`.

use arbitrary::Unstructured;
use checkout_chat_protocol::fuzzing::{
    agent_frame, check_agent_frame_text, check_card_masking, check_frames_round_trip, check_message_text, check_name,
    check_visitor_frame_text, visitor_frame,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// Bytes for the shared generators to read choices from.
fn seed() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..1024)
}

/// A valid frame's JSON, as is or damaged: cut short, or with a few JSON-ish characters spliced in.
fn damaged(json: String, at: Index, junk: &str, how: u8) -> String {
    let mut at = at.index(json.len() + 1);
    while !json.is_char_boundary(at) {
        at -= 1;
    }
    match how % 3 {
        0 => json,
        1 => json[..at].to_owned(),
        _ => format!("{}{junk}{}", &json[..at], &json[at..]),
    }
}

const JUNK: &str = r#"[{}\[\]",:0-9a-z\\ .eE+-]{0,6}"#;

/// Frames written by hand: known types with known and unknown fields of every JSON shape.
fn hand_written_frame() -> impl Strategy<Value = String> {
    let name = "(type|shop|token|conversation_id|last_seq|identity|session_id|activity_only|locale|client_id|text\
                |prompt|batch_id|events|typing|user_id|name|email|user_hash|identity_token|score|comment|to|note|status|agent|x)";
    let value = r#"("[a-z0-9_ -]{0,8}"|-?[0-9]{1,20}(\.[0-9]{1,3})?(e[0-9])?|true|false|null|\[\]|\{\}|\{"agent":"a"\}|"supervisor")"#;
    let kind = "(hello|send|activity|typing|identify|rate|leave_message|email_transcript|ping|open|leave|note|close\
                |claim|transfer|set_status|unknown)";
    proptest::string::string_regex(&format!(r#"\{{"type":"{kind}"(,"{name}":{value}){{0,5}}\}}"#))
        .unwrap_or_else(|e| panic!("the frame pattern is not a regex: {e}"))
}

proptest! {
    #[test]
    fn visitor_frames_the_relay_accepts_read_back_the_same(
        seed in seed(), at in any::<Index>(), junk in JUNK, how in any::<u8>(), written in hand_written_frame(),
    ) {
        if let Ok(frame) = visitor_frame(&mut Unstructured::new(&seed)) {
            let json = serde_json::to_string(&frame).unwrap_or_default();
            check_visitor_frame_text(&damaged(json, at, &junk, how));
        }
        check_visitor_frame_text(&written);
    }

    #[test]
    fn agent_frames_the_relay_accepts_read_back_the_same(
        seed in seed(), at in any::<Index>(), junk in JUNK, how in any::<u8>(), written in hand_written_frame(),
    ) {
        if let Ok(frame) = agent_frame(&mut Unstructured::new(&seed)) {
            let json = serde_json::to_string(&frame).unwrap_or_default();
            check_agent_frame_text(&damaged(json, at, &junk, how));
        }
        check_agent_frame_text(&written);
    }

    #[test]
    fn every_frame_reads_back_as_written(seed in seed()) {
        check_frames_round_trip(&mut Unstructured::new(&seed));
    }

    #[test]
    fn stored_messages_are_normalised_and_hold_no_card_number(text in any::<String>()) {
        check_message_text(&text);
    }

    /// Names mixing letters, spaces and the characters that hide or reorder text.
    #[test]
    fn shown_names_are_one_visible_line(
        name in "[a-zA-Z \t\n\u{00A0}\u{0627}-\u{0645}\u{200B}-\u{200F}\u{202A}-\u{202E}\u{2066}-\u{2069}\u{2800}\u{FEFF}]{0,40}",
        any_text in any::<String>(),
    ) {
        check_name(&name);
        check_name(&any_text);
    }
}

/// A card number that passes the Luhn check, 13 to 19 digits.
fn luhn_valid() -> impl Strategy<Value = String> {
    "[0-9]{12,18}".prop_map(|body| {
        // The check digit makes the sum, with it in the rightmost place, a multiple of 10.
        let sum: u32 = body
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
                d / 10 + d % 10
            })
            .sum();
        format!("{body}{}", (10 - sum % 10) % 10)
    })
}

/// Digits cut into groups at random places, joined by a space or a dash.
fn grouped(digits: String, cuts: Vec<Index>, dash: bool) -> String {
    let mut at: Vec<usize> = cuts.iter().map(|c| c.index(digits.len())).filter(|&i| i > 0).collect();
    at.sort_unstable();
    at.dedup();
    let mut out = String::new();
    let mut last = 0;
    for cut in at {
        out.push_str(&digits[last..cut]);
        out.push(if dash { '-' } else { ' ' });
        last = cut;
    }
    out.push_str(&digits[last..]);
    out
}

/// Texts around card numbers: digit groups before and after one (an order number, an expiry
/// date, a second card), other separators, masks typed by hand, letters, multi-byte characters.
fn card_text() -> impl Strategy<Value = String> {
    let card = (luhn_valid(), prop::collection::vec(any::<Index>(), 0..5), any::<bool>())
        .prop_map(|(digits, cuts, dash)| grouped(digits, cuts, dash));
    let noise = "[0-9]{1,6}|[ -]|[*.xé€\n]|  ";
    (prop::collection::vec(noise, 0..6), prop::collection::vec(card, 0..3), prop::collection::vec(noise, 0..6))
        .prop_map(|(before, cards, after)| {
            let cards = cards.join(" ");
            format!("{}{}{}", before.concat(), cards, after.concat())
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn card_numbers_are_masked_to_their_last_four_digits_and_nothing_else(
        text in prop_oneof![card_text(), "[0-9 *-]{0,40}", any::<String>()],
    ) {
        check_card_masking(&text);
    }
}

#[test]
fn numbers_in_a_shops_event_data_come_back_bit_for_bit() {
    // Found by the fuzz targets: without serde_json's `float_roundtrip` these read back one bit
    // off once the relay had written them (as it does when it stores an activity).
    for number in ["2.564487757951173e-8", "111111211111111111111111111111111111115"] {
        check_visitor_frame_text(&format!(
            r#"{{"type":"activity","batch_id":"b1","events":[{{"at_ms":3,"body":{{"kind":"custom","name":"n","data":{{"n":[{number}]}}}}}}]}}"#
        ));
    }
}
