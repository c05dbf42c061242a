//! Every string the shopper reads, in English, Dutch, Arabic and Persian: one table, one
//! function per language. Placeholders in braces (`{name}`, `{n}`, `{email}`) are filled in by
//! [`Locale::fill`]. Arabic and Persian are written right to left.

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
    StartNewChat,
    DownloadTranscript,
    EmailTranscript,
    EmailTranscriptSubmit,
    TranscriptRequested,
    CardMasked,
    TranscriptTitle,
}

impl Text {
    #[cfg(test)]
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
        Text::StartNewChat,
        Text::DownloadTranscript,
        Text::EmailTranscript,
        Text::EmailTranscriptSubmit,
        Text::TranscriptRequested,
        Text::CardMasked,
        Text::TranscriptTitle,
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

    pub fn t(self, text: Text) -> &'static str {
        match self {
            Locale::En => english(text),
            Locale::Nl => dutch(text),
            Locale::Ar => arabic(text),
            Locale::Fa => persian(text),
        }
    }

    /// The text with `{key}` replaced by `value`.
    pub fn fill(self, text: Text, key: &str, value: &str) -> String {
        self.t(text).replace(&format!("{{{key}}}"), value)
    }
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
        Text::OfflineIntro => {
            "No one is online right now. Leave your email and your question, and we'll get back to you."
        }
        Text::EmailLabel => "Your email",
        Text::MessageFieldLabel => "Your question",
        Text::LeaveMessageSubmit => "Send message",
        Text::LeftMessageThanks => "Thanks! We'll reply to {email}.",
        Text::InvalidEmail => "Please enter a valid email address.",
        Text::ChatEnded => "This chat has ended.",
        Text::RatePrompt => "How did we do?",
        Text::RateScore => "{n} out of 5",
        Text::CommentLabel => "Anything to add? (optional)",
        Text::SubmitRating => "Send rating",
        Text::ThanksForRating => "Thanks for your feedback!",
        Text::StartNewChat => "Start a new chat",
        Text::DownloadTranscript => "Download transcript",
        Text::EmailTranscript => "Email me this conversation",
        Text::EmailTranscriptSubmit => "Send",
        Text::TranscriptRequested => "We'll email this conversation to {email}.",
        Text::CardMasked => "For your safety we hid the card number. Never share full card numbers in a chat.",
        Text::TranscriptTitle => "Chat transcript",
    }
}

fn dutch(text: Text) -> &'static str {
    match text {
        Text::OpenChat => "Chat openen",
        Text::CloseChat => "Chat sluiten",
        Text::ChatWithUs => "Chat met ons",
        Text::Greeting => "Hoi! Vragen over je bestelling, levering of betaling? Stel ze hier.",
        Text::Online => "We reageren meestal binnen een paar minuten",
        Text::Offline => "We zijn nu offline",
        Text::Connecting => "Verbinden…",
        Text::Reconnecting => "Verbinding verbroken. Opnieuw verbinden…",
        Text::MessageLabel => "Je bericht",
        Text::Placeholder => "Typ een bericht…",
        Text::Send => "Verstuur",
        Text::Sending => "Versturen…",
        Text::Sent => "Verstuurd",
        Text::NotSent => "Niet verstuurd",
        Text::Retry => "Opnieuw proberen",
        Text::Discard => "Verwijderen",
        Text::You => "Jij",
        Text::AgentFallbackName => "Ons team",
        Text::Joined => "{name} neemt deel aan de chat",
        Text::Typing => "{name} is aan het typen…",
        Text::Today => "Vandaag",
        Text::Yesterday => "Gisteren",
        Text::Unread => "{n} ongelezen berichten",
        Text::NewMessageTitle => "Nieuw bericht",
        Text::QueuePosition => "Je bent nummer {n} in de wachtrij.",
        Text::QueueNext => "Je bent als volgende aan de beurt.",
        Text::EstimatedWait => "Geschatte wachttijd: ongeveer {n} min.",
        Text::EstimatedWaitShort => "Geschatte wachttijd: minder dan een minuut.",
        Text::NoEstimate => "We helpen je zo snel mogelijk.",
        Text::OfflineTitle => "Laat een bericht achter",
        Text::OfflineIntro => {
            "Er is nu niemand online. Laat je e-mailadres en je vraag achter, dan nemen we contact met je op."
        }
        Text::EmailLabel => "Je e-mailadres",
        Text::MessageFieldLabel => "Je vraag",
        Text::LeaveMessageSubmit => "Bericht versturen",
        Text::LeftMessageThanks => "Bedankt! We sturen ons antwoord naar {email}.",
        Text::InvalidEmail => "Vul een geldig e-mailadres in.",
        Text::ChatEnded => "Deze chat is beëindigd.",
        Text::RatePrompt => "Hoe hebben we het gedaan?",
        Text::RateScore => "{n} van de 5",
        Text::CommentLabel => "Nog iets toevoegen? (optioneel)",
        Text::SubmitRating => "Beoordeling versturen",
        Text::ThanksForRating => "Bedankt voor je feedback!",
        Text::StartNewChat => "Nieuwe chat starten",
        Text::DownloadTranscript => "Gesprek downloaden",
        Text::EmailTranscript => "Mail mij dit gesprek",
        Text::EmailTranscriptSubmit => "Verstuur",
        Text::TranscriptRequested => "We mailen dit gesprek naar {email}.",
        Text::CardMasked => {
            "Voor je veiligheid hebben we het kaartnummer verborgen. Deel nooit volledige kaartnummers in een chat."
        }
        Text::TranscriptTitle => "Chatgesprek",
    }
}

