//! Outgoing mail: conversation transcripts, delivered from the durable outbox (written in the
//! same transaction as the event that asked for them) with retries and exponential backoff, so a
//! mail server that is down for a while loses nothing.

use std::time::Duration;

use checkout_chat_protocol::transcript::{self, TranscriptLabels};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::clock::now_ms;
use crate::config::{SmtpConfig, SmtpTls};
use crate::state::AppState;
use crate::storage::{OutboxItem, OutboxKind};

/// How often the outbox is looked at when nothing wakes the deliverer sooner.
const POLL: Duration = Duration::from_secs(5);
const BATCH: usize = 20;
const FIRST_RETRY_MS: i64 = 5_000;
const MAX_RETRY_MS: i64 = 3_600_000;
/// Attempts before an email is given up (about 30 hours of retries with the backoff above, time
/// to fix a server or a configuration); a recipient the server refuses for good is given up at
/// once.
const MAX_ATTEMPTS: u32 = 40;
/// A transcript longer than this is cut (with a note): an email, not an archive.
const MAX_TRANSCRIPT_EVENTS: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The shopper's address cannot be written as a recipient.
    #[error("bad recipient address: {0}")]
    Recipient(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
    /// The server refused this recipient for good (no such mailbox, not allowed), so retrying
    /// cannot help. Other refusals (authentication, relaying, policy) are the relay's own
    /// configuration, which its owner can fix: those are retried.
    #[error("SMTP (recipient refused for good): {0}")]
    RecipientRefused(String),
    #[error("storage: {0}")]
    Storage(#[from] crate::storage::StorageError),
}

impl MailError {
    /// Whether trying again later cannot succeed.
    fn is_permanent(&self) -> bool {
        matches!(self, MailError::Recipient(_) | MailError::RecipientRefused(_))
    }
}

/// SMTP replies that concern the recipient's mailbox (RFC 5321 §4.2.3): 550 mailbox
/// unavailable, 551 user not local, 553 mailbox name not allowed.
const RECIPIENT_REFUSALS: [u16; 3] = [550, 551, 553];

impl From<lettre::transport::smtp::Error> for MailError {
    fn from(error: lettre::transport::smtp::Error) -> Self {
        let code = error.status().map(u16::from);
        if error.is_permanent() && code.is_some_and(|c| RECIPIENT_REFUSALS.contains(&c)) {
            MailError::RecipientRefused(error.to_string())
        } else {
            MailError::Smtp(error.to_string())
        }
    }
}

/// Delivers due outbox items until the relay stops. Without SMTP configuration it does nothing:
/// the items wait in the outbox until a relay with SMTP starts.
pub async fn run_deliverer(state: AppState) {
    let Some(smtp) = state.config.smtp.clone() else {
        tracing::info!("no [smtp] configured: transcript emails wait in the outbox");
        return;
    };
    let transport = match build_transport(&smtp) {
        Ok(transport) => transport,
        Err(error) => return tracing::error!(%error, "SMTP is misconfigured; no mail will be sent"),
    };
    loop {
        if let Err(error) = deliver_due(&state, &smtp, &transport).await {
            tracing::warn!(%error, "outbox delivery failed; retrying later");
        }
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            () = state.outbox_ready.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn deliver_due(
    state: &AppState,
    smtp: &SmtpConfig,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
) -> Result<(), MailError> {
    for item in state.storage.due_outbox(now_ms(), BATCH).await? {
        match deliver(state, smtp, transport, &item).await {
            Ok(()) => state.storage.outbox_delivered(item.id, now_ms()).await?,
            // Storage failing is not the email's fault: it stays due, and is tried next round.
            Err(MailError::Storage(error)) => return Err(MailError::Storage(error)),
            Err(error) if error.is_permanent() || item.attempts + 1 >= MAX_ATTEMPTS => {
                tracing::error!(%error, id = item.id, attempts = item.attempts + 1, "gave up delivering an email");
                state.storage.outbox_failed(item.id, None, &error.to_string()).await?;
            }
            Err(error) => {
                let delay = FIRST_RETRY_MS.saturating_mul(1 << item.attempts.min(10)).min(MAX_RETRY_MS);
                tracing::warn!(%error, id = item.id, attempts = item.attempts + 1, "could not deliver an email");
                state.storage.outbox_failed(item.id, Some(now_ms() + delay), &error.to_string()).await?;
            }
        }
    }
    Ok(())
}

async fn deliver(
    state: &AppState,
    smtp: &SmtpConfig,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    item: &OutboxItem,
) -> Result<(), MailError> {
    match item.kind {
        OutboxKind::TranscriptEmail => {
            let shop_name = match state.storage.conversation(&item.conversation_id).await? {
                Some(conversation) => state.shops.get(&conversation.shop_id).map(|s| s.name().to_owned()),
                None => None,
            }
            .unwrap_or_else(|| "checkout-chat".to_owned());
            let events = state.storage.events_after(&item.conversation_id, 0, MAX_TRANSCRIPT_EVENTS + 1).await?;
            let cut = events.len() > MAX_TRANSCRIPT_EVENTS;
            let labels = TranscriptLabels {
                title: "Your conversation",
                you: "You",
                team: &shop_name,
                joined: "{name} joined the chat",
                ended: "The chat has ended",
            };
            let entries = events.iter().take(MAX_TRANSCRIPT_EVENTS).map(|e| (e.at_ms, &e.author, &e.body));
            let mut body = transcript::render(&shop_name, &labels, entries, utc_time);
            if cut {
                body.push_str("\n(The conversation continues; this email shows its beginning.)\n");
            }
            body.push_str("\n(Times are UTC.)\n");
            let message = Message::builder()
                .from(smtp.from.parse().map_err(|e| MailError::Build(format!("from: {e}")))?)
                .to(item.recipient.parse().map_err(|e| MailError::Recipient(format!("{}: {e}", item.recipient)))?)
                .subject(format!("Your conversation with {shop_name}"))
                .header(ContentType::TEXT_PLAIN)
                .body(body)
                .map_err(|e| MailError::Build(e.to_string()))?;
            transport.send(message).await?;
            tracing::info!(conversation = %item.conversation_id, "transcript emailed");
            Ok(())
        }
    }
}

fn build_transport(smtp: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let builder = match smtp.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
            .map_err(|e| MailError::Smtp(e.to_string()))?,
        SmtpTls::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(|e| MailError::Smtp(e.to_string()))?
        }
    };
    let builder = builder.port(smtp.port).timeout(Some(Duration::from_secs(20)));
    let builder = match (&smtp.username, &smtp.password) {
        (Some(user), Some(password)) => builder.credentials(Credentials::new(user.clone(), password.clone())),
        _ => builder,
    };
    Ok(builder.build())
}

/// "2026-11-23 14:05" in UTC.
fn utc_time(at_ms: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(at_ms / 1000) {
        Ok(t) => format!("{}-{:02}-{:02} {:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute()),
        Err(_) => String::from("?"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_written_in_utc() {
        assert_eq!(super::utc_time(1_795_445_100_000), "2026-11-23 14:45");
    }
}
