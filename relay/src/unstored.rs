//! Visitors that said hello but are not stored yet (see `stored` in the visitor socket): a new
//! visitor gets its token at once but its row only when it first does something that needs one.
//! Until then its other sockets (the widget's watcher says hello first, the chat app later with
//! the same token) must still find it, so it is kept here, by token, for a while. The table is
//! bounded: beyond its size the oldest are forgotten, which costs such a visitor nothing but a
//! new token (nothing of theirs was stored).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::storage::{TokenHash, VisitorRecord};

/// How many unstored visitors are remembered, and for how long.
const CAPACITY: usize = 100_000;
const KEPT_FOR: Duration = Duration::from_secs(60 * 60);

#[derive(Default)]
pub struct UnstoredVisitors {
    inner: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    by_token: HashMap<TokenHash, (VisitorRecord, Instant)>,
    /// Tokens in the order they were added, to forget the oldest first.
    order: VecDeque<TokenHash>,
}

impl UnstoredVisitors {
    pub fn remember(&self, token: TokenHash, visitor: VisitorRecord) {
        let mut table = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        while table.by_token.len() >= CAPACITY {
            let Some(oldest) = table.order.pop_front() else { break };
            table.by_token.remove(&oldest);
        }
        table.by_token.insert(token, (visitor, Instant::now()));
        table.order.push_back(token);
    }

    /// The unstored visitor with this token, if it said hello recently.
    pub fn find(&self, token: &TokenHash) -> Option<VisitorRecord> {
        let table = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (visitor, since) = table.by_token.get(token)?;
        (since.elapsed() < KEPT_FOR).then(|| visitor.clone())
    }

    /// Forgets a visitor once it is stored (storage finds it from then on).
    pub fn stored(&self, token: &TokenHash) {
        let mut table = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        table.by_token.remove(token);
        // Its place in `order` goes when it reaches the front; a token is never reused.
        let expired_front = |table: &Table| table.order.front().is_some_and(|t| !table.by_token.contains_key(t));
        while expired_front(&table) {
            table.order.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkout_chat_protocol::ShopId;

    #[test]
    fn an_unstored_visitor_is_found_by_token_until_stored() {
        let table = UnstoredVisitors::default();
        let visitor = VisitorRecord::new(&ShopId::new("demo").unwrap()).unwrap();
        table.remember([1; 32], visitor.clone());
        assert_eq!(table.find(&[1; 32]), Some(visitor));
        assert_eq!(table.find(&[2; 32]), None);
        table.stored(&[1; 32]);
        assert_eq!(table.find(&[1; 32]), None);
        assert!(table.inner.lock().unwrap().order.is_empty());
    }
}
