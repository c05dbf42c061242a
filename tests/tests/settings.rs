//! The shop's settings page in headless Chromium against the real relay: an admin changes the
//! greeting, the reply time, the colour and the corner, and a shopper's widget that
//! is already open shows them without a reload (a light colour getting dark text). Wrong values
//! are refused on the field they concern; axe-core finds no WCAG 2.1 AA violation on the page in
//! English or Dutch; a plain agent is not offered the page. The install page gives the snippet
//! and, once a shop page has loaded the widget, says where it was seen.

use anyhow::{Result, ensure};
use checkout_chat_e2e::{
    Chrome, Page, Relay, ShopSite, accessibility_violations, add_agent, choose_console_language, click_in_widget,
    console_login, console_login_as, eventually, find, in_widget, js, page_texts, save_screenshot, set_field,
    wait_for_text, widget_texts,
};
use fantoccini::Client;

const GREETING: &str = "Welcome to Nordhavn! Ask us about grinders, beans or your delivery.";
const REPLY_TIME: &str = "We answer within the hour";
const YELLOW: &str = "#fde047";

#[tokio::test(flavor = "multi_thread")]
async fn an_admins_new_greeting_and_colour_reach_an_open_widget_without_a_reload() -> Result<()> {
    let relay = Relay::start()?;
    let mut chrome = Chrome::start()?;
    let admin = chrome.session().await?;
    let shopper = chrome.session().await?;
    let outcome = change_the_widget(&relay, &admin, &shopper).await;
    if outcome.is_err() {
        let _ = save_screenshot(&admin, "settings-failure.png").await;
        let _ = save_screenshot(&shopper, "settings-shopper-failure.png").await;
    }
    for session in [admin, shopper] {
        let _ = session.close().await;
    }
    outcome
}

/// The computed `property` of the widget's element `css`.
async fn widget_style(client: &Client, css: &str, property: &str) -> Result<String> {
    js(
        client,
        "const [css, property] = arguments[0];
         const element = document.querySelector('[data-checkout-chat]').shadowRoot.querySelector(css);
         return element ? getComputedStyle(element).getPropertyValue(property) : '';",
        serde_json::json!([css, property]),
    )
    .await
}

