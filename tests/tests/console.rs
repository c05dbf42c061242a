//! The agents' console in headless Chromium against the real relay: one agent answers two
//! shoppers at once, keeps a half-written reply while answering the other with a canned response
//! (added in the console, expanded by typing `/shortcut`), and each shopper gets their own answer.
//! An admin adds a colleague on the team page and hands a chat over to them with a note; the tab
//! title counts the chats that wait for an answer, and a console in a background tab chimes and
//! notifies; in Dutch, the report page is Dutch too. "Verified customer" is shown only over what
//! the shop signed: a name and email beside a signed user id are marked unverified, in English
//! and Dutch, and names reach agents without the bidi controls that once showed them reversed.
//! axe-core finds no WCAG 2.1 AA violation on any screen in English or Dutch, the top bar fits
//! 1280 px, and an agent using only the keyboard adds a canned response, answers a chat with it
//! and ends the chat.

use anyhow::{Context, Result, bail, ensure};
use checkout_chat_e2e::{
    AgentOnline, Chrome, Page, Relay, ShopSite, accessibility_violations, choose_console_language, click_in_widget,
    console_login, console_login_as, eventually, find, in_widget, js, open_row, page_texts, save_screenshot,
    shopper_writes_and_leaves, wait_for_text, widget_texts,
};
use fantoccini::Client;

const CANNED: &str = "Hi {{name|there}}! Your order ships within 2 working days.";
const EXPANDED: &str = "Hi there! Your order ships within 2 working days.";
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
    // A second one, edited where it stands; the search narrows the list to what matches.
    find(agent, "#canned-shortcut").await?.send_keys("returns").await?;
    find(agent, "#canned-text").await?.send_keys("30 days to return.").await?;
    find(agent, "[data-test=canned-form] button[type=submit]").await?.click().await?;
    wait_for_text(agent, false, ".canned-list td", "30 days to return.").await?;
    find(agent, "[data-test=canned-search]").await?.send_keys("RETURN").await?;
    eventually("the search leaves one row", || async {
        Ok((page_texts(agent, ".canned-list code").await? == ["/returns"]).then_some(()))
    })
    .await?;
    find(agent, "[data-test=canned-edit]").await?.click().await?;
    let edit = find(agent, "[data-test=canned-edit-text]").await?;
    edit.clear().await?;
    edit.send_keys("60 days to return, free.").await?;
    find(agent, "[data-test=canned-edit-save]").await?.click().await?;
    wait_for_text(agent, false, ".canned-list td", "60 days to return, free.").await?;
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
    let unread: Vec<String> = page_texts(agent, "[data-test=unread]").await?;
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
    // The suggestion shows the text as it will be sent, the fallback standing in for the name.
    wait_for_text(agent, false, "[data-test=canned-suggestions] span", EXPANDED).await?;
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
    let seen_by_a = widget_texts(a, ".cc-bubble").await?;
    ensure!(!seen_by_a.iter().any(|t| t.contains(EXPANDED)), "A saw B's answer: {seen_by_a:?}");
    // Answered: no row counts unanswered messages any more.
    eventually("the unread counts clear", || async {
        Ok(page_texts(agent, "[data-test=unread]").await?.is_empty().then_some(()))
    })
    .await?;
    Ok(())
}

const COLLEAGUE: &str = "Bram Jansen";
const COLLEAGUE_EMAIL: &str = "bram@demo.example";
const COLLEAGUE_PASSWORD: &str = "bram-browser-test";
const ASKS: &str = "Can I pay by invoice as a business?";
const ANSWER: &str = "Yes: choose “Invoice” at the payment step.";
const HANDOVER_NOTE: &str = "Business customer, asks about invoices";
const BASE_TITLE: &str = "checkout-chat · Agent console";

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_adds_a_colleague_and_transfers_a_chat_to_them_with_a_note() -> Result<()> {
    let relay = Relay::start()?;
    let mut chrome = Chrome::start()?;
    let admin = chrome.session().await?;
    let colleague = chrome.session().await?;
    let shopper = chrome.session().await?;
    let outcome = hand_over(&relay, &admin, &colleague, &shopper).await;
    if outcome.is_err() {
        let _ = save_screenshot(&admin, "console-transfer-admin-failure.png").await;
        let _ = save_screenshot(&colleague, "console-transfer-colleague-failure.png").await;
    } else {
        save_screenshot(&colleague, "console-transfer.png").await?;
    }
    for session in [admin, colleague, shopper] {
        let _ = session.close().await;
    }
    outcome
}

