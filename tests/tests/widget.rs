//! The shopper's widget in real Chromium against the real relay (release build): isolation from a
//! hostile page under a strict Content-Security-Policy, the page's API, identity, right-to-left
//! Arabic, keyboard use, the offline outbox with card masking across a relay restart, and a phone.

use anyhow::{Result, ensure};
use checkout_chat_e2e::{
    AgentOnline, Chrome, Page, Relay, ShopSite, artifacts_dir, click_in_widget, console_login, eventually, find,
    in_widget, js, press, save_screenshot, translation, type_keys, wait_for_text, widget_texts,
};
use fantoccini::Client;
use fantoccini::key::Key;
use std::time::Duration;

/// Records, for the test, what the widget does to the page it is embedded in. Runs before the
/// widget's tag, as a shop's own script would, and uses the API before the widget has loaded.
const RECORDER: &str = r#"
(function () {
  var before = Object.keys(window);
  var t = (window.__test = { before: before, warnings: [], errors: [], violations: [], ready: 0, rect: null });
  var warn = console.warn, error = console.error;
  console.warn = function () { t.warnings.push([].join.call(arguments, " ")); warn.apply(console, arguments); };
  console.error = function () { t.errors.push([].join.call(arguments, " ")); error.apply(console, arguments); };
  addEventListener("error", function (e) { t.errors.push(String(e.message)); });
  addEventListener("unhandledrejection", function (e) { t.errors.push(String(e.reason)); });
  document.addEventListener("securitypolicyviolation", function (e) { t.violations.push(e.violatedDirective + " " + e.blockedURI); });
  addEventListener("load", function () { t.loadedAt = performance.now(); });
  document.addEventListener("DOMContentLoaded", function () {
    var r = document.getElementById("marker").getBoundingClientRect();
    t.rect = [r.x, r.y, r.width, r.height].join(",");
  });
  window.checkoutChat = window.checkoutChat || [];
  checkoutChat.push(["on", "ready", function () { t.ready++; }]);
  checkoutChat.push(["identify", { user_id: "cust-99", name: "Mallory", user_hash: "00112233445566778899" }]);
  checkoutChat.push(["identify", 42]);
  checkoutChat.push(["open"]);
})();
"#;

/// CSS a careless (or hostile) shop might have: it must change nothing in the widget.
const HOSTILE_CSS: &str = "* { font: 40px/3 'Comic Sans MS', cursive !important; color: #f0f !important; \
    background: #ff0 !important; box-sizing: content-box !important; }
    div, p, section, button, textarea, form, label { display: block !important; position: static !important; \
    width: 12px !important; height: 12px !important; margin: 30px !important; border: 5px dotted red !important; }
    checkout-chat, [data-checkout-chat] { display: none !important; opacity: 0 !important; }";

