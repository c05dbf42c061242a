//! Webhooks with the real relay and a receiver started by the test on loopback: every event of a
//! conversation and the cart activity arrive, in order, signed with the shop's secret, also when
//! the receiver was down for a while (the relay retried, nothing was lost).

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use checkout_chat_protocol::ServerFrame;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use support::{Client, Relay};

const SECRET: &str = "webhook-secret-for-tests";

#[derive(Default)]
struct Receiver {
    down: AtomicBool,
    /// (signature header, event id header, body) of every POST answered 200.
    accepted: Mutex<Vec<(String, String, String)>>,
    refused: Mutex<u32>,
}

async fn receive(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: String) -> StatusCode {
    if receiver.down.load(Ordering::SeqCst) {
        *receiver.refused.lock().unwrap() += 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    receiver.accepted.lock().unwrap().push((header("checkout-chat-signature"), header("checkout-chat-event-id"), body));
    StatusCode::OK
}

/// What a receiver does to trust a POST: recompute the signature over "<t>.<body>".
fn signature_is_valid(header: &str, body: &str) -> bool {
    let Some((t, v1)) = header.split_once(',') else { return false };
    let (Some(t), Some(v1)) = (t.strip_prefix("t="), v1.strip_prefix("v1=")) else { return false };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    hex::decode(v1).is_ok_and(|bytes| mac.verify_slice(&bytes).is_ok())
}

/// A receiver on loopback, down (answering 503) until the test brings it up, and a relay whose
/// demo shop posts to it; `settings` are more top-level lines of the relay's config.
async fn down_receiver_and_relay(settings: &str) -> (Arc<Receiver>, Relay, tempfile::TempDir) {
    let receiver = Arc::new(Receiver::default());
    receiver.down.store(true, Ordering::SeqCst);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("relay.toml");
    let hook = format!("[[shops.webhooks]]\nurl = \"http://127.0.0.1:{port}/hook\"\nsecret = \"{SECRET}\"\n");
    std::fs::write(&config, format!("{settings}[[shops]]\nid = \"demo\"\nname = \"Demo\"\n{hook}")).unwrap();
    let relay = Relay::start_with(&dir.path().join("relay.db"), &["--config", config.to_str().unwrap()]);
    (receiver, relay, dir)
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_every_event_once_in_order_and_signed() {
    let (receiver, relay, _dir) = down_receiver_and_relay("").await;

    let mut shopper = Client::visitor(relay.addr).await;
    shopper.send_json(json!({"type": "hello", "shop": "demo", "session_id": "s1"})).await;
    assert!(matches!(shopper.recv().await, ServerFrame::Welcome { .. }));
    let (conversation, _) = shopper.acked(json!({"type": "send", "client_id": "m1", "text": "Is it in stock?"})).await;
    shopper
        .send_json(json!({"type": "activity", "batch_id": "b1", "events": [
            {"at_ms": 1, "body": {"kind": "cart", "currency": "EUR", "total": 2400, "items": [{"sku": "s", "name": "Beans", "qty": 1, "price": 2400}]}},
            {"at_ms": 2, "body": {"kind": "page_view", "path": "/", "title": "", "referrer": ""}}]}))
        .await;
    let mut agent = relay.demo_agent().await;
    agent.acked(json!({"type": "send", "conversation_id": conversation, "client_id": "a1", "text": "Yes!"})).await;
    agent.send_json(json!({"type": "close", "conversation_id": conversation})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    shopper.acked(json!({"type": "rate", "client_id": "r1", "score": 5})).await;

    // The receiver refused while it was down; then it comes back and gets everything.
    support::eventually_some(Duration::from_secs(10), || (*receiver.refused.lock().unwrap() > 0).then_some(())).await;
    receiver.down.store(false, Ordering::SeqCst);
    let expected = [
        "conversation.created",
        "message.created",
        "conversation.assigned",
        "message.created",
        "conversation.closed",
        "rating.created",
        "cart.updated",
    ];
    let accepted = support::eventually_some(Duration::from_secs(30), || {
        let accepted = receiver.accepted.lock().unwrap().clone();
        (accepted.len() >= expected.len()).then_some(accepted)
    })
    .await;
    let mut ids: Vec<&str> = accepted.iter().map(|(_, id, _)| id.as_str()).collect();
    let types: Vec<String> = accepted
        .iter()
        .map(|(_, _, body)| serde_json::from_str::<Value>(body).unwrap()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, expected, "in order, the page view not sent");
    ids.dedup();
    assert_eq!(ids.len(), expected.len(), "each once: {ids:?}");
    for (signature, _, body) in &accepted {
        assert!(signature_is_valid(signature, body), "bad signature {signature} on {body}");
    }
    let rating: Value = serde_json::from_str(&accepted[5].2).unwrap();
    assert_eq!(rating["data"]["score"], 5);
    assert_eq!(rating["data"]["conversation_id"], conversation.as_str());
    let cart: Value = serde_json::from_str(&accepted[6].2).unwrap();
    assert_eq!(cart["data"]["total"], 2400);
    assert_eq!(cart["shop"], "demo");
    // Nothing more comes once all is delivered.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.accepted.lock().unwrap().len(), expected.len());
}

/// Found live: one cart frame fanned out into 50 POSTs, so a flood of cart changes held a real
/// `order.completed` up behind it. Orders have their own lane, and a page's carts are one POST
/// per shopper.
#[tokio::test]
async fn an_order_is_not_held_up_behind_a_flood_of_cart_changes() {
    let (receiver, relay, _dir) = down_receiver_and_relay("activity_events_per_minute_per_ip = 1000000\n").await;

    // Ten shoppers change their carts 250 times each while the receiver is down...
    let cart = |n: usize| json!({"at_ms": 1, "body": {"kind": "cart", "currency": "EUR", "total": n, "items": []}});
    for shopper_n in 0..10 {
        let mut shopper = Client::visitor(relay.addr).await;
        shopper.send_json(json!({"type": "hello", "shop": "demo", "session_id": format!("s{shopper_n}")})).await;
        assert!(matches!(shopper.recv().await, ServerFrame::Welcome { .. }));
        for batch in 0..5 {
            let events: Vec<Value> = (0..50).map(|k| cart(batch * 50 + k)).collect();
            shopper.send_json(json!({"type": "activity", "batch_id": format!("b{batch}"), "events": events})).await;
            assert!(matches!(shopper.recv().await, ServerFrame::ActivityAck { .. }));
        }
    }
    // ...then one of them orders.
    let mut buyer = Client::visitor(relay.addr).await;
    buyer.send_json(json!({"type": "hello", "shop": "demo", "session_id": "buyer"})).await;
    assert!(matches!(buyer.recv().await, ServerFrame::Welcome { .. }));
    let order =
        json!({"at_ms": 2, "body": {"kind": "order_completed", "order_id": "o-1", "total": 2400, "currency": "EUR"}});
    buyer.send_json(json!({"type": "activity", "batch_id": "order", "events": [order]})).await;
    assert!(matches!(buyer.recv().await, ServerFrame::ActivityAck { .. }));

    support::eventually_some(Duration::from_secs(10), || (*receiver.refused.lock().unwrap() > 0).then_some(())).await;
    receiver.down.store(false, Ordering::SeqCst);
    let types = |accepted: &[(String, String, String)]| -> Vec<String> {
        accepted
            .iter()
            .map(|(_, _, body)| serde_json::from_str::<Value>(body).unwrap()["type"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = support::eventually_some(Duration::from_secs(30), || {
        let accepted = receiver.accepted.lock().unwrap().clone();
        (!accepted.is_empty()).then(|| types(&accepted)[0].clone())
    })
    .await;
    assert_eq!(first, "order.completed", "the order comes before 2,500 cart changes");
    // And the carts arrive coalesced: each shopper's latest per page of 500, not 2,500 POSTs.
    let all = support::eventually_some(Duration::from_secs(30), || {
        let accepted = receiver.accepted.lock().unwrap().clone();
        let told = types(&accepted);
        (told.iter().filter(|t| *t == "cart.updated").count() >= 10).then_some(told)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let carts = types(&receiver.accepted.lock().unwrap()).iter().filter(|t| *t == "cart.updated").count();
    assert!(carts <= 60, "{carts} cart POSTs for 2,500 changes ({} in all)", all.len());
}

#[tokio::test]
async fn a_chat_the_shopper_reopens_tells_the_receiver_so() {
    let (receiver, relay, _dir) = down_receiver_and_relay("").await;
    receiver.down.store(false, Ordering::SeqCst);
    let mut shopper = Client::visitor(relay.addr).await;
    shopper.send_json(json!({"type": "hello", "shop": "demo", "session_id": "s1"})).await;
    assert!(matches!(shopper.recv().await, ServerFrame::Welcome { .. }));
    let (conversation, _) = shopper.acked(json!({"type": "send", "client_id": "m1", "text": "Is it in stock?"})).await;
    let mut agent = relay.demo_agent().await;
    agent.send_json(json!({"type": "close", "conversation_id": conversation})).await;
    shopper
        .recv_until(|f| matches!(f, ServerFrame::Event { event } if matches!(event.body, checkout_chat_protocol::EventBody::Closed { .. })))
        .await;
    let (again, _) = shopper.acked(json!({"type": "send", "client_id": "m2", "text": "One more thing"})).await;
    assert_eq!(again, conversation, "the same conversation, reopened");
    let expected = [
        "conversation.created",
        "message.created",
        "conversation.assigned",
        "conversation.closed",
        "conversation.reopened",
        "conversation.assigned",
        "message.created",
    ];
    let accepted = support::eventually_some(Duration::from_secs(30), || {
        let accepted = receiver.accepted.lock().unwrap().clone();
        (accepted.len() >= expected.len()).then_some(accepted)
    })
    .await;
    let types: Vec<String> = accepted
        .iter()
        .map(|(_, _, body)| serde_json::from_str::<Value>(body).unwrap()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, expected);
    let reopened: Value = serde_json::from_str(&accepted[4].2).unwrap();
    assert_eq!(reopened["data"]["conversation_id"], conversation.as_str());
    assert_eq!(reopened["data"]["author"]["role"], "visitor");
}
