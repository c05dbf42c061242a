//! Where each shop's widget has been seen: the Origin of the pages whose widget opened a visitor
//! socket, for the install page's check ("seen on https://shop.example 2 minutes ago", and a
//! warning for an origin the shop does not allow). Written at most once a minute per origin,
//! in the background, so a page view costs no write; a shop keeps at most [`MAX_ORIGINS`].

use std::collections::HashMap;
use std::sync::Mutex;

use checkout_chat_protocol::ShopId;
use checkout_chat_protocol::settings::is_origin;

use crate::clock::now_ms;
use crate::state::AppState;

/// How often one origin's last sighting is written.
const WRITE_EVERY_MS: i64 = 60_000;
/// Origins a shop keeps: any client can claim any Origin, so the list must not grow without end.
pub const MAX_ORIGINS: usize = 50;
/// Sightings remembered in memory before the memory starts over (at worst, one more write each).
const REMEMBERED: usize = 10_000;

#[derive(Default)]
pub struct SeenOrigins {
    written: Mutex<HashMap<(ShopId, String), i64>>,
}

impl SeenOrigins {
    /// Whether a sighting at `now` should be written (and, if so, remembers it as written).
    fn due(&self, shop: &ShopId, origin: &str, now: i64) -> bool {
        let mut written = self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if written.len() >= REMEMBERED {
            written.clear();
        }
        let last = written.entry((shop.clone(), origin.to_owned())).or_insert(i64::MIN);
        if now.saturating_sub(*last) < WRITE_EVERY_MS {
            return false;
        }
        *last = now;
        true
    }
}

/// Notes that `shop`'s widget was opened on a page of `origin`.
pub fn seen(state: &AppState, shop: &ShopId, origin: Option<&str>) {
    let Some(origin) = origin.filter(|o| o.len() <= 200 && is_origin(o)) else { return };
    let now = now_ms();
    if !state.seen_origins.due(shop, origin, now) {
        return;
    }
    let (storage, shop, origin) = (state.storage.clone(), shop.clone(), origin.to_owned());
    tokio::spawn(async move {
        if let Err(error) = storage.note_origin_seen(&shop, &origin, now, MAX_ORIGINS).await {
            tracing::warn!(%shop, %error, "could not note where the widget was seen");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_origin_is_written_at_most_once_a_minute() {
        let seen = SeenOrigins::default();
        let shop = ShopId::new("demo").unwrap();
        assert!(seen.due(&shop, "https://a.example", 1_000));
        assert!(!seen.due(&shop, "https://a.example", 30_000));
        assert!(seen.due(&shop, "https://b.example", 30_000), "another origin is its own");
        assert!(seen.due(&shop, "https://a.example", 61_000));
    }
}
