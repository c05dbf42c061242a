//! Routing over real WebSockets against the real relay: capacity, least-loaded assignment, the
//! first-come queue draining in order, claims, transfers that keep the history, and chats going
//! back to the queue when their agent stays offline.

mod support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use checkout_chat_protocol::api::AgentAccount;
use checkout_chat_protocol::{Author, ConversationStatus, ConversationSummary, ErrorCode, EventBody, ServerFrame};
use serde_json::json;
use support::{Client, DEMO_EMAIL, DEMO_PASSWORD, Relay};

const CAPACITY: usize = 5;

/// Creates an agent of the demo shop through the admin endpoint and returns their session.
async fn add_agent(relay: &Relay, admin: &str, email: &str, name: &str) -> (AgentAccount, String) {
    let password = format!("{name}-password-1");
    let response = reqwest::Client::new()
        .post(relay.http("/v1/admin/agents"))
        .header("cookie", admin)
        .json(&json!({ "email": email, "name": name, "password": password, "capacity": CAPACITY }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let account = response.json().await.unwrap();
    (account, relay.login(email, &password).await.expect("the new agent logs in"))
}

fn is_back_in_queue(frame: &ServerFrame, conversation: &str) -> bool {
    matches!(frame, ServerFrame::ConversationUpdated { conversation: row }
        // Waiting after the message (seq 1) and Anna's joined (2): the handover to nobody.
        if row.id.as_str() == conversation && row.status == ConversationStatus::Waiting
            && row.assigned_agent.is_none() && row.last_seq > 2)
}

async fn agent_socket(relay: &Relay, cookie: &str) -> Client {
    let mut agent = Client::agent(relay.addr, cookie).await.expect("agent socket opens");
    assert!(matches!(agent.recv().await, ServerFrame::AgentWelcome { .. }));
    agent
}

async fn shopper(relay: &Relay) -> Client {
    let mut client = Client::visitor(relay.addr).await;
    client.send_json(json!({"type": "hello", "shop": "demo"})).await;
    assert!(matches!(client.recv().await, ServerFrame::Welcome { .. }));
    client
}

/// The shop's open conversations, as a console connecting now sees them.
async fn inbox(relay: &Relay) -> Vec<ConversationSummary> {
    relay.demo_agent_with_welcome().await
}

fn loads(inbox: &[ConversationSummary]) -> HashMap<String, usize> {
    let mut loads = HashMap::new();
    for agent in inbox.iter().filter_map(|c| c.assigned_agent.as_ref()) {
        *loads.entry(agent.name.clone()).or_insert(0) += 1;
    }
    loads
}

/// Waits for the `joined` of some agent in the client's conversation; returns the agent's name.
async fn joined(client: &mut Client) -> String {
    loop {
        if let ServerFrame::Event { event } = client.recv().await
            && let (EventBody::Joined, Author::Agent(agent)) = (&event.body, &event.author)
        {
            return agent.name.clone();
        }
    }
}

async fn error_code(client: &mut Client) -> (ErrorCode, String) {
    loop {
        if let ServerFrame::Error { code, message, .. } = client.recv().await {
            return (code, message);
        }
    }
}

/// Everything stored in a conversation, as an agent opening it gets it.
async fn history(agent: &mut Client, conversation: &str) -> Vec<(Author, EventBody)> {
    agent.send_json(json!({"type": "open", "conversation_id": conversation})).await;
    let mut events = Vec::new();
    loop {
        match agent.recv().await {
            ServerFrame::Event { event } if event.conversation_id.as_str() == conversation => {
                events.push((event.author, event.body));
            }
            ServerFrame::Synced { conversation_id, .. } if conversation_id.as_str() == conversation => return events,
            _ => {}
        }
    }
}

#[tokio::test]
async fn three_agents_share_twenty_shoppers_within_capacity_and_the_queue_drains_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let anna_cookie = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let (_, sam_cookie) = add_agent(&relay, &anna_cookie, "sam@demo.example", "Sam").await;
    let (_, li_cookie) = add_agent(&relay, &anna_cookie, "li@demo.example", "Li").await;
    let mut agents = HashMap::new();
    for (name, cookie) in [("Anna de Vries", &anna_cookie), ("Sam", &sam_cookie), ("Li", &li_cookie)] {
        agents.insert(name.to_owned(), agent_socket(&relay, cookie).await);
    }

    // Twenty shoppers write, one after another.
    let mut shoppers = Vec::new();
    for i in 0..20 {
        let mut client = shopper(&relay).await;
        let (conversation, _) =
            client.acked(json!({"type": "send", "client_id": "hi", "text": format!("shopper {i}")})).await;
        shoppers.push((client, conversation));
    }
    let rows = inbox(&relay).await;
    let loads_now = loads(&rows);
    assert_eq!(
        loads_now.values().copied().collect::<Vec<_>>(),
        [CAPACITY; 3],
        "each agent is full, none over: {loads_now:?}"
    );
    // The fifteen who came first are being answered; the last five wait, in the order they came.
    let waiting: Vec<&str> =
        rows.iter().filter(|c| c.status == ConversationStatus::Waiting).map(|c| c.id.as_str()).collect();
    let last_five: Vec<&str> = shoppers[15..].iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(waiting, last_five);
    for (place, (client, _)) in shoppers[15..].iter_mut().enumerate() {
        client.skip_notices = false;
        let expected = u32::try_from(place + 1).unwrap();
        loop {
            if let ServerFrame::Queue { position, .. } = client.recv().await
                && position == expected
            {
                break;
            }
        }
        client.skip_notices = true;
    }

    // Agents end chats one at a time: each freed slot goes to the shopper waiting longest.
    let mut assigned_to: HashMap<String, String> =
        rows.iter().filter_map(|c| Some((c.id.to_string(), c.assigned_agent.as_ref()?.name.clone()))).collect();
    for (turn, name) in ["Sam", "Li", "Anna de Vries", "Sam", "Li"].into_iter().enumerate() {
        // One of the first fifteen chats (the later ones are checked below).
        let ending = shoppers[..15]
            .iter()
            .map(|(_, c)| c.clone())
            .find(|c| assigned_to.get(c).is_some_and(|agent| agent == name))
            .unwrap();
        assigned_to.remove(&ending);
        let agent = agents.get_mut(name).unwrap();
        agent.send_json(json!({"type": "close", "conversation_id": ending})).await;
        let (next, next_conversation) = &mut shoppers[15 + turn];
        assert_eq!(joined(next).await, name, "the oldest waiting shopper goes to the agent with room");
        assigned_to.insert(next_conversation.clone(), name.to_owned());
        let loads_now = loads(&inbox(&relay).await);
        assert!(loads_now.values().all(|&load| load <= CAPACITY), "{loads_now:?}");
    }
    assert!(inbox(&relay).await.iter().all(|c| c.status == ConversationStatus::Active), "the queue has drained");

    // Every message arrives once: each shopper writes three more, their agent answers each.
    for (client, _) in &mut shoppers[15..] {
        for m in 0..3 {
            client.acked(json!({"type": "send", "client_id": format!("m{m}"), "text": format!("more {m}")})).await;
        }
    }
    for (client, conversation) in &mut shoppers[15..] {
        let agent = agents.get_mut(&assigned_to[conversation.as_str()]).unwrap();
        let events = history(agent, conversation).await;
        let from_shopper: Vec<_> = events
            .iter()
            .filter_map(|(author, body)| match (author, body) {
                (Author::Visitor, EventBody::Message { text }) => Some(text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(from_shopper.len(), 4, "{from_shopper:?}");
        assert_eq!(from_shopper.iter().collect::<HashSet<_>>().len(), 4, "no message twice");
        agent
            .acked(json!({"type": "send", "conversation_id": conversation, "client_id": "answer", "text": "Thanks!"}))
            .await;
        let mut answers = 0;
        while let Some(frame) = client.try_recv(Duration::from_millis(300)).await {
            if let ServerFrame::Event { event } = frame
                && event.body == (EventBody::Message { text: "Thanks!".into() })
            {
                answers += 1;
            }
        }
        assert_eq!(answers, 1, "the answer reaches the shopper once");
    }
}

#[tokio::test]
async fn an_agent_can_claim_a_waiting_chat_but_not_one_another_agent_has() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let anna_cookie = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let (_, sam_cookie) = add_agent(&relay, &anna_cookie, "sam@demo.example", "Sam").await;
    let mut anna = agent_socket(&relay, &anna_cookie).await;
    anna.set_status("away").await;
    let mut sam = agent_socket(&relay, &sam_cookie).await;
    sam.set_status("away").await;
    let mut client = shopper(&relay).await;
    let (conversation, _) = client.acked(json!({"type": "send", "client_id": "q", "text": "anyone?"})).await;
    assert_eq!(inbox(&relay).await[0].status, ConversationStatus::Waiting, "nobody online takes it");

    anna.send_json(json!({"type": "claim", "conversation_id": conversation})).await;
    assert_eq!(joined(&mut client).await, "Anna de Vries");
    sam.send_json(json!({"type": "claim", "conversation_id": conversation})).await;
    let (code, message) = error_code(&mut sam).await;
    assert_eq!(code, ErrorCode::Forbidden);
    assert!(message.contains("another agent"), "{message}");
}

#[tokio::test]
async fn a_transfer_keeps_the_history_and_the_shopper_sees_only_who_joined() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let anna_cookie = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let (sam_account, sam_cookie) = add_agent(&relay, &anna_cookie, "sam@demo.example", "Sam").await;
    let mut sam = agent_socket(&relay, &sam_cookie).await;
    let mut client = shopper(&relay).await;
    client.skip_notices = true;
    let (conversation, _) =
        client.acked(json!({"type": "send", "client_id": "q", "text": "My order NC-7 arrived broken"})).await;
    assert_eq!(joined(&mut client).await, "Sam", "the only agent online takes it");
    sam.acked(json!({"type": "send", "conversation_id": conversation, "client_id": "a1", "text": "Sorry to hear! One moment."}))
        .await;

    // Anna is offline: a transfer to her is refused, as is one to nobody, or to no supervisor.
    let anna_id = relay.account(&anna_cookie, DEMO_EMAIL).await.agent.id;
    sam.send_json(json!({"type": "transfer", "conversation_id": conversation, "to": {"agent": anna_id}})).await;
    let (code, message) = error_code(&mut sam).await;
    assert_eq!(code, ErrorCode::Unavailable);
    assert!(message.contains("offline"), "{message}");
    sam.send_json(json!({"type": "transfer", "conversation_id": conversation, "to": {"agent": "no-such-agent"}})).await;
    assert_eq!(error_code(&mut sam).await.0, ErrorCode::NotFound);
    sam.send_json(json!({"type": "transfer", "conversation_id": conversation, "to": "supervisor"})).await;
    assert!(error_code(&mut sam).await.1.contains("no supervisor"));
    // Once Anna (an admin) is online, Sam hands it to a supervisor.
    let mut anna = agent_socket(&relay, &anna_cookie).await;
    sam.send_json(json!({"type": "transfer", "conversation_id": conversation, "to": "supervisor", "note": "Wants a refund; photos in the chat"}))
        .await;
    assert_eq!(joined(&mut client).await, "Anna de Vries", "the shopper sees who joined");

    let events = history(&mut anna, &conversation).await;
    let bodies: Vec<&EventBody> = events.iter().map(|(_, body)| body).collect();
    assert!(matches!(bodies[0], EventBody::Message { text } if text.contains("NC-7")), "the new agent sees it all");
    assert!(bodies.iter().any(|b| matches!(b, EventBody::Message { text } if text == "Sorry to hear! One moment.")));
    let handover = bodies.iter().find_map(|b| match b {
        EventBody::Handover { to, note } => Some((to.as_ref().map(|a| a.name.clone()), note.clone())),
        _ => None,
    });
    assert_eq!(handover, Some((Some("Anna de Vries".into()), Some("Wants a refund; photos in the chat".into()))));
    // And back to Sam by name; the shopper never receives a handover (it is for agents only).
    anna.send_json(json!({"type": "transfer", "conversation_id": conversation, "to": {"agent": sam_account.agent.id}}))
        .await;
    let mut shopper_saw = Vec::new();
    loop {
        if let ServerFrame::Event { event } = client.recv().await {
            let done = matches!((&event.body, &event.author), (EventBody::Joined, Author::Agent(a)) if a.name == "Sam");
            shopper_saw.push(event.body);
            if done {
                break;
            }
        }
    }
    assert!(!shopper_saw.iter().any(|b| matches!(b, EventBody::Handover { .. } | EventBody::Note { .. })));
}

#[tokio::test]
async fn chats_of_an_agent_offline_longer_than_the_limit_go_back_to_the_queue_with_their_history() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("relay.toml");
    std::fs::write(&config, "agent_offline_after_seconds = 2\n[[shops]]\nid = \"demo\"\nname = \"Demo\"\n").unwrap();
    let relay = Relay::start_with(&dir.path().join("chat.db"), &["--config", config.to_str().unwrap()]);
    let anna_cookie = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let (_, sam_cookie) = add_agent(&relay, &anna_cookie, "sam@demo.example", "Sam").await;
    let mut sam = agent_socket(&relay, &sam_cookie).await;
    sam.set_status("away").await;
    let anna = agent_socket(&relay, &anna_cookie).await;
    let mut client = shopper(&relay).await;
    let (conversation, _) =
        client.acked(json!({"type": "send", "client_id": "q", "text": "Do you ship to Oslo?"})).await;
    assert_eq!(joined(&mut client).await, "Anna de Vries");

    // A reload is not going offline: Anna is back within the limit and keeps the chat (Sam's
    // inbox, which shows every change, sees none in three seconds).
    anna.close().await;
    let anna = agent_socket(&relay, &anna_cookie).await;
    while let Some(frame) = sam.try_recv(Duration::from_secs(3)).await {
        assert!(!is_back_in_queue(&frame, &conversation), "requeued although Anna came back: {frame:?}");
    }

    // Gone for good: after the limit the chat waits again, and Sam, coming online, gets it.
    anna.close().await;
    while !is_back_in_queue(&sam.recv().await, &conversation) {}
    sam.set_status("online").await;
    assert_eq!(joined(&mut client).await, "Sam");
    let events = history(&mut sam, &conversation).await;
    assert!(matches!(&events[0].1, EventBody::Message { text } if text == "Do you ship to Oslo?"), "history kept");
    assert!(events.iter().any(|(_, body)| matches!(body, EventBody::Handover { to: None, .. })));
}
