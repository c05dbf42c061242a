//! A shop's settings as its owner edits them in the console (`/v1/admin/settings`), and what of
//! them the widget is told (`ShopFace`). Pure: the checks here are the relay's and the console's
//! alike, so a form can say what the relay would refuse before it is sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::text::is_invisible;

/// The languages the widget speaks (its translations); texts per language use these keys.
pub const LANGUAGES: [&str; 4] = ["en", "nl", "ar", "fa"];

/// Longest shop name, greeting and reply-time line.
pub const MAX_NAME_CHARS: usize = 80;
pub const MAX_GREETING_CHARS: usize = 300;
pub const MAX_REPLY_TIME_CHARS: usize = 120;
/// Most allowed origins a shop lists.
pub const MAX_ORIGINS: usize = 50;

/// The WCAG AA contrast for normal text, which the launcher's and buttons' text must reach.
pub const MIN_TEXT_CONTRAST: f64 = 4.5;

/// Everything an admin of a shop sets in the console. `PUT` replaces it whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopSettings {
    /// Shown to shoppers in the widget's header.
    pub name: String,
    /// The widget's main colour (`#rrggbb`); the text on it is chosen for contrast.
    pub accent: String,
    /// Which bottom corner the launcher sits in; `end` follows the page's direction.
    #[serde(default)]
    pub position: Position,
    /// Per language: the first line of every chat, instead of the built-in one.
    #[serde(default)]
    pub greeting: BTreeMap<String, String>,
    /// Per language: "we usually reply within …", instead of the built-in one.
    #[serde(default)]
    pub reply_time: BTreeMap<String, String>,
    /// "We're away": the widget shows the shop offline (leave a message) whoever is online.
    #[serde(default)]
    pub away: bool,
    /// Origins (`https://shop.example`) whose pages may open the widget; empty means any.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// Bottom right in a left-to-right page, bottom left in a right-to-left one.
    #[default]
    End,
    Left,
    Right,
}

impl ShopSettings {
    /// The settings of a shop nobody has edited: the built-in texts and the product's colour.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            accent: DEFAULT_ACCENT.into(),
            position: Position::End,
            greeting: BTreeMap::new(),
            reply_time: BTreeMap::new(),
            away: false,
            allowed_origins: Vec::new(),
        }
    }

    /// The settings as they are kept: each text one line, without bidi controls or invisible
    /// characters (a shop's name sits beside other text, where a stray override reorders it),
    /// empty texts gone (the built-in one serves), the colour in lower case, origins without a
    /// trailing slash and each once. Check [`problems`](Self::problems) after this.
    pub fn tidied(mut self) -> Self {
        self.name = one_line(&self.name);
        self.accent = self.accent.trim().to_ascii_lowercase();
        for texts in [&mut self.greeting, &mut self.reply_time] {
            texts.values_mut().for_each(|text| *text = one_line(text));
            texts.retain(|_, text| !text.is_empty());
        }
        let mut origins: Vec<String> = Vec::new();
        for origin in &self.allowed_origins {
            let origin = origin.trim().trim_end_matches('/').to_owned();
            if !origin.is_empty() && !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        self.allowed_origins = origins;
        self
    }

    /// Every problem, each with the field it concerns, so a form can show it there.
    pub fn problems(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        let mut add = |field: String, problem: Problem| problems.push(FieldProblem { field, problem });
        let name = self.name.trim();
        if name.is_empty() {
            add("name".into(), Problem::Empty);
        } else if name.chars().count() > MAX_NAME_CHARS {
            add("name".into(), Problem::TooLong { max: MAX_NAME_CHARS });
        }
        if parse_hex_colour(&self.accent).is_none() {
            add("accent".into(), Problem::NotAColour);
        }
        for (field, texts, max) in
            [("greeting", &self.greeting, MAX_GREETING_CHARS), ("reply_time", &self.reply_time, MAX_REPLY_TIME_CHARS)]
        {
            for (lang, text) in texts {
                let field = format!("{field}.{lang}");
                if !LANGUAGES.contains(&lang.as_str()) {
                    add(field, Problem::UnknownLanguage);
                } else if text.chars().count() > max {
                    add(field, Problem::TooLong { max });
                }
            }
        }
        if self.allowed_origins.len() > MAX_ORIGINS {
            add("allowed_origins".into(), Problem::TooMany { max: MAX_ORIGINS });
        }
        for (index, origin) in self.allowed_origins.iter().enumerate() {
            if !is_origin(origin) {
                add(format!("allowed_origins[{index}]"), Problem::NotAnOrigin);
            }
        }
        problems
    }

    /// The text for `lang` among `texts`, with none (the built-in text) for an empty one.
    pub fn text_for<'a>(texts: &'a BTreeMap<String, String>, lang: &str) -> Option<&'a str> {
        texts.get(lang).map(|text| text.trim()).filter(|text| !text.is_empty())
    }

    /// What the widget of a shopper speaking `lang` shows of these settings.
    pub fn face(&self, lang: &str, rules: Option<String>) -> ShopFace {
        let accent = self.accent.to_ascii_lowercase();
        ShopFace {
            shop_name: self.name.trim().to_owned(),
            greeting: Self::text_for(&self.greeting, lang).map(str::to_owned),
            reply_time: Self::text_for(&self.reply_time, lang).map(str::to_owned),
            look: Some(Look { on_accent: text_colour_on(&accent).to_owned(), accent, position: self.position }),
            rules,
        }
    }
}

