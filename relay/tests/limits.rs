//! Abuse limits, with the real binary: connections and frames per client address, a flood from
//! one shopper beside another shopper's chat, and the shop's allowed origins (socket and files). Loopback has more
//! than one address (127.0.0.2 is as local as 127.0.0.1), which lets a test be two machines.

mod support;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use checkout_chat_protocol::{ErrorCode, ServerFrame};
use serde_json::json;
use support::{Client, Ending, Relay};
use tokio::net::TcpSocket;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const ONE: [u8; 4] = [127, 0, 0, 1];
const OTHER: [u8; 4] = [127, 0, 0, 2];

/// A relay started with `config` (TOML) on a fresh database.
fn relay_with(config: &str) -> (Relay, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("relay.toml");
    std::fs::write(&path, config).unwrap();
    let relay = Relay::start_with(&dir.path().join("chat.db"), &["--config", path.to_str().unwrap()]);
    (relay, dir)
}

/// Opens a visitor socket from the loopback address `from`, with an `Origin` header if given;
/// `Err` carries the HTTP status of a refusal.
async fn visitor_from(relay: SocketAddr, from: [u8; 4], origin: Option<&str>) -> Result<Client, u16> {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::from(from), 0)).unwrap();
    let stream = socket.connect(relay).await.unwrap();
    let mut request = format!("ws://{relay}/v1/visitor").into_client_request().unwrap();
    if let Some(origin) = origin {
        request.headers_mut().insert("origin", HeaderValue::from_str(origin).unwrap());
    }
    match tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream)).await {
        Ok((socket, _)) => Ok(Client::from_socket(socket)),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("the socket failed unexpectedly: {other}"),
    }
}

async fn pongs(client: &mut Client, count: usize) {
    for _ in 0..count {
        client.send_json(json!({"type": "ping"})).await;
    }
    for _ in 0..count {
        assert_eq!(client.recv().await, ServerFrame::Pong, "every frame is answered, none refused");
    }
}

#[tokio::test]
async fn one_address_holds_at_most_its_connection_limit_and_other_addresses_are_not_affected() {
    let (relay, _dir) = relay_with("max_connections_per_ip = 3\n");
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(visitor_from(relay.addr, ONE, None).await.expect("within the limit"));
    }
    assert_eq!(visitor_from(relay.addr, ONE, None).await.err(), Some(429), "a fourth socket is refused");
    let mut elsewhere = visitor_from(relay.addr, OTHER, None).await.expect("another address has its own limit");
    pongs(&mut elsewhere, 1).await;

    // A socket that closes gives its place back.
    open.pop().unwrap().close().await;
    let mut reopened = None;
    for _ in 0..50 {
        if let Ok(client) = visitor_from(relay.addr, ONE, None).await {
            reopened = Some(client);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pongs(reopened.as_mut().expect("a place came free within 5 s"), 1).await;
}

#[tokio::test]
async fn the_sockets_of_one_address_share_its_frame_rate_and_another_address_keeps_its_own() {
    // 10 frames a second per address, 20 at once.
    let (relay, _dir) = relay_with("max_frames_per_second_per_ip = 10\n");
    let started = Instant::now();
    let flood = |from| {
        let addr = relay.addr;
        tokio::spawn(async move {
            let mut client = visitor_from(addr, from, None).await.unwrap();
            pongs(&mut client, 30).await;
            Instant::now()
        })
    };
    let (first, second, elsewhere) = (flood(ONE), flood(ONE), flood(OTHER));
    let (first, second, elsewhere) = (first.await.unwrap(), second.await.unwrap(), elsewhere.await.unwrap());
    // 60 frames from one address: 20 at once, 40 at 10 a second, so at least 4 s, although each
    // socket alone (30 frames, within its own burst of 40) would pass at once. A lower bound only:
    // a slow machine takes longer, never shorter.
    let last = first.max(second) - started;
    assert!(last >= Duration::from_millis(3_900), "60 frames from one address took {last:?}, faster than its limit");
    // The other address's 30 frames (20 at once, 10 in the next second) are not held behind them.
    assert!(elsewhere < first.max(second), "the other address finished first");
}

#[tokio::test]
async fn a_flooding_shopper_does_not_hold_up_another_shoppers_chat() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let mut flooder = Client::visitor(relay.addr).await;
    flooder.send_json(json!({"type": "hello", "shop": "demo"})).await;
    assert!(matches!(flooder.recv().await, ServerFrame::Welcome { .. }));
    // 400 messages at once, never read: 20 a second are taken in, the rest wait in its socket.
    for k in 0..400 {
        flooder.send_json(json!({"type": "send", "client_id": format!("f{k}"), "text": format!("flood {k}")})).await;
    }

    let mut shopper = Client::visitor(relay.addr).await;
    shopper.send_json(json!({"type": "hello", "shop": "demo"})).await;
    assert!(matches!(shopper.recv().await, ServerFrame::Welcome { .. }));
    for k in 0..10 {
        shopper.acked(json!({"type": "send", "client_id": format!("m{k}"), "text": format!("hello {k}")})).await;
    }
    // The other shopper's ten messages were all stored while the flood was still being taken in.
    // (What the flooder was told within the next second: at 20 a second, far from all 400.)
    let mut flood_acked = 0;
    let deadline = Instant::now() + Duration::from_secs(1);
    while let Some(wait) = deadline.checked_duration_since(Instant::now()) {
        match flooder.try_recv(wait).await {
            Some(ServerFrame::Ack { .. }) => flood_acked += 1,
            Some(_) => {}
            None => break,
        }
    }
    assert!(flood_acked < 400, "the flood was still being slowed ({flood_acked} of 400 taken in)");
}

