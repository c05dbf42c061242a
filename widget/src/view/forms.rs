//! What the shopper fills in: the message composer, the leave-a-message form when nobody is
//! online, the rating after an ended chat, and the transcript menu (download, or by email).
//! Fields are read when the form is submitted rather than bound keystroke by keystroke: fewer
//! reactive bindings, a smaller bundle.

use checkout_chat_client::util::is_send_shortcut;
use checkout_chat_protocol::limits::MAX_MESSAGE_CHARS;
use checkout_chat_protocol::text::is_plausible_email;
use checkout_chat_protocol::transcript::{self, TranscriptLabels};
use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};

use super::{find, icons};
use crate::connection::ChatService;
use crate::host as format;
use crate::i18n::{Locale, Text};

#[component]
pub fn Composer(service: ChatService, locale: Locale) -> impl IntoView {
    let submit = move || {
        if let Some(input) = find::<HtmlTextAreaElement>(".cc-input")
            && service.send(&input.value())
        {
            input.set_value("");
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
        <form class="cc-composer" on:submit=on_submit>
            <textarea
                class="cc-input"
                rows="1"
                data-autofocus=""
                dir="auto"
                aria-label=locale.t(Text::MessageLabel)
                placeholder=locale.t(Text::Placeholder)
                maxlength=MAX_MESSAGE_CHARS.to_string()
                on:input=move |_| service.typing()
                on:keydown=on_keydown
            ></textarea>
            <button class="cc-send" type="submit" aria-label=locale.t(Text::Send) title=locale.t(Text::Send)>
                <span class="cc-icon" inner_html=icons::SEND></span>
            </button>
        </form>
    }
}

/// The email field `selector`, its value checked on submit; the error is said in the reader's
/// language.
fn email_value(selector: &str, invalid: RwSignal<bool>) -> Option<String> {
    let value = find::<HtmlInputElement>(selector)?.value();
    let ok = is_plausible_email(value.trim());
    invalid.set(!ok);
    ok.then_some(value)
}

#[component]
pub fn OfflineForm(service: ChatService, locale: Locale) -> impl IntoView {
    let (invalid, missing) = (RwSignal::new(false), RwSignal::new(false));
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let text = find::<HtmlTextAreaElement>("#cc-offline-question").map(|q| q.value()).unwrap_or_default();
        missing.set(text.trim().is_empty());
        if let Some(address) = email_value("#cc-offline-email", invalid)
            && !missing.get_untracked()
        {
            service.leave_message(&address, &text);
        }
    };
    view! {
        <form class="cc-form" on:submit=on_submit novalidate>
            <h3 class="cc-form-title">{locale.t(Text::OfflineTitle)}</h3>
            <p class="cc-form-intro">{locale.t(Text::OfflineIntro)}</p>
            <label class="cc-label" for="cc-offline-email">{locale.t(Text::EmailLabel)}</label>
            <input class="cc-field" id="cc-offline-email" type="email" autocomplete="email" data-autofocus="" />
            <label class="cc-label" for="cc-offline-question">{locale.t(Text::MessageFieldLabel)}</label>
            <textarea class="cc-field" id="cc-offline-question" rows="3" dir="auto" required></textarea>
            // One place for both problems, the email's first (it is the first field).
            <p class="cc-error" role="alert">
                {move || match (invalid.get(), missing.get()) {
                    (true, _) => Some(locale.t(Text::InvalidEmail)),
                    (_, true) => Some(locale.t(Text::QuestionRequired)),
                    _ => None,
                }}
            </p>
            <button class="cc-button" type="submit" disabled=service.offline()>{locale.t(Text::LeaveMessageSubmit)}</button>
        </form>
    }
}

