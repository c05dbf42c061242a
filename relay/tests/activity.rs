//! Cart, checkout and page activity, proactive prompts and the report, with the real relay and
//! real WebSocket clients: batches are stored once and acknowledged, shown to the conversation's
//! agent (history on open, then live), bad ones refused by name; a reply to a prompt starts a
//! conversation that shows the rule; `relay report` and `/v1/agent/report` count what happened.

mod support;

use std::process::Command;

use checkout_chat_protocol::settings::ShopFace;
use checkout_chat_protocol::{ActivityBody, ErrorCode, EventBody, ServerFrame};
use serde_json::{Value, json};
use support::{Client, Relay};

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A visitor after `hello` in browser session `session`: the client, its token and the rules the
/// relay sent.
async fn visitor(relay: &Relay, session: &str, token: Option<&str>) -> (Client, String, Option<String>) {
    let mut client = Client::visitor(relay.addr).await;
    client.send_json(json!({"type": "hello", "shop": "demo", "session_id": session, "token": token})).await;
    match client.recv().await {
        ServerFrame::Welcome { token, shop, .. } => (client, token.to_string(), shop.rules),
        other => panic!("expected welcome, got {other:?}"),
    }
}

/// Sends an activity batch and waits for its ack; the visitor never gets activity frames back.
async fn activity(client: &mut Client, batch: &str, events: Value) {
    client.send_json(json!({"type": "activity", "batch_id": batch, "events": events})).await;
    loop {
        match client.recv().await {
            ServerFrame::ActivityAck { batch_id } if batch_id.as_str() == batch => return,
            ServerFrame::Error { message, .. } => panic!("batch {batch} refused: {message}"),
            ServerFrame::VisitorActivity { .. } => panic!("a shopper's activity is not echoed to the shopper"),
            _ => {}
        }
    }
}

async fn say(client: &mut Client, id: &str, text: &str, prompt: Option<&str>) -> (String, u64) {
    client.acked(json!({"type": "send", "client_id": id, "text": text, "prompt": prompt})).await
}

fn at(offset_ms: i64) -> i64 {
    now_ms() + offset_ms
}

/// The agent opens the conversation: its events (until synced) and the shopper's activity history.
async fn open(agent: &mut Client, conversation: &str) -> (Vec<EventBody>, Vec<ActivityBody>) {
    agent.send_json(json!({"type": "open", "conversation_id": conversation})).await;
    let mut events = Vec::new();
    loop {
        match agent.recv().await {
            ServerFrame::Event { event } if event.conversation_id.as_str() == conversation => events.push(event.body),
            ServerFrame::VisitorActivity { history: true, events: activity, .. } => {
                return (events, activity.into_iter().map(|a| a.body).collect());
            }
            _ => {}
        }
    }
}

async fn next_live_activity(agent: &mut Client) -> Vec<ActivityBody> {
    loop {
        if let ServerFrame::VisitorActivity { history: false, events, .. } = agent.recv().await {
            return events.into_iter().map(|a| a.body).collect();
        }
    }
}

