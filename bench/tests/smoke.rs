//! Keeps the benchmark from rotting: the generator plays 16 shoppers and 2 agents against the
//! real relay binary for a few seconds, kills the relay mid-chat and starts it again, and every
//! message must reach both parties exactly once. Uses the relay binary `cargo test --workspace`
//! has already built (target/debug/relay, or target/release/relay, whichever is newer); builds
//! nothing itself.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use checkout_chat_bench::plans::Plans;
use checkout_chat_bench::relays::{Kind, RelaySetup, Tools};
use checkout_chat_bench::scenario::chat;

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The newest relay binary the workspace has built.
fn relay_binary() -> Option<PathBuf> {
    let modified = |path: &Path| path.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
    ["debug", "release"]
        .iter()
        .map(|profile| target_dir().join(profile).join("relay"))
        .filter(|path| path.is_file())
        .max_by_key(|path| modified(path))
}

#[test]
fn eighteen_clients_through_a_relay_crash_get_every_message_exactly_once() {
    let Some(relay) = relay_binary() else {
        eprintln!(
            "SKIPPED: no relay binary under {}; `cargo test --workspace` (or `cargo build -p checkout-chat-relay`) \
             builds it",
            target_dir().display()
        );
        return;
    };
    let tools = Tools { relay, node: "node".into(), reference: PathBuf::from("reference") };
    let plan = Plans::smoke();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let results = runtime.block_on(async {
        let setup = tokio::task::block_in_place(|| RelaySetup::prepare(Kind::Ours, &tools, plan.agents, plan.capacity))
            .expect("the relay's directory and agents are prepared");
        chat::run(&setup, &plan).await.unwrap_or_else(|error| panic!("{error}\n{}", setup.log_tail()))
    });
    let verdict = &results.verdict;
    assert!(verdict.is_exactly_once(), "{verdict:?}");
    assert!(verdict.stored >= 40, "the clients should have said more than this: {verdict:?}");
    assert_eq!(results.unreadable, 0, "every frame the relay sent should be understood");
    let restart = results.restart.expect("the relay was restarted");
    assert_eq!(restart.resynced, restart.clients, "every client came back: {restart:?}");
    assert!(verdict.stored > restart.stored_before_kill, "the chat went on after the restart");
}
