//! An idle shopper: the widget's watcher socket on a shop page (`hello` with `activity_only`),
//! which holds a connection and hears `presence` whenever the number of agents online changes.
//! The [`BroadcastProbe`] times how long that news takes to reach every idle shopper.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::{Phase, Run, Step, next_step};
use crate::conn::{ConnError, Credential, Side};
use crate::stats::Latencies;
use crate::wire::{ClientMsg, Incoming, ServerMsg};

/// What an idle shopper reports when it ends.
#[derive(Debug, Default)]
pub struct WatcherReport {
    pub disconnects: u32,
    pub unreadable: u32,
}

/// Times one broadcast: armed with the value every shopper should hear, just before the frame
/// that causes it is sent; each idle shopper that hears it records how long it took.
#[derive(Default)]
pub struct BroadcastProbe {
    state: Mutex<ProbeState>,
}

#[derive(Default)]
struct ProbeState {
    expected: Option<u32>,
    sent_at: Option<Instant>,
    heard: u64,
    latencies: Latencies,
}

impl BroadcastProbe {
    fn state(&self) -> std::sync::MutexGuard<'_, ProbeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts timing a broadcast of `agents_online`, now.
    pub fn arm(&self, agents_online: u32) {
        let mut state = self.state();
        *state = ProbeState { expected: Some(agents_online), sent_at: Some(Instant::now()), ..ProbeState::default() };
    }

    /// An idle shopper heard `agents_online`.
    pub fn heard(&self, agents_online: u32) {
        let now = Instant::now();
        let mut state = self.state();
        if state.expected == Some(agents_online)
            && let Some(sent_at) = state.sent_at
        {
            state.heard += 1;
            state.latencies.record(now - sent_at);
        }
    }

    pub fn heard_count(&self) -> u64 {
        self.state().heard
    }

    /// Stops timing and hands over what was measured.
    pub fn finish(&self) -> Latencies {
        std::mem::take(&mut *self.state()).latencies
    }
}

/// Connects idle shopper `index`, says hello, reports through `ready` how long until the
/// welcome, then listens until the scenario is done.
pub async fn run(
    run: &Run,
    index: usize,
    probe: &BroadcastProbe,
    ready: oneshot::Sender<Result<Duration, String>>,
) -> WatcherReport {
    let mut report = WatcherReport::default();
    let started = Instant::now();
    let mut wire = match run.target.open(Side::Visitor, &Credential::None).await {
        Ok(wire) => wire,
        Err(error) => {
            let _ = ready.send(Err(error.to_string()));
            return report;
        }
    };
    let session_id = format!("bench-idle-{index}");
    let hello = ClientMsg::Hello {
        token: None,
        conversation_id: None,
        last_seq: 0,
        session_id: &session_id,
        activity_only: true,
    };
    if let Err(error) = wire.send(&hello).await {
        let _ = ready.send(Err(error.to_string()));
        return report;
    }
    let mut ready = Some(ready);
    let mut phases = run.phases();
    loop {
        if run.phase() == Phase::Done {
            break;
        }
        let step = next_step(&mut phases, &mut wire, None).await;
        match step {
            Step::Phase(Phase::Done) => break,
            Step::Incoming(Ok(Incoming::Msg(ServerMsg::Welcome { .. }))) => {
                if let Some(ready) = ready.take() {
                    let _ = ready.send(Ok(started.elapsed()));
                }
            }
            Step::Incoming(Ok(Incoming::Msg(ServerMsg::Presence { agents_online }))) => probe.heard(agents_online),
            Step::Incoming(Ok(Incoming::Ping)) => match wire.pong().await {
                Ok(()) => {}
                Err(_) => {
                    report.disconnects += 1;
                    break;
                }
            },
            Step::Incoming(Ok(Incoming::Ended))
            | Step::Incoming(Err(ConnError::Closed(_) | ConnError::WebSocket(_))) => {
                report.disconnects += 1;
                if let Some(ready) = ready.take() {
                    let _ = ready.send(Err("closed before the welcome".into()));
                }
                break;
            }
            Step::Incoming(Err(_)) => report.unreadable += 1,
            _ => {}
        }
    }
    report
}
