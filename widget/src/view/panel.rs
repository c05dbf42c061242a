//! The chat panel: header with the shop's name, the connection's state and a menu; the message
//! log; and at the bottom whatever the shopper can do now (write, leave a message, rate).

use checkout_chat_client::socket::Status;
use checkout_chat_protocol::EventBody;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::forms::{Composer, EmailTranscriptForm, Ended, OfflineForm};
use super::icons;
use super::messages::Log;
use crate::api::Ui;
use crate::connection::ChatService;
use crate::i18n::{Locale, Text};

#[component]
pub fn Panel(service: ChatService, ui: Ui, locale: Locale, viewport: Signal<String>) -> impl IntoView {
    let t = move |text: Text| locale.t(text);
    let menu_open = RwSignal::new(false);
    let emailing = RwSignal::new(false);
    let title = move || service.shop_name.get().unwrap_or_else(|| t(Text::ChatWithUs).to_owned());
    let nobody_online = move || service.agents_online.get() == Some(0);
    let status = move || {
        t(match service.status.get() {
            Status::Connecting => Text::Connecting,
            Status::Reconnecting | Status::Stopped => Text::Reconnecting,
            Status::Live if nobody_online() => Text::Offline,
            Status::Live | Status::Idle => Text::Online,
        })
    };
    let has_history = move || service.timeline.with(|t| !t.lines.is_empty());
    let closed = move || service.timeline.with(|t| t.closed);
    let empty = move || service.timeline.with(|t| t.id.is_none() && t.lines.is_empty() && t.pending.is_empty());
    let offline_form = move || nobody_online() && empty();
    let on_key = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            if menu_open.get_untracked() {
                menu_open.set(false);
            } else {
                ui.open.set(false);
            }
        }
    };
    let download = move |_| {
        menu_open.set(false);
        super::forms::download_transcript(service, locale);
    };
    view! {
        <section class="cc-panel" role="dialog" aria-labelledby="cc-title" on:keydown=on_key style=viewport>
            <header class="cc-header">
                <div class="cc-heading">
                    <h2 class="cc-title" id="cc-title">{title}</h2>
                    <p class="cc-status" class:cc-status-offline=move || service.status.get() != Status::Live || nobody_online()>
                        <span class="cc-dot" aria-hidden="true"></span>
                        {status}
                    </p>
                </div>
                {move || has_history().then(|| view! {
                    <div class="cc-menu">
                        <button
                            class="cc-icon-button"
                            type="button"
                            aria-haspopup="true"
                            aria-expanded=move || menu_open.get().to_string()
                            aria-label=format!("{} / {}", t(Text::DownloadTranscript), t(Text::EmailTranscript))
                            on:click=move |_| menu_open.update(|o| *o = !*o)
                        >
                            <span class="cc-icon" inner_html=icons::MORE></span>
                        </button>
                        {move || menu_open.get().then(|| view! {
                            <div class="cc-menu-list">
                                <button type="button" class="cc-menu-item" on:click=download>{t(Text::DownloadTranscript)}</button>
                                <button
                                    type="button"
                                    class="cc-menu-item"
                                    disabled=move || service.status.get() != Status::Live
                                    on:click=move |_| {
                                        menu_open.set(false);
                                        emailing.set(true);
                                    }
                                >
                                    {t(Text::EmailTranscript)}
                                </button>
                            </div>
                        })}
                    </div>
                })}
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
            {move || emailing.get().then(|| view! { <EmailTranscriptForm service locale done=emailing /> })}
            {move || service.masked_notice.get().then(|| view! {
                <p class="cc-note" role="status">
                    {t(Text::CardMasked)}
                    <button type="button" class="cc-link" on:click=move |_| service.masked_notice.set(false) aria-label=t(Text::CloseChat)>"×"</button>
                </p>
            })}
            {move || {
                if closed() {
                    view! { <Ended service locale /> }.into_any()
                } else if offline_form() {
                    view! { <OfflineForm service locale /> }.into_any()
                } else {
                    view! { <Composer service locale /> }.into_any()
                }
            }}
        </section>
    }
}

/// On phones the on-screen keyboard shrinks the visual viewport but not the layout viewport, so
/// a full-screen panel would hide its input under the keyboard: size the panel to what is
/// visible (the stylesheet uses these only on narrow screens).
pub fn visual_viewport_style() -> Signal<String> {
    let size = RwSignal::new(None::<(f64, f64)>);
    let measure = move || {
        if let Some(viewport) = web_sys::window().and_then(|w| w.visual_viewport()) {
            size.set(Some((viewport.height(), viewport.offset_top())));
        }
    };
    measure();
    if let Some(viewport) = web_sys::window().and_then(|w| w.visual_viewport()) {
        let listener = wasm_bindgen::closure::Closure::<dyn Fn()>::new(measure);
        use wasm_bindgen::JsCast;
        let _ = viewport.add_event_listener_with_callback("resize", listener.as_ref().unchecked_ref());
        let _ = viewport.add_event_listener_with_callback("scroll", listener.as_ref().unchecked_ref());
        listener.forget();
    }
    Signal::derive(move || match size.get() {
        // Whole pixels: formatting floats would cost the bundle several KB.
        Some((height, top)) => format!("--cc-vh:{}px;--cc-vt:{}px", height as i32, top as i32),
        None => String::new(),
    })
}

/// Whether the conversation shows the queue: waiting for an agent, not ended.
pub fn waiting_for_agent(service: ChatService) -> bool {
    service.timeline.with(|t| !t.closed && t.id.is_some() && !t.lines.iter().any(|l| l.body == EventBody::Joined))
}
