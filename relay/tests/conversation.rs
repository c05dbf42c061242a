//! The relay's conversation guarantees, checked with real WebSocket clients against the real
//! binary and a real SQLite file: round trip, exactly-once storage of resends, replay after a
//! reconnect, nothing lost across a restart.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use checkout_chat_protocol::{Author, ConversationId, ConversationStatus, Event, EventBody, ServerFrame};
use serde_json::json;
use support::{Client, Ending, Relay};

/// A visitor's `hello`; returns (token, conversation) from the welcome, after the replay if any.
async fn hello(
    client: &mut Client,
    token: Option<&str>,
    conversation: Option<&str>,
    last_seq: u64,
) -> (String, Option<String>) {
    client.send_json(json!({"type": "hello", "shop": "demo", "token": token, "conversation_id": conversation, "last_seq": last_seq})).await;
    match client.recv().await {
        ServerFrame::Welcome { token, conversation_id, .. } => {
            (token.to_string(), conversation_id.map(|c| c.to_string()))
        }
        other => panic!("expected welcome, got {other:?}"),
    }
}

/// Sends a visitor message and waits for both its ack and its event; returns the stored event.
async fn say(client: &mut Client, client_id: &str, text: &str) -> Event {
    client.send_json(json!({"type": "send", "client_id": client_id, "text": text})).await;
    await_own_message(client, client_id).await
}

async fn agent_says(agent: &mut Client, conversation: &str, client_id: &str, text: &str) -> Event {
    agent
        .send_json(json!({"type": "send", "conversation_id": conversation, "client_id": client_id, "text": text}))
        .await;
    await_own_message(agent, client_id).await
}

/// Waits until the ack and the echoed event of `client_id` have both arrived (in either order).
async fn await_own_message(client: &mut Client, client_id: &str) -> Event {
    let (mut acked, mut event) = (None, None);
    while acked.is_none() || event.is_none() {
        match client.recv().await {
            ServerFrame::Ack { client_id: id, seq, .. } if id.as_str() == client_id => acked = Some(seq),
            ServerFrame::Event { event: e } if e.client_id.as_ref().is_some_and(|c| c.as_str() == client_id) => {
                event = Some(e)
            }
            ServerFrame::Error { message, .. } => panic!("refused: {message}"),
            _ => {}
        }
    }
    let event = event.unwrap_or_else(|| unreachable!());
    assert_eq!(acked, Some(event.seq), "the ack names the stored sequence number");
    event
}

/// Everything the relay replays for a conversation after `last_seq`, until `synced`.
async fn replay(client: &mut Client) -> (Vec<Event>, u64) {
    let frames = client.recv_until(|f| matches!(f, ServerFrame::Synced { .. })).await;
    let mut events = Vec::new();
    let mut synced = 0;
    for frame in frames {
        match frame {
            ServerFrame::Event { event } => events.push(event),
            ServerFrame::Synced { last_seq, .. } => synced = last_seq,
            // The agent's inbox goes on beside the replay.
            ServerFrame::ConversationUpdated { .. } => {}
            other => panic!("unexpected frame in a replay: {other:?}"),
        }
    }
    (events, synced)
}

fn text_of(event: &Event) -> &str {
    match &event.body {
        EventBody::Message { text } => text,
        EventBody::Joined => "<joined>",
        EventBody::Reopened => "<reopened>",
        EventBody::Closed { .. } => "<closed>",
        EventBody::Rated { .. } => "<rated>",
        EventBody::LeftMessage { text, .. } => text,
        EventBody::TranscriptRequested { .. } => "<transcript requested>",
        EventBody::Prompted { .. } => "<prompted>",
        EventBody::Note { text } => text,
        EventBody::Handover { .. } => "<handover>",
    }
}

fn assert_gapless(events: &[Event], first: u64) {
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (first..first + events.len() as u64).collect();
    assert_eq!(seqs, expected, "events arrive once each, in order, without gaps");
}

/// No stored event follows within a while. An agent's console may still get the inbox update or
/// team list of what came before: those travel on other channels and may arrive after an ack.
async fn no_more_events(client: &mut Client) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
    while let Some(frame) = client.try_recv(deadline.saturating_duration_since(tokio::time::Instant::now())).await {
        assert!(!matches!(frame, ServerFrame::Event { .. } | ServerFrame::Ack { .. }), "unexpected: {frame:?}");
    }
}