fn arabic(text: Text) -> &'static str {
    match text {
        Text::OpenChat => "فتح المحادثة",
        Text::CloseChat => "إغلاق المحادثة",
        Text::ChatWithUs => "تحدث معنا",
        Text::Greeting => "مرحبًا! هل لديك سؤال عن طلبك أو التوصيل أو الدفع؟ اسألنا هنا.",
        Text::Online => "نرد عادةً خلال دقائق قليلة",
        Text::Offline => "نحن غير متصلين الآن",
        Text::Connecting => "جارٍ الاتصال…",
        Text::Reconnecting => "انقطع الاتصال. جارٍ إعادة الاتصال…",
        Text::MessageLabel => "رسالتك",
        Text::Placeholder => "اكتب رسالة…",
        Text::Send => "إرسال",
        Text::Sending => "جارٍ الإرسال…",
        Text::Sent => "تم الإرسال",
        Text::NotSent => "لم يتم الإرسال",
        Text::Retry => "إعادة المحاولة",
        Text::Discard => "حذف",
        Text::You => "أنت",
        Text::AgentFallbackName => "فريقنا",
        Text::Joined => "انضم {name} إلى المحادثة",
        Text::Typing => "{name} يكتب…",
        Text::Today => "اليوم",
        Text::Yesterday => "أمس",
        Text::Unread => "رسائل غير مقروءة: {n}",
        Text::NewMessageTitle => "رسالة جديدة",
        Text::QueuePosition => "ترتيبك في قائمة الانتظار: {n}.",
        Text::QueueNext => "أنت التالي في قائمة الانتظار.",
        Text::EstimatedWait => "وقت الانتظار المتوقع: حوالي {n} دقيقة.",
        Text::EstimatedWaitShort => "وقت الانتظار المتوقع: أقل من دقيقة.",
        Text::NoEstimate => "سيرد عليك أحد أفراد فريقنا في أقرب وقت ممكن.",
        Text::OfflineTitle => "اترك لنا رسالة",
        Text::OfflineIntro => "لا يوجد أحد متصل الآن. اترك بريدك الإلكتروني وسؤالك، وسنعاود التواصل معك.",
        Text::EmailLabel => "بريدك الإلكتروني",
        Text::MessageFieldLabel => "سؤالك",
        Text::LeaveMessageSubmit => "إرسال الرسالة",
        Text::LeftMessageThanks => "شكرًا! سنرسل ردنا إلى {email}.",
        Text::InvalidEmail => "يرجى إدخال بريد إلكتروني صالح.",
        Text::ChatEnded => "انتهت هذه المحادثة.",
        Text::RatePrompt => "كيف كانت تجربتك معنا؟",
        Text::RateScore => "{n} من ٥",
        Text::CommentLabel => "هل تود إضافة شيء؟ (اختياري)",
        Text::SubmitRating => "إرسال التقييم",
        Text::ThanksForRating => "شكرًا على ملاحظاتك!",
        Text::StartNewChat => "بدء محادثة جديدة",
        Text::DownloadTranscript => "تنزيل نص المحادثة",
        Text::EmailTranscript => "أرسل لي هذه المحادثة بالبريد الإلكتروني",
        Text::EmailTranscriptSubmit => "إرسال",
        Text::TranscriptRequested => "سنرسل هذه المحادثة إلى {email}.",
        Text::CardMasked => "حرصًا على أمانك، أخفينا رقم البطاقة. لا تشارك أبدًا أرقام البطاقات كاملة في المحادثة.",
        Text::TranscriptTitle => "نص المحادثة",
    }
}

