//! The console's HTTP endpoints against the real relay: none answers without a session, the
//! admin ones only to an admin of the shop, and no shop sees or changes another's data.

mod support;

use checkout_chat_protocol::api::{AgentAccount, CannedResponse};
use checkout_chat_protocol::{ConversationSummary, ServerFrame};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{Client, DEMO_EMAIL, DEMO_PASSWORD, Relay};

/// Every HTTP endpoint an agent uses, with a body where it takes one.
fn agent_endpoints() -> Vec<(Method, &'static str, Option<serde_json::Value>)> {
    vec![
        (Method::GET, "/v1/agent/me", None),
        (Method::GET, "/v1/agent/report", None),
        (Method::GET, "/v1/agent/canned", None),
        (Method::PUT, "/v1/agent/canned/shipping", Some(json!({"text": "We ship in 2 days."}))),
        (Method::DELETE, "/v1/agent/canned/shipping", None),
        (Method::GET, "/v1/agent/conversations/closed", None),
        (Method::GET, "/v1/agent/conversations/some-id/earlier", None),
        (Method::GET, "/v1/admin/agents", None),
        (
            Method::POST,
            "/v1/admin/agents",
            Some(json!({"email": "x@demo.example", "name": "X", "password": "long-enough-1"})),
        ),
        (Method::PATCH, "/v1/admin/agents/some-id", Some(json!({"capacity": 2}))),
        (Method::GET, "/v1/admin/settings", None),
        (Method::PUT, "/v1/admin/settings", Some(json!({"name": "Taken over", "accent": "#000000"}))),
        (Method::GET, "/v1/admin/settings/changes", None),
        (Method::GET, "/v1/admin/rules", None),
        (Method::GET, "/v1/admin/install", None),
        (Method::PUT, "/v1/admin/rules", Some(json!([]))),
    ]
}

