//! The widget's components: the launcher button and the chat panel. They read the signals of
//! [`ChatService`] and call its methods; all I/O lives there.

use checkout_chat_protocol::{AgentProfile, Author};
use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;

use checkout_chat_client::socket::Status;
use checkout_chat_client::util::{clock, is_send_shortcut};
use checkout_chat_protocol::timeline::{Line, LineKind, Pending, PendingState};

use crate::connection::ChatService;
use crate::i18n::{Locale, Text};

#[component]
pub fn Widget(service: ChatService, locale: Locale, initially_open: bool) -> impl IntoView {
    let open = RwSignal::new(initially_open);
    Effect::new(move |_| {
        if open.get() {
            service.connect();
        }
    });
    let label = move || locale.t(if open.get() { Text::CloseChat } else { Text::OpenChat });
    view! {
        <div class="cc-root" class:cc-is-open=move || open.get()>
            <Show when=move || open.get()>
                <Panel service locale on_close=Callback::new(move |()| open.set(false)) />
            </Show>
            <button
                class="cc-launcher"
                type="button"
                aria-label=label
                title=label
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <Show when=move || open.get() fallback=|| view! { <ChatIcon /> }>
                    <CloseIcon />
                </Show>
            </button>
        </div>
    }
}

#[component]
fn Panel(service: ChatService, locale: Locale, on_close: Callback<()>) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let list = NodeRef::<leptos::html::Ol>::new();
    let input = NodeRef::<leptos::html::Textarea>::new();

    // Keep the newest line in view.
    Effect::new(move |_| {
        service.timeline.track();
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    Effect::new(move |_| {
        if let Some(input) = input.get() {
            let _ = input.focus();
        }
    });

    let submit = move || {
        if service.send(&draft.get_untracked()) {
            draft.set(String::new());
        }
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        submit();
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if is_send_shortcut(&ev) {
            ev.prevent_default();
            submit();
        }
    };
    let on_panel_key = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            on_close.run(());
        }
    };
    let title = move || service.shop_name.get().unwrap_or_else(|| locale.t(Text::ChatWithUs).to_owned());
    let status = move || {
        locale.t(match service.status.get() {
            Status::Live | Status::Idle => Text::Online,
            Status::Connecting => Text::Connecting,
            Status::Reconnecting | Status::Stopped => Text::Reconnecting,
        })
    };
    let lines = move || service.timeline.with(|c| c.lines.clone());
    let pending = move || service.timeline.with(|c| c.pending.clone());

    view! {
        <section class="cc-panel" role="dialog" aria-label=locale.t(Text::ChatWithUs) on:keydown=on_panel_key>
            <header class="cc-header">
                <div class="cc-heading">
                    <h2 class="cc-title">{title}</h2>
                    <p
                        class="cc-status"
                        class:cc-status-offline=move || service.status.get() == Status::Reconnecting
                        role="status"
                    >
                        <span class="cc-dot" aria-hidden="true"></span>
                        {status}
                    </p>
                </div>
                <button
                    class="cc-close"
                    type="button"
                    aria-label=locale.t(Text::CloseChat)
                    title=locale.t(Text::CloseChat)
                    on:click=move |_| on_close.run(())
                >
                    <CloseIcon />
                </button>
            </header>
            <ol class="cc-messages" node_ref=list aria-live="polite" aria-relevant="additions">
                <li class="cc-line cc-greeting">{locale.t(Text::Greeting)}</li>
                <For each=lines key=|line| line.seq let:line>
                    <LineView line locale />
                </For>
                <For each=pending key=|p| (p.client_id.clone(), p.state != PendingState::Sending) let:pending>
                    <PendingView pending service locale />
                </For>
            </ol>
            <form class="cc-composer" on:submit=on_submit>
                <textarea
                    class="cc-input"
                    rows="1"
                    node_ref=input
                    aria-label=locale.t(Text::MessageLabel)
                    placeholder=locale.t(Text::Placeholder)
                    maxlength=checkout_chat_protocol::limits::MAX_MESSAGE_CHARS.to_string()
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=on_keydown
                ></textarea>
                <button
                    class="cc-send"
                    type="submit"
                    aria-label=locale.t(Text::Send)
                    title=locale.t(Text::Send)
                    disabled=move || draft.with(|d| d.trim().is_empty())
                >
                    <SendIcon />
                </button>
            </form>
        </section>
    }
}

#[component]
fn LineView(line: Line, locale: Locale) -> impl IntoView {
    let time = clock(line.at_ms);
    match (line.kind, line.author) {
        (LineKind::Joined, author) => {
            let name = agent_name(&author);
            view! { <li class="cc-line cc-notice">{format!("{name} {}", locale.t(Text::Joined))}</li> }.into_any()
        }
        (LineKind::Message(text), Author::Visitor) => view! {
            <li class="cc-line cc-mine">
                <span class="cc-sr">{locale.t(Text::You)}": "</span>
                <div class="cc-bubble">{text}</div>
                <div class="cc-meta">{time}</div>
            </li>
        }
        .into_any(),
        (LineKind::Message(text), author) => {
            let (name, initials) = match &author {
                Author::Agent(agent) => (agent.name.clone(), agent.initials()),
                _ => (String::new(), String::new()),
            };
            view! {
                <li class="cc-line cc-theirs">
                    <span class="cc-avatar" aria-hidden="true">{initials}</span>
                    <div class="cc-body">
                        <div class="cc-author">{name}</div>
                        <div class="cc-bubble">{text}</div>
                        <div class="cc-meta">{time}</div>
                    </div>
                </li>
            }
            .into_any()
        }
    }
}

#[component]
fn PendingView(pending: Pending, service: ChatService, locale: Locale) -> impl IntoView {
    let Pending { client_id, text, state, .. } = pending;
    let meta = match state {
        PendingState::Sending => view! { <div class="cc-meta">{locale.t(Text::Sending)}</div> }.into_any(),
        PendingState::Failed(reason) => {
            let (retry_id, discard_id) = (client_id.clone(), client_id);
            let reason = if reason.is_empty() { String::new() } else { format!(" ({reason})") };
            view! {
                <div class="cc-meta cc-failed" role="alert">
                    {locale.t(Text::NotSent)}{reason}" · "
                    <button type="button" class="cc-link" on:click=move |_| service.retry(&retry_id)>
                        {locale.t(Text::Retry)}
                    </button>
                    " · "
                    <button type="button" class="cc-link" on:click=move |_| service.discard(&discard_id)>
                        {locale.t(Text::Discard)}
                    </button>
                </div>
            }
            .into_any()
        }
    };
    view! {
        <li class="cc-line cc-mine cc-pending">
            <div class="cc-bubble">{text}</div>
            {meta}
        </li>
    }
}

fn agent_name(author: &Author) -> String {
    match author {
        Author::Agent(AgentProfile { name, .. }) => name.clone(),
        _ => String::new(),
    }
}

#[component]
fn ChatIcon() -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">
            <path
                fill="currentColor"
                d="M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4 21.5l4.6-2.2c1.1.3 2.2.5 3.4.5 5.5 0 10-3.8 10-8.5S17.5 3 12 3Z"
            />
        </svg>
    }
}

#[component]
fn CloseIcon() -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
            <path fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" d="M6 6l12 12M18 6 6 18" />
        </svg>
    }
}

#[component]
fn SendIcon() -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path fill="currentColor" d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z" />
        </svg>
    }
}
