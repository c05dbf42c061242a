//! The shopper's widget as axe-core judges it (WCAG 2.1 A and AA), in all four of its languages
//! (English, Dutch, Arabic, Persian), in headless Chromium on the release build against the real
//! relay: closed (the launcher), open with nobody online (the leave-a-message form), and open in a
//! chat with a sent message. In every language, Arabic and Persian included, the digits the
//! widget writes are all of one system, the one the browser writes numbers in for the language. Screenshots of the open chat in each language are saved.

use anyhow::{Result, ensure};
use checkout_chat_e2e::{
    AgentOnline, Chrome, Page, Relay, ShopSite, accessibility_violations, click_in_widget, in_widget, js,
    save_screenshot, wait_for_text,
};
use fantoccini::Client;
use serde_json::Value;

const LANGUAGES: [&str; 4] = ["en", "nl", "ar", "fa"];
/// A question with no digits: the digits the test reads are the widget's own.
const ASKS: &str = "Hello, is the grinder in stock?";

#[tokio::test(flavor = "multi_thread")]
async fn the_widget_passes_axe_closed_and_open_in_all_four_languages() -> Result<()> {
    let relay = Relay::start()?;
    let mut pages: Vec<Page> = LANGUAGES
        .iter()
        .map(|lang| {
            let body = format!(
                r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Shop ({lang})</title></head>
                <body><main><h1>Shop</h1></main><script src="{}" data-shop="demo" async></script></body></html>"#,
                relay.url("/widget.js")
            );
            Page::html(path(lang), body)
        })
        .collect();
    // The same origin with no widget on it, where storage is cleared with nothing running that
    // could write it again.
    pages.push(Page::html("/blank", String::from("<!doctype html><html lang=\"en\"><title>Blank</title></html>")));
    let site = ShopSite::serve(pages)?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let outcome = audit_all(&relay, &site, &shopper).await;
    if outcome.is_err() {
        let _ = save_screenshot(&shopper, "widget-axe-failure.png").await;
    }
    let _ = shopper.close().await;
    outcome
}

fn path(lang: &str) -> &'static str {
    match lang {
        "nl" => "/nl",
        "ar" => "/ar",
        "fa" => "/fa",
        _ => "/en",
    }
}

async fn audit_all(relay: &Relay, site: &ShopSite, shopper: &Client) -> Result<()> {
    let mut found = Vec::new();
    // Nobody online: the open widget is the leave-a-message form.
    for lang in LANGUAGES {
        fresh_visitor(site, shopper, lang).await?;
        in_widget(shopper, ".cc-launcher").await?;
        audit(shopper, lang, "closed", &mut found).await?;
        click_in_widget(shopper, ".cc-launcher").await?;
        in_widget(shopper, "#cc-offline-email").await?;
        audit(shopper, lang, "open, nobody online", &mut found).await?;
    }
    let _agent = AgentOnline::connect(relay).await?;
    for lang in LANGUAGES {
        fresh_visitor(site, shopper, lang).await?;
        click_in_widget(shopper, ".cc-launcher").await?;
        in_widget(shopper, ".cc-input").await?.send_keys(ASKS).await?;
        click_in_widget(shopper, ".cc-send").await?;
        wait_for_text(shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", ASKS).await?;
        audit(shopper, lang, "open, in a chat", &mut found).await?;
        save_screenshot(shopper, &format!("widget-open-{lang}.png")).await?;
        same_digits(shopper, lang).await?;
    }
    ensure!(found.is_empty(), "axe-core finds WCAG 2.1 AA violations in the widget: {found:#?}");
    Ok(())
}

/// The page in this language, as a shopper the relay has never seen.
async fn fresh_visitor(site: &ShopSite, shopper: &Client, lang: &str) -> Result<()> {
    shopper.goto(&site.url("/blank")).await?;
    js::<Value>(shopper, "localStorage.clear(); sessionStorage.clear(); return null;", Value::Null).await?;
    shopper.goto(&site.url(path(lang))).await?;
    Ok(())
}

async fn audit(shopper: &Client, lang: &str, state: &str, found: &mut Vec<String>) -> Result<()> {
    // Judged as the shopper sees it once the panel has slid in: mid-animation, its colours are
    // still fading in.
    shopper
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const root = document.querySelector('[data-checkout-chat]').shadowRoot;
             Promise.all(root.getAnimations().map((a) => a.finished)).then(() => done(true), () => done(false));",
            vec![],
        )
        .await?;
    for violation in accessibility_violations(shopper, &["checkout-chat"]).await? {
        found.push(format!("{state} ({lang}): {violation}"));
    }
    Ok(())
}

/// Whether `c` is a digit of one of the systems the widget's languages write (ASCII, Arabic-Indic,
/// Persian).
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('\u{660}'..='\u{669}').contains(&c) || ('\u{6F0}'..='\u{6F9}').contains(&c)
}

/// Every digit the widget itself writes (all its text but what people wrote in the bubbles) is
/// of the one system the browser writes numbers in for this language, and there are some (the
/// message's time).
async fn same_digits(shopper: &Client, lang: &str) -> Result<()> {
    let (text, expected): (String, String) = js(
        shopper,
        "const root = document.querySelector('[data-checkout-chat]').shadowRoot;
         const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
         let text = '';
         for (let node = walker.nextNode(); node; node = walker.nextNode()) {
           if (node.parentElement && !node.parentElement.closest('.cc-bubble, style')) text += node.textContent + ' ';
         }
         return [text, new Intl.NumberFormat(arguments[0], { useGrouping: false }).format(1234567890)];",
        lang.into(),
    )
    .await?;
    let written: Vec<char> = text.chars().filter(|c| is_digit(*c)).collect();
    ensure!(!written.is_empty(), "the {lang} widget shows no digit: {text}");
    let foreign: Vec<&char> = written.iter().filter(|c| !expected.contains(**c)).collect();
    ensure!(foreign.is_empty(), "the {lang} widget mixes digits ({foreign:?} beside {expected}) in: {text}");
    Ok(())
}
