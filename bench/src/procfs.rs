//! What a process costs, read from Linux's `/proc`: CPU time (user + system, all threads) from
//! `/proc/<pid>/stat` and resident memory from `/proc/<pid>/status`.

use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    #[error("cannot read /proc/{pid}: {source}")]
    Read { pid: u32, source: std::io::Error },
    #[error("/proc/{pid}/{file} has an unexpected shape")]
    Shape { pid: u32, file: &'static str },
    #[error("cannot ask the kernel for its clock tick: {0}")]
    ClockTick(String),
}

/// A process's cost so far, at one moment.
#[derive(Debug, Clone, Copy)]
pub struct ProcSample {
    pub at: Instant,
    /// User plus system time of every thread, ever.
    pub cpu: Duration,
    /// The system (kernel) part of `cpu`: system calls (sending on sockets, which on loopback
    /// includes the receiving side's TCP work, syncing files), page faults, scheduling.
    pub system_cpu: Duration,
    pub rss_bytes: u64,
}

impl ProcSample {
    /// CPU spent between `earlier` and this sample.
    pub fn cpu_since(&self, earlier: &ProcSample) -> Duration {
        self.cpu.saturating_sub(earlier.cpu)
    }

    /// System (kernel) CPU spent between `earlier` and this sample.
    pub fn system_cpu_since(&self, earlier: &ProcSample) -> Duration {
        self.system_cpu.saturating_sub(earlier.system_cpu)
    }
}

/// Samples process `pid` now.
pub fn sample(pid: u32) -> Result<ProcSample, ProcError> {
    let read = |file: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/{file}")).map_err(|source| ProcError::Read { pid, source })
    };
    let at = Instant::now();
    let (user, system) = parse_cpu_ticks(&read("stat")?).ok_or(ProcError::Shape { pid, file: "stat" })?;
    let rss_bytes = parse_rss_bytes(&read("status")?).ok_or(ProcError::Shape { pid, file: "status" })?;
    let ticks = clock_ticks_per_second()?;
    let cpu = Duration::from_secs_f64((user + system) as f64 / ticks as f64);
    let system_cpu = Duration::from_secs_f64(system as f64 / ticks as f64);
    Ok(ProcSample { at, cpu, system_cpu, rss_bytes })
}

fn clock_ticks_per_second() -> Result<u64, ProcError> {
    match nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK) {
        Ok(Some(ticks)) if ticks > 0 => Ok(ticks.unsigned_abs()),
        other => Err(ProcError::ClockTick(format!("{other:?}"))),
    }
}

/// `utime` and `stime` (fields 14 and 15) of `/proc/<pid>/stat`. The command name (field 2) is
/// in parentheses and may itself contain spaces and parentheses, so fields are counted from
/// the last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // After the name come field 3 (state) onwards: utime is the 12th of those, stime the 13th.
    let user = fields.nth(11)?.parse().ok()?;
    let system = fields.next()?.parse().ok()?;
    Some((user, system))
}

/// `VmRSS:  12345 kB` from `/proc/<pid>/status`.
fn parse_rss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_counted_after_the_command_name() {
        let stat = "4242 (tokio (worker) 1) S 1 4242 4242 0 -1 4194560 1523 0 0 0 731 129 0 0 20 0 5 0 1234 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some((731, 129)));
        assert_eq!(parse_cpu_ticks("4242 (x) S 1"), None);
    }

    #[test]
    fn resident_memory_is_read_in_kib() {
        let status = "Name:\trelay\nVmPeak:\t  900000 kB\nVmRSS:\t   20480 kB\nThreads:\t5\n";
        assert_eq!(parse_rss_bytes(status), Some(20 * 1024 * 1024));
        assert_eq!(parse_rss_bytes("Name:\tx\n"), None);
    }

    #[test]
    fn this_process_can_be_sampled() {
        let sample = sample(std::process::id()).unwrap();
        assert!(sample.rss_bytes > 0);
    }
}
