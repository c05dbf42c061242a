//! The demo shop (release build) as a host page under observation, for the widget benchmark and
//! the host-page tests. The relay serves the release front end plus two copies of the shop's
//! front page with an instrument (`host_probe.js`) first in their `<head>`: one as built, with the
//! widget's script tag, and one with that tag removed, so the two differ by the widget alone. The
//! pages share the widget's origin, so Resource Timing reports the size of everything fetched.

use std::path::Path;

use anyhow::{Context, Result, ensure};
use fantoccini::Client;

use crate::{Chrome, Relay, click_in_widget, eventually, js, workspace_root};

/// The instrument placed first in both pages (see the file for what it records).
pub const PROBE: &str = include_str!("host_probe.js");

/// Chromium flags for observed sessions: heap sizes to the byte (not in coarse buckets), and a
/// `gc()` to call before reading them, so that garbage not yet collected does not count.
const OBSERVER_FLAGS: &[&str] = &["--enable-precise-memory-info", "--js-flags=--expose-gc"];

/// How long the network must have been quiet before the page counts as settled.
const QUIET_MS: f64 = 1000.0;

/// The style sheet that reserves the scrollbar's gutter (see `Layout::ScrollbarGutterReserved`).
const GUTTER_STYLE_SHEET: &str = "observed-gutter.css";

/// The shop's front page with the widget, or without it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    WithWidget,
    WithoutWidget,
}

impl Variant {
    fn path(self) -> &'static str {
        match self {
            Variant::WithWidget => "/observed-with-widget.html",
            Variant::WithoutWidget => "/observed-without-widget.html",
        }
    }
}

/// How the observed pages are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// As the shop's page is built.
    AsBuilt,
    /// With the vertical scrollbar's gutter always reserved. On a busy machine Chromium may paint
    /// the shop's page before it has parsed all of it; the page gets its scrollbar only later, and
    /// its centred content then moves sideways by half the scrollbar's width: a layout shift of
    /// the page's own, with the widget or without it, now and then. Reserving the gutter takes
    /// that chance out, so a test can expect no shift at all. The rule is a style sheet file of
    /// its own: the relay's pages allow no inline style.
    ScrollbarGutterReserved,
}

/// The relay serving the observed pages next to the release build.
pub struct ObservedShop {
    pub relay: Relay,
    /// The front end the relay serves: links to `dist/` plus the two pages. Removed on drop.
    _front_end: tempfile::TempDir,
}

impl ObservedShop {
    pub fn start(layout: Layout) -> Result<ObservedShop> {
        let dist = workspace_root().join("dist");
        let index = dist.join("shop/index.html");
        let page = std::fs::read_to_string(&index)
            .with_context(|| format!("reading {} (run ./scripts/build.sh first)", index.display()))?;
        let observed = with_probe(&page, layout)?;
        let front_end = tempfile::tempdir()?;
        link_release_build(&dist, front_end.path())?;
        let shop = front_end.path().join("shop");
        std::fs::write(shop.join(GUTTER_STYLE_SHEET), "html { scrollbar-gutter: stable }\n")?;
        std::fs::write(shop.join(Variant::WithWidget.path().trim_start_matches('/')), &observed)?;
        std::fs::write(shop.join(Variant::WithoutWidget.path().trim_start_matches('/')), without_widget(&observed)?)?;
        let relay = Relay::start_serving(front_end.path())?;
        Ok(ObservedShop { relay, _front_end: front_end })
    }

    pub fn url(&self, variant: Variant) -> String {
        self.relay.url(variant.path())
    }
}

/// A fresh browser window (its own profile: nothing cached, nothing stored) set up for observing.
pub async fn observer_session(chrome: &mut Chrome) -> Result<Client> {
    chrome.session_with_flags(OBSERVER_FLAGS).await
}

/// Mirrors `dist/` into `into` with symbolic links, leaving room for more files in `shop/`.
fn link_release_build(dist: &Path, into: &Path) -> Result<()> {
    use std::os::unix::fs::symlink;
    symlink(dist.join("console"), into.join("console"))?;
    std::fs::create_dir(into.join("shop"))?;
    for entry in std::fs::read_dir(dist.join("shop"))? {
        let entry = entry?;
        symlink(entry.path(), into.join("shop").join(entry.file_name()))?;
    }
    Ok(())
}

/// The page with the probe as the first thing in its `<head>`.
fn with_probe(page: &str, layout: Layout) -> Result<String> {
    ensure!(page.contains("<head>"), "the shop's index.html has no <head>");
    let gutter = match layout {
        Layout::AsBuilt => String::new(),
        Layout::ScrollbarGutterReserved => format!("<link rel=\"stylesheet\" href=\"/{GUTTER_STYLE_SHEET}\">"),
    };
    Ok(page.replacen("<head>", &format!("<head>\n  <script>{PROBE}</script>{gutter}"), 1))
}

