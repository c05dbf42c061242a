//! The live channels of the conversations one connection follows, merged into one stream.
//!
//! An agent follows dozens of conversations. `tokio_stream::StreamMap` polls every one of them
//! on every wake-up of the session (a shop's inbox update, a frame from the client), which made
//! it the relay's largest CPU cost under load (see BENCHMARKS.md). `SelectAll` is built on
//! `FuturesUnordered` and polls only the channels that were woken.
//!
//! `SelectAll` cannot remove one stream by key, so [`Followed::remove`] empties the entry in
//! place: its receiver is dropped at once (the hub can then free the conversation's channel
//! exactly as before), and the empty entry is woken so that the next poll ends and drops it.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use checkout_chat_protocol::ConversationId;
use futures_util::Stream;
use futures_util::stream::SelectAll;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::hub::Live;

/// What one followed conversation yields: its id with the event, or with how it fell behind.
pub type FollowedItem = (ConversationId, Result<Arc<Live>, BroadcastStreamRecvError>);

#[derive(Default)]
pub struct Followed {
    streams: SelectAll<Following>,
    ids: HashSet<ConversationId>,
}

impl Followed {
    pub fn contains(&self, id: &ConversationId) -> bool {
        self.ids.contains(id)
    }

    /// Follows `id` through `receiver`; does nothing if it is already followed.
    pub fn insert(&mut self, id: ConversationId, receiver: broadcast::Receiver<Arc<Live>>) {
        if self.ids.insert(id.clone()) {
            self.streams.push(Following { id, live: Some(BroadcastStream::new(receiver)), waker: None });
        }
    }

    /// Stops following `id`, dropping its receiver now; returns whether it was followed.
    pub fn remove(&mut self, id: &ConversationId) -> bool {
        if !self.ids.remove(id) {
            return false;
        }
        if let Some(entry) = self.streams.iter_mut().find(|entry| entry.id == *id && entry.live.is_some()) {
            entry.live = None;
            if let Some(waker) = entry.waker.take() {
                waker.wake();
            }
        }
        true
    }
}

impl Stream for Followed {
    type Item = FollowedItem;

    /// Never ends: with nothing followed it waits (a session adds conversations later).
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.streams).poll_next(cx) {
            Poll::Ready(Some(item)) => Poll::Ready(Some(item)),
            // Empty: `SelectAll` keeps no waker then, and none is needed, because only this
            // session adds streams and it polls again after every wake-up of its own.
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }
}

/// One followed conversation; `live` is `None` once it is no longer followed.
struct Following {
    id: ConversationId,
    live: Option<BroadcastStream<Arc<Live>>>,
    /// Who to wake when the entry is emptied, so that it is dropped.
    waker: Option<Waker>,
}

impl Stream for Following {
    type Item = FollowedItem;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(live) = this.live.as_mut() else { return Poll::Ready(None) };
        match Pin::new(live).poll_next(cx) {
            Poll::Ready(Some(item)) => Poll::Ready(Some((this.id.clone(), item))),
            Poll::Ready(None) => {
                this.live = None;
                Poll::Ready(None)
            }
            Poll::Pending => {
                if !this.waker.as_ref().is_some_and(|waker| waker.will_wake(cx.waker())) {
                    this.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::SharedFrame;
    use checkout_chat_protocol::{Author, Event, EventBody, ServerFrame};
    use futures_util::StreamExt;

    fn id(name: &str) -> ConversationId {
        ConversationId::new(name).unwrap()
    }

    fn live(conversation: &str, seq: u64) -> Arc<Live> {
        let event = Event {
            conversation_id: id(conversation),
            seq,
            at_ms: 0,
            author: Author::Visitor,
            client_id: None,
            body: EventBody::Message { text: format!("m{seq}") },
        };
        let frame = SharedFrame::new(&ServerFrame::Event { event: event.clone() });
        Arc::new(Live::Event { event, frame })
    }

    fn next_now(followed: &mut Followed) -> Option<FollowedItem> {
        futures_util::FutureExt::now_or_never(followed.next()).flatten()
    }

    #[tokio::test]
    async fn yields_each_followed_conversations_events_with_its_id() {
        let (a, b) = (broadcast::channel(4).0, broadcast::channel(4).0);
        let mut followed = Followed::default();
        followed.insert(id("a"), a.subscribe());
        followed.insert(id("b"), b.subscribe());
        assert!(next_now(&mut followed).is_none(), "nothing sent yet");
        b.send(live("b", 1)).unwrap();
        let (from, item) = next_now(&mut followed).expect("b's event");
        assert_eq!(from, id("b"));
        assert!(matches!(item.as_deref(), Ok(Live::Event { event, .. }) if event.seq == 1));
        a.send(live("a", 7)).unwrap();
        assert_eq!(next_now(&mut followed).map(|(from, _)| from), Some(id("a")));
    }

    #[tokio::test]
    async fn removing_drops_the_receiver_at_once_and_ends_the_entry() {
        let a = broadcast::channel(4).0;
        let mut followed = Followed::default();
        followed.insert(id("a"), a.subscribe());
        assert!(next_now(&mut followed).is_none());
        assert!(followed.remove(&id("a")));
        assert_eq!(a.receiver_count(), 0, "the hub can free the channel right away");
        assert!(!followed.contains(&id("a")));
        assert!(!followed.remove(&id("a")), "already gone");
        assert!(a.send(live("a", 1)).is_err(), "nobody listens any more");
        assert!(next_now(&mut followed).is_none());
        assert!(followed.streams.is_empty(), "the emptied entry was dropped on the next poll");
        // Following again works and is not confused by the old entry.
        followed.insert(id("a"), a.subscribe());
        a.send(live("a", 2)).unwrap();
        assert_eq!(next_now(&mut followed).map(|(from, _)| from), Some(id("a")));
    }

    #[tokio::test]
    async fn a_follower_that_fell_behind_is_told_so() {
        let a = broadcast::channel(2).0;
        let mut followed = Followed::default();
        followed.insert(id("a"), a.subscribe());
        for seq in 1..=3 {
            a.send(live("a", seq)).unwrap();
        }
        let (_, item) = next_now(&mut followed).expect("an item");
        assert!(matches!(item, Err(BroadcastStreamRecvError::Lagged(1))));
    }

    #[tokio::test]
    async fn inserting_twice_follows_once() {
        let a = broadcast::channel(4).0;
        let mut followed = Followed::default();
        followed.insert(id("a"), a.subscribe());
        followed.insert(id("a"), a.subscribe());
        assert_eq!(a.receiver_count(), 1);
    }
}
