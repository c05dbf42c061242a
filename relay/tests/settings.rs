//! The shop's settings from the console, against the real relay: seeded from the configuration,
//! changed by an admin (refused field by field when wrong, refused to plain agents), kept across
//! a restart, recorded with who changed them, and sent at once to the shop's open widgets in each
//! shopper's language; "away" shows the shop offline to shoppers with an agent online.

mod support;

use checkout_chat_protocol::ServerFrame;
use checkout_chat_protocol::api::ApiErrorBody;
use checkout_chat_protocol::settings::{DARK_TEXT, InstallInfo, Position, SettingsChange, ShopFace, ShopSettings};
use reqwest::StatusCode;
use serde_json::json;
use support::{Client, DEMO_EMAIL, DEMO_PASSWORD, Ending, Relay};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

async fn settings(relay: &Relay, cookie: &str) -> ShopSettings {
    let response =
        reqwest::Client::new().get(relay.http("/v1/admin/settings")).header("cookie", cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn put(relay: &Relay, cookie: &str, body: &serde_json::Value) -> reqwest::Response {
    reqwest::Client::new()
        .put(relay.http("/v1/admin/settings"))
        .header("cookie", cookie)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// A shopper's widget (or its watcher) after `hello` in `locale`, with the face the welcome gave.
async fn shopper(relay: &Relay, locale: &str, origin: Option<&str>) -> Result<(Client, ShopFace, u32), Option<u16>> {
    let mut request = format!("ws://{}/v1/visitor", relay.addr).into_client_request().unwrap();
    if let Some(origin) = origin {
        request.headers_mut().insert("origin", HeaderValue::from_str(origin).unwrap());
    }
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut client = Client::from_socket(socket);
    client.send_json(json!({"type": "hello", "shop": "demo", "session_id": "s1", "locale": locale})).await;
    match client.next_or_gone().await {
        Some(ServerFrame::Welcome { shop, agents_online, .. }) => Ok((client, shop, agents_online)),
        Some(ServerFrame::Error { .. }) | None => match client.ending().await {
            Ending::Closed(code) => Err(code),
            Ending::Dropped => Err(None),
        },
        Some(other) => panic!("expected a welcome, got {other:?}"),
    }
}

#[tokio::test]
async fn an_admins_change_reaches_open_widgets_in_their_language_and_outlives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let relay = Relay::start(&database);
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();

    // Seeded from the configuration (the demo shop): its name, the product's colour.
    let seeded = settings(&relay, &admin).await;
    assert_eq!(seeded, ShopSettings::named("Nordhavn Coffee"));
    let (mut dutch, face, _) = shopper(&relay, "nl-NL", None).await.unwrap();
    assert_eq!((face.shop_name.as_str(), face.greeting.as_deref()), ("Nordhavn Coffee", None));
    let look = face.look.expect("the welcome has the look");
    assert_eq!((look.accent.as_str(), look.on_accent.as_str()), ("#0f766e", "#ffffff"));
    assert!(face.rules.is_some(), "the rules still come with the welcome");
    let (mut english, _, _) = shopper(&relay, "en-GB", None).await.unwrap();

    let changed = json!({
        "name": "Nordhavn Koffie",
        "accent": "#FDE047",
        "position": "left",
        "greeting": {"nl": "Hoi! <b>Vragen</b> over je bestelling?", "en": "Hello! Questions?"},
        "reply_time": {"nl": "We antwoorden binnen een uur"},
    });
    let response = put(&relay, &admin, &changed).await;
    assert_eq!(response.status(), StatusCode::OK);
    let saved: ShopSettings = response.json().await.unwrap();
    assert_eq!(saved.accent, "#fde047", "kept as written, in lower case");

    // Both open widgets get the new face, each in its shopper's language; text stays text.
    let ServerFrame::Shop(face) = dutch.recv().await else { panic!("the Dutch widget gets the new face") };
    assert_eq!(face.shop_name, "Nordhavn Koffie");
    assert_eq!(face.greeting.as_deref(), Some("Hoi! <b>Vragen</b> over je bestelling?"));
    assert_eq!(face.reply_time.as_deref(), Some("We antwoorden binnen een uur"));
    let look = face.look.unwrap();
    assert_eq!((look.on_accent.as_str(), look.position), (DARK_TEXT, Position::Left));
    let ServerFrame::Shop(face) = english.recv().await else { panic!("the English widget gets the new face") };
    assert_eq!((face.greeting.as_deref(), face.reply_time), (Some("Hello! Questions?"), None));

    // Recorded with who changed it, after the configuration's seed.
    let changes: Vec<SettingsChange> = reqwest::Client::new()
        .get(relay.http("/v1/admin/settings/changes"))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap()
        .json::<Vec<SettingsChange>>()
        .await
        .unwrap()
        .into_iter()
        .filter(|change| change.section == "settings")
        .collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[0].by.as_ref().map(|a| a.name.as_str()), Some("Anna de Vries"));
    assert_eq!(changes[0].after["name"], "Nordhavn Koffie");
    assert_eq!(changes[0].before.as_ref().map(|b| b["name"].clone()), Some(json!("Nordhavn Coffee")));
    assert!(changes[1].by.is_none() && changes[1].before.is_none(), "the seed: {:?}", changes[1]);

    // The database wins over the configuration after the first start.
    relay.stop();
    let relay = Relay::start(&database);
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    assert_eq!(settings(&relay, &admin).await, saved);
    let (_, face, _) = shopper(&relay, "nl", None).await.unwrap();
    assert_eq!(face.shop_name, "Nordhavn Koffie");
}

#[tokio::test]
async fn wrong_settings_are_refused_field_by_field_and_plain_agents_are_refused_all() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let wrong = json!({
        "name": " \u{200B} ",
        "accent": "teal",
        "greeting": {"de": "Hallo"},
        "allowed_origins": ["https://shop.example", "shop.example/checkout"],
    });
    let response = put(&relay, &admin, &wrong).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: ApiErrorBody = response.json().await.unwrap();
    let fields: Vec<&str> = body.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["name", "accent", "greeting.de", "allowed_origins[1]"], "{}", body.message);
    let unknown = put(&relay, &admin, &json!({"name": "X", "accent": "#000000", "colour": "red"})).await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused, not ignored");
    assert_eq!(settings(&relay, &admin).await, ShopSettings::named("Nordhavn Coffee"), "nothing was changed");

    let sam = relay.plain_agent(&admin).await;
    let client = reqwest::Client::new();
    for request in [
        client.get(relay.http("/v1/admin/settings")),
        client.put(relay.http("/v1/admin/settings")).json(&json!({"name": "Sam's", "accent": "#000000"})),
        client.get(relay.http("/v1/admin/settings/changes")),
    ] {
        let response = request.header("cookie", &sam).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(settings(&relay, &admin).await.name, "Nordhavn Coffee");
}