async fn call(
    relay: &Relay,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    body: Option<serde_json::Value>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new().request(method, relay.http(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

#[tokio::test]
async fn every_agent_endpoint_refuses_a_request_without_a_valid_session() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    for cookie in [None, Some("cc_session=not-a-session")] {
        for (method, path, body) in agent_endpoints() {
            let response = call(&relay, method.clone(), path, cookie, body).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path} with {cookie:?}");
        }
        let socket = Client::agent(relay.addr, cookie.unwrap_or_default()).await;
        assert_eq!(socket.err(), Some(401), "the agent socket with {cookie:?}");
    }
    // Nothing was changed by the refused requests.
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let canned: Vec<CannedResponse> =
        call(&relay, Method::GET, "/v1/agent/canned", Some(&admin), None).await.json().await.unwrap();
    assert!(canned.is_empty());
    let accounts: Vec<AgentAccount> =
        call(&relay, Method::GET, "/v1/admin/agents", Some(&admin), None).await.json().await.unwrap();
    assert_eq!(accounts.len(), 1);
}

#[tokio::test]
async fn admins_manage_canned_responses_and_accounts_and_agents_only_use_them() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let put = |cookie: String, shortcut: &'static str, text: &'static str| {
        let relay = &relay;
        async move {
            let path = format!("/v1/agent/canned/{shortcut}");
            call(relay, Method::PUT, &path, Some(&cookie), Some(json!({ "text": text }))).await.status()
        }
    };
    let text = "Hi {{name}}! We ship within 2 days; your cart is {{cart_total}}.";
    assert_eq!(put(admin.clone(), "shipping", text).await, StatusCode::NO_CONTENT);
    assert_eq!(put(admin.clone(), "shipping", "Replaced.").await, StatusCode::NO_CONTENT);
    assert_eq!(put(admin.clone(), "Bad Shortcut", "x").await, StatusCode::BAD_REQUEST);
    assert_eq!(put(admin.clone(), "empty", "   ").await, StatusCode::BAD_REQUEST);

    // An agent (not an admin) is added by the admin; they read the canned responses, and are
    // refused managing anything.
    let created = call(
        &relay,
        Method::POST,
        "/v1/admin/agents",
        Some(&admin),
        Some(json!({"email": "sam@demo.example", "name": "Sam", "password": "sam-password-1", "capacity": 3})),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let sam_account: AgentAccount = created.json().await.unwrap();
    assert_eq!((sam_account.capacity, sam_account.disabled), (3, false));
    let duplicate = call(
        &relay,
        Method::POST,
        "/v1/admin/agents",
        Some(&admin),
        Some(json!({"email": "SAM@demo.example", "name": "Sam again", "password": "sam-password-2"})),
    )
    .await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    let weak = call(
        &relay,
        Method::POST,
        "/v1/admin/agents",
        Some(&admin),
        Some(json!({"email": "weak@demo.example", "name": "Weak", "password": "short"})),
    )
    .await;
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);

    let sam = relay.login("sam@demo.example", "sam-password-1").await.unwrap();
    let canned: Vec<CannedResponse> =
        call(&relay, Method::GET, "/v1/agent/canned", Some(&sam), None).await.json().await.unwrap();
    assert_eq!(canned, [CannedResponse { shortcut: "shipping".into(), text: "Replaced.".into(), lang: None }]);
    assert_eq!(put(sam.clone(), "refunds", "No.").await, StatusCode::FORBIDDEN);
    for (method, path, body) in agent_endpoints().into_iter().filter(|(_, path, _)| path.starts_with("/v1/admin")) {
        let status = call(&relay, method.clone(), path, Some(&sam), body).await.status();
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} as an agent");
    }

    // The admin changes Sam's capacity and disables them (their session ends); the admin cannot
    // disable themselves.
    let path = format!("/v1/admin/agents/{}", sam_account.agent.id);
    let changed = call(&relay, Method::PATCH, &path, Some(&admin), Some(json!({"capacity": 7}))).await;
    assert_eq!(changed.json::<AgentAccount>().await.unwrap().capacity, 7);
    let too_many = call(&relay, Method::PATCH, &path, Some(&admin), Some(json!({"capacity": 500}))).await;
    assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);
    let disabled = call(&relay, Method::PATCH, &path, Some(&admin), Some(json!({"disabled": true}))).await;
    assert!(disabled.json::<AgentAccount>().await.unwrap().disabled);
    assert_eq!(call(&relay, Method::GET, "/v1/agent/me", Some(&sam), None).await.status(), StatusCode::UNAUTHORIZED);
    let accounts: Vec<AgentAccount> =
        call(&relay, Method::GET, "/v1/admin/agents", Some(&admin), None).await.json().await.unwrap();
    let me = accounts.iter().find(|a| a.email == DEMO_EMAIL).unwrap();
    let own = format!("/v1/admin/agents/{}", me.agent.id);
    let status = call(&relay, Method::PATCH, &own, Some(&admin), Some(json!({"disabled": true}))).await.status();
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Deleting: once, then it is gone.
    let delete = |cookie: String| {
        let relay = &relay;
        async move { call(relay, Method::DELETE, "/v1/agent/canned/shipping", Some(&cookie), None).await.status() }
    };
    assert_eq!(delete(admin.clone()).await, StatusCode::NO_CONTENT);
    assert_eq!(delete(admin.clone()).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_shortcut_keeps_a_version_per_language_beside_the_one_for_every_language() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let put = |body: serde_json::Value| {
        let (relay, admin) = (&relay, admin.clone());
        async move { call(relay, Method::PUT, "/v1/agent/canned/hello", Some(&admin), Some(body)).await.status() }
    };
    assert_eq!(put(json!({"text": "Hello {{name|there}}!"})).await, StatusCode::NO_CONTENT);
    assert_eq!(put(json!({"text": "Hallo {{name|daar}}!", "lang": "nl"})).await, StatusCode::NO_CONTENT);
    assert_eq!(put(json!({"text": "Hoi!", "lang": "nl"})).await, StatusCode::NO_CONTENT, "replaces the Dutch one");
    assert_eq!(put(json!({"text": "Same as none", "lang": ""})).await, StatusCode::NO_CONTENT);
    for bad in ["NL", "dutch", "n", "n1", "nl-NL"] {
        assert_eq!(put(json!({"text": "x", "lang": bad})).await, StatusCode::BAD_REQUEST, "{bad}");
    }
    let list = || async {
        let response = call(&relay, Method::GET, "/v1/agent/canned", Some(&admin), None).await;
        response.json::<Vec<CannedResponse>>().await.unwrap()
    };
    let version = |text: &str, lang: Option<&str>| CannedResponse {
        shortcut: "hello".into(),
        text: text.into(),
        lang: lang.map(Into::into),
    };
    assert_eq!(list().await, [version("Same as none", None), version("Hoi!", Some("nl"))]);

    // Removing the Dutch version leaves the other; removing an absent one is a 404.
    let delete = |query: &'static str| {
        let (relay, admin) = (&relay, admin.clone());
        async move {
            let path = format!("/v1/agent/canned/hello{query}");
            call(relay, Method::DELETE, &path, Some(&admin), None).await.status()
        }
    };
    assert_eq!(delete("?lang=nl").await, StatusCode::NO_CONTENT);
    assert_eq!(delete("?lang=nl").await, StatusCode::NOT_FOUND);
    assert_eq!(delete("?lang=BAD").await, StatusCode::BAD_REQUEST);
    assert_eq!(list().await, [version("Same as none", None)]);
    assert_eq!(delete("").await, StatusCode::NO_CONTENT);
    assert!(list().await.is_empty());
}

