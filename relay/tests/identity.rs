//! Who the shopper is, as agents are told it, against the real relay: a field is "verified" only
//! when the shop's signature covers it. A `user_hash` covers the user id alone, so the name and
//! email beside it reach agents marked unverified; a signed identity token covers what it carries;
//! a token that is expired, unsigned or signed another way is believed in nothing. Names lose bidi
//! controls, and messages with nothing visible are refused.

mod support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use checkout_chat_protocol::{Claimed, ConversationSummary, ErrorCode, EventBody, IdentityStatus, ServerFrame};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use support::{Client, Relay};

const DEMO_SECRET: &str = "demo-identity-secret";

fn hmac(message: &str) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(DEMO_SECRET.as_bytes()).expect("any key length");
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn user_hash(user_id: &str) -> String {
    hex::encode(hmac(user_id))
}

/// An identity token as a shop's server makes one (docs/embedding.md), with `header` as given.
fn token_with_header(header: &Value, claims: &Value) -> String {
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(hmac(&input)))
}

fn token(claims: Value) -> String {
    token_with_header(&json!({"alg": "HS256", "typ": "JWT"}), &claims)
}

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// A shopper who says hello with `identity` and writes one message: their conversation's id.
async fn shopper_with(relay: &Relay, identity: Value, words: &str) -> (Client, String) {
    let mut client = Client::visitor(relay.addr).await;
    client.send_json(json!({"type": "hello", "shop": "demo", "identity": identity})).await;
    assert!(matches!(client.recv().await, ServerFrame::Welcome { .. }), "welcome");
    let (conversation, _) = client.acked(json!({"type": "send", "client_id": "m1", "text": words})).await;
    (client, conversation)
}

/// The conversation's row as a freshly connected agent's inbox shows it.
async fn inbox_row(relay: &Relay, conversation: &str) -> ConversationSummary {
    let rows = relay.demo_agent_with_welcome().await;
    rows.into_iter().find(|row| row.id.as_str() == conversation).expect("the conversation is in the inbox")
}

/// The next error frame (passing over the shopper's own events): its code, client id and message.
async fn next_error(client: &mut Client) -> (ErrorCode, Option<String>, String) {
    loop {
        if let ServerFrame::Error { code, client_id, message } = client.recv().await {
            return (code, client_id.map(|c| c.to_string()), message);
        }
    }
}

fn unverified(value: &str) -> Option<Box<Claimed>> {
    Some(Box::new(Claimed { value: value.into(), verified: false }))
}

fn verified(value: &str) -> Option<Box<Claimed>> {
    Some(Box::new(Claimed { value: value.into(), verified: true }))
}

#[tokio::test]
async fn unsigned_name_and_email_never_show_as_verified() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = Relay::start(&dir.path().join("chat.db"));

    // An older integration: the hash signs the user id; the name and email are the page's word
    // (a shopper with their own valid hash could have typed anybody's).
    let legacy = json!({"user_id": "cust-17", "name": "Sara Ahmadi", "email": "sara@example.com",
                        "user_hash": user_hash("cust-17")});
    let (_legacy, conversation) = shopper_with(&relay, legacy, "where is my order?").await;
    let row = inbox_row(&relay, &conversation).await;
    assert_eq!((row.identity, row.user_id.as_deref()), (IdentityStatus::Verified, Some("cust-17")));
    assert_eq!((row.name, row.email), (unverified("Sara Ahmadi"), unverified("sara@example.com")));

    // A signed token vouches for everything it carries.
    let claims = json!({"sub": "cust-18", "name": "Tom Bakker", "email": "tom@example.com", "exp": now_s() + 600});
    let (mut signed, conversation) = shopper_with(&relay, json!({"identity_token": token(claims)}), "hi").await;
    let row = inbox_row(&relay, &conversation).await;
    assert_eq!((row.identity, row.user_id.as_deref()), (IdentityStatus::Verified, Some("cust-18")));
    assert_eq!((row.name, row.email), (verified("Tom Bakker"), verified("tom@example.com")));
    assert_eq!(row.visitor_name, "Tom Bakker");

    // The same shopper's page later names him differently without signing the name: the new
    // name is shown, and it does not inherit the verified mark.
    let renamed = json!({"type": "identify", "user_id": "cust-18", "name": "Tom the Admin",
                         "user_hash": user_hash("cust-18")});
    signed.send_json(renamed).await;
    support::eventually(|| async { inbox_row(&relay, &conversation).await.name == unverified("Tom the Admin") }).await;
    assert_eq!(inbox_row(&relay, &conversation).await.email, None, "an email that was not given again is gone");

    // What a token leaves out, the page may add, unverified.
    let claims = json!({"user_id": "cust-19", "exp": now_s() + 600});
    let partly = json!({"identity_token": token(claims), "name": "Mallory", "email": "m@example.com"});
    let (_partly, conversation) = shopper_with(&relay, partly, "hello").await;
    let row = inbox_row(&relay, &conversation).await;
    assert_eq!(
        (row.user_id.as_deref(), row.name, row.email),
        (Some("cust-19"), unverified("Mallory"), unverified("m@example.com"))
    );
}

