//! Bindings to `host.js`: the page's API object, Intl formatting, the title notice, the chime,
//! the transcript download and the visual viewport.

use wasm_bindgen::prelude::*;

use crate::i18n::{Locale, Text};

#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// Turns the page's queue into the API; returns `emit(event, payload)`.
    #[wasm_bindgen(js_name = installApi)]
    pub fn install_api(queue: &JsValue, handle: &JsValue, relay: &str) -> js_sys::Function;
    #[wasm_bindgen(js_name = formatTime)]
    fn format_time(ms: f64, locale: &str) -> String;
    #[wasm_bindgen(js_name = formatDay)]
    fn format_day(ms: f64, locale: &str, today: &str, yesterday: &str) -> String;
    #[wasm_bindgen(js_name = dayOf)]
    fn day_of(ms: f64) -> f64;
    #[wasm_bindgen(js_name = formatNumber)]
    fn format_number(n: f64, locale: &str) -> String;
    #[wasm_bindgen(js_name = titleNotice)]
    pub fn title_notice(text: Option<String>);
    pub fn chime();
    /// Saves `text` as a file named after the shop and today's date.
    pub fn download(text: &str, shop: &str);
    /// On a phone, where the panel covers the page like a modal, Tab and Shift+Tab go round
    /// inside it (the event's current target) instead of leaving it for the page behind.
    #[wasm_bindgen(js_name = keepFocusIn)]
    pub fn keep_focus_in(event: &web_sys::KeyboardEvent);
    #[wasm_bindgen(js_name = watchViewport)]
    pub fn watch_viewport(mount_point: &web_sys::Element);
}

/// "14:05" (or the locale's own way of writing it, with its own digits).
pub fn time(at_ms: i64, locale: Locale) -> String {
    format_time(at_ms as f64, locale.tag())
}

/// "Today", "Yesterday", or the date ("21 November", with the year when not this year).
pub fn day_label(at_ms: i64, locale: Locale) -> String {
    format_day(at_ms as f64, locale.tag(), locale.t(Text::Today), locale.t(Text::Yesterday))
}

/// The local calendar day of a moment, as a number that changes at local midnight.
pub fn day(at_ms: i64) -> i64 {
    day_of(at_ms as f64) as i64
}

/// A number with the locale's digits (Arabic-Indic for Arabic and Persian).
pub fn number(value: u32, locale: Locale) -> String {
    format_number(f64::from(value), locale.tag())
}

pub fn page_hidden() -> bool {
    web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden())
}
