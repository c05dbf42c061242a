//! A conversation as a client shows it: stored lines in sequence order, each once, followed by the
//! client's own messages that are not stored yet. Shared by the widget and the console; pure
//! state with no browser APIs, so the rules (dedupe, ordering, resends) are tested natively.

use serde::{Deserialize, Serialize};

use crate::event::{Author, Event, EventBody};
use crate::ids::{ClientId, ConversationId, Seq};

/// A stored event worth showing.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub seq: Seq,
    /// The id the writing client gave it: how an unsent copy elsewhere is known to be delivered.
    pub client_id: Option<ClientId>,
    pub author: Author,
    pub body: EventBody,
    pub at_ms: i64,
}

/// A message this client wrote that the relay has not stored yet. The widget also keeps these in
/// localStorage (its outbox), so they survive a reload and are delivered exactly once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub client_id: ClientId,
    pub text: String,
    pub at_ms: i64,
    #[serde(skip)]
    pub state: PendingState,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub enum PendingState {
    /// Waiting for the relay (offline, or on its way).
    #[default]
    Sending,
    /// The relay refused it; the writer can retry or discard it.
    Failed(String),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub id: Option<ConversationId>,
    pub lines: Vec<Line>,
    pub pending: Vec<Pending>,
    /// The highest sequence number shown; sent in `hello` so the relay replays only what is new.
    pub last_seq: Seq,
    /// The conversation has ended (and not been reopened since).
    pub closed: bool,
    /// The shopper's rating, once given.
    pub rating: Option<u8>,
    /// A conversation the shopper has left (it ended, then they started a new chat): late events
    /// of it are never shown again.
    pub left: Option<ConversationId>,
}

impl Timeline {
    pub fn with_outbox(pending: Vec<Pending>) -> Self {
        Timeline { pending, ..Default::default() }
    }

    /// The relay says which conversation this is. A different one than shown (or none) means the
    /// shown lines are not it: start over, keeping unsent messages.
    pub fn welcome(&mut self, id: Option<ConversationId>) {
        if self.id != id {
            self.lines.clear();
            self.last_seq = 0;
            self.id = id;
        }
    }

    /// Shows nothing of the current conversation any more (the shopper starts a new chat after
    /// one ended); unsent messages stay.
    pub fn start_over(&mut self) {
        let left = self.id.take().or(self.left.take());
        *self = Timeline { pending: std::mem::take(&mut self.pending), left, ..Default::default() };
    }

    /// Adds a stored event; returns true if it was new (not a repeat of a shown one).
    pub fn apply(&mut self, event: Event) -> bool {
        if self.id.as_ref() != Some(&event.conversation_id) {
            // Another conversation is shown from now on if it holds one of our unsent messages
            // (our message started it, maybe before we heard the old one had ended), or nothing
            // is shown yet, or the shown one has ended; never one the shopper has left.
            let ours = event.client_id.as_ref().is_some_and(|c| self.pending.iter().any(|p| &p.client_id == c));
            let vacant = (self.id.is_none() && self.lines.is_empty()) || self.closed;
            if self.left.as_ref() == Some(&event.conversation_id) || !(ours || vacant) {
                return false;
            }
            self.start_over();
            self.id = Some(event.conversation_id.clone());
        }
        if event.seq <= self.last_seq {
            return false;
        }
        if let Some(client_id) = &event.client_id {
            self.pending.retain(|p| &p.client_id != client_id);
        }
        self.last_seq = event.seq;
        match &event.body {
            EventBody::Closed { .. } => self.closed = true,
            EventBody::Reopened => self.closed = false,
            EventBody::Rated { score, .. } => self.rating = Some(*score),
            _ => {}
        }
        self.lines.push(Line {
            seq: event.seq,
            client_id: event.client_id,
            author: event.author,
            body: event.body,
            at_ms: event.at_ms,
        });
        true
    }

    /// The relay stored one of our messages as `seq` in `conversation`. Normally its event has
    /// already taken it out of the unsent messages; if that event was passed over (it came before
    /// the conversation was shown), it will not come again on this connection, so the message is
    /// taken out here.
    pub fn acked(&mut self, client_id: &ClientId, conversation: &ConversationId, seq: Seq) {
        if self.id.as_ref() == Some(conversation) && seq <= self.last_seq {
            self.pending.retain(|p| &p.client_id != client_id);
        }
    }

    /// The relay's replay is complete up to `last_seq`. Lines beyond it are not in the relay's log
    /// (its database was restored from an older copy): drop them so that new events, which
    /// reuse those numbers, are not mistaken for repeats.
    pub fn synced(&mut self, last_seq: Seq) {
        if last_seq < self.last_seq {
            self.lines.retain(|line| line.seq <= last_seq);
            self.last_seq = last_seq;
        }
    }

    pub fn queue(&mut self, client_id: ClientId, text: String, at_ms: i64) {
        self.pending.push(Pending { client_id, text, at_ms, state: PendingState::Sending });
    }

