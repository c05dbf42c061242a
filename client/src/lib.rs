//! The browser side of the checkout-chat protocol, shared by the shopper's widget and the agents'
//! console: [`socket`] keeps one WebSocket to the relay alive (backoff with jitter, liveness
//! pings, resend of unacknowledged messages), [`util`] makes client ids and readable times.

pub mod socket;
pub mod util;
