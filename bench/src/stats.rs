//! Latency histograms (microseconds, HdrHistogram) and the few numbers reported from them, plus
//! the per-unit arithmetic: slopes (memory per connection) and costs per message.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latencies up to a minute are recorded exactly to 3 significant figures; longer ones are
/// clamped to a minute (they are failures in any of the scenarios).
const HIGHEST_MICROS: u64 = 60_000_000;

/// A latency distribution being recorded.
#[derive(Clone)]
pub struct Latencies(Histogram<u64>);

impl Default for Latencies {
    fn default() -> Self {
        // Fixed bounds and precision: creation cannot fail.
        Latencies(Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).unwrap_or_else(|_| unreachable!("valid bounds")))
    }
}

impl std::fmt::Debug for Latencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Latencies({} samples)", self.0.len())
    }
}

impl Latencies {
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).clamp(1, HIGHEST_MICROS);
        self.0.saturating_record(micros);
    }

    pub fn merge(&mut self, other: &Latencies) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.0.add(&other.0);
    }

    pub fn len(&self) -> u64 {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn summary(&self) -> Percentiles {
        let at = |quantile: f64| self.0.value_at_quantile(quantile) as f64 / 1000.0;
        Percentiles {
            count: self.0.len(),
            p50_ms: at(0.50),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            p999_ms: at(0.999),
            max_ms: self.0.max() as f64 / 1000.0,
        }
    }
}

/// The reported shape of a latency distribution, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

/// Least-squares slope of `y` over `x` (for memory against connections: bytes per connection).
/// `None` with fewer than two distinct `x`.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let spread: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if spread == 0.0 {
        return None;
    }
    let covariance: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    Some(covariance / spread)
}

/// `total` spread over `units` (CPU per message, bytes per connection); `None` for no units.
pub fn per_unit(total: f64, units: u64) -> Option<f64> {
    (units > 0).then(|| total / units as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_recorded_latencies() {
        let mut latencies = Latencies::default();
        for ms in 1..=1000 {
            latencies.record(Duration::from_millis(ms));
        }
        let summary = latencies.summary();
        assert_eq!(summary.count, 1000);
        assert!((summary.p50_ms - 500.0).abs() < 1.0, "{summary:?}");
        assert!((summary.p99_ms - 990.0).abs() < 1.0, "{summary:?}");
        assert!((summary.p999_ms - 999.0).abs() < 1.0, "{summary:?}");
        assert!((summary.max_ms - 1000.0).abs() < 1.0, "{summary:?}");
    }

    #[test]
    fn merging_adds_the_samples_and_extremes_are_clamped() {
        let mut a = Latencies::default();
        let mut b = Latencies::default();
        a.record(Duration::ZERO);
        b.record(Duration::from_secs(3600));
        a.merge(&b);
        assert_eq!(a.len(), 2);
        let max = a.summary().max_ms;
        assert!((max - 60_000.0).abs() < 60.0, "clamped to a minute (to 3 significant figures): {max}");
    }

    #[test]
    fn slope_of_memory_over_connections() {
        let points = [(0.0, 10_000.0), (1000.0, 18_000.0), (2000.0, 26_100.0), (3000.0, 33_900.0)];
        let per_connection = slope(&points).unwrap();
        assert!((per_connection - 7.97).abs() < 0.05, "{per_connection}");
        assert_eq!(slope(&[(1.0, 2.0)]), None);
        assert_eq!(slope(&[(1.0, 2.0), (1.0, 3.0)]), None);
    }

    #[test]
    fn cost_per_unit_needs_units() {
        assert_eq!(per_unit(10.0, 4), Some(2.5));
        assert_eq!(per_unit(10.0, 0), None);
    }
}
