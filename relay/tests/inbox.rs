//! The agents' inbox, paged, with the real binary: a shop flooded with chats (security issue 16)
//! still lets its consoles connect at once, page through a tab, and see the counts from storage
//! move with live chats.
//!
//! Before paging, the welcome listed every open conversation: 16,400 fake chats made it 4.5 MB
//! (and the console's Waiting tab 3.4 s to draw), and from about 75,000 it passed the 64 MiB
//! frame cap, so no console of the shop could connect at all.

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use checkout_chat_protocol::limits::INBOX_PAGE;
use checkout_chat_protocol::{
    AgentFrame, Author, ClientId, ConversationStatus, ConversationSummary, EventBody, InboxCounts, InboxKey,
    InboxStart, InboxTab, ServerFrame, ShopId,
};
use checkout_chat_relay::storage::sqlite::SqliteStorage;
use checkout_chat_relay::storage::{NewEvent, Storage};
use futures_util::StreamExt;
use serde_json::json;
use support::{Client, Relay};

const FLOOD: usize = 20_000;

/// `count` shoppers who each wrote one line and are gone (as a flood leaves them: waiting, no
/// agent), written through the storage layer: over sockets, at the relay's rate limits, they
/// would take many minutes. Returns the Waiting tab as storage orders it.
async fn flood(database: &Path, count: usize) -> Vec<ConversationSummary> {
    let storage = SqliteStorage::open(database).unwrap();
    let shop = ShopId::new("demo").unwrap();
    let words = "Is the blue winter coat in size M still coming back this month, and can I return it?";
    let started = Instant::now();
    // Many at once, so the writer commits them in large groups (one fsync each).
    futures_util::stream::iter(0..count)
        .map(|n| {
            let (storage, shop) = (storage.clone(), shop.clone());
            async move {
                let mut token = [0u8; 32];
                token[..8].copy_from_slice(&(n as u64).to_le_bytes());
                let visitor = storage.create_visitor(&shop, token).await.unwrap();
                let conversation = storage.open_or_create_conversation(&shop, &visitor.id).await.unwrap();
                let body = EventBody::Message { text: format!("{n}: {words}") };
                let client_id = Some(ClientId::new(format!("m-{n}")).unwrap());
                let event = NewEvent { author: Author::Visitor, client_id, body };
                storage.append_event(&conversation.id, event).await.unwrap();
            }
        })
        .buffer_unordered(256)
        .collect::<()>()
        .await;
    eprintln!("seeded {count} chats in {:?}", started.elapsed());
    // Any agent id: the Waiting tab is the shop's.
    let nobody = checkout_chat_protocol::AgentId::new("nobody").unwrap();
    storage.inbox_page(&shop, &nobody, InboxTab::Waiting, None, count + 1).await.unwrap()
}

/// The next frame that `pick` takes, passing over the others (team lists, updates, …).
async fn next<T>(client: &mut Client, mut pick: impl FnMut(ServerFrame) -> Option<T>) -> T {
    loop {
        if let Some(found) = pick(client.recv().await) {
            return found;
        }
    }
}

async fn load(console: &mut Client, tab: InboxTab, after: &InboxKey) -> (Vec<ConversationSummary>, Option<InboxKey>) {
    let frame = AgentFrame::LoadInbox { tab, after: after.clone() };
    console.send_text(serde_json::to_string(&frame).unwrap()).await;
    next(console, |frame| match frame {
        ServerFrame::InboxPage { tab: answered, conversations, more_after } if answered == tab => {
            Some((conversations, more_after))
        }
        ServerFrame::Error { message, .. } => panic!("load_inbox refused: {message}"),
        _ => None,
    })
    .await
}

