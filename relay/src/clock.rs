//! Wall-clock time as the protocol carries it (milliseconds since the Unix epoch), and the ticks
//! of the relay's sweepers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0)
}

/// The ticks of a sweeper that acts on what has lasted longer than `limit`: every quarter of
/// it, but not more often than every 250 ms nor less often than every `at_most`. A late tick
/// waits rather than firing twice in a row.
pub fn sweep_ticks(limit: Duration, at_most: Duration) -> tokio::time::Interval {
    let mut ticks = tokio::time::interval((limit / 4).clamp(Duration::from_millis(250), at_most));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks
}
