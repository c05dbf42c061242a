//! The agent's side of the protocol: the inbox, the conversations the agent has open (each a
//! [`Timeline`]), and the [`Link`] that speaks the agent protocol on the shared reconnecting
//! socket. After a reconnect every open conversation is re-opened from its last sequence number,
//! so nothing is missed or shown twice. Beside each open conversation the relay sends what its
//! shopper does on the shop's pages, kept here as a list of activities (see `shopper`).
//!
//! The inbox comes a page at a time (a shop may have tens of thousands of open chats): the
//! welcome carries the first page of each tab, [`AgentService::load_more`] asks for the next, and
//! the tabs' counts come from the relay's storage, not from what the console holds. A tab shows
//! its conversations up to the end of what it was given, so a live update for a chat further
//! down never leaves a gap above it; such a row is not kept until its page is loaded.

use std::collections::{HashMap, HashSet};

use checkout_chat_client::socket::{AfterRefusal, Link, Socket, Status};
use checkout_chat_client::util::{new_client_id, now_ms};
use checkout_chat_protocol::api::{CannedResponse, SessionInfo};
use checkout_chat_protocol::limits::{TYPING_THROTTLE_MS, TYPING_TIMEOUT_MS};
use checkout_chat_protocol::refusals;
use checkout_chat_protocol::text::normalize_message;
use checkout_chat_protocol::timeline::Timeline;
use checkout_chat_protocol::{
    Activity, AgentFrame, AgentStatus, Author, ClientId, ConversationId, ConversationStatus, ConversationSummary,
    ErrorCode, EventBody, InboxCounts, InboxKey, InboxStart, InboxTab, ServerFrame, TeamMember, TransferTo,
};
use leptos::prelude::*;

use crate::i18n::t;
use crate::{api, notify, shopper};

#[derive(Clone, Copy)]
pub struct AgentService {
    pub session: RwSignal<Option<SessionInfo>>,
    pub status: RwSignal<Status>,
    pub inbox: RwSignal<Vec<ConversationSummary>>,
    /// For each tab, the key of the last conversation given when the tab has more after it;
    /// `None` (or no entry) when the console has the whole tab.
    pub tab_ends: RwSignal<HashMap<InboxTab, Option<InboxKey>>>,
    /// How many conversations each tab holds, as the relay counted them in storage.
    pub counts: RwSignal<InboxCounts>,
    /// Tabs whose next page has been asked for and not come yet.
    pub loading: RwSignal<HashSet<InboxTab>>,
    pub timelines: RwSignal<HashMap<ConversationId, Timeline>>,
    pub selected: RwSignal<Option<ConversationId>>,
    /// Conversations whose shopper is typing right now, with when they last said so.
    pub shopper_typing: RwSignal<HashMap<ConversationId, f64>>,
    /// What the shopper of each open conversation did on the shop's pages, oldest first.
    pub activity: RwSignal<HashMap<ConversationId, Vec<Activity>>>,
    /// The shop's agents with their presence and load (for transfers).
    pub team: RwSignal<Vec<TeamMember>>,
    /// What this agent chose: online (new chats come) or away.
    pub my_status: RwSignal<AgentStatus>,
    /// Half-written replies, per conversation: switching conversations keeps them.
    pub drafts: RwSignal<HashMap<ConversationId, String>>,
    pub canned: RwSignal<Vec<CannedResponse>>,
    /// The shop's recently ended conversations (the Closed tab), loaded when asked.
    pub closed: RwSignal<Vec<ConversationSummary>>,
    /// Each open conversation's shopper's earlier conversations.
    pub earlier: RwSignal<HashMap<ConversationId, Vec<ConversationSummary>>>,
    /// The relay's answer to the last thing it refused, for the top of the console.
    pub flash: RwSignal<Option<String>>,
    /// A transfer sent and not yet answered (its conversation), and why the last one was
    /// refused: shown in the transfer form, where the agent made it.
    pub transferring: RwSignal<Option<ConversationId>>,
    pub transfer_refused: RwSignal<Option<String>>,
    socket: StoredValue<Option<Socket<AgentService>>, LocalStorage>,
    /// When this agent last said "typing" per conversation (to send it at most every few seconds).
    typing_sent_at: StoredValue<HashMap<ConversationId, f64>, LocalStorage>,
    /// Unsent lines that are internal notes (sent as `note`, never as a message to the shopper).
    notes: StoredValue<HashSet<ClientId>, LocalStorage>,
}

