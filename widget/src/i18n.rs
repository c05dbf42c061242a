//! Every string the shopper reads. English is here, compiled in (it is also the fallback); Dutch,
//! Arabic and Persian are in `widget/i18n/*.json`, one file per language, and only the shopper's
//! own language is fetched (the loader starts that while the app loads): three languages the
//! shopper does not read would cost every shopper about 3 KB. A test checks that every file has
//! every text, with the same placeholders. Placeholders in braces (`{name}`, `{n}`, `{email}`) are
//! filled in by [`Locale::fill`]. Arabic and Persian are written right to left.

use std::cell::RefCell;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    Nl,
    Ar,
    Fa,
}

/// Every text of the widget. Keep the four tables below complete: a test checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    OpenChat,
    CloseChat,
    ChatWithUs,
    Greeting,
    Online,
    Offline,
    Connecting,
    Reconnecting,
    MessageLabel,
    Placeholder,
    Send,
    Sending,
    Sent,
    NotSent,
    Retry,
    Discard,
    You,
    AgentFallbackName,
    Joined,
    Typing,
    Today,
    Yesterday,
    Unread,
    NewMessageTitle,
    QueuePosition,
    QueueNext,
    EstimatedWait,
    EstimatedWaitShort,
    NoEstimate,
    OfflineTitle,
    OfflineIntro,
    EmailLabel,
    MessageFieldLabel,
    LeaveMessageSubmit,
    LeftMessageThanks,
    InvalidEmail,
    ChatEnded,
    RatePrompt,
    RateScore,
    CommentLabel,
    SubmitRating,
    ThanksForRating,
    DownloadTranscript,
    EmailTranscript,
    EmailTranscriptSubmit,
    TranscriptRequested,
    CardMasked,
    TranscriptTitle,
    QuestionRequired,
}

impl Text {
    /// The name of this text in the translation files (`widget/i18n/*.json`).
    pub fn key(self) -> &'static str {
        match self {
            Text::OpenChat => "open_chat",
            Text::CloseChat => "close_chat",
            Text::ChatWithUs => "chat_with_us",
            Text::Greeting => "greeting",
            Text::Online => "online",
            Text::Offline => "offline",
            Text::Connecting => "connecting",
            Text::Reconnecting => "reconnecting",
            Text::MessageLabel => "message_label",
            Text::Placeholder => "placeholder",
            Text::Send => "send",
            Text::Sending => "sending",
            Text::Sent => "sent",
            Text::NotSent => "not_sent",
            Text::Retry => "retry",
            Text::Discard => "discard",
            Text::You => "you",
            Text::AgentFallbackName => "agent_fallback_name",
            Text::Joined => "joined",
            Text::Typing => "typing",
            Text::Today => "today",
            Text::Yesterday => "yesterday",
            Text::Unread => "unread",
            Text::NewMessageTitle => "new_message_title",
            Text::QueuePosition => "queue_position",
            Text::QueueNext => "queue_next",
            Text::EstimatedWait => "estimated_wait",
            Text::EstimatedWaitShort => "estimated_wait_short",
            Text::NoEstimate => "no_estimate",
            Text::OfflineTitle => "offline_title",
            Text::OfflineIntro => "offline_intro",
            Text::EmailLabel => "email_label",
            Text::MessageFieldLabel => "message_field_label",
            Text::LeaveMessageSubmit => "leave_message_submit",
            Text::LeftMessageThanks => "left_message_thanks",
            Text::InvalidEmail => "invalid_email",
            Text::ChatEnded => "chat_ended",
            Text::RatePrompt => "rate_prompt",
            Text::RateScore => "rate_score",
            Text::CommentLabel => "comment_label",
            Text::SubmitRating => "submit_rating",
            Text::ThanksForRating => "thanks_for_rating",
            Text::DownloadTranscript => "download_transcript",
            Text::EmailTranscript => "email_transcript",
            Text::EmailTranscriptSubmit => "email_transcript_submit",
            Text::TranscriptRequested => "transcript_requested",
            Text::CardMasked => "card_masked",
            Text::TranscriptTitle => "transcript_title",
            Text::QuestionRequired => "question_required",
        }
    }

    pub const ALL: [Text; 49] = [
        Text::OpenChat,
        Text::CloseChat,
        Text::ChatWithUs,
        Text::Greeting,
        Text::Online,
        Text::Offline,
        Text::Connecting,
        Text::Reconnecting,
        Text::MessageLabel,
        Text::Placeholder,
        Text::Send,
        Text::Sending,
        Text::Sent,
        Text::NotSent,
        Text::Retry,
        Text::Discard,
        Text::You,
        Text::AgentFallbackName,
        Text::Joined,
        Text::Typing,
        Text::Today,
        Text::Yesterday,
        Text::Unread,
        Text::NewMessageTitle,
        Text::QueuePosition,
        Text::QueueNext,
        Text::EstimatedWait,
        Text::EstimatedWaitShort,
        Text::NoEstimate,
        Text::OfflineTitle,
        Text::OfflineIntro,
        Text::EmailLabel,
        Text::MessageFieldLabel,
        Text::LeaveMessageSubmit,
        Text::LeftMessageThanks,
        Text::InvalidEmail,
        Text::ChatEnded,
        Text::RatePrompt,
        Text::RateScore,
        Text::CommentLabel,
        Text::SubmitRating,
        Text::ThanksForRating,
        Text::DownloadTranscript,
        Text::EmailTranscript,
        Text::EmailTranscriptSubmit,
        Text::TranscriptRequested,
        Text::CardMasked,
        Text::TranscriptTitle,
        Text::QuestionRequired,
    ];
}

