//! The host page's API on `window.checkoutChat`, the one global the widget has (see
//! docs/embedding.md). The JavaScript side (`host.js`) checks the page's calls and keeps its
//! listeners; this side holds what the page controls (open, shown, language) and acts on calls.

use checkout_chat_protocol::Identity;
use checkout_chat_protocol::limits::{MAX_IDENTITY_TOKEN_LEN, MAX_NAME_CHARS, MAX_USER_HASH_LEN, MAX_USER_ID_LEN};
use checkout_chat_protocol::text::is_plausible_email;
use std::cell::RefCell;

use js_sys::{Function, Reflect};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::connection::ChatService;
use crate::host;
use crate::i18n::Locale;

/// What the page controls: whether the chat is open, whether the widget is shown at all, and its
/// language.
#[derive(Clone, Copy)]
pub struct Ui {
    pub open: RwSignal<bool>,
    pub visible: RwSignal<bool>,
    pub locale: RwSignal<Locale>,
}

thread_local! {
    /// host.js's `emit(event, payload)`, once the API is installed.
    static EMIT: RefCell<Option<Function>> = const { RefCell::new(None) };
    /// The app, for the loader's calls after mounting.
    static APP: RefCell<Option<(ChatService, Ui)>> = const { RefCell::new(None) };
}

/// A prompt the shopper answered, as the watcher (through the loader) hands it over:
/// `[rule, reply or null, the prompt's text]`.
pub struct PromptAnswer {
    pub rule: String,
    /// The quick reply they picked, if any.
    pub reply: Option<String>,
    /// What the prompt said, in the shopper's language.
    pub text: Option<String>,
}

impl PromptAnswer {
    pub fn from_js(value: &JsValue) -> Option<PromptAnswer> {
        let item = |i: u32| js_sys::Reflect::get(value, &i.into()).ok().and_then(|v| v.as_string());
        Some(PromptAnswer { rule: item(0)?, reply: item(1), text: item(2) })
    }
}

/// The shopper answered a prompt the watcher drew: the chat opens, with the focus in it, and
/// the conversation begins with the prompt.
pub fn answer_prompt(answer: PromptAnswer) {
    if let Some((service, ui)) = APP.with_borrow(Clone::clone) {
        crate::view::let_focus_follow(true);
        ui.open.set(true);
        service.answer_prompt(answer);
    }
}

impl Ui {
    pub fn new(locale: Locale, open: bool) -> Self {
        Ui { open: RwSignal::new(open), visible: RwSignal::new(true), locale: RwSignal::new(locale) }
    }

    /// Tells the page's listeners about `event`.
    pub fn emit(&self, event: &str, payload: &JsValue) {
        EMIT.with_borrow(|emit| {
            if let Some(emit) = emit {
                let _ = emit.call2(&JsValue::NULL, &JsValue::from_str(event), payload);
            }
        });
    }
}

/// Turns `queue` (the page's `window.checkoutChat`) into the API and runs what was queued.
pub fn install(queue: &JsValue, relay: &str, service: ChatService, ui: Ui) {
    APP.set(Some((service, ui)));
    let handle =
        Closure::<dyn Fn(String, JsValue)>::new(move |method: String, argument: JsValue| match method.as_str() {
            "open" => ui.open.set(true),
            "close" => {
                // If the shopper was in the chat, the focus goes back to the launcher rather than
                // being lost with the panel.
                let focus_inside = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.active_element())
                    .is_some_and(|e| e.has_attribute("data-checkout-chat"));
                crate::view::let_focus_follow(focus_inside);
                ui.open.set(false);
            }
            "show" => ui.visible.set(true),
            "reset" => service.reset(),
            "hide" => {
                ui.open.set(false);
                ui.visible.set(false);
            }
            "identify" => match identity(&argument) {
                Some(identity) => service.identify(identity),
                None => {
                    web_sys::console::warn_1(&"checkout-chat: identify: a value is too long or not an email".into())
                }
            },
            // host.js has fetched the language's table: [tag, table or null].
            "setLocale" => {
                let tag = Reflect::get_u32(&argument, 0).ok().and_then(|t| t.as_string()).unwrap_or_default();
                let locale = Locale::from_tag(&tag);
                if let Ok(table) = Reflect::get_u32(&argument, 1)
                    && table.is_object()
                    && locale.or_english() != locale
                {
                    locale.load(&table);
                }
                ui.locale.set(locale.or_english());
            }
            _ => {}
        });
    let emit = host::install_api(queue, handle.as_ref(), relay);
    // The page keeps the API as long as it lives.
    handle.forget();
    EMIT.set(Some(emit));
}

/// The identity host.js checked the shape of (an `identity_token`, or a `user_id` with its
/// `user_hash`), if its values are within bounds.
fn identity(value: &JsValue) -> Option<Identity> {
    let text = |name: &str| Reflect::get(value, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
    let identity = Identity {
        user_id: text("user_id"),
        name: text("name"),
        email: text("email"),
        user_hash: text("user_hash"),
        identity_token: text("identity_token"),
    };
    // host.js has checked that it is one of the two forms.
    let fits = identity.identity_token.as_ref().is_none_or(|t| t.len() <= MAX_IDENTITY_TOKEN_LEN)
        && identity.user_id.as_ref().is_none_or(|id| id.len() <= MAX_USER_ID_LEN)
        && identity.user_hash.as_ref().is_none_or(|hash| hash.len() <= MAX_USER_HASH_LEN)
        && identity.name.as_ref().is_none_or(|n| n.chars().count() <= MAX_NAME_CHARS)
        && identity.email.as_ref().is_none_or(|e| is_plausible_email(e));
    fits.then_some(identity)
}