impl AgentService {
    pub fn new() -> Self {
        AgentService {
            session: RwSignal::new(None),
            status: RwSignal::new(Status::Idle),
            inbox: RwSignal::new(Vec::new()),
            tab_ends: RwSignal::new(HashMap::new()),
            counts: RwSignal::new(InboxCounts::default()),
            loading: RwSignal::new(HashSet::new()),
            timelines: RwSignal::new(HashMap::new()),
            selected: RwSignal::new(None),
            shopper_typing: RwSignal::new(HashMap::new()),
            activity: RwSignal::new(HashMap::new()),
            team: RwSignal::new(Vec::new()),
            my_status: RwSignal::new(AgentStatus::Online),
            drafts: RwSignal::new(HashMap::new()),
            canned: RwSignal::new(Vec::new()),
            closed: RwSignal::new(Vec::new()),
            earlier: RwSignal::new(HashMap::new()),
            flash: RwSignal::new(None),
            transferring: RwSignal::new(None),
            transfer_refused: RwSignal::new(None),
            socket: StoredValue::new_local(None),
            notes: StoredValue::new_local(HashSet::new()),
            typing_sent_at: StoredValue::new_local(HashMap::new()),
        }
    }

    /// Called once logged in: opens the socket (the session cookie authenticates it).
    pub fn start(&self, session: SessionInfo) {
        self.session.set(Some(session));
        if self.socket.with_value(Option::is_some) {
            return;
        }
        self.socket.set_value(Some(Socket::start(socket_url(), *self)));
        self.load_canned();
    }

    pub fn load_canned(&self) {
        let canned = self.canned;
        leptos::task::spawn_local(async move {
            if let Ok(list) = api::canned().await {
                canned.set(list);
            }
        });
    }

    pub fn load_closed(&self) {
        let (closed, flash) = (self.closed, self.flash);
        leptos::task::spawn_local(async move {
            match api::closed_conversations().await {
                Ok(list) => closed.set(list),
                Err(message) => show_for_a_while(flash, message),
            }
        });
    }

    /// Online (routing gives this agent new chats) or away (it does not; their chats stay).
    pub fn set_status(&self, status: AgentStatus) {
        self.my_status.set(status);
        self.send_if_live(&encode(&AgentFrame::SetStatus { status }));
    }

    /// Asks for the next page of `tab` (once at a time; nothing when the console has it all).
    pub fn load_more(&self, tab: InboxTab) {
        let Some(after) = self.tab_ends.with_untracked(|ends| ends.get(&tab).cloned().flatten()) else { return };
        if self.loading.with_untracked(|loading| loading.contains(&tab)) {
            return;
        }
        self.loading.update(|loading| {
            loading.insert(tab);
        });
        self.send_if_live(&encode(&AgentFrame::LoadInbox { tab, after }));
    }

    /// Whether `tab` has more conversations than the console was given.
    pub fn has_more(&self, tab: InboxTab) -> bool {
        self.tab_ends.with(|ends| ends.get(&tab).is_some_and(Option::is_some))
    }

    /// Whether `tab` lists `summary` now: the tab's kind of conversation, within what was loaded.
    pub fn tab_lists(&self, tab: InboxTab, summary: &ConversationSummary) -> bool {
        tab.shows(summary, self.my_id().as_ref())
            && self.tab_ends.with(|ends| within(ends.get(&tab).cloned().flatten().as_ref(), summary))
    }

