//! A shopper with the chat open: says hello (with its token and last sequence number when it
//! comes back), types and sends a question every so often, updates the cart, and reads the
//! agent's answers. Unacknowledged messages and cart batches are sent again after a reconnect,
//! with the same ids, as the widget does.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{oneshot, watch};

use super::{ChatClient, ClientReport, Ending, Phase, Run, Step, keep_connected, next_step};
use crate::conn::{ConnError, Credential, Side, Wire};
use crate::ledger::{Party, View};
use crate::script::{between, cart_activity, shopper_line};
use crate::wire::{ClientMsg, EventInfo, Incoming, Role, ServerMsg};

/// How long after an "unavailable" refusal the message is sent again (as the widget does).
const RESEND_AFTER_UNAVAILABLE: Duration = Duration::from_secs(2);

/// Plays shopper `index` until the scenario is done. `ready` fires at the first welcome.
pub async fn run(run: &Run, index: usize, ready: oneshot::Sender<()>) -> ClientReport {
    let mut shopper = Shopper::new(index, ready);
    keep_connected(run, Side::Visitor, &Credential::None, &mut shopper).await;
    shopper.into_report()
}

struct Shopper {
    index: usize,
    session_id: String,
    token: Option<String>,
    view: Option<View>,
    /// Messages not yet acknowledged: (client id, text).
    outbox: Vec<(String, &'static str)>,
    /// Cart batches not yet acknowledged: (batch id, activities).
    carts: Vec<(String, Value)>,
    messages_sent: u64,
    carts_sent: u64,
    /// Whether the chat's timers were set (once, when chatting begins).
    scheduled: bool,
    next_message: Option<Instant>,
    typing_at: Option<Instant>,
    next_cart: Option<Instant>,
    resend_at: Option<Instant>,
    /// Set after a lost connection until the client is whole again.
    reconnecting: bool,
    ready: Option<oneshot::Sender<()>>,
    report: ClientReport,
}

impl ChatClient for Shopper {
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

impl Shopper {
    fn new(index: usize, ready: oneshot::Sender<()>) -> Self {
        Shopper {
            index,
            session_id: format!("bench-session-{index}"),
            token: None,
            view: None,
            outbox: Vec::new(),
            carts: Vec::new(),
            messages_sent: 0,
            carts_sent: 0,
            scheduled: false,
            next_message: None,
            typing_at: None,
            next_cart: None,
            resend_at: None,
            reconnecting: false,
            ready: Some(ready),
            report: ClientReport::default(),
        }
    }

    fn into_report(mut self) -> ClientReport {
        self.report.views.extend(self.view.take());
        self.report
    }

