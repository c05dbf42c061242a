//! Relay configuration. Each setting comes from, in rising priority: its default, the TOML file,
//! an environment variable, a command-line flag. The defaults need no file at all: they serve the
//! demo shop on http://127.0.0.1:8080.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use checkout_chat_protocol::ShopId;
use checkout_chat_protocol::settings::is_origin;
use checkout_chat_rules::Rule;
use serde::Deserialize;

/// Read when no `--config` is given and the file exists in the working directory.
pub const DEFAULT_CONFIG_FILE: &str = "checkout-chat.toml";

/// The demo shop's identity secret. Public on purpose: it exists to show how `identify` works.
pub const DEMO_IDENTITY_SECRET: &str = "demo-identity-secret";

/// The demo shop's proactive rules.
const DEMO_RULES: &str = include_str!("../demo-rules.toml");

/// A year: longer sessions are a risk, not a convenience.
const MAX_SESSION_HOURS: u64 = 24 * 365;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP and WebSocket server listens on.
    pub listen: SocketAddr,
    /// The SQLite database file (created if missing).
    pub database: PathBuf,
    /// The built front end (Trunk's `dist/`): demo shop, widget bundle, console.
    pub static_dir: PathBuf,
    /// Mark the session cookie `Secure`; set this when the relay is reached over HTTPS.
    pub secure_cookies: bool,
    /// How long an agent stays logged in.
    pub session_hours: u64,
    /// Most shoppers' WebSockets open at once; more are refused with 503. Lowered at start when
    /// the process's descriptor limit would not leave room for agents and health checks.
    pub max_connections: usize,
    /// Most connections (plain HTTP and WebSockets together) open at once from one IP address;
    /// more are refused with 429 as they connect. Shoppers behind one address (an office, a
    /// carrier's NAT) share it, so it is generous.
    pub max_connections_per_ip: usize,
    /// How long a client may take to send a request's headers, and how long an idle keep-alive
    /// connection stays open; then the connection is closed.
    pub header_read_timeout_seconds: u64,
    /// How long a shopper's socket may stay open without saying `hello`.
    pub hello_timeout_seconds: u64,
    /// New visitors (a `hello` without a known token) one IP address may start a minute.
    pub new_visitors_per_minute_per_ip: u32,
    /// New conversations one IP address may start in a shop a minute (each visitor also at most
    /// three at once, then one every two minutes); more are refused as `rate_limited` and the
    /// widget tries again later.
    pub new_chats_per_minute_per_ip: u32,
    /// Activity events (page views, carts, steps, the shop's own) all visitors of one address may
    /// send a minute, and KiB of them a day; more are refused as `rate_limited`.
    pub activity_events_per_minute_per_ip: u32,
    pub activity_kib_per_day_per_ip: u32,
    /// Frames per second all the WebSockets of one IP address may send together (twice that in
    /// a burst); beyond it their frames are read more slowly, nothing is refused.
    pub max_frames_per_second_per_ip: u32,
    /// How long an agent's console may be disconnected (a reload, a train tunnel) before the
    /// agent counts as offline and their open chats go back to the queue.
    pub agent_offline_after_seconds: u64,
    /// How long after the shopper's last connection went an open conversation closes by itself
    /// (as "missed" when their last messages were unanswered); 0 keeps it open until an agent
    /// ends it. Fractions are allowed (0.5 is thirty seconds).
    pub auto_close_after_minutes: f64,
    /// Password for the demo agent created on first run; a random one is generated and logged
    /// when unset.
    pub demo_agent_password: Option<String>,
    /// Outgoing mail (conversation transcripts). Without it, transcript requests are kept and
    /// sent once SMTP is configured.
    pub smtp: Option<SmtpConfig>,
    pub shops: Vec<ShopConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// The sender, e.g. `"Nordhavn Coffee <support@shop.example>"`.
    pub from: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// `starttls` (default), `tls` (implicit TLS, usually port 465) or `none` (only for a relay
    /// on the same machine or a test sink).
    #[serde(default)]
    pub tls: SmtpTls,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    #[default]
    Starttls,
    Tls,
    None,
}

