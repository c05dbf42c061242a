//! The relays under test, as processes the benchmark starts, kills and stops itself: our release
//! binary with its own temporary database and config, and the socket.io reference under node
//! with its own log file. Both live in a fresh temporary directory on the same file system, so
//! both pay the same for a sync. Start-up time is measured from spawn until the port accepts a
//! TCP connection.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::conn::{Credential, Target};
use crate::procfs::{self, ProcError, ProcSample};
use crate::wire::Dialect;

/// How long a relay may take to accept connections after it is spawned.
const STARTUP_LIMIT: Duration = Duration::from_secs(60);
/// How long a relay may take to exit after SIGTERM (ours drains sessions for up to 5 s).
const STOP_LIMIT: Duration = Duration::from_secs(8);

/// Higher than any scenario's connection count: the relay's own limit must not be what is
/// measured.
const MAX_CONNECTIONS: usize = 100_000;

/// Every benchmark client comes from 127.0.0.1, so the relay's per-address limits (connections,
/// and frames per second shared by an address's sockets) are set far above what the scenarios
/// need; with the defaults the reconnect burst of 2,000 clients would be held to 500 frames a
/// second, and the benchmark would measure the limit instead of the relay.
const PER_ADDRESS_LIMITS: &str = "max_connections_per_ip = 100000\nmax_frames_per_second_per_ip = 1000000\n\
    new_visitors_per_minute_per_ip = 1000000\nnew_chats_per_minute_per_ip = 1000000\n\
    activity_events_per_minute_per_ip = 100000000\nactivity_kib_per_day_per_ip = 4000000000\n";

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("cannot prepare the relay's directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("`{command}` failed: {output}")]
    Command { command: String, output: String },
    #[error("the {relay} did not accept connections within {limit:?}; its log ends with:\n{log}")]
    NoStart { relay: &'static str, limit: Duration, log: String },
    #[error("the {relay} exited during start-up ({status}); its log ends with:\n{log}")]
    Exited { relay: &'static str, status: String, log: String },
    #[error("login of {email} failed: {reason}")]
    Login { email: String, reason: String },
    #[error(transparent)]
    Proc(#[from] ProcError),
}

/// Which relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    Ours,
    Reference,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Ours => "checkout-chat relay",
            Kind::Reference => "socket.io reference",
        }
    }

    pub fn dialect(self) -> Dialect {
        match self {
            Kind::Ours => Dialect::Checkout,
            Kind::Reference => Dialect::SocketIo,
        }
    }
}

/// Where the programs are.
#[derive(Debug, Clone)]
pub struct Tools {
    /// Our relay binary (`target/release/relay`).
    pub relay: PathBuf,
    pub node: PathBuf,
    /// `bench/reference`, with `node_modules` installed.
    pub reference: PathBuf,
}

/// A relay ready to start: its directory, port and agent accounts.
pub struct RelaySetup {
    pub kind: Kind,
    tools: Tools,
    dir: tempfile::TempDir,
    port: u16,
    agents: usize,
    capacity: u32,
    secret: String,
}

impl RelaySetup {
    /// A fresh directory, a free port and `agents` accounts of `capacity` conversations each.
    pub fn prepare(kind: Kind, tools: &Tools, agents: usize, capacity: u32) -> Result<Self, RelayError> {
        // CHECKOUT_CHAT_BENCH_KEEP_DATA=1 keeps each relay's directory (database, log, output)
        // for a look afterwards.
        let keep = std::env::var_os("CHECKOUT_CHAT_BENCH_KEEP_DATA").is_some();
        let dir = tempfile::Builder::new().prefix("checkout-chat-bench-").disable_cleanup(keep).tempdir()?;
        if keep {
            eprintln!("  keeping the {}'s data in {}", kind.label(), dir.path().display());
        }
        let mut setup = RelaySetup {
            kind,
            tools: tools.clone(),
            dir,
            port: free_port()?,
            agents,
            capacity,
            secret: format!("bench-secret-{}", std::process::id()),
        };
        if kind == Kind::Ours {
            setup.prepare_ours()?;
        }
        Ok(setup)
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("checkout-chat.toml")
    }

    fn write_config(&self) -> Result<(), RelayError> {
        let dir = self.dir.path().display();
        let mut config = format!(
            "# Written by the relay benchmark.\nlisten = \"127.0.0.1:{port}\"\ndatabase = \"{dir}/relay.db\"\n\
             static_dir = \"{dir}/no-front-end\"\n# Far above the default: the scenarios, not this limit, \
             are measured.\nmax_connections = {MAX_CONNECTIONS}\n",
            port = self.port,
        );
        config.push_str(PER_ADDRESS_LIMITS);
        std::fs::write(self.config_path(), config)?;
        Ok(())
    }

    /// Writes the config and creates the agent accounts with `relay agent add`.
    fn prepare_ours(&mut self) -> Result<(), RelayError> {
        self.write_config()?;
        for index in 1..=self.agents {
            self.add_agent(index)?;
        }
        Ok(())
    }

