//! The host page's API on `window.checkoutChat`, the one global the widget has. Before the app
//! loads it is an array the page pushes calls onto (`checkoutChat.push(["identify", {...}])`);
//! once loaded the same object runs pushed calls at once, runs the queued ones, and offers
//! `open()`, `close()`, `show()`, `hide()`, `identify(...)`, `setLocale(...)`, `on(...)` and
//! `off(...)`. A call with bad arguments logs one clear warning and does nothing else.

use std::collections::HashMap;

use checkout_chat_protocol::Identity;
use checkout_chat_protocol::limits::{MAX_NAME_CHARS, MAX_USER_HASH_LEN, MAX_USER_ID_LEN};
use checkout_chat_protocol::text::is_plausible_email;
use js_sys::{Array, Function, Object, Reflect};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::connection::ChatService;
use crate::i18n::Locale;

/// Events a page can listen to.
const EVENTS: [&str; 5] = ["ready", "open", "close", "message", "unread"];

/// What the page controls: whether the chat is open, whether the widget is shown at all, and
/// its language.
#[derive(Clone, Copy)]
pub struct Ui {
    pub open: RwSignal<bool>,
    pub visible: RwSignal<bool>,
    pub locale: RwSignal<Locale>,
    listeners: StoredValue<HashMap<String, Vec<Function>>, LocalStorage>,
    ready: StoredValue<bool, LocalStorage>,
}

impl Ui {
    pub fn new(locale: Locale, open: bool) -> Self {
        Ui {
            open: RwSignal::new(open),
            visible: RwSignal::new(true),
            locale: RwSignal::new(locale),
            listeners: StoredValue::new_local(HashMap::new()),
            ready: StoredValue::new_local(false),
        }
    }

    /// Calls the page's listeners for `event`. A listener that throws does not stop the others,
    /// and its error stays the page's own.
    pub fn emit(&self, event: &str, payload: &JsValue) {
        if event == "ready" {
            self.ready.set_value(true);
        }
        let listeners = self.listeners.with_value(|all| all.get(event).cloned().unwrap_or_default());
        for listener in listeners {
            let _ = listener.call1(&JsValue::NULL, payload);
        }
    }
}

fn warn(message: &str) {
    web_sys::console::warn_1(&format!("checkout-chat: {message}").into());
}

/// Turns `queue` (the page's `window.checkoutChat`) into the API and runs what was queued.
pub fn install(queue: &JsValue, service: ChatService, ui: Ui) {
    let queued: Vec<JsValue> = Array::from(queue).iter().collect();
    let _ = Reflect::set(queue, &"length".into(), &0.into());
    let call = move |name: &str, args: &[JsValue]| dispatch(service, ui, name, args);
    let method = |name: &'static str, f: Box<dyn Fn(JsValue, JsValue)>| {
        let closure = Closure::wrap(f);
        let _ = Reflect::set(queue, &JsValue::from_str(name), closure.as_ref());
        // The page keeps the function as long as it lives.
        closure.forget();
    };
    for name in ["open", "close", "show", "hide", "identify", "setLocale", "on", "off"] {
        method(name, Box::new(move |a: JsValue, b: JsValue| call(name, &[a, b])));
    }
    method(
        "push",
        Box::new(move |entry: JsValue, _| {
            run_queued(&call, &entry);
        }),
    );
    for entry in queued {
        run_queued(&call, &entry);
    }
}

fn run_queued(call: &impl Fn(&str, &[JsValue]), entry: &JsValue) {
    let Some(entry) = entry.dyn_ref::<Array>() else {
        return warn("push() takes an array such as [\"open\"]");
    };
    let Some(name) = entry.get(0).as_string() else {
        return warn("push() takes an array whose first item is a method name");
    };
    call(&name, &[entry.get(1), entry.get(2)]);
}

fn dispatch(service: ChatService, ui: Ui, name: &str, args: &[JsValue]) {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(JsValue::UNDEFINED);
    match name {
        "open" => ui.open.set(true),
        "close" => ui.open.set(false),
        "show" => ui.visible.set(true),
        "hide" => {
            ui.open.set(false);
            ui.visible.set(false);
        }
        "identify" => match identity_from_js(&arg(0)) {
            Ok(identity) => service.identify(identity),
            Err(problem) => warn(&format!("identify: {problem}")),
        },
        "setLocale" => match arg(0).as_string() {
            Some(tag) => ui.locale.set(Locale::from_tag(&tag)),
            None => warn("setLocale takes a language tag such as \"nl\" or \"ar\""),
        },
        "on" | "off" => {
            let (event, callback) = (arg(0).as_string(), arg(1).dyn_into::<Function>().ok());
            match (event, callback) {
                (Some(event), Some(callback)) if EVENTS.contains(&event.as_str()) => {
                    listen(ui, name == "on", event, callback);
                }
                _ => warn(&format!("{name} takes an event ({}) and a function", EVENTS.join(", "))),
            }
        }
        other => warn(&format!("unknown method \"{other}\"")),
    }
}

fn listen(ui: Ui, add: bool, event: String, callback: Function) {
    let ready_now = add && event == "ready" && ui.ready.get_value();
    ui.listeners.update_value(|all| {
        let listeners = all.entry(event).or_default();
        if add {
            listeners.push(callback.clone());
        } else {
            listeners.retain(|f| !Object::is(f, &callback));
        }
    });
    // A "ready" listener added after the widget is ready still hears it.
    if ready_now {
        let _ = callback.call1(&JsValue::NULL, &JsValue::UNDEFINED);
    }
}

fn identity_from_js(value: &JsValue) -> Result<Identity, String> {
    let text = |name: &str| Reflect::get(value, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
    if !value.is_object() {
        return Err("pass an object {user_id, name, email, user_hash}".into());
    }
    let (Some(user_id), Some(user_hash)) = (text("user_id"), text("user_hash")) else {
        return Err("user_id and user_hash must be strings".into());
    };
    let (name, email) = (text("name"), text("email"));
    if user_id.is_empty() || user_id.len() > MAX_USER_ID_LEN || user_hash.len() > MAX_USER_HASH_LEN {
        return Err("user_id or user_hash is empty or too long".into());
    }
    if name.as_ref().is_some_and(|n| n.chars().count() > MAX_NAME_CHARS) {
        return Err("name is too long".into());
    }
    if email.as_ref().is_some_and(|e| !is_plausible_email(e)) {
        return Err("email is not an email address".into());
    }
    Ok(Identity { user_id, name, email, user_hash })
}