fn default_smtp_port() -> u16 {
    587
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopConfig {
    /// What the embed tag's `data-shop` names.
    pub id: ShopId,
    /// Shown to shoppers in the widget's header.
    pub name: String,
    /// Origins (`https://shop.example`) whose pages may open the widget. Empty means any.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Secret the shop's backend signs identities with: an `identity_token` (HS256, verifies
    /// the user id, name and email it carries) or, the older way, a `user_hash` (the hex
    /// HMAC-SHA256 of the user id alone; name and email then stay unverified). Without it every
    /// identity stays unverified (see docs/embedding.md).
    #[serde(default)]
    pub identity_secret: Option<String>,
    /// Proactive prompts: when to speak up and what to say (see docs/cart-events.md).
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Where to POST what happens (see docs/webhooks.md).
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
}

/// One receiver of a shop's events.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// `https://…` (or `http://` for a receiver on the same machine).
    pub url: String,
    /// Signs every POST (`Checkout-Chat-Signature`); at least 16 characters.
    pub secret: String,
    /// The events it wants (see [`crate::webhooks::EVENT_NAMES`]); all when empty.
    #[serde(default)]
    pub events: Vec<String>,
}

impl WebhookConfig {
    pub fn wants(&self, event: &str) -> bool {
        self.events.is_empty() || self.events.iter().any(|e| e == event)
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: PathBuf::from("checkout-chat.db"),
            static_dir: PathBuf::from("dist"),
            secure_cookies: false,
            session_hours: 12,
            max_connections: 20_000,
            max_connections_per_ip: 500,
            header_read_timeout_seconds: 10,
            hello_timeout_seconds: 5,
            new_visitors_per_minute_per_ip: 120,
            new_chats_per_minute_per_ip: 30,
            activity_events_per_minute_per_ip: 3_000,
            activity_kib_per_day_per_ip: 50 * 1024,
            max_frames_per_second_per_ip: 500,
            agent_offline_after_seconds: 60,
            auto_close_after_minutes: 30.0,
            demo_agent_password: None,
            smtp: None,
            shops: vec![ShopConfig {
                id: ShopId::new("demo").unwrap_or_else(|_| unreachable!("\"demo\" is a valid shop id")),
                name: "Nordhavn Coffee".into(),
                allowed_origins: Vec::new(),
                // Documented in docs/embedding.md so the demo can show identity verification.
                identity_secret: Some(DEMO_IDENTITY_SECRET.into()),
                rules: demo_rules(),
                webhooks: Vec::new(),
            }],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rules: Vec<Rule>,
}

/// An https URL with a host, or an http one to this machine (a receiver beside the relay).
fn webhook_url_is_fit(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else { return false };
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    url.len() <= 2000
        && parsed.host_str().is_some()
        && (parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback))
}

/// The demo shop's rules; its unit test proves the file parses and validates.
fn demo_rules() -> Vec<Rule> {
    toml::from_str::<RulesFile>(DEMO_RULES).map(|file| file.rules).unwrap_or_default()
}

/// Settings that can be given as flags or environment variables; they win over the file.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArgs {
    /// TOML configuration file [default: ./checkout-chat.toml when it exists].
    #[arg(long, env = "CHECKOUT_CHAT_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "CHECKOUT_CHAT_LISTEN", global = true)]
    pub listen: Option<SocketAddr>,
    /// SQLite database file [default: checkout-chat.db].
    #[arg(long, env = "CHECKOUT_CHAT_DATABASE", global = true)]
    pub database: Option<PathBuf>,
    /// Directory of the built front end [default: dist].
    #[arg(long, env = "CHECKOUT_CHAT_STATIC_DIR", global = true)]
    pub static_dir: Option<PathBuf>,
    /// Password of the demo agent created on first run.
    #[arg(long, env = "CHECKOUT_CHAT_DEMO_AGENT_PASSWORD", global = true, hide_env_values = true)]
    pub demo_agent_password: Option<String>,
}

