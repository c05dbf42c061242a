//! What the widget offers beyond plain messages, checked on the relay's side with real clients:
//! masking, identity, typing, presence, the queue, ending and rating, leaving a message, and
//! transcripts emailed through a real SMTP conversation with a sink started by the test.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use checkout_chat_protocol::{ConversationStatus, ErrorCode, EventBody, IdentityStatus, ServerFrame};
use hmac::{Hmac, Mac};
use serde_json::json;
use support::{Client, Relay};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const DEMO_SECRET: &str = "demo-identity-secret";

/// A visitor after `hello` (with an optional identity): the client and its token.
async fn visitor(relay: &Relay, identity: Option<serde_json::Value>) -> (Client, String) {
    let mut client = Client::visitor(relay.addr).await;
    client.send_json(json!({"type": "hello", "shop": "demo", "identity": identity})).await;
    match client.recv().await {
        ServerFrame::Welcome { token, .. } => (client, token.to_string()),
        other => panic!("expected welcome, got {other:?}"),
    }
}

async fn say(client: &mut Client, id: &str, text: &str) -> (String, u64) {
    client.acked(json!({"type": "send", "client_id": id, "text": text})).await
}

async fn next_error(client: &mut Client) -> (ErrorCode, String) {
    loop {
        if let ServerFrame::Error { code, message, .. } = client.recv().await {
            return (code, message);
        }
    }
}

