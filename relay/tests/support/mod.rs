//! Test support: the real relay binary on a loopback port with its own SQLite file, and real
//! WebSocket clients talking to it. Every wait is bounded, so a broken relay fails a test instead
//! of hanging it.

#![allow(dead_code)] // each test file uses a different part of this module

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use checkout_chat_protocol::{ServerFrame, VisitorFrame};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const DEMO_PASSWORD: &str = "demo-password-for-tests";
pub const DEMO_EMAIL: &str = "anna@demo.example";
const WAIT: Duration = Duration::from_secs(10);

/// A relay process, killed when dropped.
pub struct Relay {
    child: Child,
    pub addr: SocketAddr,
    pub database: PathBuf,
}

impl Relay {
    /// Starts the relay on a free loopback port with the database at `database`.
    pub fn start(database: &Path) -> Relay {
        Self::start_with(database, &[])
    }

    pub fn start_with(database: &Path, extra_args: &[&str]) -> Relay {
        Self::spawn(Command::new(env!("CARGO_BIN_EXE_relay")), database, extra_args)
    }

    /// Starts the relay allowed to open at most `open_files` files (soft and hard limit), as a
    /// small machine or a careless service unit would: `prlimit` sets the limit, then becomes the
    /// relay (same pid).
    pub fn start_with_open_files(database: &Path, extra_args: &[&str], open_files: u32) -> Relay {
        let mut command = Command::new("prlimit");
        command.arg(format!("--nofile={open_files}:{open_files}")).arg("--").arg(env!("CARGO_BIN_EXE_relay"));
        Self::spawn(command, database, extra_args)
    }

    fn spawn(mut command: Command, database: &Path, extra_args: &[&str]) -> Relay {
        let mut child = command
            .args(["--listen", "127.0.0.1:0"])
            .args(if extra_args.contains(&"--static-dir") { &[][..] } else { &["--static-dir", "no-front-end"][..] })
            .arg("--database")
            .arg(database)
            .args(extra_args)
            .env("CHECKOUT_CHAT_DEMO_AGENT_PASSWORD", DEMO_PASSWORD)
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the relay binary");
        let stdout = child.stdout.take().expect("relay stdout");
        let (lines, announced) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("checkout-chat relay listening on http://") {
                    let _ = lines.send(url.to_owned());
                }
            }
        });
        let addr = announced
            .recv_timeout(Duration::from_secs(30))
            .expect("the relay announces its address within 30 s")
            .parse()
            .expect("a socket address");
        Relay { child, addr, database: database.to_owned() }
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Logs the demo agent in and returns the session cookie (`name=value`).
    pub async fn login(&self, email: &str, password: &str) -> Option<String> {
        let response = reqwest::Client::new()
            .post(self.http("/v1/agent/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("login request");
        if !response.status().is_success() {
            return None;
        }
        let cookie = response.headers().get("set-cookie")?.to_str().ok()?;
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "cookie flags: {cookie}");
        cookie.split(';').next().map(str::to_owned)
    }

    pub async fn demo_agent(&self) -> Client {
        let cookie = self.login(DEMO_EMAIL, DEMO_PASSWORD).await.expect("demo agent logs in");
        let mut agent = Client::agent(self.addr, &cookie).await.expect("agent socket opens");
        match agent.recv().await {
            ServerFrame::AgentWelcome { .. } => agent,
            other => panic!("expected agent_welcome, got {other:?}"),
        }
    }

    /// The demo agent, away: routing gives them no chats (they take one by answering it).
    pub async fn demo_agent_away(&self) -> Client {
        let mut agent = self.demo_agent().await;
        agent.set_status("away").await;
        agent
    }

    /// An account of the admin's shop, as `GET /v1/admin/agents` lists it.
    pub async fn account(&self, admin_cookie: &str, email: &str) -> checkout_chat_protocol::api::AgentAccount {
        let accounts: Vec<checkout_chat_protocol::api::AgentAccount> = reqwest::Client::new()
            .get(self.http("/v1/admin/agents"))
            .header("cookie", admin_cookie)
            .send()
            .await
            .expect("list accounts")
            .json()
            .await
            .expect("accounts as JSON");
        accounts.into_iter().find(|a| a.email == email).expect("the account is listed")
    }

    /// A plain agent (not an admin) the admin adds to their shop, logged in: their session cookie.
    pub async fn plain_agent(&self, admin_cookie: &str) -> String {
        let created = reqwest::Client::new()
            .post(self.http("/v1/admin/agents"))
            .header("cookie", admin_cookie)
            .json(&serde_json::json!({"email": "sam@demo.example", "name": "Sam", "password": "sam-password-1"}))
            .send()
            .await
            .expect("add an agent");
        assert_eq!(created.status(), 201, "the agent is added");
        self.login("sam@demo.example", "sam-password-1").await.expect("the agent logs in")
    }

    /// Changes an account of the admin's shop through `PATCH /v1/admin/agents/{id}`.
    pub async fn change_agent(&self, admin_cookie: &str, email: &str, change: serde_json::Value) {
        let account = self.account(admin_cookie, email).await;
        let response = reqwest::Client::new()
            .patch(self.http(&format!("/v1/admin/agents/{}", account.agent.id)))
            .header("cookie", admin_cookie)
            .json(&change)
            .send()
            .await
            .expect("change account");
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    }

    /// The demo agent's inbox as a fresh console receives it in `agent_welcome`.
    pub async fn demo_agent_with_welcome(&self) -> Vec<checkout_chat_protocol::ConversationSummary> {
        let cookie = self.login(DEMO_EMAIL, DEMO_PASSWORD).await.expect("demo agent logs in");
        let mut agent = Client::agent(self.addr, &cookie).await.expect("agent socket opens");
        match agent.recv().await {
            ServerFrame::AgentWelcome { inbox: checkout_chat_protocol::InboxStart { conversations, .. }, .. } => {
                conversations
            }
            other => panic!("expected agent_welcome, got {other:?}"),
        }
    }

    /// Kills the relay at once (SIGKILL), as a crash or a power cut would, and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The relay's resident memory in KiB, from /proc.
    pub fn resident_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("the relay is running");
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS in /proc status");
        line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("a number of kB")
    }

    /// Stops the relay the way a process manager does (SIGTERM) and waits for it to exit.
    pub fn stop(mut self) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).expect("pid fits i32"));
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("send SIGTERM");
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the relay did not exit within 5 s of SIGTERM");
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `relay agent add` against the database, with the password on stdin.
/// The admin of the second shop [`two_shops`] serves.
pub const RIVAL_EMAIL: &str = "rival@rival.example";
pub const RIVAL_PASSWORD: &str = "rival-password-1";

