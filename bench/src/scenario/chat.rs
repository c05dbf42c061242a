//! Active conversations: agents connect, shoppers connect and say hello, then every shopper
//! starts a conversation within the ramp and keeps writing at the plan's pace while agents
//! answer each message. Latency, throughput and the relay's CPU are measured over a window of
//! steady chat. With `restart_after`, the relay is killed (SIGKILL, a crash) mid-chat and
//! started again on the same data; every client reconnects at once with its last sequence
//! number. Either way the chat then goes quiet, every outbox drains, and each message is
//! checked to have reached both parties exactly once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;

use super::{ScenarioError, collect, settle};
use crate::conn::Credential;
use crate::ledger::{Verdict, verify};
use crate::procfs::{self, ProcSample};
use crate::relays::{Relay, RelaySetup};
use crate::script::Pace;
use crate::session::{ChatLatencies, ClientReport, Phase, Run, Timeline, agent, shopper};
use crate::stats::{Percentiles, per_unit};

#[derive(Debug, Clone)]
pub struct ChatPlan {
    pub shoppers: usize,
    pub agents: usize,
    /// Conversations routing gives each agent at most.
    pub capacity: u32,
    pub pace: Pace,
    /// After the ramp, before measuring (first answers and the agents' opening settle).
    pub warm_up: Duration,
    /// How long steady chat is measured.
    pub window: Duration,
    /// Kill and restart the relay this long after chatting began.
    pub restart_after: Option<Duration>,
    /// Chat this long after every client is back, before going quiet.
    pub after_restart: Duration,
    pub connect_concurrency: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatResults {
    pub startup_ms: f64,
    pub conversations: usize,
    pub agents: usize,
    pub window_s: f64,
    /// Messages first sent in the window that reached the other party.
    pub messages_relayed: u64,
    pub messages_per_second: f64,
    pub shopper_to_agent: Percentiles,
    pub agent_to_shopper: Percentiles,
    /// Send → the sender's ack (the message is durable).
    pub ack: Percentiles,
    pub relay_cpu_ms: f64,
    pub relay_cpu_us_per_message: Option<f64>,
    /// The kernel's part of `relay_cpu_us_per_message` (absent in results from before it was
    /// measured).
    #[serde(default)]
    pub relay_system_cpu_us_per_message: Option<f64>,
    pub generator_cpu_ms: f64,
    /// Relay memory with every shopper and agent connected, before anyone writes.
    pub connected_rss_bytes: u64,
    /// Relay memory at the end of the window.
    pub active_rss_bytes: u64,
    /// (active − connected) / conversations: what a conversation adds to its idle connection.
    pub bytes_per_active_conversation: Option<f64>,
    pub restart: Option<RestartFigures>,
    pub verdict: Verdict,
    pub disconnects: u32,
    pub connect_failures: u32,
    pub unreadable: u32,
    pub refused: u32,
    pub last_error: Option<String>,
}

/// What the crash and restart cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestartFigures {
    /// Start-up on the data of every conversation so far.
    pub startup_ms: f64,
    /// From the kill until the new relay accepted connections.
    pub outage_ms: f64,
    pub clients: usize,
    pub resynced: usize,
    /// From the new relay accepting to each client being whole again (welcome, every
    /// conversation replayed and synced).
    pub resync: Percentiles,
    pub relay_cpu_ms_for_resync: f64,
    /// Messages stored before the kill.
    pub stored_before_kill: u64,
}

/// How long every client may take to connect (and agents to log in) before the run fails.
const READY_LIMIT: Duration = Duration::from_secs(120);
/// How long the quiet phase may take to drain every outbox and delivery.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);
/// How long every client may take to be whole again after the restart.
const RESYNC_LIMIT: Duration = Duration::from_secs(60);

