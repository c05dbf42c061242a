//! How the console writes amounts, durations, dates and shoppers' names for agents.

/// An amount in hundredths of `currency` as the console's language writes it ("€54.90",
/// "€ 54,90"), or "54.90 EUR" where the browser cannot format it.
pub fn money(hundredths: i64, currency: &str) -> String {
    intl_money(hundredths, currency).unwrap_or_else(|| plain_money(hundredths, currency))
}

fn intl_money(hundredths: i64, currency: &str) -> Option<String> {
    use js_sys::{Array, Intl, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    // `Intl.NumberFormat` throws on a malformed code, and a throw in a constructor cannot be
    // caught from Rust; the relay checks codes, but the console does not rely on it.
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let options = js_sys::Object::new();
    Reflect::set(&options, &"style".into(), &"currency".into()).ok()?;
    Reflect::set(&options, &"currency".into(), &currency.into()).ok()?;
    // The language the agent chose decides separators and the symbol's place, as it does for
    // every word around the amount.
    let locales = Array::of1(&crate::i18n::lang().code().into());
    let format = Intl::NumberFormat::new(&locales, &options).format();
    // Hundredths for every currency (also yen): Intl rounds to the currency's own digits.
    let text = format.call1(&JsValue::NULL, &JsValue::from_f64(hundredths as f64 / 100.0)).ok()?;
    text.dyn_into::<js_sys::JsString>().ok().map(String::from)
}

/// "54.90 EUR".
pub fn plain_money(hundredths: i64, currency: &str) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let abs = hundredths.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", abs / 100, abs % 100)
}

/// "45 s", "1 min 20 s", "2 h 5 min": how long the shopper has been on a step, to the second
/// (it updates live, and "0 min" for a shopper who just arrived would read as stuck).
pub fn elapsed(ms: i64) -> String {
    let seconds = (ms / 1000).max(0);
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min {} s", seconds / 60, seconds % 60),
        _ => format!("{} h {} min", seconds / 3600, (seconds % 3600) / 60),
    }
}

/// A UTC day as the console's language writes it: "4 December 2026", "4 december 2026".
pub fn long_utc_day(at_ms: i64) -> String {
    utc_date_part(at_ms, &[("day", "numeric"), ("month", "long"), ("year", "numeric")])
        .unwrap_or_else(|| utc_day(at_ms))
}

/// The month of a UTC moment by its name in the console's language ("December", "december").
pub fn month_name(at_ms: i64) -> String {
    utc_date_part(at_ms, &[("month", "long")]).unwrap_or_default()
}

fn utc_date_part(at_ms: i64, parts: &[(&str, &str)]) -> Option<String> {
    use js_sys::{Array, Intl, Reflect};
    use wasm_bindgen::JsValue;
    let options = js_sys::Object::new();
    Reflect::set(&options, &"timeZone".into(), &"UTC".into()).ok()?;
    for (part, style) in parts {
        Reflect::set(&options, &(*part).into(), &(*style).into()).ok()?;
    }
    let locales = Array::of1(&crate::i18n::lang().code().into());
    let format = Intl::DateTimeFormat::new(&locales, &options).format();
    let date = js_sys::Date::new(&JsValue::from_f64(at_ms as f64));
    format.call1(&JsValue::NULL, &date).ok()?.as_string()
}

/// A moment in the agent's own time zone, as the console's language writes it ("4 Dec 2026,
/// 14:03"): when a setting was changed.
pub fn local_moment(at_ms: i64) -> String {
    use js_sys::{Array, Intl, Reflect};
    use wasm_bindgen::JsValue;
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = Reflect::set(&options, &"timeStyle".into(), &"short".into());
    let locales = Array::of1(&crate::i18n::lang().code().into());
    let format = Intl::DateTimeFormat::new(&locales, &options).format();
    let date = js_sys::Date::new(&JsValue::from_f64(at_ms as f64));
    format.call1(&JsValue::NULL, &date).ok().and_then(|text| text.as_string()).unwrap_or_else(|| utc_day(at_ms))
}

/// "2026-11-01": the UTC day of a moment, as the report's period is counted.
pub fn utc_day(at_ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms as f64));
    String::from(date.to_iso_string()).chars().take(10).collect()
}

/// "12.5 % (1 of 8)" (Dutch: "12,5 % (1 van 8)"), or "– (0 of 0)": a rate always beside its
/// counts, so "100 %" of 2 sessions reads as the small number it is.
pub fn share(part: u64, whole: u64) -> String {
    share_in(crate::i18n::lang(), part, whole)
}

fn share_in(lang: crate::i18n::Lang, part: u64, whole: u64) -> String {
    let counts = crate::i18n::t_in(lang, "({part} of {whole})")
        .replace("{part}", &part.to_string())
        .replace("{whole}", &whole.to_string());
    if whole == 0 {
        return format!("– {counts}");
    }
    let rate = format!("{:.1}", part as f64 * 100.0 / whole as f64);
    let rate = if lang == crate::i18n::Lang::Nl { rate.replace('.', ",") } else { rate };
    format!("{rate} % {counts}")
}

/// The shopper's name as the agent reads it: the shop's name for them, or the relay's
/// "Visitor 7F3A" in the console's language.
pub fn shown_name(summary: &checkout_chat_protocol::ConversationSummary) -> String {
    match summary.visitor_name.strip_prefix("Visitor ") {
        Some(tag) if summary.name.is_none() => format!("{} {tag}", crate::i18n::t("Visitor")),
        _ => summary.visitor_name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_amounts_have_two_decimals() {
        assert_eq!(plain_money(5490, "EUR"), "54.90 EUR");
        assert_eq!(plain_money(5, "EUR"), "0.05 EUR");
        assert_eq!(plain_money(-150, "USD"), "-1.50 USD");
    }

    #[test]
    fn elapsed_time_reads_in_seconds_minutes_and_hours() {
        assert_eq!(elapsed(-5000), "0 s");
        assert_eq!(elapsed(45_999), "45 s");
        assert_eq!(elapsed(80_000), "1 min 20 s");
        assert_eq!(elapsed(7_500_000), "2 h 5 min");
    }

    #[test]
    fn a_rate_comes_with_its_counts_in_the_agents_language() {
        use crate::i18n::Lang;
        // The console writes what the relay's `relay report` writes, in English.
        for (part, whole) in [(1, 2), (1, 3), (0, 0), (5, 5)] {
            assert_eq!(share_in(Lang::En, part, whole), checkout_chat_protocol::report::percent(part, whole));
        }
        assert_eq!(share_in(Lang::Nl, 1, 8), "12,5 % (1 van 8)");
        assert_eq!(share_in(Lang::Nl, 0, 0), "– (0 van 0)");
    }
}