async fn hand_over(relay: &Relay, admin: &Client, colleague: &Client, shopper: &Client) -> Result<()> {
    // The admin adds a colleague on the team page.
    console_login(admin, relay).await?;
    ensure!(title(admin).await? == BASE_TITLE, "nothing waits yet: {:?}", title(admin).await?);
    find(admin, "[data-test=open-team]").await?.click().await?;
    find(admin, "#account-name").await?.send_keys(COLLEAGUE).await?;
    find(admin, "#account-email").await?.send_keys(COLLEAGUE_EMAIL).await?;
    find(admin, "#account-password").await?.send_keys(COLLEAGUE_PASSWORD).await?;
    let capacity = find(admin, "#account-capacity").await?;
    capacity.clear().await?;
    capacity.send_keys("3").await?;
    find(admin, "[data-test=account-form] button[type=submit]").await?.click().await?;
    wait_for_text(admin, false, ".team-list td", COLLEAGUE_EMAIL).await?;
    wait_for_text(admin, false, "[data-test=presence]", "offline · 0/3").await?;

    // The admin turns the sound on and leaves the console in a background tab. The browser's
    // notifications are stood in for (headless Chromium has no permission to grant) and its
    // audio is watched: both record what the console asks of them.
    find(admin, ".sound-toggle input").await?.click().await?;
    js::<bool>(
        admin,
        "window.__notified = []; window.__chimes = 0;
         window.Notification = class {
             constructor(title, options) { window.__notified.push({ title, body: options && options.body }); }
             static get permission() { return 'granted'; }
             static requestPermission() { return Promise.resolve('granted'); }
         };
         const tone = AudioContext.prototype.createOscillator;
         AudioContext.prototype.createOscillator = function () { window.__chimes += 1; return tone.call(this); };
         Object.defineProperty(document, 'hidden', { get: () => true });
         return true;",
        serde_json::Value::Null,
    )
    .await?;

    // A shopper writes while only the admin is online: the admin gets the chat, and the tab
    // title counts it until it is answered.
    shopper.goto(&relay.url("/")).await?;
    click_in_widget(shopper, ".cc-launcher").await?;
    in_widget(shopper, ".cc-input").await?.send_keys(ASKS).await?;
    click_in_widget(shopper, ".cc-send").await?;
    wait_for_text(shopper, true, ".cc-notice", "Anna de Vries joined the chat").await?;
    let counted = format!("(1) {BASE_TITLE}");
    eventually("the tab title counts the chat", || async { Ok((title(admin).await? == counted).then_some(())) })
        .await?;
    // The hidden console chimed and showed a notification naming the shopper's words.
    let (notified, chimes): (Vec<serde_json::Value>, u32) = eventually("a notification", || async {
        let seen: (Vec<serde_json::Value>, u32) =
            js(admin, "return [window.__notified, window.__chimes];", serde_json::Value::Null).await?;
        Ok((!seen.0.is_empty()).then_some(seen))
    })
    .await?;
    let body = notified[0]["body"].as_str().unwrap_or_default();
    ensure!(body.ends_with(ASKS), "the notification tells what the shopper asked: {notified:?}");
    ensure!(chimes >= 1, "the sound was on, so the console chimed");

    // The colleague logs in; the team page shows them online with their load and capacity.
    console_login_as(colleague, relay, COLLEAGUE_EMAIL, COLLEAGUE_PASSWORD).await?;
    wait_for_text(admin, false, "[data-test=presence]", "online · 0/3").await?;

    // The admin hands the chat over with a note.
    find(admin, "[data-test=open-inbox]").await?.click().await?;
    open_row(admin, ASKS).await?;
    wait_for_text(admin, false, ".message .bubble", ASKS).await?;
    find(admin, "[data-test=transfer]").await?.click().await?;
    let offered: Vec<String> = js(
        admin,
        "return [...document.querySelector('[data-test=transfer-form] select').options].map((o) => o.textContent);",
        serde_json::Value::Null,
    )
    .await?;
    // The admin is the shop's only admin: no "supervisor" to hand over to, and each colleague
    // with their availability and load.
    ensure!(offered == [format!("{COLLEAGUE} (online · 0/3)")], "the transfer choices: {offered:?}");
    let choice: bool = js(
        admin,
        "const select = document.querySelector('[data-test=transfer-form] select');
         const option = [...select.options].find((o) => o.textContent.startsWith(arguments[0]));
         if (!option) { return false; }
         select.value = option.value;
         select.dispatchEvent(new Event('change', { bubbles: true }));
         return true;",
        serde_json::json!(COLLEAGUE),
    )
    .await?;
    ensure!(choice, "the transfer form offers the colleague who is online");
    find(admin, "[data-test=transfer-form] input[type=text]").await?.send_keys(HANDOVER_NOTE).await?;
    find(admin, "[data-test=transfer-form] button[type=submit]").await?.click().await?;
    wait_for_text(admin, false, "[data-test=handover] .handover-note", HANDOVER_NOTE).await?;
    // No longer the admin's to answer.
    eventually("the admin's title stops counting", || async { Ok((title(admin).await? == BASE_TITLE).then_some(())) })
        .await?;

    // The colleague has it, with the whole history and the note, and it counts in their title.
    wait_for_text(colleague, false, "[data-test=tab-mine] .tab-count", "1").await?;
    eventually("the colleague's title counts the chat", || async {
        Ok((title(colleague).await? == counted).then_some(()))
    })
    .await?;
    open_row(colleague, ASKS).await?;
    wait_for_text(colleague, false, ".message .bubble", ASKS).await?;
    wait_for_text(colleague, false, "[data-test=handover] .handover-note", HANDOVER_NOTE).await?;
    find(colleague, ".reply").await?.send_keys(ANSWER).await?;
    find(colleague, ".composer button[type=submit]").await?.click().await?;

    // The shopper sees who joined and gets the answer, never the note.
    wait_for_text(shopper, true, ".cc-notice", &format!("{COLLEAGUE} joined the chat")).await?;
    wait_for_text(shopper, true, ".cc-theirs .cc-bubble", ANSWER).await?;
    let seen = widget_texts(shopper, ".cc-bubble, .cc-notice").await?;
    ensure!(!seen.iter().any(|line| line.contains(HANDOVER_NOTE)), "the shopper saw the internal note: {seen:?}");
    eventually("the colleague's title stops counting", || async {
        Ok((title(colleague).await? == BASE_TITLE).then_some(()))
    })
    .await?;

    // The admin switches the console to Dutch; the report page speaks it too, rates included.
    choose_console_language(admin, "nl").await?;
    wait_for_text(admin, false, "[data-test=open-report]", "Rapport").await?;
    find(admin, "[data-test=open-report]").await?.click().await?;
    wait_for_text(admin, false, ".report-page h1", "Proactieve uitnodigingen").await?;
    wait_for_text(admin, false, "#report-shop [data-row=chat] [data-col=orders]", "0,0 % (0 van 1)").await?;
    // Dates in Dutch too: the period's month by its Dutch name in the date fields and the
    // tables' caption, whatever the browser's own language writes.
    let (chosen, dutch, caption): (String, String, String) = js(
        admin,
        "return [document.querySelector('#report-to-month').selectedOptions[0].textContent,
                 new Intl.DateTimeFormat('nl', { month: 'long', timeZone: 'UTC' }).format(new Date()),
                 document.querySelector('#report caption').textContent];",
        serde_json::Value::Null,
    )
    .await?;
    ensure!(chosen == dutch && caption.contains(&dutch), "the month in Dutch: {chosen:?}, {caption:?} ({dutch})");
    Ok(())
}

