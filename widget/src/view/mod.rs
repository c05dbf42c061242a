//! The widget's components. They read the signals of [`ChatService`] and [`Ui`] and call their
//! methods; all I/O lives there.
//!
//! Accessibility: the launcher is a button named for what it does (and the unread count); the
//! panel is a labelled dialog that takes focus when it opens and gives it back to the launcher
//! when it closes; Esc closes it; the messages are a polite live log.

mod forms;
mod icons;
mod messages;
mod panel;

use checkout_chat_protocol::{Author, EventBody};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::api::Ui;
use crate::config::Side;
use crate::connection::ChatService;
use crate::host;
use crate::i18n::Text;

thread_local! {
    /// Whether the keyboard focus follows the next opening or closing of the chat (into the
    /// panel, or back to the launcher): when the shopper does it, or the focus was in the chat.
    static FOCUS_FOLLOWS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

thread_local! {
    /// The Shadow DOM root the widget lives in.
    static ROOT: std::cell::RefCell<Option<web_sys::ShadowRoot>> = const { std::cell::RefCell::new(None) };
}

/// Remembers the widget's root, where [`find`] looks.
pub fn set_root(root: &web_sys::ShadowRoot) {
    ROOT.set(Some(root.clone()));
}

/// The widget's element matching `selector` (one of ours, so its type is known). Cheaper for the
/// bundle than a `NodeRef`, which drags in a thread check.
pub fn find<T: JsCast>(selector: &str) -> Option<T> {
    let element = ROOT.with_borrow(|root| root.as_ref()?.query_selector(selector).ok().flatten())?;
    Some(element.unchecked_into())
}

/// Says whether the focus follows the opening or closing about to happen.
pub fn let_focus_follow(yes: bool) {
    FOCUS_FOLLOWS.set(yes);
}

#[component]
pub fn Widget(service: ChatService, ui: Ui, side: Option<Side>, sound: bool) -> impl IntoView {
    let unread = Memo::new(move |_| {
        let read = service.live.with(|l| l.read_seq);
        service.timeline.with(|t| {
            t.lines
                .iter()
                .filter(|l| {
                    l.seq > read && matches!(l.author, Author::Agent(_)) && matches!(l.body, EventBody::Message { .. })
                })
                .count() as u32
        })
    });
    announce_changes(service, ui, unread, sound);
    // Everything below is in one language at a time: a new locale (rare: `setLocale`) renders
    // the widget afresh, which keeps every text a plain string instead of one reactive node each.
    view! {
        {move || {
            let locale = ui.locale.get();
            let label = move || {
                let action = locale.t(if ui.open.get() { Text::CloseChat } else { Text::OpenChat });
                match unread.get() {
                    0 => action.to_owned(),
                    n => format!("{action}, {}", locale.fill(Text::Unread, "n", &host::number(n, locale))),
                }
            };
            view! {
                <div
                    class="cc-root"
                    dir=if locale.is_rtl() { "rtl" } else { "ltr" }
                    lang=locale.tag()
                    class:cc-is-open=move || ui.open.get()
                    class:cc-hidden=move || !ui.visible.get()
                    class:cc-left=side == Some(Side::Left)
                    class:cc-right=side == Some(Side::Right)
                >
                    {move || ui.open.get().then(|| view! { <panel::Panel service ui locale /> })}
                    <button
                        class="cc-launcher"
                        type="button"
                        aria-label=label
                        title=label
                        aria-expanded=move || ui.open.get().to_string()
                        on:click=move |_| {
                            let_focus_follow(true);
                            ui.open.update(|o| *o = !*o);
                        }
                    >
                        <span class="cc-icon" inner_html=move || if ui.open.get() { icons::CLOSE } else { icons::CHAT }></span>
                        {move || {
                            let count = if ui.open.get() { 0 } else { unread.get() };
                            (count > 0).then(|| view! { <span class="cc-badge" aria-hidden="true">{host::number(count, locale)}</span> })
                        }}
                    </button>
                </div>
            }
        }}
    }
}

/// Tells the page (events) and the shopper (title, chime) what changed.
fn announce_changes(service: ChatService, ui: Ui, unread: Memo<u32>, sound: bool) {
    // Read while open and visible; on return to the tab, the title is restored.
    Effect::new(move |_| {
        service.timeline.track();
        if ui.open.get() && !host::page_hidden() {
            service.mark_read();
            host::title_notice(None);
        }
    });
    let on_visible = Closure::<dyn Fn()>::new(move || {
        if ui.open.get_untracked() && !host::page_hidden() {
            service.mark_read();
            host::title_notice(None);
        }
    });
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        let _ = document.add_event_listener_with_callback("visibilitychange", on_visible.as_ref().unchecked_ref());
    }
    on_visible.forget();

    Effect::new(move |previous: Option<u32>| {
        let count = unread.get();
        if previous != Some(count) {
            ui.emit("unread", &JsValue::from_f64(f64::from(count)));
        }
        count
    });
    // Opening connects. When the shopper opens or closes the chat, focus goes into the panel (to
    // the first field that asks for it) or back to the launcher; when the page does (`open()`,
    // `data-open-on-load`, `close()`), focus stays where the shopper has it, unless it was in
    // the panel that is closing. The page hears of both.
    Effect::new(move |was_open: Option<bool>| {
        let open = ui.open.get();
        let focus_follows = FOCUS_FOLLOWS.replace(false);
        if open {
            service.connect();
        }
        if open && focus_follows {
            request_animation_frame(move || {
                if let Some(field) = find::<web_sys::HtmlElement>("[data-autofocus]") {
                    let _ = field.focus();
                }
            });
        } else if !open
            && was_open == Some(true)
            && focus_follows
            && let Some(button) = find::<web_sys::HtmlElement>(".cc-launcher")
        {
            let _ = button.focus();
        }
        // Also when the app mounts open (a click or an answered prompt loaded it): the page, and
        // the watcher, hear that the chat is open.
        if was_open.map_or(open, |was| was != open) {
            ui.emit(if open { "open" } else { "close" }, &JsValue::UNDEFINED);
        }
        open
    });
    // A reply that arrives live: the page hears of it, and a shopper looking elsewhere sees it
    // in the tab title (and hears it, if the shop enabled sound).
    service.on_reply(move |author, text| {
        let payload = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&payload, &"text".into(), &text.into());
        let _ = js_sys::Reflect::set(&payload, &"author".into(), &author.into());
        ui.emit("message", &payload);
        if !ui.open.get_untracked() || host::page_hidden() {
            let count = unread.get_untracked().max(1);
            host::title_notice(Some(format!("({count}) {}", ui.locale.get_untracked().t(Text::NewMessageTitle))));
            if sound {
                host::chime();
            }
        }
    });
}
