//! The rules editor in headless Chromium against the real relay: an admin writes a rule whose
//! path the relay refuses (shown under that condition), corrects it, and saves; the simulator
//! says the new rule fires and why the demo's payment rule does not; a shopper whose page was
//! open before the rule existed gets its prompt when the page fires the rule's event, without a
//! reload. axe-core finds no WCAG 2.1 AA violation on the page, the form open.

use anyhow::{Result, ensure};
use checkout_chat_e2e::{
    Chrome, Relay, accessibility_violations, console_login, eventually, find, in_widget, js, page_texts,
    save_screenshot, set_field, wait_for_text, widget_texts,
};
use fantoccini::Client;

const MESSAGE: &str = "Wrapping it as a gift? Ask us how.";
const EVENT: &str = "gift_wrap_question";

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_written_in_the_editor_fires_in_the_simulator_and_on_an_open_shop_page() -> Result<()> {
    let relay = Relay::start()?;
    let mut chrome = Chrome::start()?;
    let admin = chrome.session().await?;
    let shopper = chrome.session().await?;
    let outcome = write_a_rule(&relay, &admin, &shopper).await;
    if outcome.is_err() {
        let _ = save_screenshot(&admin, "rules-editor-failure.png").await;
        let _ = save_screenshot(&shopper, "rules-shopper-failure.png").await;
    }
    for session in [admin, shopper] {
        let _ = session.close().await;
    }
    outcome
}

async fn verdict(admin: &Client, rule: &str) -> Result<String> {
    let lines = page_texts(admin, "[data-test=simulator-verdicts] li").await?;
    Ok(lines.into_iter().find(|line| line.starts_with(rule)).unwrap_or_default())
}

async fn write_a_rule(relay: &Relay, admin: &Client, shopper: &Client) -> Result<()> {
    // The shopper's page is open before the rule exists (and its watcher has the demo's rules).
    shopper.goto(&relay.url("/")).await?;
    in_widget(shopper, ".cc-launcher").await?;

    // The admin's console is online, so rules that offer help may speak.
    console_login(admin, relay).await?;
    find(admin, "[data-test=open-settings]").await?.click().await?;
    find(admin, "[data-test=open-rules]").await?.click().await?;
    wait_for_text(admin, false, ".rules-page h1", "Proactive rules").await?;
    eventually("the demo's three rules are listed", || async {
        Ok((page_texts(admin, "[data-test=rules-list] tbody tr").await?.len() == 3).then_some(()))
    })
    .await?;

    find(admin, "[data-test=rule-new]").await?.click().await?;
    find(admin, "[data-test=rule-form]").await?;
    set_field(admin, "#rule-id", "gift-wrap").await?;
    set_field(admin, "#rule-message", MESSAGE).await?;
    // The new rule's first condition: a path written without its slash, which the relay refuses.
    set_field(admin, "#rule-condition-0-kind", "path").await?;
    set_field(admin, "#rule-condition-0-value", "checkout").await?;
    set_field(admin, "#rule-condition-1-kind", "event").await?;
    set_field(admin, "#rule-condition-1-value", EVENT).await?;
    find(admin, "[data-test=rule-save]").await?.click().await?;
    wait_for_text(admin, false, "#rule-condition-0-error", "a path glob must start with \"/\"").await?;
    let invalid: Vec<String> = js(
        admin,
        "return [...document.querySelectorAll('[aria-invalid=true]')].map(e => e.id);",
        serde_json::json!(null),
    )
    .await?;
    ensure!(invalid == ["rule-condition-0-value"], "marked invalid: {invalid:?}");
    let violations = accessibility_violations(admin, &[".rules-page"]).await?;
    ensure!(violations.is_empty(), "axe-core on the rules page with the form open: {violations:#?}");
    let preview = page_texts(admin, "[data-test=rule-preview] p").await?;
    ensure!(preview.iter().any(|p| p == MESSAGE), "the preview shows the message: {preview:?}");

    // Corrected: any page, so only the event decides.
    set_field(admin, "#rule-condition-0-value", "/**").await?;
    find(admin, "[data-test=rule-save]").await?.click().await?;
    wait_for_text(admin, false, "[data-test=rules-outcome]", "Saved. Open shop pages have the new rules now.").await?;
    eventually("the new rule is listed", || async {
        Ok(page_texts(admin, "[data-test=rules-list] code").await?.iter().any(|c| c == "gift-wrap").then_some(()))
    })
    .await?;

    // The simulator: off the checkout, with the event fired, the new rule fires; the demo's
    // payment rule says why not.
    set_field(admin, "#sim-step", "").await?;
    set_field(admin, "#sim-event", EVENT).await?;
    eventually("the simulator says the new rule fires", || async {
        Ok(verdict(admin, "gift-wrap").await?.contains("fires and shows").then_some(()))
    })
    .await?;
    let payment = verdict(admin, "payment-help").await?;
    ensure!(payment.contains("does not fire: Checkout step is: payment"), "payment-help: {payment}");
    save_screenshot(admin, "console-rules.png").await?;

    // The open shop page got the rule without a reload: its event brings the prompt.
    let _: () = js(shopper, "window.checkoutChat.push(['event', arguments[0]]);", serde_json::json!(EVENT)).await?;
    eventually("the shopper gets the new rule's prompt", || async {
        Ok(widget_texts(shopper, ".cc-prompt-open").await?.iter().any(|t| t == MESSAGE).then_some(()))
    })
    .await?;
    Ok(())
}