async fn title(client: &Client) -> Result<String> {
    Ok(client.title().await?)
}

async fn reply_box(agent: &Client) -> Result<String> {
    js(agent, "return document.querySelector('.reply').value;", serde_json::Value::Null).await
}

const SPAM: &str = "CHEAP WATCHES at spam.example";

/// An agent marks a shopper as spam from the thread: a confirmation first, then the chat ends
/// for the shopper and leaves the agent's inbox.
#[tokio::test(flavor = "multi_thread")]
async fn an_agent_blocks_a_spammer_from_the_thread() -> Result<()> {
    let relay = Relay::start()?;
    let mut chrome = Chrome::start()?;
    let (agent, spammer) = (chrome.session().await?, chrome.session().await?);
    let outcome = block_spammer(&relay, &agent, &spammer).await;
    if outcome.is_err() {
        let _ = save_screenshot(&agent, "console-block-failure.png").await;
    }
    for session in [agent, spammer] {
        let _ = session.close().await;
    }
    outcome
}

async fn block_spammer(relay: &Relay, agent: &Client, spammer: &Client) -> Result<()> {
    console_login(agent, relay).await?;
    spammer.goto(&relay.url("/")).await?;
    click_in_widget(spammer, ".cc-launcher").await?;
    in_widget(spammer, ".cc-input").await?.send_keys(SPAM).await?;
    click_in_widget(spammer, ".cc-send").await?;
    wait_for_text(spammer, true, ".cc-mine:not(.cc-pending) .cc-bubble", SPAM).await?;
    wait_for_text(agent, false, "[data-test=tab-mine] .tab-count", "1").await?;
    open_row(agent, SPAM).await?;
    wait_for_text(agent, false, ".message .bubble", SPAM).await?;

    find(agent, "[data-test=block]").await?.click().await?;
    let confirm = find(agent, "[data-test=block-confirm]").await?;
    ensure!(confirm.text().await?.contains("Block this shopper?"), "the agent is asked first");
    find(agent, "[data-test=block-confirmed]").await?.click().await?;
    wait_for_text(spammer, true, ".cc-notice", "This chat has ended.").await?;
    wait_for_text(agent, false, "[data-test=tab-mine] .tab-count", "0").await?;
    Ok(())
}