#[tokio::test]
async fn a_shop_with_allowed_origins_refuses_a_page_from_any_other() {
    let config = r#"
[[shops]]
id = "demo"
name = "Nordhavn Coffee"
allowed_origins = ["https://shop.example"]
"#;
    let (relay, _dir) = relay_with(config);
    let hello = json!({"type": "hello", "shop": "demo"});

    for origin in [Some("https://evil.example"), Some("https://shop.example.evil.example"), None] {
        let mut client = visitor_from(relay.addr, ONE, origin).await.unwrap();
        client.send_json(hello.clone()).await;
        match client.recv().await {
            ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::OriginNotAllowed, "{origin:?}"),
            other => panic!("{origin:?} was let in: {other:?}"),
        }
        assert!(matches!(client.ending().await, Ending::Closed(Some(1008))), "{origin:?}");
    }

    let mut allowed = visitor_from(relay.addr, ONE, Some("https://shop.example")).await.unwrap();
    allowed.send_json(hello).await;
    assert!(matches!(allowed.recv().await, ServerFrame::Welcome { .. }), "the shop's own page is let in");

    // The widget's files (the chat app is fetched with CORS) are shared with the shop's page only.
    let http = reqwest::Client::new();
    for (origin, shared) in [("https://shop.example", true), ("https://evil.example", false)] {
        let response = http.get(relay.http("/widget.js")).header("origin", origin).send().await.unwrap();
        let allowed = response.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(allowed.as_deref() == Some(origin), shared, "{origin}: {allowed:?}");
    }
}

/// Each password check (argon2) works in ~19 MiB. glibc used to keep that memory in the arena of
/// whichever thread ran the check, so every login grew the relay for good (25 agents logging in
/// left it ~300 MB larger). A burst of logins — here with unknown emails, which are checked
/// against a throwaway hash just the same — must leave the relay about as large as before.
#[tokio::test]
async fn a_burst_of_logins_leaves_no_memory_behind() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    // One login first, so that what stays for good (the throwaway hash, the blocking pool) is counted.
    assert!(relay.login("warm-up@nowhere.example", "not the password").await.is_none());
    let before = relay.resident_kib();
    let logins = (0..24).map(|n| {
        let relay = &relay;
        async move { relay.login(&format!("nobody-{n}@nowhere.example"), "not the password").await }
    });
    let refused = futures_util::future::join_all(logins).await;
    assert!(refused.iter().all(Option::is_none), "unknown emails are refused");
    let after = relay.resident_kib();
    assert!(after < before + 48 * 1024, "24 logins grew the relay from {before} KiB to {after} KiB");
}
