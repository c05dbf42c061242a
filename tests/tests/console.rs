//! The agents' console in headless Chromium against the real relay: one agent answers two
//! shoppers at once, keeps a half-written reply while answering the other with a canned response
//! (added in the console, expanded by typing `/shortcut`), and each shopper gets their own answer.

use anyhow::{Result, ensure};
use checkout_chat_e2e::{
    Chrome, Relay, click_in_widget, console_login, eventually, find, in_widget, js, save_screenshot, wait_for_text,
};
use fantoccini::Client;

const CANNED: &str = "Hi {{name}}! Your order ships within 2 working days.";
const EXPANDED: &str = "Hi! Your order ships within 2 working days.";
const ASKS_A: &str = "Do you have the grinder in black?";
const ASKS_B: &str = "When will my order ship?";
const DRAFT_A: &str = "Yes, we do: it is";

#[tokio::test(flavor = "multi_thread")]
async fn one_agent_answers_two_shoppers_at_once_with_a_canned_response() -> Result<()> {
    let relay = Relay::start()?;
    let mut chrome = Chrome::start()?;
    let agent = chrome.session().await?;
    let (a, b) = (chrome.session().await?, chrome.session().await?);
    let outcome = two_chats(&relay, &agent, &a, &b).await;
    if outcome.is_err() {
        let _ = save_screenshot(&agent, "console-two-chats-failure.png").await;
    } else {
        save_screenshot(&agent, "console-two-chats.png").await?;
    }
    for session in [agent, a, b] {
        let _ = session.close().await;
    }
    outcome
}

async fn two_chats(relay: &Relay, agent: &Client, a: &Client, b: &Client) -> Result<()> {
    // The admin adds a canned response in the console.
    console_login(agent, relay).await?;
    find(agent, "[data-test=open-canned]").await?.click().await?;
    find(agent, "#canned-shortcut").await?.send_keys("shipping").await?;
    find(agent, "#canned-text").await?.send_keys(CANNED).await?;
    find(agent, "[data-test=canned-form] button[type=submit]").await?.click().await?;
    wait_for_text(agent, false, ".canned-list code", "/shipping").await?;
    find(agent, "[data-test=open-inbox]").await?.click().await?;

    // Two shoppers write; routing gives both to the agent, who is online.
    for (shopper, question) in [(a, ASKS_A), (b, ASKS_B)] {
        shopper.goto(&relay.url("/")).await?;
        click_in_widget(shopper, ".cc-launcher").await?;
        in_widget(shopper, ".cc-input").await?.send_keys(question).await?;
        click_in_widget(shopper, ".cc-send").await?;
        wait_for_text(shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", question).await?;
        wait_for_text(shopper, true, ".cc-notice", "Anna de Vries joined the chat").await?;
    }
    wait_for_text(agent, false, "[data-test=tab-mine] .tab-count", "2").await?;
    // Each row tells of one unanswered message.
    let unread: Vec<String> = checkout_chat_e2e::page_texts(agent, "[data-test=unread]").await?;
    ensure!(unread == ["1", "1"], "unread counts: {unread:?}");

    // A half-written reply to A...
    open_row(agent, ASKS_A).await?;
    wait_for_text(agent, false, ".message .bubble", ASKS_A).await?;
    find(agent, ".reply").await?.send_keys(DRAFT_A).await?;
    // ...while B gets the canned response, expanded as it is typed.
    open_row(agent, ASKS_B).await?;
    wait_for_text(agent, false, ".message .bubble", ASKS_B).await?;
    ensure!(reply_box(agent).await?.is_empty(), "B's reply box starts empty");
    find(agent, ".reply").await?.send_keys("/ship").await?;
    wait_for_text(agent, false, "[data-test=canned-suggestions] strong", "/shipping").await?;
    find(agent, ".reply").await?.send_keys("ping ").await?;
    eventually("the shortcut expands", || async { Ok((reply_box(agent).await? == EXPANDED).then_some(())) }).await?;
    find(agent, ".composer button[type=submit]").await?.click().await?;
    wait_for_text(agent, false, ".message.mine:not(.pending) .bubble", EXPANDED).await?;

    // Back to A: the draft is still there; finished and sent.
    open_row(agent, ASKS_A).await?;
    ensure!(reply_box(agent).await? == DRAFT_A, "A's draft survived switching conversations");
    find(agent, ".reply").await?.send_keys(" in stock.").await?;
    find(agent, ".composer button[type=submit]").await?.click().await?;

    // Each shopper gets their own answer, and only theirs.
    wait_for_text(b, true, ".cc-theirs .cc-bubble", EXPANDED).await?;
    wait_for_text(a, true, ".cc-theirs .cc-bubble", "Yes, we do: it is in stock.").await?;
    let seen_by_a = checkout_chat_e2e::widget_texts(a, ".cc-bubble").await?;
    ensure!(!seen_by_a.iter().any(|t| t.contains(EXPANDED)), "A saw B's answer: {seen_by_a:?}");
    // Answered: no row counts unanswered messages any more.
    eventually("the unread counts clear", || async {
        Ok(checkout_chat_e2e::page_texts(agent, "[data-test=unread]").await?.is_empty().then_some(()))
    })
    .await?;
    Ok(())
}

/// Clicks the inbox row whose last message contains `text`.
async fn open_row(agent: &Client, text: &str) -> Result<()> {
    eventually(&format!("the row of {text:?}"), || async {
        let clicked: bool = js(
            agent,
            "const row = [...document.querySelectorAll('.row')].find((r) => r.textContent.includes(arguments[0]));
             if (row) { row.click(); }
             return !!row;",
            serde_json::json!(text),
        )
        .await?;
        Ok(clicked.then_some(()))
    })
    .await
}

async fn reply_box(agent: &Client) -> Result<String> {
    js(agent, "return document.querySelector('.reply').value;", serde_json::Value::Null).await
}
