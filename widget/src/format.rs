//! Dates, times and numbers in the shopper's language and time zone, through the browser's Intl.

use js_sys::{Array, Date, Function, Intl, Object, Reflect};
use wasm_bindgen::JsValue;

use crate::i18n::{Locale, Text};

fn options(pairs: &[(&str, &str)]) -> Object {
    let object = Object::new();
    for (key, value) in pairs {
        let _ = Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(value));
    }
    object
}

fn locales(locale: Locale) -> Array {
    Array::of1(&JsValue::from_str(locale.tag()))
}

fn apply(format: Function, value: &JsValue) -> String {
    format.call1(&JsValue::NULL, value).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// "14:05" (or the locale's own way of writing it, with its own digits).
pub fn time(at_ms: i64, locale: Locale) -> String {
    let format = Intl::DateTimeFormat::new(&locales(locale), &options(&[("hour", "2-digit"), ("minute", "2-digit")]));
    apply(format.format(), &Date::new(&JsValue::from_f64(at_ms as f64)))
}

/// A number with the locale's digits (Arabic-Indic for Arabic and Persian).
pub fn number(value: u32, locale: Locale) -> String {
    let format = Intl::NumberFormat::new(&locales(locale), &Object::new());
    apply(format.format(), &JsValue::from_f64(f64::from(value)))
}

/// The local calendar day of a moment, as a number that changes at local midnight.
pub fn day(at_ms: i64) -> i64 {
    let date = Date::new(&JsValue::from_f64(at_ms as f64));
    i64::from(date.get_full_year()) * 512 + i64::from(date.get_month()) * 32 + i64::from(date.get_date())
}

/// "Today", "Yesterday", or the date ("21 November", with the year when it is not this year).
pub fn day_label(at_ms: i64, locale: Locale) -> String {
    let now = Date::now() as i64;
    if day(at_ms) == day(now) {
        return locale.t(Text::Today).to_owned();
    }
    if day(at_ms) == day(now - 86_400_000) {
        return locale.t(Text::Yesterday).to_owned();
    }
    let this_year = Date::new(&JsValue::from_f64(now as f64)).get_full_year();
    let date = Date::new(&JsValue::from_f64(at_ms as f64));
    let pairs: &[(&str, &str)] = if date.get_full_year() == this_year {
        &[("day", "numeric"), ("month", "long")]
    } else {
        &[("day", "numeric"), ("month", "long"), ("year", "numeric")]
    };
    apply(Intl::DateTimeFormat::new(&locales(locale), &options(pairs)).format(), &date)
}
