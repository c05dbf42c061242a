//! `checkout-chat-bench`: runs the relay benchmark (BENCHMARKS.md explains what and how). Usually
//! started by `./bench/run.sh`, which installs the reference's npm packages and builds the
//! release relay first. Each scenario runs against our relay and then against the socket.io
//! reference, with the same generator, in the same run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use checkout_chat_bench::plans::Plans;
use checkout_chat_bench::relays::{Kind, RelaySetup, Tools};
use checkout_chat_bench::report::{self, Machine, RelayResults, RunResults};
use checkout_chat_bench::scenario::{chat, idle};
use clap::{Parser, ValueEnum};

#[derive(Parser)]
#[command(about = "Relay benchmark: checkout-chat's relay beside a socket.io reference relay")]
struct Cli {
    /// A smaller, shorter run (about three minutes); writes bench/results/quick.json only.
    #[arg(long)]
    quick: bool,
    /// Run only these scenarios (repeatable) [default: all].
    #[arg(long = "scenario", value_enum)]
    scenarios: Vec<ScenarioName>,
    /// Measure our relay only.
    #[arg(long)]
    skip_reference: bool,
    /// Measure the reference only (for looking into it; the comparison needs both).
    #[arg(long, conflicts_with = "skip_reference")]
    skip_ours: bool,
    /// Our relay's release binary.
    #[arg(long, default_value = "target/release/relay")]
    relay: PathBuf,
    #[arg(long, default_value = "node")]
    node: PathBuf,
    /// The reference relay's directory (with node_modules installed).
    #[arg(long, default_value = "bench/reference")]
    reference: PathBuf,
    /// Print the results without writing any file.
    #[arg(long)]
    no_write: bool,
    /// Run nothing: redraw bench/plots/*.svg from bench/results/latest.json.
    #[arg(long)]
    replot: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScenarioName {
    Idle,
    Chat,
    Restart,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    raise_descriptor_limit();
    // Two workers, like the relay's runtime on this two-core machine.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(run(cli))
}

/// The idle scenario holds one end of up to 18,000 connections: use the hard limit.
fn raise_descriptor_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if cli.replot {
        let text = std::fs::read_to_string("bench/results/latest.json").context("reading bench/results/latest.json")?;
        let results: RunResults = serde_json::from_str(&text)?;
        for file in checkout_chat_bench::plots::draw_all(Path::new("bench/plots"), &results)? {
            eprintln!("wrote bench/plots/{file}");
        }
        return Ok(());
    }
    let tools = Tools { relay: cli.relay.clone(), node: cli.node.clone(), reference: cli.reference.clone() };
    check_tools(&tools, cli.skip_reference)?;
    let plans = if cli.quick { Plans::quick() } else { Plans::full() };
    let scenarios = if cli.scenarios.is_empty() {
        vec![ScenarioName::Idle, ScenarioName::Chat, ScenarioName::Restart]
    } else {
        cli.scenarios.clone()
    };
    let kinds: &[Kind] = match (cli.skip_reference, cli.skip_ours) {
        (true, _) => &[Kind::Ours],
        (_, true) => &[Kind::Reference],
        _ => &[Kind::Ours, Kind::Reference],
    };
    let load_before = load_average();
    let disk_sync = match checkout_chat_bench::disk::sync_latency(&std::env::temp_dir(), 200) {
        Ok(sync) => Some(sync),
        Err(error) => {
            eprintln!("could not time disk syncs: {error}");
            None
        }
    };
    let started = Instant::now();
    let started_utc = shell(&["date", "-u", "+%Y-%m-%d %H:%M"]);
    let mut ours = RelayResults { label: Kind::Ours.label().into(), ..RelayResults::default() };
    let mut reference = RelayResults { label: Kind::Reference.label().into(), ..RelayResults::default() };
    let mut failures = Vec::new();
    for &scenario in &scenarios {
        for &kind in kinds {
            eprintln!("== {scenario:?} against the {}", kind.label());
            let into = if kind == Kind::Ours { &mut ours } else { &mut reference };
            if let Err(error) = run_scenario(scenario, kind, &tools, &plans, into).await {
                eprintln!("   failed: {error:#}");
                failures.push(format!("{scenario:?} against the {}: {error:#}", kind.label()));
            }
        }
    }
    let results = RunResults {
        mode: if cli.quick { "quick".into() } else { "full".into() },
        command: command_line(),
        commit: commit(),
        started_utc,
        duration_s: started.elapsed().as_secs_f64(),
        machine: machine(&tools, load_before),
        disk_sync,
        ours,
        reference: (!cli.skip_reference).then_some(reference),
    };
    println!("\n{}", report::section(&results));
    if !cli.no_write {
        write_results(&results, cli.quick)?;
    }
    if !failures.is_empty() {
        bail!("{} scenario(s) failed:\n{}", failures.len(), failures.join("\n"));
    }
    Ok(())
}

