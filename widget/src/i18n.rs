//! Every string the shopper reads, per language. English is complete and the fallback.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    Nl,
}

#[derive(Debug, Clone, Copy)]
pub enum Text {
    OpenChat,
    CloseChat,
    ChatWithUs,
    Greeting,
    Online,
    Connecting,
    Reconnecting,
    MessageLabel,
    Placeholder,
    Send,
    Sending,
    NotSent,
    Retry,
    Discard,
    You,
    Joined,
}

impl Locale {
    /// Picks the best supported language for a BCP 47 tag such as `nl-BE`.
    pub fn from_tag(tag: &str) -> Locale {
        match tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase().as_str() {
            "nl" => Locale::Nl,
            _ => Locale::En,
        }
    }

    pub fn t(self, text: Text) -> &'static str {
        match self {
            Locale::En => english(text),
            Locale::Nl => dutch(text),
        }
    }
}

fn english(text: Text) -> &'static str {
    match text {
        Text::OpenChat => "Open chat",
        Text::CloseChat => "Close chat",
        Text::ChatWithUs => "Chat with us",
        Text::Greeting => "Hi! Questions about your order, delivery or payment? Ask us here.",
        Text::Online => "We usually reply within a few minutes",
        Text::Connecting => "Connecting…",
        Text::Reconnecting => "Connection lost. Reconnecting…",
        Text::MessageLabel => "Your message",
        Text::Placeholder => "Write a message…",
        Text::Send => "Send",
        Text::Sending => "Sending…",
        Text::NotSent => "Not sent",
        Text::Retry => "Retry",
        Text::Discard => "Discard",
        Text::You => "You",
        Text::Joined => "joined the chat",
    }
}

fn dutch(text: Text) -> &'static str {
    match text {
        Text::OpenChat => "Chat openen",
        Text::CloseChat => "Chat sluiten",
        Text::ChatWithUs => "Chat met ons",
        Text::Greeting => "Hoi! Vragen over je bestelling, levering of betaling? Stel ze hier.",
        Text::Online => "We antwoorden meestal binnen enkele minuten",
        Text::Connecting => "Verbinden…",
        Text::Reconnecting => "Verbinding verbroken. Opnieuw verbinden…",
        Text::MessageLabel => "Je bericht",
        Text::Placeholder => "Schrijf een bericht…",
        Text::Send => "Versturen",
        Text::Sending => "Versturen…",
        Text::NotSent => "Niet verstuurd",
        Text::Retry => "Opnieuw",
        Text::Discard => "Verwijderen",
        Text::You => "Jij",
        Text::Joined => "neemt deel aan de chat",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_tags_map_to_supported_languages() {
        assert_eq!(Locale::from_tag("nl-BE"), Locale::Nl);
        assert_eq!(Locale::from_tag("NL"), Locale::Nl);
        assert_eq!(Locale::from_tag("en-GB"), Locale::En);
        assert_eq!(Locale::from_tag(""), Locale::En);
        assert_eq!(Locale::from_tag("xx"), Locale::En);
    }
}
