//! End to end, in headless Chromium against the release build served by the real relay: a shopper
//! and an agent talk, and the shopper's conversation survives a reload and a page change.

use anyhow::{Result, ensure};
use checkout_chat_e2e::{
    Chrome, Relay, click_in_widget, console_login, eventually, find, in_widget, save_screenshot, wait_for_text,
    widget_texts,
};
use fantoccini::Client;

const QUESTION: &str = "Hi! Can I still change the delivery address of my order NH-204118?";
const NOTE: &str = "Ordered twice before; offer free shipping if needed";
const REPLY: &str = "Of course! Which address should we ship it to? Track it at https://track.example/NH-204118";

#[tokio::test(flavor = "multi_thread")]
async fn shopper_and_agent_talk_and_the_history_survives_reload_and_navigation() -> Result<()> {
    // Mail is configured (to a loopback port where nothing listens: the email waits in the
    // outbox), so the widget offers the conversation by email.
    let relay = Relay::start_with_config(
        "[smtp]\nhost = \"127.0.0.1\"\nport = 9\nfrom = \"Nordhavn Coffee <support@shop.example>\"\ntls = \"none\"\n",
    )?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let agent = chrome.session().await?;
    // The agent is online first, so the shopper gets the chat (not the leave-a-message form).
    console_login(&agent, &relay).await?;
    let outcome = talk(&relay, &shopper, &agent).await;
    // Screenshots of both sides whatever happened: they show a failure, or the product.
    save_screenshot(&shopper, "shopper.png").await?;
    save_screenshot(&agent, "agent.png").await?;
    let outcome = match outcome {
        Ok(()) => history_survives(&relay, &shopper).await,
        failed => failed,
    };
    let outcome = match outcome {
        Ok(()) => after_the_first_reply(&shopper, &agent).await,
        failed => failed,
    };
    if outcome.is_err() {
        let _ = save_screenshot(&shopper, "shopper-failure.png").await;
        let _ = save_screenshot(&agent, "agent-failure.png").await;
    }
    let _ = shopper.close().await;
    let _ = agent.close().await;
    outcome
}