pub async fn run(setup: &RelaySetup, plan: &ChatPlan) -> Result<ChatResults, ScenarioError> {
    let mut relay = tokio::task::block_in_place(|| setup.start())?;
    let startup = relay.startup;
    let credentials = setup.credentials().await?;
    let run = Arc::new(Run::new(setup.target(), plan.pace));
    let mut clients = JoinSet::new();
    let agents_ready = spawn_agents(&run, &mut clients, credentials);
    wait_ready(agents_ready, "agent").await?;
    let shoppers_ready = spawn_shoppers(&run, &mut clients, plan).await;
    wait_ready(shoppers_ready, "shopper").await?;
    settle(Duration::from_secs(1)).await;
    let connected = relay.sample()?;

    let started = Instant::now();
    let window_start = started + plan.pace.ramp + plan.warm_up;
    let window = (window_start, window_start + plan.window);
    run.start_chatting(Timeline { started, window });
    let (restart, measured) = match plan.restart_after {
        Some(after) => {
            let figures = crash_and_restart(setup, &mut relay, &run, started + after, clients.len()).await?;
            tokio::time::sleep(plan.after_restart).await;
            (Some(figures), None)
        }
        None => (None, Some(measure_window(&relay, window).await?)),
    };

    run.set_phase(Phase::Quiet);
    drain(&run).await;
    run.set_phase(Phase::Done);
    let reports = collect(&mut clients, Duration::from_secs(30)).await;
    let ended = relay.sample()?;
    tokio::task::block_in_place(|| relay.stop());
    Ok(results(
        plan,
        startup,
        &run,
        &reports,
        connected,
        measured.unwrap_or((connected, ended, Duration::ZERO)),
        restart,
    ))
}

fn spawn_agents(
    run: &Arc<Run>,
    clients: &mut JoinSet<ClientReport>,
    credentials: Vec<Credential>,
) -> Vec<oneshot::Receiver<()>> {
    credentials
        .into_iter()
        .enumerate()
        .map(|(index, credential)| {
            let (ready, welcomed) = oneshot::channel();
            let run = Arc::clone(run);
            clients.spawn(async move { agent::run(&run, index + 1, credential, ready).await });
            welcomed
        })
        .collect()
}

/// Spawns the shoppers, at most `connect_concurrency` connecting at once.
async fn spawn_shoppers(
    run: &Arc<Run>,
    clients: &mut JoinSet<ClientReport>,
    plan: &ChatPlan,
) -> Vec<oneshot::Receiver<()>> {
    let limiter = Arc::new(Semaphore::new(plan.connect_concurrency));
    let mut readiness = Vec::with_capacity(plan.shoppers);
    for index in 0..plan.shoppers {
        let Ok(permit) = Arc::clone(&limiter).acquire_owned().await else { break };
        let (ready, welcomed) = oneshot::channel();
        let (relayed, seen) = oneshot::channel();
        let run = Arc::clone(run);
        clients.spawn(async move { shopper::run(&run, index, ready).await });
        tokio::spawn(async move {
            let _ = welcomed.await;
            drop(permit);
            let _ = relayed.send(());
        });
        readiness.push(seen);
    }
    readiness
}

async fn wait_ready(readiness: Vec<oneshot::Receiver<()>>, who: &str) -> Result<(), ScenarioError> {
    let deadline = Instant::now() + READY_LIMIT;
    let total = readiness.len();
    for (index, welcomed) in readiness.into_iter().enumerate() {
        match tokio::time::timeout_at(deadline.into(), welcomed).await {
            Ok(Ok(())) => {}
            _ => return Err(ScenarioError::Setup(format!("{who} {index} of {total} was not welcomed in time"))),
        }
    }
    Ok(())
}

/// Samples the relay at the start and end of the measurement window: (start, end, generator CPU).
async fn measure_window(
    relay: &Relay,
    window: (Instant, Instant),
) -> Result<(ProcSample, ProcSample, Duration), ScenarioError> {
    tokio::time::sleep_until(window.0.into()).await;
    let start = relay.sample()?;
    let generator_start = procfs::sample(std::process::id())?;
    tokio::time::sleep_until(window.1.into()).await;
    let end = relay.sample()?;
    let generator_end = procfs::sample(std::process::id())?;
    Ok((start, end, generator_end.cpu_since(&generator_start)))
}