    /// Whether any tab lists `summary`, or the agent has it open: rows that are neither are
    /// dropped (they come again with their page), so a flood does not fill the console.
    fn worth_keeping(&self, summary: &ConversationSummary) -> bool {
        let me = self.my_id();
        let listed = self.tab_ends.with_untracked(|ends| {
            InboxTab::ALL.into_iter().any(|tab| {
                tab.shows(summary, me.as_ref()) && within(ends.get(&tab).cloned().flatten().as_ref(), summary)
            })
        });
        listed
            || self.selected.with_untracked(|s| s.as_ref() == Some(&summary.id))
            || self.timelines.with_untracked(|t| t.contains_key(&summary.id))
    }

    /// The inbox anew (the welcome, or after the relay lost track): what it had is replaced.
    fn start_inbox(&self, start: InboxStart) {
        let ends = start.tabs.into_iter().map(|page| (page.tab, page.more_after)).collect();
        self.tab_ends.set(ends);
        self.counts.set(start.counts);
        self.loading.set(HashSet::new());
        self.inbox.set(start.conversations);
        notify::set_title(self.needing_answer());
    }

    /// A page asked for with [`AgentService::load_more`]: its rows join the inbox (a row the
    /// console heard of live since the page was read stays as it is), and the tab now ends
    /// where the page does.
    fn add_page(&self, tab: InboxTab, conversations: Vec<ConversationSummary>, more_after: Option<InboxKey>) {
        self.tab_ends.update(|ends| {
            ends.insert(tab, more_after);
        });
        self.loading.update(|loading| {
            loading.remove(&tab);
        });
        self.inbox.update(|inbox| {
            for summary in conversations {
                match inbox.iter_mut().find(|c| c.id == summary.id) {
                    Some(existing) if existing.last_seq < summary.last_seq => *existing = summary,
                    Some(_) => {}
                    None => inbox.push(summary),
                }
            }
        });
    }

    /// Takes a waiting conversation.
    pub fn claim(&self, conversation: &ConversationId) {
        self.send_if_live(&encode(&AgentFrame::Claim { conversation_id: conversation.clone() }));
    }

    /// Hands the conversation to a colleague or a supervisor, with a note for them.
    pub fn transfer(&self, conversation: &ConversationId, to: TransferTo, note: &str) {
        self.transfer_refused.set(None);
        let note = Some(note.trim().to_owned()).filter(|n| !n.is_empty());
        if self.send_if_live(&encode(&AgentFrame::Transfer { conversation_id: conversation.clone(), to, note })) {
            self.transferring.set(Some(conversation.clone()));
        }
    }

    /// The conversations that need this agent: waiting for anyone, or theirs and unanswered.
    fn needing_answer(&self) -> usize {
        let me = self.my_id();
        self.inbox.with_untracked(|inbox| inbox.iter().filter(|c| needs(c, me.as_ref()) && c.unanswered > 0).count())
    }

    pub fn my_id(&self) -> Option<checkout_chat_protocol::AgentId> {
        self.session.with_untracked(|s| s.as_ref().map(|s| s.agent.id.clone()))
    }

    pub async fn logout(&self) {
        api::logout().await;
        // A fresh page is the simplest way to drop the socket and every piece of state.
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    }

    /// Shows a conversation, opening it on the socket the first time.
    pub fn select(&self, id: ConversationId) {
        self.selected.set(Some(id.clone()));
        // An ended conversation (opened from the shopper's earlier ones) is shown from the
        // Closed list.
        if !self.inbox.with_untracked(|inbox| inbox.iter().any(|c| c.id == id)) {
            self.load_closed();
        }
        let earlier = self.earlier;
        let wanted = id.clone();
        leptos::task::spawn_local(async move {
            if let Ok(list) = api::earlier_conversations(&wanted).await {
                earlier.update(|all| {
                    all.insert(wanted, list);
                });
            }
        });
        let is_new = self.timelines.with_untracked(|t| !t.contains_key(&id));
        if is_new {
            self.timelines.update(|t| {
                t.insert(id.clone(), Timeline { id: Some(id.clone()), ..Default::default() });
            });
            self.send_if_live(&encode(&AgentFrame::Open { conversation_id: id, last_seq: 0 }));
        }
    }

