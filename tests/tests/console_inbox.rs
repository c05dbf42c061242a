//! The console's inbox, paged, in headless Chromium against the release relay: a shop with more
//! waiting chats than a page shows the first page with the count from storage, and the agent
//! loads the rest with "Show more" (by keyboard and by mouse); a chat arriving live moves the
//! counts and is listed where it belongs. Each row and thread says whether the shopper is still
//! there, and the chat of a shopper who left unanswered closes by itself as missed.
//!
//! The shoppers are WebSocket clients speaking the visitor protocol (the frames the widget
//! sends): 120 widgets in browsers would make this test about Chromium, not the inbox.

use anyhow::{Result, ensure};
use checkout_chat_e2e::{
    Relay, console_login, eventually, find, js, page_texts, press, save_screenshot, shopper_writes_and_leaves,
};
use checkout_chat_protocol::limits::INBOX_PAGE;
use fantoccini::Client;
use serde_json::Value;

/// More than two pages, so that the last page is a part one.
const SHOPPERS: usize = 2 * INBOX_PAGE + 20;

fn question(n: usize) -> String {
    format!("Question {n:03}: does the grinder come in black?")
}

async fn rows(agent: &Client) -> Result<usize> {
    Ok(page_texts(agent, ".inbox .row").await?.len())
}