/// The demo shop's identity secret (public on purpose: see docs/embedding.md).
const DEMO_IDENTITY_SECRET: &[u8] = b"demo-identity-secret";
const TOM_ASKS: &str = "Has my return arrived?";
const SARA_ASKS: &str = "Please send my refund to a new account";

fn hmac_sha256(message: &str) -> Result<Vec<u8>> {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(DEMO_IDENTITY_SECRET)?;
    mac.update(message.as_bytes());
    Ok(mac.finalize().into_bytes().to_vec())
}

/// An identity token as the shop's server signs one (HS256, an hour's validity).
fn identity_token(claims: serde_json::Value) -> Result<String> {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() + 3600;
    let mut claims = claims;
    claims["exp"] = exp.into();
    let input = format!("{}.{}", b64(br#"{"alg":"HS256","typ":"JWT"}"#), b64(claims.to_string().as_bytes()));
    Ok(format!("{input}.{}", b64(&hmac_sha256(&input)?)))
}

/// A shopper's socket, as an older shop integration identifies them: a valid `user_hash` for
/// their own user id, beside a name and an email they chose (with bidi controls in the name).
/// Their first message is stored (acknowledged) when this returns.
async fn legacy_shopper(
    relay: &Relay,
) -> Result<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/v1/visitor", relay.addr)).await?;
    let identity = serde_json::json!({
        "user_id": "cust-17",
        "name": "\u{2067}Sara\u{2069} \u{202E}Ahmadi\u{202C}\u{200B}",
        "email": "sara@example.com",
        "user_hash": hex::encode(hmac_sha256("cust-17")?),
    });
    let hello = serde_json::json!({"type": "hello", "shop": "demo", "identity": identity});
    let send = serde_json::json!({"type": "send", "client_id": "m1", "text": SARA_ASKS});
    for frame in [hello, send] {
        socket.send(Message::Text(frame.to_string().into())).await?;
    }
    let acked = tokio::time::timeout(checkout_chat_e2e::PATIENCE, async {
        while let Some(message) = socket.next().await {
            if let Message::Text(text) = message? {
                let frame: serde_json::Value = serde_json::from_str(text.as_str())?;
                match frame["type"].as_str() {
                    Some("ack") => return Ok(()),
                    Some("error") => bail!("the relay refused the shopper: {frame}"),
                    _ => {}
                }
            }
        }
        bail!("the relay closed the shopper's socket")
    });
    acked.await.context("no ack for the shopper's message")??;
    Ok(socket)
}

#[tokio::test(flavor = "multi_thread")]
async fn unsigned_name_and_email_never_show_as_verified() -> Result<()> {
    let relay = Relay::start()?;
    // Tom's shop signs everything it says of him into an identity token; the page passes it on.
    let token =
        identity_token(serde_json::json!({"sub": "cust-18", "name": "Tom Bakker", "email": "tom@example.com"}))?;
    let account = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Your account</title>
        <script>window.checkoutChat = window.checkoutChat || []; checkoutChat.push(["identify", {{ identity_token: "{token}" }}]);</script>
        </head><body><h1>Signed in as Tom</h1>
        <script src="{}" data-shop="demo" data-open-on-load async></script></body></html>"#,
        relay.url("/widget.js")
    );
    let site = ShopSite::serve(vec![Page::html("/account", account)])?;
    let mut chrome = Chrome::start()?;
    let agent = chrome.session().await?;
    let tom = chrome.session().await?;
    let outcome = verified_only_where_signed(&relay, &site, &agent, &tom).await;
    if outcome.is_err() {
        let _ = save_screenshot(&agent, "console-identity-failure.png").await;
        let _ = save_screenshot(&tom, "console-identity-shopper-failure.png").await;
    } else {
        save_screenshot(&agent, "console-identity.png").await?;
    }
    for session in [agent, tom] {
        let _ = session.close().await;
    }
    outcome
}

