//! The agents' inbox, a page at a time: what a console starts from (the first page of each tab
//! and the counts) and the next page of a tab. Nothing here holds more than a page per tab, so
//! a shop flooded with chats costs a console no more than a quiet one.

use checkout_chat_protocol::limits::INBOX_PAGE;
use checkout_chat_protocol::{AgentId, ConversationSummary, InboxKey, InboxStart, InboxTab, ServerFrame, ShopId};

use crate::state::AppState;
use crate::storage::StorageResult;

/// The first page of every tab with the counts, for a console's welcome or after it missed
/// updates.
pub async fn start(state: &AppState, shop: &ShopId, agent: &AgentId) -> StorageResult<InboxStart> {
    let mut pages = Vec::with_capacity(InboxTab::ALL.len());
    for tab in InboxTab::ALL {
        let (page, more) = read_page(state, shop, agent, tab, None).await?;
        pages.push((tab, page, more));
    }
    let counts = state.storage.inbox_counts(shop, Some(agent)).await?;
    Ok(InboxStart::from_pages(pages, counts))
}

/// The page of `tab` after `after`, as the answer to the console's `load_inbox`.
pub async fn next_page(
    state: &AppState,
    shop: &ShopId,
    agent: &AgentId,
    tab: InboxTab,
    after: &InboxKey,
) -> StorageResult<ServerFrame> {
    let (conversations, more) = read_page(state, shop, agent, tab, Some(after)).await?;
    let more_after = if more { conversations.last().map(InboxKey::of) } else { None };
    Ok(ServerFrame::InboxPage { tab, conversations, more_after })
}

/// A page and whether the tab goes on after it (read as one row more than a page).
async fn read_page(
    state: &AppState,
    shop: &ShopId,
    agent: &AgentId,
    tab: InboxTab,
    after: Option<&InboxKey>,
) -> StorageResult<(Vec<ConversationSummary>, bool)> {
    let mut page = state.storage.inbox_page(shop, agent, tab, after, INBOX_PAGE + 1).await?;
    let more = page.len() > INBOX_PAGE;
    page.truncate(INBOX_PAGE);
    Ok((page, more))
}
