//! The chat panel: header with the shop's name, the connection's state and a menu (transcript);
//! the message log; and at the bottom whatever the shopper can do now (write, leave a message,
//! rate).

use checkout_chat_client::socket::Status;
use checkout_chat_protocol::EventBody;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::forms::{Composer, Ended, OfflineForm, TranscriptMenu};
use super::icons;
use super::messages::Log;
use crate::api::Ui;
use crate::connection::ChatService;
use crate::i18n::{Locale, Text};

/// What the bottom of the panel offers.
#[derive(Clone, Copy, PartialEq)]
enum Footer {
    Compose,
    LeaveMessage,
    /// Ended, and whether the shopper has rated it.
    Ended(bool),
}

#[component]
pub fn Panel(service: ChatService, ui: Ui, locale: Locale, viewport: RwSignal<Option<(i32, i32)>>) -> impl IntoView {
    let t = move |text: Text| locale.t(text);
    let nobody_online = move || service.live.with(|l| l.agents_online) == Some(0);
    let status = move || {
        let (text, ok) = match service.live.with(|l| l.status) {
            Status::Connecting => (Text::Connecting, false),
            Status::Reconnecting | Status::Stopped => (Text::Reconnecting, false),
            Status::Live if nobody_online() => (Text::Offline, false),
            Status::Live | Status::Idle => (Text::Online, true),
        };
        view! {
            <p class=if ok { "cc-status" } else { "cc-status cc-status-offline" }>
                <span class="cc-dot" aria-hidden="true"></span>
                {t(text)}
            </p>
        }
    };
    let footer = Memo::new(move |_| {
        let (closed, rated, empty) = service
            .timeline
            .with(|t| (t.closed, t.rating.is_some(), t.id.is_none() && t.lines.is_empty() && t.pending.is_empty()));
        if closed {
            Footer::Ended(rated)
        } else if empty && nobody_online() {
            Footer::LeaveMessage
        } else {
            Footer::Compose
        }
    });
    let on_key = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ui.open.set(false);
        }
    };
    view! {
        <section
            class="cc-panel"
            role="dialog"
            aria-labelledby="cc-title"
            on:keydown=on_key
            style=move || viewport.get().map(|(height, top)| format!("--cc-vh:{height}px;--cc-vt:{top}px"))
        >
            <header class="cc-header">
                <div class="cc-heading">
                    <h2 class="cc-title" id="cc-title">
                        {move || service.live.with(|l| l.shop_name.clone()).unwrap_or_else(|| t(Text::ChatWithUs).to_owned())}
                    </h2>
                    {status}
                </div>
                {move || service.timeline.with(|t| !t.lines.is_empty()).then(|| view! { <TranscriptMenu service locale /> })}
                <button
                    class="cc-icon-button"
                    type="button"
                    aria-label=t(Text::CloseChat)
                    title=t(Text::CloseChat)
                    on:click=move |_| ui.open.set(false)
                >
                    <span class="cc-icon" inner_html=icons::CLOSE></span>
                </button>
            </header>
            <Log service locale />
            {move || service.live.with(|l| l.masked_notice).then(|| view! { <p class="cc-note" role="status">{t(Text::CardMasked)}</p> })}
            {move || match footer.get() {
                Footer::Ended(_) => view! { <Ended service locale /> }.into_any(),
                Footer::LeaveMessage => view! { <OfflineForm service locale /> }.into_any(),
                Footer::Compose => view! { <Composer service locale /> }.into_any(),
            }}
        </section>
    }
}

/// On phones the on-screen keyboard shrinks the visual viewport but not the layout viewport, so
/// a full-screen panel would hide its input under the keyboard: size the panel to what is
/// visible (the stylesheet uses these only on narrow screens). Height and top, in whole pixels.
pub fn visual_viewport() -> RwSignal<Option<(i32, i32)>> {
    let size = RwSignal::new(None::<(i32, i32)>);
    let listener = wasm_bindgen::closure::Closure::<dyn Fn(i32, i32)>::new(move |height, top| size.set(Some((height, top))));
    crate::host::watch_viewport(listener.as_ref());
    listener.forget();
    size
}

/// Whether the conversation shows the queue: waiting for an agent, not ended.
pub fn waiting_for_agent(service: ChatService) -> bool {
    service.timeline.with(|t| !t.closed && t.id.is_some() && !t.lines.iter().any(|l| l.body == EventBody::Joined))
}