async fn verified_only_where_signed(relay: &Relay, site: &ShopSite, agent: &Client, tom: &Client) -> Result<()> {
    // The agent is online, so both chats are theirs.
    console_login(agent, relay).await?;
    let _sara = legacy_shopper(relay).await?;
    tom.goto(&site.url("/account")).await?;
    in_widget(tom, ".cc-input").await?.send_keys(TOM_ASKS).await?;
    click_in_widget(tom, ".cc-send").await?;
    wait_for_text(tom, true, ".cc-mine:not(.cc-pending) .cc-bubble", TOM_ASKS).await?;

    // In the inbox, Sara's name is the page's word, marked so; the bidi controls are gone, so it
    // reads as written. Tom's is signed and unmarked.
    let rows: Vec<(String, Vec<String>)> = eventually("both rows", || async {
        let rows: Vec<(String, Vec<String>)> = js(
            agent,
            "return [...document.querySelectorAll('.row')].map((r) => [
                 r.querySelector('.visitor').textContent,
                 [...r.querySelectorAll('[data-test=unverified]')].map((m) => m.textContent)]);",
            serde_json::Value::Null,
        )
        .await?;
        Ok((rows.len() == 2).then_some(rows))
    })
    .await?;
    let sara_row = rows.iter().find(|(name, _)| name.contains("Sara")).context("Sara's row")?;
    ensure!(sara_row.0 == "Sara Ahmadi", "the name as shown: {:?}", sara_row.0);
    ensure!(sara_row.1 == ["unverified"], "Sara's row marks the name unverified: {rows:?}");
    let tom_row = rows.iter().find(|(name, _)| name.contains("Tom")).context("Tom's row")?;
    ensure!(*tom_row == ("Tom Bakker".to_owned(), Vec::new()), "Tom's row: {rows:?}");

    // Sara's thread: her user id is verified, nothing more; no "Verified customer" anywhere.
    open_row(agent, SARA_ASKS).await?;
    wait_for_text(agent, false, ".thread-meta .badge-verified-id", "Verified user id cust-17").await?;
    wait_for_text(agent, false, ".thread-header h2 [data-test=unverified]", "unverified").await?;
    wait_for_text(agent, false, "[data-test=shopper-name] bdi", "Sara Ahmadi").await?;
    wait_for_text(agent, false, "[data-test=shopper-name] [data-test=unverified]", "unverified").await?;
    wait_for_text(agent, false, "[data-test=shopper-email] bdi", "sara@example.com").await?;
    wait_for_text(agent, false, "[data-test=shopper-email] [data-test=unverified]", "unverified").await?;
    let verified_anywhere: Vec<String> = js(
        agent,
        "return [...document.querySelectorAll('.badge-verified, [data-test=verified]')].map((e) => e.textContent);",
        serde_json::Value::Null,
    )
    .await?;
    ensure!(verified_anywhere.is_empty(), "something of Sara's shows as verified: {verified_anywhere:?}");
    // The marks and badges this adds, with their colours, pass (the rest of the console is not
    // this test's to audit).
    let violations = accessibility_violations(agent, &[".thread-header", "#shopper-context"]).await?;
    ensure!(violations.is_empty(), "axe-core finds WCAG 2.1 AA violations: {violations:#?}");

    // Tom's thread: everything shown was signed.
    open_row(agent, TOM_ASKS).await?;
    wait_for_text(agent, false, ".thread-meta .badge-verified", "Verified customer · user id cust-18").await?;
    wait_for_text(agent, false, "[data-test=shopper-name] [data-test=verified]", "verified").await?;
    wait_for_text(agent, false, "[data-test=shopper-email] [data-test=verified]", "verified").await?;
    let unverified: Vec<String> =
        page_texts(agent, ".thread-header [data-test=unverified], #shopper-context [data-test=unverified]").await?;
    ensure!(unverified.is_empty(), "Tom's signed fields are marked unverified: {unverified:?}");

    // In Dutch, the marks are Dutch, and the page says it is Dutch.
    choose_console_language(agent, "nl").await?;
    find(agent, ".inbox").await?;
    let lang: String = js(agent, "return document.documentElement.lang;", serde_json::Value::Null).await?;
    ensure!(lang == "nl", "the Dutch console's page says lang={lang:?}");
    open_row(agent, SARA_ASKS).await?;
    wait_for_text(agent, false, ".thread-meta .badge-verified-id", "Geverifieerd klantnummer cust-17").await?;
    wait_for_text(agent, false, "[data-test=shopper-name] [data-test=unverified]", "niet geverifieerd").await?;
    Ok(())
}

const WAITS: &str = "Is anyone there? I have a question about sizes.";

