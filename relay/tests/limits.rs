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

/// A TCP connection from `from` that sends the start of a request and never its end.
async fn half_request(relay: SocketAddr, from: [u8; 4]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::from(from), 0)).unwrap();
    let mut stream = socket.connect(relay).await.unwrap();
    // Refused connections may already be closed: what matters is what the relay does after.
    let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
    stream
}

/// How the relay ended a connection.
#[derive(Debug, PartialEq)]
enum Closed {
    /// With a 429, or with a reset (a refusal closed at once, its request unread).
    Refused,
    /// Without an answer (the headers' time ran out).
    Silently,
}

/// Waits (bounded: 10 s) for the relay to end `stream`; `None` if it does not.
async fn closed(stream: &mut tokio::net::TcpStream) -> Option<Closed> {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    match tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await {
        Err(_) => None,
        Ok(Err(_)) => Some(Closed::Refused),
        Ok(Ok(_)) if answer.starts_with(b"HTTP/1.1 429") => Some(Closed::Refused),
        Ok(Ok(_)) => Some(Closed::Silently),
    }
}

/// `GET /healthz` from the loopback address `from`, over a fresh connection, within 5 s.
async fn health_from(relay: SocketAddr, from: [u8; 4]) -> Result<u16, String> {
    let client =
        reqwest::Client::builder().local_address(IpAddr::from(from)).timeout(Duration::from_secs(5)).build().unwrap();
    match client.get(format!("http://{relay}/healthz")).send().await {
        Ok(response) => Ok(response.status().as_u16()),
        Err(error) => Err(error.to_string()),
    }
}

/// The demo agent's login from `from`: its HTTP status.
async fn login_from(relay: SocketAddr, from: [u8; 4], password: &str) -> u16 {
    let client =
        reqwest::Client::builder().local_address(IpAddr::from(from)).timeout(Duration::from_secs(10)).build().unwrap();
    let body = json!({"email": support::DEMO_EMAIL, "password": password});
    client.post(format!("http://{relay}/v1/agent/login")).json(&body).send().await.unwrap().status().as_u16()
}

/// Found live: 19,990 connections each sending request headers without their end held the relay
/// at its descriptor limit, and the health check, logins and shoppers all timed out. Here the
/// relay may open 512 files and one address opens 600 such connections.
#[tokio::test]
async fn a_slow_header_flood_from_one_address_leaves_health_and_login_answering() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("relay.toml");
    std::fs::write(&config, "max_connections_per_ip = 100\nheader_read_timeout_seconds = 2\n").unwrap();
    let args = ["--config", config.to_str().unwrap()];
    let relay = Relay::start_with_open_files(&dir.path().join("chat.db"), &args, 512);
    let mut flood = Vec::new();
    let flooding = std::time::Instant::now();
    for _ in 0..600 {
        flood.push(half_request(relay.addr, ONE).await);
    }
    // On a busy machine opening 600 connections can outlast the 2 s header timeout: the first
    // ones held are then closed and their places taken again, each round at most the limit.
    let rounds = 1 + (flooding.elapsed().as_secs_f64() / 2.0).floor() as usize;
    assert_eq!(health_from(relay.addr, OTHER).await, Ok(200), "the health check answers another address");
    assert_eq!(
        login_from(relay.addr, OTHER, support::DEMO_PASSWORD).await,
        200,
        "an agent logs in from another address"
    );

    // Every flooding connection ends: those over the address's limit at once (a 429, or a reset
    // when too many refusals are under way), the others when their headers time out.
    // Afterwards the address may connect again.
    let mut held = 0;
    for stream in &mut flood {
        match closed(stream).await {
            Some(Closed::Refused) => {}
            Some(Closed::Silently) => held += 1,
            None => panic!("a connection without complete headers was still open after 10 s"),
        }
    }
    assert!(held <= 100 * rounds, "at most the address's limit was held at once: {held} in {rounds} round(s)");
    assert_eq!(health_from(relay.addr, ONE).await, Ok(200), "the flooding address is served again once it lets go");
}

