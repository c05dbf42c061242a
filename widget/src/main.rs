//! The shopper's chat widget. The loader (`loader/widget.js`) shows the launcher at once, fetches
//! this app when the page is idle or on the first click, and calls [`mount`] with the Shadow DOM
//! root it created, so nothing here touches the shop's own page.

mod config;
mod connection;
mod i18n;
mod store;
mod view;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::config::WidgetConfig;
use crate::connection::ChatService;
use crate::i18n::Locale;
use crate::view::Widget;

/// The panel's styles; the launcher's are in the loader, which draws it before this app exists.
const STYLE: &str = include_str!("../widget.css");

/// Renders the widget into `root`. `config_json` comes from the loader (see `WidgetConfig`);
/// `open` is true when the shopper already clicked the launcher.
#[wasm_bindgen]
pub fn mount(root: web_sys::ShadowRoot, config_json: &str, open: bool) -> Result<(), JsValue> {
    let config = WidgetConfig::parse(config_json).map_err(|e| JsValue::from_str(&e))?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let style = document.create_element("style")?;
    style.set_text_content(Some(STYLE));
    root.append_child(&style)?;
    let mount_point = document.create_element("div")?.dyn_into::<web_sys::HtmlElement>()?;
    root.append_child(&mount_point)?;
    let locale = Locale::from_tag(&config.locale);
    leptos::mount::mount_to(mount_point, move || {
        let service = ChatService::new(config);
        view! { <Widget service locale initially_open=open /> }
    })
    .forget();
    // The app draws its own launcher now; the loader's stand-in goes.
    if let Some(placeholder) = root.query_selector("[data-placeholder]")? {
        placeholder.remove();
    }
    Ok(())
}

fn main() {}
