//! The visitor's side of the wire without serde: frames are parsed with the browser's own
//! `JSON.parse` and read field by field, and written with `JSON.stringify`.
//!
//! Why by hand: serde's generated (de)serialisers for these enums, with serde_json, cost the
//! widget about 30 KB of its 120 KB gzipped budget. The protocol's serde types stay the one
//! definition; `tests/wire.rs` checks in a real browser that this codec reads exactly what serde
//! writes and writes exactly what serde reads. The console, which has no such budget, uses serde.
//!
//! The reader works on any [`JsonValue`]: the browser's in the widget, serde_json's in the native
//! fuzz targets and proptests (`fuzzing` feature), so what is fuzzed is this very decoder.

use checkout_chat_protocol::settings::ShopFace;
use checkout_chat_protocol::{
    AgentProfile, Author, CloseReason, ConversationId, ErrorCode, Event, EventBody, Identity, ServerFrame,
    VisitorFrame, VisitorToken,
};
use js_sys::{JSON, Object, Reflect};
use wasm_bindgen::JsValue;

/// Reads a frame meant for a visitor; `None` for anything else (unknown or malformed frames are
/// skipped by the caller, so a newer relay does not break an older widget).
pub fn decode_for_visitor(text: &str) -> Option<ServerFrame> {
    decode_value(&JSON::parse(text).ok()?)
}

/// What the reader needs of a parsed JSON value.
pub(crate) trait JsonValue: Sized {
    /// The member `name` of an object; `None` when it is absent or null, or this is no object.
    fn member(&self, name: &str) -> Option<Self>;
    fn string(&self) -> Option<String>;
    fn float(&self) -> Option<f64>;
    fn boolean(&self) -> Option<bool>;
}

impl JsonValue for JsValue {
    fn member(&self, name: &str) -> Option<JsValue> {
        Reflect::get(self, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined() && !v.is_null())
    }

    fn string(&self) -> Option<String> {
        self.as_string()
    }

