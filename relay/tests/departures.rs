//! Shoppers who leave, against the real relay: agents see who is still there (a conversation's
//! summary says when its shopper's last connection went), and conversations whose shopper stays
//! gone close by themselves, as missed when the shopper's last words were never answered.

mod support;

use std::path::PathBuf;

use checkout_chat_protocol::{Author, CloseReason, ConversationStatus, ConversationSummary, EventBody, ServerFrame};
use serde_json::json;
use support::{Client, Relay};

/// A relay that closes conversations about a second after their shopper left.
fn relay_closing_quickly() -> (Relay, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("relay.toml");
    std::fs::write(&path, "auto_close_after_minutes = 0.02\n").unwrap();
    let relay = Relay::start_with(&dir.path().join("chat.db"), &["--config", path.to_str().unwrap()]);
    (relay, dir)
}

/// A shopper who says hello (with the token of an earlier visit, if any) and writes: their
/// socket, conversation and token.
async fn shopper_writes(relay: &Relay, token: Option<&str>, text: &str) -> (Client, String, String) {
    let mut shopper = Client::visitor(relay.addr).await;
    shopper.send_json(json!({"type": "hello", "shop": "demo", "token": token})).await;
    let ServerFrame::Welcome { token, .. } = shopper.recv().await else { panic!("expected the welcome") };
    let (conversation, _) =
        shopper.acked(json!({"type": "send", "client_id": format!("m{}", text.len()), "text": text})).await;
    (shopper, conversation, token.as_str().to_owned())
}

/// The next summary of `conversation` the agent is sent that satisfies `wanted`.
async fn row_until(agent: &mut Client, conversation: &str, wanted: impl Fn(&ConversationSummary) -> bool) {
    agent
        .recv_until(|frame| {
            matches!(frame, ServerFrame::ConversationUpdated { conversation: row }
                if row.id.as_str() == conversation && wanted(row))
        })
        .await;
}

/// The reason the conversation was closed with, as the agent is sent the closing event.
async fn closed_because(agent: &mut Client, conversation: &str) -> Option<CloseReason> {
    let frames = agent
        .recv_until(|frame| {
            matches!(frame, ServerFrame::Event { event }
                if event.conversation_id.as_str() == conversation && matches!(event.body, EventBody::Closed { .. }))
        })
        .await;
    match frames.last() {
        Some(ServerFrame::Event { event }) => {
            assert_eq!(event.author, Author::System, "the relay closed it, not an agent");
            match event.body {
                EventBody::Closed { reason } => reason,
                _ => unreachable!(),
            }
        }
        other => panic!("expected the closing event, got {other:?}"),
    }
}

#[tokio::test]
async fn agents_see_who_left_and_chats_of_shoppers_gone_close_by_themselves() {
    let (relay, _dir) = relay_closing_quickly();
    // Away: routing gives the agent nothing, so the first chat stays unanswered.
    let mut agent = relay.demo_agent_away().await;

    let (missed, missed_id, _) = shopper_writes(&relay, None, "Is anyone there?").await;
    row_until(&mut agent, &missed_id, |row| row.shopper_left_at_ms.is_none() && row.unanswered == 1).await;

    // The second is answered before its shopper leaves.
    let (answered, answered_id, _) = shopper_writes(&relay, None, "Do you ship to Ghent?").await;
    agent
        .acked(json!({"type": "send", "conversation_id": answered_id, "client_id": "a", "text": "Yes, in 2 days."}))
        .await;
    row_until(&mut agent, &answered_id, |row| row.unanswered == 0).await;

    // The third shopper stays.
    let (_stays, stays_id, _) = shopper_writes(&relay, None, "Still deciding…").await;

    // The agent has both open, as a console with the thread on screen does.
    for id in [&missed_id, &answered_id] {
        agent.send_json(json!({"type": "open", "conversation_id": id, "last_seq": 0})).await;
    }
    missed.close().await;
    row_until(&mut agent, &missed_id, |row| row.shopper_left_at_ms.is_some()).await;
    answered.close().await;
    row_until(&mut agent, &answered_id, |row| row.shopper_left_at_ms.is_some()).await;

    assert_eq!(closed_because(&mut agent, &missed_id).await, Some(CloseReason::Missed));
    assert_eq!(closed_because(&mut agent, &answered_id).await, Some(CloseReason::ShopperLeft));

    // The shopper who stayed keeps their conversation open, and shows as here.
    let inbox = relay.demo_agent_with_welcome().await;
    let stays = inbox.iter().find(|row| row.id.as_str() == stays_id).expect("the conversation of who stayed");
    assert_ne!(stays.status, ConversationStatus::Closed);
    assert_eq!(stays.shopper_left_at_ms, None, "online now");
    assert!(inbox.iter().all(|row| row.id.as_str() != missed_id), "the missed chat left the open inbox");
}

#[tokio::test]
async fn a_shopper_who_comes_back_in_time_keeps_the_conversation_open() {
    let (relay, _dir) = relay_closing_quickly();
    let mut agent = relay.demo_agent_away().await;
    let (shopper, conversation, token) = shopper_writes(&relay, None, "Back in a second").await;
    shopper.close().await;
    row_until(&mut agent, &conversation, |row| row.shopper_left_at_ms.is_some()).await;
    // The next page: the same shopper, the same conversation, here again.
    let (_back, again, _) = shopper_writes(&relay, Some(&token), "Here again").await;
    assert_eq!(again, conversation);
    row_until(&mut agent, &conversation, |row| row.shopper_left_at_ms.is_none()).await;

    // Another shopper leaves after them; by the time theirs closes, the returning shopper's
    // conversation is older than the limit, and still open.
    let (other, other_id, _) = shopper_writes(&relay, None, "Bye").await;
    agent.send_json(json!({"type": "open", "conversation_id": other_id, "last_seq": 0})).await;
    other.close().await;
    assert_eq!(closed_because(&mut agent, &other_id).await, Some(CloseReason::Missed));
    let inbox = relay.demo_agent_with_welcome().await;
    let row = inbox.iter().find(|row| row.id.as_str() == conversation).expect("still in the inbox");
    assert_eq!((row.status, row.shopper_left_at_ms), (ConversationStatus::Waiting, None));
}