/// Shoppers' sockets filling the relay must leave room for the health check and the agents.
#[tokio::test]
async fn agents_and_the_health_check_get_in_when_shoppers_fill_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("relay.toml");
    std::fs::write(&config, "hello_timeout_seconds = 600\n").unwrap();
    let args = ["--config", config.to_str().unwrap()];
    let relay = Relay::start_with_open_files(&dir.path().join("chat.db"), &args, 400);
    let mut shoppers = Vec::new();
    let mut refusal = None;
    for _ in 0..400 {
        match visitor_from(relay.addr, ONE, None).await {
            Ok(client) => shoppers.push(client),
            Err(status) => {
                refusal = Some(status);
                break;
            }
        }
    }
    assert_eq!(refusal, Some(503), "shoppers are refused once their places are taken ({} open)", shoppers.len());
    assert_eq!(health_from(relay.addr, OTHER).await, Ok(200));
    let cookie = relay.login(support::DEMO_EMAIL, support::DEMO_PASSWORD).await.expect("the agent logs in");
    let mut console = Client::agent(relay.addr, &cookie).await.expect("the console's socket opens");
    assert!(matches!(console.recv().await, ServerFrame::AgentWelcome { .. }));
    // And the shoppers who got in are served.
    pongs(&mut shoppers[0], 1).await;
}

/// A socket that never says hello but answers pings held its place for ever.
#[tokio::test]
async fn a_shoppers_socket_that_never_says_hello_is_closed() {
    let (relay, _dir) = relay_with("hello_timeout_seconds = 1\n");
    let mut silent = visitor_from(relay.addr, ONE, None).await.unwrap();
    match silent.recv().await {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::HelloExpected),
        other => panic!("expected an error frame, got {other:?}"),
    }
    assert!(matches!(silent.ending().await, Ending::Closed(Some(1008))));
    // One that says hello in time stays.
    let mut shopper = visitor_from(relay.addr, ONE, None).await.unwrap();
    shopper.send_json(json!({"type": "hello", "shop": "demo"})).await;
    assert!(matches!(shopper.recv().await, ServerFrame::Welcome { .. }));
    assert!(shopper.try_recv(Duration::from_millis(1_500)).await.is_none(), "nothing closes it after its hello");
    pongs(&mut shopper, 1).await;
}

/// WebSocket pings (and pongs, and binary frames) were outside the frame rate limit.
#[tokio::test]
async fn websocket_pings_count_against_the_frame_rate() {
    use tokio_tungstenite::tungstenite::Message;
    let (relay, _dir) = relay_with("max_frames_per_second_per_ip = 10\n");
    let mut client = visitor_from(relay.addr, ONE, None).await.unwrap();
    let started = Instant::now();
    for _ in 0..60 {
        client.send_message(Message::Ping(Vec::new().into())).await;
    }
    client.pongs(60).await;
    // 20 at once, then 10 a second: at least 4 s (a lower bound only; a slow machine is slower).
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(3_900), "60 pings were answered in {took:?}, faster than the limit");
}

/// Found live: ten wrong passwords for an agent's email and the right one got 429, so anyone who
/// knew the address kept that agent out with one request every 6 s.
#[tokio::test]
async fn guessing_an_agents_password_from_one_address_does_not_lock_the_agent_out() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(login_from(relay.addr, ONE, "not the password").await);
    }
    assert_eq!(&statuses[..10], &[401; 10], "wrong passwords are refused as wrong");
    assert_eq!(statuses[11], 429, "then the guesser is slowed");
    let client = reqwest::Client::builder().local_address(IpAddr::from(ONE)).build().unwrap();
    let body = json!({"email": support::DEMO_EMAIL, "password": "not the password"});
    let refused = client.post(relay.http("/v1/agent/login")).json(&body).send().await.unwrap();
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=7).contains(&retry_after), "Retry-After: {retry_after}");
    assert_eq!(login_from(relay.addr, OTHER, support::DEMO_PASSWORD).await, 200, "the agent still logs in elsewhere");
}