    fn float(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
}

pub(crate) fn decode_value<V: JsonValue>(frame: &V) -> Option<ServerFrame> {
    let conversation = || id::<ConversationId>(frame, "conversation_id");
    Some(match string(frame, "type")?.as_str() {
        "welcome" => ServerFrame::Welcome {
            token: VisitorToken::new(string(frame, "token")?).ok()?,
            visitor_id: id(frame, "visitor_id")?,
            shop: shop_face(frame)?,
            agents_online: number(frame, "agents_online").unwrap_or(0),
            mail: frame.member("mail").and_then(|m| m.boolean()).unwrap_or(false),
            conversation_id: conversation(),
        },
        "shop" => ServerFrame::Shop(shop_face(frame)?),
        "activity_ack" => ServerFrame::ActivityAck { batch_id: id(frame, "batch_id")? },
        "event" => ServerFrame::Event { event: event(&frame.member("event")?)? },
        "synced" => ServerFrame::Synced { conversation_id: conversation()?, last_seq: number(frame, "last_seq")? },
        "ack" => ServerFrame::Ack {
            client_id: id(frame, "client_id")?,
            conversation_id: conversation()?,
            seq: number(frame, "seq")?,
        },
        "error" => ServerFrame::Error {
            code: ErrorCode::from_name(&string(frame, "code")?)?,
            message: string(frame, "message").unwrap_or_default(),
            client_id: id(frame, "client_id"),
        },
        "typing" => ServerFrame::Typing {
            conversation_id: conversation()?,
            author: author(&frame.member("author")?)?,
            typing: frame.member("typing")?.boolean()?,
        },
        "presence" => ServerFrame::Presence { agents_online: number(frame, "agents_online")? },
        "queue" => ServerFrame::Queue {
            conversation_id: conversation()?,
            position: number(frame, "position")?,
            estimated_wait_seconds: number(frame, "estimated_wait_seconds"),
        },
        "pong" => ServerFrame::Pong,
        _ => return None,
    })
}

/// What the app shows of its shop. The look is the watcher's (it recolours the launcher), so the
/// app leaves it unread: bytes every shopper is spared.
fn shop_face<V: JsonValue>(frame: &V) -> Option<ShopFace> {
    Some(ShopFace {
        shop_name: string(frame, "shop_name")?,
        greeting: string(frame, "greeting"),
        reply_time: string(frame, "reply_time"),
        look: None,
        rules: string(frame, "rules"),
    })
}

fn event<V: JsonValue>(value: &V) -> Option<Event> {
    let body = value.member("body")?;
    let body = match string(&body, "kind")?.as_str() {
        "message" => EventBody::Message { text: string(&body, "text")? },
        "joined" => EventBody::Joined,
        "reopened" => EventBody::Reopened,
        // Any reason but "missed" reads as "shopper_left": the widget shows none of them, and
        // one literal fewer is bytes every shopper is spared.
        "closed" => EventBody::Closed {
            reason: string(&body, "reason")
                .map(|reason| if reason == "missed" { CloseReason::Missed } else { CloseReason::ShopperLeft }),
        },
        "rated" => EventBody::Rated { score: number(&body, "score")?, comment: string(&body, "comment") },
        "left_message" => EventBody::LeftMessage { email: string(&body, "email")?, text: string(&body, "text")? },
        "transcript_requested" => EventBody::TranscriptRequested { email: string(&body, "email")? },
        "prompted" => EventBody::Prompted { rule_id: string(&body, "rule_id")?, message: string(&body, "message")? },
        _ => return None,
    };
    Some(Event {
        conversation_id: id(value, "conversation_id")?,
        seq: number(value, "seq")?,
        at_ms: number(value, "at_ms")?,
        author: author(&value.member("author")?)?,
        client_id: id(value, "client_id"),
        body,
    })
}

fn author<V: JsonValue>(value: &V) -> Option<Author> {
    Some(match string(value, "role")?.as_str() {
        "visitor" => Author::Visitor,
        "agent" => Author::Agent(AgentProfile { id: id(value, "id")?, name: string(value, "name")? }),
        "system" => Author::System,
        _ => return None,
    })
}

fn string(value: &impl JsonValue, name: &str) -> Option<String> {
    value.member(name)?.string()
}

fn id<T: TryFrom<String>>(value: &impl JsonValue, name: &str) -> Option<T> {
    T::try_from(string(value, name)?).ok()
}

/// A whole number that fits `T` (JSON numbers arrive as f64; anything else is refused).
fn number<T: TryFrom<i64>>(value: &impl JsonValue, name: &str) -> Option<T> {
    let float = value.member(name)?.float()?;
    let safe = 9_007_199_254_740_991.0; // 2^53 - 1: beyond it an f64 is not an exact integer
    if float.fract() != 0.0 || float.abs() > safe {
        return None;
    }
    T::try_from(float as i64).ok()
}

/// Writes a visitor frame as serde would.
pub fn encode_visitor(frame: &VisitorFrame) -> String {
    let object = Object::new();
    let set = |name: &str, value: JsValue| {
        let _ = Reflect::set(&object, &JsValue::from_str(name), &value);
    };
    let text = |value: &str| JsValue::from_str(value);
    match frame {
        VisitorFrame::Hello(hello) => {
            set("type", text("hello"));
            set("shop", text(hello.shop.as_str()));
            if let Some(token) = &hello.token {
                set("token", text(token.as_str()));
            }
            if let Some(conversation) = &hello.conversation_id {
                set("conversation_id", text(conversation.as_str()));
            }
            set("last_seq", JsValue::from_f64(hello.last_seq as f64));
            if let Some(session) = &hello.session_id {
                set("session_id", text(session.as_str()));
            }
            if let Some(locale) = &hello.locale {
                set("locale", text(locale));
            }
            if let Some(identity) = &hello.identity {
                let inner = Object::new();
                put_identity(&inner, identity);
                set("identity", inner.into());
            }
        }
        VisitorFrame::Send { client_id, text: message, prompt } => {
            set("type", text("send"));
            set("client_id", text(client_id.as_str()));
            set("text", text(message));
            if let Some(rule) = prompt {
                set("prompt", text(rule));
            }
        }
        VisitorFrame::LeaveMessage { client_id, email, text: message, prompt } => {
            set("type", text("leave_message"));
            set("client_id", text(client_id.as_str()));
            set("email", text(email));
            set("text", text(message));
            if let Some(rule) = prompt {
                set("prompt", text(rule));
            }
        }
        // Built by host.js, which collects the activity; sent as it is.
        VisitorFrame::Activity { .. } => {}
        VisitorFrame::Typing { typing } => {
            set("type", text("typing"));
            set("typing", JsValue::from_bool(*typing));
        }
        VisitorFrame::Identify(identity) => {
            set("type", text("identify"));
            put_identity(&object, identity);
        }
        VisitorFrame::Rate { client_id, score, comment } => {
            set("type", text("rate"));
            set("client_id", text(client_id.as_str()));
            set("score", JsValue::from_f64(f64::from(*score)));
            if let Some(comment) = comment {
                set("comment", text(comment));
            }
        }
        VisitorFrame::EmailTranscript { client_id, email } => {
            set("type", text("email_transcript"));
            set("client_id", text(client_id.as_str()));
            set("email", text(email));
        }
        VisitorFrame::Ping => set("type", text("ping")),
    }
    JSON::stringify(&object).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// Writes the identity's fields that are set onto `object`, by their wire names (the same in
/// `hello`, nested, and in `identify`).
fn put_identity(object: &Object, identity: &Identity) {
    let Identity { user_id, name, email, user_hash, identity_token } = identity;
    let fields = [
        ("user_id", user_id),
        ("name", name),
        ("email", email),
        ("user_hash", user_hash),
        ("identity_token", identity_token),
    ];
    for (field, value) in fields {
        if let Some(value) = value {
            let _ = Reflect::set(object, &JsValue::from_str(field), &JsValue::from_str(value));
        }
    }
}
