//! Rules generated from the input reach the widget as they were (or, nested too deep, are
//! refused as such).

#![no_main]

use arbitrary::Unstructured;
use checkout_chat_rules::fuzzing::{check_wire_round_trip, rules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rules) = rules(&mut Unstructured::new(data)) {
        check_wire_round_trip(&rules);
    }
});