fn sign(user_id: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(DEMO_SECRET.as_bytes()).unwrap();
    mac.update(user_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The demo agent's inbox row for `conversation`, as a fresh agent connection sees it.
async fn inbox_row(relay: &Relay, conversation: &str) -> checkout_chat_protocol::ConversationSummary {
    let cookie = relay.login(support::DEMO_EMAIL, support::DEMO_PASSWORD).await.unwrap();
    let mut agent = Client::agent(relay.addr, &cookie).await.unwrap();
    let ServerFrame::AgentWelcome { inbox: checkout_chat_protocol::InboxStart { conversations, .. }, .. } =
        agent.recv().await
    else {
        panic!("expected welcome")
    };
    conversations.into_iter().find(|c| c.id.as_str() == conversation).expect("the conversation is in the inbox")
}

#[tokio::test]
async fn the_relay_masks_card_numbers_a_client_did_not_mask() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let (mut shopper, _) = visitor(&relay, None).await;
    let (conversation, _) = say(&mut shopper, "c1", "my card 4242 4242 4242 4242 exp 12/30").await;
    let mut agent = relay.demo_agent().await;
    agent.send_json(json!({"type": "open", "conversation_id": conversation})).await;
    let frames = agent.recv_until(|f| matches!(f, ServerFrame::Synced { .. })).await;
    let stored = frames.iter().find_map(|f| match f {
        ServerFrame::Event { event } => match &event.body {
            EventBody::Message { text } => Some(text.clone()),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(stored.as_deref(), Some("my card **** **** **** 4242 exp 12/30"));
}

#[tokio::test]
async fn an_identity_is_believed_only_with_the_shops_signature() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let signed =
        json!({"user_id": "cust-17", "name": "Sara Ahmadi", "email": "sara@example.com", "user_hash": sign("cust-17")});
    let (mut trusted, _) = visitor(&relay, Some(signed)).await;
    let (trusted_conversation, _) = say(&mut trusted, "m", "hello").await;
    let forged = json!({"user_id": "cust-17", "name": "Sara Ahmadi", "user_hash": sign("cust-18")});
    let (mut impostor, _) = visitor(&relay, Some(forged)).await;
    let (impostor_conversation, _) = say(&mut impostor, "m", "hello").await;

    let row = inbox_row(&relay, &trusted_conversation).await;
    assert_eq!((row.identity, row.visitor_name.as_str()), (IdentityStatus::Verified, "Sara Ahmadi"));
    let row = inbox_row(&relay, &impostor_conversation).await;
    assert_eq!(row.identity, IdentityStatus::Unverified);
    assert!(row.visitor_name.starts_with("Visitor "), "a forged name is not shown: {}", row.visitor_name);

    // `identify` after hello works the same way.
    impostor
        .send_json(json!({"type": "identify", "user_id": "cust-18", "name": "Real Name", "user_hash": sign("cust-18")}))
        .await;
    support::eventually(|| async {
        inbox_row(&relay, &impostor_conversation).await.identity == IdentityStatus::Verified
    })
    .await;
    // Agents see the user id the signature vouches for.
    assert_eq!(inbox_row(&relay, &trusted_conversation).await.user_id.as_deref(), Some("cust-17"));

    // A claim that is not even well formed (a name far too long) leaves the shopper anonymous;
    // it does not cost them the chat.
    let malformed = json!({"user_id": "cust-19", "name": "x".repeat(500), "user_hash": sign("cust-19")});
    let (mut careless, _) = visitor(&relay, Some(malformed)).await;
    let (careless_conversation, _) = say(&mut careless, "m", "still here").await;
    let row = inbox_row(&relay, &careless_conversation).await;
    assert_eq!((row.identity, row.user_id), (IdentityStatus::Unverified, None));
}

/// How a connection refused with an error frame ended: the error's code and the close code.
async fn refusal(client: &mut Client) -> (ErrorCode, support::Ending) {
    let (code, _) = next_error(client).await;
    (code, client.ending().await)
}

#[tokio::test]
async fn a_visitor_verified_as_one_user_is_never_shown_to_another() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let sara = json!({"user_id": "cust-17", "name": "Sara", "user_hash": sign("cust-17")});
    let tom = json!({"user_id": "cust-18", "name": "Tom", "user_hash": sign("cust-18")});
    let (mut shopper, token) = visitor(&relay, Some(sara.clone())).await;
    let (conversation, _) = say(&mut shopper, "m", "my order").await;

    // A claim for Sara's id without a valid signature (a page with an old secret) does not
    // undo her binding...
    let stale = json!({"type": "identify", "user_id": "cust-17", "user_hash": sign("cust-17-old")});
    shopper.send_json(stale).await;
    // ...so another customer signing in on the same browser is still refused, rather than
    // handed Sara's conversation, and told to start afresh.
    shopper
        .send_json(json!({"type": "identify", "user_id": "cust-18", "name": "Tom", "user_hash": sign("cust-18")}))
        .await;
    let (code, ending) = refusal(&mut shopper).await;
    assert_eq!(code, ErrorCode::IdentityChanged);
    assert!(matches!(ending, support::Ending::Closed(Some(1008))), "{ending:?}");

    // With the identity in `hello`, the refusal comes before the welcome: nothing of Sara's
    // (not even her conversation id) reaches Tom's page.
    let mut again = Client::visitor(relay.addr).await;
    again
        .send_json(
            json!({"type": "hello", "shop": "demo", "token": token, "conversation_id": conversation, "identity": tom}),
        )
        .await;
    match again.recv().await {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::IdentityChanged),
        other => panic!("expected the refusal first, got {other:?}"),
    }
    assert!(matches!(again.ending().await, support::Ending::Closed(Some(1008))));

    // Sara herself, back on her token, is welcome with her conversation, still verified.
    let mut back = Client::visitor(relay.addr).await;
    back.send_json(json!({"type": "hello", "shop": "demo", "token": token, "identity": sara})).await;
    assert!(
        matches!(back.recv().await, ServerFrame::Welcome { conversation_id: Some(id), .. } if id.as_str() == conversation)
    );
    let row = inbox_row(&relay, &conversation).await;
    assert_eq!((row.identity, row.user_id.as_deref()), (IdentityStatus::Verified, Some("cust-17")));
}

#[tokio::test]
async fn typing_reaches_the_other_side_and_is_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let (mut shopper, token) = visitor(&relay, None).await;
    let (conversation, seq) = say(&mut shopper, "m", "hi").await;
    let mut agent = relay.demo_agent().await;
    // Online, the agent is given the chat at once: their `joined` follows the message.
    let seq = seq + 1;
    agent.skip_notices = false;
    agent.send_json(json!({"type": "open", "conversation_id": conversation})).await;
    agent.recv_until(|f| matches!(f, ServerFrame::Synced { .. })).await;
    shopper.send_json(json!({"type": "typing", "typing": true})).await;
    let frames = agent.recv_until(|f| matches!(f, ServerFrame::Typing { .. })).await;
    assert!(matches!(frames.last(), Some(ServerFrame::Typing { typing: true, .. })));

    shopper.skip_notices = false;
    agent.send_json(json!({"type": "typing", "conversation_id": conversation, "typing": true})).await;
    // (The shopper's own typing notice comes back to it too; clients ignore their own.)
    let frames = shopper
        .recv_until(|f| matches!(f, ServerFrame::Typing { author: checkout_chat_protocol::Author::Agent(_), .. }))
        .await;
    let Some(ServerFrame::Typing { author, .. }) = frames.last() else { unreachable!() };
    assert!(matches!(author, checkout_chat_protocol::Author::Agent(a) if a.name == "Anna de Vries"));

    // Nothing of it is in the log.
    let mut reloaded = Client::visitor(relay.addr).await;
    reloaded.send_json(json!({"type": "hello", "shop": "demo", "token": token, "conversation_id": conversation})).await;
    let frames = reloaded.recv_until(|f| matches!(f, ServerFrame::Synced { .. })).await;
    assert!(matches!(frames.last(), Some(ServerFrame::Synced { last_seq, .. }) if *last_seq == seq));
}

