//! The console's components: login, the inbox, the conversation pane with the shopper panel
//! beside it, and the report page. They read the signals of [`AgentService`] and call its
//! methods; all I/O lives there and in `api`.

mod report_page;
mod shopper_panel;

use checkout_chat_client::socket::Status;
use checkout_chat_client::util::{clock, is_send_shortcut, now_ms};
use checkout_chat_protocol::timeline::{Line, Pending, PendingState};
use checkout_chat_protocol::{
    Author, ConversationId, ConversationStatus, ConversationSummary, EventBody, IdentityStatus,
};
use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;

use self::report_page::ReportPage;
use self::shopper_panel::ShopperPanel;
use crate::agent::AgentService;
use crate::api;

#[component]
pub fn App() -> impl IntoView {
    let service = AgentService::new();
    let checked = RwSignal::new(false);
    spawn_local(async move {
        if let Ok(Some(session)) = api::current_session().await {
            service.start(session);
        }
        checked.set(true);
    });
    view! {
        <Show when=move || checked.get()>
            <Show when=move || service.session.with(Option::is_some) fallback=move || view! { <Login service /> }>
                <Workspace service />
            </Show>
        </Show>
    }
}

#[component]
fn Login(service: AgentService) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        spawn_local(async move {
            match api::login(email.get_untracked(), password.get_untracked()).await {
                Ok(session) => service.start(session),
                Err(message) => error.set(Some(message)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="login">
            <form class="login-card" on:submit=on_submit>
                <div class="brand"><span class="brand-mark">"cc"</span>" checkout-chat"</div>
                <h1>"Agent console"</h1>
                <p class="muted">"Log in to answer your shop's shoppers."</p>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                <Show when=move || error.with(Option::is_some)>
                    <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
                </Show>
                <button class="primary" type="submit" disabled=move || busy.get()>"Log in"</button>
            </form>
        </main>
    }
}

/// The two views of the workspace, one per URL hash (`#inbox`, `#report`), so the report can be
/// linked to, and the browser's back button goes back to the conversations.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Page {
    Inbox,
    Report,
}

fn page_from_hash() -> Page {
    let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    if hash == "#report" { Page::Report } else { Page::Inbox }
}

#[component]
fn Workspace(service: AgentService) -> impl IntoView {
    // Waiting times in the inbox move on by themselves.
    let now = RwSignal::new(now_ms());
    let ticker = set_interval_with_handle(move || now.set(now_ms()), std::time::Duration::from_secs(15)).ok();
    on_cleanup(move || {
        if let Some(ticker) = ticker {
            ticker.clear();
        }
    });

    let page = RwSignal::new(page_from_hash());
    let hash_listener = window_event_listener(leptos::ev::hashchange, move |_| page.set(page_from_hash()));
    on_cleanup(move || hash_listener.remove());
    let current = move |which: Page| if page.get() == which { Some("page") } else { None };

    let agent_name = move || service.session.with(|s| s.as_ref().map(|s| s.agent.name.clone()).unwrap_or_default());
    let status_text = move || match service.status.get() {
        Status::Live => "Online",
        Status::Connecting | Status::Idle => "Connecting…",
        Status::Reconnecting => "Reconnecting…",
        Status::Stopped => "Disconnected",
    };
    view! {
        <div class="workspace">
            <header class="topbar">
                <div class="brand"><span class="brand-mark">"cc"</span>" checkout-chat"</div>
                <nav class="views" aria-label="Console">
                    <a href="#inbox" data-test="open-inbox" aria-current=move || current(Page::Inbox)>"Conversations"</a>
                    <a href="#report" data-test="open-report" aria-current=move || current(Page::Report)>"Report"</a>
                </nav>
                <div class="topbar-right">
                    <span class="presence" class:presence-live=move || service.status.get() == Status::Live role="status">
                        <span class="dot" aria-hidden="true"></span>{status_text}
                    </span>
                    <span class="agent-name">{agent_name}</span>
                    <button class="ghost" type="button" on:click=move |_| spawn_local(async move { service.logout().await })>
                        "Log out"
                    </button>
                </div>
            </header>
            // Hidden rather than removed while the report shows: a half-written reply stays.
            <div class="panes" hidden=move || page.get() != Page::Inbox>
                <Inbox service now />
                <ConversationPane service />
            </div>
            // Made afresh each time it is opened, so the numbers are current.
            <Show when=move || page.get() == Page::Report>
                <ReportPage />
            </Show>
        </div>
    }
}

#[component]
fn Inbox(service: AgentService, now: RwSignal<i64>) -> impl IntoView {
    let rows = move || {
        let mut rows = service.inbox.get();
        // Waiting shoppers first, longest waiting at the top; then the rest by last activity.
        rows.sort_by_key(|c| {
            let rank = match c.status {
                ConversationStatus::Waiting => 0,
                ConversationStatus::Active => 1,
                ConversationStatus::Closed => 2,
            };
            (rank, if c.status == ConversationStatus::Waiting { c.created_at_ms } else { -c.updated_at_ms })
        });
        rows
    };
    let waiting = move || service.inbox.with(|i| i.iter().filter(|c| c.status == ConversationStatus::Waiting).count());
    view! {
        <nav class="inbox" aria-label="Conversations">
            <h2>"Conversations" <span class="count">{move || format!("{} waiting", waiting())}</span></h2>
            <Show when=move || service.inbox.with(Vec::is_empty)>
                <p class="empty">"No open conversations. New chats appear here as shoppers write."</p>
            </Show>
            <ul>
                <For each=rows key=|c| (c.id.clone(), c.last_seq, c.status as u8) let:summary>
                    <InboxRow summary service now />
                </For>
            </ul>
        </nav>
    }
}

#[component]
fn InboxRow(summary: ConversationSummary, service: AgentService, now: RwSignal<i64>) -> impl IntoView {
    let id = summary.id.clone();
    let selected_id = id.clone();
    let is_selected = move || service.selected.with(|s| s.as_ref() == Some(&selected_id));
    let waiting = summary.status == ConversationStatus::Waiting;
    let since = summary.created_at_ms;
    let label = match (&summary.status, &summary.assigned_agent) {
        (ConversationStatus::Waiting, _) => "Waiting".to_owned(),
        (ConversationStatus::Closed, _) => "Ended".to_owned(),
        (_, Some(agent)) => agent.name.clone(),
        _ => "Open".to_owned(),
    };
    view! {
        <li>
            <button type="button" class="row" class:selected=is_selected on:click=move |_| service.select(id.clone())>
                <span class="row-top">
                    <span class="visitor">{summary.visitor_name.clone()}</span>
                    <span class="badge" class:badge-waiting=waiting>{label}</span>
                </span>
                <span class="preview" dir="auto">{summary.last_message.clone().unwrap_or_default()}</span>
                <span class="row-meta">
                    {move || if waiting { format!("waiting {}", duration(now.get() - since)) } else { clock(summary.updated_at_ms) }}
                </span>
            </button>
        </li>
    }
}

#[component]
fn ConversationPane(service: AgentService) -> impl IntoView {
    view! {
        <main class="conversation">
            {move || match service.selected.get() {
                None => view! { <p class="placeholder">"Choose a conversation on the left."</p> }.into_any(),
                Some(id) => view! {
                    <OpenConversation id=id.clone() service />
                    <ShopperPanel id service />
                }
                .into_any(),
            }}
        </main>
    }
}

#[component]
fn OpenConversation(id: ConversationId, service: AgentService) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let list = NodeRef::<leptos::html::Ol>::new();
    let me = service.session.with_untracked(|s| s.as_ref().map(|s| s.agent.id.clone()));
    // Stored so the closures below can be copied.
    let conversation = StoredValue::new(id);
    let title = move || {
        let id = conversation.get_value();
        service.inbox.with(|i| i.iter().find(|c| c.id == id).map(|c| c.visitor_name.clone()).unwrap_or_default())
    };
    let lines = move || {
        let id = conversation.get_value();
        service.timelines.with(|t| t.get(&id).map(|t| t.lines.clone()).unwrap_or_default())
    };
    let pending = move || {
        let id = conversation.get_value();
        service.timelines.with(|t| t.get(&id).map(|t| t.pending.clone()).unwrap_or_default())
    };
    let summary = move || {
        let id = conversation.get_value();
        service.inbox.with(|i| i.iter().find(|c| c.id == id).cloned())
    };
    // Only the user id is vouched for by the shop's signature; the name beside it is the page's.
    let identity = move || match summary().map(|s| (s.identity, s.user_id)) {
        Some((IdentityStatus::Verified, Some(user_id))) => {
            ("badge badge-verified", format!("Verified customer · user id {user_id}"))
        }
        Some((IdentityStatus::Verified, None)) => ("badge badge-verified", "Verified customer".to_owned()),
        Some((IdentityStatus::Unverified, _)) => ("badge badge-unverified", "Unverified".to_owned()),
        _ => ("badge", "Anonymous".to_owned()),
    };
    let contact = move || summary().and_then(|s| s.contact_email).map(|email| format!("Email: {email}"));
    let closed = move || {
        let id = conversation.get_value();
        service.timelines.with(|t| t.get(&id).is_some_and(|t| t.closed))
    };
    let typing = move || service.shopper_typing.with(|typing| typing.contains_key(&conversation.get_value()));
    Effect::new(move |_| {
        service.timelines.track();
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    // A note goes to the other agents only; the box says so while it is ticked.
    let as_note = RwSignal::new(false);
    let submit = move || {
        let (id, text) = (conversation.get_value(), draft.get_untracked());
        let sent = if as_note.get_untracked() { service.note(&id, &text) } else { service.send(&id, &text) };
        if sent {
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
    view! {
        <section class="thread" aria-label=title>
            <header class="thread-header">
                <div>
                    <h2>{title}</h2>
                    <p class="thread-meta">
                        <span class=move || identity().0>{move || identity().1}</span>
                        {move || contact().map(|c| view! { <span class="contact">{c}</span> })}
                    </p>
                </div>
                <Show when=move || !closed()>
                    <button class="ghost end-chat" type="button" on:click=move |_| service.close_conversation(&conversation.get_value())>
                        "End chat"
                    </button>
                </Show>
            </header>
            <ol class="messages" node_ref=list aria-live="polite">
                <For each=lines key=|line| line.seq let:line>
                    <LineView line me=me.clone() />
                </For>
                <For each=pending key=|p| (p.client_id.clone(), p.state != PendingState::Sending) let:pending>
                    <PendingView pending conversation=conversation.get_value() service />
                </For>
            </ol>
            <p class="typing" aria-live="polite">{move || typing().then_some("The shopper is typing…")}</p>
            <form class="composer" on:submit=on_submit>
                <textarea class="reply" rows="2" aria-label="Reply" placeholder="Write a reply… (Enter sends, Shift+Enter for a new line)"
                    prop:value=move || draft.get() disabled=closed
                    on:input=move |ev| {
                        draft.set(event_target_value(&ev));
                        // A note is not typing to the shopper.
                        if !as_note.get_untracked() { service.typing(&conversation.get_value()); }
                    }
                    on:keydown=on_keydown></textarea>
                <button class="primary" type="submit" disabled=move || draft.with(|d| d.trim().is_empty())>
                    {move || if as_note.get() { "Add note" } else { "Send" }}
                </button>
                <label class="note-toggle">
                    <input type="checkbox" prop:checked=move || as_note.get()
                        on:change=move |ev| {
                            let note = event_target_checked(&ev);
                            as_note.set(note);
                            if note { service.stop_typing(&conversation.get_value()); }
                        } />
                    " Internal note (only agents see it)"
                </label>
            </form>
        </section>
    }
}

#[component]
fn LineView(line: Line, me: Option<checkout_chat_protocol::AgentId>) -> impl IntoView {
    let time = clock(line.at_ms);
    let (who, mine) = match &line.author {
        Author::Visitor => ("Shopper".to_owned(), false),
        Author::Agent(agent) => (agent.name.clone(), Some(&agent.id) == me.as_ref()),
        Author::System => ("System".to_owned(), false),
    };
    let notice = |text: String| view! { <li class="notice">{text}</li> }.into_any();
    match line.body {
        EventBody::Joined => notice(format!("{who} joined the conversation")),
        EventBody::Closed => notice(format!("{who} ended the conversation")),
        EventBody::TranscriptRequested { email } => notice(format!("The shopper asked for the transcript at {email}")),
        EventBody::Rated { score, comment } => {
            let stars =
                format!("{}{}", "★".repeat(usize::from(score.min(5))), "☆".repeat(usize::from(5 - score.min(5))));
            let comment = comment.map(|c| format!(" “{c}”")).unwrap_or_default();
            view! { <li class="notice rating" dir="auto">{format!("Rated {stars} ({score}/5){comment}")}</li> }
                .into_any()
        }
        EventBody::Message { text } => view! {
            <li class="message" class:mine=mine>
                <span class="author">{who}</span>
                <div class="bubble" dir="auto">{text}</div>
                <span class="meta">{time}</span>
            </li>
        }
        .into_any(),
        // What the shopper was answering: their first message reads oddly without it.
        EventBody::Prompted { rule_id, message } => view! {
            <li class="notice prompted">
                {format!("Prompt “{rule_id}”: ")}<bdi class="prompt-text">{message}</bdi>
            </li>
        }
        .into_any(),
        EventBody::Note { text } => view! {
            <li class="message note" class:mine=mine>
                <span class="author">{format!("{who} · internal note")}</span>
                <div class="bubble" dir="auto">{text}</div>
                <span class="meta">{time}</span>
            </li>
        }
        .into_any(),
        EventBody::LeftMessage { email, text } => view! {
            <li class="message">
                <span class="author">{format!("{who} left a message – reply to {email}")}</span>
                <div class="bubble" dir="auto">{text}</div>
                <span class="meta">{time}</span>
            </li>
        }
        .into_any(),
    }
}

#[component]
fn PendingView(pending: Pending, conversation: ConversationId, service: AgentService) -> impl IntoView {
    let Pending { client_id, text, state, .. } = pending;
    let meta = match state {
        PendingState::Sending => view! { <span class="meta">"Sending…"</span> }.into_any(),
        PendingState::Failed(reason) => {
            let (retry, discard) = ((conversation.clone(), client_id.clone()), (conversation, client_id));
            view! {
                <span class="meta failed" role="alert">
                    {format!("Not sent {reason} · ")}
                    <button type="button" class="link" on:click=move |_| service.retry(&retry.0, &retry.1)>"Retry"</button>
                    " · "
                    <button type="button" class="link" on:click=move |_| service.discard(&discard.0, &discard.1)>"Discard"</button>
                </span>
            }
            .into_any()
        }
    };
    view! {
        <li class="message mine pending">
            <div class="bubble" dir="auto">{text}</div>
            {meta}
        </li>
    }
}

/// "45 s", "3 min", "2 h 5 min".
fn duration(ms: i64) -> String {
    let seconds = (ms / 1000).max(0);
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min", seconds / 60),
        _ => format!("{} h {} min", seconds / 3600, (seconds % 3600) / 60),
    }
}
