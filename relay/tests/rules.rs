//! The shop's rules from the console, against the real relay: seeded from the configuration,
//! replaced by an admin (refused naming the rule's place and field, refused to plain agents),
//! kept across a restart, and sent at once to the shop's open pages, which run only the rules
//! that are on.

mod support;

use checkout_chat_protocol::ServerFrame;
use checkout_chat_protocol::api::ApiErrorBody;
use checkout_chat_rules::editing::RuleEntry;
use reqwest::StatusCode;
use serde_json::json;
use support::{Client, DEMO_EMAIL, DEMO_PASSWORD, Relay};

async fn rules(relay: &Relay, cookie: &str) -> Vec<RuleEntry> {
    let response =
        reqwest::Client::new().get(relay.http("/v1/admin/rules")).header("cookie", cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn put(relay: &Relay, cookie: &str, body: &serde_json::Value) -> reqwest::Response {
    reqwest::Client::new().put(relay.http("/v1/admin/rules")).header("cookie", cookie).json(body).send().await.unwrap()
}

/// The rule ids a watcher's frame carries, as the widget decodes them.
fn rule_ids(encoded: Option<String>) -> Vec<String> {
    let rules = checkout_chat_rules::wire::decode(&encoded.unwrap_or_default()).unwrap_or_default();
    rules.into_iter().map(|r| r.id).collect()
}

const COUPON: &str = r#"{"enabled": true, "rule": {"id": "coupon-help", "cap": "page",
    "message": {"en": "Coupon not working? We can help.", "nl": "Werkt je kortingscode niet?"},
    "replies": [{"en": "Yes, please"}],
    "when": {"all": [{"event": "coupon_failed"}, {"cart_total_at_least": {"amount": 20, "currency": "EUR"}}]}}}"#;

#[tokio::test]
async fn an_admins_rules_reach_open_pages_at_once_and_outlive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let relay = Relay::start(&database);
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let seeded = rules(&relay, &admin).await;
    let ids: Vec<&str> = seeded.iter().map(|e| e.rule.id.as_str()).collect();
    assert_eq!(ids.len(), 3, "the demo's rules: {ids:?}");
    assert!(seeded.iter().all(|e| e.enabled));

    let mut watcher = Client::visitor(relay.addr).await;
    watcher.send_json(json!({"type": "hello", "shop": "demo", "session_id": "s1", "activity_only": true})).await;
    let ServerFrame::Welcome { shop, .. } = watcher.recv().await else { panic!("welcome") };
    assert_eq!(rule_ids(shop.rules), ids);

    // The first rule off, a new one at the end.
    let mut list = serde_json::to_value(&seeded).unwrap();
    list[0]["enabled"] = json!(false);
    list.as_array_mut().unwrap().push(serde_json::from_str(COUPON).unwrap());
    let response = put(&relay, &admin, &list).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap_or_default());
    let ServerFrame::Shop(face) = watcher.recv().await else { panic!("the open page gets the new rules") };
    let now = rule_ids(face.rules);
    assert_eq!(now, [ids[1], ids[2], "coupon-help"], "the rule that is off is not sent");
    let saved = rules(&relay, &admin).await;
    assert_eq!(saved.len(), 4);
    assert!(!saved[0].enabled, "kept, but off");

    relay.stop();
    let relay = Relay::start(&database);
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    assert_eq!(rules(&relay, &admin).await, saved, "the database wins over the configuration's seed");
}

#[tokio::test]
async fn a_wrong_rule_is_refused_by_its_place_and_field_and_plain_agents_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let seeded = rules(&relay, &admin).await;
    let mut list = serde_json::to_value(&seeded).unwrap();
    let mut wrong: serde_json::Value = serde_json::from_str(COUPON).unwrap();
    wrong["rule"]["when"]["all"][1] = json!({"path": "checkout"});
    list.as_array_mut().unwrap().push(wrong);
    let response = put(&relay, &admin, &list).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: ApiErrorBody = response.json().await.unwrap();
    assert_eq!(body.problems.len(), 1);
    assert_eq!(body.problems[0].field, "rules[3].when.all[1].path", "{}", body.message);
    assert!(body.message.contains("start with"), "the validator's words: {}", body.message);
    // Two rules with one id: the second is named.
    let mut twice = serde_json::to_value(&seeded).unwrap();
    twice[1]["rule"]["id"] = twice[0]["rule"]["id"].clone();
    let body: ApiErrorBody = put(&relay, &admin, &twice).await.json().await.unwrap();
    assert_eq!(body.problems[0].field, "rules[1].id");
    assert_eq!(rules(&relay, &admin).await, seeded, "nothing was changed");

    let sam = relay.plain_agent(&admin).await;
    let client = reqwest::Client::new();
    for request in
        [client.get(relay.http("/v1/admin/rules")), client.put(relay.http("/v1/admin/rules")).json(&json!([]))]
    {
        assert_eq!(request.header("cookie", &sam).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(rules(&relay, &admin).await.len(), 3);
}