/// Found live: spraying distinct emails from one address ran argon2 71 times a second with no
/// per-address limit, and a real login waited 11.4 s behind it.
#[tokio::test]
async fn spraying_many_emails_from_one_address_is_held_and_a_flood_of_logins_is_refused_early() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    // 60 guesses at once from one address: 30 are let through to a password check, the rest are
    // refused before one (as they arrive, so a slow machine does not refill the quota between).
    let guesses = (0..60).map(|n| {
        let url = relay.http("/v1/agent/login");
        async move {
            let client = reqwest::Client::builder().local_address(IpAddr::from(ONE)).build().unwrap();
            let body = json!({"email": format!("guess-{n}@shop.example"), "password": "password1"});
            let response = client.post(url).json(&body).send().await.unwrap();
            response.json::<serde_json::Value>().await.unwrap()["error"].as_str().unwrap().to_owned()
        }
    });
    let errors = futures_util::future::join_all(guesses).await;
    let held = errors.iter().filter(|e| *e == "too_many_attempts").count();
    // 30 through at once; a slow machine may refill a few while the 60 arrive.
    assert!((25..=30).contains(&held), "one address spraying 60 accounts: {errors:?}");

    // 200 logins at once from 200 addresses: more than may wait for a password check are
    // refused at once with Retry-After rather than queued. The clients are made first, so the
    // requests arrive together even on a slow machine.
    let clients: Vec<reqwest::Client> = (0..200u8)
        .map(|n| reqwest::Client::builder().local_address(IpAddr::from([127, 0, 1, n])).build().unwrap())
        .collect();
    let logins = clients.iter().enumerate().map(|(n, client)| {
        let url = relay.http("/v1/agent/login");
        async move {
            let body = json!({"email": format!("nobody-{n}@shop.example"), "password": "password1"});
            let response = client.post(url).json(&body).send().await.unwrap();
            (response.status().as_u16(), response.headers().contains_key("retry-after"))
        }
    });
    let answers = futures_util::future::join_all(logins).await;
    let busy = answers.iter().filter(|(status, _)| *status == 429).count();
    assert!(busy > 0, "some of 200 simultaneous logins are refused early: {answers:?}");
    assert!(answers.iter().all(|(status, retry)| *status == 401 || (*status == 429 && *retry)), "{answers:?}");
    assert_eq!(login_from(relay.addr, OTHER, support::DEMO_PASSWORD).await, 200);
}

