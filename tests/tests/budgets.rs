//! The widget's weight, enforced, measured on the release build as the relay serves it: the
//! loader every shop page downloads (≤ 2 KB gzipped), the watcher it loads on every page when the
//! page is idle (activity and proactive prompts, ≤ 18 KB), and the chat app loaded when the
//! shopper chats (WebAssembly plus its JavaScript, ≤ 120 KB).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use checkout_chat_e2e::workspace_root;
use flate2::Compression;
use flate2::write::GzEncoder;

const LOADER_BUDGET: usize = 2 * 1024;
const APP_BUDGET: usize = 120 * 1024;
const WATCHER_BUDGET: usize = 18 * 1024;

/// The watcher's files; everything else under widget/ is the chat app's.
fn is_watcher(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name.to_string_lossy().contains("watcher"))
}

fn gzipped(path: &Path) -> Result<usize> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {} (run ./scripts/build.sh)", path.display()))?;
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&bytes)?;
    Ok(encoder.finish()?.len())
}

/// Every file under `dir` whose name ends with one of `endings`.
fn files(dir: &Path, endings: &[&str], found: &mut Vec<std::path::PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, endings, found)?;
        } else if endings.iter().any(|e| path.to_string_lossy().ends_with(e)) {
            found.push(path);
        }
    }
    Ok(())
}

#[test]
fn the_loader_stays_within_2_kb_gzipped() -> Result<()> {
    let size = gzipped(&workspace_root().join("dist/shop/widget.js"))?;
    println!("loader: {size} B gzipped (budget {LOADER_BUDGET})");
    ensure!(size <= LOADER_BUDGET, "widget.js is {size} B gzipped, over its {LOADER_BUDGET} B budget");
    Ok(())
}

#[test]
fn the_app_stays_within_120_kb_gzipped() -> Result<()> {
    let dir = workspace_root().join("dist/shop/widget");
    let mut code = Vec::new();
    files(&dir, &[".wasm", ".js"], &mut code)?;
    code.retain(|path| !is_watcher(path));
    ensure!(code.iter().any(|p| p.extension().is_some_and(|e| e == "wasm")), "no .wasm in {}", dir.display());
    let mut total = 0;
    for path in &code {
        let size = gzipped(path)?;
        println!("{}: {size} B gzipped", path.strip_prefix(&dir).unwrap_or(path).display());
        total += size;
    }
    // Translations are data fetched for one language at a time; reported, not counted.
    let mut tables = Vec::new();
    files(&dir, &[".json"], &mut tables)?;
    for path in &tables {
        println!("{} (translation, fetched when needed): {} B gzipped", path.display(), gzipped(path)?);
    }
    println!("app: {total} B gzipped (budget {APP_BUDGET})");
    ensure!(
        total <= APP_BUDGET,
        "the app's WebAssembly and JavaScript are {total} B gzipped, over the {APP_BUDGET} B budget"
    );
    Ok(())
}

#[test]
fn the_watcher_stays_within_18_kb_gzipped() -> Result<()> {
    let dir = workspace_root().join("dist/shop/widget");
    let mut code = Vec::new();
    files(&dir, &[".wasm", ".js"], &mut code)?;
    code.retain(|path| is_watcher(path));
    ensure!(code.len() == 3, "expected watcher.js, its glue and its wasm in {}, found {code:?}", dir.display());
    let mut total = 0;
    for path in &code {
        let size = gzipped(path)?;
        println!("{}: {size} B gzipped", path.strip_prefix(&dir).unwrap_or(path).display());
        total += size;
    }
    println!("watcher: {total} B gzipped (budget {WATCHER_BUDGET})");
    ensure!(total <= WATCHER_BUDGET, "the watcher is {total} B gzipped, over its {WATCHER_BUDGET} B budget");
    Ok(())
}
