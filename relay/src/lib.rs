//! The checkout-chat relay: an axum + tokio server that stores every conversation event in
//! SQLite before acknowledging it, and forwards it between shoppers' widgets and agents' consoles.
//!
//! Layout: [`config`] (where settings come from, including the shops' proactive rules), [`http`] (routes, static files, login),
//! [`ws`] (one task per WebSocket), [`chat`] (store-then-forward), [`inbox`] (the agents' inbox, a page at a time), [`hub`] (in-memory fan-out),
//! [`storage`] (the trait and its SQLite implementation), [`auth`] (passwords, sessions),
//! [`identity`] (what a shop's signature vouches for about a shopper), [`routing`] (the queue), [`webhooks`] (signed POSTs to the shop's systems), [`activity`] (what shoppers do on the
//! shop's pages), [`report`] (what prompts sell), [`mail`] (transcripts from the outbox), [`server`]
//! (start-up and graceful shutdown), [`accept`] (connections' places and timeouts before HTTP),
//! [`limits`] (per-address and descriptor limits), [`quotas`] (what anonymous clients may make it
//! store).

pub mod accept;
pub mod activity;
pub mod auth;
pub mod chat;
pub mod clock;
pub mod config;
pub mod departures;
pub mod http;
pub mod hub;
pub mod identity;
pub mod ids;
pub mod inbox;
pub mod installs;
pub mod limits;
pub mod mail;
pub mod quotas;
pub mod report;
pub mod routing;
pub mod server;
pub mod shops;
pub mod state;
pub mod storage;
pub mod unstored;
pub mod webhooks;
pub mod ws;
