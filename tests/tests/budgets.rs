//! The widget's weight, enforced, measured on the release build as the relay serves it: the
//! loader every shop page downloads (≤ 2 KB gzipped), the watcher it loads on every page when the
//! page is idle (activity and proactive prompts, ≤ 18 KB), and the chat app loaded when the
//! shopper chats (WebAssembly plus its JavaScript, ≤ 120 KB). The files and limits are defined
//! once, in the support crate's `weight` module, which the benchmark reports against too.

use anyhow::{Result, ensure};
use checkout_chat_e2e::weight::{APP_BUDGET, Gzipped, LOADER_BUDGET, WATCHER_BUDGET, Weight, total};

fn print(files: &[Gzipped]) {
    for file in files {
        println!("{}: {} B gzipped", file.file, file.bytes);
    }
}

#[test]
fn the_loader_stays_within_2_kb_gzipped() -> Result<()> {
    let size = total(&Weight::of_release_build()?.loader);
    println!("loader: {size} B gzipped (budget {LOADER_BUDGET})");
    ensure!(size > 0, "no loader in dist/shop");
    ensure!(size <= LOADER_BUDGET, "widget.js is {size} B gzipped, over its {LOADER_BUDGET} B budget");
    Ok(())
}

#[test]
fn the_app_stays_within_120_kb_gzipped() -> Result<()> {
    let weight = Weight::of_release_build()?;
    ensure!(weight.app.iter().any(|f| f.file.ends_with(".wasm")), "no .wasm of the app in dist/shop/widget");
    print(&weight.app);
    // Translations are data fetched for one language at a time; reported, not counted.
    for table in &weight.translations {
        println!("{} (translation, fetched when needed): {} B gzipped", table.file, table.bytes);
    }
    let size = total(&weight.app);
    println!("app: {size} B gzipped (budget {APP_BUDGET})");
    ensure!(
        size <= APP_BUDGET,
        "the app's WebAssembly and JavaScript are {size} B gzipped, over the {APP_BUDGET} B budget"
    );
    Ok(())
}

#[test]
fn the_watcher_stays_within_18_kb_gzipped() -> Result<()> {
    let watcher = Weight::of_release_build()?.watcher;
    ensure!(watcher.len() == 3, "expected watcher.js, its glue and its wasm in dist/shop/widget, found {watcher:?}");
    print(&watcher);
    let size = total(&watcher);
    println!("watcher: {size} B gzipped (budget {WATCHER_BUDGET})");
    ensure!(size <= WATCHER_BUDGET, "the watcher is {size} B gzipped, over its {WATCHER_BUDGET} B budget");
    Ok(())
}
