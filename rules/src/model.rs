//! The rule model: what a shop configures. Plain data, so the relay (from TOML) and the widget (from
//! the wire codec) build the same values and evaluate them the same way.

/// A proactive prompt: when `when` holds and `cap` allows, the widget shows `message` with
/// `replies` as one-tap answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize), serde(deny_unknown_fields))]
pub struct Rule {
    /// Names the rule in history (caps, dismissals), in `choose_named` and in errors, so it must
    /// stay stable when the shop edits the rule.
    pub id: String,
    pub when: Condition,
    pub message: Localized,
    /// Optional because most prompts are a single sentence that opens the chat.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub replies: Vec<Localized>,
    pub cap: Cap,
}

/// Text per language tag, in config order. A list rather than a map: there are a handful of
/// languages and the order is kept for error messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Localized(pub Vec<(String, String)>);

impl Localized {
    /// Matches on the first two characters only, so "nl-BE" from the browser finds "nl"; falls
    /// back to "en", which validation requires, so a shopper always sees something.
    pub fn get(&self, lang: &str) -> &str {
        let wanted = lang.as_bytes().get(..2);
        let found = self.0.iter().find(|(tag, _)| match (wanted, tag.as_bytes().get(..2)) {
            (Some(w), Some(t)) => w.eq_ignore_ascii_case(t),
            _ => false,
        });
        found.or_else(|| self.0.iter().find(|(tag, _)| tag == "en")).map_or("", |(_, text)| text)
    }
}

/// A condition on what the shopper is doing; see [`crate::Context`] for where the facts come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize), serde(rename_all = "snake_case"))]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    /// Glob on the page path: `*` stays within one segment, `**` crosses segments, `?` is one
    /// character other than `/`. `/checkout/**` does not match `/checkout` itself.
    Path(String),
    /// ASCII case-insensitive, because shops spell step names however their templates do.
    Step(String),
    /// Never matches without a current step: "30 s on the step" means nothing off the checkout.
    SecondsOnStep(u32),
    IdleSeconds(u32),
    CartTotalAtLeast(Amount),
    CartTotalAtMost(Amount),
    ItemsAtLeast(u32),
    ItemsAtMost(u32),
    ExitIntent(bool),
    Visitor(VisitorKind),
    /// A custom event the shop's code fired on this page (ASCII case-insensitive).
    Event(String),
    /// Never matches while it is unknown whether agents are online, so an "offline" prompt does
    /// not flash before the relay has said.
    AgentsOnline(bool),
}

impl Condition {
    /// Whether the condition says anything about agents being online, anywhere in it.
    pub fn mentions_agents_online(&self) -> bool {
        match self {
            Condition::All(conditions) | Condition::Any(conditions) => {
                conditions.iter().any(Condition::mentions_agents_online)
            }
            Condition::AgentsOnline(_) => true,
            _ => false,
        }
    }
}

impl Rule {
    /// The rule as the widget gets it: a prompt offers help, so a rule that does not say when
    /// agents must be online speaks only while one is (`agents_online = true` added to it). A
    /// rule that mentions `agents_online` anywhere is left as the shop wrote it, which is how a
    /// shop gives an offline text of its own or lets a prompt speak regardless.
    pub fn only_when_staffed_by_default(mut self) -> Self {
        if !self.when.mentions_agents_online() {
            self.when = Condition::All(vec![self.when, Condition::AgentsOnline(true)]);
        }
        self
    }
}

/// An amount in hundredths of the currency unit, as the widget reports cart totals. Integers, so
/// the widget never formats or parses floats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    pub cents: i64,
    /// When given, only carts in this currency (ISO 4217) match: 50 EUR and 50 SEK are not alike.
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize), serde(rename_all = "snake_case"))]
pub enum VisitorKind {
    New,
    Returning,
}

/// How often a rule may show, so prompts help rather than nag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// At most once per page view.
    Page,
    /// At most once per browsing session.
    Session,
    /// At most once ever for this browser.
    Visitor,
    /// At most once per this many days.
    Days(u32),
}

impl Cap {
    /// The config spelling, which [`Cap::parse`] reads back.
    pub fn spelling(self) -> String {
        match self {
            Cap::Page => "page".into(),
            Cap::Session => "session".into(),
            Cap::Visitor => "visitor".into(),
            Cap::Days(days) => format!("{days}d"),
        }
    }

    /// The config spelling: "page", "session", "visitor" or days like "7d". Any day count
    /// parses; validation says whether it is in range.
    pub fn parse(text: &str) -> Option<Cap> {
        match text {
            "page" => Some(Cap::Page),
            "session" => Some(Cap::Session),
            "visitor" => Some(Cap::Visitor),
            _ => {
                let days = crate::text::parse_int(text.strip_suffix('d')?)?;
                u32::try_from(days).ok().map(Cap::Days)
            }
        }
    }
}
