//! The agents' inbox, paged: its tabs, the one order they share, and the counts the console shows.
//!
//! A shop may have tens of thousands of open conversations (a flood of fake chats, a sale), so the
//! relay never sends them all: the welcome carries the first page of each tab, the console asks
//! for the next page after the last [`InboxKey`] it was given, and the counts come from storage.
//! The relay's storage sorts by the same key (see the SQLite `inbox_rank` column), so the
//! console and the relay agree on where a page ends.

use serde::{Deserialize, Serialize};

use crate::event::{ConversationStatus, ConversationSummary};
use crate::ids::{AgentId, ConversationId};

/// The tabs the relay pages. The Closed tab is a separate, bounded list (`GET
/// /v1/agent/conversations/closed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxTab {
    /// Not closed, no agent yet.
    Waiting,
    /// Assigned to this agent and not closed.
    Mine,
    /// Every conversation of the shop that is not closed.
    Open,
}

impl InboxTab {
    pub const ALL: [InboxTab; 3] = [InboxTab::Waiting, InboxTab::Mine, InboxTab::Open];

    /// Whether the tab lists `summary`, for the agent `me`. Storage selects the same rows (and
    /// only conversations with at least one event, which every summary a client sees has).
    pub fn shows(self, summary: &ConversationSummary, me: Option<&AgentId>) -> bool {
        match self {
            InboxTab::Waiting => summary.status == ConversationStatus::Waiting,
            InboxTab::Mine => {
                summary.status == ConversationStatus::Active
                    && summary.assigned_agent.as_ref().is_some_and(|a| Some(&a.id) == me)
            }
            InboxTab::Open => summary.status != ConversationStatus::Closed,
        }
    }
}

/// The rank of conversations nobody is waiting on counts down from here, so that they sort after
/// every conversation with an unanswered message (whose rank is a time in ms, far below it:
/// the year 2100 is 4.1e12 ms). 2^52 keeps every rank exact in a JavaScript number too.
pub const ANSWERED_RANK_BASE: i64 = 1 << 52;

/// A conversation's place in every inbox tab: longest waiting first (by its oldest unanswered
/// message), then the most recently active; the id breaks ties, so the order is total and a page
/// boundary is exact. Compared as `(rank, id)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InboxKey {
    pub rank: i64,
    pub id: ConversationId,
}

impl InboxKey {
    pub fn of(summary: &ConversationSummary) -> InboxKey {
        let rank = match summary.waiting_since_ms {
            Some(since) => since,
            None => ANSWERED_RANK_BASE.saturating_sub(summary.updated_at_ms),
        };
        InboxKey { rank, id: summary.id.clone() }
    }
}

/// Where the console is in one tab: `more_after` is the key of the last conversation it was
/// given, when the tab has more after it (ask with `load_inbox`); none when it has the whole tab.
/// The console shows the tab's conversations up to that key only, so a live update for a
/// conversation further down does not leave a gap above it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabPage {
    pub tab: InboxTab,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more_after: Option<InboxKey>,
}

/// How many conversations each tab holds, counted by storage (not by what the console has).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxCounts {
    pub waiting: u32,
    pub mine: u32,
    pub open: u32,
}

impl InboxCounts {
    pub fn of(&self, tab: InboxTab) -> u32 {
        match tab {
            InboxTab::Waiting => self.waiting,
            InboxTab::Mine => self.mine,
            InboxTab::Open => self.open,
        }
    }
}

/// The first page of every tab (a conversation in several of them comes once) with the counts:
/// what the agent's welcome carries, and what the relay sends again when it lost track of the
/// updates it owed a console.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxStart {
    pub conversations: Vec<ConversationSummary>,
    pub tabs: Vec<TabPage>,
    pub counts: InboxCounts,
}

