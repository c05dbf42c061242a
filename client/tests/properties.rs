//! The short run of the widget reader's fuzz targets (`fuzz/`, see docs/testing.md): the same
//! checks from `checkout_chat_client::fuzzing`, fed by proptest, natively on stable Rust.

#![cfg(not(target_arch = "wasm32"))]

use arbitrary::Unstructured;
use checkout_chat_client::fuzzing::{check_reads_what_the_relay_writes, check_visitor_decoding};
use checkout_chat_protocol::fuzzing::{Integers, server_frame};
use proptest::prelude::*;
use proptest::sample::Index;

/// Frames written by hand: the types a visitor gets, their fields with values of every JSON shape
/// (numbers as the browser sees them: `1.0`, `1e2`, `-0`, past 2^53), nested authors and events.
fn hand_written_frame() -> impl Strategy<Value = String> {
    let name = "(type|token|visitor_id|shop_name|agents_online|conversation_id|rules|batch_id|event|last_seq|client_id\
                |seq|code|message|author|typing|position|estimated_wait_seconds|x)";
    let number = r#"-?(0|1|9007199254740991|9007199254740993|4294967296|255|256)(\.0|\.5)?(e[0-9])?"#;
    let author = r#"\{"role":"(visitor|agent|system|x)"(,"id":"a1")?(,"name":"A")?\}"#;
    let body = r#"\{"kind":"(message|joined|closed|rated|left_message|transcript_requested|prompted|note)"(,"(text|score|comment|email|rule_id|message)":("t"|5|null))*\}"#;
    let event = format!(
        r#"\{{"conversation_id":"c"(,"seq":{number})?(,"at_ms":{number})?(,"author":{author})?(,"body":{body})?\}}"#
    );
    let value = format!(r#"("[a-z0-9_]{{0,6}}"|"bad_frame"|{number}|true|false|null|\[\]|\{{\}}|{author}|{event})"#);
    let kind = "(welcome|activity_ack|event|synced|ack|error|typing|presence|queue|pong|team|unknown)";
    proptest::string::string_regex(&format!(r#"\{{"type":"{kind}"(,"{name}":{value}){{0,6}}\}}"#))
        .unwrap_or_else(|e| panic!("the frame pattern is not a regex: {e}"))
}

proptest! {
    #[test]
    fn the_widget_reads_exactly_what_the_relay_writes(seed in prop::collection::vec(any::<u8>(), 0..1024)) {
        if let Ok(frame) = server_frame(&mut Unstructured::new(&seed), Integers::JsSafe) {
            check_reads_what_the_relay_writes(&frame);
        }
    }

    #[test]
    fn what_the_widget_reads_does_not_depend_on_how_it_was_spelled(
        seed in prop::collection::vec(any::<u8>(), 0..512),
        at in any::<Index>(),
        junk in r#"[{}\[\]",:0-9a-z\\ .eE+-]{0,6}"#,
        written in hand_written_frame(),
    ) {
        check_visitor_decoding(&written);
        if let Ok(frame) = server_frame(&mut Unstructured::new(&seed), Integers::Any) {
            let json = frame.to_json();
            let mut at = at.index(json.len() + 1);
            while !json.is_char_boundary(at) {
                at -= 1;
            }
            check_visitor_decoding(&json);
            check_visitor_decoding(&json[..at]);
            check_visitor_decoding(&format!("{}{junk}{}", &json[..at], &json[at..]));
        }
    }
}
