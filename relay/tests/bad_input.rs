//! Bad input gets a clear answer and harms nothing; nobody reads a conversation that is not theirs.

mod support;

use std::time::Duration;

use checkout_chat_protocol::{ErrorCode, ServerFrame};
use futures_util::SinkExt;
use serde_json::json;
use support::{Client, Ending, Relay};

async fn expect_error(client: &mut Client, code: ErrorCode) -> String {
    match client.recv().await {
        ServerFrame::Error { code: got, message, .. } if got == code => message,
        other => panic!("expected error {code:?}, got {other:?}"),
    }
}

async fn welcome(client: &mut Client, token: Option<&str>, conversation: Option<&str>) -> ServerFrame {
    client.send_json(json!({"type": "hello", "shop": "demo", "token": token, "conversation_id": conversation})).await;
    client.recv().await
}

/// A visitor with one message in their conversation: (token, conversation id).
async fn visitor_with_conversation(relay: &Relay, text: &str) -> (String, String) {
    let mut client = Client::visitor(relay.addr).await;
    let ServerFrame::Welcome { token, .. } = welcome(&mut client, None, None).await else { panic!("no welcome") };
    client.send_json(json!({"type": "send", "client_id": "c1", "text": text})).await;
    loop {
        if let ServerFrame::Ack { conversation_id, .. } = client.recv().await {
            return (token.to_string(), conversation_id.to_string());
        }
    }
}

#[tokio::test]
async fn malformed_and_unknown_frames_get_an_error_and_the_connection_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let mut client = Client::visitor(relay.addr).await;

    client.send_text("{not json".into()).await;
    assert!(expect_error(&mut client, ErrorCode::BadFrame).await.contains("not valid JSON"));
    client.send_json(json!({"type": "delete_all_conversations"})).await;
    assert!(expect_error(&mut client, ErrorCode::BadFrame).await.contains("unknown variant"));
    client.send_json(json!({"type": "send", "client_id": "x", "text": "before hello"})).await;
    expect_error(&mut client, ErrorCode::HelloExpected).await;
    client.send_json(json!({"type": "hello", "shop": "demo", "last_seq": "seven"})).await;
    expect_error(&mut client, ErrorCode::BadFrame).await;

    // Still usable: a proper hello and message work.
    assert!(matches!(welcome(&mut client, None, None).await, ServerFrame::Welcome { .. }));
    client.send_json(json!({"type": "send", "client_id": "bad id!", "text": "x"})).await;
    expect_error(&mut client, ErrorCode::BadFrame).await;
    client.send_json(json!({"type": "send", "client_id": "empty", "text": "  \n "})).await;
    match client.recv().await {
        ServerFrame::Error { code: ErrorCode::InvalidText, client_id, .. } => {
            assert_eq!(client_id.map(|c| c.to_string()).as_deref(), Some("empty"), "the error names the message")
        }
        other => panic!("expected invalid_text, got {other:?}"),
    }
    client.send_json(json!({"type": "send", "client_id": "long", "text": "x".repeat(4001)})).await;
    expect_error(&mut client, ErrorCode::InvalidText).await;
    client.send_json(json!({"type": "ping"})).await;
    assert_eq!(client.recv().await, ServerFrame::Pong);

    // Rejected messages started no conversation: the agent's inbox is empty.
    let mut agent = relay.demo_agent().await;
    agent.send_json(json!({"type": "open", "conversation_id": "doesnotexist"})).await;
    expect_error(&mut agent, ErrorCode::NotFound).await;
    agent.send_text("[]".into()).await;
    expect_error(&mut agent, ErrorCode::BadFrame).await;
    agent.send_json(json!({"type": "ping"})).await;
    assert_eq!(agent.recv().await, ServerFrame::Pong);
}

#[tokio::test]
async fn binary_frames_are_refused_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/v1/visitor", relay.addr)).await.unwrap();
    socket.send(tokio_tungstenite::tungstenite::Message::Binary(vec![1, 2, 3].into())).await.unwrap();
    let mut client = Client::from_socket(socket);
    expect_error(&mut client, ErrorCode::BadFrame).await;
}

