//! The message log: day separators, each stored line once, the shopper's unsent messages with
//! their state, who is typing, and the shopper's place in the queue.

use checkout_chat_protocol::text::{Segment, linkify};
use checkout_chat_protocol::timeline::{Line, Pending, PendingState};
use checkout_chat_protocol::{Author, EventBody};
use leptos::prelude::*;

use super::panel::waiting_for_agent;
use crate::connection::ChatService;
use crate::format;
use crate::i18n::{Locale, Text};

/// A row of the log.
#[derive(Clone)]
enum Row {
    Day(String),
    Line(Line, bool),
}

/// The stored lines with a separator before each new day; the shopper's last stored message is
/// marked, to show "Sent" under it.
fn rows(lines: &[Line], locale: Locale) -> Vec<Row> {
    let last_own = lines.iter().rev().find(|l| l.author == Author::Visitor).map(|l| l.seq);
    let mut rows = Vec::with_capacity(lines.len() + 2);
    let mut day = None;
    for line in lines {
        let this_day = format::day(line.at_ms);
        if day != Some(this_day) {
            day = Some(this_day);
            rows.push(Row::Day(format::day_label(line.at_ms, locale)));
        }
        rows.push(Row::Line(line.clone(), Some(line.seq) == last_own));
    }
    rows
}

#[component]
pub fn Log(service: ChatService, locale: Locale) -> impl IntoView {
    let list = NodeRef::<leptos::html::Div>::new();
    // Keep the newest line in view.
    Effect::new(move |_| {
        service.timeline.track();
        service.agent_typing.track();
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    let rows = move || service.timeline.with(|t| rows(&t.lines, locale));
    let pending = move || service.timeline.with(|t| t.pending.clone());
    let typing = move || service.agent_typing.get().map(|name| locale.fill(Text::Typing, "name", &name));
    let queue = move || {
        let (position, estimate) = service.queue.get().filter(|_| waiting_for_agent(service))?;
        let place = if position <= 1 {
            locale.t(Text::QueueNext).to_owned()
        } else {
            locale.fill(Text::QueuePosition, "n", &format::number(position, locale))
        };
        let wait = match estimate {
            Some(seconds) if seconds < 60 => locale.t(Text::EstimatedWaitShort).to_owned(),
            Some(seconds) => locale.fill(Text::EstimatedWait, "n", &format::number(seconds.div_ceil(60), locale)),
            None => locale.t(Text::NoEstimate).to_owned(),
        };
        Some(format!("{place} {wait}"))
    };
    view! {
        <div class="cc-log" node_ref=list role="log" aria-live="polite" aria-relevant="additions">
            <p class="cc-greeting">{locale.t(Text::Greeting)}</p>
            {move || {
                rows()
                    .into_iter()
                    .map(|row| match row {
                        Row::Day(label) => view! { <p class="cc-day"><span>{label}</span></p> }.into_any(),
                        Row::Line(line, last_own) => view! { <LineView line last_own locale /> }.into_any(),
                    })
                    .collect_view()
            }}
            {move || pending().into_iter().map(|pending| view! { <PendingView pending service locale /> }).collect_view()}
            {move || queue().map(|text| view! { <p class="cc-notice cc-queue" role="status">{text}</p> })}
            {move || typing().map(|text| view! { <p class="cc-typing">{text}</p> })}
        </div>
    }
}

/// Message text with its web links made safe links (new tab, no opener, no referrer).
fn rich_text(text: &str) -> impl IntoView + use<> {
    linkify(text)
        .into_iter()
        .map(|segment| match segment {
            Segment::Text(text) => text.to_owned().into_any(),
            Segment::Link(url) => {
                view! { <a href=url.to_owned() target="_blank" rel="noopener noreferrer">{url.to_owned()}</a> }
                    .into_any()
            }
        })
        .collect_view()
}

#[component]
fn LineView(line: Line, last_own: bool, locale: Locale) -> impl IntoView {
    let time = format::time(line.at_ms, locale);
    let t = move |text: Text| locale.t(text);
    let agent_name = match &line.author {
        Author::Agent(agent) => agent.name.clone(),
        _ => String::new(),
    };
    match (line.body, line.author) {
        (EventBody::Message { text }, Author::Visitor) | (EventBody::LeftMessage { text, .. }, Author::Visitor) => {
            view! {
                <div class="cc-line cc-mine">
                    <span class="cc-sr">{t(Text::You)}": "</span>
                    <div class="cc-bubble" dir="auto">{rich_text(&text)}</div>
                    <div class="cc-meta">
                        {time}
                        {last_own.then(|| format!(" · {}", t(Text::Sent)))}
                    </div>
                </div>
            }
            .into_any()
        }
        (EventBody::Message { text }, Author::Agent(agent)) => view! {
            <div class="cc-line cc-theirs">
                <span class="cc-avatar" aria-hidden="true">{agent.initials()}</span>
                <div class="cc-body">
                    <div class="cc-author">{agent.name.clone()}</div>
                    <div class="cc-bubble" dir="auto">{rich_text(&text)}</div>
                    <div class="cc-meta">{time}</div>
                </div>
            </div>
        }
        .into_any(),
        (EventBody::Joined, _) => notice(locale.fill(Text::Joined, "name", &agent_name)),
        (EventBody::Closed, _) => notice(t(Text::ChatEnded).to_owned()),
        (EventBody::TranscriptRequested { email }, _) => {
            notice(locale.fill(Text::TranscriptRequested, "email", &email))
        }
        (EventBody::LeftMessage { email, .. }, _) => notice(locale.fill(Text::LeftMessageThanks, "email", &email)),
        (EventBody::Rated { .. }, _) => notice(t(Text::ThanksForRating).to_owned()),
        (EventBody::Message { text }, Author::System) => notice(text),
    }
}

fn notice(text: String) -> AnyView {
    view! { <p class="cc-notice">{text}</p> }.into_any()
}

#[component]
fn PendingView(pending: Pending, service: ChatService, locale: Locale) -> impl IntoView {
    let Pending { client_id, text, state, .. } = pending;
    let t = move |text: Text| locale.t(text);
    let meta = match state {
        PendingState::Sending => view! { <div class="cc-meta">{t(Text::Sending)}</div> }.into_any(),
        PendingState::Failed(reason) => {
            let (retry_id, discard_id) = (client_id.clone(), client_id);
            let reason = if reason.is_empty() { String::new() } else { format!(" ({reason})") };
            view! {
                <div class="cc-meta cc-failed" role="alert">
                    {t(Text::NotSent)}{reason}" · "
                    <button type="button" class="cc-link" on:click=move |_| service.retry(&retry_id)>
                        {t(Text::Retry)}
                    </button>
                    " · "
                    <button type="button" class="cc-link" on:click=move |_| service.discard(&discard_id)>
                        {t(Text::Discard)}
                    </button>
                </div>
            }
            .into_any()
        }
    };
    view! {
        <div class="cc-line cc-mine cc-pending">
            <div class="cc-bubble" dir="auto">{text}</div>
            {meta}
        </div>
    }
}