/// The page without the widget's one script tag.
fn without_widget(page: &str) -> Result<String> {
    let is_tag = |line: &&str| line.contains("<script") && line.contains("src=\"/widget.js\"");
    ensure!(page.lines().filter(is_tag).count() == 1, "expected one widget script tag in the shop's index.html");
    Ok(page.lines().filter(|line| !is_tag(line)).collect::<Vec<_>>().join("\n"))
}

/// What a fetched file belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Part {
    /// `widget.js`, the one script tag's file.
    Loader,
    /// The watcher's script, glue and WebAssembly, loaded on idle.
    Watcher,
    /// The chat app: its glue, WebAssembly, snippets and translations.
    App,
    /// The shop's own page, styles, scripts and images.
    Page,
}

impl Part {
    pub fn of(url: &str) -> Part {
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path = after_scheme.find('/').map_or("/", |at| &after_scheme[at..]);
        let path = path.split(['?', '#']).next().unwrap_or(path);
        match path.strip_prefix("/widget") {
            Some(".js") => Part::Loader,
            Some(rest) if rest.starts_with('/') && rest.contains("watcher") => Part::Watcher,
            Some(rest) if rest.starts_with('/') => Part::App,
            _ => Part::Page,
        }
    }
}

/// One file the page fetched (the document itself included), from Resource Timing. Sizes are
/// bytes: `transfer` went over the wire (headers included), `encoded` is the body as sent
/// (compressed, if it was), `decoded` the body as used.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct Resource {
    pub name: String,
    pub start: f64,
    pub end: f64,
    pub transfer: f64,
    pub encoded: f64,
    pub decoded: f64,
}

impl Resource {
    pub fn part(&self) -> Part {
        Part::of(&self.name)
    }
}

/// Everything fetched so far, the document first.
pub async fn resources(client: &Client) -> Result<Vec<Resource>> {
    js(
        client,
        "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
           .map(function (e) {
             return { name: e.name, start: e.startTime, end: e.responseEnd, transfer: e.transferSize,
                      encoded: e.encodedBodySize, decoded: e.decodedBodySize };
           });",
        serde_json::Value::Null,
    )
    .await
}

/// A layout shift on the page; `sources` name the nodes that moved (`widget:` or `page:` first),
/// with their boxes before and after.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shift {
    pub at: f64,
    pub value: f64,
    pub recent_input: bool,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct LongTask {
    pub at: f64,
    pub duration: f64,
}

/// A long animation frame, with the scripts that ran in it (for blaming long tasks).
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct LongFrame {
    pub at: f64,
    pub duration: f64,
    pub blocking: f64,
    pub scripts: Vec<FrameScript>,
}

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct FrameScript {
    pub source: String,
    pub invoker: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub at: f64,
    pub duration: f64,
}

/// What the probe recorded; times are milliseconds since the navigation began.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    pub shifts: Vec<Shift>,
    pub long_tasks: Vec<LongTask>,
    pub long_frames: Vec<LongFrame>,
    /// Entry types this browser does not report (then their lists above say nothing).
    pub unsupported: Vec<String>,
    pub fcp: Option<f64>,
    pub lcp: Option<f64>,
    pub dom_content_loaded: Option<f64>,
    pub load_end: Option<f64>,
    pub loader_start: Option<f64>,
    pub launcher_in_page: Option<f64>,
    pub launcher_painted: Option<f64>,
    pub click: Option<f64>,
    pub input_focused: Option<f64>,
    pub input_painted: Option<f64>,
    pub sockets: Sockets,
}

/// WebSockets the page opened and the payload bytes that went over them.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct Sockets {
    pub opened: u32,
    pub sent: f64,
    pub received: f64,
}

/// The WebSocket counts so far.
pub async fn sockets(client: &Client) -> Result<Sockets> {
    js(client, "return window.__hostProbe.sockets", serde_json::Value::Null).await
}

pub async fn probe(client: &Client) -> Result<Probe> {
    js(
        client,
        "var copy = JSON.parse(JSON.stringify(window.__hostProbe));
         var nav = performance.getEntriesByType('navigation')[0];
         copy.domContentLoaded = nav && nav.domContentLoadedEventEnd || null;
         copy.loadEnd = nav && nav.loadEventEnd || null;
         return copy;",
        serde_json::Value::Null,
    )
    .await
    .context("reading the probe (is this an observed page?)")
}