#[tokio::test]
async fn shoppers_learn_whether_an_agent_is_online() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let mut shopper = Client::visitor(relay.addr).await;
    shopper.skip_notices = false;
    shopper.send_json(json!({"type": "hello", "shop": "demo"})).await;
    assert!(matches!(shopper.recv().await, ServerFrame::Welcome { agents_online: 0, .. }));
    let agent = relay.demo_agent().await;
    assert_eq!(shopper.recv().await, ServerFrame::Presence { agents_online: 1 });
    agent.close().await;
    assert_eq!(shopper.recv().await, ServerFrame::Presence { agents_online: 0 });
}

#[tokio::test]
async fn waiting_shoppers_are_told_their_place_in_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let mut shoppers = Vec::new();
    for i in 0..3 {
        let (mut shopper, _) = visitor(&relay, None).await;
        shopper.skip_notices = false;
        let (conversation, _) = say(&mut shopper, "first", &format!("shopper {i}")).await;
        shoppers.push((shopper, conversation));
    }
    async fn position(client: &mut Client) -> u32 {
        loop {
            if let ServerFrame::Queue { position, .. } = client.recv().await {
                return position;
            }
        }
    }
    // The third shopper is third in line (earlier announcements are drained on the way).
    let mut last = 0;
    while last != 3 {
        last = position(&mut shoppers[2].0).await;
    }
    // An agent who takes one chat at a time comes online: routing gives them the first shopper
    // (first come, first served) and the others move up.
    let cookie = relay.login(support::DEMO_EMAIL, support::DEMO_PASSWORD).await.unwrap();
    relay.change_agent(&cookie, support::DEMO_EMAIL, json!({"capacity": 1})).await;
    let _agent = relay.demo_agent().await;
    while last != 2 {
        last = position(&mut shoppers[2].0).await;
    }
    while position(&mut shoppers[1].0).await != 1 {}
}

#[tokio::test]
async fn the_queue_counts_only_shoppers_waiting_live() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let (mut first, _) = visitor(&relay, None).await;
    say(&mut first, "m", "first in line").await;
    // A message left for an email answer is not in the live queue...
    let (mut left, _) = visitor(&relay, None).await;
    left.acked(json!({"type": "leave_message", "client_id": "l", "email": "jan@example.com", "text": "later"})).await;
    // ...nor is a shopper who has gone away.
    let (mut gone, _) = visitor(&relay, None).await;
    say(&mut gone, "m", "bye").await;
    gone.close().await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (mut last, token) = visitor(&relay, None).await;
    last.skip_notices = false;
    let (conversation, _) = say(&mut last, "m", "me too").await;
    let position = loop {
        if let ServerFrame::Queue { position, .. } = last.recv().await {
            break position;
        }
    };
    assert_eq!(position, 2);

    // Coming back (a reload), the shopper is told their place at once.
    last.close().await;
    let mut back = Client::visitor(relay.addr).await;
    back.skip_notices = false;
    back.send_json(json!({"type": "hello", "shop": "demo", "token": token, "conversation_id": conversation})).await;
    let frames = back.recv_until(|f| matches!(f, ServerFrame::Queue { .. })).await;
    assert!(matches!(frames.last(), Some(ServerFrame::Queue { position: 2, .. })), "{frames:?}");
}