    /// Tells the shopper the agent is typing, at most every few seconds while they type.
    /// Says "stopped typing" now (the agent turned to writing a note, which the shopper must
    /// not see as typing either).
    pub fn stop_typing(&self, conversation: &ConversationId) {
        if self.typing_sent_at.try_update_value(|sent| sent.remove(conversation)).flatten().is_some() {
            let frame = AgentFrame::Typing { conversation_id: conversation.clone(), typing: false };
            self.send_if_live(&encode(&frame));
        }
    }

    pub fn typing(&self, conversation: &ConversationId) {
        let now = js_sys::Date::now();
        let due = self
            .typing_sent_at
            .with_value(|sent| sent.get(conversation).is_none_or(|at| now - at > f64::from(TYPING_THROTTLE_MS)));
        if due {
            self.typing_sent_at.update_value(|sent| {
                sent.insert(conversation.clone(), now);
            });
            let frame = AgentFrame::Typing { conversation_id: conversation.clone(), typing: true };
            self.send_if_live(&encode(&frame));
        }
    }

    /// Marks the conversation's shopper as spam: the chat ends and they start no new one.
    pub fn block(&self, conversation: &ConversationId) {
        self.send_if_live(&encode(&AgentFrame::Block { conversation_id: conversation.clone() }));
    }

    /// Ends the conversation; the shopper is asked for a rating.
    pub fn close_conversation(&self, conversation: &ConversationId) {
        self.send_if_live(&encode(&AgentFrame::Close { conversation_id: conversation.clone() }));
    }

    pub fn send(&self, conversation: &ConversationId, text: &str) -> bool {
        self.queue(conversation, text, false)
    }

    /// An internal note: only agents see it.
    pub fn note(&self, conversation: &ConversationId, text: &str) -> bool {
        self.queue(conversation, text, true)
    }

    fn queue(&self, conversation: &ConversationId, text: &str, note: bool) -> bool {
        let Ok(text) = normalize_message(text) else { return false };
        self.typing_sent_at.update_value(|sent| {
            sent.remove(conversation);
        });
        let client_id = new_client_id();
        if note {
            self.notes.update_value(|notes| {
                notes.insert(client_id.clone());
            });
        }
        self.timelines.update(|t| {
            if let Some(timeline) = t.get_mut(conversation) {
                timeline.queue(client_id, text, now_ms());
            }
        });
        self.with_socket(Socket::flush);
        true
    }

    pub fn retry(&self, conversation: &ConversationId, client_id: &ClientId) {
        self.timelines.update(|t| {
            if let Some(timeline) = t.get_mut(conversation) {
                timeline.retry(client_id);
            }
        });
        self.with_socket(|socket| socket.resend(client_id));
    }

    pub fn discard(&self, conversation: &ConversationId, client_id: &ClientId) {
        self.timelines.update(|t| {
            if let Some(timeline) = t.get_mut(conversation) {
                timeline.discard(client_id);
            }
        });
    }

    /// Shows "typing" for the conversation until the shopper stops, sends, or (if their "stopped"
    /// is lost with their connection) says nothing more for a while.
    fn shopper_typing_now(&self, conversation: ConversationId) {
        let since = js_sys::Date::now();
        self.shopper_typing.update(|typing| {
            typing.insert(conversation.clone(), since);
        });
        let typing = self.shopper_typing;
        let expire = move || {
            typing.update(|typing| {
                if typing.get(&conversation) == Some(&since) {
                    typing.remove(&conversation);
                }
            });
        };
        set_timeout(expire, std::time::Duration::from_millis(TYPING_TIMEOUT_MS.into()));
    }

    fn with_socket(&self, act: impl FnOnce(&Socket<AgentService>)) {
        if let Some(socket) = self.socket.get_value() {
            act(&socket);
        }
    }

    /// Sends a frame if the console is connected; whether it was sent.
    fn send_if_live(&self, frame: &str) -> bool {
        self.socket.get_value().is_some_and(|socket| socket.send_if_live(frame))
    }

