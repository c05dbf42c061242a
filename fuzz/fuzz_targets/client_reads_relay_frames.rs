//! The widget's serde-free reader reads exactly what the relay writes, for every frame meant for
//! visitors (generated from the input).

#![no_main]

use arbitrary::Unstructured;
use checkout_chat_client::fuzzing::check_reads_what_the_relay_writes;
use checkout_chat_protocol::fuzzing::{Integers, server_frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = server_frame(&mut Unstructured::new(data), Integers::JsSafe) {
        check_reads_what_the_relay_writes(&frame);
    }
});