/// The product's own teal, which white text reads well on.
pub const DEFAULT_ACCENT: &str = "#0f766e";

/// What the widget shows of its shop, in the shopper's language: in the welcome, and again in a
/// `shop` frame whenever an admin changes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopFace {
    /// The shop's display name, for the widget's header.
    pub shop_name: String,
    /// The shop's own greeting; none keeps the built-in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    /// The shop's own "we usually reply within …"; none keeps the built-in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_time: Option<String>,
    /// Colour and corner (drawn by the loader before any of this arrives, from the snippet's
    /// attributes, and corrected by the watcher).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub look: Option<Look>,
    /// The shop's proactive rules, in the compact form of `checkout_chat_rules::wire`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Look {
    /// `#rrggbb`.
    pub accent: String,
    /// The text colour on the accent: white or near-black, whichever reads at least 4.5:1.
    pub on_accent: String,
    pub position: Position,
}

/// What the install page shows (`GET /v1/admin/install`): the shop's id for the snippet, and
/// where its widget was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallInfo {
    pub shop: crate::ids::ShopId,
    /// Most recent first.
    pub seen: Vec<SeenOrigin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenOrigin {
    pub origin: String,
    pub last_seen_ms: i64,
    /// Whether the shop's allowed origins let this page open the widget.
    pub allowed: bool,
}

/// One change of a shop's settings, for the history an admin reads (`/v1/admin/settings/changes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsChange {
    /// `settings` (later also `rules`).
    pub section: String,
    pub at_ms: i64,
    /// Who made it; none for the configuration file's seed on the relay's first start.
    pub by: Option<crate::event::AgentProfile>,
    pub before: Option<serde_json::Value>,
    pub after: serde_json::Value,
}

/// A field of the settings and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// `name`, `greeting.nl`, `allowed_origins[2]`, …
    pub field: String,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    Empty,
    TooLong {
        max: usize,
    },
    TooMany {
        max: usize,
    },
    NotAColour,
    UnknownLanguage,
    NotAnOrigin,
    /// A proactive rule the relay's validator refuses, in its words.
    Rule {
        message: String,
    },
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = &self.field;
        match &self.problem {
            Problem::Empty => write!(f, "{field} must not be empty"),
            Problem::TooLong { max } => write!(f, "{field} has more than {max} characters"),
            Problem::TooMany { max } => write!(f, "{field} has more than {max} entries"),
            Problem::NotAColour => write!(f, "{field} is not a colour like #0f766e"),
            Problem::UnknownLanguage => write!(f, "{field}: the widget speaks {}", LANGUAGES.join(", ")),
            Problem::NotAnOrigin => write!(f, "{field} is not an origin like https://shop.example"),
            Problem::Rule { message } => write!(f, "{field}: {message}"),
        }
    }
}

/// `text` as one line: controls and invisible characters gone (but the joiners Persian and emoji
/// need), runs of whitespace one space, trimmed.
fn one_line(text: &str) -> String {
    let kept = |c: &char| !c.is_control() && (*c == '\u{200C}' || *c == '\u{200D}' || !is_invisible(*c));
    let words = text.split_whitespace().map(|word| word.chars().filter(kept).collect::<String>());
    words.filter(|word| !word.is_empty()).collect::<Vec<_>>().join(" ")
}

/// `https://host[:port]` or `http://host[:port]`, nothing after it.
pub fn is_origin(value: &str) -> bool {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    rest.is_some_and(|host| {
        !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']) && !host.chars().any(|c| c.is_control())
    })
}

