//! The agents' console on the screens agents have, in headless Chromium against the real relay:
//! at 1280 px the shopper panel sits beside the conversation; at 1024 px it is a drawer opened
//! from the conversation's header (over the conversation, never below the composer) that Escape
//! closes; at 390 × 844 (a phone) the inbox and the conversation take turns and an agent can open
//! a chat, reply and go back. Nothing is wider than the window at any of them, and the console is
//! installable (its web-app manifest and icons are served). Screenshots of each width are saved.

use anyhow::{Context, Result, ensure};
use checkout_chat_e2e::{
    Chrome, Relay, console_login, eventually, find, js, open_row, save_screenshot, shopper_writes_and_leaves,
    wait_for_text,
};
use fantoccini::Client;
use serde_json::Value;

const ASKS: &str = "Is the Kalita Wave 185 in stock?";
const REPLY: &str = "It is: we ship it today.";

#[tokio::test(flavor = "multi_thread")]
async fn the_console_fits_a_laptop_a_small_laptop_and_a_phone() -> Result<()> {
    let relay = Relay::start()?;
    let mut chrome = Chrome::start()?;
    let agent = chrome.session().await?;
    let outcome = at_three_widths(&relay, &agent).await;
    if outcome.is_err() {
        let _ = save_screenshot(&agent, "console-layout-failure.png").await;
    }
    let _ = agent.close().await;
    outcome
}

async fn at_three_widths(relay: &Relay, agent: &Client) -> Result<()> {
    shopper_writes_and_leaves(relay, ASKS).await?;
    agent.goto(&relay.url("/console")).await?;
    console_login(agent, relay).await?;
    open_row(agent, ASKS).await?;
    wait_for_text(agent, false, ".message .bubble", ASKS).await?;

    resize(agent, 1280, 800).await?;
    ensure!(shown(agent, "#shopper-context").await?, "at 1280 px the shopper panel is beside the conversation");
    ensure!(!shown(agent, "[data-test=shopper-drawer]").await?, "at 1280 px there is no drawer to open");
    fits(agent, 1280).await?;
    save_screenshot(agent, "console-1280.png").await?;

    resize(agent, 1024, 768).await?;
    ensure!(!shown(agent, "#shopper-context").await?, "at 1024 px the shopper panel waits in its drawer");
    find(agent, "[data-test=shopper-drawer]").await?.click().await?;
    eventually("the drawer opens", || async { Ok(shown(agent, "#shopper-context").await?.then_some(())) }).await?;
    let panel = rect(agent, "#shopper-context").await?;
    let composer = rect(agent, ".composer").await?;
    let conversation = rect(agent, ".conversation").await?;
    ensure!(
        panel.top < composer.top && panel.bottom <= conversation.bottom + 1.0,
        "the drawer lies over the conversation, not below the composer: panel {panel:?}, composer {composer:?}"
    );
    ensure!(composer.bottom <= 768.0 + 1.0, "the composer stays on screen with the drawer open: {composer:?}");
    eventually("opening the drawer takes the focus into it", || async {
        Ok(focused(agent, "[data-test=close-drawer]").await?.then_some(()))
    })
    .await?;
    // What the drawer covers cannot be reached behind it: Tab stays out of the conversation.
    for _ in 0..6 {
        checkout_chat_e2e::press(agent, '\u{E004}').await?; // Tab
        ensure!(!focused(agent, ".thread *").await?, "Tab reached the conversation under the drawer");
    }
    find(agent, "[data-test=close-drawer]").await?.click().await?;
    find(agent, "[data-test=shopper-drawer]").await?.click().await?;
    eventually("the drawer opens again", || async { Ok(shown(agent, "#shopper-context").await?.then_some(())) })
        .await?;
    fits(agent, 1024).await?;
    save_screenshot(agent, "console-1024.png").await?;
    checkout_chat_e2e::press(agent, '\u{E00C}').await?; // Escape
    eventually("Escape closes the drawer", || async { Ok((!shown(agent, "#shopper-context").await?).then_some(())) })
        .await?;
    eventually("closing the drawer gives the focus back to its button", || async {
        Ok(focused(agent, "[data-test=shopper-drawer]").await?.then_some(()))
    })
    .await?;

    resize(agent, 390, 844).await?;
    ensure!(!shown(agent, ".inbox").await?, "on a phone the open chat takes the whole screen");
    find(agent, "[data-test=back-to-inbox]").await?.click().await?;
    eventually("back to the inbox", || async { Ok(shown(agent, ".inbox").await?.then_some(())) }).await?;
    eventually("back on the row just left", || async { Ok(focused(agent, ".inbox .row").await?.then_some(())) })
        .await?;
    ensure!(!shown(agent, ".conversation").await?, "on a phone the inbox takes the whole screen");
    fits(agent, 390).await?;
    save_screenshot(agent, "console-390-inbox.png").await?;
    open_row(agent, ASKS).await?;
    eventually("the chat opens", || async { Ok(shown(agent, ".reply").await?.then_some(())) }).await?;
    eventually("the focus on the conversation's name", || async {
        Ok(focused(agent, ".thread-header h2").await?.then_some(()))
    })
    .await?;
    ensure!(!shown(agent, ".inbox").await?, "opening a chat on a phone hides the inbox");
    find(agent, "[data-test=claim]").await?.click().await?;
    find(agent, ".reply").await?.send_keys(REPLY).await?;
    find(agent, ".composer button[type=submit]").await?.click().await?;
    wait_for_text(agent, false, ".message.mine:not(.pending) .bubble", REPLY).await?;
    fits(agent, 390).await?;
    save_screenshot(agent, "console-390-chat.png").await?;
    Ok(())
}

