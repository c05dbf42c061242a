//! The simulated clients. Each is one task with one socket: [`shopper`]s chat and update their
//! carts, [`agent`]s answer the conversations routed to them, [`watcher`]s are idle shoppers
//! (the widget's watcher socket on a shop page) that only listen for presence. They share a
//! [`Run`]: the relay's address, the pace, the ledger, and the phase the scenario is in.
//!
//! Chat clients behave like the real widget and console: they keep what they sent until it is
//! acknowledged, and when the connection drops they come back with the last sequence number
//! they have shown and send the unacknowledged messages again.

pub mod agent;
pub mod shopper;
pub mod watcher;

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::conn::Target;
use crate::ledger::{Ledger, View};
use crate::script::Pace;
use crate::stats::Latencies;

/// Where a scenario is. Clients connect in `Connecting`, chat in `Chatting`, stop writing new
/// messages (but still resend and receive) in `Quiet`, and disconnect in `Done`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Connecting,
    Chatting,
    Quiet,
    Done,
}

/// When chatting began and which messages count for the latency figures.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    pub started: Instant,
    /// Messages first sent in `[window.0, window.1)` are measured.
    pub window: (Instant, Instant),
}

/// What every client of a scenario shares.
pub struct Run {
    pub target: Target,
    pub pace: Pace,
    pub ledger: Ledger,
    phase: watch::Sender<Phase>,
    /// Bumped each time a restarted relay accepts connections again: clients that lost their
    /// connection reconnect at once (the "burst of reconnects").
    relay_generation: watch::Sender<u64>,
    timeline: OnceLock<Timeline>,
    /// When each client that had lost its connection was whole again (welcome and every
    /// conversation synced).
    resynced: Mutex<Vec<Instant>>,
}

/// How long a client waits for news of a restarted relay before it tries again anyway.
const RECONNECT_PATIENCE: Duration = Duration::from_secs(1);

impl Run {
    pub fn new(target: Target, pace: Pace) -> Self {
        Run {
            target,
            pace,
            ledger: Ledger::default(),
            phase: watch::channel(Phase::Connecting).0,
            relay_generation: watch::channel(0).0,
            timeline: OnceLock::new(),
            resynced: Mutex::new(Vec::new()),
        }
    }

    pub fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    pub fn phases(&self) -> watch::Receiver<Phase> {
        self.phase.subscribe()
    }

    pub fn set_phase(&self, phase: Phase) {
        self.phase.send_replace(phase);
    }

    /// Starts the chat: clients schedule their messages from `timeline.started`.
    pub fn start_chatting(&self, timeline: Timeline) {
        let _ = self.timeline.set(timeline);
        self.set_phase(Phase::Chatting);
    }

    pub fn timeline(&self) -> Option<Timeline> {
        self.timeline.get().copied()
    }

    /// Whether a message first sent at `sent` counts for the latency figures.
    pub fn measured(&self, sent: Instant) -> bool {
        self.timeline().is_some_and(|t| sent >= t.window.0 && sent < t.window.1)
    }

    pub fn relay_restarted(&self) {
        self.relay_generation.send_modify(|generation| *generation += 1);
    }

    pub fn relay_generation(&self) -> u64 {
        *self.relay_generation.borrow()
    }

    /// After losing its connection: waits until the relay is known to be back (or a while).
    pub async fn wait_for_relay(&self, lost_in_generation: u64) {
        let mut generations = self.relay_generation.subscribe();
        let _ = tokio::time::timeout(RECONNECT_PATIENCE, generations.wait_for(|g| *g > lost_in_generation)).await;
    }

    pub fn note_resynced(&self, at: Instant) {
        self.resynced.lock().unwrap_or_else(|p| p.into_inner()).push(at);
    }

    pub fn resync_times(&self) -> Vec<Instant> {
        self.resynced.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Latencies one chat client measured (messages first sent inside the window only).
#[derive(Debug, Default, Clone)]
pub struct ChatLatencies {
    /// Shopper sends → the agent's socket receives the event.
    pub shopper_to_agent: Latencies,
    /// Agent sends → the shopper's socket receives the event.
    pub agent_to_shopper: Latencies,
    /// Either sends → the sender receives the ack (the message is durable).
    pub ack: Latencies,
}

impl ChatLatencies {
    pub fn merge(&mut self, other: &ChatLatencies) {
        self.shopper_to_agent.merge(&other.shopper_to_agent);
        self.agent_to_shopper.merge(&other.agent_to_shopper);
        self.ack.merge(&other.ack);
    }
}

/// What a chat client hands back when it ends.
#[derive(Debug, Default)]
pub struct ClientReport {
    pub views: Vec<View>,
    pub latencies: ChatLatencies,
    /// Connections lost (a relay restart costs every client one).
    pub disconnects: u32,
    pub connect_failures: u32,
    /// Frames the generator could not read: the protocol drifted from what the bench expects.
    pub unreadable: u32,
    /// Messages the relay refused for good (not "unavailable", which is retried).
    pub refused: u32,
    /// The last connection error, if connecting failed.
    pub last_error: Option<String>,
}

/// A shopper or an agent: driven over one connection at a time until the scenario is done.
trait ChatClient {
    /// Talks over `wire` until the scenario is done or the connection drops.
    async fn drive(&mut self, run: &Run, wire: crate::conn::Wire, phases: &mut watch::Receiver<Phase>) -> Ending;
    fn report(&mut self) -> &mut ClientReport;
    /// The connection dropped: the next one resumes (resends, replays) instead of starting over.
    fn lost_connection(&mut self);
}

/// Connects `client` as `side`, drives it, and reconnects after every drop (at once when a
/// restarted relay is back) until the scenario is done.
async fn keep_connected(
    run: &Run,
    side: crate::conn::Side,
    credential: &crate::conn::Credential,
    client: &mut impl ChatClient,
) {
    let mut phases = run.phases();
    while run.phase() != Phase::Done {
        let generation = run.relay_generation();
        match run.target.open(side, credential).await {
            Ok(wire) => match client.drive(run, wire, &mut phases).await {
                Ending::Done => break,
                Ending::Lost => {
                    client.report().disconnects += 1;
                    client.lost_connection();
                    run.wait_for_relay(generation).await;
                }
            },
            Err(error) => {
                let report = client.report();
                report.connect_failures += 1;
                report.last_error = Some(error.to_string());
                tokio::time::sleep(retry_pause()).await;
            }
        }
    }
}

/// How one connection of a client ended.
enum Ending {
    /// The scenario is over.
    Done,
    /// The connection dropped; reconnect.
    Lost,
}

/// What woke a client's loop.
enum Step {
    Phase(Phase),
    Incoming(Result<crate::wire::Incoming, crate::conn::ConnError>),
    Due,
}

/// Waits for whatever comes first: a phase change, a frame (or the connection's end), or `due`.
async fn next_step(
    phases: &mut tokio::sync::watch::Receiver<Phase>,
    wire: &mut crate::conn::Wire,
    due: Option<Instant>,
) -> Step {
    tokio::select! {
        changed = phases.changed() => match changed {
            Ok(()) => Step::Phase(*phases.borrow_and_update()),
            Err(_) => Step::Phase(Phase::Done),
        },
        incoming = wire.recv() => Step::Incoming(incoming),
        () = sleep_until(due) => Step::Due,
    }
}

/// Sleeps until `due`, or forever without one.
async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due.into()).await,
        None => std::future::pending().await,
    }
}

/// A short random pause before retrying a failed connect, so retries do not come in lockstep.
fn retry_pause() -> Duration {
    crate::script::between((Duration::from_millis(100), Duration::from_millis(300)))
}
