//! The message log: day separators, each stored line once, the shopper's unsent messages with
//! their state, who is typing, and the shopper's place in the queue. Every message, stored or
//! not, mine or theirs, uses one template, which keeps the bundle small.

use checkout_chat_protocol::text::{Segment, linkify};
use checkout_chat_protocol::timeline::{Line, PendingState};
use checkout_chat_protocol::{Author, ClientId, EventBody};
use leptos::prelude::*;

use super::forms::RatingCard;
use super::panel::waiting_for_agent;
use crate::connection::ChatService;
use crate::host as format;
use crate::i18n::{Locale, Text};

/// One row of the log, ready to draw.
#[derive(Clone)]
enum Row {
    /// A day separator, or a one-line notice ("Anna joined the chat").
    Notice(String, &'static str),
    Message(Message),
}

#[derive(Clone)]
struct Message {
    mine: bool,
    /// Not stored by the relay yet.
    pending: bool,
    /// The agent's name and initials, on their messages.
    author: Option<(String, String)>,
    text: String,
    meta: String,
    /// An unsent message the relay refused: offer retry and discard.
    failed: Option<ClientId>,
}

fn rows(service: ChatService, locale: Locale) -> Vec<Row> {
    let prompt = service.live.with(|l| l.prompt_text.clone());
    service.timeline.with(|timeline| {
        let last_own = timeline.lines.iter().rev().find(|l| l.author == Author::Visitor).map(|l| l.seq);
        let mut rows = Vec::with_capacity(timeline.lines.len() + timeline.pending.len() + 2);
        let mut day = None;
        for line in &timeline.lines {
            let this_day = format::day(line.at_ms);
            if day != Some(this_day) {
                day = Some(this_day);
                rows.push(Row::Notice(format::day_label(line.at_ms, locale), "cc-day"));
            }
            rows.push(row(line, Some(line.seq) == last_own, locale));
            if let EventBody::LeftMessage { email, .. } = &line.body {
                rows.push(Row::Notice(locale.fill(Text::LeftMessageThanks, "email", email), "cc-notice"));
            }
        }
        // The prompt the shopper answered, until the relay has stored it (also above the
        // leave-a-message form when nobody is online, and under an ended chat it will reopen).
        if let Some(text) = prompt.filter(|_| timeline.lines.is_empty() || timeline.closed) {
            rows.push(from_the_shop(text, String::new(), locale));
        }
        for pending in &timeline.pending {
            let (meta, failed) = match &pending.state {
                PendingState::Sending => (locale.t(Text::Sending).to_owned(), None),
                PendingState::Failed(reason) => {
                    (format!("{} {reason}", locale.t(Text::NotSent)), Some(pending.client_id.clone()))
                }
            };
            let text = pending.text.clone();
            rows.push(Row::Message(Message { mine: true, pending: true, author: None, text, meta, failed }));
        }
        rows
    })
}

fn row(line: &Line, last_own: bool, locale: Locale) -> Row {
    let time = format::time(line.at_ms, locale);
    let notice = |text: String| Row::Notice(text, "cc-notice");
    match (&line.body, &line.author) {
        (EventBody::Message { text } | EventBody::LeftMessage { text, .. }, Author::Visitor) => {
            let meta = if last_own { format!("{time} · {}", locale.t(Text::Sent)) } else { time };
            Row::Message(Message { mine: true, pending: false, author: None, text: text.clone(), meta, failed: None })
        }
        (EventBody::Message { text }, Author::Agent(agent)) => Row::Message(Message {
            mine: false,
            pending: false,
            author: Some((agent.name.clone(), agent.initials())),
            text: text.clone(),
            meta: time,
            failed: None,
        }),
        (EventBody::Joined, Author::Agent(agent)) => notice(locale.fill(Text::Joined, "name", &agent.name)),
        (EventBody::Closed { .. }, _) => notice(locale.t(Text::ChatEnded).to_owned()),
        (EventBody::TranscriptRequested { email }, _) => notice(locale.fill(Text::TranscriptRequested, "email", email)),
        (EventBody::Rated { .. }, _) => notice(locale.t(Text::ThanksForRating).to_owned()),
        // Agents' internal notes never reach a shopper (the relay holds them back); nothing to show.
        (EventBody::Message { text } | EventBody::LeftMessage { text, .. }, _) => notice(text.clone()),
        // Reopened: the shopper's own next words follow; nothing to say.
        (EventBody::Note { .. } | EventBody::Handover { .. } | EventBody::Reopened, _) => notice(String::new()),
        // The prompt the shopper answered (the relay wrote it in their language), from the shop.
        (EventBody::Prompted { message, .. }, _) => from_the_shop(message.clone(), time, locale),
        (EventBody::Joined, _) => notice(locale.fill(Text::Joined, "name", locale.t(Text::AgentFallbackName))),
    }
}

/// A message from the shop itself (not an agent): a prompt.
fn from_the_shop(text: String, meta: String, locale: Locale) -> Row {
    let team = locale.t(Text::AgentFallbackName);
    Row::Message(Message {
        mine: false,
        pending: false,
        author: Some((team.to_owned(), team.chars().take(1).collect())),
        text,
        meta,
        failed: None,
    })
}

#[component]
pub fn Log(service: ChatService, locale: Locale) -> impl IntoView {
    // Keep the newest line in view: when a line, an unsent message or a notice under them comes,
    // not on every other change (which would pull a shopper reading back down). The three are
    // packed in one number (a tuple would cost the bundle another copy of the effect's code).
    Effect::new(move |shown: Option<u32>| {
        let lines = service.timeline.with(|t| (t.last_seq as u32) << 8 | (t.pending.len() as u32 & 0x7f) << 1);
        let now = lines | u32::from(service.live.with(|l| l.agent_typing.is_some() || l.queue.is_some()));
        if shown != Some(now)
            && let Some(list) = super::find::<web_sys::Element>(".cc-log")
        {
            list.set_scroll_top(list.scroll_height());
        }
        now
    });
    let footnote = move || {
        if let Some(name) = service.live.with(|l| l.agent_typing.clone()) {
            return Some(("cc-typing", locale.fill(Text::Typing, "name", &name)));
        }
        let (position, estimate) = service.live.with(|l| l.queue).filter(|_| waiting_for_agent(service))?;
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
        Some(("cc-notice cc-queue", format!("{place} {wait}")))
    };
    // A memo: the card (and what the shopper has chosen and typed in it) stays while other
    // events come, and goes once the rating is given. A number, not a bool: a `Memo<u32>` shares
    // its code with the panel's.
    let rate = Memo::new(move |_| service.timeline.with(|t| u32::from(t.closed && t.rating.is_none())));
    view! {
        <div class="cc-log" role="log" aria-live="polite" aria-relevant="additions">
            <p class="cc-greeting">{move || service.live.with(|l| l.greeting.clone()).unwrap_or_else(|| locale.t(Text::Greeting).to_owned())}</p>
            {move || rows(service, locale).into_iter().map(|row| draw(row, service, locale)).collect_view()}
            {move || footnote().map(|(class, text)| view! { <p class=class>{text}</p> })}
            // Asked once, in the log under "This chat has ended"; writing again reopens the chat.
            {move || (rate.get() == 1).then(|| view! { <RatingCard service locale /> })}
        </div>
    }
}

fn draw(row: Row, service: ChatService, locale: Locale) -> AnyView {
    let Message { mine, pending, author, text, meta, failed } = match row {
        Row::Notice(text, class) => return view! { <p class=class>{text}</p> }.into_any(),
        Row::Message(message) => message,
    };
    let (name, initials) = author.unzip();
    let meta_class = if failed.is_some() { "cc-meta cc-failed" } else { "cc-meta" };
    let actions = failed.map(|client_id| {
        let (retry, discard) = (client_id.clone(), client_id);
        view! {
            " · "
            <button type="button" class="cc-link" on:click=move |_| service.retry(&retry)>{locale.t(Text::Retry)}</button>
            " · "
            <button type="button" class="cc-link" on:click=move |_| service.discard(&discard)>{locale.t(Text::Discard)}</button>
        }
    });
    view! {
        <div class=match (mine, pending) {
            (true, true) => "cc-line cc-mine cc-pending",
            (true, false) => "cc-line cc-mine",
            _ => "cc-line cc-theirs",
        }>
            {initials.map(|initials| view! { <span class="cc-avatar" aria-hidden="true">{initials}</span> })}
            <div class="cc-body">
                {name.map(|name| view! { <div class="cc-author">{name}</div> })}
                {mine.then(|| view! { <span class="cc-sr">{locale.t(Text::You)}": "</span> })}
                <div class="cc-bubble" dir="auto">{rich_text(&text)}</div>
                <div class=meta_class>{meta}{actions}</div>
            </div>
        </div>
    }
    .into_any()
}

/// Message text with its web links made safe links (new tab, no opener, no referrer): each piece
/// is some text followed by at most one link.
fn rich_text(text: &str) -> impl IntoView + use<> {
    let mut pieces: Vec<(String, Option<String>)> = Vec::new();
    for segment in linkify(text) {
        match segment {
            Segment::Text(text) => pieces.push((text.to_owned(), None)),
            Segment::Link(url) => match pieces.last_mut() {
                Some((_, link @ None)) => *link = Some(url.to_owned()),
                _ => pieces.push((String::new(), Some(url.to_owned()))),
            },
        }
    }
    pieces
        .into_iter()
        .map(|(text, link)| {
            let link = link.map(|url| {
                let href = url.clone();
                view! { <a href=href target="_blank" rel="noopener noreferrer">{url}</a> }
            });
            view! { {text}{link} }
        })
        .collect_view()
}