    /// Adds or updates an inbox row. Updates can arrive out of order (they are published by
    /// different connections' tasks), so an older one never replaces a newer one. A closed one
    /// leaves the live inbox for the Closed tab. Something new for this agent (a new chat, a new
    /// message) is told when they are not looking at it.
    fn upsert(&self, summary: ConversationSummary) {
        let before = self
            .inbox
            .with_untracked(|inbox| inbox.iter().find(|c| c.id == summary.id).map(|c| (c.last_seq, c.unanswered)));
        if before.is_some_and(|(seq, _)| summary.last_seq < seq) {
            return;
        }
        let news = summary.unanswered > before.map_or(0, |(_, unanswered)| unanswered)
            && needs(&summary, self.my_id().as_ref());
        let looking = self.selected.with_untracked(|s| s.as_ref() == Some(&summary.id)) && notify::console_in_view();
        if news && !looking {
            let what = if before.is_none() || summary.unanswered == 1 && summary.assigned_agent.is_none() {
                t("New chat")
            } else {
                t("New message")
            };
            notify::tell(
                what,
                &format!(
                    "{}: {}",
                    crate::format::shown_name(&summary),
                    summary.last_message.clone().unwrap_or_default()
                ),
            );
        }
        // Ended again, or reopened by its shopper: listed among the ended ones only when ended.
        self.closed.update(|closed| closed.retain(|c| c.id != summary.id));
        if summary.status == ConversationStatus::Closed {
            self.inbox.update(|inbox| inbox.retain(|c| c.id != summary.id));
            self.closed.update(|closed| closed.insert(0, summary));
        } else if !self.worth_keeping(&summary) {
            self.inbox.update(|inbox| inbox.retain(|c| c.id != summary.id));
        } else {
            self.inbox.update(|inbox| match inbox.iter_mut().find(|c| c.id == summary.id) {
                Some(existing) => *existing = summary,
                None => inbox.push(summary),
            });
        }
        notify::set_title(self.needing_answer());
    }
}

impl Link for AgentService {
    fn decode(&self, text: &str) -> Option<ServerFrame> {
        ServerFrame::parse(text).ok()
    }

    fn opening(&self) -> Option<String> {
        None
    }

    /// Re-opens every conversation the agent has open, from what it has already shown.
    fn on_live(&self) -> Vec<String> {
        self.timelines.with_untracked(|timelines| {
            timelines
                .iter()
                .map(|(id, t)| encode(&AgentFrame::Open { conversation_id: id.clone(), last_seq: t.last_seq }))
                .collect()
        })
    }

