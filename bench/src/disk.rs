//! The floor under every latency that waits for durability: how long appending a small record
//! and syncing it (`fdatasync`) takes on the file system both relays write to. Neither relay can
//! acknowledge (or forward) a message faster than this, whatever else it does.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use crate::stats::{Latencies, Percentiles};

/// Appends `samples` records of 200 bytes to a fresh file in `dir`, syncing after each.
pub fn sync_latency(dir: &Path, samples: usize) -> std::io::Result<Percentiles> {
    let scratch = tempfile::Builder::new().prefix("bench-sync-").tempdir_in(dir)?;
    let mut file = OpenOptions::new().create(true).append(true).open(scratch.path().join("log"))?;
    let record = [b'x'; 200];
    let mut latencies = Latencies::default();
    for _ in 0..samples {
        let started = Instant::now();
        file.write_all(&record)?;
        file.sync_data()?;
        latencies.record(started.elapsed());
    }
    Ok(latencies.summary())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syncs_are_timed() {
        let dir = tempfile::tempdir().unwrap();
        let summary = sync_latency(dir.path(), 5).unwrap();
        assert_eq!(summary.count, 5);
        assert!(summary.max_ms > 0.0);
    }
}
