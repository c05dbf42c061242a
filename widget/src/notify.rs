//! Telling a shopper about a reply while the chat is closed or the tab is in the background: a
//! count in the tab's title and, when the shop enabled it, a short chime. The page's own title
//! comes back as soon as the shopper looks.

use leptos::prelude::*;

/// The page title before we prefixed it, while prefixed.
#[derive(Clone, Copy)]
pub struct TitleNotice {
    original: StoredValue<Option<String>, LocalStorage>,
}

impl TitleNotice {
    pub fn new() -> Self {
        TitleNotice { original: StoredValue::new_local(None) }
    }

    pub fn show(&self, unread: u32, label: &str) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        let original = self.original.get_value().unwrap_or_else(|| document.title());
        document.set_title(&format!("({unread}) {label} – {original}"));
        self.original.set_value(Some(original));
    }

    pub fn clear(&self) {
        if let (Some(original), Some(document)) =
            (self.original.get_value(), web_sys::window().and_then(|w| w.document()))
        {
            document.set_title(&original);
            self.original.set_value(None);
        }
    }
}

pub fn page_hidden() -> bool {
    web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden())
}

/// Two soft notes. Browsers allow sound only after the shopper interacted with the page; a
/// refused one is simply not heard.
pub fn chime() {
    let Ok(context) = web_sys::AudioContext::new() else { return };
    let start = context.current_time();
    for (offset, frequency) in [(0.0, 880.0), (0.12, 1320.0)] {
        let (Ok(oscillator), Ok(gain)) = (context.create_oscillator(), context.create_gain()) else { return };
        oscillator.frequency().set_value(frequency);
        gain.gain().set_value(0.06);
        let _ = oscillator.connect_with_audio_node(&gain);
        let _ = gain.connect_with_audio_node(&context.destination());
        let _ = oscillator.start_with_when(start + offset);
        let _ = oscillator.stop_with_when(start + offset + 0.1);
    }
}
