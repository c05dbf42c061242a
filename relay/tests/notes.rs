//! Internal notes with the real relay: agents see them live and on replay; the shopper never
//! does (live, on replay, or in the inbox preview agents see).

mod support;

use checkout_chat_protocol::{EventBody, ServerFrame};
use serde_json::json;
use support::{Client, Relay};

/// Event bodies until `synced` for the conversation (a replay).
async fn replay(client: &mut Client) -> (Vec<EventBody>, u64) {
    let mut bodies = Vec::new();
    loop {
        match client.recv().await {
            ServerFrame::Event { event } => bodies.push(event.body),
            ServerFrame::Synced { last_seq, .. } => return (bodies, last_seq),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_note_is_for_agents_only() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("relay.db"));
    let mut shopper = Client::visitor(relay.addr).await;
    shopper.send_json(json!({"type": "hello", "shop": "demo"})).await;
    let ServerFrame::Welcome { token, .. } = shopper.recv().await else { panic!("welcome") };
    let (conversation, _) = shopper.acked(json!({"type": "send", "client_id": "m1", "text": "Is it in stock?"})).await;

    let mut anna = relay.demo_agent().await;
    anna.send_json(json!({"type": "open", "conversation_id": conversation})).await;
    replay(&mut anna).await;
    let note =
        json!({"type": "note", "conversation_id": conversation, "client_id": "n1", "text": "VIP: ordered 12 times"});
    let (_, note_seq) = anna.acked(note.clone()).await;
    // Sent again (a lost ack): stored once.
    assert_eq!(anna.acked(note).await.1, note_seq);
    // The inbox preview is still the shopper's words, not the note.
    let fresh = relay.demo_agent_with_welcome().await;
    let row = fresh.iter().find(|c| c.id.as_str() == conversation).expect("in the inbox");
    assert_eq!(row.last_message.as_deref(), Some("Is it in stock?"));

    anna.acked(json!({"type": "send", "conversation_id": conversation, "client_id": "a1", "text": "Yes, 3 left."}))
        .await;
    // Live, the shopper gets the join and the reply, never the note.
    let mut live = Vec::new();
    while !live.iter().any(|b| matches!(b, EventBody::Message { text } if text == "Yes, 3 left.")) {
        if let ServerFrame::Event { event } = shopper.recv().await {
            live.push(event.body);
        }
    }
    assert!(!live.iter().any(EventBody::is_internal), "{live:?}");

    // On replay too; the position still moves past it.
    let mut again = Client::visitor(relay.addr).await;
    again
        .send_json(json!({"type": "hello", "shop": "demo", "token": token.to_string(), "conversation_id": conversation, "last_seq": 0}))
        .await;
    let (bodies, last_seq) = replay(&mut again).await;
    assert!(!bodies.iter().any(EventBody::is_internal), "{bodies:?}");
    assert_eq!(bodies.len(), 3, "the question, the join and the reply: {bodies:?}");
    assert_eq!(last_seq, 4);

    // A later console sees it in the history.
    let mut sam = relay.demo_agent().await;
    sam.send_json(json!({"type": "open", "conversation_id": conversation})).await;
    let (bodies, _) = replay(&mut sam).await;
    assert!(bodies.contains(&EventBody::Note { text: "VIP: ordered 12 times".into() }), "{bodies:?}");
}
