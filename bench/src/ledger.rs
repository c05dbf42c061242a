//! Exactly-once accounting. The [`Ledger`] knows every chat message the generator sent (when it
//! was first sent, and where and under which number the relay says it stored it). Every client
//! keeps a [`View`] per conversation: which sequence numbers reached it, how often, and which
//! message each was. [`verify`] then checks, for each stored message, that it reached both the
//! shopper's and the agent's view exactly once, under its stored number.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;

use crate::wire::EventInfo;

/// Who wrote a message, and whose view a conversation is seen from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Party {
    Shopper,
    Agent,
}

#[derive(Debug)]
struct Sent {
    first_sent: Instant,
    /// Where the relay said it stored the message: (conversation, seq).
    stored: Option<(String, u64)>,
    /// Acks naming another place than the first ack did: the relay stored a resend twice.
    conflicting_acks: u32,
    /// The place the last conflicting ack named, for the report.
    conflict: Option<(String, u64)>,
}

/// Every message the generator sent, shared by all clients of a run.
#[derive(Default)]
pub struct Ledger {
    sent: Mutex<HashMap<String, Sent>>,
    stored: AtomicU64,
    fresh_deliveries: AtomicU64,
}

impl Ledger {
    fn sent_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Sent>> {
        // Every update is a single insert or field write: a panic elsewhere cannot leave it torn.
        self.sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A message is sent for the first time (resends keep their first time).
    pub fn sent(&self, client_id: &str, at: Instant) {
        self.sent_map().entry(client_id.to_owned()).or_insert(Sent {
            first_sent: at,
            stored: None,
            conflicting_acks: 0,
            conflict: None,
        });
    }

    /// The relay acknowledged `client_id` as stored at `seq` of `conversation`. Returns when it
    /// was first sent, for the first ack only (an ack for a resend measures nothing new).
    pub fn acked(&self, client_id: &str, conversation: &str, seq: u64) -> Option<Instant> {
        let mut sent = self.sent_map();
        let entry = sent.get_mut(client_id)?;
        match &entry.stored {
            None => {
                entry.stored = Some((conversation.to_owned(), seq));
                self.stored.fetch_add(1, Ordering::Relaxed);
                Some(entry.first_sent)
            }
            Some((c, s)) if c == conversation && *s == seq => None,
            Some(_) => {
                entry.conflicting_acks += 1;
                entry.conflict = Some((conversation.to_owned(), seq));
                None
            }
        }
    }

    /// When `client_id` was first sent, if the generator sent it.
    pub fn first_sent(&self, client_id: &str) -> Option<Instant> {
        self.sent_map().get(client_id).map(|s| s.first_sent)
    }

    /// A client saw a stored message for the first time in one of its views.
    pub fn delivered(&self) {
        self.fresh_deliveries.fetch_add(1, Ordering::Relaxed);
    }

    /// Messages the relay has acknowledged.
    pub fn stored_count(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }

    /// First-time arrivals of messages in clients' views (each stored message should arrive in
    /// two views: the shopper's and the agent's).
    pub fn delivery_count(&self) -> u64 {
        self.fresh_deliveries.load(Ordering::Relaxed)
    }

    /// Messages sent but not (yet) acknowledged.
    pub fn unacked_count(&self) -> usize {
        self.sent_map().values().filter(|s| s.stored.is_none()).count()
    }
}

/// What one client received of one conversation.
#[derive(Debug, Clone)]
pub struct View {
    pub conversation: String,
    pub owner: Party,
    /// seq → (the message's client id, if it was one; how many times it arrived).
    received: HashMap<u64, (Option<String>, u32)>,
    highest: u64,
    /// Events that arrived after a higher-numbered one (the relay promises order).
    out_of_order: u64,
}

impl View {
    pub fn new(conversation: &str, owner: Party) -> Self {
        View { conversation: conversation.to_owned(), owner, received: HashMap::new(), highest: 0, out_of_order: 0 }
    }

    /// Records an arriving event; true the first time its number arrives in this view.
    pub fn record(&mut self, event: &EventInfo) -> bool {
        let entry = self.received.entry(event.seq).or_insert((event.client_id.clone(), 0));
        entry.1 += 1;
        let first = entry.1 == 1;
        if first && event.seq < self.highest {
            self.out_of_order += 1;
        }
        self.highest = self.highest.max(event.seq);
        first
    }

    /// The highest number shown: what the client says when it comes back.
    pub fn last_seq(&self) -> u64 {
        self.highest
    }
}

/// The outcome of the exactly-once check.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Verdict {
    /// Messages the relay acknowledged.
    pub stored: u64,
    /// Stored messages times the views that should hold them.
    pub deliveries_checked: u64,
    /// A stored message missing from a view that should hold it.
    pub lost: u64,
    /// Extra arrivals of an event in a view (the same number twice).
    pub duplicated: u64,
    /// Sent but never acknowledged, even after resends.
    pub unacked: u64,
    /// A resend acknowledged under another number than the original: stored twice.
    pub stored_twice: u64,
    /// A view holds another message under a stored message's number.
    pub misnumbered: u64,
    pub out_of_order: u64,
    /// A few of the problems, for the report.
    pub examples: Vec<String>,
}

impl Verdict {
    pub fn is_exactly_once(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.unacked == 0
            && self.stored_twice == 0
            && self.misnumbered == 0
            && self.out_of_order == 0
    }

    fn note(&mut self, problem: String) {
        if self.examples.len() < 5 {
            self.examples.push(problem);
        }
    }
}

