//! Idle shoppers and the broadcast: connect idle shoppers (the widget's watcher socket) in steps
//! of connection counts; at each step measure the relay's resident memory and time the
//! broadcast this product makes to all of them — an agent going away or coming back online,
//! which the relay announces to every connected shopper of the shop (`presence`, which the
//! widget uses to say whether anyone is there to answer). Stops after the last step, or at the
//! first step past `must_reach` whose p95 broadcast latency exceeds the limit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;

use super::{ScenarioError, collect, settle};
use crate::procfs;
use crate::relays::RelaySetup;
use crate::script::Pace;
use crate::session::agent::Broadcaster;
use crate::session::watcher::{self, BroadcastProbe, WatcherReport};
use crate::session::{Phase, Run};
use crate::stats::{Latencies, Percentiles, slope};

#[derive(Debug, Clone)]
pub struct IdlePlan {
    /// Connection counts to measure at, rising.
    pub steps: Vec<usize>,
    /// Steps up to here are measured whatever the latency.
    pub must_reach: usize,
    /// The p95 broadcast latency the "largest number held" figure is held to.
    pub latency_limit: Duration,
    pub broadcasts_per_step: usize,
    /// Connects (with their hello) in flight at once while ramping up.
    pub connect_concurrency: usize,
}

/// One step's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdleStep {
    pub connections: usize,
    pub relay_rss_bytes: u64,
    pub generator_rss_bytes: u64,
    /// Receive latency of the broadcasts at this step, over every shopper and broadcast.
    pub broadcast: Percentiles,
    /// Shoppers that heard each broadcast, on average, of those connected.
    pub heard_share: f64,
    /// New connections per second while ramping up to this step (connect + hello + welcome).
    pub connects_per_second: f64,
    /// Relay CPU per new connection during the ramp, in microseconds.
    pub cpu_us_per_connect: f64,
    /// Relay CPU per presence frame delivered during the broadcasts, in microseconds.
    #[serde(default)]
    pub cpu_us_per_broadcast_frame: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdleResults {
    pub startup_ms: f64,
    pub baseline_rss_bytes: u64,
    pub steps: Vec<IdleStep>,
    /// Slope of resident memory over connections (least squares over the steps).
    pub bytes_per_idle_connection: Option<f64>,
    /// The largest step whose p95 broadcast latency stayed under the limit.
    pub held_under_limit: usize,
    pub latency_limit_ms: f64,
    pub stopped_because: String,
    pub connect_failures: usize,
    pub disconnects: u32,
    pub unreadable: u32,
}

/// How long to let a relay settle after a ramp before sampling its memory.
const SETTLE: Duration = Duration::from_secs(2);
/// How long one broadcast may take to reach everyone before the rest count as not heard.
const BROADCAST_LIMIT: Duration = Duration::from_secs(10);
/// A pause between broadcasts, so each is timed alone.
const BETWEEN_BROADCASTS: Duration = Duration::from_millis(300);

