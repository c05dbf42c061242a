//! What anonymous clients may make the relay store, per address and per visitor: new visitors,
//! new conversations, activity (events a minute, bytes a day) and transcript emails; and the
//! addresses agents blocked. Everything here is in memory and forgets quiet keys every minute
//! ([`Quotas::forget_quiet`]): a restart gives every quota back, which is fine, since each only
//! has to make a flood slow and small, not impossible.
//!
//! The per-address quotas are generous (an office or a carrier's NAT puts many shoppers behind
//! one address); the per-visitor ones are what one person plausibly does.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use checkout_chat_protocol::{ShopId, VisitorId};
use governor::clock::DefaultClock;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::config::Config;
use crate::limits;

type Keyed<K> = RateLimiter<K, HashMapStateStore<K>, DefaultClock>;

/// New conversations one visitor may start: a few at once (an agent ended one, the shopper has
/// another question), then one every two minutes.
const NEW_CHATS_PER_VISITOR_AT_ONCE: u32 = 3;
const SECONDS_PER_NEW_CHAT_PER_VISITOR: u64 = 120;
/// Activity events one visitor may send a minute (a busy page sends a few dozen).
const ACTIVITY_EVENTS_PER_MINUTE_PER_VISITOR: u32 = 300;
/// Activity one visitor may send a day, in KiB.
const ACTIVITY_KIB_PER_DAY_PER_VISITOR: u32 = 5 * 1024;
/// Transcript emails one address may ask for an hour, and one recipient may be sent an hour.
const TRANSCRIPTS_PER_HOUR_PER_IP: u32 = 10;
const TRANSCRIPTS_PER_HOUR_PER_RECIPIENT: u32 = 3;
/// How long an address an agent blocked may not start conversations.
pub const BLOCK_ADDRESS_FOR: Duration = Duration::from_secs(60 * 60);

const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Why something was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    #[error("too many new visitors from this address; try again in a minute")]
    NewVisitors,
    #[error("too many new conversations from here; try again in a minute")]
    NewChats,
    #[error("too much activity; slow down")]
    ActivityRate,
    #[error("the activity allowed for today is used up")]
    ActivityBytes,
    #[error("too many transcript emails; try again later")]
    Transcripts,
    #[error("this chat is not available from here")]
    Blocked,
}

pub struct Quotas {
    new_visitors: Keyed<IpAddr>,
    new_chats_per_address: Keyed<(ShopId, IpAddr)>,
    new_chats_per_visitor: Keyed<VisitorId>,
    events_per_visitor: Keyed<VisitorId>,
    events_per_address: Keyed<IpAddr>,
    kib_per_visitor: Keyed<VisitorId>,
    kib_per_address: Keyed<IpAddr>,
    transcripts_per_address: Keyed<IpAddr>,
    transcripts_per_recipient: Keyed<String>,
    /// Addresses agents blocked, until when.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    /// Activity events refused since the last [`Quotas::take_refusals`], for the log.
    refused_events: AtomicU64,
    refused_chats: AtomicU64,
}

/// `count` a minute, all of them at once.
fn spread_minute(count: u32) -> Quota {
    spread(count, MINUTE)
}

/// `count` over `period`, all of them at once.
fn spread(count: u32, period: Duration) -> Quota {
    limits::quota(count, period / count.max(1))
}

impl Quotas {
    pub fn new(config: &Config) -> Self {
        let chats_per_visitor =
            limits::quota(NEW_CHATS_PER_VISITOR_AT_ONCE, Duration::from_secs(SECONDS_PER_NEW_CHAT_PER_VISITOR));
        Self {
            new_visitors: RateLimiter::hashmap(spread_minute(config.new_visitors_per_minute_per_ip)),
            new_chats_per_address: RateLimiter::hashmap(spread_minute(config.new_chats_per_minute_per_ip)),
            new_chats_per_visitor: RateLimiter::hashmap(chats_per_visitor),
            events_per_visitor: RateLimiter::hashmap(spread_minute(ACTIVITY_EVENTS_PER_MINUTE_PER_VISITOR)),
            events_per_address: RateLimiter::hashmap(spread_minute(config.activity_events_per_minute_per_ip)),
            kib_per_visitor: RateLimiter::hashmap(spread(ACTIVITY_KIB_PER_DAY_PER_VISITOR, DAY)),
            kib_per_address: RateLimiter::hashmap(spread(config.activity_kib_per_day_per_ip, DAY)),
            transcripts_per_address: RateLimiter::hashmap(spread(TRANSCRIPTS_PER_HOUR_PER_IP, DAY / 24)),
            transcripts_per_recipient: RateLimiter::hashmap(spread(TRANSCRIPTS_PER_HOUR_PER_RECIPIENT, DAY / 24)),
            blocked: Mutex::new(HashMap::new()),
            refused_events: AtomicU64::new(0),
            refused_chats: AtomicU64::new(0),
        }
    }

    /// A new visitor from `ip` (before anything of it is stored).
    pub fn new_visitor(&self, ip: IpAddr) -> Result<(), QuotaError> {
        self.new_visitors.check_key(&ip).map_err(|_| QuotaError::NewVisitors)
    }

    /// A new conversation of `visitor` in `shop` from `ip`.
    pub fn new_chat(&self, shop: &ShopId, visitor: &VisitorId, ip: IpAddr) -> Result<(), QuotaError> {
        if self.is_blocked(ip) {
            return Err(QuotaError::Blocked);
        }
        let allowed = self.new_chats_per_visitor.check_key(visitor).is_ok()
            && self.new_chats_per_address.check_key(&(shop.clone(), ip)).is_ok();
        if allowed {
            Ok(())
        } else {
            self.refused_chats.fetch_add(1, Ordering::Relaxed);
            Err(QuotaError::NewChats)
        }
    }