/// The inbox opens where the work is: with chats waiting and none of them the agent's, Waiting,
/// not an empty Mine; once the agent picks a tab, it stays theirs.
#[tokio::test(flavor = "multi_thread")]
async fn the_inbox_shows_waiting_chats_when_none_is_the_agents() -> Result<()> {
    let relay = Relay::start()?;
    let mut chrome = Chrome::start()?;
    let agent = chrome.session().await?;
    let outcome = work_first(&relay, &agent).await;
    if outcome.is_err() {
        let _ = save_screenshot(&agent, "console-work-first-failure.png").await;
    }
    let _ = agent.close().await;
    outcome
}

async fn selected_tab(agent: &Client) -> Result<String> {
    js(agent, "return document.querySelector('[role=tab][aria-selected=true]').dataset.test;", serde_json::Value::Null)
        .await
}

async fn work_first(relay: &Relay, agent: &Client) -> Result<()> {
    // A chat waits before the agent comes in (its shopper left, so it is given to nobody).
    shopper_writes_and_leaves(relay, WAITS).await?;
    console_login(agent, relay).await?;
    wait_for_text(agent, false, "[data-test=tab-waiting] .tab-count", "1").await?;
    eventually("the Waiting tab is shown", || async {
        Ok((selected_tab(agent).await? == "tab-waiting").then_some(()))
    })
    .await?;
    wait_for_text(agent, false, ".row .preview", WAITS).await?;
    // The agent's own choice stands, even as more chats wait (away: none is given to them).
    find(agent, "[data-test=my-status]").await?.select_by_value("away").await?;
    find(agent, "[data-test=tab-mine]").await?.click().await?;
    shopper_writes_and_leaves(relay, "And one more question").await?;
    wait_for_text(agent, false, "[data-test=tab-waiting] .tab-count", "2").await?;
    ensure!(selected_tab(agent).await? == "tab-mine", "the agent chose Mine");
    Ok(())
}

const AUDITED_ASKS: &str = "Can I still change my delivery address?";

/// Every screen of the console, in English and in Dutch, as axe-core judges it (WCAG 2.1 A and
/// AA): the login page, the inbox with a chat and its shopper panel open, and the canned,
/// team and report pages.
#[tokio::test(flavor = "multi_thread")]
async fn every_console_screen_passes_axe_in_english_and_dutch() -> Result<()> {
    let relay = Relay::start()?;
    let mut chrome = Chrome::start()?;
    let agent = chrome.session().await?;
    let outcome = audit_every_screen(&relay, &agent).await;
    if outcome.is_err() {
        let _ = save_screenshot(&agent, "console-axe-failure.png").await;
    }
    let _ = agent.close().await;
    outcome
}

async fn audit_every_screen(relay: &Relay, agent: &Client) -> Result<()> {
    shopper_writes_and_leaves(relay, AUDITED_ASKS).await?;
    let mut found = Vec::new();
    for language in ["en", "nl"] {
        agent.goto(&relay.url("/console")).await?;
        if language == "nl" {
            // The choice is kept in the browser, so the login page is Dutch from here on too.
            js::<bool>(
                agent,
                "localStorage.setItem('cc-console-lang', 'nl'); location.reload(); return true;",
                serde_json::Value::Null,
            )
            .await?;
        }
        find(agent, "#email").await?;
        audit(agent, language, "login", &mut found).await?;
        if language == "en" {
            console_login(agent, relay).await?;
        } else {
            find(agent, "#email").await?.send_keys(checkout_chat_e2e::DEMO_EMAIL).await?;
            find(agent, "#password").await?.send_keys(checkout_chat_e2e::DEMO_PASSWORD).await?;
            find(agent, ".login-card button[type=submit]").await?.click().await?;
            find(agent, ".inbox").await?;
        }
        // This relay has no [smtp]: the admin is told transcripts wait.
        find(agent, "[data-test=no-mail]").await?;
        open_row(agent, AUDITED_ASKS).await?;
        wait_for_text(agent, false, ".message .bubble", AUDITED_ASKS).await?;
        find(agent, "#shopper-context").await?;
        audit(agent, language, "inbox with a chat open", &mut found).await?;
        // The browser is 1280 px wide: the top bar fits on one line, no label broken in two.
        let height: f64 = js(
            agent,
            "return document.querySelector('.topbar').getBoundingClientRect().height;",
            serde_json::Value::Null,
        )
        .await?;
        ensure!(height <= 64.0, "at 1280 px the top bar ({language}) wraps: {height} px high");
        let overflow: f64 =
            js(agent, "return document.documentElement.scrollWidth - window.innerWidth;", serde_json::Value::Null)
                .await?;
        ensure!(overflow <= 0.0, "at 1280 px the console ({language}) is {overflow} px wider than the window");
        save_screenshot(agent, &format!("console-1280-{language}.png")).await?;
        for (link, page, screen) in [
            ("open-canned", ".canned-page", "canned responses"),
            ("open-team", ".team-page", "team"),
            ("open-report", ".report-page", "report"),
        ] {
            find(agent, &format!("[data-test={link}]")).await?.click().await?;
            find(agent, page).await?;
            audit(agent, language, screen, &mut found).await?;
        }
        // Without the session cookie the next language starts at the login page.
        agent.delete_all_cookies().await?;
    }
    ensure!(found.is_empty(), "axe-core finds WCAG 2.1 AA violations: {found:#?}");
    Ok(())
}

