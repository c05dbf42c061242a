//! Faults, with the real binary and a real SQLite file: the relay killed (SIGKILL) in the middle of
//! a 1,000-message exchange, a disk that fills up, a database another program holds locked. In
//! each case every message a client saw acknowledged is stored exactly once, clients resume by
//! resending what was not acknowledged, and no client is shown an event twice.

mod support;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use checkout_chat_protocol::{ErrorCode, Event, EventBody, ServerFrame};
use serde_json::json;
use support::{Client, Relay};

/// Shoppers, each talking with one of the agent's console tabs.
const PAIRS: usize = 5;
/// Messages each shopper and each console sends: 5 pairs × 2 × 100 = 1,000 messages.
const MESSAGES_EACH: usize = 100;
const TOTAL: usize = PAIRS * 2 * MESSAGES_EACH;

/// One side of a conversation and everything it was told.
struct Talker {
    /// `s3` for the fourth shopper, `a3` for the console tab answering them.
    name: String,
    shopper: bool,
    token: String,
    conversation: String,
    /// The next message to send (the one in flight until its ack arrives).
    next: usize,
    /// What the relay acknowledged: client id → sequence number.
    acked: HashMap<String, u64>,
    /// Sequence numbers of the events shown, in the order they arrived (shoppers only).
    shown: Vec<u64>,
}

impl Talker {
    fn client_id(&self, k: usize) -> String {
        format!("{}-{k}", self.name)
    }

    fn text(&self, k: usize) -> String {
        format!("message {k} from {}", self.name)
    }

    fn frame(&self, k: usize) -> serde_json::Value {
        let mut frame = json!({"type": "send", "client_id": self.client_id(k), "text": self.text(k)});
        if !self.shopper {
            frame["conversation_id"] = json!(self.conversation);
        }
        frame
    }

    fn last_shown(&self) -> u64 {
        self.shown.iter().copied().max().unwrap_or(0)
    }

    /// Opens a socket to `relay` as this side, resuming after what it has shown.
    async fn connect(&self, relay: &Relay, cookie: &str) -> Client {
        if !self.shopper {
            return Client::agent(relay.addr, cookie).await.expect("the agent's session is still valid");
        }
        let mut client = Client::visitor(relay.addr).await;
        client
            .send_json(json!({"type": "hello", "shop": "demo", "token": self.token,
                "conversation_id": self.conversation, "last_seq": self.last_shown()}))
            .await;
        client
    }

    /// Sends the rest of its messages, one at a time, each resent until acknowledged. Returns
    /// false if the connection went away first.
    async fn talk(&mut self, client: &mut Client, acked_so_far: &AtomicUsize) -> bool {
        while self.next < MESSAGES_EACH {
            let client_id = self.client_id(self.next);
            if !client.try_send_json(self.frame(self.next)).await {
                return false;
            }
            loop {
                match client.next_or_gone().await {
                    None => return false,
                    Some(ServerFrame::Ack { client_id: id, seq, .. }) if id.as_str() == client_id => {
                        if let Some(earlier) = self.acked.insert(client_id.clone(), seq) {
                            assert_eq!(earlier, seq, "{client_id} was acknowledged twice with different numbers");
                        }
                        acked_so_far.fetch_add(1, Ordering::SeqCst);
                        self.next += 1;
                        break;
                    }
                    Some(frame) => self.observe(frame),
                }
            }
        }
        true
    }

    fn observe(&mut self, frame: ServerFrame) {
        match frame {
            ServerFrame::Event { event } if self.shopper => self.shown.push(event.seq),
            ServerFrame::Error { code, message, .. } => panic!("{} was refused: {code:?} {message}", self.name),
            _ => {}
        }
    }
}

/// A shopper who has written their first message, and their conversation.
async fn first_message(relay: &Relay, pair: usize) -> Talker {
    let mut client = Client::visitor(relay.addr).await;
    client.send_json(json!({"type": "hello", "shop": "demo"})).await;
    let ServerFrame::Welcome { token, .. } = client.recv().await else { panic!("expected a welcome") };
    let mut shopper = Talker {
        name: format!("s{pair}"),
        shopper: true,
        token: token.to_string(),
        conversation: String::new(),
        next: 0,
        acked: HashMap::new(),
        shown: Vec::new(),
    };
    let (conversation, seq) = client.acked(shopper.frame(0)).await;
    shopper.conversation = conversation;
    shopper.acked.insert(shopper.client_id(0), seq);
    shopper.shown.push(seq);
    shopper.next = 1;
    client.close().await;
    shopper
}

fn agent_for(shopper: &Talker, pair: usize) -> Talker {
    Talker {
        name: format!("a{pair}"),
        shopper: false,
        token: String::new(),
        conversation: shopper.conversation.clone(),
        next: 0,
        acked: HashMap::new(),
        shown: Vec::new(),
    }
}