async fn change_the_widget(relay: &Relay, admin: &Client, shopper: &Client) -> Result<()> {
    // The shopper has the chat open with the built-in texts.
    shopper.goto(&relay.url("/")).await?;
    click_in_widget(shopper, ".cc-launcher").await?;
    in_widget(shopper, ".cc-greeting").await?;
    let before = widget_texts(shopper, ".cc-greeting").await?;
    ensure!(before.iter().all(|g| g.trim() != GREETING), "{before:?}");

    console_login(admin, relay).await?;
    find(admin, "[data-test=open-settings]").await?.click().await?;
    find(admin, "[data-test=settings-form]").await?;
    // A wrong value first: refused on its field, nothing saved.
    set_field(admin, "#settings-name", "   ").await?;
    set_field(admin, "#settings-origins", "shop.example/checkout").await?;
    find(admin, "[data-test=settings-save]").await?.click().await?;
    wait_for_text(admin, false, "#settings-name-error", "This cannot be empty.").await?;
    wait_for_text(
        admin,
        false,
        "#settings-origins-error",
        "Line 1: Write an origin such as https://shop.example (no path).",
    )
    .await?;
    let invalid: Vec<String> = js(
        admin,
        "return [...document.querySelectorAll('[aria-invalid=true]')].map(e => e.id);",
        serde_json::json!(null),
    )
    .await?;
    ensure!(invalid == ["settings-name", "settings-origins"], "marked invalid: {invalid:?}");
    let violations = accessibility_violations(admin, &[".settings-page"]).await?;
    ensure!(violations.is_empty(), "axe-core on the settings page with errors: {violations:#?}");

    // Corrected, with the shop's own texts and a light colour.
    set_field(admin, "#settings-name", "Nordhavn Coffee").await?;
    set_field(admin, "#settings-origins", "").await?;
    set_field(admin, "#settings-greeting-en", GREETING).await?;
    set_field(admin, "#settings-reply_time-en", REPLY_TIME).await?;
    set_field(admin, "#settings-accent", YELLOW).await?;
    let _: () = js(
        admin,
        "const corner = document.querySelector('#settings-position'); corner.value = 'left';
         corner.dispatchEvent(new Event('change', { bubbles: true }));",
        serde_json::json!(null),
    )
    .await?;
    let preview = page_texts(admin, "[data-test=accent-preview]").await?;
    ensure!(preview.iter().any(|p| p.contains("dark text")), "the preview says the text goes dark: {preview:?}");
    find(admin, "[data-test=settings-save]").await?.click().await?;
    wait_for_text(admin, false, "[data-test=settings-outcome]", "Saved. Open chats show the change now.").await?;
    ensure!(page_texts(admin, ".field-error").await?.iter().all(|e| e.is_empty()), "the errors went");
    eventually("the change is in the history, with who made it and what it changed", || async {
        let history = page_texts(admin, "[data-test=settings-history] li").await?;
        let newest = history.first().map(String::as_str).unwrap_or_default();
        let says = ["Anna de Vries", "Colour", "Greeting", "Reply time"].iter().all(|part| newest.contains(part));
        // Older: the configuration's seeds (settings, rules) on the first start.
        let seeded = history.iter().skip(1).any(|line| line.contains("first settings, from the configuration file"));
        Ok((says && seeded).then_some(()))
    })
    .await?;

    // The open widget shows it all, without a reload.
    wait_for_text(shopper, true, ".cc-greeting", GREETING).await?;
    wait_for_text(shopper, true, ".cc-status", REPLY_TIME).await?;
    eventually("the widget takes the new colour, with dark text on it", || async {
        let background = widget_style(shopper, ".cc-header", "background-color").await?;
        let text = widget_style(shopper, ".cc-header", "color").await?;
        Ok((background == "rgb(253, 224, 71)" && text == "rgb(15, 23, 42)").then_some(()))
    })
    .await?;
    eventually("the launcher moves to the bottom left corner", || async {
        let left: f64 = js(
            shopper,
            "return document.querySelector('[data-checkout-chat]').shadowRoot.querySelector('.cc-launcher')
                 .getBoundingClientRect().left;",
            serde_json::json!(null),
        )
        .await?;
        Ok((left < 100.0).then_some(()))
    })
    .await?;
    let violations = accessibility_violations(shopper, &["checkout-chat"]).await?;
    ensure!(violations.is_empty(), "axe-core on the widget in the new colour: {violations:#?}");

    let _: () = js(admin, "document.querySelector('.settings-page').scrollTop = 0;", serde_json::json!(null)).await?;
    let screenshot = save_screenshot(admin, "console-settings.png").await?;
    ensure!(screenshot.exists(), "screenshot saved");
    // The page in Dutch passes axe-core too.
    choose_console_language(admin, "nl").await?;
    find(admin, "[data-test=open-settings]").await?.click().await?;
    find(admin, "[data-test=settings-form]").await?;
    wait_for_text(admin, false, ".settings-page h1", "Instellingen").await?;
    let violations = accessibility_violations(admin, &[".settings-page"]).await?;
    ensure!(violations.is_empty(), "axe-core on the Dutch settings page: {violations:#?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_agent_is_not_offered_the_settings() -> Result<()> {
    let relay = Relay::start()?;
    add_agent(&relay, "sam@demo.example", "Sam", "sam-password-1").await?;
    let mut chrome = Chrome::start()?;
    let agent = chrome.session().await?;
    let outcome = async {
        console_login_as(&agent, &relay, "sam@demo.example", "sam-password-1").await?;
        ensure!(page_texts(&agent, "[data-test=open-settings]").await?.is_empty(), "no link to the settings");
        agent.goto(&relay.url("/console#settings")).await?;
        find(&agent, ".inbox").await?;
        ensure!(page_texts(&agent, ".settings-page").await?.is_empty(), "the page is not drawn for an agent");
        Ok(())
    }
    .await;
    let _ = agent.close().await;
    outcome
}

#[tokio::test(flavor = "multi_thread")]
async fn the_install_page_gives_the_snippet_and_says_where_the_widget_was_seen() -> Result<()> {
    let relay = Relay::start()?;
    let tag = format!(r#"<script src="{}" data-shop="demo" async></script>"#, relay.url("/widget.js"));
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Shop</title></head><body><h1>Shop</h1>{tag}</body></html>"
    );
    let site = ShopSite::serve(vec![Page::html("/", page)])?;
    let mut chrome = Chrome::start()?;
    let admin = chrome.session().await?;
    let shopper = chrome.session().await?;
    let outcome = async {
        console_login(&admin, &relay).await?;
        find(&admin, "[data-test=open-settings]").await?.click().await?;
        find(&admin, "[data-test=open-install]").await?.click().await?;
        wait_for_text(&admin, false, "[data-test=install-snippet]", &tag).await?;
        wait_for_text(
            &admin,
            false,
            "[data-test=install-seen] li",
            "Not seen yet: open a page of your shop with the snippet, then come back here.",
        )
        .await?;
        let violations = accessibility_violations(&admin, &[".install-page"]).await?;
        ensure!(violations.is_empty(), "axe-core on the install page: {violations:#?}");

        // A shop page with the snippet: its watcher reaches the relay from the shop's origin.
        shopper.goto(&site.url("/")).await?;
        in_widget(&shopper, ".cc-launcher").await?;
        let origin = site.url("/").trim_end_matches('/').to_owned();
        eventually("the install page says where the chat was seen", || async {
            admin.refresh().await?;
            find(&admin, ".install-page").await?;
            let seen = page_texts(&admin, "[data-test=install-seen] li").await?;
            Ok(seen.iter().any(|line| line.starts_with(&format!("Seen on {origin} · "))).then_some(()))
        })
        .await?;
        save_screenshot(&admin, "console-install.png").await?;
        Ok(())
    }
    .await;
    if outcome.is_err() {
        let _ = save_screenshot(&admin, "install-failure.png").await;
    }
    for session in [admin, shopper] {
        let _ = session.close().await;
    }
    outcome
}