pub async fn run(setup: &RelaySetup, plan: &IdlePlan) -> Result<IdleResults, ScenarioError> {
    let relay = tokio::task::block_in_place(|| setup.start())?;
    let credentials = setup.credentials().await?;
    let credential = credentials.first().ok_or(ScenarioError::Setup("the idle scenario needs one agent".into()))?;
    let run = Arc::new(Run::new(setup.target(), Pace::STEADY));
    let probe = Arc::new(BroadcastProbe::default());
    let broadcaster = Broadcaster::connect(setup.target(), credential, Arc::clone(&probe)).await?;
    settle(SETTLE).await;
    let baseline = relay.sample()?;
    let mut results = IdleResults {
        startup_ms: relay.startup.as_secs_f64() * 1000.0,
        baseline_rss_bytes: baseline.rss_bytes,
        steps: Vec::new(),
        bytes_per_idle_connection: None,
        held_under_limit: 0,
        latency_limit_ms: plan.latency_limit.as_secs_f64() * 1000.0,
        stopped_because: "the last step was measured".into(),
        connect_failures: 0,
        disconnects: 0,
        unreadable: 0,
    };
    let mut watchers = JoinSet::new();
    let mut connected = 0;
    let limiter = Arc::new(Semaphore::new(plan.connect_concurrency));
    for &step in &plan.steps {
        let before = relay.sample()?;
        let ramp_started = Instant::now();
        let (ok, failed) = connect_watchers(&run, &probe, &limiter, &mut watchers, connected, step).await;
        let ramp = ramp_started.elapsed();
        let after_ramp = relay.sample()?;
        connected += ok;
        results.connect_failures += failed;
        settle(SETTLE).await;
        let sample = relay.sample()?;
        let (broadcast, heard_share) =
            time_broadcasts(&broadcaster, &probe, plan.broadcasts_per_step, connected).await?;
        let after_broadcasts = relay.sample()?;
        let frames = (heard_share * (plan.broadcasts_per_step * connected) as f64).max(1.0);
        let figures = IdleStep {
            connections: connected,
            relay_rss_bytes: sample.rss_bytes,
            generator_rss_bytes: procfs::sample(std::process::id())?.rss_bytes,
            broadcast: broadcast.summary(),
            heard_share,
            connects_per_second: ok as f64 / ramp.as_secs_f64().max(1e-3),
            cpu_us_per_connect: after_ramp.cpu_since(&before).as_secs_f64() * 1e6 / ok.max(1) as f64,
            cpu_us_per_broadcast_frame: after_broadcasts.cpu_since(&sample).as_secs_f64() * 1e6 / frames,
        };
        eprintln!(
            "  {} idle: {connected} connected, RSS {:.1} MB, broadcast p95 {:.1} ms (heard by {:.1}%)",
            setup.kind.label(),
            figures.relay_rss_bytes as f64 / 1e6,
            figures.broadcast.p95_ms,
            heard_share * 100.0
        );
        let under_limit = figures.broadcast.p95_ms <= results.latency_limit_ms && heard_share >= 0.999;
        results.steps.push(figures);
        if under_limit {
            results.held_under_limit = connected;
        }
        if failed > 0 {
            results.stopped_because = format!("{failed} connections failed at {step}");
            break;
        }
        if !under_limit && step >= plan.must_reach {
            results.stopped_because = format!("p95 broadcast latency passed {} ms", results.latency_limit_ms);
            break;
        }
    }
    // Over the steps only, not from the relay with no connection: an allocator that reserves
    // memory up front (mimalloc does) would otherwise look cheaper per connection than it is.
    let points: Vec<(f64, f64)> =
        results.steps.iter().map(|s| (s.connections as f64, s.relay_rss_bytes as f64)).collect();
    results.bytes_per_idle_connection = slope(&points);
    run.set_phase(Phase::Done);
    for report in collect(&mut watchers, Duration::from_secs(30)).await {
        results.disconnects += report.disconnects;
        results.unreadable += report.unreadable;
    }
    drop(broadcaster);
    tokio::task::block_in_place(|| relay.stop());
    Ok(results)
}

/// Connects watchers `from..to`, at most `limiter`'s permits at once; returns (connected, failed).
async fn connect_watchers(
    run: &Arc<Run>,
    probe: &Arc<BroadcastProbe>,
    limiter: &Arc<Semaphore>,
    watchers: &mut JoinSet<WatcherReport>,
    from: usize,
    to: usize,
) -> (usize, usize) {
    let mut readiness = JoinSet::new();
    for index in from..to {
        let Ok(permit) = Arc::clone(limiter).acquire_owned().await else { break };
        let (ready, welcomed) = oneshot::channel();
        let (run, probe) = (Arc::clone(run), Arc::clone(probe));
        watchers.spawn(async move { watcher::run(&run, index, &probe, ready).await });
        readiness.spawn(async move {
            let outcome = welcomed.await.unwrap_or_else(|_| Err("the client ended before its welcome".into()));
            drop(permit);
            outcome
        });
    }
    let (mut ok, mut failed) = (0, 0);
    while let Some(outcome) = readiness.join_next().await {
        match outcome {
            Ok(Ok(_)) => ok += 1,
            Ok(Err(error)) => {
                if failed == 0 {
                    eprintln!("  a connection failed: {error}");
                }
                failed += 1;
            }
            Err(_) => failed += 1,
        }
    }
    (ok, failed)
}

/// Flips the agent away and online `count` times; returns the receive latencies over all
/// shoppers and broadcasts, and the share of shoppers that heard them.
async fn time_broadcasts(
    broadcaster: &Broadcaster,
    probe: &BroadcastProbe,
    count: usize,
    connected: usize,
) -> Result<(Latencies, f64), ScenarioError> {
    let mut all = Latencies::default();
    let mut heard = 0;
    for round in 0..count {
        // Starting online (from the welcome), so away first: each flip changes the number.
        let online = round % 2 == 1;
        broadcaster.announce(online).await.map_err(ScenarioError::Setup)?;
        let deadline = Instant::now() + BROADCAST_LIMIT;
        while probe.heard_count() < connected as u64 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        heard += probe.heard_count();
        all.merge(&probe.finish());
        tokio::time::sleep(BETWEEN_BROADCASTS).await;
    }
    if count % 2 == 1 {
        // Leave the agent online, as the next step's first flip expects.
        broadcaster.announce(true).await.map_err(ScenarioError::Setup)?;
        tokio::time::sleep(BETWEEN_BROADCASTS).await;
        probe.finish();
    }
    let expected = (count * connected).max(1) as f64;
    Ok((all, heard as f64 / expected))
}
