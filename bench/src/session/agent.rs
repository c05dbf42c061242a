//! An agent at the console: opens every conversation routed to them (from the welcome and from
//! inbox updates), reads each shopper message and answers it after a while (typing first).
//! After a reconnect they reopen each conversation from the last number they have shown and send
//! their unacknowledged answers again.
//!
//! Also the [`Broadcaster`]: an agent whose status changes (away, online) make the relay tell
//! every shopper of the shop how many agents are online — the broadcast the idle scenario times.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};

use super::watcher::BroadcastProbe;
use super::{ChatClient, ClientReport, Ending, Phase, Run, Step, keep_connected, next_step};
use crate::conn::{ConnError, Credential, Side, Target, Wire};
use crate::ledger::{Party, View};
use crate::script::{agent_line, between};
use crate::wire::{ClientMsg, EventInfo, Incoming, Role, ServerMsg, Summary};

/// The typing notice goes this long before the answer.
const TYPING_BEFORE_ANSWER: Duration = Duration::from_secs(1);
const RESEND_AFTER_UNAVAILABLE: Duration = Duration::from_secs(2);

/// Plays agent `index` until the scenario is done. `ready` fires at the first welcome.
pub async fn run(run: &Run, index: usize, credential: Credential, ready: oneshot::Sender<()>) -> ClientReport {
    let mut agent = Agent::new(index, ready);
    keep_connected(run, Side::Agent, &credential, &mut agent).await;
    agent.into_report()
}

/// Something an agent will do in a conversation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Intent {
    Type(String),
    Answer(String),
}

struct Agent {
    index: usize,
    id: Option<String>,
    views: HashMap<String, View>,
    /// Conversations opened on the current connection.
    open_now: HashSet<String>,
    /// Reopened after a reconnect, not yet synced.
    awaiting_sync: HashSet<String>,
    reconnecting: bool,
    /// What to do when: (due, tie-breaker, intent).
    plans: BinaryHeap<Reverse<(Instant, u64, Intent)>>,
    planned: u64,
    /// Answers not yet acknowledged: client id → (conversation, text).
    outbox: BTreeMap<String, (String, &'static str)>,
    answers: u64,
    resend_at: Option<Instant>,
    ready: Option<oneshot::Sender<()>>,
    report: ClientReport,
}

impl ChatClient for Agent {
    async fn drive(&mut self, run: &Run, wire: Wire, phases: &mut watch::Receiver<Phase>) -> Ending {
        self.talk(run, wire, phases).await
    }

    fn report(&mut self) -> &mut ClientReport {
        &mut self.report
    }

    fn lost_connection(&mut self) {
        self.reconnecting = true;
    }
}

impl Agent {
    fn new(index: usize, ready: oneshot::Sender<()>) -> Self {
        Agent {
            index,
            id: None,
            views: HashMap::new(),
            open_now: HashSet::new(),
            awaiting_sync: HashSet::new(),
            reconnecting: false,
            plans: BinaryHeap::new(),
            planned: 0,
            outbox: BTreeMap::new(),
            answers: 0,
            resend_at: None,
            ready: Some(ready),
            report: ClientReport::default(),
        }
    }

    fn into_report(mut self) -> ClientReport {
        self.report.views.extend(self.views.into_values());
        self.report
    }

    async fn talk(&mut self, run: &Run, mut wire: Wire, phases: &mut watch::Receiver<Phase>) -> Ending {
        self.open_now.clear();
        // Like the console: nothing is sent on a connection before its welcome (answers that came
        // due while the relay was away wait for it, then go after the resent ones).
        let mut welcomed = false;
        loop {
            if run.phase() != Phase::Chatting {
                self.plans.clear();
            }
            let due = if welcomed {
                [self.plans.peek().map(|Reverse((at, _, _))| *at), self.resend_at].into_iter().flatten().min()
            } else {
                None
            };
            let step = next_step(phases, &mut wire, due).await;
            let result = match step {
                Step::Phase(Phase::Done) => return Ending::Done,
                Step::Phase(_) => Ok(()),
                Step::Incoming(Ok(Incoming::Msg(msg))) => {
                    welcomed |= matches!(msg, ServerMsg::AgentWelcome { .. });
                    self.on_message(run, &mut wire, msg).await
                }
                Step::Incoming(Ok(Incoming::Ping)) => wire.pong().await,
                Step::Incoming(Ok(Incoming::Nothing)) => Ok(()),
                Step::Incoming(Ok(Incoming::Ended)) => return Ending::Lost,
                Step::Incoming(Err(ConnError::Wire(_))) => {
                    self.report.unreadable += 1;
                    Ok(())
                }
                Step::Incoming(Err(_)) => return Ending::Lost,
                Step::Due => self.act(run, &mut wire).await,
            };
            if result.is_err() {
                return Ending::Lost;
            }
        }
    }