#[tokio::test]
async fn queue_places_follow_shoppers_leaving_and_coming_back() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let (mut first, token) = visitor(&relay, None).await;
    let (conversation, _) = say(&mut first, "m", "first").await;
    let (mut second, _) = visitor(&relay, None).await;
    second.skip_notices = false;
    say(&mut second, "m", "second").await;
    async fn next_position(client: &mut Client) -> u32 {
        loop {
            if let ServerFrame::Queue { position, .. } = client.recv().await {
                return position;
            }
        }
    }
    while next_position(&mut second).await != 2 {}
    // The first shopper closes the tab: the second is next.
    first.close().await;
    while next_position(&mut second).await != 1 {}
    // They come back, and have their place again; the second shopper is told.
    let mut back = Client::visitor(relay.addr).await;
    back.send_json(json!({"type": "hello", "shop": "demo", "token": token, "conversation_id": conversation})).await;
    while next_position(&mut second).await != 2 {}
}

#[tokio::test]
async fn an_ended_chat_can_be_rated_once_and_the_shoppers_next_message_reopens_it_with_its_agent() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let (mut shopper, _) = visitor(&relay, None).await;
    let (conversation, _) = say(&mut shopper, "q", "question").await;
    let mut agent = relay.demo_agent().await;
    // Stored before the shopper's request below, so the log's order is known.
    agent.acked(json!({"type": "send", "conversation_id": conversation, "client_id": "a", "text": "answer"})).await;
    // The shopper asks for the transcript: it goes when the chat ends, once, however often the
    // chat is reopened and ended again.
    shopper.acked(json!({"type": "email_transcript", "client_id": "t", "email": "sara@example.com"})).await;
    // Rating before the end is refused.
    shopper.send_json(json!({"type": "rate", "client_id": "r0", "score": 5})).await;
    assert_eq!(next_error(&mut shopper).await.0, ErrorCode::BadFrame);

    agent.send_json(json!({"type": "close", "conversation_id": conversation})).await;
    loop {
        if let ServerFrame::Event { event } = shopper.recv().await
            && event.body == (EventBody::Closed { reason: None })
        {
            break;
        }
    }
    // Messages into the ended conversation are refused for the agent...
    agent.send_json(json!({"type": "send", "conversation_id": conversation, "client_id": "late", "text": "x"})).await;
    assert_eq!(next_error(&mut agent).await.0, ErrorCode::ConversationClosed);

    let comment = "quick and kind, paid with 4242 4242 4242 4242";
    shopper.send_json(json!({"type": "rate", "client_id": "r1", "score": 4, "comment": comment})).await;
    let frames = shopper
        .recv_until(|f| matches!(f, ServerFrame::Event { event } if matches!(event.body, EventBody::Rated { .. })))
        .await;
    let rated = frames.iter().find_map(|f| match f {
        ServerFrame::Event { event } => match &event.body {
            EventBody::Rated { score, comment } => Some((event.conversation_id.to_string(), *score, comment.clone())),
            _ => None,
        },
        _ => None,
    });
    let masked = Some("quick and kind, paid with **** **** **** 4242".to_owned());
    assert_eq!(rated, Some((conversation.clone(), 4, masked)), "the comment's card number is masked");
    shopper.send_json(json!({"type": "rate", "client_id": "r2", "score": 1})).await;
    assert!(next_error(&mut shopper).await.1.contains("already rated"));
    shopper.send_json(json!({"type": "rate", "client_id": "r3", "score": 9})).await;
    assert_eq!(next_error(&mut shopper).await.0, ErrorCode::BadFrame);

    // ...while the shopper's next message opens it again: the same conversation, its history
    // going on, and its agent (online, with room) takes it back at once.
    let (next, _) = say(&mut shopper, "again", "one more question").await;
    assert_eq!(next, conversation);
    let row = inbox_row(&relay, &next).await;
    assert_eq!(row.status, ConversationStatus::Active);
    assert_eq!(row.assigned_agent.map(|a| a.name).as_deref(), Some("Anna de Vries"));
    let kinds = event_kinds(&dir.path().join("chat.db"), &conversation);
    assert_eq!(
        kinds,
        ["message", "joined", "message", "transcript_requested", "closed", "rated", "reopened", "joined", "message"]
    );

    // Ended again, a resend of that message (a reconnecting widget) is the stored one: it
    // reopens nothing.
    agent.send_json(json!({"type": "close", "conversation_id": conversation})).await;
    shopper
        .recv_until(|f| matches!(f, ServerFrame::Event { event } if event.body == (EventBody::Closed { reason: None })))
        .await;
    say(&mut shopper, "again", "one more question").await;
    assert_eq!(event_kinds(&dir.path().join("chat.db"), &conversation).last().map(String::as_str), Some("closed"));
    let database = rusqlite::Connection::open(dir.path().join("chat.db")).unwrap();
    let emails: i64 = database
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE conversation_id = ?1 AND kind = 'transcript_email'",
            [&conversation],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(emails, 1, "one transcript email for the conversation, though it ended twice");

    // With its agent away, a reopened chat waits in the queue like a new one.
    agent.send_json(json!({"type": "set_status", "status": "away"})).await;
    // A socket's frames are handled in order: the pong says the status is set.
    agent.send_json(json!({"type": "ping"})).await;
    agent.recv_until(|f| matches!(f, ServerFrame::Pong)).await;
    say(&mut shopper, "third", "and another").await;
    let row = inbox_row(&relay, &conversation).await;
    assert_eq!((row.status, row.assigned_agent), (ConversationStatus::Waiting, None));
}

