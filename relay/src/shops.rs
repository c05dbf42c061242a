//! The shops this relay serves, as they are now. The configuration file seeds a shop's settings
//! the first time the relay serves it; from then on the database holds them and admins change
//! them in the console (`http::settings`), which takes effect at once: every open widget of the
//! shop is sent the new face (`ws`), and every lookup here sees the new settings.
//!
//! The proactive rules are kept the same way (seeded from the configuration's `[[shops.rules]]`,
//! then edited in the console, `http::rules`). What has not moved to the console yet (identity
//! secret, webhooks) still comes from the configuration, read once at start.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use checkout_chat_protocol::settings::{ShopFace, ShopSettings};
use checkout_chat_protocol::{AgentProfile, ShopId};
use checkout_chat_rules::Rule;
use checkout_chat_rules::editing::{self, RuleEntry};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::config::{Config, ShopConfig, WebhookConfig};
use crate::storage::{ShopSection, Storage, StorageError};

/// A shop as every handler sees it at one moment; replaced whole when an admin changes it.
#[derive(Debug, Clone)]
pub struct Shop {
    pub id: ShopId,
    pub settings: ShopSettings,
    /// Secret the shop's backend signs identities with (see `crate::identity`).
    pub identity_secret: Option<String>,
    /// The rules as the admins keep them, each on or off.
    pub rule_entries: Vec<RuleEntry>,
    /// The rules shop pages run: those on, with the offline default added (see
    /// [`editing::for_widget`]).
    pub rules: Vec<Rule>,
    /// The same rules in the widget's compact form, encoded once rather than per shopper.
    encoded_rules: Option<String>,
    pub webhooks: Vec<WebhookConfig>,
}

impl Shop {
    fn new(config: &ShopConfig, settings: ShopSettings, rule_entries: Vec<RuleEntry>) -> Self {
        Self {
            id: config.id.clone(),
            settings,
            identity_secret: config.identity_secret.clone(),
            rules: Vec::new(),
            encoded_rules: None,
            rule_entries: Vec::new(),
            webhooks: config.webhooks.clone(),
        }
        .with_rules(rule_entries)
    }

    fn with_rules(mut self, rule_entries: Vec<RuleEntry>) -> Self {
        self.rules = editing::for_widget(&rule_entries);
        self.encoded_rules = (!self.rules.is_empty()).then(|| checkout_chat_rules::wire::encode(&self.rules));
        self.rule_entries = rule_entries;
        self
    }

    pub fn name(&self) -> &str {
        self.settings.name.trim()
    }

    /// Whether a page from `origin` (the WebSocket's `Origin` header) may use this shop's widget.
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        let allowed = &self.settings.allowed_origins;
        allowed.is_empty() || origin.is_some_and(|o| allowed.iter().any(|a| a == o))
    }

    /// What a widget speaking `lang` shows of the shop.
    pub fn face(&self, lang: &str) -> ShopFace {
        self.settings.face(lang, self.encoded_rules.clone())
    }

    /// The number of agents a shopper is told are online: none while the shop is away.
    pub fn agents_shoppers_see(&self, online: u32) -> u32 {
        if self.settings.away { 0 } else { online }
    }
}

/// A shop that exists only in the database (made with `relay shop add`): no identity secret,
/// rules or webhooks from a configuration file.
fn unconfigured(id: &ShopId, settings: &ShopSettings) -> ShopConfig {
    ShopConfig {
        id: id.clone(),
        name: settings.name.clone(),
        allowed_origins: Vec::new(),
        identity_secret: None,
        rules: Vec::new(),
        webhooks: Vec::new(),
    }
}

