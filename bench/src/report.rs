//! A run's results: the JSON kept in `bench/results/`, the figures table written into
//! `BENCHMARKS.md` (between its markers, so the prose around it stays), and the same table
//! printed at the end of a run.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::scenario::chat::ChatResults;
use crate::scenario::idle::IdleResults;

pub const BEGIN_MARKER: &str = "<!-- bench:results:begin (written by bench/run.sh; edit around, not inside) -->";
pub const END_MARKER: &str = "<!-- bench:results:end -->";

/// Targets for our relay (issue 6).
pub const TARGET_BYTES_PER_IDLE_CONNECTION: f64 = 8_000.0;
pub const TARGET_P99_SHOPPER_TO_AGENT_MS: f64 = 5.0;
pub const TARGET_CPU_ADVANTAGE: f64 = 3.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResults {
    pub mode: String,
    pub command: String,
    pub commit: String,
    pub started_utc: String,
    pub duration_s: f64,
    pub machine: Machine,
    /// Append + fdatasync of a small record on the relays' file system.
    pub disk_sync: Option<crate::stats::Percentiles>,
    pub ours: RelayResults,
    pub reference: Option<RelayResults>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RelayResults {
    pub label: String,
    pub idle: Option<IdleResults>,
    pub chat: Option<ChatResults>,
    pub restart: Option<ChatResults>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub load_before: String,
    pub load_after: String,
    pub node: String,
    pub socket_io: String,
    pub file_system: String,
}

fn kb(bytes: f64) -> String {
    format!("{:.1} KB", bytes / 1000.0)
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn ms(value: f64) -> String {
    if value < 10.0 { format!("{value:.2} ms") } else { format!("{value:.0} ms") }
}

fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn check(ok: bool) -> &'static str {
    if ok { "✅" } else { "❌" }
}

/// One table row: what, ours, the reference, ratio, target.
struct Row {
    what: String,
    ours: String,
    reference: String,
    ratio: String,
    target: String,
}

fn row(what: impl Into<String>, ours: String, reference: Option<String>) -> Row {
    Row {
        what: what.into(),
        ours,
        reference: reference.unwrap_or_else(|| "–".into()),
        ratio: String::new(),
        target: String::new(),
    }
}

impl Row {
    fn ratio(mut self, ratio: Option<f64>, unit: &str) -> Self {
        if let Some(ratio) = ratio.filter(|r| r.is_finite()) {
            self.ratio = format!("{ratio:.2}{unit}");
        }
        self
    }

    fn target(mut self, target: String) -> Self {
        self.target = target;
        self
    }
}

fn ratio(ours: Option<f64>, reference: Option<f64>) -> Option<f64> {
    match (ours, reference) {
        (Some(o), Some(r)) if r > 0.0 => Some(o / r),
        _ => None,
    }
}

/// The figures table (markdown).
pub fn table(results: &RunResults) -> String {
    let ours = &results.ours;
    let reference = results.reference.as_ref();
    let mut rows = Vec::new();
    idle_rows(&mut rows, ours.idle.as_ref(), reference.and_then(|r| r.idle.as_ref()));
    chat_rows(&mut rows, ours.chat.as_ref(), reference.and_then(|r| r.chat.as_ref()));
    restart_rows(&mut rows, ours.restart.as_ref(), reference.and_then(|r| r.restart.as_ref()));
    let mut text = String::from(
        "| | checkout-chat relay | socket.io reference | ours ÷ reference | target (ours) |\n|---|---|---|---|---|\n",
    );
    for r in rows {
        let _ = writeln!(text, "| {} | {} | {} | {} | {} |", r.what, r.ours, r.reference, r.ratio, r.target);
    }
    text
}

fn idle_rows(rows: &mut Vec<Row>, ours: Option<&IdleResults>, reference: Option<&IdleResults>) {
    let Some(ours) = ours else { return };
    rows.push(
        row("Start-up: spawn → port accepts (fresh data)", ms(ours.startup_ms), reference.map(|r| ms(r.startup_ms)))
            .ratio(ratio(Some(ours.startup_ms), reference.map(|r| r.startup_ms)), "×"),
    );
    let per_connection = |r: &IdleResults| r.bytes_per_idle_connection.map_or("–".into(), kb);
    let ok = ours.bytes_per_idle_connection.is_some_and(|b| b <= TARGET_BYTES_PER_IDLE_CONNECTION);
    rows.push(
        row("RSS per idle connection (slope over the steps)", per_connection(ours), reference.map(per_connection))
            .ratio(ratio(ours.bytes_per_idle_connection, reference.and_then(|r| r.bytes_per_idle_connection)), "×")
            .target(format!("≤ 8 KB {}", check(ok))),
    );
    let largest = |r: &IdleResults| r.steps.last().map_or(0, |s| s.connections);
    let at_most = |r: &IdleResults| r.steps.iter().rfind(|s| s.connections <= 10_000).cloned();
    if let Some(step) = at_most(ours) {
        let theirs = reference.and_then(at_most);
        rows.push(row(
            format!("RSS with {} idle shoppers", count(step.connections)),
            mb(step.relay_rss_bytes),
            theirs.as_ref().map(|s| format!("{} ({} idle)", mb(s.relay_rss_bytes), count(s.connections))),
        ));
        let spell = |s: &crate::scenario::idle::IdleStep| {
            format!("{} / {} / {}", ms(s.broadcast.p50_ms), ms(s.broadcast.p95_ms), ms(s.broadcast.p99_ms))
        };
        rows.push(row(
            format!("Broadcast to {} idle shoppers, p50 / p95 / p99", count(step.connections)),
            spell(&step),
            theirs.as_ref().map(spell),
        ));
        type Step = crate::scenario::idle::IdleStep;
        let per_frame = |s: &Step| format!("{:.1} µs", s.cpu_us_per_broadcast_frame);
        rows.push(
            row("Relay CPU per presence frame delivered (same step)", per_frame(&step), theirs.as_ref().map(per_frame))
                .ratio(
                    ratio(Some(step.cpu_us_per_broadcast_frame), theirs.as_ref().map(|s| s.cpu_us_per_broadcast_frame)),
                    "×",
                ),
        );
        let per_connect = |s: &Step| format!("{:.0} µs", s.cpu_us_per_connect);
        rows.push(
            row(
                "Relay CPU per new idle connection (connect + hello)",
                per_connect(&step),
                theirs.as_ref().map(per_connect),
            )
            .ratio(ratio(Some(step.cpu_us_per_connect), theirs.as_ref().map(|s| s.cpu_us_per_connect)), "×"),
        );
    }
    let held = |r: &IdleResults| {
        let limit_hit = r.held_under_limit < largest(r) || r.stopped_because.contains("passed");
        let bound = if limit_hit { "" } else { "≥ " };
        format!("{bound}{}", count(r.held_under_limit))
    };
    rows.push(
        row(
            format!("Most connections held with p95 broadcast ≤ {:.0} ms", ours.latency_limit_ms),
            held(ours),
            reference.map(held),
        )
        .ratio(ratio(Some(ours.held_under_limit as f64), reference.map(|r| r.held_under_limit as f64)), "×"),
    );
    rows.push(row(
        "New connections per second (connect + hello + welcome, at the last step)",
        ours.steps.last().map_or("–".into(), |s| format!("{:.0}/s", s.connects_per_second)),
        reference.and_then(|r| r.steps.last()).map(|s| format!("{:.0}/s", s.connects_per_second)),
    ));
}

fn chat_rows(rows: &mut Vec<Row>, ours: Option<&ChatResults>, reference: Option<&ChatResults>) {
    let Some(ours) = ours else { return };
    let title = format!("{} conversations, {} agents", count(ours.conversations), ours.agents);
    rows.push(row(
        format!("{title}: messages relayed per second (window {:.0} s)", ours.window_s),
        format!("{:.0}/s", ours.messages_per_second),
        reference.map(|r| format!("{:.0}/s", r.messages_per_second)),
    ));
    let spell = |p: &crate::stats::Percentiles| format!("{} / {} / {}", ms(p.p50_ms), ms(p.p99_ms), ms(p.p999_ms));
    rows.push(
        row(
            "Shopper → agent latency, p50 / p99 / p99.9",
            spell(&ours.shopper_to_agent),
            reference.map(|r| spell(&r.shopper_to_agent)),
        )
        .ratio(ratio(Some(ours.shopper_to_agent.p99_ms), reference.map(|r| r.shopper_to_agent.p99_ms)), "× (p99)")
        .target(format!("p99 ≤ 5 ms {}", check(ours.shopper_to_agent.p99_ms <= TARGET_P99_SHOPPER_TO_AGENT_MS))),
    );
    rows.push(
        row(
            "Agent → shopper latency, p50 / p99 / p99.9",
            spell(&ours.agent_to_shopper),
            reference.map(|r| spell(&r.agent_to_shopper)),
        )
        .ratio(ratio(Some(ours.agent_to_shopper.p99_ms), reference.map(|r| r.agent_to_shopper.p99_ms)), "× (p99)"),
    );
    rows.push(row("Send → durable ack, p50 / p99 / p99.9", spell(&ours.ack), reference.map(|r| spell(&r.ack))));
    let cpu = |r: &ChatResults| r.relay_cpu_us_per_message.map_or("–".into(), |us| format!("{us:.0} µs"));
    let advantage = ratio(reference.and_then(|r| r.relay_cpu_us_per_message), ours.relay_cpu_us_per_message);
    let mut cpu_row =
        row("Relay CPU per relayed message (all relay work in the window ÷ messages)", cpu(ours), reference.map(cpu))
            .ratio(ratio(ours.relay_cpu_us_per_message, reference.and_then(|r| r.relay_cpu_us_per_message)), "×");
    if let Some(advantage) = advantage {
        cpu_row = cpu_row.target(format!("≥ 3× less: {advantage:.2}× {}", check(advantage >= TARGET_CPU_ADVANTAGE)));
    }
    rows.push(cpu_row);
    let system = |r: &ChatResults| {
        r.relay_system_cpu_us_per_message.map_or("–".into(), |us| match r.relay_cpu_us_per_message {
            Some(all) if all > 0.0 => format!("{us:.0} µs ({:.0}%)", us / all * 100.0),
            _ => format!("{us:.0} µs"),
        })
    };
    rows.push(
        row("… of which in the kernel (system time: sockets, syncs, scheduling)", system(ours), reference.map(system))
            .ratio(
                ratio(ours.relay_system_cpu_us_per_message, reference.and_then(|r| r.relay_system_cpu_us_per_message)),
                "×",
            ),
    );
    let per_conversation = |r: &ChatResults| r.bytes_per_active_conversation.map_or("–".into(), kb);
    rows.push(
        row(
            "RSS added per active conversation (over its idle connection)",
            per_conversation(ours),
            reference.map(per_conversation),
        )
        .ratio(ratio(ours.bytes_per_active_conversation, reference.and_then(|r| r.bytes_per_active_conversation)), "×"),
    );
    rows.push(row(
        "RSS at the end of the window",
        mb(ours.active_rss_bytes),
        reference.map(|r| mb(r.active_rss_bytes)),
    ));
    let exactly = |r: &ChatResults| verdict_cell(&r.verdict);
    rows.push(row("Every message to both parties exactly once", exactly(ours), reference.map(exactly)));
}

fn verdict_cell(verdict: &crate::ledger::Verdict) -> String {
    let status = if verdict.is_exactly_once() { "yes ✅" } else { "NO ❌" };
    format!(
        "{status} ({} stored, {} lost, {} duplicated)",
        count(verdict.stored as usize),
        verdict.lost,
        verdict.duplicated
    )
}

fn restart_rows(rows: &mut Vec<Row>, ours: Option<&ChatResults>, reference: Option<&ChatResults>) {
    let Some(ours) = ours else { return };
    let Some(restart) = &ours.restart else { return };
    let theirs = reference.and_then(|r| r.restart.as_ref());
    let title = format!("Crash (SIGKILL) and restart with {} clients", count(restart.clients));
    rows.push(
        row(format!("{title}: outage (kill → accepting)"), ms(restart.outage_ms), theirs.map(|t| ms(t.outage_ms)))
            .ratio(ratio(Some(restart.outage_ms), theirs.map(|t| t.outage_ms)), "×"),
    );
    let spell = |r: &crate::scenario::chat::RestartFigures| {
        format!(
            "{} / {} / {} ({}/{})",
            ms(r.resync.p50_ms),
            ms(r.resync.p99_ms),
            ms(r.resync.max_ms),
            r.resynced,
            r.clients
        )
    };
    rows.push(
        row("Reconnect burst: clients whole again, p50 / p99 / last", spell(restart), theirs.map(spell))
            .ratio(ratio(Some(restart.resync.max_ms), theirs.map(|t| t.resync.max_ms)), "× (last)"),
    );
    rows.push(
        row(
            "Relay CPU for the reconnect burst",
            ms(restart.relay_cpu_ms_for_resync),
            theirs.map(|t| ms(t.relay_cpu_ms_for_resync)),
        )
        .ratio(ratio(Some(restart.relay_cpu_ms_for_resync), theirs.map(|t| t.relay_cpu_ms_for_resync)), "×"),
    );
    let exactly = |r: &ChatResults| verdict_cell(&r.verdict);
    rows.push(row("Across the crash: every message exactly once", exactly(ours), reference.map(exactly)));
}

/// The section between the markers: machine, commit, command, table.
pub fn section(results: &RunResults) -> String {
    let m = &results.machine;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Latest run: {} (UTC), {} mode, {:.0} s.",
        results.started_utc, results.mode, results.duration_s
    );
    let _ = writeln!(text);
    let _ = writeln!(text, "- Command: `{}`", results.command);
    let _ = writeln!(text, "- Commit: `{}`", results.commit);
    let _ = writeln!(
        text,
        "- Machine: {} × {}, {:.0} GiB, Linux {}, data on {}; load average before {} / after {} (the machine is shared)",
        m.cores, m.cpu, m.memory_gib, m.kernel, m.file_system, m.load_before, m.load_after
    );
    let _ = writeln!(text, "- Reference: node {}, socket.io {}", m.node, m.socket_io);
    if let Some(sync) = &results.disk_sync {
        let _ = writeln!(
            text,
            "- Disk: appending 200 bytes + fdatasync takes p50 {} / p99 {} / max {} ({} samples) — the floor under \
             any latency that waits for durability",
            ms(sync.p50_ms),
            ms(sync.p99_ms),
            ms(sync.max_ms),
            sync.count
        );
    }
    let _ = writeln!(text);
    text.push_str(&table(results));
    text
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

/// Puts the section between the markers of `path` (creating a bare file if needed).
pub fn update_benchmarks_md(path: &Path, results: &RunResults) -> Result<(), ReportError> {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    let section = section(results);
    let updated = match (current.find(BEGIN_MARKER), current.find(END_MARKER)) {
        (Some(begin), Some(end)) if begin < end => {
            format!("{}{BEGIN_MARKER}\n{section}{}", &current[..begin], &current[end..])
        }
        _ => format!("{current}\n{BEGIN_MARKER}\n{section}{END_MARKER}\n"),
    };
    std::fs::write(path, updated).map_err(|source| ReportError::Write { path: path.display().to_string(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RunResults {
        RunResults {
            mode: "quick".into(),
            command: "./bench/run.sh --quick".into(),
            commit: "abc1234".into(),
            started_utc: "2026-11-23 18:00".into(),
            duration_s: 60.0,
            machine: Machine::default(),
            disk_sync: None,
            ours: RelayResults::default(),
            reference: None,
        }
    }

    #[test]
    fn numbers_are_spelled_for_people() {
        assert_eq!(count(18000), "18,000");
        assert_eq!(count(999), "999");
        assert_eq!(ms(1.234), "1.23 ms");
        assert_eq!(ms(123.4), "123 ms");
        assert_eq!(kb(6800.0), "6.8 KB");
    }

    #[test]
    fn the_section_replaces_only_what_is_between_the_markers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("BENCHMARKS.md");
        std::fs::write(&path, format!("# Benchmarks\nintro\n{BEGIN_MARKER}\nold table\n{END_MARKER}\nafter\n"))
            .unwrap();
        update_benchmarks_md(&path, &sample()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# Benchmarks\nintro\n"));
        assert!(text.ends_with(&format!("{END_MARKER}\nafter\n")));
        assert!(!text.contains("old table"));
        assert!(text.contains("`./bench/run.sh --quick`"));
        update_benchmarks_md(&path, &sample()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "a second write changes nothing");
    }
}