impl Config {
    /// Whether email can go out (an SMTP server is configured): shoppers are offered
    /// transcripts by email, and admins are told when not.
    pub fn can_send_mail(&self) -> bool {
        self.smtp.is_some()
    }

    /// Builds the configuration from the optional file and the overrides, and checks it.
    pub fn load(args: &ConfigArgs) -> Result<Self, ConfigError> {
        let mut config = match &args.config {
            Some(path) => Self::from_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => Self::from_file(Path::new(DEFAULT_CONFIG_FILE))?,
            None => Self::default(),
        };
        if let Some(listen) = args.listen {
            config.listen = listen;
        }
        if let Some(database) = &args.database {
            config.database = database.clone();
        }
        if let Some(static_dir) = &args.static_dir {
            config.static_dir = static_dir.clone();
        }
        if let Some(password) = &args.demo_agent_password {
            config.demo_agent_password = Some(password.clone());
        }
        config.validate()?;
        // Kept as the shop wrote them: they seed the console's rules (`crate::shops`), and the
        // widget gets them with the offline default added there.
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse { path: path.into(), message })
    }

    fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.shops.is_empty() {
            return Err(ConfigError::Invalid("at least one [[shops]] entry is needed".into()));
        }
        let mut seen = HashSet::new();
        for shop in &self.shops {
            if !seen.insert(&shop.id) {
                return Err(ConfigError::Invalid(format!("shop id \"{}\" is configured twice", shop.id)));
            }
            if shop.name.trim().is_empty() {
                return Err(ConfigError::Invalid(format!("shop \"{}\" has an empty name", shop.id)));
            }
            if shop.identity_secret.as_deref().is_some_and(|secret| secret.len() < 16) {
                return Err(ConfigError::Invalid(format!(
                    "shop \"{}\": identity_secret must have at least 16 characters",
                    shop.id
                )));
            }
            let mut urls = HashSet::new();
            for hook in &shop.webhooks {
                let url = &hook.url;
                if !webhook_url_is_fit(url) {
                    return Err(ConfigError::Invalid(format!(
                        "shop \"{}\": webhook url \"{url}\" must be https:// (http:// only to this machine)",
                        shop.id
                    )));
                }
                // Each URL keeps one delivery cursor per shop.
                if !urls.insert(url) {
                    return Err(ConfigError::Invalid(format!("shop \"{}\": webhook {url} is listed twice", shop.id)));
                }
                if hook.secret.len() < 16 {
                    return Err(ConfigError::Invalid(format!(
                        "shop \"{}\": the secret of webhook {url} must have at least 16 characters",
                        shop.id
                    )));
                }
                if let Some(bad) = hook.events.iter().find(|e| !crate::webhooks::EVENT_NAMES.contains(&e.as_str())) {
                    return Err(ConfigError::Invalid(format!(
                        "shop \"{}\": webhook {url} names an unknown event \"{bad}\" (known: {})",
                        shop.id,
                        crate::webhooks::EVENT_NAMES.join(", ")
                    )));
                }
            }
            if let Err(error) = checkout_chat_rules::validate(&shop.rules) {
                return Err(ConfigError::Invalid(format!("shop \"{}\": {error}", shop.id)));
            }
            if let Some(bad) = shop.allowed_origins.iter().find(|o| !is_origin(o)) {
                return Err(ConfigError::Invalid(format!(
                    "shop \"{}\": allowed_origins entry \"{bad}\" is not an origin like https://shop.example",
                    shop.id
                )));
            }
        }
        if !(1..=MAX_SESSION_HOURS).contains(&self.session_hours) {
            return Err(ConfigError::Invalid(format!("session_hours must be from 1 to {MAX_SESSION_HOURS}")));
        }
        if let Some(smtp) = &self.smtp {
            if smtp.host.trim().is_empty() {
                return Err(ConfigError::Invalid("[smtp] needs a host".into()));
            }
            // Checked here, not at the first email: a bad sender would fail every email.
            if let Err(error) = smtp.from.parse::<lettre::message::Mailbox>() {
                return Err(ConfigError::Invalid(format!(
                    "[smtp] from = {:?} is not an address such as \"Shop <support@shop.example>\": {error}",
                    smtp.from
                )));
            }
        }
        if !(0.0..=10_080.0).contains(&self.auto_close_after_minutes) {
            return Err(ConfigError::Invalid(
                "auto_close_after_minutes must be from 0 (never) to 10080 (a week)".into(),
            ));
        }
        if !(1..=86_400).contains(&self.agent_offline_after_seconds) {
            return Err(ConfigError::Invalid("agent_offline_after_seconds must be from 1 to 86400".into()));
        }
        if self.max_connections == 0 {
            return Err(ConfigError::Invalid("max_connections must be at least 1".into()));
        }
        if self.max_connections_per_ip == 0 {
            return Err(ConfigError::Invalid("max_connections_per_ip must be at least 1".into()));
        }
        if !(1..=600).contains(&self.header_read_timeout_seconds) {
            return Err(ConfigError::Invalid("header_read_timeout_seconds must be from 1 to 600".into()));
        }
        if !(1..=600).contains(&self.hello_timeout_seconds) {
            return Err(ConfigError::Invalid("hello_timeout_seconds must be from 1 to 600".into()));
        }
        let quotas = [
            ("new_visitors_per_minute_per_ip", self.new_visitors_per_minute_per_ip),
            ("new_chats_per_minute_per_ip", self.new_chats_per_minute_per_ip),
            ("activity_events_per_minute_per_ip", self.activity_events_per_minute_per_ip),
            ("activity_kib_per_day_per_ip", self.activity_kib_per_day_per_ip),
        ];
        if let Some((name, _)) = quotas.iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::Invalid(format!("{name} must be at least 1")));
        }
        if self.max_frames_per_second_per_ip == 0 {
            return Err(ConfigError::Invalid("max_frames_per_second_per_ip must be at least 1".into()));
        }
        Ok(())
    }

    pub fn shop(&self, id: &ShopId) -> Option<&ShopConfig> {
        self.shops.iter().find(|shop| &shop.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_serve_the_demo_shop_on_loopback() {
        let config = Config::default();
        config.validate().unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(config.shop(&ShopId::new("demo").unwrap()).is_some());
    }

    #[test]
    fn file_values_override_defaults() {
        let config = Config::from_toml(
            r#"
            listen = "127.0.0.1:9000"
            [[shops]]
            id = "acme"
            name = "ACME"
            allowed_origins = ["https://acme.example"]
            "#,
        )
        .unwrap();
        config.validate().unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.database, PathBuf::from("checkout-chat.db"));
        let acme = &config.shops[0];
        assert_eq!(acme.allowed_origins, ["https://acme.example"]);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let err = Config::from_toml("listn = \"x\"").unwrap_err();
        assert!(err.contains("listn"), "{err}");
        let err = Config::from_toml("[[shops]]\nid = \"bad id\"\nname = \"x\"").unwrap_err();
        assert!(err.contains("shop id"), "{err}");
    }

    #[test]
    fn validation_names_the_problem() {
        let mut config = Config::default();
        config.shops.push(config.shops[0].clone());
        assert!(config.validate().unwrap_err().to_string().contains("configured twice"));
        let mut config = Config::default();
        config.shops[0].allowed_origins = vec!["shop.example/path".into()];
        assert!(config.validate().unwrap_err().to_string().contains("not an origin"));
        config.shops.clear();
        assert!(config.validate().is_err());
        let config = Config { session_hours: u64::MAX, ..Config::default() };
        assert!(config.validate().unwrap_err().to_string().contains("session_hours"));
        let smtp = |from: &str| SmtpConfig {
            host: "127.0.0.1".into(),
            port: 25,
            from: from.into(),
            username: None,
            password: None,
            tls: SmtpTls::None,
        };
        let config = Config { smtp: Some(smtp("Shop support@x.example")), ..Config::default() };
        assert!(config.validate().unwrap_err().to_string().contains("[smtp] from"));
        let config = Config { smtp: Some(smtp("Shop <support@x.example>")), ..Config::default() };
        assert!(config.validate().is_ok());
    }

    #[test]
    fn the_demo_rules_parse_and_are_valid() {
        let rules = toml::from_str::<RulesFile>(DEMO_RULES).unwrap().rules;
        assert_eq!(rules.len(), 3);
        checkout_chat_rules::validate(&rules).unwrap();
        assert_eq!(Config::default().shops[0].rules, rules);
    }

    #[test]
    fn a_bad_rule_is_refused_naming_the_shop_rule_and_field() {
        let text = r#"
            [[shops]]
            id = "demo"
            name = "Demo"
            [[shops.rules]]
            id = "slow-payment"
            cap = "session"
            message = { en = "Help?" }
            when = { all = [ { step = "payment" }, { path = "checkout" } ] }
        "#;
        let error = Config::from_toml(text).unwrap().validate().unwrap_err().to_string();
        for part in ["demo", "slow-payment", "when.all[1].path"] {
            assert!(error.contains(part), "{error} should name {part}");
        }
        let unknown = "[[shops]]\nid = \"demo\"\nname = \"Demo\"\n[[shops.rules]]\nid = \"x\"\nmessage = { en = \"Hi\" }\nwhen = { stepp = \"payment\" }\n";
        let error = Config::from_toml(unknown).unwrap_err();
        assert!(error.contains("stepp"), "{error}");
    }

    #[test]
    fn bad_webhooks_are_refused_by_name() {
        let config = |hook: &str| format!("[[shops]]\nid = \"demo\"\nname = \"Demo\"\n[[shops.webhooks]]\n{hook}\n");
        for (hook, named) in [
            ("url = \"ftp://x\"\nsecret = \"0123456789abcdef\"", "must be https"),
            ("url = \"https://\"\nsecret = \"0123456789abcdef\"", "must be https"),
            ("url = \"http://crm.example/h\"\nsecret = \"0123456789abcdef\"", "only to this machine"),
            (
                "url = \"https://crm.example/h\"\nsecret = \"0123456789abcdef\"\n[[shops.webhooks]]\nurl = \"https://crm.example/h\"\nsecret = \"0123456789abcdef\"",
                "listed twice",
            ),
            ("url = \"https://crm.example/h\"\nsecret = \"short\"", "at least 16"),
            (
                "url = \"https://crm.example/h\"\nsecret = \"0123456789abcdef\"\nevents = [\"cart.exploded\"]",
                "cart.exploded",
            ),
        ] {
            let error = Config::from_toml(&config(hook)).unwrap().validate().unwrap_err().to_string();
            assert!(error.contains(named), "{error}");
        }
        let good = "url = \"https://crm.example/h\"\nsecret = \"0123456789abcdef\"\nevents = [\"message.created\"]";
        Config::from_toml(&config(good)).unwrap().validate().unwrap();
    }

    #[test]
    fn the_example_configuration_is_valid() {
        let config = Config::from_toml(include_str!("../../checkout-chat.example.toml")).unwrap();
        config.validate().unwrap();
        assert_eq!(config.shops[0].identity_secret.as_deref(), Some(DEMO_IDENTITY_SECRET));
        assert_eq!(config.shops[0].rules, Config::default().shops[0].rules, "the example shows the demo's rules");
    }

    #[test]
    fn flags_override_the_file() {
        let args = ConfigArgs { listen: Some("127.0.0.1:0".parse().unwrap()), ..Default::default() };
        let config = Config::load(&args).unwrap();
        assert_eq!(config.listen.port(), 0);
    }
}