fn ids(rows: &[ConversationSummary]) -> Vec<String> {
    rows.iter().map(|c| c.id.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_of_a_shop_with_20000_open_chats_connects_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let waiting = flood(&database, FLOOD).await;
    assert_eq!(waiting.len(), FLOOD);
    // What the welcome used to be: every open conversation in one frame.
    let whole_inbox = serde_json::to_string(&waiting).unwrap().len();
    eprintln!("the whole inbox as one welcome would be {whole_inbox} bytes");

    let relay = Relay::start(&database);
    let cookie = relay.login(support::DEMO_EMAIL, support::DEMO_PASSWORD).await.unwrap();
    let connecting = Instant::now();
    let mut console = Client::agent(relay.addr, &cookie).await.expect("the console's socket opens");
    console.skip_notices = false;
    let welcome = console.recv().await;
    let took = connecting.elapsed();
    let size = serde_json::to_string(&welcome).unwrap().len();
    eprintln!("welcome: {size} bytes in {took:?}");
    let ServerFrame::AgentWelcome { agent, inbox: InboxStart { conversations, tabs, counts }, .. } = welcome else {
        panic!("expected agent_welcome, got {welcome:?}")
    };
    assert!(size < 3 * INBOX_PAGE * 1024, "the welcome is a few pages, not the inbox: {size} bytes");
    assert!(took < Duration::from_secs(5), "the console connects at once: {took:?}");
    assert_eq!(counts, InboxCounts { waiting: FLOOD as u32, mine: 0, open: FLOOD as u32 }, "counted by storage");
    // Everything waits, so the Waiting and Open tabs begin with the same page, sent once.
    assert_eq!(ids(&conversations), ids(&waiting[..INBOX_PAGE]));
    let more_after = |tab: InboxTab| tabs.iter().find(|t| t.tab == tab).map(|t| t.more_after.clone());
    let first_end = Some(InboxKey::of(&waiting[INBOX_PAGE - 1]));
    assert_eq!(more_after(InboxTab::Waiting), Some(first_end.clone()));
    assert_eq!(more_after(InboxTab::Open), Some(first_end));
    assert_eq!(more_after(InboxTab::Mine), Some(None), "Mine is empty, and complete");

    // Away, so that routing gives this agent nothing by itself.
    console.send_json(json!({"type": "set_status", "status": "away"})).await;

    // Page on through the Waiting tab: each page follows the last, in order, nothing twice.
    let mut seen: Vec<ConversationSummary> = conversations;
    let mut after = InboxKey::of(&waiting[INBOX_PAGE - 1]);
    for _ in 0..10 {
        let (page, more) = load(&mut console, InboxTab::Waiting, &after).await;
        assert_eq!(page.len(), INBOX_PAGE);
        let last = InboxKey::of(page.last().unwrap());
        assert_eq!(more.as_ref(), Some(&last), "more after the page's last row");
        seen.extend(page);
        after = last;
    }
    assert_eq!(ids(&seen), ids(&waiting[..11 * INBOX_PAGE]));
    // From near the end: the rest, and the tab ends there.
    let (tail, more) = load(&mut console, InboxTab::Open, &InboxKey::of(&waiting[FLOOD - 31])).await;
    assert_eq!(ids(&tail), ids(&waiting[FLOOD - 30..]));
    assert_eq!(more, None, "nothing after the last page");

    // A real shopper writes: the console hears of the chat (far below its pages) and the counts.
    let mut shopper = Client::visitor(relay.addr).await;
    shopper.send_json(json!({"type": "hello", "shop": "demo"})).await;
    assert!(matches!(shopper.recv().await, ServerFrame::Welcome { .. }));
    let (new_chat, _) = shopper.acked(json!({"type": "send", "client_id": "s1", "text": "Is this in stock?"})).await;
    // The two come on different paths (the shop's updates, the team list), in either order.
    let (mut updated, mut counted) = (false, false);
    next(&mut console, |frame| {
        match frame {
            ServerFrame::ConversationUpdated { conversation } if conversation.id.as_str() == new_chat => {
                assert_eq!(conversation.status, ConversationStatus::Waiting);
                updated = true;
            }
            ServerFrame::Team { waiting: 20_001, open: 20_001, .. } => counted = true,
            _ => {}
        }
        (updated && counted).then_some(())
    })
    .await;
    let new_key = {
        let (page, _) = load(&mut console, InboxTab::Waiting, &InboxKey::of(&waiting[FLOOD - 1])).await;
        assert_eq!(ids(&page), std::slice::from_ref(&new_chat), "the newest chat waits at the end of the tab");
        InboxKey::of(&page[0])
    };
    assert!(new_key > InboxKey::of(&waiting[FLOOD - 1]));

    // The agent takes it: it leaves Waiting for their Mine (their load in the team list).
    console.send_json(json!({"type": "claim", "conversation_id": new_chat})).await;
    next(&mut console, |frame| match frame {
        ServerFrame::Team { agents, waiting: 20_000, open: 20_001 } => {
            let mine = agents.iter().find(|m| m.agent.id == agent.id).map(|m| m.load);
            (mine == Some(1)).then_some(())
        }
        _ => None,
    })
    .await;

    // A second console starts from the same counts, with the chat in its Mine page.
    let mut other = Client::agent(relay.addr, &cookie).await.expect("a second console connects");
    let ServerFrame::AgentWelcome { inbox, .. } = other.recv().await else { panic!("expected agent_welcome") };
    assert_eq!(inbox.counts, InboxCounts { waiting: 20_000, mine: 1, open: 20_001 });
    let mine: HashSet<String> = inbox
        .conversations
        .iter()
        .filter(|c| InboxTab::Mine.shows(c, Some(&agent.id)))
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(mine, HashSet::from([new_chat]));
}

#[tokio::test]
async fn a_page_of_another_shop_is_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.db");
    let waiting = flood(&database, 3).await;
    let (relay, _config) = support::two_shops(&database);
    let cookie = relay.login(support::RIVAL_EMAIL, support::RIVAL_PASSWORD).await.expect("rival agent logs in");
    let mut rival = Client::agent(relay.addr, &cookie).await.unwrap();
    let ServerFrame::AgentWelcome { inbox, .. } = rival.recv().await else { panic!("expected agent_welcome") };
    assert_eq!(inbox.counts, InboxCounts::default());
    assert!(inbox.conversations.is_empty());
    // Even asking after a key below the demo shop's chats gives nothing of theirs.
    let before_all = InboxKey { rank: i64::MIN, id: waiting[0].id.clone() };
    let (page, more) = load(&mut rival, InboxTab::Open, &before_all).await;
    assert!(page.is_empty(), "{page:?}");
    assert_eq!(more, None);
}