#[tokio::test]
async fn expired_unsigned_and_wrongly_signed_tokens_are_believed_in_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = Relay::start(&dir.path().join("chat.db"));
    let claims = |exp: u64| json!({"sub": "cust-17", "name": "Sara Ahmadi", "email": "sara@example.com", "exp": exp});
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims(now_s() + 600).to_string())
    );
    let forged_payload = {
        let good = token(claims(now_s() + 600));
        let parts: Vec<&str> = good.split('.').collect();
        let other = URL_SAFE_NO_PAD.encode(json!({"sub": "cust-1", "name": "CEO", "exp": now_s() + 600}).to_string());
        format!("{}.{other}.{}", parts[0], parts[2])
    };
    for (what, bad) in [
        ("expired an hour ago", token(claims(now_s() - 3600))),
        ("alg none", unsigned),
        ("another algorithm", token_with_header(&json!({"alg": "HS512"}), &claims(now_s() + 600))),
        ("a swapped payload", forged_payload),
        ("no exp", token(json!({"sub": "cust-17", "name": "Sara Ahmadi"}))),
        ("not a token", "hello.world".to_owned()),
    ] {
        let (_shopper, conversation) = shopper_with(&relay, json!({"identity_token": bad}), what).await;
        let row = inbox_row(&relay, &conversation).await;
        assert_eq!(row.identity, IdentityStatus::Unverified, "{what}");
        assert_eq!((row.user_id, row.name, row.email), (None, None, None), "{what}");
        assert!(row.visitor_name.starts_with("Visitor "), "{what}: {}", row.visitor_name);
    }

    // An `identify` frame with an over-long token is a bad frame, not a silent anonymity.
    let (mut shopper, _) = shopper_with(&relay, Value::Null, "hi").await;
    shopper.send_json(json!({"type": "identify", "identity_token": "a".repeat(5000)})).await;
    let (code, _, message) = next_error(&mut shopper).await;
    assert_eq!(code, ErrorCode::BadFrame);
    assert!(message.contains("identity_token"), "{message}");
}

#[tokio::test]
async fn a_verified_visitor_is_refused_when_a_token_names_another_user() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = Relay::start(&dir.path().join("chat.db"));
    let sara = json!({"identity_token": token(json!({"sub": "cust-17", "exp": now_s() + 600}))});
    let (mut shopper, _) = shopper_with(&relay, sara, "my order").await;
    // Sara's own expired token (a cached page) does not cost her the chat...
    let stale = token(json!({"sub": "cust-17", "exp": now_s() - 3600}));
    shopper.send_json(json!({"type": "identify", "identity_token": stale})).await;
    shopper.send_json(json!({"type": "ping"})).await;
    let frames = shopper.recv_until(|f| matches!(f, ServerFrame::Pong)).await;
    assert!(!frames.iter().any(|f| matches!(f, ServerFrame::Error { .. })), "{frames:?}");
    // ...but Tom's, on the same browser, starts afresh.
    let tom = token(json!({"sub": "cust-18", "exp": now_s() + 600}));
    shopper.send_json(json!({"type": "identify", "identity_token": tom})).await;
    assert_eq!(next_error(&mut shopper).await.0, ErrorCode::IdentityChanged);
    assert!(matches!(shopper.ending().await, support::Ending::Closed(Some(1008))));
}

#[tokio::test]
async fn names_lose_bidi_controls_and_invisible_messages_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = Relay::start(&dir.path().join("chat.db"));
    // An RLO made the console show "Anna" written backwards.
    let spoofed =
        json!({"user_id": "cust-20", "name": "\u{202E}annA\u{202C} \u{200B}", "user_hash": user_hash("cust-20")});
    let (mut shopper, conversation) = shopper_with(&relay, spoofed, "hi \u{202E}there").await;
    let row = inbox_row(&relay, &conversation).await;
    assert_eq!(row.visitor_name, "annA");
    assert_eq!(row.name, unverified("annA"));
    // A name of nothing visible is no name.
    let blank = json!({"type": "identify", "user_id": "cust-20", "name": "\u{2800}\u{200D}", "user_hash": user_hash("cust-20")});
    shopper.send_json(blank).await;
    support::eventually(|| async { inbox_row(&relay, &conversation).await.name.is_none() }).await;

    // Zero-width-only messages would be empty bubbles: refused, and never stored.
    for (id, text) in [("zw", "\u{200B}\u{200B}"), ("bom", "\u{FEFF}"), ("rlo", "\u{202E}"), ("braille", "\u{2800}")] {
        shopper.send_json(json!({"type": "send", "client_id": id, "text": text})).await;
        let (code, client_id, _) = next_error(&mut shopper).await;
        assert_eq!((code, client_id.as_deref()), (ErrorCode::InvalidText, Some(id)));
    }
    let mut agent = relay.demo_agent().await;
    agent.send_json(json!({"type": "open", "conversation_id": conversation})).await;
    let frames = agent.recv_until(|f| matches!(f, ServerFrame::Synced { .. })).await;
    let texts: Vec<String> = frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Event { event } => match &event.body {
                EventBody::Message { text } => Some(text.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    // The override inside the first message is gone too.
    assert_eq!(texts, ["hi there"]);
}