async fn no_more_frames(client: &mut Client) {
    if let Some(frame) = client.try_recv(Duration::from_millis(300)).await {
        panic!("unexpected extra frame: {frame:?}");
    }
}

#[tokio::test]
async fn shopper_message_reaches_agent_and_reply_reaches_shopper() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    // Away: the chat is not given to them by routing; they take it by answering.
    let mut agent = relay.demo_agent_away().await;
    let mut shopper = Client::visitor(relay.addr).await;
    let (_, conversation) = hello(&mut shopper, None, None, 0).await;
    assert_eq!(conversation, None, "a new visitor has no conversation yet");

    let question = say(&mut shopper, "m1", "Hi! Does the grinder ship to Belgium?").await;
    assert_eq!(question.seq, 1);
    let conversation = question.conversation_id.to_string();

    // The agent's inbox learns about the new conversation live.
    let update = agent.recv().await;
    let ServerFrame::ConversationUpdated { conversation: summary } = update else { panic!("got {update:?}") };
    assert_eq!(summary.id.as_str(), conversation);
    assert_eq!(summary.status, ConversationStatus::Waiting);
    assert_eq!(summary.last_message.as_deref(), Some("Hi! Does the grinder ship to Belgium?"));

    agent.send_json(json!({"type": "open", "conversation_id": conversation, "last_seq": 0})).await;
    let (history, synced) = replay(&mut agent).await;
    assert_eq!(history.len(), 1);
    assert_eq!(text_of(&history[0]), "Hi! Does the grinder ship to Belgium?");
    assert_eq!(synced, 1);

    let answer = agent_says(&mut agent, &conversation, "a1", "Yes, in 2–3 working days.").await;
    assert_eq!(answer.seq, 3, "the agent's first reply is preceded by their joined event");

    let joined = shopper.recv().await;
    let ServerFrame::Event { event: joined } = joined else { panic!("got {joined:?}") };
    assert_eq!((joined.seq, &joined.body), (2, &EventBody::Joined));
    let Author::Agent(profile) = &joined.author else { panic!("joined by {:?}", joined.author) };
    assert_eq!(profile.name, "Anna de Vries");
    let reply = shopper.recv().await;
    let ServerFrame::Event { event: reply } = reply else { panic!("got {reply:?}") };
    assert_eq!((reply.seq, text_of(&reply)), (3, "Yes, in 2–3 working days."));
    no_more_frames(&mut shopper).await;
}

#[tokio::test]
async fn resend_with_same_client_id_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let mut shopper = Client::visitor(relay.addr).await;
    let (token, _) = hello(&mut shopper, None, None, 0).await;
    let first = say(&mut shopper, "order-question-1", "Where is order NH-204118?").await;

    // The same message again, as a widget resends after a lost acknowledgement.
    shopper
        .send_json(json!({"type": "send", "client_id": "order-question-1", "text": "Where is order NH-204118?"}))
        .await;
    match shopper.recv().await {
        ServerFrame::Ack { seq, .. } => {
            assert_eq!(seq, first.seq, "the resend is acknowledged with the original number")
        }
        other => panic!("expected ack, got {other:?}"),
    }
    no_more_frames(&mut shopper).await;
    let next = say(&mut shopper, "order-question-2", "Thanks").await;
    assert_eq!(next.seq, first.seq + 1, "the resend took no sequence number");

    // A fresh connection (a reload) sees each message once.
    shopper.close().await;
    let mut reloaded = Client::visitor(relay.addr).await;
    let conversation = first.conversation_id.to_string();
    hello(&mut reloaded, Some(&token), Some(&conversation), 0).await;
    let (events, _) = replay(&mut reloaded).await;
    assert_eq!(events.iter().map(text_of).collect::<Vec<_>>(), ["Where is order NH-204118?", "Thanks"]);

    // A resend after the reconnect is still recognised.
    reloaded
        .send_json(json!({"type": "send", "client_id": "order-question-1", "text": "Where is order NH-204118?"}))
        .await;
    assert!(matches!(reloaded.recv().await, ServerFrame::Ack { seq: 1, .. }));
    no_more_frames(&mut reloaded).await;
}