#[tokio::test]
async fn an_oversized_frame_closes_that_connection_with_1009() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    for size in [16 * 1024 + 1, 200 * 1024] {
        let mut client = Client::visitor(relay.addr).await;
        client.send_text(format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(size))).await;
        match client.ending().await {
            Ending::Closed(Some(1009)) => {}
            other => panic!("a {size}-byte frame should close with 1009, got {other:?}"),
        }
    }
    // A frame too large to even buffer is refused from its header, while the client is still
    // sending it (as a browser would, the client keeps reading meanwhile).
    let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/v1/visitor", relay.addr)).await.unwrap();
    let (mut sink, mut stream) = futures_util::StreamExt::split(socket);
    let huge = tokio_tungstenite::tungstenite::Message::Text("x".repeat(8 * 1024 * 1024).into());
    let writer = tokio::spawn(async move { sink.send(huge).await });
    let close_code = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = futures_util::StreamExt::next(&mut stream).await {
            if let tokio_tungstenite::tungstenite::Message::Close(frame) = message {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .expect("the relay ends the connection within 10 s");
    assert_eq!(close_code, Some(1009));
    writer.abort();
    // Other connections are unaffected.
    let mut other = Client::visitor(relay.addr).await;
    other.send_json(json!({"type": "ping"})).await;
    assert_eq!(other.recv().await, ServerFrame::Pong);
}

#[tokio::test]
async fn a_token_for_another_conversation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let (_, alice_conversation) = visitor_with_conversation(&relay, "my address is Keizersgracht 1").await;
    let (bob_token, _) = visitor_with_conversation(&relay, "hello").await;

    for (token, why) in [
        (Some(bob_token.as_str()), "another visitor's token"),
        (None, "no token"),
        (Some("made-up-token"), "an unknown token"),
    ] {
        let mut intruder = Client::visitor(relay.addr).await;
        match welcome(&mut intruder, token, Some(&alice_conversation)).await {
            ServerFrame::Error { code: ErrorCode::Forbidden, .. } => {}
            other => panic!("{why}: expected forbidden, got {other:?}"),
        }
        match intruder.ending().await {
            Ending::Closed(Some(1008)) => {}
            other => panic!("{why}: expected close 1008, got {other:?}"),
        }
    }

    // Bob's own hello shows only Bob's conversation.
    let mut bob = Client::visitor(relay.addr).await;
    let ServerFrame::Welcome { conversation_id, .. } = welcome(&mut bob, Some(&bob_token), None).await else {
        panic!()
    };
    assert_ne!(conversation_id.map(|c| c.to_string()), Some(alice_conversation));
    let frames = bob.recv_until(|f| matches!(f, ServerFrame::Synced { .. })).await;
    let texts: Vec<String> = frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Event { event } => Some(format!("{:?}", event.body)),
            _ => None,
        })
        .collect();
    assert_eq!(texts.len(), 1);
    assert!(texts[0].contains("hello") && !texts[0].contains("Keizersgracht"));
}

#[tokio::test]
async fn a_hello_claiming_more_than_is_stored_gets_the_real_position() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let (token, conversation) = visitor_with_conversation(&relay, "first").await;
    let mut client = Client::visitor(relay.addr).await;
    client
        .send_json(json!({"type": "hello", "shop": "demo", "token": token, "conversation_id": conversation, "last_seq": u64::MAX}))
        .await;
    assert!(matches!(client.recv().await, ServerFrame::Welcome { .. }));
    match client.recv().await {
        ServerFrame::Synced { last_seq, .. } => assert_eq!(last_seq, 1, "synced says what is really stored"),
        other => panic!("expected synced, got {other:?}"),
    }
    // Later events are delivered, not skipped as "already seen".
    client.send_json(json!({"type": "send", "client_id": "c2", "text": "second"})).await;
    let frames = client.recv_until(|f| matches!(f, ServerFrame::Ack { .. })).await;
    let mut seqs: Vec<u64> = frames
        .iter()
        .filter_map(|f| if let ServerFrame::Event { event } = f { Some(event.seq) } else { None })
        .collect();
    if seqs.is_empty() {
        let ServerFrame::Event { event } = client.recv().await else { panic!("expected the event") };
        seqs.push(event.seq);
    }
    assert_eq!(seqs, [2]);
    match frames.last() {
        Some(ServerFrame::Ack { conversation_id, .. }) => assert_eq!(conversation_id.as_str(), conversation),
        other => panic!("expected an ack, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_shop_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let mut client = Client::visitor(relay.addr).await;
    client.send_json(json!({"type": "hello", "shop": "no-such-shop"})).await;
    expect_error(&mut client, ErrorCode::UnknownShop).await;
    assert!(matches!(client.ending().await, Ending::Closed(Some(1008))));
}

#[tokio::test]
async fn a_flood_of_frames_is_slowed_to_the_rate_limit_and_nothing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let mut client = Client::visitor(relay.addr).await;
    let started = std::time::Instant::now();
    for _ in 0..100 {
        client.send_json(json!({"type": "ping"})).await;
    }
    for _ in 0..100 {
        assert_eq!(client.recv().await, ServerFrame::Pong, "every frame is answered, none refused");
    }
    // 40 frames pass at once, the other 60 at 20 per second: at least 3 s in all. (A lower
    // bound only: a slow machine can take longer, never shorter.)
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(2_900), "100 frames were handled in {took:?}, faster than the limit");
}