/// The settings a shop of the configuration starts with.
fn seed(config: &ShopConfig) -> ShopSettings {
    ShopSettings { allowed_origins: config.allowed_origins.clone(), ..ShopSettings::named(config.name.clone()) }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("no such shop")]
    UnknownShop,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("stored settings cannot be written: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Every shop by id, each behind a `watch` channel that open widgets follow.
#[derive(Default)]
pub struct Shops {
    by_id: RwLock<HashMap<ShopId, watch::Sender<Arc<Shop>>>>,
    /// One save at a time, so that what widgets are sent last is what was stored last.
    saving: tokio::sync::Mutex<()>,
}

impl Shops {
    /// The configuration's shops with their stored settings and rules, seeding those not stored
    /// yet from the configuration.
    pub async fn load(config: &Config, storage: &dyn Storage) -> Result<Shops, SettingsError> {
        let mut settings = stored::<ShopSettings>(storage, ShopSection::Settings).await?;
        let mut rules = stored::<Vec<RuleEntry>>(storage, ShopSection::Rules).await?;
        let mut by_id = HashMap::new();
        for shop in &config.shops {
            let shop_settings = match settings.remove(&shop.id) {
                Some(kept) => {
                    if kept.name.trim() != shop.name.trim() || kept.allowed_origins != shop.allowed_origins {
                        tracing::info!(
                            shop = %shop.id,
                            "the shop's name and allowed origins come from the console's settings, not the configuration file"
                        );
                    }
                    kept
                }
                None => seeded(storage, &shop.id, ShopSection::Settings, seed(shop)).await?,
            };
            let entries = match rules.remove(&shop.id) {
                Some(kept) => {
                    if kept.iter().map(|e| &e.rule).ne(shop.rules.iter()) && !shop.rules.is_empty() {
                        tracing::info!(shop = %shop.id, "the shop's rules come from the console, not the configuration file");
                    }
                    kept
                }
                None => seeded(storage, &shop.id, ShopSection::Rules, editing::entries_of(&shop.rules)).await?,
            };
            by_id.insert(shop.id.clone(), watch::Sender::new(Arc::new(Shop::new(shop, shop_settings, entries))));
        }
        // Shops added with `relay shop add`, which no configuration file names.
        for (id, shop_settings) in settings {
            let entries = rules.remove(&id).unwrap_or_default();
            let shop = Shop::new(&unconfigured(&id, &shop_settings), shop_settings, entries);
            by_id.insert(id, watch::Sender::new(Arc::new(shop)));
        }
        Ok(Shops { by_id: RwLock::new(by_id), saving: tokio::sync::Mutex::new(()) })
    }

    /// The configuration's shops as seeded, without storage (for unit tests of handlers).
    pub fn from_config(config: &Config) -> Shops {
        let by_id = config
            .shops
            .iter()
            .map(|shop| {
                let entries = editing::entries_of(&shop.rules);
                (shop.id.clone(), watch::Sender::new(Arc::new(Shop::new(shop, seed(shop), entries))))
            })
            .collect();
        Shops { by_id: RwLock::new(by_id), saving: tokio::sync::Mutex::new(()) }
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<ShopId, watch::Sender<Arc<Shop>>>> {
        // A panic while holding the lock cannot leave the map half-written (inserts are whole).
        self.by_id.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The shop, looking in storage for one added (`relay shop add`) since the relay started.
    pub async fn find(&self, storage: &dyn Storage, id: &ShopId) -> Result<Option<Arc<Shop>>, SettingsError> {
        if let Some(shop) = self.get(id) {
            return Ok(Some(shop));
        }
        let Some(json) = storage.shop_section(id, ShopSection::Settings).await? else { return Ok(None) };
        let settings: ShopSettings = serde_json::from_str(&json)?;
        let entries = match storage.shop_section(id, ShopSection::Rules).await? {
            Some(json) => serde_json::from_str(&json)?,
            None => Vec::new(),
        };
        let shop = Arc::new(Shop::new(&unconfigured(id, &settings), settings, entries));
        let mut by_id = self.by_id.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Another request may have found it first: theirs stays, so every receiver shares one.
        let sender = by_id.entry(id.clone()).or_insert_with(|| watch::Sender::new(shop));
        Ok(Some(Arc::clone(&sender.borrow())))
    }

    pub fn get(&self, id: &ShopId) -> Option<Arc<Shop>> {
        self.read().get(id).map(|sender| Arc::clone(&sender.borrow()))
    }

    /// The shop now, and a receiver told of every change after.
    pub fn watch(&self, id: &ShopId) -> Option<watch::Receiver<Arc<Shop>>> {
        self.read().get(id).map(watch::Sender::subscribe)
    }

    pub fn all(&self) -> Vec<Arc<Shop>> {
        self.read().values().map(|sender| Arc::clone(&sender.borrow())).collect()
    }

    /// Stores `settings` (checked by the caller) as the shop's and tells its widgets.
    pub async fn save_settings(
        &self,
        storage: &dyn Storage,
        id: &ShopId,
        settings: ShopSettings,
        by: &AgentProfile,
        at_ms: i64,
    ) -> Result<Arc<Shop>, SettingsError> {
        let json = serde_json::to_string(&settings)?;
        self.save(storage, id, ShopSection::Settings, json, by, at_ms, |shop| Shop { settings, ..shop }).await
    }

    /// Stores `entries` (checked by the caller) as the shop's rules and tells its pages.
    pub async fn save_rules(
        &self,
        storage: &dyn Storage,
        id: &ShopId,
        entries: Vec<RuleEntry>,
        by: &AgentProfile,
        at_ms: i64,
    ) -> Result<Arc<Shop>, SettingsError> {
        let json = serde_json::to_string(&entries)?;
        self.save(storage, id, ShopSection::Rules, json, by, at_ms, |shop| shop.with_rules(entries)).await
    }

    /// Writes `json` as the shop's `section`, then makes `change` of the shop the current one.
    #[allow(clippy::too_many_arguments)]
    async fn save(
        &self,
        storage: &dyn Storage,
        id: &ShopId,
        section: ShopSection,
        json: String,
        by: &AgentProfile,
        at_ms: i64,
        change: impl FnOnce(Shop) -> Shop,
    ) -> Result<Arc<Shop>, SettingsError> {
        let _one_at_a_time = self.saving.lock().await;
        let current = self.get(id).ok_or(SettingsError::UnknownShop)?;
        storage.save_shop_section(id, section, json, by, at_ms).await?;
        let shop = Arc::new(change(Shop::clone(&current)));
        if let Some(sender) = self.read().get(id) {
            sender.send_replace(Arc::clone(&shop));
        }
        Ok(shop)
    }
}

/// Every shop's stored `section`; one that does not read (only a hand edit could do that) is
/// left out, so the configuration's seed serves instead.
async fn stored<T: DeserializeOwned>(
    storage: &dyn Storage,
    section: ShopSection,
) -> Result<HashMap<ShopId, T>, SettingsError> {
    let mut found = HashMap::new();
    for (id, json) in storage.shop_sections(section).await? {
        match serde_json::from_str::<T>(&json) {
            Ok(value) => {
                found.insert(id, value);
            }
            Err(error) => {
                tracing::error!(shop = %id, section = section.as_str(), %error, "stored section unreadable; using the configuration's");
            }
        }
    }
    Ok(found)
}

/// Stores `value` as the shop's first `section` and returns it.
async fn seeded<T: Serialize>(
    storage: &dyn Storage,
    id: &ShopId,
    section: ShopSection,
    value: T,
) -> Result<T, SettingsError> {
    storage.seed_shop_section(id, section, serde_json::to_string(&value)?).await?;
    Ok(value)
}