async fn run_scenario(
    scenario: ScenarioName,
    kind: Kind,
    tools: &Tools,
    plans: &Plans,
    into: &mut RelayResults,
) -> anyhow::Result<()> {
    match scenario {
        ScenarioName::Idle => {
            // One agent: the one whose status changes are broadcast.
            let setup = tokio::task::block_in_place(|| RelaySetup::prepare(kind, tools, 1, 5))?;
            into.idle = Some(idle::run(&setup, &plans.idle).await.with_context(|| setup.log_tail())?);
        }
        ScenarioName::Chat => {
            let plan = &plans.chat;
            let setup = tokio::task::block_in_place(|| RelaySetup::prepare(kind, tools, plan.agents, plan.capacity))?;
            let results = chat::run(&setup, plan).await.with_context(|| setup.log_tail())?;
            summarise_chat(kind, &results);
            into.chat = Some(results);
        }
        ScenarioName::Restart => {
            let plan = &plans.restart;
            let setup = tokio::task::block_in_place(|| RelaySetup::prepare(kind, tools, plan.agents, plan.capacity))?;
            let results = chat::run(&setup, plan).await.with_context(|| setup.log_tail())?;
            summarise_chat(kind, &results);
            into.restart = Some(results);
        }
    }
    Ok(())
}

fn summarise_chat(kind: Kind, results: &chat::ChatResults) {
    let verdict = &results.verdict;
    eprintln!(
        "   {}: {:.0} msg/s, shopper→agent p99 {:.2} ms, CPU {:.0} µs/msg; {} stored, {} lost, {} duplicated, {} unacked{}",
        kind.label(),
        results.messages_per_second,
        results.shopper_to_agent.p99_ms,
        results.relay_cpu_us_per_message.unwrap_or(0.0),
        verdict.stored,
        verdict.lost,
        verdict.duplicated,
        verdict.unacked,
        if verdict.examples.is_empty() { String::new() } else { format!(" (e.g. {})", verdict.examples.join("; ")) }
    );
    if results.unreadable > 0 || results.connect_failures > 0 {
        eprintln!(
            "   {} unreadable frames, {} failed connects (last error: {:?})",
            results.unreadable, results.connect_failures, results.last_error
        );
    }
}

fn check_tools(tools: &Tools, skip_reference: bool) -> anyhow::Result<()> {
    if !tools.relay.is_file() {
        bail!(
            "no relay binary at {}: build it with `cargo build --release -p checkout-chat-relay`",
            tools.relay.display()
        );
    }
    if !skip_reference && !tools.reference.join("node_modules/socket.io").is_dir() {
        bail!("the reference's packages are missing: run `npm ci` in {}", tools.reference.display());
    }
    Ok(())
}

fn write_results(results: &RunResults, quick: bool) -> anyhow::Result<()> {
    std::fs::create_dir_all("bench/results")?;
    let name = if quick { "bench/results/quick.json" } else { "bench/results/latest.json" };
    std::fs::write(name, serde_json::to_string_pretty(results)?).with_context(|| format!("writing {name}"))?;
    eprintln!("wrote {name}");
    if quick {
        return Ok(());
    }
    let plots = Path::new("bench/plots");
    std::fs::create_dir_all(plots)?;
    for file in checkout_chat_bench::plots::draw_all(plots, results)? {
        eprintln!("wrote bench/plots/{file}");
    }
    report::update_benchmarks_md(Path::new("BENCHMARKS.md"), results)?;
    eprintln!("updated BENCHMARKS.md");
    Ok(())
}

/// The command as a person would type it (run.sh passes its own name and arguments).
fn command_line() -> String {
    std::env::var("BENCH_COMMAND").unwrap_or_else(|_| std::env::args().collect::<Vec<_>>().join(" "))
}

fn commit() -> String {
    let head = shell(&["git", "rev-parse", "--short", "HEAD"]);
    // The files a run writes do not count: a run after a run is still of the same code.
    let changes = shell(&[
        "git",
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        ".",
        ":!BENCHMARKS.md",
        ":!bench/plots",
        ":!bench/results",
    ]);
    let dirty = !changes.is_empty();
    if dirty { format!("{head} (with uncommitted changes)") } else { head }
}

fn shell(command: &[&str]) -> String {
    let Some((program, args)) = command.split_first() else { return String::new() };
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn machine(tools: &Tools, load_before: String) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let socket_io = std::fs::read_to_string(tools.reference.join("node_modules/socket.io/package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|package| package["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "not installed".into());
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(0, usize::from),
        memory_gib: memory_kib / 1024.0 / 1024.0,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned(),
        load_before,
        load_after: load_average(),
        node: shell(&[&tools.node.to_string_lossy(), "--version"]),
        socket_io,
        file_system: shell(&["stat", "-f", "-c", "%T", &std::env::temp_dir().to_string_lossy()]),
    }
}
