//! Proactive prompts end to end, in headless Chromium on the release build of the demo shop
//! against the real relay, with short timings from a test configuration: dwelling on the payment
//! step brings the prompt; dismissed, it does not come back after navigating; answered, the agent
//! sees the conversation with the cart and the rule, and the order that follows is counted by
//! `relay report`; a page that only pushes GA4 events to `dataLayer` gives the agent the same cart.
//! With nobody online, the rules that offer help stay quiet and the shop's offline text speaks.

use anyhow::{Result, ensure};
use checkout_chat_e2e::{
    AgentOnline, Chrome, Page, Relay, ShopSite, click_in_widget, console_login, eventually, find, in_widget, js,
    page_texts, save_screenshot, wait_for_text, widget_texts,
};
use fantoccini::{Client, Locator};

const CONFIG: &str = r#"
[[shops]]
id = "demo"
name = "Nordhavn Coffee"
identity_secret = "demo-identity-secret"

[[shops.rules]]
id = "payment-help"
cap = "page"
message = { en = "Any questions about paying? We're here to help.", nl = "Vragen over het betalen? We helpen je graag." }
replies = [ { en = "Which payment methods can I use?", nl = "Hoe kan ik betalen?" } ]
when = { all = [ { step = "payment" }, { seconds_on_step = 2 }, { cart_total_at_least = { amount = 50, currency = "EUR" } } ] }

# Listed later, so it shows only where the first one may not: the dismissal test's proof that the
# watcher is there and deciding.
[[shops.rules]]
id = "payment-help-later"
cap = "page"
message = { en = "Still deciding? We're one click away." }
when = { all = [ { step = "payment" }, { seconds_on_step = 3 } ] }

# The honest text for when nobody is online; the two above, silent on agents, then stay quiet.
[[shops.rules]]
id = "payment-help-offline"
cap = "page"
message = { en = "Questions about paying? Leave them here: we read them as soon as we are back." }
when = { all = [ { step = "payment" }, { seconds_on_step = 4 }, { agents_online = false } ] }
"#;

const OFFLINE: &str = "Questions about paying? Leave them here: we read them as soon as we are back.";

const LATER: &str = "Still deciding? We're one click away.";

const MESSAGE: &str = "Any questions about paying? We're here to help.";
const REPLY: &str = "Which payment methods can I use?";