/// The manifest a phone installs the console from, and the icons it names, as the page links them.
#[tokio::test(flavor = "multi_thread")]
async fn the_console_is_installable_as_a_web_app() -> Result<()> {
    let relay = Relay::start()?;
    let mut chrome = Chrome::start()?;
    let agent = chrome.session().await?;
    let outcome = manifest(&relay, &agent).await;
    let _ = agent.close().await;
    outcome
}

async fn manifest(relay: &Relay, agent: &Client) -> Result<()> {
    agent.goto(&relay.url("/console")).await?;
    find(agent, "#email").await?;
    let found = read_manifest(agent).await?;
    ensure!(found.get("error").is_none(), "the manifest could not be read: {found}");
    let content_type = found["type"].as_str().unwrap_or_default();
    ensure!(content_type.starts_with("application/manifest+json"), "the manifest is served as {content_type:?}");
    let manifest = &found["manifest"];
    ensure!(manifest["start_url"] == "/console/" && manifest["display"] == "standalone", "manifest: {manifest}");
    ensure!(manifest["name"].as_str().is_some_and(|n| !n.is_empty()), "the manifest names the app: {manifest}");
    let icons = found["icons"].as_array().context("no icons")?;
    ensure!(icons.len() >= 2, "an icon for any purpose and a maskable one: {icons:?}");
    for icon in icons {
        ensure!(icon["status"] == 200 && icon["type"] == "image/svg+xml", "an icon is not served: {icon}");
    }
    Ok(())
}

/// The manifest and its icons as the browser fetches them (an asynchronous script: fetches).
async fn read_manifest(agent: &Client) -> Result<Value> {
    Ok(agent
        .execute_async(
            "const done = arguments[arguments.length - 1];
             (async () => {
               const link = document.querySelector('link[rel=manifest]');
               const answer = await fetch(link.href);
               const manifest = await answer.json();
               const icons = [];
               for (const icon of manifest.icons) {
                 const got = await fetch(new URL(icon.src, link.href));
                 icons.push({ status: got.status, type: got.headers.get('content-type'), purpose: icon.purpose });
               }
               return { type: answer.headers.get('content-type'), manifest, icons };
             })().then(done, (e) => done({ error: String(e) }));",
            vec![],
        )
        .await?)
}

#[derive(Debug)]
struct Rect {
    top: f64,
    bottom: f64,
}

async fn rect(agent: &Client, css: &str) -> Result<Rect> {
    let r: Value = js(
        agent,
        "const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.top, r.bottom];",
        css.into(),
    )
    .await?;
    let side = |i: usize| r[i].as_f64().with_context(|| format!("no box for {css}"));
    Ok(Rect { top: side(0)?, bottom: side(1)? })
}

async fn shown(agent: &Client, css: &str) -> Result<bool> {
    js(
        agent,
        "const e = document.querySelector(arguments[0]); if (!e) return false;
         const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0;",
        css.into(),
    )
    .await
}

async fn focused(agent: &Client, css: &str) -> Result<bool> {
    js(agent, "return !!document.activeElement && document.activeElement.matches(arguments[0]);", css.into()).await
}

/// Nothing is wider than the window: no sideways scrolling at this width.
async fn fits(agent: &Client, width: u32) -> Result<()> {
    let overflow: f64 =
        js(agent, "return document.documentElement.scrollWidth - window.innerWidth;", Value::Null).await?;
    ensure!(overflow <= 0.0, "at {width} px the console is {overflow} px wider than the window");
    Ok(())
}

/// Sets the viewport (not the window) to this size, and waits until the page has it.
async fn resize(agent: &Client, width: u32, height: u32) -> Result<()> {
    agent.set_window_size(width, height).await?;
    let (inner_w, inner_h): (f64, f64) =
        js(agent, "return [window.innerWidth, window.innerHeight];", Value::Null).await?;
    // Headless Chromium may count some pixels for the window's frame: grow by the difference.
    let (dw, dh) = (f64::from(width) - inner_w, f64::from(height) - inner_h);
    if dw != 0.0 || dh != 0.0 {
        agent.set_window_size((f64::from(width) + dw) as u32, (f64::from(height) + dh) as u32).await?;
    }
    eventually(&format!("a {width} px wide viewport"), || async {
        let inner: f64 = js(agent, "return window.innerWidth;", Value::Null).await?;
        Ok((inner == f64::from(width)).then_some(()))
    })
    .await
}