/// The red, green and blue of `#rrggbb`.
pub fn parse_hex_colour(value: &str) -> Option<[u8; 3]> {
    let hex = value.strip_prefix('#').filter(|hex| hex.len() == 6 && hex.is_ascii())?;
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// WCAG's relative luminance of an sRGB colour.
fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let linear = |channel: u8| {
        let c = f64::from(channel) / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// WCAG's contrast ratio of two colours, from 1 to 21.
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The near-black text used on light accents (slate 900).
pub const DARK_TEXT: &str = "#0f172a";

/// White on the accent when it reads at 4.5:1, else near-black when that does, else black
/// (which always does then: every colour reaches 4.58:1 against white or black).
pub fn text_colour_on(accent: &str) -> &'static str {
    let Some(rgb) = parse_hex_colour(accent) else { return "#ffffff" };
    let reads = |text: &str| parse_hex_colour(text).is_some_and(|text| contrast(rgb, text) >= MIN_TEXT_CONTRAST);
    ["#ffffff", DARK_TEXT].into_iter().find(|text| reads(text)).unwrap_or("#000000")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_on_any_accent_reads_at_four_and_a_half_to_one() {
        assert_eq!(text_colour_on("#0f766e"), "#ffffff");
        assert_eq!(text_colour_on("#fde047"), DARK_TEXT);
        let dark = parse_hex_colour(DARK_TEXT).unwrap();
        for r in (0..=255).step_by(17) {
            for g in (0..=255).step_by(17) {
                for b in (0..=255).step_by(17) {
                    let accent = format!("#{r:02x}{g:02x}{b:02x}");
                    let text = parse_hex_colour(text_colour_on(&accent)).unwrap();
                    let ratio = contrast([r as u8, g as u8, b as u8], text);
                    assert!(ratio >= MIN_TEXT_CONTRAST, "{accent} on {text:?}: {ratio}");
                }
            }
        }
        assert!(contrast([255, 255, 255], dark) > 17.0);
    }

    #[test]
    fn problems_name_their_fields() {
        let mut settings = ShopSettings::named(" ");
        settings.accent = "teal".into();
        settings.greeting.insert("de".into(), "Hallo".into());
        settings.reply_time.insert("nl".into(), "x".repeat(MAX_REPLY_TIME_CHARS + 1));
        settings.allowed_origins = vec!["https://ok.example".into(), "shop.example/path".into()];
        let fields: Vec<String> = settings.tidied().problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["name", "accent", "greeting.de", "reply_time.nl", "allowed_origins[1]"]);
        assert!(ShopSettings::named("Nordhavn Coffee").problems().is_empty());
    }

    #[test]
    fn tidying_keeps_one_clean_line_of_each_text() {
        let mut settings = ShopSettings::named("  Nordhavn\u{202E} \n Coffee ");
        settings.accent = " #0F766E ".into();
        settings.greeting.insert("fa".into(), "گفت\u{200C}وگو\u{7}  با ما".into());
        settings.reply_time.insert("nl".into(), " \u{200B} ".into());
        settings.allowed_origins = vec!["https://a.example/".into(), "https://a.example".into()];
        let tidy = settings.tidied();
        assert_eq!(tidy.name, "Nordhavn Coffee");
        assert_eq!(tidy.accent, "#0f766e");
        assert_eq!(tidy.greeting["fa"], "گفت\u{200C}وگو با ما");
        assert!(tidy.reply_time.is_empty(), "an empty text is the built-in one");
        assert_eq!(tidy.allowed_origins, ["https://a.example"]);
    }

    #[test]
    fn the_face_speaks_the_shoppers_language_and_falls_back_to_the_built_in_text() {
        let mut settings = ShopSettings::named("Nordhavn");
        settings.accent = "#FDE047".into();
        settings.greeting.insert("nl".into(), "Hoi!".into());
        settings.greeting.insert("en".into(), "  ".into());
        let dutch = settings.face("nl", None);
        assert_eq!(dutch.greeting.as_deref(), Some("Hoi!"));
        assert_eq!(settings.face("en", None).greeting, None, "blank is the built-in text");
        let look = dutch.look.unwrap();
        assert_eq!((look.accent.as_str(), look.on_accent.as_str()), ("#fde047", DARK_TEXT));
    }

    #[test]
    fn origins_are_scheme_and_host_only() {
        for good in ["https://shop.example", "http://127.0.0.1:8080"] {
            assert!(is_origin(good), "{good}");
        }
        for bad in ["shop.example", "https://", "https://a/b", "https://a?x", "https://u@a", "ftp://a"] {
            assert!(!is_origin(bad), "{bad}");
        }
    }
}