#[tokio::test]
async fn away_shows_the_shop_offline_and_allowed_origins_apply_from_the_next_page() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let _agent = relay.demo_agent().await;
    let (mut open, _, online) = shopper(&relay, "en", Some("https://shop.example")).await.unwrap();
    assert_eq!(online, 1);
    open.skip_notices = false;

    let away = json!({"name": "Nordhavn Coffee", "accent": "#0f766e", "away": true,
        "allowed_origins": ["https://shop.example"]});
    assert_eq!(put(&relay, &admin, &away).await.status(), StatusCode::OK);
    assert!(matches!(open.recv().await, ServerFrame::Shop(_)));
    assert!(matches!(open.recv().await, ServerFrame::Presence { agents_online: 0 }), "shown offline at once");
    let (_, _, online) = shopper(&relay, "en", Some("https://shop.example")).await.unwrap();
    assert_eq!(online, 0, "a new shopper is told nobody is online either");
    let refused = shopper(&relay, "en", Some("https://elsewhere.example")).await.err();
    assert_eq!(refused, Some(Some(1008)), "another origin is refused once the shop lists its own");

    let back = json!({"name": "Nordhavn Coffee", "accent": "#0f766e", "allowed_origins": ["https://shop.example"]});
    assert_eq!(put(&relay, &admin, &back).await.status(), StatusCode::OK);
    assert!(matches!(open.recv().await, ServerFrame::Shop(_)));
    assert!(matches!(open.recv().await, ServerFrame::Presence { agents_online: 1 }), "online again");
}

