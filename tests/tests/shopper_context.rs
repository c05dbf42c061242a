//! The agent's view of what the shopper does, in headless Chromium on the release console against
//! the real relay: a shopper's cart, checkout step and the prompt they answered are beside the
//! conversation and follow live; the report page counts the prompt and the order.
//!
//! The shopper is played by a WebSocket client speaking the visitor protocol (the frames the
//! widget sends), so this test is about the relay and the console.

use anyhow::{Context, Result};
use checkout_chat_e2e::{
    Relay, VisitorSocket, console_login, eventually, find, page_texts, save_screenshot, send_frame, until,
    visitor_socket,
};
use fantoccini::Client;
use serde_json::{Value, json};

/// A shopper's socket after `hello`.
async fn shopper(relay: &Relay) -> Result<VisitorSocket> {
    visitor_socket(relay, json!({"type": "hello", "shop": "demo", "session_id": "e2e-session"})).await
}

async fn activity(socket: &mut VisitorSocket, batch: &str, bodies: Value) -> Result<()> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
    let events: Vec<Value> =
        bodies.as_array().context("bodies")?.iter().map(|body| json!({"at_ms": now, "body": body})).collect();
    send_frame(socket, json!({"type": "activity", "batch_id": batch, "events": events})).await?;
    until(socket, "activity_ack").await?;
    Ok(())
}

fn cart(total: i64, qty: u32) -> Value {
    json!({"kind": "cart", "currency": "EUR", "total": total,
        "items": [{"sku": "beans-house", "name": "House blend 1 kg", "qty": qty, "price": total / i64::from(qty)}]})
}

/// Waits until an element matching `css` contains `text`.
async fn shows(client: &Client, css: &str, text: &str) -> Result<()> {
    eventually(&format!("{css} contains {text:?}"), || async {
        Ok(page_texts(client, css).await?.iter().any(|t| t.contains(text)).then_some(()))
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_sees_the_cart_the_step_and_the_prompt_live_and_the_report_counts_the_order() -> Result<()> {
    let relay = Relay::start()?;
    let mut chrome = checkout_chat_e2e::Chrome::start()?;
    let agent = chrome.session().await?;
    console_login(&agent, &relay).await?;
    let outcome = follow_a_shopper(&relay, &agent).await;
    if outcome.is_err() {
        let _ = save_screenshot(&agent, "shopper-context-failure.png").await;
    } else {
        save_screenshot(&agent, "agent-shopper-context.png").await?;
    }
    let outcome = match outcome {
        Ok(()) => report_counts_it(&agent).await,
        failed => failed,
    };
    let _ = agent.close().await;
    outcome
}

async fn follow_a_shopper(relay: &Relay, agent: &Client) -> Result<()> {
    let mut shopper = shopper(relay).await?;
    activity(
        &mut shopper,
        "b1",
        json!([{"kind": "page_view", "path": "/shop/checkout.html", "title": "Payment · Checkout", "referrer": ""},
               cart(5490, 2),
               {"kind": "checkout_step", "step": "payment"},
               {"kind": "prompt_shown", "rule_id": "payment-help"}]),
    )
    .await?;
    let question = "Which payment methods can I use?";
    send_frame(&mut shopper, json!({"type": "send", "client_id": "m1", "text": question, "prompt": "payment-help"}))
        .await?;
    until(&mut shopper, "ack").await?;
    activity(&mut shopper, "b2", json!([{"kind": "prompt_accepted", "rule_id": "payment-help"}])).await?;

    shows(agent, ".row .preview", question).await?;
    find(agent, ".row").await?.click().await?;
    shows(agent, "[data-test=prompt-rule]", "payment-help").await?;
    shows(agent, "[data-test=checkout-step]", "payment").await?;
    shows(agent, "[data-test=cart-total]", "54.90").await?;

    // Live: the shopper changes the cart, then completes the order.
    activity(&mut shopper, "b3", json!([cart(8235, 3)])).await?;
    shows(agent, "[data-test=cart-total]", "82.35").await?;
    activity(
        &mut shopper,
        "b4",
        json!([{"kind": "order_completed", "order_id": "NH-000042", "total": 8235, "currency": "EUR"}]),
    )
    .await?;
    shows(agent, ".cc-shopper", "NH-000042").await?;
    Ok(())
}

/// Waits until an element matching `css` reads exactly `text`.
async fn reads(client: &Client, css: &str, text: &str) -> Result<()> {
    eventually(&format!("{css} reads {text:?}"), || async {
        Ok(page_texts(client, css).await?.iter().any(|t| t.trim() == text).then_some(()))
    })
    .await
}

async fn report_counts_it(agent: &Client) -> Result<()> {
    find(agent, "[data-test=open-report]").await?.click().await?;
    find(agent, "[data-test=show-report]").await?.click().await?;
    let cell = |col: &str| format!("#report tr[data-rule=payment-help] [data-col={col}]");
    reads(agent, &cell("shown"), "1").await?;
    reads(agent, &cell("accepted"), "100.0 % (1 of 1)").await?;
    reads(agent, &cell("dismissed"), "0.0 % (0 of 1)").await?;
    reads(agent, &cell("chats"), "1").await?;
    reads(agent, &cell("orders-accepted"), "100.0 % (1 of 1)").await?;
    Ok(())
}
