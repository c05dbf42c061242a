//! Limits per client address, on top of the per-connection ones in [`crate::ws`]: how many
//! connections (plain HTTP and WebSockets alike) one IP address may hold open, and how many
//! WebSocket frames per second all of them together may send. One machine opening thousands of
//! sockets, or spreading a flood over many sockets, then costs only its own sockets their speed,
//! not everyone else's. And the relay's own budget: how many connections its file descriptors
//! allow, with room kept for agents and health checks when shoppers' sockets are full.
//!
//! The per-address limits are generous because shoppers behind one address (an office, a mobile
//! carrier's NAT) are many people; both are set in the config file.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};

use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::{DefaultKeyedStateStore, HashMapStateStore};
use governor::{Quota, RateLimiter};

type FrameLimiter = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

pub struct PerIpLimits {
    max_connections: usize,
    /// Open connections per address; an address leaves the map with its last one.
    open: Mutex<HashMap<IpAddr, usize>>,
    frames: FrameLimiter,
}

/// One connection's place under its address's connection limit, given back when dropped. The
/// accept loop takes it; a WebSocket upgraded from the connection keeps it (shared) for its life.
pub struct IpSlot {
    limits: Arc<PerIpLimits>,
    ip: IpAddr,
}

impl PerIpLimits {
    pub fn new(max_connections: usize, frames_per_second: u32) -> Self {
        let rate = NonZeroU32::new(frames_per_second).unwrap_or(NonZeroU32::MIN);
        // A second's worth of burst twice over: a page reload resends an outbox at once.
        let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
        Self {
            max_connections,
            open: Mutex::new(HashMap::new()),
            frames: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
        }
    }

    /// A place for one more connection from `ip`, or `None` when it already holds the most.
    pub fn open(self: &Arc<Self>, ip: IpAddr) -> Option<IpSlot> {
        // The map stays consistent even if a holder panicked: counts are updated in one step.
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(ip).or_insert(0);
        if *count >= self.max_connections {
            return None;
        }
        *count += 1;
        Some(IpSlot { limits: Arc::clone(self), ip })
    }

    /// Waits until `ip` may send one more frame (nothing is refused; a flood is slowed).
    pub async fn until_frame_allowed(&self, ip: IpAddr) {
        self.frames.until_key_ready(&ip).await;
    }

    /// Connections open from `ip` now.
    pub fn open_from(&self, ip: IpAddr) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).get(&ip).copied().unwrap_or(0)
    }

    /// Forgets the rate state of addresses that have been quiet, so the table does not grow with
    /// every address ever seen.
    pub fn forget_quiet(&self) {
        self.frames.retain_recent();
        self.frames.shrink_to_fit();
    }
}