#[tokio::test]
async fn no_shop_sees_or_changes_another_shops_canned_responses_accounts_or_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let (relay, _config) = support::two_shops(&database);
    let demo_admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let rival_admin = relay.login(support::RIVAL_EMAIL, support::RIVAL_PASSWORD).await.unwrap();

    let path = "/v1/agent/canned/secret-discount";
    let body = Some(json!({"text": "Use code DEMO50"}));
    assert_eq!(call(&relay, Method::PUT, path, Some(&demo_admin), body).await.status(), StatusCode::NO_CONTENT);
    let rivals: Vec<CannedResponse> =
        call(&relay, Method::GET, "/v1/agent/canned", Some(&rival_admin), None).await.json().await.unwrap();
    assert!(rivals.is_empty(), "the demo shop's canned responses are its own");
    assert_eq!(call(&relay, Method::DELETE, path, Some(&rival_admin), None).await.status(), StatusCode::NOT_FOUND);

    let accounts: Vec<AgentAccount> =
        call(&relay, Method::GET, "/v1/admin/agents", Some(&rival_admin), None).await.json().await.unwrap();
    assert_eq!(accounts.iter().map(|a| a.email.as_str()).collect::<Vec<_>>(), ["rival@rival.example"]);
    let demo_accounts: Vec<AgentAccount> =
        call(&relay, Method::GET, "/v1/admin/agents", Some(&demo_admin), None).await.json().await.unwrap();
    let anna = format!("/v1/admin/agents/{}", demo_accounts[0].agent.id);
    let status = call(&relay, Method::PATCH, &anna, Some(&rival_admin), Some(json!({"disabled": true}))).await.status();
    assert_eq!(status, StatusCode::NOT_FOUND, "another shop's account is answered like a missing one");

    // A demo shopper's conversation, ended: the rival sees it neither closed nor as earlier history.
    let mut shopper = Client::visitor(relay.addr).await;
    shopper.send_json(json!({"type": "hello", "shop": "demo"})).await;
    assert!(matches!(shopper.recv().await, ServerFrame::Welcome { .. }));
    let (conversation, _) = shopper.acked(json!({"type": "send", "client_id": "q", "text": "private"})).await;
    let mut anna_socket = relay.demo_agent().await;
    anna_socket.send_json(json!({"type": "close", "conversation_id": conversation})).await;
    support::eventually(|| async {
        let closed: Vec<ConversationSummary> =
            call(&relay, Method::GET, "/v1/agent/conversations/closed", Some(&demo_admin), None)
                .await
                .json()
                .await
                .unwrap();
        closed.len() == 1
    })
    .await;
    let closed: Vec<ConversationSummary> =
        call(&relay, Method::GET, "/v1/agent/conversations/closed", Some(&rival_admin), None)
            .await
            .json()
            .await
            .unwrap();
    assert!(closed.is_empty());
    let earlier = format!("/v1/agent/conversations/{conversation}/earlier");
    assert_eq!(call(&relay, Method::GET, &earlier, Some(&rival_admin), None).await.status(), StatusCode::NOT_FOUND);
    // Days later the shopper's next words start a new conversation (within a day they would
    // reopen the first), which lists the first as earlier, for the demo shop's agents.
    let two_days = 2 * 24 * 3_600_000_i64;
    rusqlite::Connection::open(&database)
        .unwrap()
        .execute(
            "UPDATE conversations SET closed_at = closed_at - ?1 WHERE id = ?2",
            rusqlite::params![two_days, conversation],
        )
        .unwrap();
    let (next, _) = shopper.acked(json!({"type": "send", "client_id": "q2", "text": "me again"})).await;
    assert_ne!(next, conversation);
    let earlier = format!("/v1/agent/conversations/{next}/earlier");
    let rows: Vec<ConversationSummary> =
        call(&relay, Method::GET, &earlier, Some(&demo_admin), None).await.json().await.unwrap();
    assert_eq!(rows.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(), [conversation]);
}