/// The kinds of a conversation's events in order, read from the database file.
fn event_kinds(database: &std::path::Path, conversation: &str) -> Vec<String> {
    let database = rusqlite::Connection::open(database).unwrap();
    let mut query = database
        .prepare("SELECT json_extract(body, '$.kind') FROM events WHERE conversation_id = ?1 ORDER BY seq")
        .unwrap();
    query.query_map([conversation], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
}

#[tokio::test]
async fn with_nobody_online_a_shopper_leaves_a_message_agents_find() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let (mut shopper, _) = visitor(&relay, None).await;
    shopper.send_json(json!({"type": "leave_message", "client_id": "l", "email": "not an email", "text": "x"})).await;
    assert_eq!(next_error(&mut shopper).await.0, ErrorCode::BadFrame);
    let (conversation, _) = shopper.acked(json!({"type": "leave_message", "client_id": "l2", "email": "jan@example.com", "text": "Do you ship to Norway?"}),
    )
    .await;
    let row = inbox_row(&relay, &conversation).await;
    assert_eq!(row.contact_email.as_deref(), Some("jan@example.com"));
    assert_eq!(row.last_message.as_deref(), Some("Do you ship to Norway?"));
}

/// A minimal SMTP server on loopback that keeps every message it is given.
struct SmtpSink {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    async fn start(port: u16) -> SmtpSink {
        Self::start_with(port, None).await
    }

    /// A sink that refuses every recipient for good (550), as for a mailbox that does not exist.
    async fn start_refusing(port: u16) -> SmtpSink {
        Self::start_with(port, Some(("RCPT", "550 no such mailbox"))).await
    }

    /// A sink that refuses the relay as a sender (554), as for relaying that is not allowed.
    async fn start_refusing_sender(port: u16) -> SmtpSink {
        Self::start_with(port, Some(("MAIL", "554 relaying denied"))).await
    }

    /// `refuse`: a command and the reply it always gets.
    async fn start_with(port: u16, refuse: Option<(&'static str, &'static str)>) -> SmtpSink {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind the SMTP sink");
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&messages);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = Arc::clone(&kept);
                tokio::spawn(async move {
                    let _ = smtp_session(stream, kept, refuse).await;
                });
            }
        });
        SmtpSink { port, messages }
    }
}

