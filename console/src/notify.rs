//! Telling the agent something new came while they look elsewhere: a count in the tab's title,
//! an optional chime, and a browser notification when they allowed them and the console is
//! hidden. The agent's choices are kept in the browser (`localStorage`).

use wasm_bindgen::JsValue;
use web_sys::{AudioContext, Notification, NotificationOptions, NotificationPermission, OscillatorType};

const SOUND_KEY: &str = "cc-console-sound";
const BASE_TITLE: &str = "checkout-chat · Agent console";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn sound_on() -> bool {
    storage().and_then(|s| s.get_item(SOUND_KEY).ok()?).is_some_and(|v| v == "on")
}

pub fn set_sound(on: bool) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(SOUND_KEY, if on { "on" } else { "off" });
    }
}

/// "(3) checkout-chat · Agent console": chats that need an answer.
pub fn set_title(waiting_for_answer: usize) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let title =
        if waiting_for_answer == 0 { BASE_TITLE.to_owned() } else { format!("({waiting_for_answer}) {BASE_TITLE}") };
    document.set_title(&title);
}

/// Whether the agent is looking at the console now.
pub fn console_in_view() -> bool {
    web_sys::window().and_then(|w| w.document()).is_some_and(|d| !d.hidden() && d.has_focus().unwrap_or(true))
}

/// A chime, a notification when allowed and hidden.
pub fn tell(title: &str, body: &str) {
    if sound_on() {
        chime();
    }
    let hidden = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden());
    if hidden && permission() == NotificationPermission::Granted {
        let options = NotificationOptions::new();
        options.set_body(body);
        // One notification per kind replaces the previous one instead of piling up.
        options.set_tag(title);
        let _ = Notification::new_with_options(title, &options);
    }
}

pub fn permission() -> NotificationPermission {
    if js_sys::Reflect::has(&js_sys::global(), &JsValue::from_str("Notification")).unwrap_or(false) {
        Notification::permission()
    } else {
        NotificationPermission::Denied
    }
}

pub fn ask_permission() {
    if permission() == NotificationPermission::Default {
        let _ = Notification::request_permission();
    }
}

/// Two short soft tones (Web Audio: nothing to download).
fn chime() {
    let Ok(context) = AudioContext::new() else { return };
    let now = context.current_time();
    for (offset, frequency) in [(0.0, 880.0), (0.12, 1320.0)] {
        let (Ok(tone), Ok(gain)) = (context.create_oscillator(), context.create_gain()) else { return };
        tone.set_type(OscillatorType::Sine);
        tone.frequency().set_value(frequency);
        gain.gain().set_value(0.08);
        let _ = gain.gain().linear_ramp_to_value_at_time(0.0, now + offset + 0.18);
        let _ = tone.connect_with_audio_node(&gain).and_then(|_| gain.connect_with_audio_node(&context.destination()));
        let _ = tone.start_with_when(now + offset);
        let _ = tone.stop_with_when(now + offset + 0.2);
    }
}
