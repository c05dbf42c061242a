//! Limits per client address, on top of the per-connection ones in [`crate::ws`]: how many
//! WebSockets one IP address may hold open, and how many frames per second all of them together
//! may send. One machine opening thousands of sockets, or spreading a flood over many sockets,
//! then costs only its own sockets their speed, not everyone else's.
//!
//! The limits are generous because shoppers behind one address (an office, a mobile carrier's
//! NAT) are many people; both are set in the config file.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

type FrameLimiter = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

pub struct PerIpLimits {
    max_connections: usize,
    /// Open WebSockets per address; an address leaves the map with its last socket.
    open: Mutex<HashMap<IpAddr, usize>>,
    frames: FrameLimiter,
}

/// One WebSocket's place under its address's connection limit, given back when dropped.
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

    /// A place for one more WebSocket from `ip`, or `None` when it already holds the most.
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

    /// WebSockets open from `ip` now.
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

#[cfg(test)]
mod tests {
    use super::*;

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