async fn rows_become(agent: &Client, count: usize) -> Result<()> {
    eventually(&format!("{count} rows"), || async { Ok((rows(agent).await? == count).then_some(())) }).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flooded_inbox_shows_a_page_and_the_agent_loads_more() -> Result<()> {
    // Every shopper here comes from this one machine, within seconds: far over the relay's
    // per-address quota of new conversations, which is not what this test is about.
    let relay = Relay::start_with_config("new_chats_per_minute_per_ip = 1000\n")?;
    for n in 0..SHOPPERS {
        shopper_writes_and_leaves(&relay, &question(n)).await?;
    }
    let mut chrome = checkout_chat_e2e::Chrome::start()?;
    let agent = chrome.session().await?;
    let outcome = pages(&relay, &agent).await;
    if outcome.is_err() {
        let _ = save_screenshot(&agent, "console-inbox-pages-failure.png").await;
    } else {
        save_screenshot(&agent, "console-inbox-pages.png").await?;
    }
    let _ = agent.close().await;
    outcome
}

async fn pages(relay: &Relay, agent: &Client) -> Result<()> {
    console_login(agent, relay).await?;
    find(agent, "[data-test=tab-waiting]").await?.click().await?;
    // The count is the relay's (from storage), not the rows the console holds.
    let waiting = SHOPPERS.to_string();
    checkout_chat_e2e::wait_for_text(agent, false, "[data-test=tab-waiting] .tab-count", &waiting).await?;
    rows_become(agent, INBOX_PAGE).await?;
    let first = page_texts(agent, ".inbox .row .preview").await?;
    ensure!(first.first() == Some(&question(0)), "the longest waiting comes first: {:?}", first.first());

    // A real button with its name, reached and pressed by keyboard.
    let button: (String, String) = js(
        agent,
        "const b = document.querySelector('[data-test=show-more]');
         b.focus();
         return [b.tagName + '/' + b.type, b.textContent.trim()];",
        Value::Null,
    )
    .await?;
    ensure!(button == ("BUTTON/button".to_owned(), "Show more".to_owned()), "the button: {button:?}");
    press(agent, '\u{E007}').await?; // Enter
    rows_become(agent, 2 * INBOX_PAGE).await?;
    find(agent, "[data-test=show-more]:not([disabled])").await?.click().await?;
    rows_become(agent, SHOPPERS).await?;
    // Every chat once (two that began within the same millisecond may swap: the id decides).
    let mut all = page_texts(agent, ".inbox .row .preview").await?;
    all.sort();
    let expected: Vec<String> = (0..SHOPPERS).map(question).collect();
    ensure!(all == expected, "every chat once: {all:?}");
    eventually("the button goes once the tab is whole", || async {
        Ok(agent.find(fantoccini::Locator::Css("[data-test=show-more]")).await.is_err().then_some(()))
    })
    .await?;

    // A chat arriving now goes to the agent, who is online with room: the counts move with it
    // (Open from storage, Mine as the agent's load), and it is in their Mine tab.
    shopper_writes_and_leaves(relay, &question(SHOPPERS)).await?;
    let open = (SHOPPERS + 1).to_string();
    checkout_chat_e2e::wait_for_text(agent, false, "[data-test=tab-all] .tab-count", &open).await?;
    checkout_chat_e2e::wait_for_text(agent, false, "[data-test=tab-mine] .tab-count", "1").await?;
    checkout_chat_e2e::wait_for_text(agent, false, "[data-test=tab-waiting] .tab-count", &waiting).await?;
    find(agent, "[data-test=tab-mine]").await?.click().await?;
    checkout_chat_e2e::wait_for_text(agent, false, ".inbox .row .preview", &question(SHOPPERS)).await?;
    // All open is a page again (its rows up to where it was loaded), with more to show.
    find(agent, "[data-test=tab-all]").await?.click().await?;
    rows_become(agent, INBOX_PAGE).await?;
    find(agent, "[data-test=show-more]").await?;
    Ok(())
}

const STAYS: &str = "I'm still here, comparing grinders";
const GONE: &str = "Do you deliver on Saturdays?";

/// Who is still there, and the chat of a shopper who left closing by itself as missed.
#[tokio::test(flavor = "multi_thread")]
async fn the_inbox_shows_who_left_and_their_chat_closes_as_missed() -> Result<()> {
    // Nine seconds after the shopper left instead of thirty minutes.
    let relay = Relay::start_with_config("auto_close_after_minutes = 0.15\n")?;
    let mut chrome = checkout_chat_e2e::Chrome::start()?;
    let agent = chrome.session().await?;
    let outcome = departures(&relay, &agent).await;
    if outcome.is_err() {
        let _ = save_screenshot(&agent, "console-presence-failure.png").await;
    } else {
        save_screenshot(&agent, "console-presence.png").await?;
    }
    let _ = agent.close().await;
    outcome
}

async fn departures(relay: &Relay, agent: &Client) -> Result<()> {
    console_login(agent, relay).await?;
    let mut stays =
        checkout_chat_e2e::visitor_socket(relay, serde_json::json!({"type": "hello", "shop": "demo"})).await?;
    checkout_chat_e2e::send_frame(&mut stays, serde_json::json!({"type": "send", "client_id": "m1", "text": STAYS}))
        .await?;
    checkout_chat_e2e::until(&mut stays, "ack").await?;
    shopper_writes_and_leaves(relay, GONE).await?;

    // Routing gave the agent both: one shopper online, the other gone.
    find(agent, "[data-test=tab-all]").await?.click().await?;
    eventually("one shopper shows as here and one as gone", || async {
        let mut presence = page_texts(agent, "[data-test=shopper-presence]").await?;
        presence.sort();
        Ok((presence.len() == 2 && presence[0].starts_with("Left ") && presence[1] == "Online now").then_some(()))
    })
    .await?;

    // Gone longer than the limit with the question unanswered: closed as missed.
    find(agent, "[data-test=tab-closed]").await?.click().await?;
    eventually("the missed chat is among the closed ones", || async {
        Ok(page_texts(agent, ".inbox .row .badge").await?.iter().any(|b| b == "Missed").then_some(()))
    })
    .await?;
    find(agent, ".inbox .row").await?.click().await?;
    checkout_chat_e2e::wait_for_text(
        agent,
        false,
        ".messages .notice",
        "Missed: the shopper left with a message unanswered",
    )
    .await?;
    // The shopper who stayed is still in the open chats, online.
    find(agent, "[data-test=tab-all]").await?.click().await?;
    eventually("the shopper who stayed is still open", || async {
        Ok((page_texts(agent, "[data-test=shopper-presence]").await? == ["Online now"]).then_some(()))
    })
    .await?;
    stays.close(None).await?;
    Ok(())
}