    async fn on_message(&mut self, run: &Run, wire: &mut Wire, msg: ServerMsg) -> Result<(), ConnError> {
        match msg {
            ServerMsg::AgentWelcome { agent_id, conversations } => {
                self.on_welcome(run, wire, agent_id, &conversations).await
            }
            ServerMsg::ConversationUpdated(summary) => {
                if self.is_mine(&summary) && !self.open_now.contains(&summary.id) {
                    self.open(wire, &summary.id).await?;
                }
                Ok(())
            }
            ServerMsg::Event(event) => {
                self.on_event(run, &event);
                Ok(())
            }
            ServerMsg::Synced { conversation_id, .. } => {
                self.awaiting_sync.remove(&conversation_id);
                if self.reconnecting && self.awaiting_sync.is_empty() {
                    self.reconnecting = false;
                    run.note_resynced(Instant::now());
                }
                Ok(())
            }
            ServerMsg::Ack { client_id, conversation_id, seq } => {
                self.outbox.remove(&client_id);
                if let Some(first_sent) = run.ledger.acked(&client_id, &conversation_id, seq)
                    && run.measured(first_sent)
                {
                    self.report.latencies.ack.record(first_sent.elapsed());
                }
                Ok(())
            }
            ServerMsg::Refused { code, client_id } => {
                if code == "unavailable" {
                    self.resend_at = Some(Instant::now() + RESEND_AFTER_UNAVAILABLE);
                } else {
                    self.report.refused += 1;
                    if let Some(id) = client_id {
                        self.outbox.remove(&id);
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn is_mine(&self, summary: &Summary) -> bool {
        self.id.is_some() && summary.assigned_agent == self.id
    }

    /// Opens what is routed to this agent, reopens what it followed before a reconnect, and
    /// sends the unacknowledged answers again.
    async fn on_welcome(
        &mut self,
        run: &Run,
        wire: &mut Wire,
        agent_id: String,
        conversations: &[Summary],
    ) -> Result<(), ConnError> {
        self.id = Some(agent_id);
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(());
        }
        let mut to_open: Vec<String> = self.views.keys().cloned().collect();
        to_open.extend(conversations.iter().filter(|s| self.is_mine(s)).map(|s| s.id.clone()));
        for id in to_open {
            if !self.open_now.contains(&id) {
                self.open(wire, &id).await?;
            }
        }
        if self.reconnecting && self.awaiting_sync.is_empty() {
            self.reconnecting = false;
            run.note_resynced(Instant::now());
        }
        self.resend_all(wire).await
    }

    async fn open(&mut self, wire: &mut Wire, conversation_id: &str) -> Result<(), ConnError> {
        let view =
            self.views.entry(conversation_id.to_owned()).or_insert_with(|| View::new(conversation_id, Party::Agent));
        let last_seq = view.last_seq();
        self.open_now.insert(conversation_id.to_owned());
        if self.reconnecting {
            self.awaiting_sync.insert(conversation_id.to_owned());
        }
        wire.send(&ClientMsg::Open { conversation_id, last_seq }).await
    }

    async fn resend_all(&mut self, wire: &mut Wire) -> Result<(), ConnError> {
        for (client_id, (conversation_id, text)) in &self.outbox {
            wire.send(&ClientMsg::AgentSend { conversation_id, client_id, text }).await?;
        }
        Ok(())
    }

    fn on_event(&mut self, run: &Run, event: &EventInfo) {
        let Some(view) = self.views.get_mut(&event.conversation_id) else { return };
        if !view.record(event) || !event.is_message {
            return;
        }
        run.ledger.delivered();
        if event.author != Role::Visitor {
            return;
        }
        if let Some(first_sent) = event.client_id.as_deref().and_then(|id| run.ledger.first_sent(id))
            && run.measured(first_sent)
        {
            self.report.latencies.shopper_to_agent.record(first_sent.elapsed());
        }
        if run.phase() == Phase::Chatting {
            let answer_at = Instant::now() + between(run.pace.reply_delay);
            let conversation = event.conversation_id.clone();
            if let Some(type_at) = answer_at.checked_sub(TYPING_BEFORE_ANSWER).filter(|t| *t > Instant::now()) {
                self.plan(type_at, Intent::Type(conversation.clone()));
            }
            self.plan(answer_at, Intent::Answer(conversation));
        }
    }

    fn plan(&mut self, at: Instant, intent: Intent) {
        self.planned += 1;
        self.plans.push(Reverse((at, self.planned, intent)));
    }

    async fn act(&mut self, run: &Run, wire: &mut Wire) -> Result<(), ConnError> {
        let now = Instant::now();
        while let Some(Reverse((at, _, _))) = self.plans.peek()
            && *at <= now
        {
            let Some(Reverse((_, _, intent))) = self.plans.pop() else { break };
            match intent {
                Intent::Type(conversation_id) => {
                    wire.send(&ClientMsg::AgentTyping { conversation_id: &conversation_id }).await?
                }
                Intent::Answer(conversation_id) => self.answer(run, wire, conversation_id).await?,
            }
        }
        if self.resend_at.is_some_and(|t| t <= now) {
            self.resend_at = None;
            self.resend_all(wire).await?;
        }
        Ok(())
    }

    async fn answer(&mut self, run: &Run, wire: &mut Wire, conversation_id: String) -> Result<(), ConnError> {
        self.answers += 1;
        let client_id = format!("a{}r{}", self.index, self.answers);
        let text = agent_line(self.answers + self.index as u64);
        run.ledger.sent(&client_id, Instant::now());
        let message = ClientMsg::AgentSend { conversation_id: &conversation_id, client_id: &client_id, text };
        let sent = wire.send(&message).await;
        self.outbox.insert(client_id, (conversation_id, text));
        sent
    }
}

/// An agent connection whose status the idle scenario flips, so the relay tells every
/// connected shopper how many agents are online.
pub struct Broadcaster {
    commands: mpsc::Sender<(bool, oneshot::Sender<Result<(), String>>)>,
}

impl Broadcaster {
    /// Connects as an agent and keeps reading its socket in the background.
    pub async fn connect(
        target: Target,
        credential: &Credential,
        probe: Arc<BroadcastProbe>,
    ) -> Result<Self, ConnError> {
        let mut wire = target.open(Side::Agent, credential).await?;
        loop {
            match tokio::time::timeout(Duration::from_secs(10), wire.recv()).await.map_err(|_| ConnError::Timeout)?? {
                Incoming::Msg(ServerMsg::AgentWelcome { .. }) => break,
                Incoming::Ping => wire.pong().await?,
                _ => {}
            }
        }
        let (commands, receiver) = mpsc::channel(1);
        tokio::spawn(broadcast_loop(wire, receiver, probe));
        Ok(Broadcaster { commands })
    }

    /// Sets the agent online or away: the relay tells every shopper (`presence`). The probe is
    /// armed just before the frame goes out.
    pub async fn announce(&self, online: bool) -> Result<(), String> {
        let (reply, answered) = oneshot::channel();
        self.commands.send((online, reply)).await.map_err(|_| "the broadcaster's connection ended".to_owned())?;
        answered.await.map_err(|_| "the broadcaster's connection ended".to_owned())?
    }
}

async fn broadcast_loop(
    mut wire: Wire,
    mut commands: mpsc::Receiver<(bool, oneshot::Sender<Result<(), String>>)>,
    probe: Arc<BroadcastProbe>,
) {
    loop {
        tokio::select! {
            command = commands.recv() => {
                let Some((online, reply)) = command else { return wire.close().await };
                probe.arm(u32::from(online));
                let sent = wire.send(&ClientMsg::SetStatus { online }).await.map_err(|e| e.to_string());
                let _ = reply.send(sent);
            }
            incoming = wire.recv() => {
                let alive = match incoming {
                    Ok(Incoming::Ping) => wire.pong().await.is_ok(),
                    Ok(Incoming::Ended) | Err(ConnError::Closed(_) | ConnError::WebSocket(_)) => false,
                    _ => true,
                };
                if !alive {
                    return;
                }
            }
        }
    }
}