    async fn talk(&mut self, run: &Run, mut wire: Wire, phases: &mut watch::Receiver<Phase>) -> Ending {
        let conversation = self.view.as_ref().map(|v| v.conversation.clone());
        let hello = ClientMsg::Hello {
            token: self.token.as_deref(),
            conversation_id: conversation.as_deref(),
            last_seq: self.view.as_ref().map_or(0, View::last_seq),
            session_id: &self.session_id,
            activity_only: false,
        };
        if wire.send(&hello).await.is_err() {
            return Ending::Lost;
        }
        let mut welcomed = false;
        loop {
            self.on_phase(run, run.phase());
            let due = if welcomed { self.next_due() } else { None };
            let step = next_step(phases, &mut wire, due).await;
            let result = match step {
                Step::Phase(Phase::Done) => return Ending::Done,
                Step::Phase(phase) => {
                    self.on_phase(run, phase);
                    Ok(())
                }
                Step::Incoming(Ok(Incoming::Msg(ServerMsg::Welcome { token, conversation_id, .. }))) => {
                    welcomed = true;
                    self.on_welcome(run, &mut wire, token, conversation_id).await
                }
                Step::Incoming(Ok(Incoming::Msg(msg))) => self.on_message(run, msg),
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

    /// Sets the chat's timers when chatting begins; drops them when the scenario goes quiet.
    fn on_phase(&mut self, run: &Run, phase: Phase) {
        match phase {
            Phase::Chatting if !self.scheduled => {
                self.scheduled = true;
                let Some(timeline) = run.timeline() else { return };
                let first = timeline.started + between((Duration::ZERO, run.pace.ramp));
                self.schedule_message(run, first);
                self.next_cart = Some(timeline.started + between((Duration::ZERO, run.pace.cart_gap.1)));
            }
            Phase::Quiet | Phase::Done => {
                self.next_message = None;
                self.typing_at = None;
                self.next_cart = None;
            }
            _ => {}
        }
    }

    fn schedule_message(&mut self, run: &Run, at: Instant) {
        self.next_message = Some(at);
        self.typing_at = at.checked_sub(between(run.pace.typing_lead)).filter(|t| *t > Instant::now());
    }

    fn next_due(&self) -> Option<Instant> {
        [self.next_message, self.typing_at, self.next_cart, self.resend_at].into_iter().flatten().min()
    }

    async fn on_welcome(
        &mut self,
        run: &Run,
        wire: &mut Wire,
        token: String,
        conversation_id: Option<String>,
    ) -> Result<(), ConnError> {
        self.token = Some(token);
        if let (None, Some(id)) = (&self.view, conversation_id) {
            self.view = Some(View::new(&id, Party::Shopper));
        }
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(());
        }
        // Whole again at once without a conversation; otherwise when it is synced.
        if self.reconnecting && self.view.is_none() {
            self.reconnecting = false;
            run.note_resynced(Instant::now());
        }
        self.resend_all(wire).await
    }

    async fn resend_all(&mut self, wire: &mut Wire) -> Result<(), ConnError> {
        for (client_id, text) in &self.outbox {
            wire.send(&ClientMsg::VisitorSend { client_id, text }).await?;
        }
        for (batch_id, events) in &self.carts {
            wire.send(&ClientMsg::Activity { batch_id, events }).await?;
        }
        Ok(())
    }

    fn on_message(&mut self, run: &Run, msg: ServerMsg) -> Result<(), ConnError> {
        match msg {
            ServerMsg::Event(event) => self.on_event(run, &event),
            ServerMsg::Ack { client_id, conversation_id, seq } => {
                self.outbox.retain(|(id, _)| *id != client_id);
                self.adopt(&conversation_id);
                if let Some(first_sent) = run.ledger.acked(&client_id, &conversation_id, seq)
                    && run.measured(first_sent)
                {
                    self.report.latencies.ack.record(first_sent.elapsed());
                }
            }
            ServerMsg::Synced { conversation_id, .. } => {
                self.adopt(&conversation_id);
                if self.reconnecting {
                    self.reconnecting = false;
                    run.note_resynced(Instant::now());
                }
            }
            ServerMsg::ActivityAck { batch_id } => self.carts.retain(|(id, _)| *id != batch_id),
            ServerMsg::Refused { code, client_id } => self.on_refused(&code, client_id.as_deref()),
            _ => {}
        }
        Ok(())
    }

    fn on_refused(&mut self, code: &str, client_id: Option<&str>) {
        if code == "unavailable" {
            self.resend_at = Some(Instant::now() + RESEND_AFTER_UNAVAILABLE);
            return;
        }
        self.report.refused += 1;
        if let Some(id) = client_id {
            self.outbox.retain(|(sent, _)| sent != id);
            self.carts.retain(|(sent, _)| sent != id);
        }
    }

    /// The conversation this shopper's first message started.
    fn adopt(&mut self, conversation_id: &str) {
        if self.view.is_none() {
            self.view = Some(View::new(conversation_id, Party::Shopper));
        }
    }

    fn on_event(&mut self, run: &Run, event: &EventInfo) {
        self.adopt(&event.conversation_id);
        let Some(view) = self.view.as_mut().filter(|v| v.conversation == event.conversation_id) else { return };
        if !view.record(event) || !event.is_message {
            return;
        }
        run.ledger.delivered();
        if event.author == Role::Agent
            && let Some(first_sent) = event.client_id.as_deref().and_then(|id| run.ledger.first_sent(id))
            && run.measured(first_sent)
        {
            self.report.latencies.agent_to_shopper.record(first_sent.elapsed());
        }
    }

    async fn act(&mut self, run: &Run, wire: &mut Wire) -> Result<(), ConnError> {
        let now = Instant::now();
        if self.typing_at.is_some_and(|t| t <= now) {
            self.typing_at = None;
            wire.send(&ClientMsg::VisitorTyping).await?;
        }
        if self.next_message.is_some_and(|t| t <= now) {
            self.send_message(run, wire).await?;
        }
        if self.next_cart.is_some_and(|t| t <= now) {
            self.send_cart(run, wire).await?;
        }
        if self.resend_at.is_some_and(|t| t <= now) {
            self.resend_at = None;
            self.resend_all(wire).await?;
        }
        Ok(())
    }

    async fn send_message(&mut self, run: &Run, wire: &mut Wire) -> Result<(), ConnError> {
        self.messages_sent += 1;
        let client_id = format!("s{}m{}", self.index, self.messages_sent);
        let text = shopper_line(self.index as u64 + self.messages_sent);
        let now = Instant::now();
        run.ledger.sent(&client_id, now);
        self.outbox.push((client_id.clone(), text));
        self.schedule_message(run, now + between(run.pace.shopper_gap));
        wire.send(&ClientMsg::VisitorSend { client_id: &client_id, text }).await
    }

    async fn send_cart(&mut self, run: &Run, wire: &mut Wire) -> Result<(), ConnError> {
        self.carts_sent += 1;
        let batch_id = format!("s{}c{}", self.index, self.carts_sent);
        let events = cart_activity(self.index, self.carts_sent);
        self.next_cart = Some(Instant::now() + between(run.pace.cart_gap));
        self.carts.push((batch_id.clone(), events.clone()));
        wire.send(&ClientMsg::Activity { batch_id: &batch_id, events: &events }).await
    }
}
