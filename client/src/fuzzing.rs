//! Property checks of the widget's frame reader ([`crate::wire`]), shared by the fuzz targets in
//! `fuzz/` and the proptests in `tests/properties.rs` (see the protocol crate's `fuzzing` module
//! for the pattern). They run natively: the reader is the widget's own, reading serde_json's
//! values instead of the browser's.
//!
//! Where serde_json's parse and the browser's `JSON.parse` differ, this stand-in is stricter: it
//! refuses texts with lone UTF-16 surrogates (`"\ud800"`) and numbers beyond an f64's range, which
//! the browser reads (as U+FFFD and infinity). Everything else reads alike.
//!
//! Behind the `fuzzing` feature: no production build enables it.

use checkout_chat_protocol::{EventBody, ServerFrame};

use crate::wire::{JsonValue, decode_value};

impl JsonValue for serde_json::Value {
    fn member(&self, name: &str) -> Option<serde_json::Value> {
        self.get(name).filter(|value| !value.is_null()).cloned()
    }

    fn string(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }

    fn float(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
}

/// The widget's reader ([`crate::wire::decode_for_visitor`]) on serde_json's parse of `text`.
pub fn decode_for_visitor_natively(text: &str) -> Option<ServerFrame> {
    decode_value(&serde_json::from_str::<serde_json::Value>(text).ok()?)
}

/// The frames a relay sends a visitor's socket: the reader knows all of these and no other.
pub fn is_for_visitors(frame: &ServerFrame) -> bool {
    match frame {
        ServerFrame::Event { event } => !matches!(event.body, EventBody::Note { .. } | EventBody::Handover { .. }),
        ServerFrame::VisitorActivity { .. }
        | ServerFrame::AgentWelcome { .. }
        | ServerFrame::Inbox { .. }
        | ServerFrame::InboxPage { .. }
        | ServerFrame::Team { .. }
        | ServerFrame::ConversationUpdated { .. } => false,
        _ => true,
    }
}

/// Whatever text the reader accepts gives a frame for visitors that reads back the same from what
/// the relay writes of it: nothing the widget took from a frame depends on how it was spelled.
pub fn check_visitor_decoding(text: &str) {
    let Some(frame) = decode_for_visitor_natively(text) else { return };
    assert!(is_for_visitors(&frame), "the widget read a frame not meant for it from {text:?}: {frame:?}");
    let json = frame.to_json();
    assert_eq!(decode_for_visitor_natively(&json).as_ref(), Some(&frame), "read {text:?}, but not its rewrite {json}");
}

/// The frame as the app reads it: everything but the shop's look, which is the watcher's.
pub fn as_the_app_reads(frame: &ServerFrame) -> ServerFrame {
    let mut frame = frame.clone();
    if let ServerFrame::Welcome { shop, .. } | ServerFrame::Shop(shop) = &mut frame {
        shop.look = None;
    }
    frame
}

/// The reader reads exactly what the relay (serde) writes, for every frame meant for visitors
/// whose numbers a JavaScript number holds (the relay's never come near 2^53).
pub fn check_reads_what_the_relay_writes(frame: &ServerFrame) {
    if !is_for_visitors(frame) {
        return;
    }
    let json = frame.to_json();
    assert_eq!(decode_for_visitor_natively(&json), Some(as_the_app_reads(frame)), "the widget misread {json}");
}