/// Adds an agent (not an admin) to the demo shop through the admin's endpoint; returns its id.
async fn add_plain_agent(relay: &Relay, admin: &str, email: &str, password: &str) -> String {
    let body = json!({"email": email, "name": "Sam", "password": password});
    let created = call(relay, Method::POST, "/v1/admin/agents", Some(admin), Some(body)).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    created.json::<AgentAccount>().await.unwrap().agent.id.to_string()
}

/// Found live: disabling an agent or giving them a new password left their open console working
/// until its next heartbeat (up to 25 s). Logging out already closed it at once.
#[tokio::test]
async fn disabling_an_agent_or_resetting_their_password_closes_their_console_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let sam_id = add_plain_agent(&relay, &admin, "sam@demo.example", "sam-password-1").await;
    let path = format!("/v1/admin/agents/{sam_id}");
    for change in [json!({"password": "sam-password-2"}), json!({"disabled": true})] {
        let password = if change.get("disabled").is_some() { "sam-password-2" } else { "sam-password-1" };
        let cookie = relay.login("sam@demo.example", password).await.expect("Sam logs in");
        let mut console = Client::agent(relay.addr, &cookie).await.unwrap();
        assert!(matches!(console.recv().await, ServerFrame::AgentWelcome { .. }));
        assert_eq!(call(&relay, Method::PATCH, &path, Some(&admin), Some(change.clone())).await.status(), 200);
        // Well before the 25 s heartbeat (the wait is bounded at 10 s).
        assert!(matches!(console.ending().await, support::Ending::Closed(Some(1008))), "after {change}");
    }
}