#[tokio::test]
async fn every_agent_endpoint_refuses_a_request_without_a_valid_session() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let http = reqwest::Client::new();
    assert_eq!(http.get(relay.http("/v1/agent/me")).send().await.unwrap().status(), 401);
    assert_eq!(
        http.get(relay.http("/v1/agent/me")).header("cookie", "cc_session=forged").send().await.unwrap().status(),
        401
    );
    assert_eq!(Client::agent(relay.addr, "").await.err(), Some(401));
    assert_eq!(Client::agent(relay.addr, "cc_session=forged").await.err(), Some(401));
    assert!(relay.login(support::DEMO_EMAIL, "wrong password").await.is_none());
    assert!(relay.login("nobody@demo.example", support::DEMO_PASSWORD).await.is_none());

    let cookie = relay.login(support::DEMO_EMAIL, support::DEMO_PASSWORD).await.unwrap();
    let me = http.get(relay.http("/v1/agent/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(me.status(), 200);
    // Another site's page cannot use the cookie.
    let cross = http
        .post(relay.http("/v1/agent/logout"))
        .header("cookie", &cookie)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let mut open_socket = Client::agent(relay.addr, &cookie).await.expect("agent socket opens");
    assert!(matches!(open_socket.recv().await, ServerFrame::AgentWelcome { .. }));
    let logout = http.post(relay.http("/v1/agent/logout")).header("cookie", &cookie).send().await.unwrap();
    assert!(logout.status().is_success());
    // A socket opened with the session ends with it, at once.
    match open_socket.ending().await {
        Ending::Closed(Some(1008)) => {}
        other => panic!("the agent socket should close with 1008 on logout, got {other:?}"),
    }
    assert_eq!(http.get(relay.http("/v1/agent/me")).header("cookie", &cookie).send().await.unwrap().status(), 401);
    assert_eq!(Client::agent(relay.addr, &cookie).await.err(), Some(401));
}

#[tokio::test]
async fn an_agent_of_one_shop_cannot_read_another_shops_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let config = dir.path().join("relay.toml");
    std::fs::write(
        &config,
        "[[shops]]\nid = \"demo\"\nname = \"Demo Shop\"\n\n[[shops]]\nid = \"rival\"\nname = \"Rival Shop\"\n",
    )
    .unwrap();
    let config_arg = config.to_str().unwrap();
    let relay = Relay::start_with(&database, &["--config", config_arg]);
    support::add_agent(&database, &config, "rival", "rival@rival.example", "rival-password-1");
    let (_, demo_conversation) = visitor_with_conversation(&relay, "private question").await;

    let cookie = relay.login("rival@rival.example", "rival-password-1").await.expect("rival agent logs in");
    let mut rival = Client::agent(relay.addr, &cookie).await.unwrap();
    let ServerFrame::AgentWelcome { shop, inbox: checkout_chat_protocol::InboxStart { conversations, .. }, .. } =
        rival.recv().await
    else {
        panic!("no welcome")
    };
    assert_eq!(shop.as_str(), "rival");
    assert!(conversations.is_empty(), "the demo shop's conversation is not listed");
    rival.send_json(json!({"type": "open", "conversation_id": demo_conversation})).await;
    expect_error(&mut rival, ErrorCode::NotFound).await;
    rival
        .send_json(json!({"type": "send", "conversation_id": demo_conversation, "client_id": "x", "text": "hi"}))
        .await;
    expect_error(&mut rival, ErrorCode::NotFound).await;

    // New demo conversations do not reach the rival's inbox either.
    visitor_with_conversation(&relay, "another private question").await;
    if let Some(frame) = rival.try_recv(Duration::from_millis(500)).await {
        panic!("the rival agent received {frame:?}");
    }
}