#[tokio::test]
async fn reconnect_with_last_sequence_number_gets_exactly_the_missed_events() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let mut shopper = Client::visitor(relay.addr).await;
    let (token, _) = hello(&mut shopper, None, None, 0).await;
    let mut last = say(&mut shopper, "s1", "one").await;
    for (id, text) in [("s2", "two"), ("s3", "three")] {
        last = say(&mut shopper, id, text).await;
    }
    let conversation = last.conversation_id.to_string();
    assert_eq!(last.seq, 3);
    shopper.close().await;

    // While the shopper is away, the agent answers.
    let mut agent = relay.demo_agent().await;
    agent.send_json(json!({"type": "open", "conversation_id": conversation, "last_seq": 3})).await;
    let (nothing_new, _) = replay(&mut agent).await;
    assert!(nothing_new.is_empty(), "an agent that has seen seq 3 gets nothing replayed");
    agent_says(&mut agent, &conversation, "r1", "four").await;
    agent_says(&mut agent, &conversation, "r2", "five").await;

    let mut back = Client::visitor(relay.addr).await;
    let (same_token, same_conversation) = hello(&mut back, Some(&token), Some(&conversation), 3).await;
    assert_eq!((same_token.as_str(), same_conversation.as_deref()), (token.as_str(), Some(conversation.as_str())));
    let (missed, synced) = replay(&mut back).await;
    assert_gapless(&missed, 4);
    assert_eq!(missed.iter().map(text_of).collect::<Vec<_>>(), ["<joined>", "four", "five"]);
    assert_eq!(synced, 6);

    // After the replay the connection is live: a new reply arrives once.
    agent_says(&mut agent, &conversation, "r3", "six").await;
    let ServerFrame::Event { event } = back.recv().await else { panic!("expected the live event") };
    assert_eq!((event.seq, text_of(&event)), (7, "six"));
    no_more_frames(&mut back).await;
}

#[tokio::test]
async fn relay_restarted_on_the_same_database_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let relay = Relay::start(&database);
    let cookie = relay.login(support::DEMO_EMAIL, support::DEMO_PASSWORD).await.unwrap();
    let mut shopper = Client::visitor(relay.addr).await;
    let (token, _) = hello(&mut shopper, None, None, 0).await;
    let mut acked = Vec::new();
    for i in 0..20 {
        acked.push(say(&mut shopper, &format!("m{i}"), &format!("message {i}")).await);
    }
    let conversation = acked[0].conversation_id.to_string();

    relay.stop();
    // A stopping relay tells clients to reconnect rather than just vanishing.
    match shopper.ending().await {
        Ending::Closed(Some(1012)) => {}
        other => panic!("expected close 1012 (service restart), got {other:?}"),
    }

    let relay = Relay::start(&database);
    let mut shopper = Client::visitor(relay.addr).await;
    hello(&mut shopper, Some(&token), Some(&conversation), 0).await;
    let (events, synced) = replay(&mut shopper).await;
    assert_gapless(&events, 1);
    assert_eq!(events, acked, "every acknowledged event is there, exactly once, unchanged");
    assert_eq!(synced, 20);

    // A message whose ack was lost in the restart is resent: stored once.
    shopper.send_json(json!({"type": "send", "client_id": "m19", "text": "message 19"})).await;
    assert!(matches!(shopper.recv().await, ServerFrame::Ack { seq: 20, .. }));

    // The agent's session survives the restart too; back online, they are given the waiting chat.
    let mut agent = Client::agent(relay.addr, &cookie).await.expect("session still valid");
    let ServerFrame::AgentWelcome { inbox: checkout_chat_protocol::InboxStart { conversations, .. }, .. } =
        agent.recv().await
    else {
        panic!("expected welcome")
    };
    assert_eq!(conversations.len(), 1);
    assert_eq!(conversations[0].last_seq, 21, "20 messages and the agent's joined");
    assert_eq!(conversations[0].status, ConversationStatus::Active);
}