/// After the chat ended, a card in the log: a rating (1–5 stars, a native radio group: keyboard
/// and screen readers know it without help) and an optional comment.
#[component]
pub fn RatingCard(service: ChatService, locale: Locale) -> impl IntoView {
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(form) = find::<web_sys::HtmlFormElement>("#cc-rating") else { return };
        let Ok(data) = web_sys::FormData::new_with_form(&form) else { return };
        let score = data.get("score").as_string().and_then(|s| s.parse().ok()).unwrap_or(0);
        if score > 0 {
            service.rate(score, &data.get("comment").as_string().unwrap_or_default());
        }
    };
    let stars = (1..=5u8)
        .map(|n| {
            let label = locale.fill(Text::RateScore, "n", &format::number(u32::from(n), locale));
            let title = label.clone();
            view! {
                <input type="radio" name="score" id=format!("cc-star-{n}") value=n.to_string() />
                <label class="cc-star" for=format!("cc-star-{n}") title=title>
                    <span aria-hidden="true">"★"</span>
                    <span class="cc-sr">{label}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <form class="cc-rating-card" id="cc-rating" on:submit=on_submit>
            <fieldset class="cc-stars">
                <legend class="cc-form-title">{locale.t(Text::RatePrompt)}</legend>
                {stars}
            </fieldset>
            <label class="cc-label" for="cc-comment">{locale.t(Text::CommentLabel)}</label>
            <textarea class="cc-field" id="cc-comment" name="comment" rows="2" dir="auto"></textarea>
            <button class="cc-button" type="submit" disabled=service.offline()>{locale.t(Text::SubmitRating)}</button>
        </form>
    }
}

/// The header's menu: download the conversation, or have it emailed (when the relay can).
#[component]
pub fn TranscriptMenu(service: ChatService, locale: Locale) -> impl IntoView {
    let invalid = RwSignal::new(false);
    let close = move || {
        if let Some(menu) = find::<web_sys::Element>(".cc-menu") {
            let _ = menu.remove_attribute("open");
        }
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(address) = email_value("#cc-transcript-email", invalid)
            && service.email_transcript(&address)
        {
            if let Some(field) = find::<HtmlInputElement>("#cc-transcript-email") {
                field.set_value("");
            }
            close();
        }
    };
    view! {
        <details class="cc-menu">
            <summary class="cc-icon-button" aria-label=locale.t(Text::TranscriptTitle) title=locale.t(Text::TranscriptTitle)>
                <span class="cc-icon" inner_html=icons::MORE></span>
            </summary>
            <div class="cc-menu-list">
                <button
                    type="button"
                    class="cc-menu-item"
                    on:click=move |_| {
                        download_transcript(service, locale);
                        close();
                    }
                >
                    {locale.t(Text::DownloadTranscript)}
                </button>
                // Offered only when the relay can send it (an SMTP server is configured).
                <form class="cc-inline-form" on:submit=on_submit novalidate hidden=move || !service.live.with(|l| l.mail)>
                    <label class="cc-label" for="cc-transcript-email">{locale.t(Text::EmailTranscript)}</label>
                    <div class="cc-row">
                        <input class="cc-field" id="cc-transcript-email" type="email" autocomplete="email" />
                        <button class="cc-button" type="submit" disabled=service.offline()>
                            {locale.t(Text::EmailTranscriptSubmit)}
                        </button>
                    </div>
                    <p class="cc-error" role="alert">{move || invalid.get().then(|| locale.t(Text::InvalidEmail))}</p>
                </form>
            </div>
        </details>
    }
}

/// Saves the conversation as a text file, in the shopper's language and time zone.
pub fn download_transcript(service: ChatService, locale: Locale) {
    let shop = service.live.with_untracked(|l| l.shop_name.clone()).unwrap_or_default();
    let labels = TranscriptLabels {
        title: locale.t(Text::TranscriptTitle),
        you: locale.t(Text::You),
        team: locale.t(Text::AgentFallbackName),
        joined: locale.t(Text::Joined),
        ended: locale.t(Text::ChatEnded),
    };
    let text = service.timeline.with_untracked(|t| {
        let entries = t.lines.iter().map(|l| (l.at_ms, &l.author, &l.body));
        transcript::render(&shop, &labels, entries, |at| {
            format!("{} {}", format::day_label(at, locale), format::time(at, locale))
        })
    });
    format::download(&text, &shop);
}