impl InboxStart {
    /// Joins the first page of each tab (each in key order, `more` when the tab has more).
    pub fn from_pages(pages: Vec<(InboxTab, Vec<ConversationSummary>, bool)>, counts: InboxCounts) -> InboxStart {
        let mut conversations: Vec<ConversationSummary> = Vec::new();
        let mut tabs = Vec::new();
        for (tab, page, more) in pages {
            let more_after = if more { page.last().map(InboxKey::of) } else { None };
            tabs.push(TabPage { tab, more_after });
            for summary in page {
                if !conversations.iter().any(|c| c.id == summary.id) {
                    conversations.push(summary);
                }
            }
        }
        InboxStart { conversations, tabs, counts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{AgentProfile, IdentityStatus};

    fn summary(
        id: &str,
        status: ConversationStatus,
        waiting_since_ms: Option<i64>,
        updated: i64,
    ) -> ConversationSummary {
        ConversationSummary {
            id: ConversationId::new(id).unwrap(),
            visitor_name: "Visitor".into(),
            identity: IdentityStatus::Anonymous,
            contact_email: None,
            user_id: None,
            name: None,
            email: None,
            status,
            assigned_agent: None,
            last_seq: 1,
            last_message: None,
            created_at_ms: 0,
            updated_at_ms: updated,
            waiting_since_ms,
            unanswered: 0,
            cart_total: None,
            cart_currency: None,
            checkout_step: None,
            last_order_id: None,
            locale: None,
            device: None,
            shopper_left_at_ms: None,
        }
    }

    #[test]
    fn longest_waiting_come_first_then_the_most_recently_active() {
        let waiting_long = summary("a", ConversationStatus::Waiting, Some(1_000), 9_000);
        let waiting_short = summary("b", ConversationStatus::Active, Some(5_000), 5_000);
        let answered_recently = summary("c", ConversationStatus::Active, None, 8_000);
        let answered_long_ago = summary("d", ConversationStatus::Active, None, 2_000);
        let mut rows = [&answered_long_ago, &waiting_short, &answered_recently, &waiting_long];
        rows.sort_by_key(|s| InboxKey::of(s));
        let order: Vec<&str> = rows.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    #[test]
    fn equal_ranks_are_ordered_by_id() {
        let first = InboxKey::of(&summary("c1", ConversationStatus::Waiting, Some(7), 7));
        let second = InboxKey::of(&summary("c2", ConversationStatus::Waiting, Some(7), 7));
        assert!(first < second);
    }

    #[test]
    fn tabs_show_what_their_names_say() {
        let me = AgentId::new("me").unwrap();
        let mut mine = summary("m", ConversationStatus::Active, None, 1);
        mine.assigned_agent = Some(AgentProfile { id: me.clone(), name: "Me".into() });
        let waiting = summary("w", ConversationStatus::Waiting, Some(1), 1);
        let closed = summary("x", ConversationStatus::Closed, None, 1);
        let shown = |tab: InboxTab| -> Vec<&str> {
            [&mine, &waiting, &closed].into_iter().filter(|s| tab.shows(s, Some(&me))).map(|s| s.id.as_str()).collect()
        };
        assert_eq!(shown(InboxTab::Waiting), ["w"]);
        assert_eq!(shown(InboxTab::Mine), ["m"]);
        assert_eq!(shown(InboxTab::Open), ["m", "w"]);
    }

    #[test]
    fn a_start_lists_each_conversation_once_and_ends_a_full_page_at_its_last_key() {
        let a = summary("a", ConversationStatus::Waiting, Some(1), 1);
        let b = summary("b", ConversationStatus::Waiting, Some(2), 2);
        let start = InboxStart::from_pages(
            vec![
                (InboxTab::Waiting, vec![a.clone(), b.clone()], true),
                (InboxTab::Mine, vec![], false),
                (InboxTab::Open, vec![a.clone()], false),
            ],
            InboxCounts { waiting: 9, mine: 0, open: 9 },
        );
        assert_eq!(start.conversations, [a, b.clone()]);
        assert_eq!(start.tabs[0].more_after, Some(InboxKey::of(&b)));
        assert_eq!(start.tabs[1].more_after, None);
        assert_eq!(start.tabs[2].more_after, None);
    }
}
