//! The chat panel: header with the shop's name, the connection's state and a menu (transcript);
//! the message log; and at the bottom whatever the shopper can do now (write, leave a message,
//! rate).

use checkout_chat_client::socket::Status;
use checkout_chat_protocol::EventBody;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::forms::{Composer, OfflineForm, TranscriptMenu};
use super::icons;
use super::messages::Log;
use crate::api::Ui;
use crate::connection::ChatService;
use crate::i18n::{Locale, Text};

/// What the bottom of the panel offers (as numbers: a `Memo<u32>` shares its code with the
/// widget's other one). After the end it is still the composer: writing again reopens the chat.
const COMPOSE: u32 = 0;
const LEAVE_MESSAGE: u32 = 1;

#[component]
pub fn Panel(service: ChatService, ui: Ui, locale: Locale) -> impl IntoView {
    let t = move |text: Text| locale.t(text);
    let nobody_online = move || service.live.with(|l| l.agents_online) == Some(0);
    let status = move || {
        let (text, ok) = match service.live.with(|l| l.status) {
            Status::Connecting => (Text::Connecting, false),
            Status::Reconnecting | Status::Stopped => (Text::Reconnecting, false),
            Status::Live if nobody_online() => (Text::Offline, false),
            Status::Live | Status::Idle => (Text::Online, true),
        };
        // The shop's own reply time replaces the built-in one.
        let own = if ok { service.live.with(|l| l.reply_time.clone()) } else { None };
        view! {
            <p class=if ok { "cc-status" } else { "cc-status cc-status-offline" }>
                <span class="cc-dot" aria-hidden="true"></span>
                {own.unwrap_or_else(|| t(text).to_owned())}
            </p>
        }
    };
    // Once the leave-a-message form is shown for an empty chat, it stays while the chat is
    // empty: an agent coming online must not swap away what the shopper is typing.
    let footer = Memo::new(move |shown: Option<&u32>| {
        let empty = service.timeline.with(|t| t.id.is_none() && t.lines.is_empty() && t.pending.is_empty());
        match shown {
            _ if !empty => COMPOSE,
            Some(&LEAVE_MESSAGE) => LEAVE_MESSAGE,
            _ if nobody_online() => LEAVE_MESSAGE,
            _ => COMPOSE,
        }
    });
    let on_key = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            super::let_focus_follow(true);
            ui.open.set(false);
        } else if ev.key() == "Tab" {
            crate::host::keep_focus_in(&ev);
        }
    };
    view! {
        <section
            class="cc-panel"
            role="dialog"
            aria-labelledby="cc-title"
            on:keydown=on_key
        >
            <header class="cc-header">
                <div class="cc-heading">
                    <h2 class="cc-title" id="cc-title">
                        {move || service.live.with(|l| l.shop_name.clone()).unwrap_or_else(|| t(Text::ChatWithUs).to_owned())}
                    </h2>
                    // A lasting live region: its changing content is read out.
                    <div role="status">{status}</div>
                </div>
                {move || service.timeline.with(|t| !t.lines.is_empty()).then(|| view! { <TranscriptMenu service locale /> })}
                <button
                    class="cc-icon-button"
                    type="button"
                    aria-label=t(Text::CloseChat)
                    title=t(Text::CloseChat)
                    on:click=move |_| {
                        super::let_focus_follow(true);
                        ui.open.set(false);
                    }
                >
                    <span class="cc-icon" inner_html=icons::CLOSE></span>
                </button>
            </header>
            <Log service locale />
            {move || service.live.with(|l| l.masked_notice).then(|| view! { <p class="cc-note" role="status">{t(Text::CardMasked)}</p> })}
            {move || match footer.get() {
                LEAVE_MESSAGE => view! { <OfflineForm service locale /> }.into_any(),
                _ => view! { <Composer service locale /> }.into_any(),
            }}
        </section>
    }
}

/// Whether the conversation shows the queue: waiting for an agent, not ended.
pub fn waiting_for_agent(service: ChatService) -> bool {
    service.timeline.with(|t| !t.closed && t.id.is_some() && !t.lines.iter().any(|l| l.body == EventBody::Joined))
}