/// The relay's own pages carry a policy that runs only its scripts (the inline start-up script
/// by its hash) and forbids framing; every answer says `nosniff`.
#[tokio::test]
async fn the_relays_pages_carry_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let front_end = dir.path().join("dist");
    for app in ["shop", "console"] {
        std::fs::create_dir_all(front_end.join(app)).unwrap();
    }
    let page = "<!doctype html><script src=\"/shop.js\"></script><script type=\"module\">start()</script>";
    std::fs::write(front_end.join("shop/index.html"), page).unwrap();
    std::fs::write(front_end.join("shop/widget.js"), "// loader").unwrap();
    std::fs::write(front_end.join("console/index.html"), page).unwrap();
    let relay = Relay::start_with(&dir.path().join("chat.db"), &["--static-dir", front_end.to_str().unwrap()]);
    let http = reqwest::Client::new();
    use sha2::Digest as _;
    let start_hash =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sha2::Sha256::digest(b"start()"));
    for path in ["/", "/console/", "/console/some/deep/link"] {
        let response = http.get(relay.http(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let policy = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(policy.contains(&format!("'sha256-{start_hash}'")), "{path}: {policy}");
        assert!(policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe-inline' 'self'"), "{policy}");
        // Neither inline scripts nor inline styles, anywhere in the policy.
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        assert_eq!(response.text().await.unwrap(), page, "{path}: the page itself is unchanged");
    }
    for path in ["/widget.js", "/healthz"] {
        let response = http.get(relay.http(path)).send().await.unwrap();
        assert_eq!(response.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(response.headers()["referrer-policy"], "strict-origin-when-cross-origin", "{path}");
        assert!(!response.headers().contains_key("content-security-policy"), "{path}: not a page");
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A shopper from `from` who said hello (with a browser session) and was welcomed; `None` when
/// the relay refused the hello as over a quota.
async fn shopper_from(relay: SocketAddr, from: [u8; 4], session: &str) -> Option<Client> {
    let mut shopper = visitor_from(relay, from, None).await.unwrap();
    shopper.send_json(json!({"type": "hello", "shop": "demo", "session_id": session})).await;
    match shopper.recv().await {
        ServerFrame::Welcome { .. } => Some(shopper),
        ServerFrame::Error { code: ErrorCode::RateLimited, .. } => None,
        other => panic!("expected a welcome or a refusal, got {other:?}"),
    }
}

/// What the relay answered to a frame with a client id: the ack's conversation, or the error.
async fn answer(client: &mut Client) -> Result<String, ErrorCode> {
    loop {
        match client.recv().await {
            ServerFrame::Ack { conversation_id, .. } => return Ok(conversation_id.to_string()),
            ServerFrame::Error { code, .. } => return Err(code),
            _ => {}
        }
    }
}

/// Found live: 400 sockets each sending hello and one message put a real shopper at place 401
/// (an estimated wait of ~14 min), and an agent who logged in was given five fake chats.
#[tokio::test]
async fn four_hundred_squatting_sockets_do_not_push_a_real_shopper_back() {
    let (relay, _dir) = relay_with("");
    let _away = relay.demo_agent_away().await;
    let mut squatters = Vec::new();
    let (mut chats, mut refused) = (0, 0);
    let started = std::time::Instant::now();
    for k in 0..400 {
        let Some(mut squatter) = shopper_from(relay.addr, ONE, &format!("sq-{k}")).await else {
            refused += 1;
            continue;
        };
        squatter.send_json(json!({"type": "send", "client_id": format!("sq-{k}"), "text": "hi"})).await;
        match answer(&mut squatter).await {
            Ok(_) => chats += 1,
            Err(code) => {
                assert_eq!(code, ErrorCode::RateLimited);
                refused += 1;
            }
        }
        squatters.push(squatter);
    }
    // 30 at once, then one every 2 s (30 a minute) while the squatters keep trying.
    let allowed = 30 + (started.elapsed().as_secs_f64() / 2.0).ceil() as usize;
    assert!(chats <= allowed, "one address started {chats} conversations (at most {allowed} allowed by now)");
    assert_eq!(chats + refused, 400);

    let mut shopper = shopper_from(relay.addr, OTHER, "real").await.expect("another address is welcome");
    shopper.skip_notices = false;
    shopper.send_json(json!({"type": "send", "client_id": "real-1", "text": "Is this in stock?"})).await;
    let frames = shopper.recv_until(|frame| matches!(frame, ServerFrame::Queue { .. })).await;
    let Some(ServerFrame::Queue { position, .. }) = frames.last() else { unreachable!() };
    assert!(*position <= 6, "the real shopper is at place {position}, behind the squatters");
}

/// An agent marks a shopper as spam: the chat ends, the shopper's token and address start
/// nothing more, and shoppers elsewhere are not affected.
#[tokio::test]
async fn an_agent_blocks_a_spammer_by_token_and_for_a_while_by_address() {
    let (relay, _dir) = relay_with("");
    let mut agent = relay.demo_agent_away().await;
    let mut spammer = visitor_from(relay.addr, ONE, None).await.unwrap();
    spammer.send_json(json!({"type": "hello", "shop": "demo"})).await;
    let ServerFrame::Welcome { token, .. } = spammer.recv().await else { panic!("no welcome") };
    spammer.send_json(json!({"type": "send", "client_id": "s1", "text": "BUY CHEAP WATCHES"})).await;
    let conversation = answer(&mut spammer).await.unwrap();
    agent.send_json(json!({"type": "block", "conversation_id": conversation})).await;
    agent
        .recv_until(|frame| {
            matches!(frame, ServerFrame::ConversationUpdated { conversation: c }
                if c.id.as_str() == conversation && c.status == checkout_chat_protocol::ConversationStatus::Closed)
        })
        .await;

    spammer.send_json(json!({"type": "send", "client_id": "s2", "text": "again"})).await;
    assert_eq!(answer(&mut spammer).await, Err(ErrorCode::Forbidden), "the blocked shopper starts nothing new");
    let mut back = visitor_from(relay.addr, OTHER, None).await.unwrap();
    back.send_json(json!({"type": "hello", "shop": "demo", "token": token.as_str()})).await;
    match back.recv().await {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::Forbidden, "its token, from anywhere"),
        other => panic!("the blocked token was let in: {other:?}"),
    }
    let mut same_address = shopper_from(relay.addr, ONE, "fresh").await.unwrap();
    same_address.send_json(json!({"type": "send", "client_id": "n1", "text": "new visitor, same machine"})).await;
    assert_eq!(answer(&mut same_address).await, Err(ErrorCode::Forbidden), "the address, for a while");
    let mut elsewhere = shopper_from(relay.addr, OTHER, "else").await.unwrap();
    elsewhere.send_json(json!({"type": "send", "client_id": "e1", "text": "Hello"})).await;
    assert!(answer(&mut elsewhere).await.is_ok(), "another address chats on");
}

/// Bytes the relay's database takes on disk (with its write-ahead log).
fn database_bytes(relay: &Relay) -> u64 {
    let wal = relay.database.with_extension("db-wal");
    [relay.database.clone(), wal].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

fn rows(relay: &Relay, table: &str) -> i64 {
    let db = rusqlite::Connection::open(&relay.database).unwrap();
    db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| row.get(0)).unwrap()
}

/// Found live: 30 sockets sending ~20 activity batches a second of 50 custom events each wrote
/// 426,350 rows in 18 s (+182 MB), and every token-less hello stored a visitor.
#[tokio::test]
async fn an_activity_flood_is_refused_with_counted_errors_and_hellos_alone_store_nothing() {
    let (relay, _dir) = relay_with("");
    for k in 0..50 {
        let _ = shopper_from(relay.addr, OTHER, &format!("look-{k}")).await.expect("welcome");
    }
    assert_eq!(rows(&relay, "visitors"), 0, "50 hellos without anything else stored no visitor");

    let before = database_bytes(&relay);
    let event = |k: usize| json!({"at_ms": now_ms(), "body": {"kind": "custom", "name": "flood", "data": {"k": k, "pad": "x".repeat(100)}}});
    let floods = (0..30).map(|socket| {
        let addr = relay.addr;
        tokio::spawn(async move {
            let mut flooder = shopper_from(addr, ONE, &format!("fl-{socket}")).await.expect("welcome");
            let (mut acked, mut refused) = (0, 0);
            for batch in 0..60 {
                let events: Vec<_> = (0..50).map(event).collect();
                flooder.send_json(json!({"type": "activity", "batch_id": format!("b{batch}"), "events": events})).await;
            }
            while acked + refused < 60 {
                match flooder.recv().await {
                    ServerFrame::ActivityAck { .. } => acked += 1,
                    ServerFrame::Error { code: ErrorCode::RateLimited, .. } => refused += 1,
                    other => panic!("unexpected {other:?}"),
                }
            }
            (acked, refused)
        })
    });
    let results = futures_util::future::join_all(floods).await;
    let (acked, refused) = results.into_iter().map(Result::unwrap).fold((0, 0), |(a, r), (x, y)| (a + x, r + y));
    assert_eq!(acked + refused, 30 * 60, "every batch was answered");
    assert!(acked * 50 <= 3_000 + 50 * 30, "{acked} batches of 50 taken in from one address within a minute");
    assert!(refused > 0, "the flood was refused, with an error frame for each batch");
    let grown = database_bytes(&relay).saturating_sub(before);
    assert!(grown < 8 * 1024 * 1024, "90,000 events grew the database by {grown} bytes");
    assert!(rows(&relay, "activity") <= 3_000 + 1_500, "{} activity rows", rows(&relay, "activity"));
}