    /// A batch of `events` activities, `bytes` long, from `visitor` at `ip`.
    pub fn activity(&self, visitor: &VisitorId, ip: IpAddr, events: usize, bytes: usize) -> Result<(), QuotaError> {
        let events_n = NonZeroU32::new(u32::try_from(events).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        let kib = NonZeroU32::new(u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        let result = if !matches!(self.events_per_visitor.check_key_n(visitor, events_n), Ok(Ok(())))
            || !matches!(self.events_per_address.check_key_n(&ip, events_n), Ok(Ok(())))
        {
            Err(QuotaError::ActivityRate)
        } else if !matches!(self.kib_per_visitor.check_key_n(visitor, kib), Ok(Ok(())))
            || !matches!(self.kib_per_address.check_key_n(&ip, kib), Ok(Ok(())))
        {
            Err(QuotaError::ActivityBytes)
        } else {
            Ok(())
        };
        if result.is_err() {
            self.refused_events.fetch_add(events as u64, Ordering::Relaxed);
        }
        result
    }

    /// A transcript email to `recipient` asked for from `ip`.
    pub fn transcript(&self, ip: IpAddr, recipient: &str) -> Result<(), QuotaError> {
        let allowed = self.transcripts_per_address.check_key(&ip).is_ok()
            && self.transcripts_per_recipient.check_key(&recipient.trim().to_lowercase()).is_ok();
        if allowed { Ok(()) } else { Err(QuotaError::Transcripts) }
    }

    /// Refuses new conversations from `ip` for [`BLOCK_ADDRESS_FOR`].
    pub fn block(&self, ip: IpAddr) {
        let mut blocked = self.blocked.lock().unwrap_or_else(PoisonError::into_inner);
        blocked.insert(ip, Instant::now() + BLOCK_ADDRESS_FOR);
    }

    pub fn is_blocked(&self, ip: IpAddr) -> bool {
        let blocked = self.blocked.lock().unwrap_or_else(PoisonError::into_inner);
        blocked.get(&ip).is_some_and(|until| *until > Instant::now())
    }

    /// Activity events and new conversations refused since the last call.
    pub fn take_refusals(&self) -> (u64, u64) {
        (self.refused_events.swap(0, Ordering::Relaxed), self.refused_chats.swap(0, Ordering::Relaxed))
    }

    /// Forgets keys whose quota is whole again and blocks that ended.
    pub fn forget_quiet(&self) {
        self.new_visitors.retain_recent();
        self.new_chats_per_address.retain_recent();
        self.new_chats_per_visitor.retain_recent();
        self.events_per_visitor.retain_recent();
        self.events_per_address.retain_recent();
        self.kib_per_visitor.retain_recent();
        self.kib_per_address.retain_recent();
        self.transcripts_per_address.retain_recent();
        self.transcripts_per_recipient.retain_recent();
        let now = Instant::now();
        self.blocked.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotas() -> Quotas {
        Quotas::new(&Config {
            new_chats_per_minute_per_ip: 5,
            activity_events_per_minute_per_ip: 100,
            ..Config::default()
        })
    }

    #[test]
    fn new_conversations_are_limited_per_visitor_and_per_address() {
        let quotas = quotas();
        let shop = ShopId::new("demo").unwrap();
        let ip: IpAddr = [192, 0, 2, 1].into();
        let anna = VisitorId::new("v-anna").unwrap();
        for _ in 0..NEW_CHATS_PER_VISITOR_AT_ONCE {
            assert_eq!(quotas.new_chat(&shop, &anna, ip), Ok(()));
        }
        assert_eq!(quotas.new_chat(&shop, &anna, ip), Err(QuotaError::NewChats), "one visitor");
        let others = (0..10).filter(|n| {
            let visitor = VisitorId::new(format!("v-{n}")).unwrap();
            quotas.new_chat(&shop, &visitor, ip).is_ok()
        });
        assert_eq!(others.count(), 5 - 3, "the address's five a minute, three of them Anna's");
        let elsewhere: IpAddr = [192, 0, 2, 2].into();
        assert_eq!(quotas.new_chat(&shop, &VisitorId::new("v-bo").unwrap(), elsewhere), Ok(()));
        quotas.block(elsewhere);
        assert_eq!(quotas.new_chat(&shop, &VisitorId::new("v-cy").unwrap(), elsewhere), Err(QuotaError::Blocked));
        assert_eq!(quotas.take_refusals().1, 9);
    }

    #[test]
    fn activity_is_limited_in_events_and_bytes() {
        let quotas = quotas();
        let ip: IpAddr = [192, 0, 2, 1].into();
        let visitor = VisitorId::new("v-1").unwrap();
        assert_eq!(quotas.activity(&visitor, ip, 50, 2_000), Ok(()));
        assert_eq!(quotas.activity(&visitor, ip, 50, 2_000), Ok(()));
        assert_eq!(quotas.activity(&visitor, ip, 50, 2_000), Err(QuotaError::ActivityRate), "100 a minute per address");
        let big = VisitorId::new("v-2").unwrap();
        let elsewhere: IpAddr = [192, 0, 2, 2].into();
        let too_much = ACTIVITY_KIB_PER_DAY_PER_VISITOR as usize * 1024 + 1;
        assert_eq!(quotas.activity(&big, elsewhere, 1, too_much), Err(QuotaError::ActivityBytes));
        assert_eq!(quotas.take_refusals().0, 51);
    }
}