    fn on_frame(&self, frame: ServerFrame) {
        match frame {
            ServerFrame::AgentWelcome { inbox, .. } => {
                self.start_inbox(inbox);
                // After a reconnect the relay starts this agent as they were (or online).
                let status = self.my_status.get_untracked();
                if status != AgentStatus::Online {
                    self.send_if_live(&encode(&AgentFrame::SetStatus { status }));
                }
            }
            ServerFrame::Inbox { inbox } => self.start_inbox(inbox),
            ServerFrame::InboxPage { tab, conversations, more_after } => self.add_page(tab, conversations, more_after),
            ServerFrame::Team { agents, waiting, open } => {
                let mine = self.my_id().and_then(|me| agents.iter().find(|a| a.agent.id == me).cloned());
                if let Some(mine) = &mine
                    && mine.status != AgentStatus::Offline
                {
                    self.my_status.set(mine.status);
                }
                // An agent's Mine count is their load.
                let counts = InboxCounts { waiting, open, mine: mine.map_or(0, |m| m.load) };
                if self.counts.get_untracked() != counts {
                    self.counts.set(counts);
                }
                self.team.set(agents);
            }
            ServerFrame::Error { code, message, client_id: None } => {
                // It may be the answer to a page asked for (storage busy, say): let the agent ask again.
                self.loading.set(HashSet::new());
                let sentence = t(refusal_sentence(code, &message)).to_owned();
                // A refused transfer is told in its form (which waits for the answer).
                if self.transferring.get_untracked().is_some() {
                    // The refusal first: the form, seeing the transfer answered, must know it failed.
                    self.transfer_refused.set(Some(sentence));
                    self.transferring.set(None);
                } else {
                    show_for_a_while(self.flash, sentence);
                }
            }
            ServerFrame::ConversationUpdated { conversation } => self.upsert(conversation),
            ServerFrame::Typing { conversation_id, author: Author::Visitor, typing } => {
                if typing {
                    self.shopper_typing_now(conversation_id);
                } else {
                    self.shopper_typing.update(|typing| {
                        typing.remove(&conversation_id);
                    });
                }
            }
            ServerFrame::Event { event } => {
                let handed_over = matches!(event.body, EventBody::Handover { to: Some(_), .. });
                if handed_over && self.transferring.get_untracked().as_ref() == Some(&event.conversation_id) {
                    self.transferring.set(None);
                }
                if event.author == Author::Visitor {
                    self.shopper_typing.update(|typing| {
                        typing.remove(&event.conversation_id);
                    });
                }
                self.timelines.update(|t| {
                    if let Some(timeline) = t.get_mut(&event.conversation_id) {
                        timeline.apply(event);
                    }
                });
            }
            ServerFrame::Synced { conversation_id, last_seq } => {
                self.timelines.update(|t| {
                    if let Some(timeline) = t.get_mut(&conversation_id) {
                        timeline.synced(last_seq);
                    }
                });
            }
            ServerFrame::VisitorActivity { conversation_id, events, history } => {
                self.activity.update(|activity| {
                    shopper::merge(activity.entry(conversation_id).or_default(), events, history);
                });
            }
            ServerFrame::Error { code, message, client_id: Some(client_id) } if !code.is_transient() => {
                let reason = if code == ErrorCode::InvalidText { message } else { String::new() };
                self.timelines.update(|t| {
                    for timeline in t.values_mut() {
                        timeline.fail(&client_id, reason.clone());
                    }
                });
            }
            _ => {}
        }
    }

    fn unsent(&self, sent_here: &HashSet<ClientId>) -> Vec<(ClientId, String)> {
        self.timelines.with_untracked(|timelines| {
            timelines
                .iter()
                .flat_map(|(id, t)| t.unsent().map(move |p| (id, p)))
                .filter(|(_, p)| !sent_here.contains(&p.client_id))
                .map(|(id, p)| {
                    let (conversation_id, client_id, text) = (id.clone(), p.client_id.clone(), p.text.clone());
                    let frame = if self.notes.with_value(|notes| notes.contains(&p.client_id)) {
                        AgentFrame::Note { conversation_id, client_id, text }
                    } else {
                        AgentFrame::Send { conversation_id, client_id, text }
                    };
                    (p.client_id.clone(), encode(&frame))
                })
                .collect()
        })
    }

    fn on_status(&self, status: Status) {
        if status == Status::Stopped {
            // The socket task has ended; a later login starts a new one.
            self.socket.set_value(None);
        }
        self.status.set(status);
    }

    /// The session has ended (logged out elsewhere, expired, password changed): back to login.
    fn on_refused(&self, _code: Option<ErrorCode>) -> AfterRefusal {
        self.session.set(None);
        AfterRefusal::Stop
    }

    /// A socket that fails before the welcome may mean the session has ended (the relay refuses
    /// the upgrade with 401, which browsers report only as a failed connection).
    fn may_retry(&self, retry: Box<dyn FnOnce(bool)>) {
        let service = *self;
        leptos::task::spawn_local(async move {
            let logged_out = matches!(api::current_session().await, Ok(None));
            if logged_out {
                service.session.set(None);
            }
            retry(!logged_out);
        });
    }
}

/// Whether a conversation is this agent's business: waiting for anyone, or assigned to them.
pub fn needs(summary: &ConversationSummary, me: Option<&checkout_chat_protocol::AgentId>) -> bool {
    match &summary.assigned_agent {
        None => summary.status == ConversationStatus::Waiting,
        Some(agent) => Some(&agent.id) == me,
    }
}

