//! The shops this relay serves, as they are now. The configuration file seeds a shop's settings
//! the first time the relay serves it; from then on the database holds them and admins change
//! them in the console (`http::settings`), which takes effect at once: every open widget of the
//! shop is sent the new face (`ws`), and every lookup here sees the new settings.
//!
//! What has not moved to the console yet (identity secret, rules, webhooks) still comes from the
//! configuration, read once at start.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use checkout_chat_protocol::settings::{ShopFace, ShopSettings};
use checkout_chat_protocol::{AgentProfile, ShopId};
use checkout_chat_rules::Rule;
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
    /// The rules as the widget gets them (the offline default added, see `Config::load`).
    pub rules: Vec<Rule>,
    /// The same rules in the widget's compact form, encoded once rather than per shopper.
    encoded_rules: Option<String>,
    pub webhooks: Vec<WebhookConfig>,
}

impl Shop {
    fn new(config: &ShopConfig, settings: ShopSettings) -> Self {
        let rules = config.rules.clone();
        let encoded_rules = (!rules.is_empty()).then(|| checkout_chat_rules::wire::encode(&rules));
        Self {
            id: config.id.clone(),
            settings,
            identity_secret: config.identity_secret.clone(),
            rules,
            encoded_rules,
            webhooks: config.webhooks.clone(),
        }
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
    /// The configuration's shops with their stored settings, seeding those not stored yet.
    pub async fn load(config: &Config, storage: &dyn Storage) -> Result<Shops, SettingsError> {
        let mut stored: HashMap<ShopId, ShopSettings> = HashMap::new();
        for (id, json) in storage.shop_sections(ShopSection::Settings).await? {
            match serde_json::from_str::<ShopSettings>(&json) {
                Ok(settings) => {
                    stored.insert(id, settings);
                }
                // Written by this relay, so only a hand edit gets here: the seed serves instead.
                Err(error) => tracing::error!(shop = %id, %error, "stored settings unreadable; using the configuration's"),
            }
        }
        let mut by_id = HashMap::new();
        for shop in &config.shops {
            let settings = match stored.remove(&shop.id) {
                Some(settings) => {
                    if settings.name.trim() != shop.name.trim() || settings.allowed_origins != shop.allowed_origins {
                        tracing::info!(
                            shop = %shop.id,
                            "the shop's name and allowed origins come from the console's settings, not the configuration file"
                        );
                    }
                    settings
                }
                None => {
                    let settings = seed(shop);
                    storage.seed_shop_section(&shop.id, ShopSection::Settings, serde_json::to_string(&settings)?).await?;
                    settings
                }
            };
            by_id.insert(shop.id.clone(), watch::Sender::new(Arc::new(Shop::new(shop, settings))));
        }
        Ok(Shops { by_id: RwLock::new(by_id), saving: tokio::sync::Mutex::new(()) })
    }

    /// The configuration's shops as seeded, without storage (for unit tests of handlers).
    pub fn from_config(config: &Config) -> Shops {
        let by_id = config
            .shops
            .iter()
            .map(|shop| (shop.id.clone(), watch::Sender::new(Arc::new(Shop::new(shop, seed(shop))))))
            .collect();
        Shops { by_id: RwLock::new(by_id), saving: tokio::sync::Mutex::new(()) }
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<ShopId, watch::Sender<Arc<Shop>>>> {
        // A panic while holding the lock cannot leave the map half-written (inserts are whole).
        self.by_id.read().unwrap_or_else(std::sync::PoisonError::into_inner)
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
        let _one_at_a_time = self.saving.lock().await;
        let current = self.get(id).ok_or(SettingsError::UnknownShop)?;
        let json = serde_json::to_string(&settings)?;
        storage.save_shop_section(id, ShopSection::Settings, json, by, at_ms).await?;
        let shop = Arc::new(Shop { settings, ..Shop::clone(&current) });
        if let Some(sender) = self.read().get(id) {
            sender.send_replace(Arc::clone(&shop));
        }
        Ok(shop)
    }
}