#[tokio::test]
async fn activity_is_stored_once_and_shown_to_the_agent_of_the_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("relay.db"));
    let (mut shopper, token, rules) = visitor(&relay, "session-1", None).await;
    let rules = checkout_chat_rules::wire::decode(&rules.expect("the demo shop has rules")).unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["payment-help", "leaving-with-cart", "coupon-trouble"]);
    // None of the demo rules says when agents must be online: each reaches the widget speaking
    // only while one is.
    for rule in &rules {
        let checkout_chat_rules::Condition::All(conditions) = &rule.when else {
            panic!("{}: {:?}", rule.id, rule.when)
        };
        assert_eq!(conditions.last(), Some(&checkout_chat_rules::Condition::AgentsOnline(true)), "{}", rule.id);
    }

    // Before any chat: stored, acknowledged, and a resend is stored once.
    let browsing = json!([
        {"at_ms": at(-2000), "body": {"kind": "page_view", "path": "/shop/", "title": "Shop", "referrer": ""}},
        {"at_ms": at(-1000), "body": {"kind": "cart", "currency": "EUR", "total": 5490,
            "items": [{"sku": "beans-1kg", "name": "Beans", "qty": 2, "price": 2745}]}},
    ]);
    activity(&mut shopper, "b1", browsing.clone()).await;
    activity(&mut shopper, "b1", browsing).await;

    let (conversation, _) = say(&mut shopper, "m1", "Is shipping free?", None).await;
    let mut agent = relay.demo_agent().await;
    let (_, history) = open(&mut agent, &conversation).await;
    let kinds: Vec<&str> = history.iter().map(ActivityBody::kind).collect();
    assert_eq!(kinds, ["page_view", "cart", "chat_started"], "each once, in order");

    // Live: the next batch reaches the agent, not the shopper.
    activity(&mut shopper, "b2", json!([{"at_ms": at(0), "body": {"kind": "checkout_step", "step": "payment"}}])).await;
    assert_eq!(next_live_activity(&mut agent).await, [ActivityBody::CheckoutStep { step: "payment".into() }]);

    // A bad batch is refused by name, carrying its id, and the socket goes on.
    shopper
        .send_json(json!({"type": "activity", "batch_id": "b3", "events": [
            {"at_ms": at(0), "body": {"kind": "page_view", "path": "/", "title": "", "referrer": ""}},
            {"at_ms": at(0), "body": {"kind": "cart", "currency": "EUR", "total": -5, "items": []}}]}))
        .await;
    match shopper.recv().await {
        ServerFrame::Error { code: ErrorCode::BadFrame, message, client_id } => {
            assert!(message.contains("activity 1") && message.contains("total"), "{message}");
            assert_eq!(client_id.map(|c| c.to_string()).as_deref(), Some("b3"));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    for (batch, forged) in [
        ("b4", json!([{"at_ms": 1, "body": {"kind": "chat_started", "conversation_id": conversation}}])),
        ("b5", json!([])),
    ] {
        shopper.send_json(json!({"type": "activity", "batch_id": batch, "events": forged})).await;
        assert!(matches!(shopper.recv().await, ServerFrame::Error { code: ErrorCode::BadFrame, .. }), "{batch}");
    }
    activity(&mut shopper, "b6", json!([{"at_ms": at(0), "body": {"kind": "custom", "name": "coupon_failed"}}])).await;
    assert_eq!(
        next_live_activity(&mut agent).await,
        [ActivityBody::Custom { name: "coupon_failed".into(), data: None }]
    );

    // After a reconnect (same visitor), a new agent sees the whole history once.
    shopper.close().await;
    let (_shopper, _, _) = visitor(&relay, "session-1", Some(&token)).await;
    let mut second_agent = relay.demo_agent().await;
    let (_, history) = open(&mut second_agent, &conversation).await;
    let kinds: Vec<&str> = history.iter().map(ActivityBody::kind).collect();
    assert_eq!(kinds, ["page_view", "cart", "chat_started", "checkout_step", "custom"]);
}

#[tokio::test]
async fn a_reply_to_a_prompt_starts_a_chat_with_the_rule_and_the_report_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("relay.db");
    let relay = Relay::start(&database);

    // Session A: shown, accepted by replying, chatted, ordered.
    let (mut a, _, _) = visitor(&relay, "session-a", None).await;
    activity(&mut a, "a1", json!([{"at_ms": at(0), "body": {"kind": "prompt_shown", "rule_id": "payment-help"}}]))
        .await;
    let (conversation, seq) = say(&mut a, "a-m1", "Which payment methods can I use?", Some("payment-help")).await;
    assert_eq!(seq, 2, "the prompt comes first");
    // The ack was lost, say: the resend changes nothing.
    assert_eq!(say(&mut a, "a-m1", "Which payment methods can I use?", Some("payment-help")).await.1, 2);
    activity(
        &mut a,
        "a2",
        json!([{"at_ms": at(0), "body": {"kind": "prompt_accepted", "rule_id": "payment-help"}},
               {"at_ms": at(0), "body": {"kind": "order_completed", "order_id": "NC-1", "total": 5490, "currency": "EUR"}}]),
    )
    .await;
    let mut agent = relay.demo_agent().await;
    let (events, history) = open(&mut agent, &conversation).await;
    assert_eq!(
        events,
        [
            EventBody::Prompted {
                rule_id: "payment-help".into(),
                message: "Any questions about paying? We're here to help.".into()
            },
            EventBody::Message { text: "Which payment methods can I use?".into() },
            // The agent, coming online, was given the waiting chat.
            EventBody::Joined,
        ]
    );
    assert!(history.contains(&ActivityBody::ChatStarted {
        conversation_id: checkout_chat_protocol::ConversationId::new(conversation.clone()).unwrap(),
        rule_id: Some("payment-help".into())
    }));

    // Session B: shown, dismissed, no order. Session C: no prompt, an order. Session D: a
    // message naming a rule the shop does not have starts a plain chat.
    let (mut b, _, _) = visitor(&relay, "session-b", None).await;
    activity(
        &mut b,
        "b1",
        json!([{"at_ms": at(0), "body": {"kind": "prompt_shown", "rule_id": "payment-help"}},
               {"at_ms": at(0), "body": {"kind": "prompt_dismissed", "rule_id": "payment-help"}}]),
    )
    .await;
    let (mut c, _, _) = visitor(&relay, "session-c", None).await;
    activity(
        &mut c,
        "c1",
        json!([{"at_ms": at(0), "body": {"kind": "order_completed", "order_id": "NC-2", "total": 1200, "currency": "EUR"}}]),
    )
    .await;
    let (mut d, _, _) = visitor(&relay, "session-d", None).await;
    let (plain, seq) = say(&mut d, "d-m1", "Hello", Some("no-such-rule")).await;
    assert_eq!(seq, 1);
    let (events, _) = open(&mut agent, &plain).await;
    assert_eq!(events, [EventBody::Message { text: "Hello".into() }, EventBody::Joined], "no prompt before it");

    // The command line and the console's endpoint tell the same.
    let output = Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["--database"])
        .arg(&database)
        .args(["report", "--shop", "demo", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rule = &report["rules"][0];
    assert_eq!(rule["rule_id"], "payment-help");
    assert_eq!((rule["shown"].as_u64(), rule["accepted"].as_u64()), (Some(2), Some(1)));
    assert_eq!((rule["dismissed"].as_u64(), rule["chats"].as_u64()), (Some(1), Some(1)));
    assert_eq!(rule["accepted_sessions"], json!({"sessions": 1, "converted": 1}));
    assert_eq!(rule["ignored_sessions"], json!({"sessions": 1, "converted": 0}));
    assert_eq!(report["no_prompt_sessions"], json!({"sessions": 2, "converted": 1}), "sessions C and D");
    assert_eq!(report["all_sessions"], json!({"sessions": 4, "converted": 2}));

    let text = Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["--database"])
        .arg(&database)
        .args(["report", "--shop", "demo"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("accepted:   50.0 % (1 of 2)"), "{text}");

    let http = reqwest::Client::new();
    let refused = http.get(relay.http("/v1/agent/report")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let cookie = relay.login(support::DEMO_EMAIL, support::DEMO_PASSWORD).await.unwrap();
    let from_console: Value =
        http.get(relay.http("/v1/agent/report")).header("cookie", &cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(from_console["rules"], report["rules"]);
    let bad = http.get(relay.http("/v1/agent/report?from=yesterday")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    // A period before anything happened is empty, not an error.
    let empty: Value = http
        .get(relay.http("/v1/agent/report?from=2020-01-01&to=2020-01-31"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(empty["all_sessions"], json!({"sessions": 0, "converted": 0}));
}

#[tokio::test]
async fn the_watchers_socket_only_sends_activity_and_reaches_the_chat_begun_on_another_socket() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("relay.db"));
    // The watcher says hello first (a new visitor), the chat app later with the same token.
    let mut watcher = Client::visitor(relay.addr).await;
    watcher.send_json(json!({"type": "hello", "shop": "demo", "session_id": "s1", "activity_only": true})).await;
    let ServerFrame::Welcome { token, conversation_id: None, shop: ShopFace { rules: Some(_), .. }, .. } =
        watcher.recv().await
    else {
        panic!("the watcher gets a welcome with the rules and no conversation")
    };
    watcher.send_json(json!({"type": "send", "client_id": "w1", "text": "hi"})).await;
    let ServerFrame::Error { code: ErrorCode::BadFrame, message, .. } = watcher.recv().await else { panic!() };
    assert!(message.contains("activity_only"), "{message}");

    let mut chat = Client::visitor(relay.addr).await;
    chat.send_json(
        json!({"type": "hello", "shop": "demo", "session_id": "s1", "token": token.to_string(), "locale": "nl-NL"}),
    )
    .await;
    assert!(matches!(chat.recv().await, ServerFrame::Welcome { .. }));
    let (conversation, _) = say(&mut chat, "m1", "Hoe kan ik betalen?", Some("payment-help")).await;
    let mut agent = relay.demo_agent().await;
    let (events, _) = open(&mut agent, &conversation).await;
    assert_eq!(
        events[0],
        EventBody::Prompted {
            rule_id: "payment-help".into(),
            message: "Vragen over het betalen? We helpen je graag.".into()
        },
        "the prompt as the shopper read it"
    );

    // The watcher's socket knew no conversation, yet its activity reaches the agent; a forged
    // rule in it is left out, the rest counts.
    activity(
        &mut watcher,
        "b1",
        json!([{"at_ms": at(0), "body": {"kind": "prompt_shown", "rule_id": "made-up"}},
               {"at_ms": at(0), "body": {"kind": "checkout_step", "step": "payment"}}]),
    )
    .await;
    assert_eq!(next_live_activity(&mut agent).await, [ActivityBody::CheckoutStep { step: "payment".into() }]);

    // A batch from a browser whose clock is a day ahead is stored (and shown) as of now.
    activity(&mut watcher, "b2", json!([{"at_ms": at(86_400_000), "body": {"kind": "custom", "name": "late"}}])).await;
    let shown_at = loop {
        if let ServerFrame::VisitorActivity { history: false, events, .. } = agent.recv().await {
            break events[0].at_ms;
        }
    };
    assert!(shown_at <= now_ms(), "stored and shown as of the relay's clock, not a day ahead");
    let (_, history) = open(&mut relay.demo_agent().await, &conversation).await;
    assert!(!history.iter().any(|a| a.rule_id() == Some("made-up")), "{history:?}");
}