/// Found live: a plain agent's `send` silently took a colleague's chat, although `claim` refused.
#[tokio::test]
async fn an_agent_cannot_take_a_colleagues_chat_by_writing_into_it() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    add_plain_agent(&relay, &admin, "sam@demo.example", "sam-password-1").await;
    let mut anna = relay.demo_agent().await;
    let mut shopper = Client::visitor(relay.addr).await;
    shopper.send_json(json!({"type": "hello", "shop": "demo"})).await;
    assert!(matches!(shopper.recv().await, ServerFrame::Welcome { .. }));
    let (conversation, _) = shopper.acked(json!({"type": "send", "client_id": "s1", "text": "Hello?"})).await;
    anna.send_json(json!({"type": "claim", "conversation_id": conversation})).await;
    anna.recv_until(
        |frame| matches!(frame, ServerFrame::ConversationUpdated { conversation: c } if c.assigned_agent.is_some()),
    )
    .await;

    let sam_cookie = relay.login("sam@demo.example", "sam-password-1").await.unwrap();
    let mut sam = Client::agent(relay.addr, &sam_cookie).await.unwrap();
    assert!(matches!(sam.recv().await, ServerFrame::AgentWelcome { .. }));
    sam.send_json(json!({"type": "send", "conversation_id": conversation, "client_id": "sam-1", "text": "Mine now"}))
        .await;
    let refusal = sam.recv_until(|frame| matches!(frame, ServerFrame::Error { .. } | ServerFrame::Ack { .. })).await;
    match refusal.last() {
        Some(ServerFrame::Error { code, .. }) => assert_eq!(*code, checkout_chat_protocol::ErrorCode::Forbidden),
        other => panic!("Sam's message went in: {other:?}"),
    }
    // The chat stays Anna's, and she goes on answering in it.
    anna.acked(json!({"type": "send", "conversation_id": conversation, "client_id": "anna-1", "text": "Here"})).await;
}

/// Shoppers see agents' names: an admin cannot give one a bidi override or an invisible name.
#[tokio::test]
async fn agents_names_lose_bidi_controls_and_an_invisible_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let add = |email: &'static str, name: &'static str| {
        let body = json!({"email": email, "name": name, "password": "long-enough-1"});
        call(&relay, Method::POST, "/v1/admin/agents", Some(&admin), Some(body))
    };
    let created = add("rtl@demo.example", "\u{202E}annA\u{202C}").await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.json::<AgentAccount>().await.unwrap().agent.name, "annA");
    assert_eq!(add("ghost@demo.example", "\u{200B}\u{2060}").await.status(), StatusCode::BAD_REQUEST);
}

/// Found live: another shop's admin learned that an email had an account elsewhere (409) and
/// could take an address first. Accounts belong to a shop: the same email may have one in each,
/// and each logs in with its own password.
#[tokio::test]
async fn the_same_email_may_have_an_account_in_each_shop_and_no_shop_learns_of_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let (relay, config) = support::two_shops(&database);
    let rival_admin = relay.login(support::RIVAL_EMAIL, support::RIVAL_PASSWORD).await.unwrap();

    let body = json!({"email": DEMO_EMAIL.to_uppercase(), "name": "Anna at Rival", "password": "anna-at-rival-1"});
    let created = call(&relay, Method::POST, "/v1/admin/agents", Some(&rival_admin), Some(body.clone())).await;
    assert_eq!(created.status(), StatusCode::CREATED, "the demo shop's account is not the rival's business");
    let again = call(&relay, Method::POST, "/v1/admin/agents", Some(&rival_admin), Some(body)).await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "within one shop an email is still one account");

    let me = |cookie: String| {
        let relay = &relay;
        async move {
            let info: serde_json::Value =
                call(relay, Method::GET, "/v1/agent/me", Some(&cookie), None).await.json().await.unwrap();
            info["shop"].as_str().unwrap().to_owned()
        }
    };
    let at_rival = relay.login(DEMO_EMAIL, "anna-at-rival-1").await.expect("the rival account logs in");
    assert_eq!(me(at_rival).await, "rival");
    let at_demo = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.expect("the demo account logs in");
    assert_eq!(me(at_demo).await, "demo");

    // The command line asks which shop is meant when an email has accounts in two.
    let ambiguous =
        support::relay_cli(&database, &["--config", config.to_str().unwrap(), "agent", "disable", DEMO_EMAIL]);
    assert!(!ambiguous.status.success());
    assert!(String::from_utf8_lossy(&ambiguous.stderr).contains("--shop"), "{ambiguous:?}");
    let args = ["--config", config.to_str().unwrap(), "agent", "disable", DEMO_EMAIL, "--shop", "rival"];
    assert!(support::relay_cli(&database, &args).status.success());
    assert!(relay.login(DEMO_EMAIL, "anna-at-rival-1").await.is_none(), "the rival account is disabled");
    assert!(relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.is_some(), "the demo account is not");
}
