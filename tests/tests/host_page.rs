//! What the widget does to the shop page it is embedded in, on the demo shop's front page (release
//! build) in Chromium, compared with the same page without the widget's script tag: only what is
//! not a matter of timing. It shifts nothing of the page's layout and makes the page no larger,
//! not even when the chat opens; before the shopper interacts the page fetches only the loader
//! and, once it has loaded, the watcher; the chat app comes with the first click. Timings are the
//! benchmark's (`cargo run --release -p checkout-chat-e2e --bin widget-bench`).

use anyhow::{Result, ensure};
use checkout_chat_e2e::host_page::{
    BEFORE_INTERACTION, Layout, ObservedShop, Part, Resource, Shift, Variant, extent, observer_session, open_chat,
    probe, reserves_scrollbar_gutter, resources, settle,
};
use checkout_chat_e2e::{AgentOnline, Chrome, save_screenshot};
use fantoccini::Client;

/// What became of the page's layout: its shifts, and the size of its content.
struct LaidOut {
    shifts: Vec<Shift>,
    extent: (f64, f64),
}

/// Loads `variant` in a fresh window and, with the widget, opens the chat.
async fn lay_out(chrome: &mut Chrome, shop: &ObservedShop, variant: Variant) -> Result<LaidOut> {
    let client = observer_session(chrome).await?;
    let outcome = async {
        client.goto(&shop.url(variant)).await?;
        match variant {
            Variant::WithWidget => {
                settle(&client, BEFORE_INTERACTION).await?;
                open_chat(&client).await?;
            }
            Variant::WithoutWidget => settle(&client, &[]).await?,
        }
        // Without it this test would fail now and then on a busy machine, not on the widget.
        ensure!(reserves_scrollbar_gutter(&client).await?, "the page does not reserve the scrollbar's gutter");
        Ok(LaidOut { shifts: probe(&client).await?.shifts, extent: extent(&client).await? })
    }
    .await;
    close(client, &outcome, "host-page-layout-failure.png").await;
    outcome
}

async fn close<T>(client: Client, outcome: &Result<T>, screenshot: &str) {
    if outcome.is_err() {
        let _ = save_screenshot(&client, screenshot).await;
    }
    let _ = client.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_widget_neither_shifts_nor_enlarges_the_shop_page_even_when_the_chat_opens() -> Result<()> {
    // With the scrollbar's gutter reserved the page never shifts by itself (see `Layout`); the
    // same size of content with and without the widget shows that reserving it hides nothing.
    let shop = ObservedShop::start(Layout::ScrollbarGutterReserved)?;
    let _agent = AgentOnline::connect(&shop.relay).await?;
    let mut chrome = Chrome::start()?;
    let without = lay_out(&mut chrome, &shop, Variant::WithoutWidget).await?;
    let with = lay_out(&mut chrome, &shop, Variant::WithWidget).await?;
    let of_widget: Vec<&Shift> =
        with.shifts.iter().filter(|s| s.sources.iter().any(|node| node.starts_with("widget:"))).collect();
    ensure!(of_widget.is_empty(), "the widget's own nodes shifted: {of_widget:?}");
    ensure!(
        without.shifts.is_empty(),
        "the demo shop shifts by itself, so this test cannot tell: {:?}",
        without.shifts
    );
    ensure!(with.shifts.is_empty(), "with the widget the page shifted: {:?}", with.shifts);
    ensure!(
        with.extent == without.extent,
        "the widget changed the size of the page's content from {:?} to {:?}",
        without.extent,
        with.extent
    );
    Ok(())
}

fn widget_files(resources: &[Resource]) -> Vec<String> {
    let mut files: Vec<String> = resources
        .iter()
        .filter(|r| r.part() != Part::Page)
        .map(|r| r.name.split_once("/widget").map_or(r.name.clone(), |(_, path)| format!("/widget{path}")))
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn before_any_interaction_only_the_loader_and_then_the_watcher_load_and_a_click_loads_the_app() -> Result<()> {
    let shop = ObservedShop::start(Layout::AsBuilt)?;
    let _agent = AgentOnline::connect(&shop.relay).await?;
    let mut chrome = Chrome::start()?;
    let client = observer_session(&mut chrome).await?;
    let outcome = async {
        client.goto(&shop.url(Variant::WithWidget)).await?;
        settle(&client, BEFORE_INTERACTION).await?;
        let before = resources(&client).await?;
        let fetched = widget_files(&before);
        let expected = [
            "/widget.js",
            "/widget/checkout-chat-watcher.js",
            "/widget/checkout-chat-watcher_bg.wasm",
            "/widget/watcher.js",
        ];
        ensure!(fetched == expected, "before any interaction the widget fetched {fetched:?}, not {expected:?}");
        let load_end = probe(&client).await?.load_end.unwrap_or(f64::INFINITY);
        let early: Vec<&Resource> = before.iter().filter(|r| r.part() == Part::Watcher && r.start < load_end).collect();
        ensure!(early.is_empty(), "the watcher was fetched before the page's load event ({load_end} ms): {early:?}");

        open_chat(&client).await?;
        let after = widget_files(&resources(&client).await?);
        let app: Vec<&String> = after.iter().filter(|f| !expected.contains(&f.as_str())).collect();
        ensure!(
            app.iter().any(|f| f.ends_with("_bg.wasm")) && app.iter().any(|f| f.ends_with("checkout-chat-widget.js")),
            "the first click fetched {app:?}, not the app's glue and wasm"
        );
        let mut once = after.clone();
        once.dedup();
        ensure!(once == after, "a file of the widget was fetched twice: {after:?}");
        Ok(())
    }
    .await;
    close(client, &outcome, "host-page-fetches-failure.png").await;
    outcome
}
