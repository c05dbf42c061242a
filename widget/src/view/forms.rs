//! What the shopper fills in: the message composer, the leave-a-message form when nobody is
//! online, the rating after an ended chat, and the address for an emailed transcript. Also the
//! transcript download.

use checkout_chat_client::socket::Status;
use checkout_chat_client::util::is_send_shortcut;
use checkout_chat_protocol::limits::MAX_MESSAGE_CHARS;
use checkout_chat_protocol::text::is_plausible_email;
use checkout_chat_protocol::transcript::{self, TranscriptLabels};
use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::icons;
use crate::connection::ChatService;
use crate::format;
use crate::i18n::{Locale, Text};

#[component]
pub fn Composer(service: ChatService, locale: Locale) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let t = move |text: Text| locale.t(text);
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
    view! {
        <form class="cc-composer" on:submit=on_submit>
            <textarea
                class="cc-input"
                rows="1"
                data-autofocus=""
                dir="auto"
                aria-label=t(Text::MessageLabel)
                placeholder=t(Text::Placeholder)
                maxlength=MAX_MESSAGE_CHARS.to_string()
                prop:value=move || draft.get()
                on:input=move |ev| {
                    draft.set(event_target_value(&ev));
                    service.typing();
                }
                on:keydown=on_keydown
            ></textarea>
            <button
                class="cc-send"
                type="submit"
                aria-label=t(Text::Send)
                title=t(Text::Send)
                disabled=move || draft.with(|d| d.trim().is_empty())
            >
                <span class="cc-icon" inner_html=icons::SEND></span>
            </button>
        </form>
    }
}

#[component]
pub fn OfflineForm(service: ChatService, locale: Locale) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let question = RwSignal::new(String::new());
    let invalid = RwSignal::new(false);
    let t = move |text: Text| locale.t(text);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let address = email.get_untracked();
        if !is_plausible_email(address.trim()) {
            return invalid.set(true);
        }
        invalid.set(false);
        service.leave_message(&address, &question.get_untracked());
    };
    view! {
        <form class="cc-form" on:submit=on_submit>
            <h3 class="cc-form-title">{t(Text::OfflineTitle)}</h3>
            <p class="cc-form-intro">{t(Text::OfflineIntro)}</p>
            <label class="cc-label" for="cc-offline-email">{t(Text::EmailLabel)}</label>
            <input
                class="cc-field"
                id="cc-offline-email"
                type="email"
                autocomplete="email"
                required
                data-autofocus=""
                aria-invalid=move || invalid.get().to_string()
                aria-describedby="cc-offline-error"
                prop:value=move || email.get()
                on:input=move |ev| email.set(event_target_value(&ev))
            />
            <p class="cc-error" id="cc-offline-error" role="alert">{move || invalid.get().then(|| t(Text::InvalidEmail))}</p>
            <label class="cc-label" for="cc-offline-question">{t(Text::MessageFieldLabel)}</label>
            <textarea
                class="cc-field"
                id="cc-offline-question"
                rows="3"
                required
                dir="auto"
                maxlength=MAX_MESSAGE_CHARS.to_string()
                prop:value=move || question.get()
                on:input=move |ev| question.set(event_target_value(&ev))
            ></textarea>
            <button
                class="cc-button"
                type="submit"
                disabled=move || service.status.get() != Status::Live || question.with(|q| q.trim().is_empty())
            >
                {t(Text::LeaveMessageSubmit)}
            </button>
        </form>
    }
}

/// After an agent ended the chat: a rating (1–5, optional comment), then a way to start anew.
#[component]
pub fn Ended(service: ChatService, locale: Locale) -> impl IntoView {
    let score = RwSignal::new(0u8);
    let comment = RwSignal::new(String::new());
    let t = move |text: Text| locale.t(text);
    let rated = move || service.timeline.with(|t| t.rating.is_some());
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if score.get_untracked() > 0 {
            service.rate(score.get_untracked(), comment.get_untracked());
        }
    };
    let stars = move || {
        (1..=5u8)
            .map(|n| {
                let label = locale.fill(Text::RateScore, "n", &format::number(u32::from(n), locale));
                view! {
                    <button
                        type="button"
                        class=move || { if score.get() >= n { "cc-star cc-star-on" } else { "cc-star" } }
                        aria-pressed=move || (score.get() == n).to_string()
                        aria-label=label.clone()
                        title=label
                        on:click=move |_| score.set(n)
                    >
                        "★"
                    </button>
                }
            })
            .collect_view()
    };
    view! {
        <div class="cc-ended">
            {move || {
                if rated() {
                    return view! { <p class="cc-form-intro">{t(Text::ThanksForRating)}</p> }.into_any();
                }
                view! {
                        <form class="cc-form" on:submit=on_submit>
                            <h3 class="cc-form-title" id="cc-rate-title">{t(Text::RatePrompt)}</h3>
                            <div class="cc-stars" role="group" aria-labelledby="cc-rate-title">{stars}</div>
                            <label class="cc-label" for="cc-comment">{t(Text::CommentLabel)}</label>
                            <textarea
                                class="cc-field"
                                id="cc-comment"
                                rows="2"
                                dir="auto"
                                prop:value=move || comment.get()
                                on:input=move |ev| comment.set(event_target_value(&ev))
                            ></textarea>
                            <button class="cc-button" type="submit" disabled=move || score.get() == 0 || !service.is_live()>
                                {t(Text::SubmitRating)}
                            </button>
                        </form>
                }
                .into_any()
            }}
            <button class="cc-button cc-secondary" type="button" data-autofocus="" on:click=move |_| service.start_over()>
                {t(Text::StartNewChat)}
            </button>
        </div>
    }
}

#[component]
pub fn EmailTranscriptForm(service: ChatService, locale: Locale, done: RwSignal<bool>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let invalid = RwSignal::new(false);
    let t = move |text: Text| locale.t(text);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let address = email.get_untracked();
        if !is_plausible_email(address.trim()) {
            return invalid.set(true);
        }
        service.email_transcript(&address);
        done.set(false);
    };
    view! {
        <form class="cc-inline-form" on:submit=on_submit>
            <label class="cc-label" for="cc-transcript-email">{t(Text::EmailTranscript)}</label>
            <div class="cc-row">
                <input
                    class="cc-field"
                    id="cc-transcript-email"
                    type="email"
                    autocomplete="email"
                    required
                    aria-invalid=move || invalid.get().to_string()
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))
                />
                <button class="cc-button" type="submit">{t(Text::EmailTranscriptSubmit)}</button>
            </div>
            <p class="cc-error" role="alert">{move || invalid.get().then(|| t(Text::InvalidEmail))}</p>
        </form>
    }
}

/// Saves the conversation as a text file, in the shopper's language and time zone.
pub fn download_transcript(service: ChatService, locale: Locale) {
    let shop = service.shop_name.get_untracked().unwrap_or_default();
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
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let link = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(link) = link {
        link.set_href(&url);
        link.set_download("chat-transcript.txt");
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