    pub fn fail(&mut self, client_id: &ClientId, reason: String) {
        if let Some(pending) = self.pending.iter_mut().find(|p| &p.client_id == client_id) {
            pending.state = PendingState::Failed(reason);
        }
    }

    pub fn retry(&mut self, client_id: &ClientId) {
        if let Some(pending) = self.pending.iter_mut().find(|p| &p.client_id == client_id) {
            pending.state = PendingState::Sending;
        }
    }

    pub fn discard(&mut self, client_id: &ClientId) {
        self.pending.retain(|p| &p.client_id != client_id);
    }

    /// Whether a message with this client id is stored (shown as a line).
    pub fn is_delivered(&self, client_id: &ClientId) -> bool {
        self.lines.iter().any(|line| line.client_id.as_ref() == Some(client_id))
    }

    /// Messages to (re)send on a connection: those not refused.
    pub fn unsent(&self) -> impl Iterator<Item = &Pending> {
        self.pending.iter().filter(|p| p.state == PendingState::Sending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::AgentProfile;

    fn cid(s: &str) -> ConversationId {
        ConversationId::new(s).unwrap()
    }

    fn message(seq: Seq, client_id: Option<&str>, text: &str) -> Event {
        Event {
            conversation_id: cid("c1"),
            seq,
            at_ms: 0,
            author: Author::Visitor,
            client_id: client_id.map(|c| ClientId::new(c).unwrap()),
            body: EventBody::Message { text: text.into() },
        }
    }

    fn texts(c: &Timeline) -> Vec<String> {
        c.lines
            .iter()
            .map(|l| match &l.body {
                EventBody::Message { text } => text.clone(),
                other => format!("<{other:?}>"),
            })
            .collect()
    }

    #[test]
    fn an_event_replaces_its_pending_message() {
        let mut c = Timeline::default();
        c.queue(ClientId::new("m1").unwrap(), "hi".into(), 0);
        assert!(c.apply(message(1, Some("m1"), "hi")));
        assert!(c.pending.is_empty());
        assert_eq!(texts(&c), ["hi"]);
        assert_eq!(c.id, Some(cid("c1")));
    }

    #[test]
    fn stored_messages_are_known_as_delivered() {
        let mut c = Timeline::default();
        c.apply(message(1, Some("m1"), "hi"));
        assert!(c.is_delivered(&ClientId::new("m1").unwrap()));
        assert!(!c.is_delivered(&ClientId::new("m2").unwrap()));
    }

    #[test]
    fn repeated_events_are_shown_once() {
        let mut c = Timeline::default();
        c.welcome(Some(cid("c1")));
        assert!(c.apply(message(1, None, "a")));
        assert!(c.apply(message(2, None, "b")));
        assert!(!c.apply(message(2, None, "b")));
        assert!(!c.apply(message(1, None, "a")));
        assert_eq!(texts(&c), ["a", "b"]);
        assert_eq!(c.last_seq, 2);
    }

    #[test]
    fn events_of_another_conversation_are_ignored() {
        let mut c = Timeline::default();
        c.welcome(Some(cid("c1")));
        let mut other = message(1, None, "not yours");
        other.conversation_id = cid("c2");
        assert!(!c.apply(other));
        assert!(c.lines.is_empty());
    }

    #[test]
    fn a_welcome_for_another_conversation_clears_lines_but_keeps_unsent_messages() {
        let mut c = Timeline::default();
        c.welcome(Some(cid("c1")));
        c.apply(message(1, None, "old"));
        c.queue(ClientId::new("m9").unwrap(), "unsent".into(), 0);
        c.welcome(None);
        assert!(c.lines.is_empty());
        assert_eq!(c.last_seq, 0);
        assert_eq!(c.pending.len(), 1);
        // The same conversation again changes nothing.
        c.welcome(None);
        assert_eq!(c.pending.len(), 1);
    }

    #[test]
    fn a_relay_behind_the_client_resets_what_it_no_longer_has() {
        let mut c = Timeline::default();
        c.welcome(Some(cid("c1")));
        for seq in 1..=5 {
            c.apply(message(seq, None, &format!("m{seq}")));
        }
        c.synced(5);
        assert_eq!(c.last_seq, 5);
        c.synced(3);
        assert_eq!(texts(&c), ["m1", "m2", "m3"]);
        assert!(c.apply(message(4, None, "new four")), "a new event 4 is shown, not taken for a repeat");
    }

    #[test]
    fn after_an_ended_chat_the_next_conversation_takes_over() {
        let mut c = Timeline::default();
        c.welcome(Some(cid("c1")));
        c.apply(message(1, None, "old"));
        c.apply(Event { body: EventBody::Closed { reason: None }, ..message(2, None, "") });
        assert!(c.closed);
        c.apply(Event { body: EventBody::Rated { score: 5, comment: None }, ..message(3, None, "") });
        assert_eq!(c.rating, Some(5));
        c.queue(ClientId::new("m2").unwrap(), "new question".into(), 0);
        let mut first_of_new = message(1, Some("m2"), "new question");
        first_of_new.conversation_id = cid("c2");
        assert!(c.apply(first_of_new));
        assert_eq!(c.id, Some(cid("c2")));
        assert_eq!(texts(&c), ["new question"]);
        assert!(!c.closed && c.rating.is_none() && c.pending.is_empty());
    }

    #[test]
    fn our_message_in_a_new_conversation_is_shown_even_before_the_old_one_says_it_ended() {
        let mut c = Timeline::default();
        c.welcome(Some(cid("c1")));
        c.apply(message(1, None, "old"));
        c.queue(ClientId::new("m2").unwrap(), "new question".into(), 0);
        // The relay stored it in c2 (c1 had ended) and c2's event arrives before c1's "closed".
        let mut first_of_new = message(1, Some("m2"), "new question");
        first_of_new.conversation_id = cid("c2");
        assert!(c.apply(first_of_new));
        assert_eq!(c.id, Some(cid("c2")));
        assert!(c.pending.is_empty());
        assert!(
            !c.apply(Event { body: EventBody::Closed { reason: None }, ..message(2, None, "") }),
            "c1's late end is not shown"
        );
    }

    #[test]
    fn a_left_conversation_is_never_shown_again() {
        let mut c = Timeline::default();
        c.welcome(Some(cid("c1")));
        c.apply(message(1, None, "old"));
        c.apply(Event { body: EventBody::Closed { reason: None }, ..message(2, None, "") });
        c.start_over();
        // A late event of c1 (the rating, from another tab) does not bring it back.
        assert!(!c.apply(Event { body: EventBody::Rated { score: 5, comment: None }, ..message(3, None, "") }));
        assert_eq!(c.id, None);
        let mut other = message(1, None, "hello");
        other.conversation_id = cid("c2");
        assert!(c.apply(other));
        assert_eq!(c.id, Some(cid("c2")));
        // Moving on from c2 to c3 (ours) remembers c2 as left; once c3 has ended, a late c2 event
        // is still not shown.
        c.queue(ClientId::new("m3").unwrap(), "third".into(), 0);
        let mut third = message(1, Some("m3"), "third");
        third.conversation_id = cid("c3");
        assert!(c.apply(third));
        let mut end_of_third = Event { body: EventBody::Closed { reason: None }, ..message(2, None, "") };
        end_of_third.conversation_id = cid("c3");
        assert!(c.apply(end_of_third));
        let mut late_of_second = message(2, None, "late");
        late_of_second.conversation_id = cid("c2");
        assert!(!c.apply(late_of_second));
        assert_eq!(c.id, Some(cid("c3")));
    }

    #[test]
    fn an_ack_for_a_passed_over_event_clears_the_unsent_message() {
        let mut c = Timeline::default();
        c.welcome(Some(cid("c1")));
        c.apply(message(1, None, "a"));
        c.apply(message(2, None, "b"));
        let id = ClientId::new("m").unwrap();
        c.queue(id.clone(), "b".into(), 0);
        c.acked(&id, &cid("other"), 2);
        assert_eq!(c.pending.len(), 1, "an ack for another conversation changes nothing");
        c.acked(&id, &cid("c1"), 3);
        assert_eq!(c.pending.len(), 1, "an event still to come will clear it");
        c.acked(&id, &cid("c1"), 2);
        assert!(c.pending.is_empty());
    }

    #[test]
    fn refused_messages_are_not_resent_until_retried() {
        let mut c = Timeline::default();
        let id = ClientId::new("m1").unwrap();
        c.queue(id.clone(), "x".into(), 0);
        c.fail(&id, "too long".into());
        assert_eq!(c.unsent().count(), 0);
        c.retry(&id);
        assert_eq!(c.unsent().count(), 1);
        c.discard(&id);
        assert!(c.pending.is_empty());
    }

    #[test]
    fn joined_lines_keep_the_agent() {
        let mut c = Timeline::default();
        c.welcome(Some(cid("c1")));
        let agent = AgentProfile { id: crate::ids::AgentId::new("a").unwrap(), name: "Anna".into() };
        let joined = Event { author: Author::Agent(agent.clone()), body: EventBody::Joined, ..message(1, None, "") };
        c.apply(joined);
        assert_eq!(c.lines[0].author, Author::Agent(agent));
        assert_eq!(c.lines[0].body, EventBody::Joined);
    }

    #[test]
    fn outbox_round_trips_through_json_as_sending() {
        let pending = Pending {
            client_id: ClientId::new("m1").unwrap(),
            text: "hi".into(),
            at_ms: 5,
            state: PendingState::Failed("x".into()),
        };
        let json = serde_json::to_string(&vec![pending]).unwrap();
        let back: Vec<Pending> = serde_json::from_str(&json).unwrap();
        assert_eq!(back[0].state, PendingState::Sending);
        assert_eq!(back[0].text, "hi");
    }
}