fn widget_tag(relay: &Relay, extra: &str) -> String {
    format!(r#"<script src="{}" data-shop="demo" {extra} async></script>"#, relay.url("/widget.js"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_page_under_a_strict_csp_gets_a_working_isolated_widget_and_its_api() -> Result<()> {
    let relay = Relay::start()?;
    let origin = format!("http://{}", relay.addr);
    // The strictest policy a shop can send: nothing inline at all (the page's own style by
    // nonce), docs/embedding.md's policy for the widget plus what this page itself needs.
    let csp = format!(
        "default-src 'none'; script-src 'self' {origin} 'wasm-unsafe-eval'; style-src 'nonce-shop'; \
         connect-src {origin} ws://{}; img-src 'self'",
        relay.addr
    );
    let page = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hostile shop</title>
        <style nonce="shop">{HOSTILE_CSS}</style><script src="/recorder.js"></script></head>
        <body><h1>A shop with careless CSS</h1><p id="marker">The page's own content</p>{}</body></html>"#,
        widget_tag(&relay, "")
    );
    let site = ShopSite::serve(vec![
        Page::html("/", page).with_header("Content-Security-Policy", &csp),
        Page::script("/recorder.js", RECORDER),
    ])?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let agent = chrome.session().await?;
    let outcome = async {
        console_login(&agent, &relay).await?;
        shopper.goto(&site.url("/")).await?;
        // Opened by the page's queued ["open"], with no click.
        in_widget(&shopper, ".cc-panel").await?;
        let font: String = js(
            &shopper,
            "return getComputedStyle(document.querySelector('[data-checkout-chat]').shadowRoot.querySelector('.cc-title')).fontSize",
            serde_json::Value::Null,
        )
        .await?;
        ensure!(font == "17px", "the page's CSS reached into the widget: title font-size {font}");
        in_widget(&shopper, ".cc-input").await?.send_keys("Hello from a hostile page").await?;
        click_in_widget(&shopper, ".cc-send").await?;
        wait_for_text(&shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", "Hello from a hostile page").await?;
        save_screenshot(&shopper, "hostile-page.png").await?;
        // This relay has no SMTP server: the menu offers the download only, never an email.
        click_in_widget(&shopper, ".cc-menu summary").await?;
        in_widget(&shopper, ".cc-menu-item").await?;
        let email_offered: bool = js(
            &shopper,
            "const f = document.querySelector('[data-checkout-chat]').shadowRoot.querySelector('#cc-transcript-email');
             return !!f && f.getClientRects().length > 0;",
            serde_json::Value::Null,
        )
        .await?;
        ensure!(!email_offered, "the widget offers the transcript by email with no SMTP server configured");
        click_in_widget(&shopper, ".cc-menu summary").await?;

        #[derive(serde::Deserialize)]
        struct Record {
            warnings: Vec<String>,
            errors: Vec<String>,
            violations: Vec<String>,
            ready: u32,
            same_layout: bool,
            new_globals: Vec<String>,
            app_fetched_after_load: bool,
        }
        let record: Record = js(
            &shopper,
            "var t = window.__test, r = document.getElementById('marker').getBoundingClientRect();
             return { warnings: t.warnings, errors: t.errors, violations: t.violations, ready: t.ready,
                      same_layout: t.rect === [r.x, r.y, r.width, r.height].join(','),
                      new_globals: Object.keys(window).filter(function (k) { return t.before.indexOf(k) < 0; }).sort(),
                      app_fetched_after_load: (function (wasm) {
                        return wasm.length > 0 && wasm.every(function (e) { return e.startTime >= t.loadedAt; });
                      })(performance.getEntriesByType('resource').filter(function (e) { return /_bg[.]wasm$/.test(e.name); })) };",
            serde_json::Value::Null,
        )
        .await?;
        ensure!(record.ready == 1, "the ready listener ran {} times", record.ready);
        ensure!(
            record.warnings.len() == 1 && record.warnings[0].starts_with("checkout-chat: identify"),
            "exactly one warning, for the bad identify call: {:?}",
            record.warnings
        );
        ensure!(record.errors.is_empty(), "errors on the page: {:?}", record.errors);
        ensure!(record.violations.is_empty(), "CSP violations: {:?}", record.violations);
        ensure!(record.same_layout, "the page's layout changed");
        ensure!(record.app_fetched_after_load, "the app was fetched before the page's load event");
        // (ChromeDriver's own script runner leaves `ret_nodes` and `se_exportedFunctionSymbol`.)
        let ours: Vec<&String> =
            record.new_globals.iter().filter(|g| !["ret_nodes", "se_exportedFunctionSymbol"].contains(&g.as_str())).collect();
        ensure!(ours == ["__test", "checkoutChat"], "new globals: {:?}", record.new_globals);

        // The identity had a wrong signature: the agent sees the shopper as unverified.
        find(&agent, ".row").await?.click().await?;
        wait_for_text(&agent, false, ".thread-meta .badge-unverified", "Unverified").await?;

        // The shopper signs out of the shop, which calls reset(): nothing of theirs stays.
        let stored = "return [localStorage.getItem('checkout-chat:demo:token'), localStorage.getItem('checkout-chat:demo:conversation')]";
        let (token_before, _): (Option<String>, Option<String>) = js(&shopper, stored, serde_json::Value::Null).await?;
        js::<()>(&shopper, "checkoutChat.reset()", serde_json::Value::Null).await?;
        eventually("reset() empties the chat and the shopper comes back as a new visitor", || async {
            let bubbles = widget_texts(&shopper, ".cc-bubble").await?;
            let (token, conversation): (Option<String>, Option<String>) =
                js(&shopper, stored, serde_json::Value::Null).await?;
            let fresh = token.is_some() && token != token_before && conversation.is_none();
            Ok((bubbles.is_empty() && fresh).then_some(()))
        })
        .await?;
        Ok(())
    }
    .await;
    if outcome.is_err() {
        let _ = save_screenshot(&shopper, "hostile-page-failure.png").await;
    }
    let _ = shopper.close().await;
    let _ = agent.close().await;
    outcome
}

#[tokio::test(flavor = "multi_thread")]
async fn an_arabic_page_gets_a_right_to_left_widget_in_arabic() -> Result<()> {
    let relay = Relay::start()?;
    let arabic = translation("ar")?;
    let page = format!(
        r#"<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>متجر</title></head>
        <body><h1>متجر القهوة</h1>{}</body></html>"#,
        widget_tag(&relay, "data-open-on-load")
    );
    let site = ShopSite::serve(vec![Page::html("/", page)])?;
    let _agent = AgentOnline::connect(&relay).await?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let outcome = async {
        shopper.goto(&site.url("/")).await?;
        in_widget(&shopper, ".cc-launcher:not([data-placeholder])").await?;
        let right: f64 = js(
            &shopper,
            "return document.querySelector('[data-checkout-chat]').shadowRoot.querySelector('.cc-launcher').getBoundingClientRect().right",
            serde_json::Value::Null,
        )
        .await?;
        ensure!(right < 640.0, "the launcher sits on the left of a right-to-left page (its right edge at {right})");
        // data-open-on-load opened it.
        wait_for_text(&shopper, true, ".cc-greeting", &arabic["greeting"]).await?;
        let dir: String = js(
            &shopper,
            "return document.querySelector('[data-checkout-chat]').shadowRoot.querySelector('.cc-root').getAttribute('dir')",
            serde_json::Value::Null,
        )
        .await?;
        ensure!(dir == "rtl", "the widget's direction is {dir}");
        let message = "سلام، سفارش NH-204118 کجاست؟";
        in_widget(&shopper, ".cc-input").await?.send_keys(message).await?;
        click_in_widget(&shopper, ".cc-send").await?;
        wait_for_text(&shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", message).await?;
        let sent = widget_texts(&shopper, ".cc-mine .cc-meta").await?;
        ensure!(sent.iter().any(|m| m.contains(&arabic["sent"])), "the sent mark is in Arabic: {sent:?}");
        save_screenshot(&shopper, "widget-arabic.png").await?;
        Ok(())
    }
    .await;
    let _ = shopper.close().await;
    outcome
}

#[tokio::test(flavor = "multi_thread")]
async fn the_widget_works_with_the_keyboard_alone() -> Result<()> {
    let relay = Relay::start()?;
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Keyboard</title></head>\
         <body><h1>Nothing else to focus here</h1>{}</body></html>",
        widget_tag(&relay, r##"data-position="bottom-left" data-color="#7c3aed" data-z-index="4000""##)
    );
    let site = ShopSite::serve(vec![Page::html("/", page)])?;
    let _agent = AgentOnline::connect(&relay).await?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let focused = |shopper: &Client| {
        let shopper = shopper.clone();
        async move {
            js::<String>(
                &shopper,
                "var a = document.activeElement; var inner = a && a.shadowRoot && a.shadowRoot.activeElement;
                 return inner ? inner.tagName + '.' + inner.className : (a ? a.tagName : '');",
                serde_json::Value::Null,
            )
            .await
        }
    };
    let outcome = async {
        shopper.goto(&site.url("/")).await?;
        // The loader's launcher: the chat app itself loads when the shopper opens the chat.
        in_widget(&shopper, ".cc-launcher").await?;
        // The embed's options: on the left, in the shop's colour, under the shop's z-index.
        let (left, color, z): (f64, String, String) = js(
            &shopper,
            "var launcher = document.querySelector('[data-checkout-chat]').shadowRoot.querySelector('.cc-launcher');
             var style = getComputedStyle(launcher);
             return [launcher.getBoundingClientRect().left, style.backgroundColor, style.zIndex];",
            serde_json::Value::Null,
        )
        .await?;
        ensure!(left < 100.0 && color == "rgb(124, 58, 237)" && z == "4000", "options: {left} {color} {z}");
        press(&shopper, Key::Tab).await?;
        let on_launcher = focused(&shopper).await?;
        ensure!(on_launcher.starts_with("BUTTON.cc-launcher"), "Tab reaches the launcher, not {on_launcher}");
        press(&shopper, Key::Enter).await?;
        eventually("focus moves into the message box", || async {
            Ok(focused(&shopper).await?.starts_with("TEXTAREA").then_some(()))
        })
        .await?;
        type_keys(&shopper, "Typed without a mouse").await?;
        press(&shopper, Key::Enter).await?;
        wait_for_text(&shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", "Typed without a mouse").await?;
        press(&shopper, Key::Escape).await?;
        eventually("Escape closes the chat and focus returns to the launcher", || async {
            let closed = widget_texts(&shopper, ".cc-panel").await?.is_empty();
            Ok((closed && focused(&shopper).await?.starts_with("BUTTON.cc-launcher")).then_some(()))
        })
        .await?;
        // The page opening the chat does not take the keyboard focus from where the shopper is.
        js::<()>(&shopper, "checkoutChat.open()", serde_json::Value::Null).await?;
        in_widget(&shopper, ".cc-input").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after_page_open = focused(&shopper).await?;
        ensure!(
            after_page_open.starts_with("BUTTON.cc-launcher"),
            "the page's open() moved focus to {after_page_open}"
        );
        Ok(())
    }
    .await;
    let _ = shopper.close().await;
    outcome
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_typed_while_the_relay_restarts_arrives_once_and_its_card_number_never_leaves_the_page() -> Result<()>
{
    let mut relay = Relay::start()?;
    let agent = AgentOnline::connect(&relay).await?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let outcome = async {
        shopper.goto(&relay.url("/")).await?;
        click_in_widget(&shopper, ".cc-launcher").await?;
        in_widget(&shopper, ".cc-input").await?.send_keys("First question").await?;
        click_in_widget(&shopper, ".cc-send").await?;
        wait_for_text(&shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", "First question").await?;

        relay.kill();
        eventually("the widget says it is reconnecting", || async {
            let status = widget_texts(&shopper, ".cc-status").await?;
            Ok(status.iter().any(|s| s.contains("Reconnecting")).then_some(()))
        })
        .await?;
        in_widget(&shopper, ".cc-input").await?.send_keys("My card is 4242 4242 4242 4242, please charge it").await?;
        click_in_widget(&shopper, ".cc-send").await?;
        let masked = "My card is **** **** **** 4242, please charge it";
        // Masked in the page, before anything could be sent, and the shopper is told why.
        wait_for_text(&shopper, true, ".cc-pending .cc-bubble", masked).await?;
        in_widget(&shopper, ".cc-note").await?;
        let outbox: String =
            js(&shopper, "return localStorage.getItem('checkout-chat:demo:outbox') || ''", serde_json::Value::Null)
                .await?;
        ensure!(outbox.contains("**** 4242") && !outbox.contains("4242 4242"), "the outbox holds {outbox}");

        relay.restart()?;
        drop(agent);
        wait_for_text(&shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", masked).await?;
        // On another page, each message is there once.
        shopper.goto(&relay.url("/cart.html")).await?;
        click_in_widget(&shopper, ".cc-launcher").await?;
        wait_for_text(&shopper, true, ".cc-mine .cc-bubble", masked).await?;
        let bubbles = widget_texts(&shopper, ".cc-bubble").await?;
        let count = |text: &str| bubbles.iter().filter(|b| b.trim() == text).count();
        ensure!(count("First question") == 1 && count(masked) == 1, "each message once: {bubbles:?}");
        Ok(())
    }
    .await;
    if outcome.is_err() {
        let _ = save_screenshot(&shopper, "outbox-failure.png").await;
    }
    let _ = shopper.close().await;
    outcome
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_phone_the_chat_takes_the_screen_with_inputs_that_do_not_zoom() -> Result<()> {
    let relay = Relay::start()?;
    let _agent = AgentOnline::connect(&relay).await?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.phone_session().await?;
    let outcome = async {
        shopper.goto(&relay.url("/")).await?;
        click_in_widget(&shopper, ".cc-launcher").await?;
        in_widget(&shopper, ".cc-input").await?.send_keys("Do you deliver to Aarhus?").await?;
        click_in_widget(&shopper, ".cc-send").await?;
        wait_for_text(&shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", "Do you deliver to Aarhus?").await?;
        #[derive(serde::Deserialize)]
        struct Layout {
            panel: [f64; 2],
            window: [f64; 2],
            input_font: f64,
        }
        let layout: Layout = js(
            &shopper,
            "var root = document.querySelector('[data-checkout-chat]').shadowRoot;
             var panel = root.querySelector('.cc-panel').getBoundingClientRect();
             return { panel: [panel.width, panel.height], window: [innerWidth, innerHeight],
                      input_font: parseFloat(getComputedStyle(root.querySelector('.cc-input')).fontSize) };",
            serde_json::Value::Null,
        )
        .await?;
        ensure!(layout.window[0] <= 400.0, "a phone-sized window: {:?}", layout.window);
        ensure!(
            layout.panel[0] >= layout.window[0] - 1.0,
            "the panel takes the width: {:?} in {:?}",
            layout.panel,
            layout.window
        );
        ensure!(
            layout.panel[1] >= layout.window[1] - 1.0,
            "the panel takes the height: {:?} in {:?}",
            layout.panel,
            layout.window
        );
        ensure!(layout.input_font >= 16.0, "inputs under 16 px make iOS zoom: {}", layout.input_font);
        save_screenshot(&shopper, "widget-mobile.png").await?;
        // The full-screen panel is a modal: Tab and Shift+Tab go round inside it, never to the
        // page behind (whose links would be next).
        let in_panel = "const root = document.querySelector('[data-checkout-chat]').shadowRoot;
                        return document.activeElement === root.host && !!root.activeElement
                            && !!root.activeElement.closest('.cc-panel');";
        in_widget(&shopper, ".cc-input").await?.click().await?;
        for step in 0..12 {
            press(&shopper, Key::Tab).await?;
            ensure!(js::<bool>(&shopper, in_panel, serde_json::Value::Null).await?, "Tab {step} left the panel");
        }
        for step in 0..12 {
            checkout_chat_e2e::press_with_shift(&shopper, Key::Tab).await?;
            ensure!(js::<bool>(&shopper, in_panel, serde_json::Value::Null).await?, "Shift+Tab {step} left the panel");
        }
        Ok(())
    }
    .await;
    let _ = shopper.close().await;
    let _ = artifacts_dir();
    outcome
}

#[tokio::test(flavor = "multi_thread")]
async fn with_nobody_online_the_shopper_leaves_a_message() -> Result<()> {
    let relay = Relay::start()?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let outcome = async {
        shopper.goto(&relay.url("/")).await?;
        click_in_widget(&shopper, ".cc-launcher").await?;
        wait_for_text(&shopper, true, ".cc-form-title", "Leave us a message").await?;
        in_widget(&shopper, "#cc-offline-email").await?.send_keys("not an address").await?;
        in_widget(&shopper, "#cc-offline-question").await?.send_keys("Do you ship to Norway?").await?;
        click_in_widget(&shopper, ".cc-form .cc-button").await?;
        wait_for_text(&shopper, true, ".cc-error", "Please enter a valid email address.").await?;
        in_widget(&shopper, "#cc-offline-email").await?.clear().await?;
        in_widget(&shopper, "#cc-offline-email").await?.send_keys("jan@example.com").await?;
        click_in_widget(&shopper, ".cc-form .cc-button").await?;
        wait_for_text(
            &shopper,
            true,
            ".cc-notice",
            "Thanks! The team has your question, and jan@example.com to reach you.",
        )
        .await?;
        wait_for_text(&shopper, true, ".cc-mine .cc-bubble", "Do you ship to Norway?").await?;
        Ok(())
    }
    .await;
    let _ = shopper.close().await;
    outcome
}

/// The shop's server-side signature of a user id (the demo shop's secret is public on purpose).
fn signed_identity(user_id: &str, name: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"demo-identity-secret").expect("any key length");
    mac.update(user_id.as_bytes());
    let hash = hex::encode(mac.finalize().into_bytes());
    format!(r#"{{"user_id":"{user_id}","name":"{name}","user_hash":"{hash}"}}"#)
}

#[tokio::test(flavor = "multi_thread")]
async fn another_customer_signing_in_on_the_same_browser_never_sees_the_first_ones_chat() -> Result<()> {
    let relay = Relay::start()?;
    let page = |user_id: &str, name: &str| {
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Account</title>\
             <script>window.checkoutChat = window.checkoutChat || []; checkoutChat.push([\"identify\", {}]);</script>\
             </head><body><h1>Signed in as {name}</h1>{}</body></html>",
            signed_identity(user_id, name),
            widget_tag(&relay, "data-open-on-load")
        )
    };
    let site = ShopSite::serve(vec![
        Page::html("/sara", page("cust-17", "Sara")),
        Page::html("/tom", page("cust-18", "Tom")),
    ])?;
    let _agent = AgentOnline::connect(&relay).await?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let stored = "return [localStorage.getItem('checkout-chat:demo:token'), localStorage.getItem('checkout-chat:demo:conversation')]";
    let outcome = async {
        shopper.goto(&site.url("/sara")).await?;
        in_widget(&shopper, ".cc-input").await?.send_keys("Sara's private question").await?;
        click_in_widget(&shopper, ".cc-send").await?;
        wait_for_text(&shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", "Sara's private question").await?;
        let (saras_token, saras_conversation): (Option<String>, Option<String>) =
            js(&shopper, stored, serde_json::Value::Null).await?;
        ensure!(saras_conversation.is_some(), "Sara's conversation is remembered");

        // Sara signs out without the shop calling reset(); Tom signs in on the same browser.
        shopper.goto(&site.url("/tom")).await?;
        eventually("the widget comes back as a new visitor, with nothing of Sara's", || async {
            let (token, conversation): (Option<String>, Option<String>) =
                js(&shopper, stored, serde_json::Value::Null).await?;
            Ok((token.is_some() && token != saras_token && conversation.is_none()).then_some(()))
        })
        .await?;
        in_widget(&shopper, ".cc-input").await?.send_keys("Tom's question").await?;
        click_in_widget(&shopper, ".cc-send").await?;
        wait_for_text(&shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", "Tom's question").await?;
        let bubbles = widget_texts(&shopper, ".cc-bubble").await?;
        ensure!(bubbles.iter().all(|b| !b.contains("Sara")), "Tom's chat shows Sara's messages: {bubbles:?}");
        let (_, toms_conversation): (Option<String>, Option<String>) =
            js(&shopper, stored, serde_json::Value::Null).await?;
        ensure!(toms_conversation.is_some() && toms_conversation != saras_conversation, "Tom has his own conversation");
        Ok(())
    }
    .await;
    let _ = shopper.close().await;
    outcome
}