/// The relay serving two shops on `database`: `demo` (with the demo agent) and `rival` (with its
/// admin, [`RIVAL_EMAIL`]). Returns the relay and its config file (beside the database).
pub fn two_shops(database: &Path) -> (Relay, PathBuf) {
    let config = database.with_file_name("relay.toml");
    std::fs::write(
        &config,
        "[[shops]]\nid = \"demo\"\nname = \"Demo\"\n\n[[shops]]\nid = \"rival\"\nname = \"Rival\"\n",
    )
    .expect("write the config file");
    let relay = Relay::start_with(database, &["--config", config.to_str().expect("a UTF-8 path")]);
    add_agent(database, &config, "rival", RIVAL_EMAIL, RIVAL_PASSWORD);
    (relay, config)
}

/// Runs the relay's command line on `database` (as an operator would, beside the running relay).
pub fn relay_cli(database: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_relay")).arg("--database").arg(database).args(args).output().expect("run relay")
}

pub fn add_agent(database: &Path, config: &Path, shop: &str, email: &str, password: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_relay"))
        .arg("--config")
        .arg(config)
        .arg("--database")
        .arg(database)
        .args(["agent", "add", "--shop", shop, "--email", email, "--name", "Other Agent", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run relay agent add");
    child.stdin.take().expect("stdin").write_all(password.as_bytes()).expect("write password");
    assert!(child.wait().expect("wait for relay agent add").success(), "relay agent add failed");
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A WebSocket client, as the widget or the console would be. By default it passes over passing
/// notices (queue position, presence, typing), which most tests do not look at.
pub struct Client {
    socket: Socket,
    pub skip_notices: bool,
}

fn is_notice(frame: &ServerFrame) -> bool {
    matches!(
        frame,
        ServerFrame::Queue { .. }
            | ServerFrame::Presence { .. }
            | ServerFrame::Typing { .. }
            | ServerFrame::Team { .. }
    )
}

/// How a connection ended, as the client saw it.
#[derive(Debug)]
pub enum Ending {
    Closed(Option<u16>),
    Dropped,
}

impl Client {
    pub async fn visitor(addr: SocketAddr) -> Client {
        let (socket, _) =
            tokio_tungstenite::connect_async(format!("ws://{addr}/v1/visitor")).await.expect("visitor socket opens");
        Client { socket, skip_notices: true }
    }

    /// Opens an agent socket with a session cookie; `Err` carries the HTTP status of a refusal.
    pub async fn agent(addr: SocketAddr, cookie: &str) -> Result<Client, u16> {
        let mut request = format!("ws://{addr}/v1/agent").into_client_request().expect("request");
        if !cookie.is_empty() {
            request.headers_mut().insert("cookie", HeaderValue::from_str(cookie).expect("cookie header"));
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(Client { socket, skip_notices: true }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
            Err(other) => panic!("agent socket failed unexpectedly: {other}"),
        }
    }

    pub async fn send_json(&mut self, value: serde_json::Value) {
        self.send_text(value.to_string()).await;
    }

    pub async fn send_frame(&mut self, frame: &VisitorFrame) {
        self.send_text(serde_json::to_string(frame).expect("encode")).await;
    }

    pub async fn send_text(&mut self, text: String) {
        self.socket.send(Message::Text(text.into())).await.expect("send frame");
    }

    /// Sends a WebSocket message as is (a ping, a binary frame).
    pub async fn send_message(&mut self, message: Message) {
        self.socket.send(message).await.expect("send message");
    }

    /// Waits for `count` pongs, passing over everything else; panics after 30 s.
    pub async fn pongs(&mut self, count: usize) {
        let mut seen = 0;
        let deadline = tokio::time::Instant::now() + WAIT * 3;
        while seen < count {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Ok(Some(Ok(Message::Pong(_)))) => seen += 1,
                Ok(Some(Ok(_))) => {}
                other => panic!("{seen} of {count} pongs, then {other:?}"),
            }
        }
    }

    /// The next protocol frame (pings are skipped); panics after 10 s or if the socket ends.
    pub async fn recv(&mut self) -> ServerFrame {
        match self.try_recv(WAIT).await {
            Some(frame) => frame,
            None => panic!("no frame within {WAIT:?}"),
        }
    }

    /// The next protocol frame, or `None` if none comes within `wait`.
    pub async fn try_recv(&mut self, wait: Duration) -> Option<ServerFrame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next()).await.ok()?;
            match next {
                Some(Ok(Message::Text(text))) => {
                    let frame = ServerFrame::parse(text.as_str()).expect("relay sends valid frames");
                    if self.skip_notices && is_notice(&frame) {
                        continue;
                    }
                    return Some(frame);
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a frame, got {other:?}"),
            }
        }
    }

    /// Frames until (and including) the first one for which `last` is true.
    pub async fn recv_until(&mut self, last: impl Fn(&ServerFrame) -> bool) -> Vec<ServerFrame> {
        let mut frames = Vec::new();
        loop {
            let frame = self.recv().await;
            let done = last(&frame);
            frames.push(frame);
            if done {
                return frames;
            }
        }
    }

    /// Reads until the connection ends; returns how, skipping any frames on the way.
    pub async fn ending(&mut self) -> Ending {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => panic!("the connection did not end within {WAIT:?}"),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Ending::Closed(frame.map(|f: CloseFrame| u16::from(f.code)));
                }
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_)) | None) => return Ending::Dropped,
            }
        }
    }

    /// Sends a frame carrying a client id and waits for its ack: (conversation, seq). A refusal
    /// fails the test.
    pub async fn acked(&mut self, frame: serde_json::Value) -> (String, u64) {
        self.send_json(frame).await;
        loop {
            match self.recv().await {
                ServerFrame::Ack { conversation_id, seq, .. } => return (conversation_id.to_string(), seq),
                ServerFrame::Error { message, .. } => panic!("refused: {message}"),
                _ => {}
            }
        }
    }

    /// Sets an agent's status (`online` or `away`) and waits until the relay has read it (the
    /// relay handles an agent's frames in order, so its answer to a ping comes after).
    pub async fn set_status(&mut self, status: &str) {
        self.send_json(serde_json::json!({"type": "set_status", "status": status})).await;
        self.send_json(serde_json::json!({"type": "ping"})).await;
        while !matches!(self.recv().await, ServerFrame::Pong) {}
    }

    /// The next protocol frame, or `None` when the connection ends (a killed relay); panics if
    /// nothing comes within 10 s.
    pub async fn next_or_gone(&mut self) -> Option<ServerFrame> {
        loop {
            match tokio::time::timeout(WAIT, self.socket.next()).await {
                Err(_) => panic!("no frame within {WAIT:?}"),
                Ok(Some(Ok(Message::Text(text)))) => {
                    let frame = ServerFrame::parse(text.as_str()).expect("relay sends valid frames");
                    if !(self.skip_notices && is_notice(&frame)) {
                        return Some(frame);
                    }
                }
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Ok(Some(Ok(_) | Err(_)) | None) => return None,
            }
        }
    }

    /// Sends a frame; false if the connection is gone.
    pub async fn try_send_json(&mut self, value: serde_json::Value) -> bool {
        self.socket.send(Message::Text(value.to_string().into())).await.is_ok()
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

impl Client {
    pub fn from_socket(socket: Socket) -> Client {
        Client { socket, skip_notices: true }
    }
}

/// Waits (10 s at most) until `check` is true.
pub async fn eventually<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "the condition did not become true within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (at most `limit`) until `check` gives a value.
pub async fn eventually_some<T>(limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "nothing arrived within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