#[tokio::test]
async fn two_tabs_of_one_visitor_share_one_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let mut first_tab = Client::visitor(relay.addr).await;
    let (token, _) = hello(&mut first_tab, None, None, 0).await;
    // The second tab says hello before either has written: neither has a conversation yet.
    let mut second_tab = Client::visitor(relay.addr).await;
    let (_, none_yet) = hello(&mut second_tab, Some(&token), None, 0).await;
    assert_eq!(none_yet, None);

    let from_first = say(&mut first_tab, "tab1-m1", "from the first tab").await;
    second_tab.send_json(json!({"type": "send", "client_id": "tab2-m1", "text": "from the second tab"})).await;
    let frames = second_tab.recv_until(|f| matches!(f, ServerFrame::Ack { .. })).await;
    let Some(ServerFrame::Ack { conversation_id, seq, .. }) = frames.last() else { panic!("no ack: {frames:?}") };
    assert_eq!(conversation_id, &from_first.conversation_id, "both tabs write into the same conversation");
    assert_eq!(*seq, 2);
    // The second tab was shown the first tab's message when it joined the conversation.
    assert!(frames.iter().any(|f| matches!(f, ServerFrame::Event { event } if event.seq == 1)), "{frames:?}");

    let cookie = relay.login(support::DEMO_EMAIL, support::DEMO_PASSWORD).await.unwrap();
    let mut inbox = Client::agent(relay.addr, &cookie).await.unwrap();
    let ServerFrame::AgentWelcome { inbox: checkout_chat_protocol::InboxStart { conversations, .. }, .. } =
        inbox.recv().await
    else {
        panic!("expected welcome")
    };
    assert_eq!(conversations.len(), 1, "one visitor, one conversation in the inbox");
}

#[tokio::test]
async fn a_resent_agent_reply_is_stored_once_and_does_not_join_again() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let mut shopper = Client::visitor(relay.addr).await;
    hello(&mut shopper, None, None, 0).await;
    let question = say(&mut shopper, "q", "question").await;
    let conversation = question.conversation_id.to_string();
    let mut agent = relay.demo_agent().await;
    agent.send_json(json!({"type": "open", "conversation_id": conversation})).await;
    let answer = agent_says(&mut agent, &conversation, "a1", "answer").await;
    assert_eq!(answer.seq, 3);
    agent
        .send_json(json!({"type": "send", "conversation_id": conversation, "client_id": "a1", "text": "answer"}))
        .await;
    let frames = agent.recv_until(|f| matches!(f, ServerFrame::Ack { .. })).await;
    assert!(matches!(frames.last(), Some(ServerFrame::Ack { seq: 3, .. })), "{frames:?}");
    assert!(!frames.iter().any(|f| matches!(f, ServerFrame::Event { .. })), "nothing new was stored: {frames:?}");
    no_more_events(&mut agent).await;
}

#[tokio::test]
async fn every_client_sees_each_event_once_under_concurrent_writers() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let mut shopper = Client::visitor(relay.addr).await;
    let (token, _) = hello(&mut shopper, None, None, 0).await;
    let first = say(&mut shopper, "start", "start").await;
    let conversation = first.conversation_id.to_string();
    // A second tab of the same shopper follows the same conversation.
    let mut second_tab = Client::visitor(relay.addr).await;
    hello(&mut second_tab, Some(&token), Some(&conversation), 0).await;
    replay(&mut second_tab).await;

    let mut agent = relay.demo_agent().await;
    agent.send_json(json!({"type": "open", "conversation_id": conversation, "last_seq": 1})).await;
    replay(&mut agent).await;

    // Both sides write at once, without waiting for acknowledgements.
    const EACH: usize = 30;
    for i in 0..EACH {
        shopper.send_json(json!({"type": "send", "client_id": format!("v{i}"), "text": format!("v{i}")})).await;
        agent.send_json(json!({"type": "send", "conversation_id": conversation, "client_id": format!("a{i}"), "text": format!("a{i}")})).await;
    }
    let total = 1 + 1 + 2 * EACH as u64; // start + joined + messages
    for client in [&mut shopper, &mut second_tab, &mut agent] {
        let mut seen = Vec::new();
        while seen.last().copied().unwrap_or(0) < total {
            if let ServerFrame::Event { event } = client.recv().await {
                seen.push(event.seq);
            }
        }
        let expected_first = seen[0];
        let expected: Vec<u64> = (expected_first..=total).collect();
        assert_eq!(seen, expected, "each event exactly once, in order");
    }
    let unique: HashSet<_> = (1..=total).collect();
    assert_eq!(unique.len() as u64, total);
    let _ = ConversationId::new(conversation).unwrap();
}
