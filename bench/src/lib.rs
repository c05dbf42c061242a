//! The relay benchmark: a load generator that plays shoppers and agents against our relay and
//! against a socket.io reference relay, in the same run and with the same client code, and
//! measures what each relay costs per connection, per message and per reconnect.
//!
//! Layers, bottom up: [`engineio`] and [`wire`] (how each relay spells a frame; pure),
//! [`conn`] (one WebSocket), [`session`] (the simulated people), [`relays`] (the processes
//! under test), [`scenario`] (what is measured), [`report`] and [`plots`] (what is written).

pub mod conn;
pub mod disk;
pub mod engineio;
pub mod ledger;
pub mod plans;
pub mod plots;
pub mod procfs;
pub mod relays;
pub mod report;
pub mod scenario;
pub mod script;
pub mod session;
pub mod stats;
pub mod wire;