impl Locale {
    /// The best supported language for a BCP 47 tag such as `nl-BE` or `fa-IR`; English otherwise.
    pub fn from_tag(tag: &str) -> Locale {
        match tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase().as_str() {
            "nl" => Locale::Nl,
            "ar" => Locale::Ar,
            "fa" => Locale::Fa,
            _ => Locale::En,
        }
    }

    /// The tag used for dates and numbers (`Intl`).
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Nl => "nl",
            Locale::Ar => "ar",
            Locale::Fa => "fa",
        }
    }

    pub fn is_rtl(self) -> bool {
        matches!(self, Locale::Ar | Locale::Fa)
    }

    /// The text in this language, or in English while (or if) its table is not loaded.
    pub fn t(self, text: Text) -> &'static str {
        let index = self.table_index();
        TABLES
            .with_borrow(|tables| index.and_then(|i| tables[i].as_ref()).map(|table| table[text as usize]))
            .unwrap_or_else(|| english(text))
    }

    fn table_index(self) -> Option<usize> {
        match self {
            Locale::En => None,
            Locale::Nl => Some(0),
            Locale::Ar => Some(1),
            Locale::Fa => Some(2),
        }
    }

    /// Installs this language's table from a translation file's object (`text key → string`). A
    /// text missing from it (or not a string) stays in English.
    pub fn load(self, table: &wasm_bindgen::JsValue) {
        let Some(index) = self.table_index() else { return };
        let strings = Text::ALL
            .iter()
            .map(|text| {
                let value = js_sys::Reflect::get(table, &text.key().into()).ok().and_then(|v| v.as_string());
                // Kept for the page's lifetime: at most three small tables, loaded once each.
                value.map_or(english(*text), |s| &*Box::leak(s.into_boxed_str()))
            })
            .collect();
        TABLES.with_borrow_mut(|tables| tables[index] = Some(strings));
    }

    /// This language if its table is here (English is always), else English: a shopper whose
    /// language could not be fetched reads English throughout, not English words laid out right
    /// to left with Arabic dates.
    pub fn or_english(self) -> Locale {
        let loaded = self.table_index().is_none_or(|i| TABLES.with_borrow(|tables| tables[i].is_some()));
        if loaded { self } else { Locale::En }
    }

    /// The text with `{key}` replaced by `value`, isolated (U+2068 … U+2069) so that a name or
    /// an address in another script cannot reorder the sentence around it.
    pub fn fill(self, text: Text, key: &str, value: &str) -> String {
        self.t(text).replace(&format!("{{{key}}}"), &format!("\u{2068}{value}\u{2069}"))
    }
}