async fn talk(relay: &Relay, shopper: &Client, agent: &Client) -> Result<()> {
    // The shopper opens the widget on the demo shop and writes.
    shopper.goto(&relay.url("/")).await?;
    click_in_widget(shopper, ".cc-launcher").await?;
    in_widget(shopper, ".cc-input").await?.send_keys(QUESTION).await?;
    click_in_widget(shopper, ".cc-send").await?;
    // Stored by the relay: no longer shown as pending.
    wait_for_text(shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", QUESTION).await?;

    // The agent sees the waiting conversation, opens it, replies.
    wait_for_text(agent, false, ".row .preview", QUESTION).await?;
    find(agent, ".row").await?.click().await?;
    wait_for_text(agent, false, ".message .bubble", QUESTION).await?;
    // First an internal note for the other agents, then the reply.
    find(agent, ".note-toggle input").await?.click().await?;
    find(agent, ".reply").await?.send_keys(NOTE).await?;
    find(agent, ".composer button[type=submit]").await?.click().await?;
    wait_for_text(agent, false, ".message.note .bubble", NOTE).await?;
    find(agent, ".note-toggle input").await?.click().await?;
    find(agent, ".reply").await?.send_keys(REPLY).await?;
    find(agent, ".composer button[type=submit]").await?.click().await?;
    wait_for_text(agent, false, ".message.mine:not(.pending) .bubble", REPLY).await?;

    // The reply appears live in the widget, with the agent's name, and its link is a safe link.
    wait_for_text(shopper, true, ".cc-theirs .cc-bubble", REPLY).await?;
    wait_for_text(shopper, true, ".cc-theirs .cc-author", "Anna de Vries").await?;
    wait_for_text(shopper, true, ".cc-notice", "Anna de Vries joined the chat").await?;
    let link = in_widget(shopper, ".cc-theirs .cc-bubble a").await?;
    ensure!(link.attr("href").await?.as_deref() == Some("https://track.example/NH-204118"), "the link's target");
    ensure!(link.attr("rel").await?.as_deref() == Some("noopener noreferrer"), "links open without opener");
    ensure!(link.attr("target").await?.as_deref() == Some("_blank"), "links open in a new tab");
    let shown = widget_texts(shopper, ".cc-log").await?;
    ensure!(!shown.iter().any(|t| t.contains(NOTE)), "the shopper saw the internal note: {shown:?}");
    Ok(())
}

async fn history_survives(relay: &Relay, shopper: &Client) -> Result<()> {
    shopper.refresh().await?;
    expect_history_once(shopper).await?;
    save_screenshot(shopper, "shopper-after-reload.png").await?;
    // Another page of the shop: the same conversation follows the shopper.
    shopper.goto(&relay.url("/cart.html")).await?;
    expect_history_once(shopper).await
}

/// Typing both ways, a reply while the chat is closed, the transcript (download and email), and
/// the agent ending the chat with the shopper's rating.
async fn after_the_first_reply(shopper: &Client, agent: &Client) -> Result<()> {
    // Each side sees the other typing.
    find(agent, ".reply").await?.send_keys("Let me check").await?;
    wait_for_text(shopper, true, ".cc-typing", "Anna de Vries is typing…").await?;
    in_widget(shopper, ".cc-input").await?.send_keys("Thanks").await?;
    wait_for_text(agent, false, ".typing", "The shopper is typing…").await?;
    find(agent, ".composer button[type=submit]").await?.click().await?;
    click_in_widget(shopper, ".cc-send").await?;
    wait_for_text(shopper, true, ".cc-theirs .cc-bubble", "Let me check").await?;

    // A reply while the chat is closed: a badge on the launcher and a count in the tab title,
    // until the shopper looks.
    click_in_widget(shopper, ".cc-launcher").await?;
    find(agent, ".reply").await?.send_keys("It ships tomorrow.").await?;
    find(agent, ".composer button[type=submit]").await?.click().await?;
    wait_for_text(shopper, true, ".cc-badge", "1").await?;
    let title = shopper.title().await?;
    ensure!(title.starts_with("(1) New message – "), "the tab title tells of the reply: {title}");
    click_in_widget(shopper, ".cc-launcher").await?;
    eventually("the page's own title comes back", || async {
        Ok((!shopper.title().await?.starts_with('(')).then_some(()))
    })
    .await?;

    // The transcript, downloaded as a text file named after the shop and the day, every line dated.
    let (name, text, today) = download_transcript(shopper).await?;
    ensure!(name == format!("nordhavn-coffee-{today}.txt"), "the file's name: {name}");
    ensure!(text.contains(QUESTION) && text.contains("Anna de Vries: It ships tomorrow."), "the transcript: {text}");
    ensure!(
        text.lines().filter(|l| l.starts_with('[')).all(|l| l.starts_with("[Today ")),
        "every line of the transcript says its day: {text}"
    );

    // ...and by email.
    click_in_widget(shopper, ".cc-menu summary").await?;
    in_widget(shopper, "#cc-transcript-email").await?.send_keys("sara@example.com").await?;
    click_in_widget(shopper, ".cc-inline-form .cc-button").await?;
    wait_for_text(shopper, true, ".cc-notice", "We'll email this conversation to sara@example.com.").await?;

    // The agent ends the chat; the shopper rates it; the agent sees the rating.
    // Ending asks first.
    find(agent, ".end-chat").await?.click().await?;
    find(agent, "[data-test=end-confirm]").await?;
    find(agent, "[data-test=end-confirmed]").await?.click().await?;
    wait_for_text(shopper, true, ".cc-notice", "This chat has ended.").await?;
    click_in_widget(shopper, "label[for=cc-star-4]").await?;
    in_widget(shopper, "#cc-comment").await?.send_keys("Quick and kind").await?;
    click_in_widget(shopper, ".cc-log .cc-rating-card .cc-button").await?;
    wait_for_text(shopper, true, ".cc-notice", "Thanks for your feedback!").await?;
    eventually("the rating card goes once rated", || async {
        Ok(widget_texts(shopper, ".cc-rating-card").await?.is_empty().then_some(()))
    })
    .await?;
    let (_, text, _) = download_transcript(shopper).await?;
    ensure!(text.contains("You: ★★★★ – Quick and kind"), "the transcript has the rating and its comment: {text}");
    eventually("the console shows the rating", || async {
        let notes = checkout_chat_e2e::page_texts(agent, ".notice.rating").await?;
        Ok(notes.iter().any(|n| n.contains("(4/5)") && n.contains("Quick and kind")).then_some(()))
    })
    .await?;
    save_screenshot(shopper, "shopper-rated.png").await?;

    // The composer stayed: writing again reopens the same conversation, history and all, and
    // its agent (online, with room) is back at once.
    in_widget(shopper, ".cc-input").await?.send_keys(AFTER_THE_END).await?;
    click_in_widget(shopper, ".cc-send").await?;
    wait_for_text(shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", AFTER_THE_END).await?;
    let bubbles = widget_texts(shopper, ".cc-bubble").await?;
    ensure!(bubbles.iter().any(|b| b.trim() == QUESTION), "the reopened chat keeps its history: {bubbles:?}");
    wait_for_text(agent, false, ".messages .notice", "The shopper wrote again: the chat is open again").await?;
    wait_for_text(agent, false, ".message .bubble", AFTER_THE_END).await?;
    ensure!(
        checkout_chat_e2e::page_texts(agent, ".message .bubble").await?.iter().any(|b| b.trim() == QUESTION),
        "the agent sees the same conversation, not a new one"
    );
    find(agent, ".reply").await?.send_keys("Happy to help again.").await?;
    find(agent, ".composer button[type=submit]").await?.click().await?;
    wait_for_text(shopper, true, ".cc-theirs .cc-bubble", "Happy to help again.").await?;
    Ok(())
}

const AFTER_THE_END: &str = "Sorry, one more thing: can you gift-wrap it?";

/// Opens the widget and checks that the question and the reply are each shown exactly once.
async fn expect_history_once(shopper: &Client) -> Result<()> {
    click_in_widget(shopper, ".cc-launcher").await?;
    wait_for_text(shopper, true, ".cc-theirs .cc-bubble", REPLY).await?;
    let bubbles = widget_texts(shopper, ".cc-bubble").await?;
    let count = |text: &str| bubbles.iter().filter(|b| b.trim() == text).count();
    ensure!(count(QUESTION) == 1 && count(REPLY) == 1, "each message must appear once, got {bubbles:?}");
    Ok(())
}

/// Downloads the transcript from the widget's menu: its file name, its text, and the browser's
/// date (YYYY-MM-DD) as the name should carry it.
async fn download_transcript(shopper: &Client) -> Result<(String, String, String)> {
    let download: serde_json::Value = shopper
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const click = HTMLAnchorElement.prototype.click;
             HTMLAnchorElement.prototype.click = function () {
               HTMLAnchorElement.prototype.click = click;
               const name = this.download;
               fetch(this.href).then((r) => r.text()).then((text) => done({ name, text, today: new Date().toLocaleDateString('sv') }));
             };
             document.querySelector('[data-checkout-chat]').shadowRoot.querySelector('.cc-menu-item').click();",
            vec![],
        )
        .await?;
    let field = |key: &str| download[key].as_str().unwrap_or_default().to_owned();
    Ok((field("name"), field("text"), field("today")))
}