fn persian(text: Text) -> &'static str {
    match text {
        Text::OpenChat => "باز کردن گفت\u{200c}وگو",
        Text::CloseChat => "بستن گفت\u{200c}وگو",
        Text::ChatWithUs => "با ما گفت\u{200c}وگو کنید",
        Text::Greeting => "سلام! درباره سفارش، ارسال یا پرداخت سؤالی دارید؟ همین\u{200c}جا از ما بپرسید.",
        Text::Online => "معمولاً ظرف چند دقیقه پاسخ می\u{200c}دهیم",
        Text::Offline => "در حال حاضر آفلاین هستیم",
        Text::Connecting => "در حال اتصال…",
        Text::Reconnecting => "اتصال قطع شد. در حال اتصال دوباره…",
        Text::MessageLabel => "پیام شما",
        Text::Placeholder => "پیامی بنویسید…",
        Text::Send => "ارسال",
        Text::Sending => "در حال ارسال…",
        Text::Sent => "ارسال شد",
        Text::NotSent => "ارسال نشد",
        Text::Retry => "تلاش دوباره",
        Text::Discard => "حذف",
        Text::You => "شما",
        Text::AgentFallbackName => "تیم ما",
        Text::Joined => "{name} به گفت\u{200c}وگو پیوست",
        Text::Typing => "{name} در حال نوشتن است…",
        Text::Today => "امروز",
        Text::Yesterday => "دیروز",
        Text::Unread => "{n} پیام خوانده\u{200c}نشده",
        Text::NewMessageTitle => "پیام جدید",
        Text::QueuePosition => "شما نفر {n} در صف هستید.",
        Text::QueueNext => "نفر بعدی شما هستید.",
        Text::EstimatedWait => "زمان تقریبی انتظار: حدود {n} دقیقه.",
        Text::EstimatedWaitShort => "زمان تقریبی انتظار: کمتر از یک دقیقه.",
        Text::NoEstimate => "در اولین فرصت یکی از همکاران ما پاسخگوی شما خواهد بود.",
        Text::OfflineTitle => "برای ما پیام بگذارید",
        Text::OfflineIntro => "در حال حاضر کسی آنلاین نیست. ایمیل و سؤال خود را بنویسید تا به شما پاسخ دهیم.",
        Text::EmailLabel => "ایمیل شما",
        Text::MessageFieldLabel => "سؤال شما",
        Text::LeaveMessageSubmit => "ارسال پیام",
        Text::LeftMessageThanks => "ممنون! پاسخ را به {email} می\u{200c}فرستیم.",
        Text::InvalidEmail => "لطفاً یک نشانی ایمیل معتبر وارد کنید.",
        Text::ChatEnded => "این گفت\u{200c}وگو به پایان رسید.",
        Text::RatePrompt => "از ما راضی بودید؟",
        Text::RateScore => "{n} از ۵",
        Text::CommentLabel => "نکته\u{200c}ای برای افزودن دارید؟ (اختیاری)",
        Text::SubmitRating => "ثبت امتیاز",
        Text::ThanksForRating => "از بازخورد شما ممنونیم!",
        Text::StartNewChat => "شروع گفت\u{200c}وگوی جدید",
        Text::DownloadTranscript => "دانلود متن گفت\u{200c}وگو",
        Text::EmailTranscript => "این گفت\u{200c}وگو را برایم ایمیل کنید",
        Text::EmailTranscriptSubmit => "ارسال",
        Text::TranscriptRequested => "این گفت\u{200c}وگو را به {email} ایمیل می\u{200c}کنیم.",
        Text::CardMasked => {
            "برای امنیت شما، شماره کارت را پنهان کردیم. هرگز شماره کامل کارت را در گفت\u{200c}وگو به اشتراک نگذارید."
        }
        Text::TranscriptTitle => "متن گفت\u{200c}وگو",
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
    fn every_language_translates_every_text_with_the_same_placeholders() {
        for locale in [Locale::Nl, Locale::Ar, Locale::Fa] {
            for text in Text::ALL {
                let (english, translated) = (Locale::En.t(text), locale.t(text));
                assert!(!translated.trim().is_empty(), "{locale:?} {text:?} is empty");
                if text != Text::EmailTranscriptSubmit && text != Text::Send {
                    assert_ne!(translated, english, "{locale:?} {text:?} is not translated");
                }
                for key in ["{name}", "{n}", "{email}"] {
                    assert_eq!(
                        english.contains(key),
                        translated.contains(key),
                        "{locale:?} {text:?}: placeholder {key}"
                    );
                }
            }
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(Locale::En.fill(Text::Joined, "name", "Anna"), "Anna joined the chat");
    }
}