/// Whether `summary` comes no later than `end` in the inbox's order (everything does without an
/// end: the tab is complete).
fn within(end: Option<&InboxKey>, summary: &ConversationSummary) -> bool {
    end.is_none_or(|end| InboxKey::of(summary) <= *end)
}

fn encode(frame: &AgentFrame) -> String {
    serde_json::to_string(frame).unwrap_or_default()
}

fn socket_url() -> String {
    let location = web_sys::window().map(|w| w.location());
    let host = location.as_ref().and_then(|l| l.host().ok()).unwrap_or_default();
    let secure = location.and_then(|l| l.protocol().ok()).is_some_and(|p| p == "https:");
    format!("{}://{host}/v1/agent", if secure { "wss" } else { "ws" })
}

/// How long a refusal stays at the top of the console (it can be dismissed sooner).
const FLASH_FOR: std::time::Duration = std::time::Duration::from_secs(12);

/// Shows `message` in the console's flash, and takes it away after a while unless another one
/// took its place.
fn show_for_a_while(flash: RwSignal<Option<String>>, message: String) {
    flash.set(Some(message.clone()));
    set_timeout(
        move || {
            flash.update(|shown| {
                if shown.as_deref() == Some(message.as_str()) {
                    *shown = None
                }
            })
        },
        FLASH_FOR,
    );
}

/// What the console tells the agent when the relay refuses something they did: a sentence of
/// its own for each refusal agents meet (translated like every other text), else one for the
/// kind of refusal. The relay's own words are for logs and developers, in English.
pub fn refusal_sentence(code: ErrorCode, relay_says: &str) -> &'static str {
    match relay_says {
        refusals::TAKEN => "Another agent has this chat now.",
        refusals::ENDED => "This chat has ended.",
        refusals::NO_CONVERSATION => "This conversation no longer exists.",
        refusals::NO_AGENT => "That colleague is no longer on the team.",
        refusals::NO_SUPERVISOR => "No supervisor is online just now.",
        refusals::ALREADY_YOURS => "This chat is already yours.",
        offline if offline.ends_with(refusals::IS_OFFLINE) => "That colleague has gone offline: choose someone online.",
        _ => match code {
            ErrorCode::Forbidden => "You cannot do that.",
            ErrorCode::NotFound => "That is no longer there.",
            ErrorCode::ConversationClosed => "This chat has ended.",
            ErrorCode::RateLimited => "Too much at once: wait a moment and try again.",
            ErrorCode::Unavailable => "The relay could not do that just now: try again.",
            _ => "That did not work: try again.",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, t_in};

    #[test]
    fn refusals_read_as_the_consoles_own_sentences_in_both_languages() {
        let taken = refusal_sentence(ErrorCode::Forbidden, refusals::TAKEN);
        assert_eq!(taken, "Another agent has this chat now.");
        assert_ne!(t_in(Lang::Nl, taken), taken, "a Dutch sentence");
        // A refusal the console has no sentence for is told by its kind, never in the relay's words.
        let odd = refusal_sentence(ErrorCode::Unavailable, "database is locked (code 5)");
        assert_eq!(odd, "The relay could not do that just now: try again.");
        let offline = format!("Bram Jansen{}", refusals::IS_OFFLINE);
        let known = [
            refusals::TAKEN,
            refusals::ENDED,
            refusals::NO_CONVERSATION,
            refusals::NO_AGENT,
            refusals::NO_SUPERVISOR,
            refusals::ALREADY_YOURS,
            &offline,
        ];
        for says in known {
            let generic = refusal_sentence(ErrorCode::BadFrame, "something new");
            assert_ne!(refusal_sentence(ErrorCode::BadFrame, says), generic, "{says} has a sentence of its own");
        }
        for code in ErrorCode::ALL {
            for says in known.iter().chain(&["something new"]) {
                let sentence = refusal_sentence(code, says);
                assert!(!sentence.contains("something new"));
                assert_ne!(t_in(Lang::Nl, sentence), sentence, "{sentence} has no Dutch");
            }
        }
    }
}
