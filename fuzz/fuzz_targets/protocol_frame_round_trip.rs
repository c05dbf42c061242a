//! Every kind of visitor, agent and server frame, generated from the input, reads back as written.

#![no_main]

use arbitrary::Unstructured;
use checkout_chat_protocol::fuzzing::check_frames_round_trip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check_frames_round_trip(&mut Unstructured::new(data));
});