#[tokio::test]
async fn the_install_page_lists_where_the_widget_was_seen_and_which_origins_are_not_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let install = || async {
        let response =
            reqwest::Client::new().get(relay.http("/v1/admin/install")).header("cookie", &admin).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<InstallInfo>().await.unwrap()
    };
    let first = install().await;
    assert_eq!((first.shop.as_str(), first.seen.len()), ("demo", 0), "not seen yet");

    let allowed = json!({"name": "Nordhavn Coffee", "accent": "#0f766e", "allowed_origins": ["https://shop.example"]});
    assert_eq!(put(&relay, &admin, &allowed).await.status(), StatusCode::OK);
    shopper(&relay, "en", Some("https://shop.example")).await.unwrap();
    // Refused by the allowed list, and still noted: the page warns of it.
    assert!(shopper(&relay, "en", Some("https://staging.shop.example")).await.is_err());
    // Not an origin at all: not noted.
    let _ = shopper(&relay, "en", Some("null")).await;
    support::eventually(|| async { install().await.seen.len() == 2 }).await;
    let mut seen: Vec<(String, bool)> = install().await.seen.into_iter().map(|s| (s.origin, s.allowed)).collect();
    seen.sort();
    assert_eq!(
        seen,
        [("https://shop.example".to_owned(), true), ("https://staging.shop.example".to_owned(), false)],
        "both pages are listed, the one not allowed marked so"
    );
}

/// `relay shop add` against the database, the password on standard input: its output.
fn shop_add(database: &std::path::Path, id: &str, password: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .arg("--database")
        .arg(database)
        .args(["shop", "add", "--id", id, "--name", "ACME Tools", "--admin-email", "owner@acme.example"])
        .args(["--admin-name", "Olivia", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run relay shop add");
    child.stdin.take().expect("stdin").write_all(password.as_bytes()).expect("write the password");
    child.wait_with_output().expect("relay shop add ends")
}

#[tokio::test]
async fn a_shop_added_on_the_command_line_is_served_at_once_and_its_admin_runs_it_in_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let relay = Relay::start(&database);
    let added = shop_add(&database, "acme", "acme-password-1");
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let again = shop_add(&database, "acme", "acme-password-2");
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let configured = shop_add(&database, "demo", "acme-password-2");
    assert!(!configured.status.success() && String::from_utf8_lossy(&configured.stderr).contains("configuration"));

    // The running relay serves it from the first page that asks.
    let mut shopper = Client::visitor(relay.addr).await;
    shopper.send_json(json!({"type": "hello", "shop": "acme", "session_id": "s1"})).await;
    let ServerFrame::Welcome { shop, .. } = shopper.recv().await else { panic!("the new shop's widget is welcomed") };
    assert_eq!((shop.shop_name.as_str(), shop.rules), ("ACME Tools", None), "no rules yet");

    // Its admin does the rest in the console; the shopper's open widget follows.
    let owner = relay.login("owner@acme.example", "acme-password-1").await.expect("the admin logs in");
    assert_eq!(settings(&relay, &owner).await.name, "ACME Tools");
    let named = json!({"name": "ACME Tools & Garden", "accent": "#1d4ed8", "greeting": {"en": "Hi from ACME!"}});
    assert_eq!(put(&relay, &owner, &named).await.status(), StatusCode::OK);
    let ServerFrame::Shop(face) = shopper.recv().await else { panic!("the open widget gets the change") };
    assert_eq!(face.greeting.as_deref(), Some("Hi from ACME!"));
    let demo_admin = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    assert_eq!(settings(&relay, &demo_admin).await.name, "Nordhavn Coffee", "each admin sees their own shop");

    relay.stop();
    let relay = Relay::start(&database);
    let mut back = Client::visitor(relay.addr).await;
    back.send_json(json!({"type": "hello", "shop": "acme", "session_id": "s2"})).await;
    let ServerFrame::Welcome { shop, .. } = back.recv().await else { panic!("served after a restart") };
    assert_eq!(shop.shop_name, "ACME Tools & Garden");
}