/// Checks every stored message against the views of both parties of its conversation.
pub fn verify(ledger: &Ledger, views: &[View]) -> Verdict {
    let mut verdict = Verdict::default();
    let mut by_conversation: HashMap<&str, Vec<&View>> = HashMap::new();
    for view in views {
        by_conversation.entry(view.conversation.as_str()).or_default().push(view);
        verdict.out_of_order += view.out_of_order;
        for (seq, (_, times)) in &view.received {
            if *times > 1 {
                verdict.duplicated += u64::from(times - 1);
                verdict.note(format!("{:?} got {} #{seq} {times} times", view.owner, view.conversation));
            }
        }
    }
    let sent = ledger.sent_map();
    for (client_id, message) in sent.iter() {
        verdict.stored_twice += u64::from(message.conflicting_acks);
        if let (Some(first), Some(second)) = (&message.stored, &message.conflict) {
            verdict.note(format!(
                "{client_id} was acknowledged as {} #{} and as {} #{}",
                first.0, first.1, second.0, second.1
            ));
        }
        let Some((conversation, seq)) = &message.stored else {
            verdict.unacked += 1;
            verdict.note(format!("{client_id} was never acknowledged"));
            continue;
        };
        verdict.stored += 1;
        let held_by = by_conversation.get(conversation.as_str()).map(Vec::as_slice).unwrap_or_default();
        for party in [Party::Shopper, Party::Agent] {
            verdict.deliveries_checked += 1;
            let mut views_of_party = held_by.iter().filter(|v| v.owner == party).peekable();
            if views_of_party.peek().is_none() {
                verdict.lost += 1;
                verdict.note(format!("no {party:?} view of {conversation} holds {client_id}"));
            }
            for view in views_of_party {
                match view.received.get(seq) {
                    None => {
                        verdict.lost += 1;
                        verdict.note(format!("{party:?} never got {client_id} ({conversation} #{seq})"));
                    }
                    Some((held, _)) if held.as_deref() != Some(client_id.as_str()) => {
                        verdict.misnumbered += 1;
                        verdict.note(format!("{party:?} has {held:?} at {conversation} #{seq}, stored as {client_id}"));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Role;

    fn message(conversation: &str, seq: u64, client_id: &str) -> EventInfo {
        EventInfo {
            conversation_id: conversation.into(),
            seq,
            client_id: Some(client_id.into()),
            author: Role::Visitor,
            is_message: true,
        }
    }

    fn both_views(events: &[EventInfo]) -> Vec<View> {
        let mut shopper = View::new("c1", Party::Shopper);
        let mut agent = View::new("c1", Party::Agent);
        for event in events {
            shopper.record(event);
            agent.record(event);
        }
        vec![shopper, agent]
    }

    #[test]
    fn every_message_in_both_views_once_is_exactly_once() {
        let ledger = Ledger::default();
        let now = Instant::now();
        ledger.sent("s1m1", now);
        ledger.sent("a1m1", now);
        assert_eq!(ledger.acked("s1m1", "c1", 1), Some(now));
        assert_eq!(ledger.acked("a1m1", "c1", 2), Some(now));
        assert_eq!(ledger.acked("s1m1", "c1", 1), None, "a resend's ack measures nothing new");
        let verdict = verify(&ledger, &both_views(&[message("c1", 1, "s1m1"), message("c1", 2, "a1m1")]));
        assert!(verdict.is_exactly_once(), "{verdict:?}");
        assert_eq!((verdict.stored, verdict.deliveries_checked), (2, 4));
    }

    #[test]
    fn a_missing_arrival_is_lost_and_a_second_one_duplicated() {
        let ledger = Ledger::default();
        ledger.sent("s1m1", Instant::now());
        ledger.sent("s1m2", Instant::now());
        ledger.acked("s1m1", "c1", 1);
        ledger.acked("s1m2", "c1", 2);
        let mut views = both_views(&[message("c1", 1, "s1m1")]);
        views[0].record(&message("c1", 1, "s1m1"));
        let verdict = verify(&ledger, &views);
        assert_eq!((verdict.lost, verdict.duplicated), (2, 1), "{verdict:?}");
        assert!(!verdict.is_exactly_once());
    }

    #[test]
    fn a_resend_stored_under_a_new_number_is_caught() {
        let ledger = Ledger::default();
        ledger.sent("s1m1", Instant::now());
        ledger.acked("s1m1", "c1", 1);
        ledger.acked("s1m1", "c1", 2);
        let verdict = verify(&ledger, &both_views(&[message("c1", 1, "s1m1")]));
        assert_eq!(verdict.stored_twice, 1);
    }

    #[test]
    fn unacknowledged_and_misnumbered_messages_are_counted() {
        let ledger = Ledger::default();
        ledger.sent("s1m1", Instant::now());
        ledger.sent("s1m2", Instant::now());
        ledger.acked("s1m1", "c1", 1);
        let verdict = verify(&ledger, &both_views(&[message("c1", 1, "other")]));
        assert_eq!((verdict.unacked, verdict.misnumbered), (1, 2), "{verdict:?}");
        assert_eq!(ledger.unacked_count(), 1);
    }

    #[test]
    fn views_notice_order_and_remember_the_last_number() {
        let mut view = View::new("c1", Party::Agent);
        assert!(view.record(&message("c1", 2, "b")));
        assert!(view.record(&message("c1", 1, "a")));
        assert!(!view.record(&message("c1", 2, "b")));
        assert_eq!(view.last_seq(), 2);
        assert_eq!(view.out_of_order, 1);
    }
}
