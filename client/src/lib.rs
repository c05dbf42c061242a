//! The browser side of the checkout-chat protocol, shared by the shopper's widget and the agents'
//! console: [`socket`] keeps one WebSocket to the relay alive (backoff with jitter, liveness
//! pings, resend of unacknowledged messages), [`wire`] reads and writes the visitor's frames
//! without serde (for the widget's size budget), [`util`] makes client ids and readable times.

#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod socket;
pub mod util;
pub mod wire;