/// Kills the relay at `at`, starts it again on the same data, lets every client know, and
/// waits until all `clients` are whole again.
async fn crash_and_restart(
    setup: &RelaySetup,
    relay: &mut Relay,
    run: &Run,
    at: Instant,
    clients: usize,
) -> Result<RestartFigures, ScenarioError> {
    tokio::time::sleep_until(at.into()).await;
    let stored_before_kill = run.ledger.stored_count();
    let killed = Instant::now();
    relay.kill();
    *relay = tokio::task::block_in_place(|| setup.start())?;
    let accepting = Instant::now();
    let before = relay.sample()?;
    run.relay_restarted();
    let deadline = accepting + RESYNC_LIMIT;
    while run.resync_times().len() < clients && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let after = relay.sample()?;
    let mut resync = crate::stats::Latencies::default();
    let times = run.resync_times();
    for at in &times {
        resync.record(at.saturating_duration_since(accepting));
    }
    eprintln!(
        "  {}: killed and restarted in {:.0} ms; {}/{clients} clients whole again, the last after {:.0} ms",
        setup.kind.label(),
        accepting.duration_since(killed).as_secs_f64() * 1000.0,
        times.len(),
        resync.summary().max_ms
    );
    Ok(RestartFigures {
        startup_ms: relay.startup.as_secs_f64() * 1000.0,
        outage_ms: accepting.duration_since(killed).as_secs_f64() * 1000.0,
        clients,
        resynced: times.len(),
        resync: resync.summary(),
        relay_cpu_ms_for_resync: after.cpu_since(&before).as_secs_f64() * 1000.0,
        stored_before_kill,
    })
}

/// Waits until every sent message is acknowledged and every stored message has reached both of
/// its views (bounded).
async fn drain(run: &Run) {
    let deadline = Instant::now() + DRAIN_LIMIT;
    while Instant::now() < deadline {
        let stored = run.ledger.stored_count();
        if run.ledger.unacked_count() == 0 && run.ledger.delivery_count() >= 2 * stored {
            // A little longer: a duplicate would arrive after the last first arrival.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn results(
    plan: &ChatPlan,
    startup: Duration,
    run: &Run,
    reports: &[ClientReport],
    connected: ProcSample,
    (window_start, window_end, generator_cpu): (ProcSample, ProcSample, Duration),
    restart: Option<RestartFigures>,
) -> ChatResults {
    let mut latencies = ChatLatencies::default();
    let mut views = Vec::new();
    let (mut disconnects, mut connect_failures, mut unreadable, mut refused) = (0, 0, 0, 0);
    let mut last_error = None;
    for report in reports {
        latencies.merge(&report.latencies);
        views.extend(report.views.iter().cloned());
        disconnects += report.disconnects;
        connect_failures += report.connect_failures;
        unreadable += report.unreadable;
        refused += report.refused;
        last_error = last_error.or_else(|| report.last_error.clone());
    }
    let verdict = verify(&run.ledger, &views);
    let relayed = latencies.shopper_to_agent.len() + latencies.agent_to_shopper.len();
    let window_s = window_end.at.saturating_duration_since(window_start.at).as_secs_f64();
    let relay_cpu = window_end.cpu_since(&window_start);
    let added = window_end.rss_bytes as f64 - connected.rss_bytes as f64;
    ChatResults {
        startup_ms: startup.as_secs_f64() * 1000.0,
        conversations: plan.shoppers,
        agents: plan.agents,
        window_s,
        messages_relayed: relayed,
        messages_per_second: if window_s > 0.0 { relayed as f64 / window_s } else { 0.0 },
        shopper_to_agent: latencies.shopper_to_agent.summary(),
        agent_to_shopper: latencies.agent_to_shopper.summary(),
        ack: latencies.ack.summary(),
        relay_cpu_ms: relay_cpu.as_secs_f64() * 1000.0,
        relay_cpu_us_per_message: per_unit(relay_cpu.as_secs_f64() * 1e6, relayed),
        relay_system_cpu_us_per_message: per_unit(
            window_end.system_cpu_since(&window_start).as_secs_f64() * 1e6,
            relayed,
        ),
        generator_cpu_ms: generator_cpu.as_secs_f64() * 1000.0,
        connected_rss_bytes: connected.rss_bytes,
        active_rss_bytes: window_end.rss_bytes,
        bytes_per_active_conversation: per_unit(added, plan.shoppers as u64),
        restart,
        verdict,
        disconnects,
        connect_failures,
        unreadable,
        refused,
        last_error,
    }
}