    fn add_agent(&self, index: usize) -> Result<(), RelayError> {
        let email = agent_email(index);
        let capacity = self.capacity.to_string();
        let mut command = Command::new(&self.tools.relay);
        command
            .arg("--config")
            .arg(self.config_path())
            .args(["agent", "add", "--shop", "demo", "--email", &email, "--name", &format!("Bench Agent {index}")])
            .args(["--capacity", &capacity, "--password-stdin"])
            .env("RUST_LOG", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(agent_password(index).as_bytes())?;
        }
        let output = child.wait_with_output()?;
        if output.status.success() {
            return Ok(());
        }
        Err(RelayError::Command {
            command: format!("relay agent add --email {email}"),
            output: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn target(&self) -> Target {
        Target { dialect: self.kind.dialect(), addr: self.addr() }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("relay-output.log")
    }

    /// Spawns the relay and waits until its port accepts connections.
    pub fn start(&self) -> Result<Relay, RelayError> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.log_path())?;
        let mut command = match self.kind {
            Kind::Ours => {
                let mut command = Command::new(&self.tools.relay);
                // Warnings only: per-connection info logs would be CPU the reference does not spend.
                command.arg("--config").arg(self.config_path()).env("RUST_LOG", "warn");
                command
            }
            Kind::Reference => {
                let mut command = Command::new(&self.tools.node);
                command
                    .arg("server.js")
                    .args(["--port", &self.port.to_string(), "--agents", &self.agents.to_string()])
                    .args(["--capacity", &self.capacity.to_string(), "--secret", &self.secret])
                    .arg("--log")
                    .arg(self.dir.path().join("relay.log"))
                    .current_dir(&self.tools.reference);
                command
            }
        };
        command.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
        let spawned = Instant::now();
        let mut child = command.spawn()?;
        let relay = self.kind.label();
        loop {
            if TcpStream::connect_timeout(&self.addr(), Duration::from_millis(100)).is_ok() {
                let startup = spawned.elapsed();
                return Ok(Relay { child: Some(child), startup });
            }
            if let Some(status) = child.try_wait()? {
                return Err(RelayError::Exited { relay, status: status.to_string(), log: self.log_tail() });
            }
            if spawned.elapsed() > STARTUP_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RelayError::NoStart { relay, limit: STARTUP_LIMIT, log: self.log_tail() });
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The last lines the relay wrote, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// How each agent connects: ours logs in over HTTP for a session cookie; the reference takes
    /// the agent's id and the shared secret in the socket.io handshake.
    pub async fn credentials(&self) -> Result<Vec<Credential>, RelayError> {
        let mut credentials = Vec::with_capacity(self.agents);
        for index in 1..=self.agents {
            credentials.push(match self.kind {
                Kind::Ours => Credential::Cookie(login(self.addr(), index).await?),
                Kind::Reference => {
                    Credential::SocketIoAgent { agent_id: format!("agent-{index}"), secret: self.secret.clone() }
                }
            });
        }
        Ok(credentials)
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }
}

fn agent_email(index: usize) -> String {
    format!("agent-{index}@bench.example")
}

fn agent_password(index: usize) -> String {
    format!("bench-agent-password-{index}")
}

/// `POST /v1/agent/login`; returns the `cc_session=…` cookie.
async fn login(addr: SocketAddr, index: usize) -> Result<String, RelayError> {
    let email = agent_email(index);
    let failed = |reason: String| RelayError::Login { email: email.clone(), reason };
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/v1/agent/login"))
        .json(&serde_json::json!({"email": email, "password": agent_password(index)}))
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    let cookie = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default();
    match cookie.split(';').next() {
        Some(pair) if pair.starts_with("cc_session=") => Ok(pair.to_owned()),
        _ => Err(failed("no session cookie in the answer".into())),
    }
}

/// A port nobody listens on now (the relay binds it a moment later).
fn free_port() -> Result<u16, std::io::Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running relay process; killed if dropped while running.
pub struct Relay {
    child: Option<Child>,
    /// From spawn until the port accepted a connection.
    pub startup: Duration,
}

impl Relay {
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// CPU time and resident memory now.
    pub fn sample(&self) -> Result<ProcSample, RelayError> {
        let pid = self.pid().ok_or(RelayError::Proc(ProcError::Shape { pid: 0, file: "stat" }))?;
        Ok(procfs::sample(pid)?)
    }

    /// Kills the process at once (SIGKILL): a crash, nothing flushed or said goodbye.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Asks the relay to stop (SIGTERM) and waits; kills it if it does not.
    pub fn stop(mut self) {
        let Some(mut child) = self.child.take() else { return };
        if let Ok(pid) = i32::try_from(child.id()) {
            // A positive pid: exactly this process.
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
        }
        let deadline = Instant::now() + STOP_LIMIT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.kill();
    }
}
