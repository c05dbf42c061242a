//! The widget's weight in the release build (`dist/shop`), gzipped at the best level, and its
//! budgets: one definition for the budget tests (`tests/budgets.rs`) and the benchmark
//! (`widget-bench`), so that both hold the same files to the same limits.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::workspace_root;

/// The loader every shop page downloads, gzipped.
pub const LOADER_BUDGET: usize = 2 * 1024;
/// The chat app (its WebAssembly and all its JavaScript), gzipped.
pub const APP_BUDGET: usize = 120 * 1024;
/// The watcher loaded on every page when it is idle (its script, glue and WebAssembly), gzipped.
pub const WATCHER_BUDGET: usize = 18 * 1024;

/// One file of the widget and its size gzipped.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Gzipped {
    /// Relative to `dist/shop`.
    pub file: String,
    pub bytes: usize,
}

/// The files of each part of the widget, as built.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Weight {
    pub loader: Vec<Gzipped>,
    pub watcher: Vec<Gzipped>,
    pub app: Vec<Gzipped>,
    /// Translation tables: data fetched for one language at a time, reported but not budgeted.
    pub translations: Vec<Gzipped>,
}

impl Weight {
    /// Measures the release build in `dist/shop`.
    pub fn of_release_build() -> Result<Weight> {
        let shop = workspace_root().join("dist/shop");
        let widget = shop.join("widget");
        let mut code = Vec::new();
        files(&widget, &[".wasm", ".js"], &mut code)?;
        let (watcher, app): (Vec<PathBuf>, Vec<PathBuf>) = code.into_iter().partition(|path| is_watcher(path));
        let mut translations = Vec::new();
        files(&widget, &[".json"], &mut translations)?;
        Ok(Weight {
            loader: measure(&shop, &[shop.join("widget.js")])?,
            watcher: measure(&shop, &watcher)?,
            app: measure(&shop, &app)?,
            translations: measure(&shop, &translations)?,
        })
    }
}

/// The total of `files`.
pub fn total(files: &[Gzipped]) -> usize {
    files.iter().map(|f| f.bytes).sum()
}

/// The watcher's files; everything else under `widget/` is the chat app's.
fn is_watcher(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name.to_string_lossy().contains("watcher"))
}

fn measure(base: &Path, paths: &[PathBuf]) -> Result<Vec<Gzipped>> {
    let mut measured = Vec::new();
    for path in paths {
        let file = path.strip_prefix(base).unwrap_or(path).display().to_string();
        measured.push(Gzipped { file, bytes: gzipped(path)? });
    }
    measured.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(measured)
}

/// The size of the file at `path` gzipped at the best level (as a server compressing ahead of
/// time would serve it).
pub fn gzipped(path: &Path) -> Result<usize> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {} (run ./scripts/build.sh)", path.display()))?;
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&bytes)?;
    Ok(encoder.finish()?.len())
}

/// Every file under `dir` whose name ends with one of `endings`.
fn files(dir: &Path, endings: &[&str], found: &mut Vec<PathBuf>) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("reading {} (run ./scripts/build.sh)", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, endings, found)?;
        } else if endings.iter().any(|e| path.to_string_lossy().ends_with(e)) {
            found.push(path);
        }
    }
    Ok(())
}
