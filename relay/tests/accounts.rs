//! Agent accounts with the real binary and database: roles, listing, disabling (which ends the
//! agent's sessions), and login attempts limited per email address.

mod support;

use std::process::Command;

use serde_json::json;
use support::{DEMO_EMAIL, DEMO_PASSWORD, Relay, relay_cli};

async fn me(relay: &Relay, cookie: &str) -> reqwest::Response {
    reqwest::Client::new().get(relay.http("/v1/agent/me")).header("cookie", cookie).send().await.unwrap()
}

async fn login_status(relay: &Relay, email: &str, password: &str) -> u16 {
    let response = reqwest::Client::new()
        .post(relay.http("/v1/agent/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn admins_and_agents_are_listed_and_a_disabled_agent_is_out_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("relay.db");
    let relay = Relay::start(&database);

    // The demo shop's owner is its admin.
    let cookie = relay.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let info: serde_json::Value = me(&relay, &cookie).await.json().await.unwrap();
    assert_eq!(info["role"], "admin");

    let mut add = Command::new(env!("CARGO_BIN_EXE_relay"))
        .arg("--database")
        .arg(&database)
        .args(["agent", "add", "--shop", "demo", "--email", "sam@demo.example", "--name", "Sam", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut add.stdin.take().unwrap(), b"sam-password-123").unwrap();
    assert!(add.wait().unwrap().success());
    let bad_role = relay_cli(
        &database,
        &["agent", "add", "--shop", "demo", "--email", "x@demo.example", "--name", "X", "--role", "boss"],
    );
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("not a role"));

    let list = String::from_utf8(relay_cli(&database, &["agent", "list", "--shop", "demo"]).stdout).unwrap();
    let rows: Vec<Vec<&str>> = list.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(
        rows,
        [
            vec!["demo", "anna@demo.example", "Anna de Vries", "admin", "active", "capacity 5"],
            vec!["demo", "sam@demo.example", "Sam", "agent", "active", "capacity 5"],
        ]
    );

    // Disabled: the open session ends and logging in is refused; enabled again, it works.
    let sam = relay.login("sam@demo.example", "sam-password-123").await.unwrap();
    assert_eq!(me(&relay, &sam).await.status(), 200);
    assert!(relay_cli(&database, &["agent", "disable", "sam@demo.example"]).status.success());
    assert_eq!(me(&relay, &sam).await.status(), 401);
    assert_eq!(login_status(&relay, "sam@demo.example", "sam-password-123").await, 401);
    let list = String::from_utf8(relay_cli(&database, &["agent", "list"]).stdout).unwrap();
    assert!(list.contains("sam@demo.example\tSam\tagent\tdisabled"), "{list}");
    assert!(relay_cli(&database, &["agent", "enable", "sam@demo.example"]).status.success());
    assert_eq!(login_status(&relay, "sam@demo.example", "sam-password-123").await, 200);
    assert!(!relay_cli(&database, &["agent", "disable", "nobody@demo.example"]).status.success());
}

#[tokio::test]
async fn password_guessing_is_slowed_per_email_and_address() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("relay.db"));
    for _ in 0..10 {
        assert_eq!(login_status(&relay, DEMO_EMAIL, "wrong").await, 401);
    }
    // The eleventh try within the minute is refused before the password is even checked,
    // whatever the letter case of the address.
    assert_eq!(login_status(&relay, &DEMO_EMAIL.to_uppercase(), DEMO_PASSWORD).await, 429);
    // Another address is not held up by it.
    assert_eq!(login_status(&relay, "someone@demo.example", "wrong").await, 401);
}
