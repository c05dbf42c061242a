//! The shopper's chat widget. The loader (`loader/widget.js`) draws the launcher at once, fetches
//! this app when the page is idle or on the first click, and calls [`mount`] with the Shadow DOM
//! root it created, so nothing here touches the shop's own page (except, while a reply waits
//! unseen, a count in its tab title).

mod api;
mod config;
mod connection;
mod host;
mod i18n;
mod store;
mod view;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::api::Ui;
use crate::config::WidgetConfig;
use crate::connection::ChatService;
use crate::i18n::Locale;
use crate::view::Widget;

/// A smaller allocator than the default (dlmalloc), for the bundle's size budget; the widget runs
/// on the browser's single thread, which this allocator is made for.
#[cfg(target_family = "wasm")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The panel's styles; the launcher's basics are in the loader, which draws it before this app
/// exists.
const STYLE: &str = include_str!("../widget.css");

/// Renders the widget into `root`. `config` comes from the loader (see [`WidgetConfig`]); `open`
/// is 1 when the chat is to open at once (the page asked), 2 when the shopper already clicked the
/// launcher; `queue` is the page's `window.checkoutChat`, which becomes the API.
#[wasm_bindgen]
pub fn mount(root: web_sys::ShadowRoot, config: JsValue, open: u8, queue: JsValue) -> Result<(), JsValue> {
    let config_js = config;
    let config = WidgetConfig::from_js(&config_js).map_err(|e| JsValue::from_str(&e))?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    // Through the loader's `css`: a constructed style sheet, which a strict Content-Security-Policy
    // allows where a <style> element is an inline style.
    let add_style = js_sys::Reflect::get(&config_js, &"css".into())?
        .dyn_into::<js_sys::Function>()
        .map_err(|_| JsValue::from_str("the loader gave no css()"))?;
    add_style.call1(&JsValue::NULL, &STYLE.into())?;
    let mount_point = document.create_element("div")?.dyn_into::<web_sys::HtmlElement>()?;
    root.append_child(&mount_point)?;
    let locale = Locale::from_tag(&config.locale);
    // The loader fetched the shopper's language while this app loaded.
    if let Ok(strings) = js_sys::Reflect::get(&config_js, &"strings".into())
        && strings.is_object()
    {
        locale.load(&strings);
    }
    let locale = locale.or_english();
    let config_prompt = js_sys::Reflect::get(&config_js, &"prompt".into()).unwrap_or(JsValue::UNDEFINED);
    let (side, sound) = (config.side, config.sound);
    view::set_root(&root);
    host::watch_viewport(&mount_point);
    leptos::mount::mount_to(mount_point, move || {
        let relay = config.relay.clone();
        let service = ChatService::new(config);
        let ui = Ui::new(locale, open > 0);
        view::let_focus_follow(open == 2);
        api::install(&queue, &relay, service, ui);
        // Opened by answering a prompt before the app was here.
        if let Some(answer) = api::PromptAnswer::from_js(&config_prompt) {
            service.answer_prompt(answer);
        }
        ui.emit("ready", &JsValue::UNDEFINED);
        view! { <Widget service ui side sound /> }
    })
    .forget();
    // The app draws its own launcher now; the loader's stand-in goes.
    if let Some(placeholder) = root.query_selector("[data-placeholder]")? {
        placeholder.remove();
    }
    Ok(())
}

/// The loader's call when a prompt is answered after the app is mounted: `[rule, reply or null,
/// the prompt's text]`, as the watcher gives it.
#[wasm_bindgen]
pub fn answer_prompt(prompt: JsValue) {
    if let Some(answer) = api::PromptAnswer::from_js(&prompt) {
        api::answer_prompt(answer);
    }
}

fn main() {}