/// Whether the page reserves the vertical scrollbar's gutter, as the page's style computes it.
pub async fn reserves_scrollbar_gutter(client: &Client) -> Result<bool> {
    let gutter: String =
        js(client, "return getComputedStyle(document.documentElement).scrollbarGutter;", serde_json::Value::Null)
            .await?;
    Ok(gutter.starts_with("stable"))
}

/// The size of the page's content (`scrollWidth`, `scrollHeight` of the document), in CSS pixels.
pub async fn extent(client: &Client) -> Result<(f64, f64)> {
    js(
        client,
        "var root = document.documentElement; return [root.scrollWidth, root.scrollHeight];",
        serde_json::Value::Null,
    )
    .await
}

/// Memory the page holds, in bytes, after a garbage collection.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Memory {
    /// `performance.memory.usedJSHeapSize` (Chromium only).
    pub js_heap_used: f64,
    /// The linear memories of the WebAssembly modules instantiated (not in the JS heap).
    pub wasm: f64,
    /// When the reading (and its garbage collection) ran: a long task then is the reading's.
    pub from: f64,
    pub to: f64,
}

pub async fn memory(client: &Client) -> Result<Memory> {
    let memory: Option<Memory> = js(
        client,
        "var from = performance.now();
         if (typeof gc == 'function') gc();
         return performance.memory
           ? { jsHeapUsed: performance.memory.usedJSHeapSize, wasm: window.__hostProbe.wasmMemory(),
               from: from, to: performance.now() } : null;",
        serde_json::Value::Null,
    )
    .await?;
    memory.context("performance.memory is missing (not Chromium?)")
}

/// Waits until the page has loaded, every file whose URL ends with one of `needed` has been
/// fetched, and the network has been quiet for a while since.
pub async fn settle(client: &Client, needed: &[&str]) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Network {
        loaded: bool,
        quiet_for: f64,
        names: Vec<String>,
    }
    eventually(&format!("the page has loaded {needed:?} and the network is quiet"), || async {
        let network: Network = js(
            client,
            "var nav = performance.getEntriesByType('navigation')[0];
             var files = performance.getEntriesByType('resource');
             var last = files.reduce(function (t, e) { return Math.max(t, e.responseEnd); }, nav ? nav.loadEventEnd : 0);
             return { loaded: !!nav && nav.loadEventEnd > 0, quiet_for: performance.now() - last,
                      names: files.map(function (e) { return e.name; }) };",
            serde_json::Value::Null,
        )
        .await?;
        let fetched = needed.iter().all(|suffix| network.names.iter().any(|name| name.ends_with(suffix)));
        Ok((network.loaded && fetched && network.quiet_for >= QUIET_MS).then_some(()))
    })
    .await
}

/// The files of the widget that are fetched before the shopper interacts: the loader, and on
/// idle the watcher (its wasm is the last of its files).
pub const BEFORE_INTERACTION: &[&str] = &["/widget.js", "/widget/checkout-chat-watcher_bg.wasm"];

/// Clicks the launcher as a shopper does (WebDriver sends real pointer events), then waits until
/// the message box is usable and painted and the network is quiet again.
pub async fn open_chat(client: &Client) -> Result<()> {
    click_in_widget(client, ".cc-launcher").await?;
    eventually("the message box is focused and painted after the click", || async {
        let painted: Option<f64> =
            js(client, "return window.__hostProbe.inputPainted", serde_json::Value::Null).await?;
        Ok(painted.map(|_| ()))
    })
    .await?;
    settle(client, &["/widget/checkout-chat-widget_bg.wasm"]).await
}

#[cfg(test)]
mod tests {
    use super::Part;

    #[test]
    fn files_are_told_apart_by_path() {
        assert_eq!(Part::of("http://127.0.0.1:9/widget.js"), Part::Loader);
        assert_eq!(Part::of("http://127.0.0.1:9/widget/watcher.js"), Part::Watcher);
        assert_eq!(Part::of("http://127.0.0.1:9/widget/checkout-chat-watcher_bg.wasm"), Part::Watcher);
        assert_eq!(Part::of("http://127.0.0.1:9/widget/checkout-chat-widget_bg.wasm"), Part::App);
        assert_eq!(Part::of("http://127.0.0.1:9/widget/i18n/nl.json?x=1"), Part::App);
        assert_eq!(Part::of("http://127.0.0.1:9/widget.json"), Part::Page);
        assert_eq!(Part::of("http://127.0.0.1:9/observed-with-widget.html"), Part::Page);
        assert_eq!(Part::of("http://127.0.0.1:9/shop.js"), Part::Page);
    }
}
