//! The hand-written visitor codec against serde, in a real browser (it uses the browser's JSON):
//! every frame serde writes is read back identically, every frame the codec writes is what
//! serde reads. Run with `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p checkout-chat-client
//! --target wasm32-unknown-unknown` (scripts/test.sh does).

#![cfg(target_arch = "wasm32")]

use checkout_chat_client::wire::{decode_for_visitor, encode_visitor};
use checkout_chat_protocol::settings::{Look, Position, ShopFace};
use checkout_chat_protocol::{
    AgentId, AgentProfile, Author, ClientId, CloseReason, ConversationId, ConversationStatus, ConversationSummary,
    ErrorCode, Event, EventBody, Identity, ServerFrame, ShopId, VisitorFrame, VisitorHello, VisitorId, VisitorToken,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn cid() -> ConversationId {
    ConversationId::new("c0ffee").unwrap()
}

fn event(seq: u64, author: Author, body: EventBody, client_id: Option<&str>) -> ServerFrame {
    ServerFrame::Event {
        event: Event {
            conversation_id: cid(),
            seq,
            at_ms: 1_795_445_100_123,
            author,
            client_id: client_id.map(|c| ClientId::new(c).unwrap()),
            body,
        },
    }
}

#[wasm_bindgen_test]
fn reads_every_visitor_frame_exactly_as_serde_writes_it() {
    let anna = Author::Agent(AgentProfile { id: AgentId::new("a1").unwrap(), name: "Anna \"de\" Vries".into() });
    let frames = vec![
        ServerFrame::Welcome {
            token: VisitorToken::new("tok-123_x").unwrap(),
            visitor_id: VisitorId::new("v1").unwrap(),
            shop: ShopFace {
                shop_name: "Nordhavn Coffee".into(),
                greeting: Some("Hoi! <b>Vragen</b>?".into()),
                reply_time: Some("Binnen een uur".into()),
                look: None,
                rules: Some("rules\u{1f}in their own form".into()),
            },
            agents_online: 2,
            mail: true,
            conversation_id: Some(cid()),
        },
        ServerFrame::Welcome {
            token: VisitorToken::new("t").unwrap(),
            visitor_id: VisitorId::new("v").unwrap(),
            shop: ShopFace { shop_name: "متجر".into(), greeting: None, reply_time: None, look: None, rules: None },
            agents_online: 0,
            mail: false,
            conversation_id: None,
        },
        ServerFrame::Shop(ShopFace {
            shop_name: "Nordhavn".into(),
            greeting: Some("مرحبا".into()),
            reply_time: None,
            look: None,
            rules: Some("r".into()),
        }),
        ServerFrame::ActivityAck { batch_id: ClientId::new("b-1").unwrap() },
        event(1, Author::Visitor, EventBody::Message { text: "سلام <b>hi</b>\n😀".into() }, Some("m1")),
        event(2, anna.clone(), EventBody::Joined, None),
        event(3, anna.clone(), EventBody::Closed { reason: None }, None),
        event(3, Author::System, EventBody::Closed { reason: Some(CloseReason::Missed) }, None),
        event(3, Author::System, EventBody::Closed { reason: Some(CloseReason::ShopperLeft) }, None),
        event(4, Author::Visitor, EventBody::Rated { score: 5, comment: Some("great".into()) }, Some("r")),
        event(5, Author::Visitor, EventBody::Rated { score: 1, comment: None }, Some("r2")),
        event(6, Author::Visitor, EventBody::LeftMessage { email: "a@b.example".into(), text: "x".into() }, None),
        event(7, Author::System, EventBody::TranscriptRequested { email: "a@b.example".into() }, None),
        event(8, Author::Visitor, EventBody::Reopened, None),
        event(8, Author::System, EventBody::Prompted { rule_id: "pay".into(), message: "Help?".into() }, Some("p")),
        ServerFrame::Synced { conversation_id: cid(), last_seq: 9_007_199_254_740_991 },
        ServerFrame::Ack { client_id: ClientId::new("m1").unwrap(), conversation_id: cid(), seq: 1 },
        ServerFrame::Typing { conversation_id: cid(), author: anna, typing: true },
        ServerFrame::Presence { agents_online: 0 },
        ServerFrame::Queue { conversation_id: cid(), position: 3, estimated_wait_seconds: Some(120) },
        ServerFrame::Queue { conversation_id: cid(), position: 1, estimated_wait_seconds: None },
        ServerFrame::Pong,
    ];
    let mut errors: Vec<ServerFrame> = ErrorCode::ALL
        .into_iter()
        .map(|code| ServerFrame::Error {
            code,
            message: format!("{code:?}"),
            client_id: Some(ClientId::new("x").unwrap()),
        })
        .collect();
    errors.push(ServerFrame::error(ErrorCode::BadFrame, "no client id"));
    for frame in frames.into_iter().chain(errors) {
        let json = frame.to_json();
        assert_eq!(decode_for_visitor(&json), Some(frame), "{json}");
    }
    // The look is the watcher's: the app reads the rest of the frame and leaves it.
    let face = |look, rules| ShopFace { shop_name: "N".into(), greeting: None, reply_time: None, look, rules };
    let look = Look { accent: "#fde047".into(), on_accent: "#0f172a".into(), position: Position::Left };
    let json = ServerFrame::Shop(face(Some(look), Some("r".into()))).to_json();
    assert_eq!(decode_for_visitor(&json), Some(ServerFrame::Shop(face(None, Some("r".into())))), "{json}");
}

#[wasm_bindgen_test]
fn skips_what_is_not_for_visitors_or_not_valid() {
    let summary = ConversationSummary {
        id: cid(),
        visitor_name: "Visitor".into(),
        identity: Default::default(),
        contact_email: None,
        user_id: None,
        name: None,
        email: None,
        status: ConversationStatus::Waiting,
        assigned_agent: None,
        last_seq: 1,
        last_message: None,
        created_at_ms: 0,
        updated_at_ms: 0,
        waiting_since_ms: Some(0),
        unanswered: 1,
        cart_total: None,
        cart_currency: None,
        checkout_step: None,
        last_order_id: None,
        locale: None,
        device: None,
        shopper_left_at_ms: None,
    };
    let for_agents = ServerFrame::ConversationUpdated { conversation: summary }.to_json();
    for text in [
        for_agents.as_str(),
        "not json",
        "[]",
        r#"{"type":"ack","client_id":"bad id!","conversation_id":"c","seq":1}"#,
        r#"{"type":"synced","conversation_id":"c","last_seq":1.5}"#,
        r#"{"type":"synced","conversation_id":"c","last_seq":-1}"#,
        r#"{"type":"error","code":"from_the_future","message":"x"}"#,
        r#"{"type":"something_new"}"#,
    ] {
        assert_eq!(decode_for_visitor(text), None, "{text}");
    }
}

#[wasm_bindgen_test]
fn writes_every_visitor_frame_as_serde_reads_it() {
    let hello = |identity| {
        VisitorFrame::Hello(VisitorHello {
            shop: ShopId::new("demo").unwrap(),
            token: Some(VisitorToken::new("tok").unwrap()),
            conversation_id: Some(cid()),
            last_seq: 42,
            identity,
            session_id: Some(ClientId::new("s-1").unwrap()),
            activity_only: false,
            locale: Some("fa-IR".into()),
        })
    };
    let identity = Identity {
        user_id: Some("u-1".into()),
        name: Some("Sara \"S\" Ahmadi".into()),
        email: Some("sara@example.com".into()),
        user_hash: Some("ab12".into()),
        identity_token: None,
    };
    let by_token = Identity { identity_token: Some("eyJhbGciOiJIUzI1NiJ9.e30.c2ln".into()), ..Identity::default() };
    let frames = vec![
        hello(None),
        hello(Some(identity.clone())),
        VisitorFrame::Hello(VisitorHello {
            shop: ShopId::new("demo").unwrap(),
            token: None,
            conversation_id: None,
            last_seq: 0,
            identity: None,
            session_id: None,
            activity_only: false,
            locale: None,
        }),
        VisitorFrame::Send {
            client_id: ClientId::new("m1").unwrap(),
            text: "line\n\"quoted\" سلام".into(),
            prompt: None,
        },
        VisitorFrame::Send { client_id: ClientId::new("m2").unwrap(), text: "Yes".into(), prompt: Some("pay".into()) },
        VisitorFrame::Typing { typing: false },
        VisitorFrame::Identify(identity),
        VisitorFrame::Identify(Identity {
            user_id: Some("u".into()),
            user_hash: Some("h".into()),
            ..Identity::default()
        }),
        VisitorFrame::Identify(by_token.clone()),
        hello(Some(by_token)),
        VisitorFrame::Rate { client_id: ClientId::new("r").unwrap(), score: 4, comment: Some("ok".into()) },
        VisitorFrame::Rate { client_id: ClientId::new("r").unwrap(), score: 2, comment: None },
        VisitorFrame::LeaveMessage {
            client_id: ClientId::new("l").unwrap(),
            email: "a@b.example".into(),
            text: "t".into(),
            prompt: None,
        },
        VisitorFrame::LeaveMessage {
            client_id: ClientId::new("l2").unwrap(),
            email: "a@b.example".into(),
            text: "t".into(),
            prompt: Some("payment-help".into()),
        },
        VisitorFrame::EmailTranscript { client_id: ClientId::new("e").unwrap(), email: "a@b.example".into() },
        VisitorFrame::Ping,
    ];
    for frame in frames {
        let json = encode_visitor(&frame);
        assert_eq!(VisitorFrame::parse(&json).as_ref(), Ok(&frame), "{json}");
    }
}