thread_local! {
    /// Loaded tables for Dutch, Arabic and Persian, indexed by `Text as usize`.
    static TABLES: RefCell<[Option<Vec<&'static str>>; 3]> = const { RefCell::new([None, None, None]) };
}

fn english(text: Text) -> &'static str {
    match text {
        Text::OpenChat => "Open chat",
        Text::CloseChat => "Close chat",
        Text::ChatWithUs => "Chat with us",
        Text::Greeting => "Hi! Questions about your order, delivery or payment? Ask us here.",
        Text::Online => "We usually reply within a few minutes",
        Text::Offline => "We're offline right now",
        Text::Connecting => "Connecting…",
        Text::Reconnecting => "Connection lost. Reconnecting…",
        Text::MessageLabel => "Your message",
        Text::Placeholder => "Write a message…",
        Text::Send => "Send",
        Text::Sending => "Sending…",
        Text::Sent => "Sent",
        Text::NotSent => "Not sent",
        Text::Retry => "Retry",
        Text::Discard => "Discard",
        Text::You => "You",
        Text::AgentFallbackName => "Our team",
        Text::Joined => "{name} joined the chat",
        Text::Typing => "{name} is typing…",
        Text::Today => "Today",
        Text::Yesterday => "Yesterday",
        Text::Unread => "{n} unread messages",
        Text::NewMessageTitle => "New message",
        Text::QueuePosition => "You're number {n} in line.",
        Text::QueueNext => "You're next in line.",
        Text::EstimatedWait => "Estimated wait: about {n} min.",
        Text::EstimatedWaitShort => "Estimated wait: under a minute.",
        Text::NoEstimate => "Someone will be with you as soon as possible.",
        Text::OfflineTitle => "Leave us a message",
        // Promises only what happens: the team reads it (replies by email are not the product's).
        Text::OfflineIntro => {
            "No one is online right now. Leave your question and your email: the team reads it as soon as they are back."
        }
        Text::EmailLabel => "Your email",
        Text::MessageFieldLabel => "Your question",
        Text::LeaveMessageSubmit => "Send message",
        Text::LeftMessageThanks => "Thanks! The team has your question, and {email} to reach you.",
        Text::InvalidEmail => "Please enter a valid email address.",
        Text::ChatEnded => "This chat has ended.",
        Text::RatePrompt => "How did we do?",
        Text::RateScore => "{n} out of 5",
        Text::CommentLabel => "Anything to add? (optional)",
        Text::SubmitRating => "Send rating",
        Text::ThanksForRating => "Thanks for your feedback!",
        Text::DownloadTranscript => "Download transcript",
        Text::EmailTranscript => "Email me this conversation",
        Text::EmailTranscriptSubmit => "Send",
        Text::TranscriptRequested => "We'll email this conversation to {email}.",
        Text::CardMasked => "For your safety we hid the card number. Never share full card numbers in a chat.",
        Text::TranscriptTitle => "Chat transcript",
        Text::QuestionRequired => "Please write your question.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_tags_map_to_supported_languages() {
        assert_eq!(Locale::from_tag("nl-BE"), Locale::Nl);
        assert_eq!(Locale::from_tag("NL"), Locale::Nl);
        assert_eq!(Locale::from_tag("ar-EG"), Locale::Ar);
        assert_eq!(Locale::from_tag("fa_IR"), Locale::Fa);
        assert_eq!(Locale::from_tag("en-GB"), Locale::En);
        assert_eq!(Locale::from_tag(""), Locale::En);
        assert_eq!(Locale::from_tag("xx"), Locale::En);
        assert!(Locale::Ar.is_rtl() && Locale::Fa.is_rtl() && !Locale::Nl.is_rtl());
    }

    #[test]
    fn every_language_file_translates_every_text_with_the_same_placeholders() {
        for language in ["nl", "ar", "fa"] {
            let path = format!("{}/i18n/{language}.json", env!("CARGO_MANIFEST_DIR"));
            let file = std::fs::read_to_string(&path).unwrap();
            let table: std::collections::BTreeMap<String, String> = serde_json::from_str(&file).unwrap();
            assert_eq!(table.len(), Text::ALL.len(), "{language}: a text is missing or unknown");
            for text in Text::ALL {
                let (english, translated) = (english(text), &table[text.key()]);
                assert!(!translated.trim().is_empty(), "{language} {text:?} is empty");
                assert_ne!(translated, english, "{language} {text:?} is not translated");
                for key in ["{name}", "{n}", "{email}"] {
                    assert_eq!(
                        english.contains(key),
                        translated.contains(key),
                        "{language} {text:?}: placeholder {key}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_text_has_its_own_key_and_place() {
        let keys: std::collections::BTreeSet<&str> = Text::ALL.iter().map(|t| t.key()).collect();
        assert_eq!(keys.len(), Text::ALL.len());
        assert!(Text::ALL.iter().enumerate().all(|(i, t)| *t as usize == i), "ALL lists the texts in order");
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(Locale::En.fill(Text::Joined, "name", "Anna"), "\u{2068}Anna\u{2069} joined the chat");
    }
}