async fn audit(agent: &Client, language: &str, screen: &str, found: &mut Vec<String>) -> Result<()> {
    for violation in accessibility_violations(agent, &[]).await? {
        found.push(format!("{screen} ({language}): {violation}"));
    }
    Ok(())
}

const KEYBOARD_ASKS: &str = "Do you gift-wrap orders?";
const TAB: char = '\u{E004}';
const ENTER: char = '\u{E007}';

/// Presses Tab until the focus is on an element matching `css` (a bounded walk: a control the
/// keyboard cannot reach fails the test).
async fn tab_to(agent: &Client, css: &str) -> Result<()> {
    for _ in 0..80 {
        let there: bool =
            js(agent, "return !!document.activeElement && document.activeElement.matches(arguments[0]);", css.into())
                .await?;
        if there {
            return Ok(());
        }
        checkout_chat_e2e::press(agent, TAB).await?;
    }
    bail!("Tab never reaches {css}")
}

/// Presses Tab until the focus is on the inbox row that shows `text` (bounded, as `tab_to`).
async fn tab_to_row(agent: &Client, text: &str) -> Result<()> {
    for _ in 0..80 {
        let there: bool = js(
            agent,
            "const e = document.activeElement; return !!e && e.matches('.inbox .row') && e.textContent.includes(arguments[0]);",
            text.into(),
        )
        .await?;
        if there {
            return Ok(());
        }
        checkout_chat_e2e::press(agent, TAB).await?;
    }
    bail!("Tab never reaches the row of {text:?}")
}

/// An agent who uses only the keyboard: adds a canned response, picks the waiting chat, answers
/// it with the canned response, and ends it (with the confirmation); then picks a second chat and
/// transfers it to a colleague with a note.
#[tokio::test(flavor = "multi_thread")]
async fn an_agent_works_a_chat_with_the_keyboard_only() -> Result<()> {
    let relay = Relay::start()?;
    let mut chrome = Chrome::start()?;
    let agent = chrome.session().await?;
    let outcome = keyboard_only(&relay, &agent).await;
    if outcome.is_err() {
        let _ = save_screenshot(&agent, "console-keyboard-failure.png").await;
    }
    let _ = agent.close().await;
    outcome
}