/// Runs every talker on its own socket until it is done or its connection is gone.
async fn run_round(
    relay: &Relay,
    cookie: &str,
    talkers: Vec<Talker>,
    acked_so_far: &Arc<AtomicUsize>,
) -> Vec<tokio::task::JoinHandle<(Talker, Client, bool)>> {
    let mut running = Vec::new();
    for mut talker in talkers {
        let mut client = talker.connect(relay, cookie).await;
        let acked_so_far = Arc::clone(acked_so_far);
        running.push(tokio::spawn(async move {
            let done = talker.talk(&mut client, &acked_so_far).await;
            (talker, client, done)
        }));
    }
    running
}

/// Every event of `conversation` as stored, read by a fresh connection from the start.
async fn stored_events(relay: &Relay, token: &str, conversation: &str) -> Vec<Event> {
    let mut client = Client::visitor(relay.addr).await;
    client
        .send_json(json!({"type": "hello", "shop": "demo", "token": token,
            "conversation_id": conversation, "last_seq": 0}))
        .await;
    let mut events = Vec::new();
    loop {
        match client.recv().await {
            ServerFrame::Event { event } => events.push(event),
            ServerFrame::Synced { .. } => return events,
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_relay_killed_mid_exchange_keeps_every_acknowledged_message_once_and_clients_resume() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let relay = Relay::start(&database);
    let cookie = relay.login(support::DEMO_EMAIL, support::DEMO_PASSWORD).await.unwrap();
    // The agent is online before the shoppers write, so each chat is assigned to them.
    let console = Client::agent(relay.addr, &cookie).await.unwrap();
    let mut talkers = Vec::new();
    for pair in 0..PAIRS {
        let shopper = first_message(&relay, pair).await;
        talkers.push(agent_for(&shopper, pair));
        talkers.push(shopper);
    }
    let acked_so_far = Arc::new(AtomicUsize::new(PAIRS));

    // Halfway through, the relay dies without warning.
    let running = run_round(&relay, &cookie, talkers, &acked_so_far).await;
    support::eventually(|| async { acked_so_far.load(Ordering::SeqCst) >= TOTAL / 2 }).await;
    relay.kill();
    let at_kill = acked_so_far.load(Ordering::SeqCst);
    assert!(at_kill < TOTAL, "the relay was killed in the middle of the exchange ({at_kill} of {TOTAL} acknowledged)");
    drop(console);
    let mut talkers = Vec::new();
    for handle in running {
        let (talker, _dead, _) = handle.await.unwrap();
        talkers.push(talker);
    }
    let acked_before_kill: HashMap<String, u64> = talkers.iter().flat_map(|t| t.acked.clone()).collect();

    // Restarted on the same database, every client reconnects, resends what was in flight and
    // finishes.
    let relay = Relay::start(&database);
    let running = run_round(&relay, &cookie, talkers, &acked_so_far).await;
    let mut talkers = Vec::new();
    let mut shopper_sockets = Vec::new();
    for handle in running {
        let (talker, client, done) = handle.await.unwrap();
        assert!(done, "{} finished after the restart", talker.name);
        if talker.shopper {
            shopper_sockets.push((talker.name.clone(), client));
        }
        talkers.push(talker);
    }

    for pair in 0..PAIRS {
        let shopper = talkers.iter().find(|t| t.name == format!("s{pair}")).unwrap();
        let agent = talkers.iter().find(|t| t.name == format!("a{pair}")).unwrap();
        let events = stored_events(&relay, &shopper.token, &shopper.conversation).await;
        let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>(), "stored without gaps");

        // Every message is stored exactly once, under the number its sender was told.
        let mut stored = HashMap::new();
        for event in &events {
            if let (EventBody::Message { text }, Some(id)) = (&event.body, &event.client_id) {
                assert!(stored.insert(id.to_string(), (event.seq, text.clone())).is_none(), "{id} stored twice");
            }
        }
        assert_eq!(stored.len(), 2 * MESSAGES_EACH, "pair {pair}: every message of both sides is stored");
        for talker in [shopper, agent] {
            for k in 0..MESSAGES_EACH {
                let id = talker.client_id(k);
                let (seq, text) = stored.get(&id).unwrap_or_else(|| panic!("{id} is missing"));
                assert_eq!(text, &talker.text(k));
                assert_eq!(talker.acked.get(&id), Some(seq), "{id} is stored under the acknowledged number");
                if let Some(before) = acked_before_kill.get(&id) {
                    assert_eq!(before, seq, "{id}, acknowledged before the kill, kept its number");
                }
            }
        }

        // The shopper's screen: each event once, in order, all of them in the end.
        let (_, socket) = shopper_sockets.iter_mut().find(|(name, _)| name == &shopper.name).unwrap();
        let mut shown = shopper.shown.clone();
        let last = events.len() as u64;
        while shown.iter().copied().max().unwrap_or(0) < last {
            match socket.next_or_gone().await {
                Some(ServerFrame::Event { event }) => shown.push(event.seq),
                Some(_) => {}
                None => panic!("the shopper's socket ended"),
            }
        }
        assert_eq!(
            shown,
            (1..=last).collect::<Vec<_>>(),
            "pair {pair}: the shopper was shown every event once, in order"
        );
    }
}

/// The size of the file at `path` (0 when it does not exist).
fn size_of(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Sets the relay's file-size limit (`unlimited` lifts it), as a full disk or a quota would.
fn limit_file_size(relay: &Relay, limit: &str) {
    let status = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", relay.pid()))
        .arg(format!("--fsize={limit}:"))
        .status()
        .expect("run prlimit (util-linux)");
    assert!(status.success(), "prlimit failed");
}

/// Sends one shopper message and returns the relay's answer to it: its ack or its error.
async fn answer_to(client: &mut Client, client_id: &str, text: &str) -> Result<u64, (ErrorCode, String)> {
    client.send_json(json!({"type": "send", "client_id": client_id, "text": text})).await;
    loop {
        match client.recv().await {
            ServerFrame::Ack { client_id: id, seq, .. } if id.as_str() == client_id => return Ok(seq),
            ServerFrame::Error { code, message, .. } => return Err((code, message)),
            _ => {}
        }
    }
}

/// A shopper who wrote `count` messages, all acknowledged; returns (client, token, conversation).
async fn chatting_shopper(relay: &Relay, count: usize) -> (Client, String, String) {
    let mut client = Client::visitor(relay.addr).await;
    client.send_json(json!({"type": "hello", "shop": "demo"})).await;
    let ServerFrame::Welcome { token, .. } = client.recv().await else { panic!("expected a welcome") };
    let mut conversation = String::new();
    for k in 0..count {
        let (id, _) =
            client.acked(json!({"type": "send", "client_id": format!("m{k}"), "text": format!("m{k}")})).await;
        conversation = id;
    }
    (client, token.to_string(), conversation)
}

/// The texts of the messages stored in a conversation, checking each client id appears once.
async fn stored_texts(relay: &Relay, token: &str, conversation: &str) -> Vec<String> {
    let events = stored_events(relay, token, conversation).await;
    let mut ids = HashSet::new();
    events
        .into_iter()
        .filter_map(|event| match event.body {
            EventBody::Message { text } => {
                let id = event.client_id.map(|c| c.to_string()).unwrap_or_default();
                assert!(ids.insert(id.clone()), "{id} stored twice");
                Some(text)
            }
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_full_disk_gives_clear_errors_and_the_relay_recovers_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let relay = Relay::start(&database);
    let (mut shopper, token, conversation) = chatting_shopper(&relay, 3).await;

    // The database cannot grow any more: the write-ahead log is where every write goes first.
    let wal = dir.path().join("chat.db-wal");
    limit_file_size(&relay, &size_of(&wal).max(size_of(&database)).to_string());
    let refused = answer_to(&mut shopper, "m3", &"x".repeat(2000)).await;
    let Err((code, message)) = refused else { panic!("a write past the limit was acknowledged: {refused:?}") };
    assert_eq!(code, ErrorCode::Unavailable, "{message}");
    assert!(message.contains("could not store"), "a clear message: {message}");
    // Still running and answering; nothing half-written became visible.
    let health = reqwest::get(relay.http("/healthz")).await.unwrap();
    assert!(health.status().is_success());

    // Space comes back: the same message, resent, is stored once; the chat goes on.
    limit_file_size(&relay, "unlimited");
    answer_to(&mut shopper, "m3", &"x".repeat(2000)).await.expect("stored once there is room");
    answer_to(&mut shopper, "m4", "and on").await.expect("the chat goes on");
    let texts = stored_texts(&relay, &token, &conversation).await;
    assert_eq!(texts.len(), 5, "m0–m4, each once: {texts:?}");
    assert_eq!(texts[4], "and on");
}

#[tokio::test]
async fn a_database_locked_by_another_program_gives_clear_errors_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let relay = Relay::start(&database);
    let (mut shopper, token, conversation) = chatting_shopper(&relay, 2).await;

    // Another program (a careless backup script) takes the write lock and keeps it.
    let other = rusqlite::Connection::open(&database).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let refused = answer_to(&mut shopper, "m2", "while locked").await;
    let Err((code, message)) = refused else { panic!("a write to a locked database was acknowledged") };
    assert_eq!(code, ErrorCode::Unavailable, "{message}");

    other.execute_batch("COMMIT").unwrap();
    drop(other);
    answer_to(&mut shopper, "m2", "while locked").await.expect("stored once the lock is gone");
    let texts = stored_texts(&relay, &token, &conversation).await;
    assert_eq!(texts, ["m0", "m1", "while locked"]);
}

/// Sets or clears the immutable attribute of `file`: no process may write to it, not even through
/// a descriptor already open, and not even as root (the tests run as root, which file permissions
/// would not stop). This is the database's disk turning read-only under the running relay.
fn set_immutable(file: &Path, immutable: bool) {
    let flag = if immutable { "+i" } else { "-i" };
    let status = std::process::Command::new("chattr").arg(flag).arg(file).status().expect("chattr (e2fsprogs) runs");
    assert!(status.success(), "chattr {flag} {} failed: the test needs an ext4 temporary directory", file.display());
}

#[tokio::test]
async fn a_database_turned_read_only_gives_clear_errors_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let relay = Relay::start(&database);
    let (mut shopper, token, conversation) = chatting_shopper(&relay, 2).await;

    let files = [database.clone(), dir.path().join("chat.db-wal")];
    for file in &files {
        set_immutable(file, true);
    }
    let refused = answer_to(&mut shopper, "m2", "while read-only").await;
    for file in &files {
        set_immutable(file, false); // before any assertion, so that the temporary directory can go
    }
    let Err((code, message)) = refused else { panic!("a write to a read-only database was acknowledged") };
    assert_eq!(code, ErrorCode::Unavailable, "{message}");
    assert!(message.contains("could not store"), "a clear message: {message}");
    let health = reqwest::get(relay.http("/healthz")).await.unwrap();
    assert!(health.status().is_success(), "still running");

    answer_to(&mut shopper, "m2", "while read-only").await.expect("stored once it is writable again");
    answer_to(&mut shopper, "m3", "and on").await.expect("the chat goes on");
    let texts = stored_texts(&relay, &token, &conversation).await;
    assert_eq!(texts, ["m0", "m1", "while read-only", "and on"]);
}

/// An agent's socket with a tiny receive window that is never read: a console frozen in a
/// background tab, or a machine that stopped reading its network.
async fn frozen_console(relay: &Relay, cookie: &str) -> support::Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(relay.addr).await.unwrap();
    let mut request = format!("ws://{}/v1/agent", relay.addr).into_client_request().unwrap();
    request.headers_mut().insert("cookie", cookie.parse().unwrap());
    let (socket, _) = tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
        .await
        .expect("the agent socket opens");
    socket
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_that_stops_reading_costs_bounded_memory_and_is_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(&dir.path().join("chat.db"));
    let cookie = relay.login(support::DEMO_EMAIL, support::DEMO_PASSWORD).await.unwrap();
    // Room for every chat, so all of them go to the frozen console, the only agent online.
    relay.change_agent(&cookie, support::DEMO_EMAIL, json!({"capacity": 50})).await;
    let mut frozen = Client::from_socket(frozen_console(&relay, &cookie).await);

    // 20 shoppers start chatting, and the console opens every chat (it still sends; it only
    // stopped reading).
    let mut shoppers = Vec::new();
    for _ in 0..20 {
        let (client, _, conversation) = chatting_shopper(&relay, 1).await;
        frozen.send_json(json!({"type": "open", "conversation_id": conversation, "last_seq": 0})).await;
        shoppers.push(client);
    }
    let before = relay.resident_kib();

    // Each writes 100 long messages: about 8 MB for the frozen console, more than the kernel's
    // socket buffers hold. Nobody waits for it: every message is acknowledged.
    let mut writing = Vec::new();
    for (s, mut client) in shoppers.into_iter().enumerate() {
        writing.push(tokio::spawn(async move {
            for k in 1..=100 {
                let text = format!("{s}-{k} {}", "long message ".repeat(300));
                client.acked(json!({"type": "send", "client_id": format!("m{k}"), "text": text})).await;
            }
        }));
    }
    for shopper in writing {
        shopper.await.unwrap();
    }
    let after = relay.resident_kib();
    // What the relay keeps for one connection is bounded (one frame being written, fixed-size
    // channels, then a resync from the database); 16 MiB of growth leaves room for the allocator
    // and SQLite's page cache.
    assert!(after < before + 16 * 1024, "the relay grew from {before} KiB to {after} KiB");

    // After the send timeout (10 s) the relay gives up on it: reading now finds the end of the
    // connection after whatever was already on its way.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let mut frames = 0;
    while frozen.next_or_gone().await.is_some() {
        frames += 1;
        assert!(frames < 100_000, "the connection was not ended");
    }
}

#[test]
fn a_database_that_cannot_be_opened_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the database file should be.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["--listen", "127.0.0.1:0", "--static-dir", "none"])
        .arg("--database")
        .arg(dir.path())
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert!(!output.status.success(), "the relay started without a database");
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("cannot open database"), "{error}");
    assert!(!error.contains("panicked"), "{error}");
}
