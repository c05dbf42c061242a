//! Every kind of visitor, agent and server frame, generated from the input, reads back as written.

#![no_main]

use arbitrary::Unstructured;
use checkout_chat_protocol::fuzzing::{
    Integers, agent_frame, check_agent_frame_round_trip, check_server_frame_round_trip, check_visitor_frame_round_trip,
    server_frame, visitor_frame,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    if let Ok(frame) = visitor_frame(&mut u) {
        check_visitor_frame_round_trip(&frame);
    }
    if let Ok(frame) = agent_frame(&mut u) {
        check_agent_frame_round_trip(&frame);
    }
    if let Ok(frame) = server_frame(&mut u, Integers::Any) {
        check_server_frame_round_trip(&frame);
    }
});