async fn keyboard_only(relay: &Relay, agent: &Client) -> Result<()> {
    use checkout_chat_e2e::type_keys;
    agent.goto(&relay.url("/console")).await?;
    tab_to(agent, "#email").await?;
    type_keys(agent, checkout_chat_e2e::DEMO_EMAIL).await?;
    tab_to(agent, "#password").await?;
    type_keys(agent, checkout_chat_e2e::DEMO_PASSWORD).await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    find(agent, ".inbox").await?;

    tab_to(agent, "[data-test=open-canned]").await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    // A shortcut with a capital: the error says what a shortcut may be, and goes once corrected.
    tab_to(agent, "#canned-shortcut").await?;
    type_keys(agent, "Wrap").await?;
    tab_to(agent, "#canned-text").await?;
    type_keys(agent, "x").await?;
    tab_to(agent, "[data-test=canned-form] button[type=submit]").await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    wait_for_text(agent, false, "[data-test=canned-error]", "A shortcut has 1 to 32 characters: a-z, 0-9, - and _")
        .await?;
    find(agent, "#canned-shortcut").await?.clear().await?;
    find(agent, "#canned-text").await?.clear().await?;
    tab_to(agent, "#canned-shortcut").await?;
    type_keys(agent, "wrap").await?;
    eventually("the error goes once the shortcut is corrected", || async {
        Ok(page_texts(agent, "[data-test=canned-error]").await?.is_empty().then_some(()))
    })
    .await?;
    tab_to(agent, "#canned-text").await?;
    type_keys(agent, "Yes {{name|there}}: gift wrap is free.").await?;
    tab_to(agent, "[data-test=canned-form] button[type=submit]").await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    wait_for_text(agent, false, ".canned-list code", "/wrap").await?;

    shopper_writes_and_leaves(relay, KEYBOARD_ASKS).await?;
    tab_to(agent, "[data-test=open-inbox]").await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    wait_for_text(agent, false, ".row .preview", KEYBOARD_ASKS).await?;
    tab_to(agent, ".inbox .row").await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    wait_for_text(agent, false, ".message .bubble", KEYBOARD_ASKS).await?;

    tab_to(agent, ".reply").await?;
    type_keys(agent, "/wra").await?;
    checkout_chat_e2e::press(agent, TAB).await?;
    let expanded = "Yes there: gift wrap is free.";
    eventually("Tab inserts the canned response", || async { Ok((reply_box(agent).await? == expanded).then_some(())) })
        .await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    wait_for_text(agent, false, ".message.mine:not(.pending) .bubble", expanded).await?;

    tab_to(agent, ".end-chat").await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    tab_to(agent, "[data-test=end-confirmed]").await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    wait_for_text(agent, false, ".messages .notice", "Anna de Vries ended the conversation").await?;

    // A second chat (routed to this agent, the only one online), handed over with a note to a
    // colleague who comes online.
    shopper_writes_and_leaves(relay, KEYBOARD_TRANSFER_ASKS).await?;
    wait_for_text(agent, false, ".row .preview", KEYBOARD_TRANSFER_ASKS).await?;
    checkout_chat_e2e::add_agent(relay, COLLEAGUE_EMAIL, COLLEAGUE, COLLEAGUE_PASSWORD).await?;
    let _colleague = AgentOnline::connect_as(relay, COLLEAGUE_EMAIL, COLLEAGUE_PASSWORD).await?;
    tab_to_row(agent, KEYBOARD_TRANSFER_ASKS).await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    wait_for_text(agent, false, ".message .bubble", KEYBOARD_TRANSFER_ASKS).await?;
    tab_to(agent, "[data-test=transfer]").await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    tab_to(agent, "[data-test=transfer-form] select").await?;
    eventually("the colleague is offered with their availability and load", || async {
        let chosen: String = js(
            agent,
            "const s = document.querySelector('[data-test=transfer-form] select'); return s.selectedOptions[0]?.textContent || '';",
            serde_json::Value::Null,
        )
        .await?;
        Ok(chosen.starts_with(&format!("{COLLEAGUE} (online · 0/")).then_some(()))
    })
    .await?;
    // A choice that is stale by the time it is sent (the colleague left the team meanwhile): the
    // refusal is a sentence in the form, and it goes when the agent chooses again.
    let choose = "const s = document.querySelector('[data-test=transfer-form] select');
                  if (arguments[0] === 'gone') { s.add(new Option('Gone Agent', 'gone-agent')); s.value = 'gone-agent'; }
                  else { s.selectedIndex = 0; }
                  s.dispatchEvent(new Event('change', { bubbles: true })); return true;";
    js::<bool>(agent, choose, "gone".into()).await?;
    tab_to(agent, "[data-test=transfer-form] button[type=submit]").await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    wait_for_text(agent, false, "[data-test=transfer-refused]", "That colleague is no longer on the team.").await?;
    ensure!(page_texts(agent, ".flash").await?.is_empty(), "the refusal is told in the form, not at the top");
    js::<bool>(agent, choose, "again".into()).await?;
    eventually("the refusal goes once the agent chooses again", || async {
        Ok(page_texts(agent, "[data-test=transfer-refused]").await?.iter().all(|t| t.is_empty()).then_some(()))
    })
    .await?;
    tab_to(agent, "[data-test=transfer-form] input[type=text]").await?;
    type_keys(agent, HANDOVER_NOTE).await?;
    tab_to(agent, "[data-test=transfer-form] button[type=submit]").await?;
    checkout_chat_e2e::press(agent, ENTER).await?;
    wait_for_text(agent, false, "[data-test=handover] .handover-note", HANDOVER_NOTE).await?;
    let handover = page_texts(agent, "[data-test=handover]").await?;
    let expected = format!("Anna de Vries transferred the chat to {COLLEAGUE}: {HANDOVER_NOTE}");
    ensure!(handover == [expected], "the handover notice: {handover:?}");
    eventually("the transfer form closes once the handover is stored", || async {
        let form: bool =
            js(agent, "return !!document.querySelector('[data-test=transfer-form]');", serde_json::Value::Null).await?;
        Ok((!form).then_some(()))
    })
    .await?;
    Ok(())
}

const KEYBOARD_TRANSFER_ASKS: &str = "Can someone check my order NH-1042?";