/// A cart of 72 EUR, then the checkout's shipping form filled in and sent: the payment step.
async fn to_payment(relay: &Relay, shopper: &Client) -> Result<()> {
    shopper.goto(&relay.url("/")).await?;
    let cart = r#"[{"sku":"beans-house","name":"Harbour Espresso Blend, 1 kg","qty":3,"price":24}]"#;
    js::<()>(shopper, "localStorage.setItem('demo-shop-cart', arguments[0]);", cart.into()).await?;
    shopper.goto(&relay.url("/checkout.html")).await?;
    find(shopper, "#shipping-form").await?;
    let fill = "for (const [id, v] of Object.entries({'ship-name': 'Sara Ahmadi', 'ship-email': 'sara@example.com', \
                'ship-address': 'Havnegade 1', 'ship-city': 'Copenhagen', 'ship-postcode': '2150'})) \
                document.getElementById(id).value = v; \
                const c = document.getElementById('ship-country'); c.selectedIndex = c.options.length - 1; \
                document.getElementById('to-payment').click();";
    js::<()>(shopper, fill, serde_json::Value::Null).await?;
    find(shopper, "#step-payment:not([hidden])").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn dwelling_on_payment_brings_the_prompt_and_a_dismissed_one_does_not_come_back() -> Result<()> {
    let relay = Relay::start_with_config(CONFIG)?;
    // Prompts that offer help speak only while someone can answer.
    let _agent = AgentOnline::connect(&relay).await?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let outcome = async {
        to_payment(&relay, &shopper).await?;
        wait_for_text(&shopper, true, ".cc-prompt-open", MESSAGE).await?;
        save_screenshot(&shopper, "prompt.png").await?;
        click_in_widget(&shopper, ".cc-prompt-close").await?;
        ensure!(widget_texts(&shopper, ".cc-prompt").await?.is_empty(), "the prompt stays after dismissing");
        // Both rules allow one prompt per page, and the step's time goes on: on the next page only
        // the dismissal keeps the first away, so the later rule shows in its place.
        shopper.goto(&relay.url("/checkout.html#payment")).await?;
        find(&shopper, "#step-payment:not([hidden])").await?;
        wait_for_text(&shopper, true, ".cc-prompt-open", LATER).await?;
        let shown = widget_texts(&shopper, ".cc-prompt-open").await?;
        ensure!(shown.len() == 1 && !shown[0].contains(MESSAGE), "the dismissed prompt came back: {shown:?}");
        Ok(())
    }
    .await;
    if outcome.is_err() {
        let _ = save_screenshot(&shopper, "prompt-failure.png").await;
    }
    let _ = shopper.close().await;
    outcome
}

#[tokio::test(flavor = "multi_thread")]
async fn with_nobody_online_only_the_shops_offline_text_speaks() -> Result<()> {
    let relay = Relay::start_with_config(CONFIG)?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let outcome = async {
        to_payment(&relay, &shopper).await?;
        // The helpful rules would have shown after 2 and 3 s, and one prompt shows at a time:
        // the offline text at 4 s is proof that they stayed quiet.
        wait_for_text(&shopper, true, ".cc-prompt-open", OFFLINE).await?;
        let shown = widget_texts(&shopper, ".cc-prompt").await?;
        ensure!(
            shown.iter().all(|text| !text.contains(MESSAGE) && !text.contains(LATER)),
            "a prompt offered help with nobody online: {shown:?}"
        );
        save_screenshot(&shopper, "prompt-offline.png").await?;

        // Opened, the prompt's words stay in the conversation above the leave-a-message form,
        // and the message left begins with them for the agent.
        click_in_widget(&shopper, ".cc-prompt-open").await?;
        in_widget(&shopper, "#cc-offline-email").await?.send_keys("noor@example.com").await?;
        wait_for_text(&shopper, true, ".cc-log .cc-bubble", OFFLINE).await?;
        in_widget(&shopper, "#cc-offline-question").await?.send_keys(LEFT_QUESTION).await?;
        click_in_widget(&shopper, ".cc-form .cc-button").await?;
        wait_for_text(&shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", LEFT_QUESTION).await?;
        let bubbles = widget_texts(&shopper, ".cc-bubble").await?;
        ensure!(
            bubbles.iter().filter(|b| b.trim() == OFFLINE).count() == 1,
            "the prompt shows once, as the conversation's first line: {bubbles:?}"
        );
        let agent = chrome.session().await?;
        let seen = async {
            console_login(&agent, &relay).await?;
            find(&agent, ".row").await?.click().await?;
            wait_for_text(&agent, false, ".message .bubble", LEFT_QUESTION).await?;
            let thread = page_texts(&agent, ".messages li").await?;
            let prompt_at = thread.iter().position(|t| t.contains(OFFLINE));
            let question_at = thread.iter().position(|t| t.contains(LEFT_QUESTION));
            ensure!(
                prompt_at.is_some() && prompt_at < question_at,
                "the agent sees the prompt, then the question: {thread:?}"
            );
            Ok(())
        }
        .await;
        let _ = agent.close().await;
        seen
    }
    .await;
    if outcome.is_err() {
        let _ = save_screenshot(&shopper, "prompt-offline-failure.png").await;
    }
    let _ = shopper.close().await;
    outcome
}

const LEFT_QUESTION: &str = "Can I pay by bank transfer?";

#[tokio::test(flavor = "multi_thread")]
async fn an_answered_prompt_gives_the_agent_the_cart_and_the_rule_and_the_order_is_counted() -> Result<()> {
    let relay = Relay::start_with_config(CONFIG)?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let agent = chrome.session().await?;
    console_login(&agent, &relay).await?;
    let outcome = answer_and_buy(&relay, &shopper, &agent).await;
    if outcome.is_err() {
        let _ = save_screenshot(&shopper, "prompt-answer-failure.png").await;
        let _ = save_screenshot(&agent, "prompt-agent-failure.png").await;
    }
    let _ = shopper.close().await;
    let _ = agent.close().await;
    outcome
}

async fn answer_and_buy(relay: &Relay, shopper: &Client, agent: &Client) -> Result<()> {
    to_payment(relay, shopper).await?;
    wait_for_text(shopper, true, ".cc-prompt-open", MESSAGE).await?;
    click_in_widget(shopper, ".cc-prompt-replies button").await?;
    // The chat app opens with the reply sent (stored: no longer pending), after the prompt.
    wait_for_text(shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", REPLY).await?;
    wait_for_text(shopper, true, ".cc-bubble", MESSAGE).await?;

    wait_for_text(agent, false, ".row .preview", REPLY).await?;
    find(agent, ".row").await?.click().await?;
    eventually("the console shows the rule and the cart", || async {
        let rule = page_texts(agent, "[data-test=prompt-rule]").await?;
        let total = page_texts(agent, "[data-test=cart-total]").await?;
        let step = page_texts(agent, "[data-test=checkout-step]").await?;
        Ok((rule.iter().any(|t| t.contains("payment-help"))
            && total.iter().any(|t| t.contains("72.00"))
            && step.iter().any(|t| t.contains("payment")))
        .then_some(()))
    })
    .await?;
    save_screenshot(agent, "agent-prompted-chat.png").await?;

    // The shopper places the order; the report counts it for the accepted prompt.
    let pay = "document.getElementById('card-holder').value = 'Sara Ahmadi'; \
               document.getElementById('card-number').value = '4242 4242 4242 4242'; \
               document.getElementById('card-expiry').value = '09/30'; \
               document.getElementById('card-cvc').value = '123'; \
               document.getElementById('place-order').click();";
    js::<()>(shopper, pay, serde_json::Value::Null).await?;
    find(shopper, "#confirmation:not([hidden])").await?;
    eventually("relay report counts the order after the accepted prompt", || async {
        let report = relay.report()?;
        let rule = &report["rules"][0];
        Ok((rule["rule_id"] == "payment-help"
            && rule["accepted"] == 1
            && rule["chats"] == 1
            && rule["accepted_sessions"] == serde_json::json!({"sessions": 1, "converted": 1}))
        .then_some(()))
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_with_ga4_events_in_data_layer_gives_the_agent_the_same_cart() -> Result<()> {
    let relay = Relay::start_with_config(CONFIG)?;
    // Pushed before the widget loads, as a shop's analytics would: no checkoutChat calls at all.
    let page = format!(
        r#"<!doctype html><html lang="en"><head><title>GA4 shop</title>
        <script>
          window.dataLayer = window.dataLayer || [];
          const items = [{{ item_id: "beans-house", item_name: "Harbour Espresso Blend, 1 kg", price: 24, quantity: 3 }}];
          dataLayer.push({{ event: "add_to_cart", ecommerce: {{ currency: "EUR", value: 72, items }} }});
          dataLayer.push({{ ecommerce: null }});
          dataLayer.push({{ event: "begin_checkout", ecommerce: {{ currency: "EUR", value: 72, items }} }});
        </script></head>
        <body><h1>Checkout</h1><script src="{}" data-shop="demo" async></script></body></html>"#,
        relay.url("/widget.js")
    );
    let site = ShopSite::serve(vec![Page::html("/", page)])?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let agent = chrome.session().await?;
    console_login(&agent, &relay).await?;
    let outcome = async {
        shopper.goto(&site.url("/")).await?;
        click_in_widget(&shopper, ".cc-launcher").await?;
        in_widget(&shopper, ".cc-input").await?.send_keys("Does the blend come in 500 g?").await?;
        click_in_widget(&shopper, ".cc-send").await?;
        wait_for_text(&agent, false, ".row .preview", "Does the blend come in 500 g?").await?;
        agent.find(Locator::Css(".row")).await?.click().await?;
        eventually("the console shows the GA4 cart and step", || async {
            let total = page_texts(&agent, "[data-test=cart-total]").await?;
            let step = page_texts(&agent, "[data-test=checkout-step]").await?;
            let lines = page_texts(&agent, ".cc-shopper").await?;
            Ok((total.iter().any(|t| t.contains("72.00"))
                && step.iter().any(|t| t.contains("shipping"))
                && lines.iter().any(|t| t.contains("Harbour Espresso Blend, 1 kg")))
            .then_some(()))
        })
        .await
    }
    .await;
    if outcome.is_err() {
        let _ = save_screenshot(&shopper, "ga4-failure.png").await;
        let _ = save_screenshot(&agent, "ga4-agent-failure.png").await;
    }
    let _ = shopper.close().await;
    let _ = agent.close().await;
    outcome
}

const CONFIG_EXIT: &str = r#"
[[shops]]
id = "demo"
name = "Nordhavn Coffee"

[[shops.rules]]
id = "leaving"
cap = "page"
message = { en = "Leaving already? Ask us anything about your order." }
when = { all = [ { exit_intent = true }, { items_at_least = 1 } ] }

[[shops.rules]]
id = "help"
cap = "visitor"
message = { en = "Stuck with your coupon? We can help." }
when = { event = "fired-only-by-the-shops-code" }
"#;

#[tokio::test(flavor = "multi_thread")]
async fn an_exit_intent_and_the_shops_own_code_bring_their_prompts_and_bad_calls_only_warn() -> Result<()> {
    let relay = Relay::start_with_config(CONFIG_EXIT)?;
    // A page with the strictest policy: its own inline code and style by nonce, nothing else
    // inline; the watcher and its bubble must work under it.
    let csp = format!(
        "default-src 'none'; script-src 'nonce-shop' {origin} 'wasm-unsafe-eval'; style-src 'nonce-shop'; \
         connect-src {origin} ws://{addr}",
        origin = relay.url(""),
        addr = relay.addr
    );
    let page = format!(
        r#"<!doctype html><html lang="en"><head><title>Exit shop</title>
        <style nonce="shop">body {{ height: 3000px }}</style>
        <script nonce="shop">
          window.__violations = [];
          document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
          window.__warnings = [];
          const warn = console.warn;
          console.warn = (...args) => {{ window.__warnings.push(String(args[0])); warn.apply(console, args); }};
          window.checkoutChat = window.checkoutChat || [];
          checkoutChat.push(["cart", {{ currency: "EUR", total: 14.5, items: [{{ sku: "beans-ethiopia", name: "Ethiopia", qty: 1, price: 14.5 }}] }}]);
          checkoutChat.push(["cart", {{ currency: "euros", items: "three" }}]);
        </script></head>
        <body><h1>Checkout</h1><script src="{}" data-shop="demo" async></script></body></html>"#,
        relay.url("/widget.js")
    );
    let site = ShopSite::serve(vec![Page::html("/", page).with_header("Content-Security-Policy", &csp)])?;
    let _agent = AgentOnline::connect(&relay).await?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let outcome = async {
        shopper.goto(&site.url("/")).await?;
        let leave = "document.dispatchEvent(new MouseEvent('mouseout', {clientY: -2, bubbles: true})); \
                     const root = document.querySelector('[data-checkout-chat]').shadowRoot; \
                     return !!root.querySelector('.cc-prompt');";
        // With the chat open, no prompt, whatever the shopper does.
        click_in_widget(&shopper, ".cc-launcher").await?;
        in_widget(&shopper, ".cc-input").await?;
        for _ in 0..3 {
            ensure!(!js::<bool>(&shopper, leave, serde_json::Value::Null).await?, "a prompt over the open chat");
            tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        }
        click_in_widget(&shopper, ".cc-launcher").await?;
        // Closed: the pointer leaving through the top of the window brings the prompt.
        eventually("an exit intent brings the prompt", || async {
            Ok(js::<bool>(&shopper, leave, serde_json::Value::Null).await?.then_some(()))
        })
        .await?;
        wait_for_text(&shopper, true, ".cc-prompt-open", "Leaving already? Ask us anything about your order.").await?;
        let placed: String = js(
            &shopper,
            "return getComputedStyle(document.querySelector('[data-checkout-chat]').shadowRoot.querySelector('.cc-prompt')).position;",
            serde_json::Value::Null,
        )
        .await?;
        ensure!(placed == "fixed", "the prompt bubble is unstyled under the page's policy (position {placed})");
        // One prompt at a time: the shop's own call waits until this one is gone.
        js::<()>(&shopper, "checkoutChat.push(['prompt', 'help']);", serde_json::Value::Null).await?;
        ensure!(widget_texts(&shopper, ".cc-prompt").await?.len() == 1, "two prompts on screen");
        click_in_widget(&shopper, ".cc-prompt-close").await?;
        js::<()>(&shopper, "checkoutChat.push(['prompt', 'help']);", serde_json::Value::Null).await?;
        wait_for_text(&shopper, true, ".cc-prompt-open", "Stuck with your coupon? We can help.").await?;
        // Answered by opening it (the chat app is already here): the chat opens, and the first
        // message follows the prompt.
        click_in_widget(&shopper, ".cc-prompt-open").await?;
        in_widget(&shopper, ".cc-input").await?.send_keys("My code WELCOME10 fails").await?;
        click_in_widget(&shopper, ".cc-send").await?;
        wait_for_text(&shopper, true, ".cc-mine:not(.cc-pending) .cc-bubble", "My code WELCOME10 fails").await?;
        wait_for_text(&shopper, true, ".cc-bubble", "Stuck with your coupon? We can help.").await?;
        ensure!(widget_texts(&shopper, ".cc-prompt").await?.is_empty(), "a prompt over the open chat");
        let warnings: Vec<String> = js(&shopper, "return window.__warnings;", serde_json::Value::Null).await?;
        ensure!(
            warnings.len() == 1 && warnings[0].starts_with("checkout-chat: cart takes"),
            "one warning, for the bad cart: {warnings:?}"
        );
        let violations: Vec<String> = js(&shopper, "return window.__violations;", serde_json::Value::Null).await?;
        ensure!(violations.is_empty(), "the widget broke the page's policy: {violations:?}");
        Ok(())
    }
    .await;
    if outcome.is_err() {
        let _ = save_screenshot(&shopper, "exit-prompt-failure.png").await;
    }
    let _ = shopper.close().await;
    outcome
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_phone_a_flick_to_the_top_is_an_exit_intent_and_scrolling_back_up_a_list_is_not() -> Result<()> {
    let relay = Relay::start_with_config(CONFIG_EXIT)?;
    let page = format!(
        r#"<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width"><title>Phone shop</title>
        <script>
          window.checkoutChat = window.checkoutChat || [];
          checkoutChat.push(["cart", {{ currency: "EUR", items: [{{ sku: "beans-ethiopia", name: "Ethiopia", qty: 2, price: 14.5 }}] }}]);
        </script></head>
        <body style="height:5000px"><h1>Checkout</h1><script src="{}" data-shop="demo" async></script></body></html>"#,
        relay.url("/widget.js")
    );
    let site = ShopSite::serve(vec![Page::html("/", page)])?;
    // The rule offers help: it speaks only while someone can answer.
    let _agent = AgentOnline::connect(&relay).await?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.phone_session().await?;
    let outcome = async {
        shopper.goto(&site.url("/")).await?;
        // The watcher has its rules once it has its welcome, which also stores the visitor's token.
        eventually("the watcher's welcome", || async {
            let token: Option<String> =
                js(&shopper, "return localStorage.getItem('checkout-chat:demo:token');", serde_json::Value::Null).await?;
            Ok(token.map(|_| ()))
        })
        .await?;
        // Scrolling back up a list is not leaving: slowly to the top, or quickly but stopping
        // half way down the page. A finger is on the screen throughout, so that only the speed
        // and where the scroll ends tell them from a flick.
        let ordinary = "const touch = () => document.dispatchEvent(new Event('touchstart', { bubbles: true })); \
                        const wait = (ms) => new Promise((r) => setTimeout(r, ms)); \
                        window.scrollTo(0, 3000); await wait(600); touch(); \
                        for (let y = 3000; y >= 0; y -= 80) { touch(); window.scrollTo(0, y); await wait(120); } \
                        window.scrollTo(0, 3000); await wait(600); touch(); \
                        window.scrollTo(0, 1500); await wait(100); window.scrollTo(0, 1400); await wait(600); \
                        return !!document.querySelector('[data-checkout-chat]').shadowRoot.querySelector('.cc-prompt');";
        let ordinary = format!("return (async () => {{ {ordinary} }})();");
        ensure!(
            !js::<bool>(&shopper, &ordinary, serde_json::Value::Null).await?,
            "scrolling back up a list brought the exit prompt"
        );
        // Down the page, then back up to the top in one quick flick; on a desktop this is just
        // scrolling.
        let flick = "window.scrollTo(0, 3000); await new Promise((r) => setTimeout(r, 100)); \
                     document.dispatchEvent(new Event('touchstart', { bubbles: true })); window.scrollTo(0, 0); \
                     await new Promise((r) => setTimeout(r, 100)); \
                     return !!document.querySelector('[data-checkout-chat]').shadowRoot.querySelector('.cc-prompt');";
        let script = format!("return (async () => {{ {flick} }})();");
        eventually("a fast scroll up on a phone brings the prompt", || async {
            Ok(js::<bool>(&shopper, &script, serde_json::Value::Null).await?.then_some(()))
        })
        .await?;
        wait_for_text(&shopper, true, ".cc-prompt-open", "Leaving already? Ask us anything about your order.").await?;
        let width: f64 = js(
            &shopper,
            "return document.querySelector('[data-checkout-chat]').shadowRoot.querySelector('.cc-prompt').getBoundingClientRect().width;",
            serde_json::Value::Null,
        )
        .await?;
        ensure!(width <= 280.0, "on a phone the bubble stays small: {width} px wide");
        save_screenshot(&shopper, "prompt-phone.png").await?;
        Ok(())
    }
    .await;
    if outcome.is_err() {
        let _ = save_screenshot(&shopper, "prompt-phone-failure.png").await;
    }
    let _ = shopper.close().await;
    outcome
}

const CONFIG_TYPING: &str = r#"
[[shops]]
id = "demo"
name = "Nordhavn Coffee"

[[shops.rules]]
id = "payment-dwell"
cap = "page"
message = { en = "Need a hand with the payment?" }
when = { all = [ { step = "payment" }, { seconds_on_step = 1 } ] }
"#;

/// A shopper typing a card number is not interrupted: the dwell rule waits until they pause.
#[tokio::test(flavor = "multi_thread")]
async fn no_prompt_interrupts_a_shopper_typing_in_a_field_of_the_page() -> Result<()> {
    let relay = Relay::start_with_config(CONFIG_TYPING)?;
    let page = format!(
        r#"<!doctype html><html lang="en"><head><title>Payment</title></head>
        <body><h1>Payment</h1><label for="card">Card number</label> <input id="card" autocomplete="off">
        <script src="{}" data-shop="demo" async></script></body></html>"#,
        relay.url("/widget.js")
    );
    let site = ShopSite::serve(vec![Page::html("/", page)])?;
    let _agent = AgentOnline::connect(&relay).await?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let outcome = async {
        shopper.goto(&site.url("/")).await?;
        eventually("the watcher's welcome", || async {
            let token: Option<String> =
                js(&shopper, "return localStorage.getItem('checkout-chat:demo:token');", serde_json::Value::Null)
                    .await?;
            Ok(token.map(|_| ()))
        })
        .await?;
        let card = find(&shopper, "#card").await?;
        card.click().await?;
        card.send_keys("4").await?;
        // The shop's page reaches its payment step while the shopper is typing.
        js::<()>(&shopper, "checkoutChat.push(['checkout_step', 'payment']);", serde_json::Value::Null).await?;
        // Three seconds of typing, well past the rule's one second on the step.
        for digit in "000123456789".chars() {
            card.send_keys(&digit.to_string()).await?;
            ensure!(widget_texts(&shopper, ".cc-prompt").await?.is_empty(), "a prompt while the shopper types");
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        // A pause: now it may speak.
        wait_for_text(&shopper, true, ".cc-prompt-open", "Need a hand with the payment?").await?;
        Ok(())
    }
    .await;
    if outcome.is_err() {
        let _ = save_screenshot(&shopper, "prompt-typing-failure.png").await;
    }
    let _ = shopper.close().await;
    outcome
}

/// On a checkout page the bubble goes where it covers neither the field the shopper is in nor
/// the page's pay button, and says which shop speaks.
#[tokio::test(flavor = "multi_thread")]
async fn the_prompt_bubble_keeps_clear_of_the_focused_field_and_the_pay_button() -> Result<()> {
    let relay = Relay::start_with_config(CONFIG_EXIT)?;
    // Both sit where the bubble would go first: above the launcher, in the bottom corner.
    let page = format!(
        r#"<!doctype html><html lang="en"><head><title>Pay</title><style>
          #card {{ position: fixed; right: 24px; bottom: 200px; width: 280px; height: 40px }}
          #pay {{ position: fixed; right: 24px; bottom: 120px; width: 280px; height: 48px }}
          #search {{ position: fixed; right: 24px; top: 24px; width: 280px; height: 40px }}
        </style></head>
        <body><h1>Payment</h1><form onsubmit="return false"><label for="card">Card number</label>
        <input id="card" autocomplete="off"><button id="pay">Pay €72.00</button></form>
        <label for="search">Search</label><input id="search" type="search">
        <script src="{}" data-shop="demo" async></script></body></html>"#,
        relay.url("/widget.js")
    );
    let site = ShopSite::serve(vec![Page::html("/", page)])?;
    let _agent = AgentOnline::connect(&relay).await?;
    let mut chrome = Chrome::start()?;
    let shopper = chrome.session().await?;
    let outcome = async {
        shopper.goto(&site.url("/")).await?;
        find(&shopper, "#card").await?.click().await?;
        // The shop's own code asks for the prompt (once the watcher is there to hear it).
        eventually("the shop's prompt", || async {
            js::<()>(&shopper, "checkoutChat.push(['prompt', 'help']);", serde_json::Value::Null).await?;
            Ok((!widget_texts(&shopper, ".cc-prompt").await?.is_empty()).then_some(()))
        })
        .await?;
        // Beside the shop's initial (hidden from screen readers), its name.
        let from = widget_texts(&shopper, ".cc-prompt-from").await?;
        ensure!(from.len() == 1 && from[0].ends_with("Nordhavn Coffee"), "the bubble says who speaks: {from:?}");
        let covered = "const b = document.querySelector('[data-checkout-chat]').shadowRoot.querySelector('.cc-prompt').getBoundingClientRect();
             return arguments[0].filter((css) => {
               const r = document.querySelector(css).getBoundingClientRect();
               return r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom;
             });";
        let overlaps: Vec<String> = js(&shopper, covered, serde_json::json!(["#card", "#pay"])).await?;
        ensure!(overlaps.is_empty(), "the prompt covers {overlaps:?}");
        // The shopper moves to the search field, where the bubble went: it moves again.
        js::<()>(&shopper, "document.getElementById('search').focus();", serde_json::Value::Null).await?;
        eventually("the bubble keeps clear of the newly focused field", || async {
            let overlaps: Vec<String> = js(&shopper, covered, serde_json::json!(["#search", "#pay"])).await?;
            Ok(overlaps.is_empty().then_some(()))
        })
        .await?;
        let violations = checkout_chat_e2e::accessibility_violations(&shopper, &["checkout-chat"]).await?;
        ensure!(violations.is_empty(), "axe-core on the prompt bubble: {violations:#?}");
        save_screenshot(&shopper, "prompt-placed.png").await?;
        Ok(())
    }
    .await;
    if outcome.is_err() {
        let _ = save_screenshot(&shopper, "prompt-placed-failure.png").await;
    }
    let _ = shopper.close().await;
    outcome
}