async fn smtp_session(
    stream: tokio::net::TcpStream,
    kept: Arc<Mutex<Vec<String>>>,
    refuse: Option<(&'static str, &'static str)>,
) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    writer.write_all(b"220 sink ready\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        if let Some((command, answer)) = refuse
            && verb == command
        {
            writer.write_all(format!("{answer}\r\n").as_bytes()).await?;
            continue;
        }
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 sink\r\n",
            "DATA" => {
                writer.write_all(b"354 end with a dot\r\n").await?;
                let mut message = String::new();
                while let Some(data) = lines.next_line().await? {
                    if data == "." {
                        break;
                    }
                    message.push_str(&data);
                    message.push('\n');
                }
                kept.lock().unwrap().push(message);
                b"250 kept\r\n"
            }
            "QUIT" => {
                writer.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"250 ok\r\n",
        };
        writer.write_all(reply).await?;
    }
    Ok(())
}

/// A relay whose SMTP server is on `port` of loopback.
fn relay_mailing_through(dir: &std::path::Path, port: u16) -> Relay {
    let config = dir.join("relay.toml");
    std::fs::write(
        &config,
        format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"Shop <support@shop.example>\"\n\n\
             [[shops]]\nid = \"demo\"\nname = \"Nordhavn Coffee\"\n"
        ),
    )
    .unwrap();
    Relay::start_with(&dir.join("chat.db"), &["--config", config.to_str().unwrap()])
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn a_requested_transcript_is_emailed_when_the_chat_ends_even_if_smtp_was_down() {
    let dir = tempfile::tempdir().unwrap();
    // A port for the sink, kept closed for now: the mail server is "down".
    let port = free_port();
    let relay = relay_mailing_through(dir.path(), port);
    let (mut shopper, _) = visitor(&relay, None).await;
    let (conversation, _) = say(&mut shopper, "q", "Where is order NH-204118?").await;
    shopper.acked(json!({"type": "email_transcript", "client_id": "t", "email": "sara@example.com"})).await;
    let mut agent = relay.demo_agent().await;
    agent
        .send_json(json!({"type": "send", "conversation_id": conversation, "client_id": "a", "text": "It left today."}))
        .await;
    agent.send_json(json!({"type": "close", "conversation_id": conversation})).await;

    // The first delivery fails (nothing listens); the outbox keeps it and retries.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sink = SmtpSink::start(port).await;
    assert_eq!(sink.port, port);
    let message = support::eventually_some(Duration::from_secs(30), || {
        let messages = sink.messages.lock().unwrap();
        messages.first().cloned()
    })
    .await;
    assert!(message.contains("To: sara@example.com"), "{message}");
    assert!(message.contains("Where is order NH-204118?") && message.contains("It left today."), "{message}");
    assert!(message.contains("Nordhavn Coffee"), "{message}");
    // One transcript email per conversation: asking again (for any address) is refused.
    shopper.send_json(json!({"type": "email_transcript", "client_id": "t2", "email": "other@example.com"})).await;
    assert!(next_error(&mut shopper).await.1.contains("already been emailed"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages.lock().unwrap().len(), 1, "delivered once");
    let queued: i64 = rusqlite::Connection::open(dir.path().join("chat.db"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM outbox", [], |row| row.get(0))
        .unwrap();
    assert_eq!(queued, 1);
}

#[tokio::test]
async fn an_email_the_server_refuses_for_good_is_given_up_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start_refusing(free_port()).await;
    let relay = relay_mailing_through(dir.path(), sink.port);
    let (mut shopper, _) = visitor(&relay, None).await;
    let (conversation, _) = say(&mut shopper, "q", "question").await;
    shopper.acked(json!({"type": "email_transcript", "client_id": "t", "email": "nobody@example.com"})).await;
    let mut agent = relay.demo_agent().await;
    agent.send_json(json!({"type": "close", "conversation_id": conversation})).await;
    let database = rusqlite::Connection::open(dir.path().join("chat.db")).unwrap();
    let (attempts, error) = support::eventually_some(Duration::from_secs(20), || {
        database
            .query_row("SELECT attempts, last_error FROM outbox WHERE gave_up_at IS NOT NULL", [], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })
            .ok()
    })
    .await;
    assert_eq!(attempts, 1, "a permanent refusal is not retried");
    assert!(error.contains("for good"), "{error}");
    assert!(sink.messages.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_mail_server_refusing_the_relay_itself_is_retried_not_given_up() {
    // 554 to MAIL FROM: a relaying or policy problem of the relay's own configuration, which its
    // owner can fix; the email must still go out then.
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start_refusing_sender(free_port()).await;
    let relay = relay_mailing_through(dir.path(), sink.port);
    let (mut shopper, _) = visitor(&relay, None).await;
    let (conversation, _) = say(&mut shopper, "q", "question").await;
    shopper.acked(json!({"type": "email_transcript", "client_id": "t", "email": "sara@example.com"})).await;
    let mut agent = relay.demo_agent().await;
    agent.send_json(json!({"type": "close", "conversation_id": conversation})).await;
    let database = rusqlite::Connection::open(dir.path().join("chat.db")).unwrap();
    let (gave_up, error) = support::eventually_some(Duration::from_secs(20), || {
        database
            .query_row("SELECT gave_up_at IS NOT NULL, last_error FROM outbox WHERE attempts >= 1", [], |row| {
                Ok((row.get::<_, bool>(0)?, row.get::<_, String>(1)?))
            })
            .ok()
    })
    .await;
    assert!(!gave_up, "retried later, not given up: {error}");
}

#[tokio::test]
async fn the_console_and_the_widget_are_told_whether_mail_can_be_sent() {
    let dir = tempfile::tempdir().unwrap();
    let without = Relay::start(&dir.path().join("plain.db"));
    assert!(!mail_configured(&without).await, "no [smtp]: transcripts wait, and admins are told");
    assert!(!widget_offers_mail(&without).await, "no [smtp]: the widget offers no email");
    let with = relay_mailing_through(dir.path(), free_port());
    assert!(mail_configured(&with).await);
    assert!(widget_offers_mail(&with).await);
}

/// What the welcome tells a shopper's widget of the relay's mail.
async fn widget_offers_mail(relay: &Relay) -> bool {
    let mut shopper = Client::visitor(relay.addr).await;
    shopper.send_json(json!({"type": "hello", "shop": "demo"})).await;
    match shopper.recv().await {
        ServerFrame::Welcome { mail, .. } => mail,
        other => panic!("expected the welcome, got {other:?}"),
    }
}

/// What `/v1/agent/me` says of the relay's mail, for the demo agent.
async fn mail_configured(relay: &Relay) -> bool {
    let cookie = relay.login(support::DEMO_EMAIL, support::DEMO_PASSWORD).await.expect("the demo agent logs in");
    let me = reqwest::Client::new().get(relay.http("/v1/agent/me")).header("cookie", cookie).send().await.unwrap();
    me.json::<checkout_chat_protocol::api::SessionInfo>().await.unwrap().mail_configured
}

/// Two tabs of one shopper write at the same moment after the end: one reopening, both messages
/// in the one conversation.
#[tokio::test]
async fn two_tabs_writing_after_the_end_reopen_the_chat_once() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let (mut first, token) = visitor(&relay, None).await;
    let (conversation, _) = say(&mut first, "q", "question").await;
    let mut agent = relay.demo_agent().await;
    agent.send_json(json!({"type": "close", "conversation_id": conversation})).await;
    first
        .recv_until(|f| matches!(f, ServerFrame::Event { event } if matches!(event.body, EventBody::Closed { .. })))
        .await;
    let mut second = Client::visitor(relay.addr).await;
    second.send_json(json!({"type": "hello", "shop": "demo", "token": token, "conversation_id": conversation})).await;
    second.recv_until(|f| matches!(f, ServerFrame::Synced { .. })).await;
    let ((a, _), (b, _)) =
        tokio::join!(say(&mut first, "t1", "from one tab"), say(&mut second, "t2", "from the other"));
    assert_eq!((a.as_str(), b.as_str()), (conversation.as_str(), conversation.as_str()));
    let kinds = event_kinds(&dir.path().join("chat.db"), &conversation);
    assert_eq!(kinds.iter().filter(|k| *k == "reopened").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "message").count(), 3, "{kinds:?}");
}