impl IpSlot {
    pub fn ip(&self) -> IpAddr {
        self.ip
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Login attempts an address may make for one account at once, then one per this many seconds;
/// a wrong password from one address never stops the right one from another.
const LOGINS_PER_ACCOUNT_AT_ONCE: u32 = 10;
const SECONDS_PER_LOGIN_PER_ACCOUNT: u64 = 6;

/// Login attempts an address may make for all accounts together (spraying passwords over many
/// emails), at once and then one per this many seconds.
const LOGINS_PER_ADDRESS_AT_ONCE: u32 = 30;
const SECONDS_PER_LOGIN_PER_ADDRESS: u64 = 2;

/// Keys remembered before the quiet ones are forgotten, so guessing many emails from many
/// addresses does not grow the tables without bound.
const MAX_TRACKED_LOGIN_KEYS: usize = 10_000;

type Keyed<K> = RateLimiter<K, HashMapStateStore<K>, DefaultClock>;

/// A quota of `at_once` at once, then one more every `refill_every`: the one shape of every
/// per-client limit (logins here, what clients may store in [`crate::quotas`]).
pub fn quota(at_once: u32, refill_every: Duration) -> Quota {
    let at_once = NonZeroU32::new(at_once).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(refill_every).map_or_else(|| Quota::per_second(at_once), |quota| quota.allow_burst(at_once))
}

/// How often logins may be tried, per account and address and per address. The address is the
/// client's ([`crate::accept::Peer::client_ip`]), so behind a proxy it will be the shopper's
/// real one once the proxy is trusted to say it.
pub struct LoginLimits {
    per_account: Keyed<(String, IpAddr)>,
    per_address: Keyed<IpAddr>,
}

impl Default for LoginLimits {
    fn default() -> Self {
        let every = |seconds| Duration::from_secs(seconds);
        Self {
            per_account: RateLimiter::hashmap(quota(LOGINS_PER_ACCOUNT_AT_ONCE, every(SECONDS_PER_LOGIN_PER_ACCOUNT))),
            per_address: RateLimiter::hashmap(quota(LOGINS_PER_ADDRESS_AT_ONCE, every(SECONDS_PER_LOGIN_PER_ADDRESS))),
        }
    }
}

impl LoginLimits {
    /// Counts one attempt for `email` from `ip`; `Err` says how long to wait when it is one too
    /// many. Successful logins count too: a person does not log in ten times a minute.
    pub fn attempt(&self, email: &str, ip: IpAddr) -> Result<(), Duration> {
        if self.per_account.len() > MAX_TRACKED_LOGIN_KEYS {
            self.per_account.retain_recent();
        }
        if self.per_address.len() > MAX_TRACKED_LOGIN_KEYS {
            self.per_address.retain_recent();
        }
        let now = DefaultClock::default().now();
        self.per_address.check_key(&ip).map_err(|refused| refused.wait_time_from(now))?;
        self.per_account.check_key(&(email.trim().to_lowercase(), ip)).map_err(|refused| refused.wait_time_from(now))
    }
}

/// File descriptors the relay keeps for itself, outside any connection: the database and its
/// journal, logs, outgoing mail and webhook connections, DNS.
const FILES_FOR_THE_RELAY: u64 = 256;

/// Connections kept free of shoppers' sockets, as a share of all (and at least this many): the
/// health check, agents' logins and consoles, and the front end's files still get through when
/// every shopper place is taken.
const RESERVE_SHARE: usize = 10;
const MIN_RESERVE: usize = 32;

/// How many connections the relay accepts at once, and how many of them shoppers' sockets may
/// hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionBudget {
    /// All accepted connections together; beyond it a new one is refused (503) on accept, so the
    /// relay never runs out of descriptors.
    pub total: usize,
    /// Shoppers' WebSockets: the configured `max_connections`, lowered if the descriptors would
    /// not leave the reserve.
    pub shoppers: usize,
}

impl ConnectionBudget {
    /// The budget for a process that may open `open_files` descriptors.
    pub fn for_open_files(open_files: u64, max_connections: usize) -> Self {
        let usable = open_files.saturating_sub(FILES_FOR_THE_RELAY).max(MIN_RESERVE as u64 * 2);
        let total = usize::try_from(usable).unwrap_or(usize::MAX);
        let reserve = (total / RESERVE_SHARE).max(MIN_RESERVE);
        Self { total, shoppers: max_connections.min(total - reserve) }
    }
}

/// Raises the soft limit on open files to the hard one (a shell's default soft limit, often
/// 1024, is far below what a chat relay holds) and returns the limit in force.
pub fn raise_open_files_limit() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else { return 1024 };
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return hard;
    }
    soft
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_limited_per_account_and_address_and_per_address() {
        let limits = LoginLimits::default();
        let (a, b): (IpAddr, IpAddr) = ([192, 0, 2, 1].into(), [192, 0, 2, 2].into());
        for _ in 0..LOGINS_PER_ACCOUNT_AT_ONCE {
            assert!(limits.attempt("anna@shop.example", a).is_ok());
        }
        let wait = limits.attempt("Anna@Shop.example ", a).expect_err("the same account from the same address");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(SECONDS_PER_LOGIN_PER_ACCOUNT), "{wait:?}");
        assert!(limits.attempt("anna@shop.example", b).is_ok(), "the account is not locked for other addresses");
        let sprayed = (0..100).filter(|n| limits.attempt(&format!("agent{n}@shop.example"), b).is_ok()).count();
        assert_eq!(sprayed, LOGINS_PER_ADDRESS_AT_ONCE as usize - 1, "one address spraying many accounts is held");
    }

    #[test]
    fn the_budget_keeps_files_for_the_relay_and_a_reserve_beyond_shoppers() {
        let roomy = ConnectionBudget::for_open_files(1_048_576, 20_000);
        assert_eq!(roomy.shoppers, 20_000, "enough descriptors: the configured number stands");
        assert_eq!(roomy.total, 1_048_576 - 256);
        let tight = ConnectionBudget::for_open_files(20_000, 20_000);
        assert_eq!(tight.total, 19_744);
        assert_eq!(tight.shoppers, 19_744 - 1_974, "a tenth stays free for agents and health checks");
        let tiny = ConnectionBudget::for_open_files(100, 20_000);
        assert!(tiny.shoppers >= 1 && tiny.shoppers < tiny.total, "{tiny:?}");
    }

    #[test]
    fn an_address_holds_at_most_its_limit_and_gets_places_back() {
        let limits = Arc::new(PerIpLimits::new(2, 10));
        let (a, b): (IpAddr, IpAddr) = ([192, 0, 2, 1].into(), [192, 0, 2, 2].into());
        let first = limits.open(a).expect("first");
        let _second = limits.open(a).expect("second");
        assert!(limits.open(a).is_none(), "a third socket from the same address is refused");
        assert!(limits.open(b).is_some(), "another address is not affected");
        drop(first);
        assert_eq!(limits.open_from(a), 1);
        assert!(limits.open(a).is_some(), "a closed socket gives its place back");
    }

    #[test]
    fn the_last_socket_of_an_address_removes_it_from_the_table() {
        let limits = Arc::new(PerIpLimits::new(5, 10));
        let ip: IpAddr = [198, 51, 100, 7].into();
        drop(limits.open(ip));
        assert_eq!(limits.open_from(ip), 0);
        assert!(limits.open.lock().unwrap_or_else(PoisonError::into_inner).is_empty());
    }
}
