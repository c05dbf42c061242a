//! The default storage: one SQLite file in WAL mode, migrated at start.
//!
//! Writes are group-committed. Every method that may write runs on one writer thread that owns the
//! write connection (see `writer`): it runs the writes queued at the same moment in one transaction,
//! each in its own savepoint, and commits them with one fsync. `synchronous = FULL` makes that
//! commit durable, and no write returns before it: `Ok` means on disk.
//!
//! Methods that only read use their own connections (WAL lets readers run beside the writer) on
//! tokio's blocking pool, so they neither wait behind a batch nor stall the async workers. A read
//! started after a write returned sees that write: it was committed before it returned.
//!
//! Statements go through each connection's statement cache (`execute`, `one_row`, `optional_row`,
//! `all_rows`): prepared once, reused for every event after.

mod writer;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

use async_trait::async_trait;
use checkout_chat_protocol::api::{CannedResponse, Role};
use checkout_chat_protocol::{
    Activity, AgentId, AgentProfile, Author, Claimed, ClientId, ConversationId, ConversationStatus,
    ConversationSummary, Event, EventBody, IdentityStatus, InboxCounts, InboxKey, InboxTab, Seq, ShopId, VisitorId,
    text::{normalize_name, preview},
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use rusqlite_migration::{M, Migrations};

use super::{
    ActivityBatch, ActivityFact, ActivityRow, AgentRecord, Appended, ConversationRecord, Departed, IdentityUpdate,
    NewAgent, NewEvent, OutboxItem, OutboxKind, ShopChange, ShopSection, Storage, StorageError, StorageResult,
    TokenHash, VisitorRecord, Waiting, WebhookCursor,
};
use crate::clock::now_ms;
use crate::ids::random_id;
use writer::Writer;

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/001_initial.sql")),
    M::up(include_str!("../../migrations/002_one_open_conversation_per_visitor.sql")),
    M::up(include_str!("../../migrations/003_identity_closing_outbox.sql")),
    M::up(include_str!("../../migrations/004_left_messages_and_giving_up.sql")),
    M::up(include_str!("../../migrations/005_activity_log.sql")),
    M::up(include_str!("../../migrations/006_agent_roles.sql")),
    M::up(include_str!("../../migrations/007_webhook_feed.sql")),
    M::up(include_str!("../../migrations/008_routing_and_canned.sql")),
    M::up(include_str!("../../migrations/009_inbox_pages.sql")),
    M::up(include_str!("../../migrations/010_blocked_visitors.sql")),
    M::up(include_str!("../../migrations/011_verified_identity_fields.sql")),
    M::up(include_str!("../../migrations/012_agent_email_per_shop.sql")),
    M::up(include_str!("../../migrations/013_webhook_order_lane.sql")),
    M::up(include_str!("../../migrations/014_canned_per_language.sql")),
    M::up(include_str!("../../migrations/015_shopper_presence.sql")),
    M::up(include_str!("../../migrations/016_shop_settings.sql")),
    M::up(include_str!("../../migrations/017_origins_seen.sql")),
];

/// Characters of a message kept in the inbox preview.
const PREVIEW_CHARS: usize = 120;

/// How long a statement waits for a lock another program holds (a backup, an admin's shell)
/// before it fails and the client is told to retry.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements each connection keeps. rusqlite's default, 16, is fewer than the
/// statements the relay runs all the time (an append alone uses about ten), so they would keep
/// evicting one another and be prepared again.
const STATEMENT_CACHE: usize = 64;

/// Read connections: reads run on the blocking pool, at most this many at once (the machines we
/// run on have two cores).
const READERS: usize = 2;

#[derive(Clone)]
pub struct SqliteStorage {
    /// Where every method that may write sends its work (see [`SqliteStorage::write`]).
    writer: Writer,
    /// The connections reads use (see [`SqliteStorage::read`]).
    readers: Arc<Readers>,
}

impl From<rusqlite::Error> for StorageError {
    fn from(err: rusqlite::Error) -> Self {
        match disk_trouble(&err) {
            Some(cause) => StorageError::Database(format!("{err} ({cause})")),
            None => StorageError::Database(err.to_string()),
        }
    }
}

/// What an operator should look at when SQLite could not write or sync: its own message ("disk
/// I/O error") does not say which, and the same error has several usual causes.
fn disk_trouble(err: &rusqlite::Error) -> Option<&'static str> {
    use rusqlite::ffi;
    let rusqlite::Error::SqliteFailure(failure, _) = err else { return None };
    match failure.extended_code {
        ffi::SQLITE_IOERR_WRITE => {
            Some("writing to the database failed: is the disk full, read-only or over a size limit?")
        }
        ffi::SQLITE_IOERR_FSYNC | ffi::SQLITE_IOERR_DIR_FSYNC => Some("syncing the database to disk failed"),
        ffi::SQLITE_IOERR_TRUNCATE => Some("the database file could not be resized: is it read-only?"),
        ffi::SQLITE_FULL => Some("the disk is full"),
        code if code & 0xff == ffi::SQLITE_READONLY => Some("the database is read-only"),
        _ => None,
    }
}

impl From<rusqlite_migration::Error> for StorageError {
    fn from(err: rusqlite_migration::Error) -> Self {
        StorageError::Database(format!("migration failed: {err}"))
    }
}

impl SqliteStorage {
    /// Opens (creating if needed) the database file, brings its schema up to date, and starts the
    /// writer thread.
    pub fn open(path: &Path) -> StorageResult<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StorageError::Database(format!("cannot create {}: {e}", parent.display())))?;
        }
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Off while migrating: a migration that rebuilds a table (SQLite's way of changing a
        // constraint) would otherwise cascade its DROP into the rows that refer to it. Checked
        // after, so a migration cannot leave a dangling reference behind.
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        let dangling: i64 = conn.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |row| row.get(0))?;
        if dangling > 0 {
            return Err(StorageError::Database(format!("the migrated database has {dangling} dangling references")));
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Readers open after the migrations, so they never see an older schema.
        let readers = (0..READERS).map(|_| open_reader(path).map(Mutex::new)).collect::<StorageResult<_>>()?;
        let readers = Arc::new(Readers { connections: readers, next: AtomicUsize::new(0) });
        Ok(Self { writer: Writer::spawn(conn)?, readers })
    }

    /// The shop's activity rows after `after`, in order, narrowed by `filter` (an SQL condition
    /// starting with `AND`, written here, never from input).
    async fn activity_rows_after(
        &self,
        shop: &ShopId,
        after: i64,
        limit: usize,
        filter: &'static str,
    ) -> StorageResult<Vec<ActivityRow>> {
        let shop = shop.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            let sql = format!(
                "SELECT id, visitor_id, conversation_id, at_ms, body FROM activity \
                 WHERE shop_id = ?1 AND id > ?2 {filter} ORDER BY id LIMIT ?3"
            );
            all_rows(conn, &sql, params![shop.as_str(), after, limit], activity_row)
        })
        .await
    }

    /// Runs `work` on the writer thread, inside the transaction of the next batch (group commit:
    /// the writes queued together share one COMMIT, and so one fsync). Returns once that batch is
    /// committed, so `Ok` means durable. `work` is atomic on its own: when it returns an error,
    /// what it wrote is rolled back and the rest of the batch still commits.
    ///
    /// Everything that may write goes through here, even a write that turns out to change nothing.
    async fn write<T, F>(&self, work: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    {
        self.writer.write(work).await
    }

    /// Runs `work` with a read connection on the blocking pool. It does not queue behind the
    /// writer's batches (WAL readers read the last commit while a batch runs), and it sees every
    /// write that returned before it started. The connection refuses writes (`query_only`).
    async fn read<T, F>(&self, work: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    {
        let readers = Arc::clone(&self.readers);
        tokio::task::spawn_blocking(move || work(&readers.take()))
            .await
            .map_err(|e| StorageError::Database(format!("storage read failed: {e}")))?
    }

    /// Runs `work` on one conversation (read as it is now) as one write: what it checks cannot
    /// change before it writes.
    async fn in_conversation<T, F>(&self, id: &ConversationId, work: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, ConversationRecord) -> StorageResult<T> + Send + 'static,
    {
        let id = id.clone();
        self.write(move |conn| {
            let record = find_conversation(conn, &id)?.ok_or(StorageError::ConversationNotFound)?;
            work(conn, record)
        })
        .await
    }
}

/// The read connections, each behind its own lock.
struct Readers {
    connections: Vec<Mutex<Connection>>,
    /// Which connection a read waits for when all are busy (taken in turn).
    next: AtomicUsize,
}

impl Readers {
    /// A free connection, or (when all are busy) the next one in turn once it is free.
    fn take(&self) -> MutexGuard<'_, Connection> {
        for connection in &self.connections {
            match connection.try_lock() {
                Ok(guard) => return guard,
                // A read that panicked leaves nothing a later read could trip on: its statements
                // and its transaction, if any, were undone as it unwound.
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        self.connections[turn].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A connection for reads only: `query_only` turns a write sent here by mistake into an error
/// instead of a write outside the writer's batches.
fn open_reader(path: &Path) -> StorageResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "query_only", "ON")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Runs `sql` with `params` through the connection's statement cache; the number of rows changed.
fn execute<P: rusqlite::Params>(conn: &Connection, sql: &str, params: P) -> StorageResult<usize> {
    Ok(conn.prepare_cached(sql)?.execute(params)?)
}

/// The one row `sql` gives for `params`, read with `read` (an error if there is none).
fn one_row<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    read: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> StorageResult<T> {
    Ok(conn.prepare_cached(sql)?.query_row(params, read)?)
}

/// The first row `sql` gives for `params`, if any, read with `read`.
fn optional_row<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    read: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> StorageResult<Option<T>> {
    Ok(conn.prepare_cached(sql)?.query_row(params, read).optional()?)
}

fn parse_id<T: TryFrom<String>>(value: String) -> rusqlite::Result<T> {
    T::try_from(value).map_err(|_| rusqlite::Error::InvalidQuery)
}

fn status_to_str(status: ConversationStatus) -> &'static str {
    match status {
        ConversationStatus::Waiting => "waiting",
        ConversationStatus::Active => "active",
        ConversationStatus::Closed => "closed",
    }
}

fn status_from_str(value: &str) -> ConversationStatus {
    match value {
        "active" => ConversationStatus::Active,
        "closed" => ConversationStatus::Closed,
        _ => ConversationStatus::Waiting,
    }
}

fn identity_from_str(value: &str) -> IdentityStatus {
    match value {
        "verified" => IdentityStatus::Verified,
        "unverified" => IdentityStatus::Unverified,
        _ => IdentityStatus::Anonymous,
    }
}

fn json_column<T: serde::de::DeserializeOwned>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e)))
}

fn to_json<T: serde::Serialize>(value: &T) -> StorageResult<String> {
    serde_json::to_string(value).map_err(|e| StorageError::Database(format!("cannot encode event: {e}")))
}

const CONVERSATION_COLUMNS: &str = "id, shop_id, visitor_id, status, assigned_agent_id, last_seq, closed_at";

fn conversation_from_row(row: &Row<'_>) -> rusqlite::Result<ConversationRecord> {
    Ok(ConversationRecord {
        id: parse_id(row.get(0)?)?,
        shop_id: parse_id(row.get(1)?)?,
        visitor_id: parse_id(row.get(2)?)?,
        status: status_from_str(&row.get::<_, String>(3)?),
        assigned_agent_id: row.get::<_, Option<String>>(4)?.map(parse_id).transpose()?,
        last_seq: row.get(5)?,
        closed_at_ms: row.get(6)?,
    })
}

fn find_conversation(conn: &Connection, id: &ConversationId) -> StorageResult<Option<ConversationRecord>> {
    let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = ?1");
    optional_row(conn, &sql, [id.as_str()], conversation_from_row)
}

fn find_open_conversation(conn: &Connection, visitor: &VisitorId) -> StorageResult<Option<ConversationRecord>> {
    let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE visitor_id = ?1 AND status != 'closed'");
    optional_row(conn, &sql, [visitor.as_str()], conversation_from_row)
}

const SUMMARY_SELECT: &str = "SELECT c.id, c.visitor_id, c.status, c.last_seq, c.last_message, c.created_at, \
     c.updated_at, a.id, a.name, v.identity, v.name, c.contact_email, v.user_id, c.waiting_since, c.unanswered, \
     v.cart_total, v.cart_currency, v.checkout_step, v.last_order_id, v.locale, v.device, v.email, v.name_verified, \
     v.email_verified, v.left_at FROM conversations c \
     JOIN visitors v ON v.id = c.visitor_id LEFT JOIN agents a ON a.id = c.assigned_agent_id";

/// Every row `sql` gives for `params`, each read with `read`.
fn all_rows<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> StorageResult<Vec<T>> {
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map(params, read)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<ConversationSummary> {
    let visitor: VisitorId = parse_id(row.get(1)?)?;
    let agent_id: Option<String> = row.get(7)?;
    let agent_name: Option<String> = row.get(8)?;
    let assigned_agent = match (agent_id, agent_name) {
        (Some(id), Some(name)) => Some(AgentProfile { id: parse_id(id)?, name }),
        _ => None,
    };
    let identity = identity_from_str(&row.get::<_, String>(9)?);
    let verified = identity == IdentityStatus::Verified;
    // Name and email are kept only beside a verified user id; each says whether it was signed.
    let claimed = |value: Option<String>, signed: bool| {
        value.filter(|v| verified && !v.trim().is_empty()).map(|value| Box::new(Claimed { value, verified: signed }))
    };
    // Names stored before bidi controls were stripped are cleaned on the way out as well.
    let name = claimed(row.get::<_, Option<String>>(10)?.and_then(|n| normalize_name(&n).ok()), row.get(22)?);
    let email = claimed(row.get(21)?, row.get(23)?);
    let visitor_name = name.as_ref().map_or_else(|| visitor.display_name(), |n| n.value.clone());
    let user_id = if verified { row.get(12)? } else { None };
    Ok(ConversationSummary {
        id: parse_id(row.get(0)?)?,
        visitor_name,
        identity,
        contact_email: row.get(11)?,
        user_id,
        name,
        email,
        status: status_from_str(&row.get::<_, String>(2)?),
        assigned_agent,
        last_seq: row.get(3)?,
        last_message: row.get(4)?,
        created_at_ms: row.get(5)?,
        updated_at_ms: row.get(6)?,
        waiting_since_ms: row.get(13)?,
        unanswered: row.get(14)?,
        cart_total: row.get(15)?,
        cart_currency: row.get(16)?,
        checkout_step: row.get(17)?,
        last_order_id: row.get(18)?,
        locale: row.get(19)?,
        device: row.get(20)?,
        shopper_left_at_ms: row.get(24)?,
    })
}

fn summary(conn: &Connection, id: &ConversationId) -> StorageResult<ConversationSummary> {
    let sql = format!("{SUMMARY_SELECT} WHERE c.id = ?1");
    optional_row(conn, &sql, [id.as_str()], summary_from_row)?.ok_or(StorageError::ConversationNotFound)
}

/// The rows of an inbox tab (`?1` the shop, `?2` the agent whose Mine it is), as
/// [`InboxTab::shows`] selects them. Each matches the condition of the tab's partial index
/// (migration 9) word for word, which is what lets SQLite use it. A conversation whose first
/// message failed to store (`last_seq` 0) has nothing to show yet.
fn inbox_tab_rows(tab: InboxTab) -> &'static str {
    match tab {
        InboxTab::Waiting => "c.shop_id = ?1 AND c.status = 'waiting' AND c.last_seq > 0",
        InboxTab::Mine => "c.assigned_agent_id = ?2 AND c.shop_id = ?1 AND c.status = 'active' AND c.last_seq > 0",
        InboxTab::Open => "c.shop_id = ?1 AND c.status != 'closed' AND c.last_seq > 0",
    }
}

const EVENT_COLUMNS: &str = "conversation_id, seq, client_id, author, body, created_at";

fn event_from_row(row: &Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        conversation_id: parse_id(row.get(0)?)?,
        seq: row.get(1)?,
        client_id: row.get::<_, Option<String>>(2)?.map(parse_id).transpose()?,
        author: json_column(row, 3)?,
        body: json_column(row, 4)?,
        at_ms: row.get(5)?,
    })
}

fn find_by_client_id(conn: &Connection, id: &ConversationId, client_id: &ClientId) -> StorageResult<Option<Event>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE conversation_id = ?1 AND client_id = ?2");
    optional_row(conn, &sql, params![id.as_str(), client_id.as_str()], event_from_row)
}

/// Inserts `event` as the next event of `conversation` inside an open transaction, updating the
/// conversation row with what the event changes.
fn insert_event(conn: &Connection, conversation: &ConversationRecord, event: NewEvent) -> StorageResult<Event> {
    let seq = conversation.last_seq + 1;
    let at_ms = now_ms();
    execute(
        conn,
        &format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        params![
            conversation.id.as_str(),
            seq,
            event.client_id.as_ref().map(|c| c.as_str()),
            to_json(&event.author)?,
            to_json(&event.body)?,
            at_ms
        ],
    )?;
    execute(
        conn,
        "UPDATE conversations SET last_seq = ?2, updated_at = ?3 WHERE id = ?1",
        params![conversation.id.as_str(), seq, at_ms],
    )?;
    execute(
        conn,
        "INSERT INTO event_feed (shop_id, conversation_id, seq) VALUES (?1, ?2, ?3)",
        params![conversation.shop_id.as_str(), conversation.id.as_str(), seq],
    )?;
    apply_effects(conn, conversation, &event.author, &event.body, at_ms)?;
    Ok(Event {
        conversation_id: conversation.id.clone(),
        seq,
        at_ms,
        author: event.author,
        client_id: event.client_id,
        body: event.body,
    })
}

/// Updates what an event changes in the conversation row, and queues the work it causes.
fn apply_effects(
    conn: &Connection,
    conversation: &ConversationRecord,
    author: &Author,
    body: &EventBody,
    at_ms: i64,
) -> StorageResult<()> {
    let id = conversation.id.as_str();
    match body {
        EventBody::Message { text } => {
            // A shopper who left a message and then writes live is waiting live again.
            let live_again = *author == Author::Visitor;
            execute(
                conn,
                "UPDATE conversations SET last_message = ?2, left_message = left_message AND NOT ?3 WHERE id = ?1",
                params![id, preview(text, PREVIEW_CHARS), live_again],
            )?;
            count_unanswered(conn, id, author, at_ms)?;
        }
        EventBody::LeftMessage { email, text } => {
            execute(
                conn,
                "UPDATE conversations SET last_message = ?2, contact_email = ?3, left_message = 1 WHERE id = ?1",
                params![id, preview(text, PREVIEW_CHARS), email],
            )?;
            count_unanswered(conn, id, author, at_ms)?;
        }
        EventBody::TranscriptRequested { email } => {
            // One transcript email per conversation: the widget cannot be made to send a
            // stranger's inbox one email after another. The address can be corrected until the
            // chat ends (the email goes then).
            if transcript_email_queued(conn, id)? {
                return Err(StorageError::TranscriptAlreadySent);
            }
            execute(
                conn,
                "UPDATE conversations SET contact_email = ?2, transcript_email = ?2 WHERE id = ?1",
                params![id, email],
            )?;
            if conversation.status == ConversationStatus::Closed {
                queue_transcript_email(conn, id, email, at_ms)?;
            }
        }
        EventBody::Closed { .. } => {
            execute(
                conn,
                "UPDATE conversations SET status = 'closed', closed_at = ?2 WHERE id = ?1",
                params![id, at_ms],
            )?;
            let requested: Option<String> =
                one_row(conn, "SELECT transcript_email FROM conversations WHERE id = ?1", [id], |row| row.get(0))?;
            // Once per conversation: ending it again after a reopening sends nothing more.
            if let Some(email) = requested
                && !transcript_email_queued(conn, id)?
            {
                queue_transcript_email(conn, id, &email, at_ms)?;
            }
        }
        EventBody::Rated { score, .. } => {
            execute(conn, "UPDATE conversations SET rating = ?2 WHERE id = ?1", params![id, score])?;
        }
        // Back in the queue, as a new chat is; who takes it is routing's choice (its last agent
        // first, see `chat::reopen`).
        EventBody::Reopened => {
            execute(
                conn,
                "UPDATE conversations SET status = 'waiting', assigned_agent_id = NULL, closed_at = NULL, \
                 unanswered = 0, waiting_since = NULL WHERE id = ?1",
                [id],
            )?;
        }
        // A note changes nothing a shopper could see (not even the inbox's last message); the
        // assignment a handover makes is written by the storage call that makes it.
        EventBody::Joined | EventBody::Prompted { .. } | EventBody::Note { .. } | EventBody::Handover { .. } => {}
    }
    Ok(())
}

/// A shopper's message adds to what is unanswered (and starts the wait); an agent's reply
/// answers it all.
fn count_unanswered(conn: &Connection, conversation: &str, author: &Author, at_ms: i64) -> StorageResult<()> {
    match author {
        Author::Visitor => execute(
            conn,
            "UPDATE conversations SET unanswered = unanswered + 1, waiting_since = COALESCE(waiting_since, ?2) \
             WHERE id = ?1",
            params![conversation, at_ms],
        )?,
        Author::Agent(_) => execute(
            conn,
            "UPDATE conversations SET unanswered = 0, waiting_since = NULL WHERE id = ?1",
            [conversation],
        )?,
        Author::System => 0,
    };
    Ok(())
}

/// Makes `agent` the conversation's agent inside an open transaction, with their `joined`.
fn assign(conn: &Connection, record: &ConversationRecord, agent: AgentProfile) -> StorageResult<Appended> {
    execute(
        conn,
        "UPDATE conversations SET assigned_agent_id = ?2, status = 'active', \
         first_agent_at = COALESCE(first_agent_at, ?3) WHERE id = ?1",
        params![record.id.as_str(), agent.id.as_str(), now_ms()],
    )?;
    let joined = NewEvent { author: Author::Agent(agent), client_id: None, body: EventBody::Joined };
    let event = insert_event(conn, record, joined)?;
    appended(conn, event)
}

/// A newly stored event with the conversation's inbox row after it.
fn appended(conn: &Connection, event: Event) -> StorageResult<Appended> {
    let summary = summary(conn, &event.conversation_id)?;
    Ok(Appended { event, duplicate: false, summary })
}

/// Keeps the visitor's latest cart, checkout step and order on their row, for the inbox.
fn remember_shopping_state(
    conn: &Connection,
    visitor: &VisitorId,
    body: &checkout_chat_protocol::ActivityBody,
) -> StorageResult<()> {
    use checkout_chat_protocol::ActivityBody;
    let id = visitor.as_str();
    match body {
        ActivityBody::Cart { currency, total, .. } => {
            execute(
                conn,
                "UPDATE visitors SET cart_total = ?2, cart_currency = ?3 WHERE id = ?1",
                params![id, total, currency],
            )?;
        }
        ActivityBody::CheckoutStep { step } => {
            execute(conn, "UPDATE visitors SET checkout_step = ?2 WHERE id = ?1", params![id, step])?;
        }
        // An order ends the checkout and empties the cart.
        ActivityBody::OrderCompleted { order_id, .. } => {
            execute(
                conn,
                "UPDATE visitors SET last_order_id = ?2, checkout_step = NULL, cart_total = NULL WHERE id = ?1",
                params![id, order_id],
            )?;
        }
        _ => {}
    }
    Ok(())
}

fn transcript_email_queued(conn: &Connection, conversation: &str) -> StorageResult<bool> {
    one_row(
        conn,
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE conversation_id = ?1 AND kind = 'transcript_email')",
        [conversation],
        |row| row.get(0),
    )
}

fn queue_transcript_email(conn: &Connection, conversation: &str, email: &str, at_ms: i64) -> StorageResult<()> {
    execute(
        conn,
        "INSERT INTO outbox (kind, conversation_id, recipient, created_at, next_attempt_at) VALUES ('transcript_email', ?1, ?2, ?3, ?3)",
        params![conversation, email, at_ms],
    )?;
    Ok(())
}

/// Whether `body` may be added given whether the conversation has ended: after the end, a
/// rating (once), a request for the transcript, and its reopening (only then, and only while its
/// shopper has no other conversation open).
fn check_open_for(conn: &Connection, conversation: &ConversationRecord, body: &EventBody) -> StorageResult<()> {
    let closed = conversation.status == ConversationStatus::Closed;
    match body {
        EventBody::Reopened if !closed => Err(StorageError::NotClosed),
        EventBody::Reopened => match find_open_conversation(conn, &conversation.visitor_id)? {
            Some(_) => Err(StorageError::ConversationClosed),
            None => Ok(()),
        },
        _ if !closed => Ok(()),
        EventBody::TranscriptRequested { .. } => Ok(()),
        EventBody::Rated { .. } => {
            let rated: bool = one_row(
                conn,
                "SELECT rating IS NOT NULL FROM conversations WHERE id = ?1",
                [conversation.id.as_str()],
                |row| row.get(0),
            )?;
            if rated { Err(StorageError::AlreadyRated) } else { Ok(()) }
        }
        _ => Err(StorageError::ConversationClosed),
    }
}

const AGENT_COLUMNS: &str = "id, shop_id, email, name, password_hash, disabled, role, capacity";

fn agent_from_row(row: &Row<'_>) -> rusqlite::Result<AgentRecord> {
    Ok(AgentRecord {
        id: parse_id(row.get(0)?)?,
        shop_id: parse_id(row.get(1)?)?,
        email: row.get(2)?,
        name: row.get(3)?,
        password_hash: row.get(4)?,
        disabled: row.get(5)?,
        role: Role::parse(&row.get::<_, String>(6)?).unwrap_or_default(),
        capacity: row.get(7)?,
    })
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn shop_section(&self, shop: &ShopId, section: ShopSection) -> StorageResult<Option<String>> {
        let shop = shop.clone();
        self.read(move |conn| {
            optional_row(
                conn,
                "SELECT value FROM shop_sections WHERE shop_id = ?1 AND section = ?2",
                params![shop.as_str(), section.as_str()],
                |row| row.get(0),
            )
        })
        .await
    }

    async fn shop_sections(&self, section: ShopSection) -> StorageResult<Vec<(ShopId, String)>> {
        self.read(move |conn| {
            all_rows(
                conn,
                "SELECT shop_id, value FROM shop_sections WHERE section = ?1 ORDER BY shop_id",
                [section.as_str()],
                |row| Ok((parse_id(row.get(0)?)?, row.get(1)?)),
            )
        })
        .await
    }

    async fn seed_shop_section(&self, shop: &ShopId, section: ShopSection, value: String) -> StorageResult<bool> {
        let shop = shop.clone();
        self.write(move |conn| {
            let at = now_ms();
            let added = execute(
                conn,
                "INSERT INTO shop_sections (shop_id, section, value, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT DO NOTHING",
                params![shop.as_str(), section.as_str(), value, at],
            )?;
            if added > 0 {
                execute(
                    conn,
                    "INSERT INTO shop_changes (shop_id, section, at_ms, after) VALUES (?1, ?2, ?3, ?4)",
                    params![shop.as_str(), section.as_str(), at, value],
                )?;
            }
            Ok(added > 0)
        })
        .await
    }

    async fn save_shop_section(
        &self,
        shop: &ShopId,
        section: ShopSection,
        value: String,
        by: &AgentProfile,
        at_ms: i64,
    ) -> StorageResult<()> {
        let (shop, by) = (shop.clone(), by.clone());
        self.write(move |conn| {
            let before: Option<String> = optional_row(
                conn,
                "SELECT value FROM shop_sections WHERE shop_id = ?1 AND section = ?2",
                params![shop.as_str(), section.as_str()],
                |row| row.get(0),
            )?;
            execute(
                conn,
                "INSERT INTO shop_sections (shop_id, section, value, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (shop_id, section) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                params![shop.as_str(), section.as_str(), value, at_ms],
            )?;
            execute(
                conn,
                "INSERT INTO shop_changes (shop_id, section, at_ms, agent_id, agent_name, before, after) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![shop.as_str(), section.as_str(), at_ms, by.id.as_str(), by.name, before, value],
            )?;
            Ok(())
        })
        .await
    }

    async fn note_origin_seen(&self, shop: &ShopId, origin: &str, at_ms: i64, max: usize) -> StorageResult<bool> {
        let (shop, origin) = (shop.clone(), origin.to_owned());
        self.write(move |conn| {
            let known: i64 = one_row(
                conn,
                "SELECT count(*) FROM origins_seen WHERE shop_id = ?1 AND origin <> ?2",
                params![shop.as_str(), origin],
                |row| row.get(0),
            )?;
            if usize::try_from(known).unwrap_or(usize::MAX) >= max {
                return Ok(false);
            }
            execute(
                conn,
                "INSERT INTO origins_seen (shop_id, origin, last_seen_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (shop_id, origin) DO UPDATE SET last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)",
                params![shop.as_str(), origin, at_ms],
            )?;
            Ok(true)
        })
        .await
    }

    async fn origins_seen(&self, shop: &ShopId) -> StorageResult<Vec<(String, i64)>> {
        let shop = shop.clone();
        self.read(move |conn| {
            all_rows(
                conn,
                "SELECT origin, last_seen_ms FROM origins_seen WHERE shop_id = ?1 ORDER BY last_seen_ms DESC",
                [shop.as_str()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
        })
        .await
    }

    async fn shop_changes(&self, shop: &ShopId, limit: usize) -> StorageResult<Vec<ShopChange>> {
        let shop = shop.clone();
        self.read(move |conn| {
            all_rows(
                conn,
                "SELECT section, at_ms, agent_id, agent_name, before, after FROM shop_changes \
                 WHERE shop_id = ?1 ORDER BY id DESC LIMIT ?2",
                params![shop.as_str(), limit],
                |row| {
                    let agent = match (row.get::<_, Option<String>>(2)?, row.get::<_, Option<String>>(3)?) {
                        (Some(id), Some(name)) => Some(AgentProfile { id: parse_id(id)?, name }),
                        _ => None,
                    };
                    Ok(ShopChange {
                        section: row.get(0)?,
                        at_ms: row.get(1)?,
                        agent,
                        before: row.get(4)?,
                        after: row.get(5)?,
                    })
                },
            )
        })
        .await
    }

    async fn store_visitor(&self, visitor: &VisitorRecord, token_hash: TokenHash) -> StorageResult<()> {
        let row = visitor.clone();
        self.write(move |conn| {
            // Two sockets of a visitor not stored yet may both store it: the first one counts.
            execute(
                conn,
                "INSERT INTO visitors (id, shop_id, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO NOTHING",
                params![row.id.as_str(), row.shop_id.as_str(), &token_hash[..], now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    async fn block_visitor(&self, visitor: &VisitorId) -> StorageResult<()> {
        let visitor = visitor.clone();
        self.write(move |conn| {
            execute(
                conn,
                "UPDATE visitors SET blocked_at = COALESCE(blocked_at, ?2) WHERE id = ?1",
                params![visitor.as_str(), now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    async fn visitor_by_token(&self, shop: &ShopId, token_hash: TokenHash) -> StorageResult<Option<VisitorRecord>> {
        let shop = shop.clone();
        self.read(move |conn| {
            optional_row(
                conn,
                "SELECT id, shop_id, blocked_at IS NOT NULL FROM visitors WHERE token_hash = ?1 AND shop_id = ?2",
                params![&token_hash[..], shop.as_str()],
                |row| {
                    Ok(VisitorRecord {
                        id: parse_id(row.get(0)?)?,
                        shop_id: parse_id(row.get(1)?)?,
                        blocked: row.get(2)?,
                    })
                },
            )
        })
        .await
    }

    async fn open_or_create_conversation(
        &self,
        shop: &ShopId,
        visitor: &VisitorId,
    ) -> StorageResult<ConversationRecord> {
        let new_id = ConversationId::new(random_id()).map_err(id_error)?;
        let (shop, visitor) = (shop.clone(), visitor.clone());
        self.write(move |conn| {
            if let Some(open) = find_open_conversation(conn, &visitor)? {
                return Ok(open);
            }
            let now = now_ms();
            execute(
                conn,
                "INSERT INTO conversations (id, shop_id, visitor_id, status, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![
                    new_id.as_str(),
                    shop.as_str(),
                    visitor.as_str(),
                    status_to_str(ConversationStatus::Waiting),
                    now
                ],
            )?;
            Ok(ConversationRecord {
                id: new_id,
                shop_id: shop,
                visitor_id: visitor,
                status: ConversationStatus::Waiting,
                assigned_agent_id: None,
                last_seq: 0,
                closed_at_ms: None,
            })
        })
        .await
    }

    async fn conversation(&self, id: &ConversationId) -> StorageResult<Option<ConversationRecord>> {
        let id = id.clone();
        self.read(move |conn| find_conversation(conn, &id)).await
    }

    async fn open_conversation_of(&self, visitor: &VisitorId) -> StorageResult<Option<ConversationRecord>> {
        let visitor = visitor.clone();
        self.read(move |conn| find_open_conversation(conn, &visitor)).await
    }

    async fn conversation_summary(&self, id: &ConversationId) -> StorageResult<ConversationSummary> {
        let id = id.clone();
        self.read(move |conn| summary(conn, &id)).await
    }

    async fn inbox_page(
        &self,
        shop: &ShopId,
        agent: &AgentId,
        tab: InboxTab,
        after: Option<&InboxKey>,
        limit: usize,
    ) -> StorageResult<Vec<ConversationSummary>> {
        let (shop, agent) = (shop.clone(), agent.clone());
        // From the start: below every rank, and '' sorts before every (non-empty) id.
        let (rank, id) = after.map_or((i64::MIN, String::new()), |key| (key.rank, key.id.as_str().to_owned()));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            let sql = format!(
                "{SUMMARY_SELECT} WHERE {} AND (c.inbox_rank, c.id) > (?3, ?4) ORDER BY c.inbox_rank, c.id LIMIT ?5",
                inbox_tab_rows(tab)
            );
            all_rows(conn, &sql, params![shop.as_str(), agent.as_str(), rank, id, limit], summary_from_row)
        })
        .await
    }

    async fn inbox_counts(&self, shop: &ShopId, agent: Option<&AgentId>) -> StorageResult<InboxCounts> {
        // No agent binds NULL, which no `assigned_agent_id = ?2` matches.
        let (shop, agent) = (shop.clone(), agent.map(|a| a.as_str().to_owned()));
        self.read(move |conn| {
            let count = |tab| format!("(SELECT COUNT(*) FROM conversations c WHERE {})", inbox_tab_rows(tab));
            let sql =
                format!("SELECT {}, {}, {}", count(InboxTab::Waiting), count(InboxTab::Mine), count(InboxTab::Open));
            one_row(conn, &sql, params![shop.as_str(), agent], |row| {
                Ok(InboxCounts { waiting: row.get(0)?, mine: row.get(1)?, open: row.get(2)? })
            })
        })
        .await
    }

    async fn append_event(&self, conversation: &ConversationId, event: NewEvent) -> StorageResult<Appended> {
        self.in_conversation(conversation, move |conn, record| {
            if let Some(client_id) = &event.client_id
                && let Some(earlier) = find_by_client_id(conn, &record.id, client_id)?
            {
                let summary = summary(conn, &record.id)?;
                return Ok(Appended { event: earlier, duplicate: true, summary });
            }
            check_open_for(conn, &record, &event.body)?;
            let stored = insert_event(conn, &record, event)?;
            appended(conn, stored)
        })
        .await
    }

    async fn assign_agent(
        &self,
        conversation: &ConversationId,
        agent: &AgentProfile,
    ) -> StorageResult<Option<Appended>> {
        let agent = agent.clone();
        self.in_conversation(conversation, move |conn, record| {
            if record.assigned_agent_id.as_ref() == Some(&agent.id) {
                return Ok(None);
            }
            if record.status == ConversationStatus::Closed {
                return Err(StorageError::ConversationClosed);
            }
            assign(conn, &record, agent).map(Some)
        })
        .await
    }

    async fn assign_if_waiting(
        &self,
        conversation: &ConversationId,
        agent: &AgentProfile,
    ) -> StorageResult<Option<Appended>> {
        let agent = agent.clone();
        self.in_conversation(conversation, move |conn, record| {
            if record.status != ConversationStatus::Waiting || record.assigned_agent_id.is_some() {
                return Ok(None);
            }
            assign(conn, &record, agent).map(Some)
        })
        .await
    }

    async fn transfer(
        &self,
        conversation: &ConversationId,
        from: &AgentProfile,
        to: &AgentProfile,
        note: Option<String>,
    ) -> StorageResult<Vec<Appended>> {
        let (from, to) = (from.clone(), to.clone());
        self.in_conversation(conversation, move |conn, record| {
            if record.status == ConversationStatus::Closed {
                return Err(StorageError::ConversationClosed);
            }
            let body = EventBody::Handover { to: Some(to.clone()), note };
            let handover =
                insert_event(conn, &record, NewEvent { author: Author::Agent(from), client_id: None, body })?;
            let handover = appended(conn, handover)?;
            // Read again: the handover moved the conversation's last sequence number on.
            let record = find_conversation(conn, &record.id)?.ok_or(StorageError::ConversationNotFound)?;
            Ok(vec![handover, assign(conn, &record, to)?])
        })
        .await
    }

    async fn requeue(&self, conversation: &ConversationId, agent: &AgentProfile) -> StorageResult<Option<Appended>> {
        let agent = agent.clone();
        self.in_conversation(conversation, move |conn, record| {
            if record.status != ConversationStatus::Active || record.assigned_agent_id.as_ref() != Some(&agent.id) {
                return Ok(None);
            }
            execute(
                conn,
                "UPDATE conversations SET assigned_agent_id = NULL, status = 'waiting' WHERE id = ?1",
                [record.id.as_str()],
            )?;
            let body = EventBody::Handover { to: None, note: None };
            let event = insert_event(conn, &record, NewEvent { author: Author::Agent(agent), client_id: None, body })?;
            appended(conn, event).map(Some)
        })
        .await
    }

    async fn agent_loads(&self, shop: &ShopId) -> StorageResult<Vec<(AgentId, u32)>> {
        let shop = shop.clone();
        self.read(move |conn| {
            all_rows(
                conn,
                "SELECT assigned_agent_id, COUNT(*) FROM conversations WHERE shop_id = ?1 AND status = 'active' \
                 AND assigned_agent_id IS NOT NULL GROUP BY assigned_agent_id",
                [shop.as_str()],
                |row| Ok((parse_id(row.get(0)?)?, row.get(1)?)),
            )
        })
        .await
    }

    async fn assignments(&self) -> StorageResult<Vec<(ShopId, AgentProfile, ConversationId)>> {
        self.read(move |conn| {
            all_rows(
                conn,
                "SELECT c.shop_id, a.id, a.name, c.id FROM conversations c JOIN agents a ON a.id = c.assigned_agent_id \
                 WHERE c.status = 'active'",
                [],
                |row| {
                    let agent = AgentProfile { id: parse_id(row.get(1)?)?, name: row.get(2)? };
                    Ok((parse_id(row.get(0)?)?, agent, parse_id(row.get(3)?)?))
                },
            )
        })
        .await
    }

    async fn closed_conversations(&self, shop: &ShopId, limit: usize) -> StorageResult<Vec<ConversationSummary>> {
        let shop = shop.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            let sql = format!(
                "{SUMMARY_SELECT} WHERE c.shop_id = ?1 AND c.status = 'closed' ORDER BY c.updated_at DESC LIMIT ?2"
            );
            all_rows(conn, &sql, params![shop.as_str(), limit], summary_from_row)
        })
        .await
    }

    async fn earlier_conversations(
        &self,
        conversation: &ConversationId,
        limit: usize,
    ) -> StorageResult<Vec<ConversationSummary>> {
        let id = conversation.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            // One snapshot for both statements: a batch may commit between them.
            let snapshot = conn.unchecked_transaction()?;
            let record = find_conversation(&snapshot, &id)?.ok_or(StorageError::ConversationNotFound)?;
            let sql = format!(
                "{SUMMARY_SELECT} WHERE c.visitor_id = ?1 AND c.shop_id = ?2 AND c.id != ?3 AND c.last_seq > 0 \
                 ORDER BY c.created_at DESC LIMIT ?4"
            );
            all_rows(
                &snapshot,
                &sql,
                params![record.visitor_id.as_str(), record.shop_id.as_str(), id.as_str(), limit],
                summary_from_row,
            )
        })
        .await
    }

    async fn set_visitor_client(
        &self,
        visitor: &VisitorId,
        locale: Option<String>,
        device: Option<String>,
    ) -> StorageResult<()> {
        let visitor = visitor.clone();
        self.write(move |conn| {
            execute(
                conn,
                "UPDATE visitors SET locale = COALESCE(?2, locale), device = COALESCE(?3, device) WHERE id = ?1",
                params![visitor.as_str(), locale, device],
            )?;
            Ok(())
        })
        .await
    }

    async fn set_shopper_presence(
        &self,
        conversation: &ConversationId,
        left_at_ms: Option<i64>,
    ) -> StorageResult<Option<ConversationSummary>> {
        let id = conversation.clone();
        self.write(move |conn| {
            // Only a change is written: leaving while gone keeps the first time the shopper
            // went, and a second tab's coming or going changes nothing.
            let changed = execute(
                conn,
                "UPDATE visitors SET left_at = ?2 \
                 WHERE id = (SELECT visitor_id FROM conversations WHERE id = ?1) AND (left_at IS NULL) != (?2 IS NULL)",
                params![id.as_str(), left_at_ms],
            )?;
            if changed == 0 { Ok(None) } else { summary(conn, &id).map(Some) }
        })
        .await
    }

    async fn shoppers_all_left(&self, at_ms: i64) -> StorageResult<()> {
        self.write(move |conn| {
            // Through the open conversations (few, and indexed), not a scan of every visitor:
            // only their shoppers' presence is shown or acted on.
            execute(
                conn,
                "UPDATE visitors SET left_at = ?1 WHERE left_at IS NULL \
                 AND id IN (SELECT visitor_id FROM conversations WHERE status != 'closed')",
                [at_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn open_conversations_left_before(&self, cutoff_ms: i64, limit: usize) -> StorageResult<Vec<Departed>> {
        self.read(move |conn| {
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            // The columns of CONVERSATION_COLUMNS, named for the join, then the count.
            all_rows(
                conn,
                "SELECT c.id, c.shop_id, c.visitor_id, c.status, c.assigned_agent_id, c.last_seq, c.closed_at, c.unanswered \
                 FROM conversations c JOIN visitors v ON v.id = c.visitor_id \
                 WHERE c.status != 'closed' AND c.last_seq > 0 AND v.left_at < ?1 ORDER BY v.left_at LIMIT ?2",
                params![cutoff_ms, limit],
                |row| Ok(Departed { conversation: conversation_from_row(row)?, unanswered: row.get(7)? }),
            )
        })
        .await
    }

    async fn canned_responses(&self, shop: &ShopId) -> StorageResult<Vec<CannedResponse>> {
        let shop = shop.clone();
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT shortcut, text, lang FROM canned_responses WHERE shop_id = ?1 ORDER BY shortcut, lang",
            )?;
            let rows = statement.query_map([shop.as_str()], |row| {
                let lang: String = row.get(2)?;
                Ok(CannedResponse {
                    shortcut: row.get(0)?,
                    text: row.get(1)?,
                    lang: (!lang.is_empty()).then_some(lang),
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn put_canned_response(&self, shop: &ShopId, canned: CannedResponse) -> StorageResult<()> {
        let shop = shop.clone();
        self.write(move |conn| {
            execute(
                conn,
                "INSERT INTO canned_responses (shop_id, shortcut, lang, text, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (shop_id, shortcut, lang) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
                params![shop.as_str(), canned.shortcut, canned.lang.unwrap_or_default(), canned.text, now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_canned_response(&self, shop: &ShopId, shortcut: &str, lang: Option<&str>) -> StorageResult<bool> {
        let (shop, shortcut, lang) = (shop.clone(), shortcut.to_owned(), lang.unwrap_or_default().to_owned());
        self.write(move |conn| {
            let deleted = execute(
                conn,
                "DELETE FROM canned_responses WHERE shop_id = ?1 AND shortcut = ?2 AND lang = ?3",
                params![shop.as_str(), shortcut, lang],
            )?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn event_by_client_id(
        &self,
        conversation: &ConversationId,
        client_id: &ClientId,
    ) -> StorageResult<Option<Event>> {
        let (id, client_id) = (conversation.clone(), client_id.clone());
        self.read(move |conn| find_by_client_id(conn, &id, &client_id)).await
    }

    async fn events_after(&self, conversation: &ConversationId, after: Seq, limit: usize) -> StorageResult<Vec<Event>> {
        let id = conversation.clone();
        self.read(move |conn| {
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
            );
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            all_rows(conn, &sql, params![id.as_str(), after, limit], event_from_row)
        })
        .await
    }

    async fn set_visitor_identity(
        &self,
        visitor: &VisitorId,
        identity: IdentityUpdate,
    ) -> StorageResult<Option<String>> {
        let visitor = visitor.clone();
        self.write(move |conn| {
            let bound: Option<String> = optional_row(
                conn,
                "SELECT user_id FROM visitors WHERE id = ?1 AND identity = 'verified'",
                [visitor.as_str()],
                |row| row.get(0),
            )?;
            match (identity, bound) {
                // A verified visitor stays bound to their user: another user is not recorded, and
                // a claim without a valid signature changes nothing.
                (IdentityUpdate::Verified { user_id, .. }, Some(bound)) if user_id != bound => Ok(Some(bound)),
                (IdentityUpdate::Unverified, Some(bound)) => Ok(Some(bound)),
                (IdentityUpdate::Verified { user_id, name, email }, _) => {
                    let signed = |field: &Option<Claimed>| field.as_ref().is_some_and(|f| f.verified);
                    let (name_verified, email_verified) = (signed(&name), signed(&email));
                    execute(
                        conn,
                        "UPDATE visitors SET identity = 'verified', user_id = ?2, name = ?3, email = ?4, \
                         name_verified = ?5, email_verified = ?6 WHERE id = ?1",
                        params![
                            visitor.as_str(),
                            user_id,
                            name.map(|n| n.value),
                            email.map(|e| e.value),
                            name_verified,
                            email_verified
                        ],
                    )?;
                    Ok(Some(user_id))
                }
                (IdentityUpdate::Unverified, None) => {
                    execute(
                        conn,
                        "UPDATE visitors SET identity = 'unverified', user_id = NULL, name = NULL, email = NULL, \
                         name_verified = 0, email_verified = 0 WHERE id = ?1",
                        [visitor.as_str()],
                    )?;
                    Ok(None)
                }
            }
        })
        .await
    }

    async fn waiting_conversations(&self, shop: &ShopId) -> StorageResult<Vec<Waiting>> {
        let shop = shop.clone();
        self.read(move |conn| {
            all_rows(
                conn, // In line once the shopper has written (not on a prompt alone), or again after
                // their agent went offline.
                "SELECT id, created_at FROM conversations WHERE shop_id = ?1 AND status = 'waiting' AND last_seq > 0 \
                 AND left_message = 0 AND (unanswered > 0 OR first_agent_at IS NOT NULL) ORDER BY created_at",
                [shop.as_str()],
                |row| Ok(Waiting { conversation_id: parse_id(row.get(0)?)?, since_ms: row.get(1)? }),
            )
        })
        .await
    }

    async fn recent_waits(
        &self,
        shop: &ShopId,
        since_ms: i64,
        longest_ms: i64,
        limit: usize,
    ) -> StorageResult<Vec<i64>> {
        let shop = shop.clone();
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT first_agent_at - created_at FROM conversations WHERE shop_id = ?1 AND first_agent_at IS NOT NULL \
                 AND created_at >= ?2 AND left_message = 0 AND first_agent_at - created_at <= ?3 \
                 ORDER BY first_agent_at DESC LIMIT ?4",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = statement.query_map(params![shop.as_str(), since_ms, longest_ms, limit], |row| row.get(0))?;
            Ok(rows.collect::<Result<Vec<i64>, _>>()?)
        })
        .await
    }

    async fn due_outbox(&self, now_ms: i64, limit: usize) -> StorageResult<Vec<OutboxItem>> {
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT id, kind, conversation_id, recipient, attempts FROM outbox \
                 WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = statement.query_map(params![now_ms, limit], |row| {
                let kind: String = row.get(1)?;
                Ok((row.get(0)?, kind, row.get::<_, String>(2)?, row.get(3)?, row.get(4)?))
            })?;
            let mut items = Vec::new();
            for row in rows {
                let (id, kind, conversation, recipient, attempts): (i64, String, String, String, u32) = row?;
                // Kinds this version does not know (written by a newer one) are left for it.
                if kind == "transcript_email" {
                    let conversation_id = parse_id(conversation)?;
                    items.push(OutboxItem {
                        id,
                        kind: OutboxKind::TranscriptEmail,
                        conversation_id,
                        recipient,
                        attempts,
                    });
                }
            }
            Ok(items)
        })
        .await
    }

    async fn outbox_delivered(&self, id: i64, now_ms: i64) -> StorageResult<()> {
        self.write(move |conn| {
            execute(
                conn,
                "UPDATE outbox SET delivered_at = ?2, attempts = attempts + 1 WHERE id = ?1",
                params![id, now_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn outbox_failed(&self, id: i64, retry_at_ms: Option<i64>, error: &str) -> StorageResult<()> {
        let error = error.to_owned();
        self.write(move |conn| {
            execute(
                conn,
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = COALESCE(?2, next_attempt_at), \
                 gave_up_at = CASE WHEN ?2 IS NULL THEN ?4 END, last_error = ?3 WHERE id = ?1",
                params![id, retry_at_ms, error, now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    async fn create_agent(&self, agent: NewAgent) -> StorageResult<AgentRecord> {
        let record = AgentRecord {
            id: AgentId::new(random_id()).map_err(id_error)?,
            shop_id: agent.shop_id,
            email: agent.email,
            name: agent.name,
            password_hash: agent.password_hash,
            disabled: false,
            role: agent.role,
            capacity: agent.capacity,
        };
        let row = record.clone();
        self.write(move |conn| {
            let inserted = execute(
                conn,
                "INSERT INTO agents (id, shop_id, email, name, password_hash, role, capacity, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (shop_id, email) DO NOTHING",
                params![
                    row.id.as_str(),
                    row.shop_id.as_str(),
                    row.email,
                    row.name,
                    row.password_hash,
                    row.role.as_str(),
                    row.capacity,
                    now_ms()
                ],
            )?;
            if inserted == 0 {
                return Err(StorageError::DuplicateAgent);
            }
            Ok(())
        })
        .await?;
        Ok(record)
    }

    async fn agent_by_id(&self, id: &AgentId) -> StorageResult<Option<AgentRecord>> {
        let id = id.clone();
        self.read(move |conn| {
            let sql = format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = ?1");
            optional_row(conn, &sql, [id.as_str()], agent_from_row)
        })
        .await
    }

    async fn set_agent_role(&self, id: &AgentId, role: Role) -> StorageResult<()> {
        let id = id.clone();
        self.write(move |conn| {
            let changed =
                execute(conn, "UPDATE agents SET role = ?2 WHERE id = ?1", params![id.as_str(), role.as_str()])?;
            if changed == 0 { Err(StorageError::AgentNotFound) } else { Ok(()) }
        })
        .await
    }

    async fn set_agent_capacity(&self, id: &AgentId, capacity: u32) -> StorageResult<()> {
        let id = id.clone();
        self.write(move |conn| {
            let changed =
                execute(conn, "UPDATE agents SET capacity = ?2 WHERE id = ?1", params![id.as_str(), capacity])?;
            if changed == 0 { Err(StorageError::AgentNotFound) } else { Ok(()) }
        })
        .await
    }

    async fn agents_by_email(&self, email: &str) -> StorageResult<Vec<AgentRecord>> {
        let email = email.to_owned();
        self.read(move |conn| {
            let sql = format!("SELECT {AGENT_COLUMNS} FROM agents WHERE email = ?1 ORDER BY shop_id");
            all_rows(conn, &sql, [email], agent_from_row)
        })
        .await
    }

    async fn agent_count(&self, shop: &ShopId) -> StorageResult<u64> {
        let shop = shop.clone();
        self.read(move |conn| {
            one_row(conn, "SELECT COUNT(*) FROM agents WHERE shop_id = ?1", [shop.as_str()], |row| row.get(0))
        })
        .await
    }

    async fn set_agent_password(&self, agent: &AgentId, password_hash: String) -> StorageResult<()> {
        let agent = agent.clone();
        self.write(move |conn| {
            let changed = execute(
                conn,
                "UPDATE agents SET password_hash = ?2 WHERE id = ?1",
                params![agent.as_str(), password_hash],
            )?;
            if changed == 0 {
                return Err(StorageError::AgentNotFound);
            }
            // A new password ends every session opened with the old one.
            execute(conn, "DELETE FROM agent_sessions WHERE agent_id = ?1", [agent.as_str()])?;
            Ok(())
        })
        .await
    }

    async fn agents(&self, shop: Option<&ShopId>) -> StorageResult<Vec<AgentRecord>> {
        let shop = shop.map(|s| s.as_str().to_owned());
        self.read(move |conn| {
            let sql =
                format!("SELECT {AGENT_COLUMNS} FROM agents WHERE ?1 IS NULL OR shop_id = ?1 ORDER BY shop_id, email");
            all_rows(conn, &sql, [shop], agent_from_row)
        })
        .await
    }

    async fn set_agent_disabled(&self, agent: &AgentId, disabled: bool) -> StorageResult<()> {
        let agent = agent.clone();
        self.write(move |conn| {
            let changed =
                execute(conn, "UPDATE agents SET disabled = ?2 WHERE id = ?1", params![agent.as_str(), disabled])?;
            if changed == 0 {
                return Err(StorageError::AgentNotFound);
            }
            if disabled {
                execute(conn, "DELETE FROM agent_sessions WHERE agent_id = ?1", [agent.as_str()])?;
            }
            Ok(())
        })
        .await
    }

    async fn create_session(&self, token_hash: TokenHash, agent: &AgentId, expires_at_ms: i64) -> StorageResult<()> {
        let agent = agent.clone();
        self.write(move |conn| {
            let now = now_ms();
            execute(conn, "DELETE FROM agent_sessions WHERE expires_at <= ?1", [now])?;
            execute(
                conn,
                "INSERT INTO agent_sessions (token_hash, agent_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![&token_hash[..], agent.as_str(), now, expires_at_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn session_agent(&self, token_hash: TokenHash, now_ms: i64) -> StorageResult<Option<AgentRecord>> {
        self.read(move |conn| {
            let columns = AGENT_COLUMNS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "SELECT {columns} FROM agent_sessions s JOIN agents a ON a.id = s.agent_id \
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND a.disabled = 0"
            );
            optional_row(conn, &sql, params![&token_hash[..], now_ms], agent_from_row)
        })
        .await
    }

    async fn append_activity(&self, batch: ActivityBatch) -> StorageResult<bool> {
        self.write(move |conn| {
            let new = execute(
                conn,
                "INSERT OR IGNORE INTO activity_batches (visitor_id, batch_id, received_ms) VALUES (?1, ?2, ?3)",
                params![batch.visitor_id.as_str(), batch.batch_id.as_str(), batch.received_ms],
            )? == 1;
            if !new {
                return Ok(false);
            }
            execute(
                conn,
                "INSERT OR IGNORE INTO activity_sessions (shop_id, visitor_id, session_id, started_ms) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    batch.shop_id.as_str(),
                    batch.visitor_id.as_str(),
                    batch.session_id.as_str(),
                    batch.received_ms
                ],
            )?;
            let mut insert = conn.prepare_cached(
                "INSERT INTO activity (shop_id, visitor_id, session_id, conversation_id, kind, rule_id, at_ms, \
                 received_ms, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for activity in &batch.events {
                insert.execute(params![
                    batch.shop_id.as_str(),
                    batch.visitor_id.as_str(),
                    batch.session_id.as_str(),
                    batch.conversation_id.as_ref().map(ConversationId::as_str),
                    activity.body.kind(),
                    activity.body.rule_id(),
                    activity.at_ms,
                    batch.received_ms,
                    to_json(&activity.body)?,
                ])?;
            }
            drop(insert);
            for activity in &batch.events {
                remember_shopping_state(conn, &batch.visitor_id, &activity.body)?;
            }
            Ok(true)
        })
        .await
    }

    async fn recent_activity(&self, visitor: &VisitorId, limit: usize) -> StorageResult<Vec<Activity>> {
        let visitor = visitor.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            all_rows(
                conn,
                "SELECT at_ms, body FROM (SELECT id, at_ms, body FROM activity WHERE visitor_id = ?1 \
                 ORDER BY id DESC LIMIT ?2) ORDER BY id",
                params![visitor.as_str(), limit],
                |row| Ok(Activity { at_ms: row.get(0)?, body: json_column(row, 1)? }),
            )
        })
        .await
    }

    async fn report_facts(&self, shop: &ShopId, from_ms: i64, to_ms: i64) -> StorageResult<Vec<ActivityFact>> {
        let shop = shop.clone();
        self.read(move |conn| {
            // A session is the visitor's, so one widget cannot add to another visitor's session.
            // The period's sessions by index; their facts by index; in the order they happened.
            all_rows(
                conn,
                "WITH sessions AS (SELECT visitor_id, session_id FROM activity_sessions \
                   WHERE shop_id = ?1 AND started_ms >= ?2 AND started_ms < ?3) \
                 SELECT s.visitor_id || ' ' || s.session_id, 'session', NULL, 0 FROM sessions s \
                 UNION ALL SELECT a.visitor_id || ' ' || a.session_id, a.kind, a.rule_id, a.id FROM sessions s \
                   JOIN activity a ON a.visitor_id = s.visitor_id AND a.session_id = s.session_id \
                   AND a.kind IN ('prompt_shown', 'prompt_accepted', 'prompt_dismissed', 'chat_started', 'order_completed') \
                 ORDER BY 4",
                params![shop.as_str(), from_ms, to_ms],
                |row| Ok(ActivityFact { session_id: row.get(0)?, kind: row.get(1)?, rule_id: row.get(2)? }),
            )
        })
        .await
    }

    async fn feed_after(&self, shop: &ShopId, after: i64, limit: usize) -> StorageResult<Vec<(i64, Event)>> {
        let shop = shop.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            let columns = EVENT_COLUMNS.split(", ").map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "SELECT f.id, {columns} FROM event_feed f JOIN events e \
                 ON e.conversation_id = f.conversation_id AND e.seq = f.seq \
                 WHERE f.shop_id = ?1 AND f.id > ?2 ORDER BY f.id LIMIT ?3"
            );
            all_rows(conn, &sql, params![shop.as_str(), after, limit], |row| {
                let id: i64 = row.get(0)?;
                let event = Event {
                    conversation_id: parse_id(row.get(1)?)?,
                    seq: row.get(2)?,
                    client_id: row.get::<_, Option<String>>(3)?.map(parse_id).transpose()?,
                    author: json_column(row, 4)?,
                    body: json_column(row, 5)?,
                    at_ms: row.get(6)?,
                };
                Ok((id, event))
            })
        })
        .await
    }

    async fn activity_after(&self, shop: &ShopId, after: i64, limit: usize) -> StorageResult<Vec<ActivityRow>> {
        self.activity_rows_after(shop, after, limit, "").await
    }

    async fn orders_after(&self, shop: &ShopId, after: i64, limit: usize) -> StorageResult<Vec<ActivityRow>> {
        self.activity_rows_after(shop, after, limit, "AND kind = 'order_completed'").await
    }

    async fn webhook_cursor(&self, shop: &ShopId, url: &str) -> StorageResult<WebhookCursor> {
        let (shop, url) = (shop.clone(), url.to_owned());
        self.write(move |conn| {
            // A new webhook starts from now: it is told what happens from here on.
            execute(
                conn,
                "INSERT OR IGNORE INTO webhook_cursors (shop_id, url, feed_after, activity_after, orders_after) \
                 VALUES (?1, ?2, (SELECT COALESCE(MAX(id), 0) FROM event_feed), \
                 (SELECT COALESCE(MAX(id), 0) FROM activity), (SELECT COALESCE(MAX(id), 0) FROM activity))",
                params![shop.as_str(), url],
            )?;
            one_row(
                conn,
                "SELECT feed_after, activity_after, attempts, next_attempt_ms, orders_after FROM webhook_cursors \
                 WHERE shop_id = ?1 AND url = ?2",
                params![shop.as_str(), url],
                |row| {
                    Ok(WebhookCursor {
                        feed_after: row.get(0)?,
                        activity_after: row.get(1)?,
                        attempts: row.get(2)?,
                        next_attempt_ms: row.get(3)?,
                        orders_after: row.get(4)?,
                    })
                },
            )
        })
        .await
    }

    async fn save_webhook_cursor(
        &self,
        shop: &ShopId,
        url: &str,
        cursor: WebhookCursor,
        error: Option<String>,
    ) -> StorageResult<()> {
        let (shop, url) = (shop.clone(), url.to_owned());
        self.write(move |conn| {
            execute(
                conn,
                "UPDATE webhook_cursors SET feed_after = ?3, activity_after = ?4, attempts = ?5, next_attempt_ms = ?6, \
                 last_error = ?7, orders_after = ?8 WHERE shop_id = ?1 AND url = ?2",
                params![
                    shop.as_str(),
                    url,
                    cursor.feed_after,
                    cursor.activity_after,
                    cursor.attempts,
                    cursor.next_attempt_ms,
                    error,
                    cursor.orders_after
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_session(&self, token_hash: TokenHash) -> StorageResult<()> {
        self.write(move |conn| {
            execute(conn, "DELETE FROM agent_sessions WHERE token_hash = ?1", [&token_hash[..]])?;
            Ok(())
        })
        .await
    }
}

fn activity_row(row: &Row<'_>) -> rusqlite::Result<ActivityRow> {
    Ok(ActivityRow {
        id: row.get(0)?,
        visitor_id: parse_id(row.get(1)?)?,
        conversation_id: row.get::<_, Option<String>>(2)?.map(parse_id).transpose()?,
        activity: Activity { at_ms: row.get(3)?, body: json_column(row, 4)? },
    })
}

fn id_error(err: checkout_chat_protocol::IdError) -> StorageError {
    StorageError::Database(format!("generated an invalid id: {err}"))
}

#[cfg(test)]
mod tests {
    /// Migration 012 rebuilds `agents`; with foreign keys on, dropping the old table would have
    /// deleted every session (`ON DELETE CASCADE`).
    #[test]
    fn rebuilding_the_agents_table_keeps_sessions_and_scopes_emails_to_a_shop() {
        use super::*;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("before-012.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            Migrations::from_slice(MIGRATIONS).to_version(&mut conn, 11).unwrap();
            conn.execute_batch(
                "PRAGMA foreign_keys = ON;
                 INSERT INTO agents (id, shop_id, email, name, password_hash, disabled, created_at, role, capacity)
                     VALUES ('a1', 'demo', 'anna@demo.example', 'Anna', 'hash', 0, 1, 'admin', 7);
                 INSERT INTO agent_sessions (token_hash, agent_id, created_at, expires_at) VALUES (x'01', 'a1', 1, 2);",
            )
            .unwrap();
        }
        drop(SqliteStorage::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        let count = |sql: &str| conn.query_row(sql, [], |row| row.get::<_, i64>(0)).unwrap();
        assert_eq!(count("SELECT COUNT(*) FROM agent_sessions WHERE agent_id = 'a1'"), 1, "the session is kept");
        assert_eq!(count("SELECT capacity FROM agents WHERE id = 'a1'"), 7, "every column is kept");
        let add = |id: &str, shop: &str| {
            conn.execute(
                "INSERT INTO agents (id, shop_id, email, name, password_hash, created_at) VALUES (?1, ?2, 'ANNA@demo.example', 'A', 'h', 1)",
                params![id, shop],
            )
        };
        assert!(add("a2", "rival").is_ok(), "another shop may have the same email");
        assert!(add("a3", "demo").is_err(), "one shop may not, whatever the letter case");
    }

    #[test]
    fn disk_errors_name_their_usual_causes() {
        let failure = |extended_code| {
            rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(extended_code), Some("disk I/O error".into()))
        };
        let StorageError::Database(message) = StorageError::from(failure(rusqlite::ffi::SQLITE_IOERR_WRITE)) else {
            panic!("a database error")
        };
        assert!(message.starts_with("disk I/O error") && message.contains("full, read-only"), "{message}");
        let StorageError::Database(message) = StorageError::from(failure(rusqlite::ffi::SQLITE_READONLY_DBMOVED))
        else {
            panic!("a database error")
        };
        assert!(message.contains("read-only"), "{message}");
        assert_eq!(
            StorageError::from(rusqlite::Error::QueryReturnedNoRows).to_string(),
            "database error: Query returned no rows"
        );
    }

    use std::future::Future;
    use std::pin::Pin;
    use std::sync::atomic::AtomicBool;
    use std::task::{Context, Waker};

    use super::*;

    /// A fresh database with `count` open conversations (one visitor each).
    async fn with_conversations(count: u8) -> (tempfile::TempDir, SqliteStorage, Vec<ConversationId>) {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("chat.db")).unwrap();
        let shop = ShopId::new("demo").unwrap();
        let mut conversations = Vec::new();
        for k in 0..count {
            let visitor = storage.create_visitor(&shop, [k; 32]).await.unwrap();
            conversations.push(storage.open_or_create_conversation(&shop, &visitor.id).await.unwrap().id);
        }
        (dir, storage, conversations)
    }

    fn message(client_id: &str) -> NewEvent {
        NewEvent {
            author: Author::Visitor,
            client_id: Some(ClientId::new(client_id).unwrap()),
            body: EventBody::Message { text: client_id.to_owned() },
        }
    }

    fn client_ids(events: &[Event]) -> Vec<String> {
        events.iter().filter_map(|e| e.client_id.as_ref()).map(|c| c.as_str().to_owned()).collect()
    }

    /// Polls `future` once, so that a storage call queues its write, and leaves it pending.
    fn start<F: Future>(future: &mut Pin<Box<F>>) {
        let pending = future.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending();
        assert!(pending, "the write waits for its batch");
    }

    /// Holds the writer thread inside a write until the returned sender is used (or dropped);
    /// returns once the writer is held. Writes queued meanwhile form its next batch.
    async fn hold_writer(storage: &SqliteStorage) -> (std::sync::mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (holding, is_holding) = tokio::sync::oneshot::channel();
        let storage = storage.clone();
        let gate = tokio::spawn(async move {
            storage
                .write(move |_| {
                    let _ = holding.send(());
                    let _ = held.recv();
                    Ok(())
                })
                .await
                .unwrap();
        });
        is_holding.await.unwrap();
        (release, gate)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_appends_get_distinct_consecutive_seqs_and_are_all_readable() {
        const CONVERSATIONS: u8 = 4;
        const TASKS_EACH: usize = 10;
        const APPENDS_EACH: usize = 25;
        let (_dir, storage, conversations) = with_conversations(CONVERSATIONS).await;
        let mut tasks = Vec::new();
        for (c, id) in conversations.iter().enumerate() {
            for t in 0..TASKS_EACH {
                let (storage, id) = (storage.clone(), id.clone());
                tasks.push(tokio::spawn(async move {
                    let mut seqs = Vec::new();
                    for k in 0..APPENDS_EACH {
                        let appended = storage.append_event(&id, message(&format!("c{c}-t{t}-m{k}"))).await.unwrap();
                        assert!(!appended.duplicate);
                        assert_eq!(appended.summary.last_seq, appended.event.seq, "the summary after the append");
                        seqs.push(appended.event.seq);
                    }
                    (c, seqs)
                }));
            }
        }
        let mut seqs = vec![Vec::new(); conversations.len()];
        for task in tasks {
            let (c, mine) = task.await.unwrap();
            assert!(mine.is_sorted(), "one task's appends are numbered in the order it made them");
            seqs[c].extend(mine);
        }
        let total = (TASKS_EACH * APPENDS_EACH) as u64;
        for (c, id) in conversations.iter().enumerate() {
            seqs[c].sort_unstable();
            assert_eq!(seqs[c], (1..=total).collect::<Vec<_>>(), "conversation {c}: distinct and gapless");
            let stored = storage.events_after(id, 0, 10_000).await.unwrap();
            assert_eq!(stored.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs[c]);
            let mut stored_ids = client_ids(&stored);
            stored_ids.sort_unstable();
            let mut expected: Vec<String> =
                (0..TASKS_EACH).flat_map(|t| (0..APPENDS_EACH).map(move |k| format!("c{c}-t{t}-m{k}"))).collect();
            expected.sort_unstable();
            assert_eq!(stored_ids, expected, "conversation {c}: every append stored once");
            assert_eq!(storage.conversation(id).await.unwrap().unwrap().last_seq, total);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_is_rolled_back_alone_and_the_rest_of_its_batch_commits() {
        let (_dir, storage, conversations) = with_conversations(3).await;
        let [open, ended, other] = <[ConversationId; 3]>::try_from(conversations).unwrap();
        let closed = NewEvent { author: Author::System, client_id: None, body: EventBody::Closed { reason: None } };
        storage.append_event(&ended, closed).await.unwrap();
        let missing = ConversationId::new("no-such-conversation").unwrap();

        // Queued while the writer is held, these five are its next batch, in this order.
        let (release, gate) = hold_writer(&storage).await;
        let mut first = Box::pin(storage.append_event(&open, message("first")));
        let mut refused = Box::pin(storage.append_event(&ended, message("too-late")));
        let mut nowhere = Box::pin(storage.append_event(&missing, message("lost")));
        let mut last = Box::pin(storage.append_event(&other, message("last")));
        // Inside the batch, after the others: `first` is written but not committed yet (readers
        // do not see it), which shows the five share one transaction.
        let readers = Arc::clone(&storage.readers);
        let count_first = |conn: &Connection| -> StorageResult<i64> {
            one_row(conn, "SELECT COUNT(*) FROM events WHERE client_id = 'first'", [], |row| row.get(0))
        };
        let mut probe = Box::pin(storage.write(move |conn| Ok((count_first(conn)?, count_first(&readers.take())?))));
        start(&mut first);
        start(&mut refused);
        start(&mut nowhere);
        start(&mut last);
        start(&mut probe);
        release.send(()).unwrap();
        gate.await.unwrap();

        assert_eq!(probe.await.unwrap(), (1, 0), "the batch's writes are visible to it alone until it commits");
        assert_eq!(first.await.unwrap().event.seq, 1);
        assert!(matches!(refused.await, Err(StorageError::ConversationClosed)));
        assert!(matches!(nowhere.await, Err(StorageError::ConversationNotFound)));
        assert_eq!(last.await.unwrap().event.seq, 1);

        assert_eq!(client_ids(&storage.events_after(&open, 0, 10).await.unwrap()), ["first"]);
        assert_eq!(client_ids(&storage.events_after(&other, 0, 10).await.unwrap()), ["last"]);
        let ended_events = storage.events_after(&ended, 0, 10).await.unwrap();
        assert_eq!(ended_events.len(), 1, "only the closing event: {ended_events:?}");
        assert_eq!(storage.conversation(&ended).await.unwrap().unwrap().last_seq, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn when_a_batch_loses_its_transaction_what_ran_fails_and_the_rest_runs_in_the_next() {
        let (_dir, storage, conversations) = with_conversations(2).await;
        let [before, after] = <[ConversationId; 2]>::try_from(conversations).unwrap();

        // A write that ends the transaction under the batch, as SQLite does itself after some
        // I/O errors (a full disk).
        let (release, gate) = hold_writer(&storage).await;
        let mut ran_before = Box::pin(storage.append_event(&before, message("ran-before")));
        let mut rogue = Box::pin(storage.write(|conn| Ok(conn.execute_batch("ROLLBACK")?)));
        let mut queued_after = Box::pin(storage.append_event(&after, message("queued-after")));
        start(&mut ran_before);
        start(&mut rogue);
        start(&mut queued_after);
        release.send(()).unwrap();
        gate.await.unwrap();

        let lost = ran_before.await;
        assert!(matches!(lost, Err(StorageError::Database(_))), "not acknowledged, it was never committed: {lost:?}");
        assert!(rogue.await.is_err());
        assert_eq!(queued_after.await.unwrap().event.seq, 1, "stored by the next batch");
        assert!(storage.events_after(&before, 0, 10).await.unwrap().is_empty());
        assert_eq!(client_ids(&storage.events_after(&after, 0, 10).await.unwrap()), ["queued-after"]);
        // And the writer goes on.
        assert_eq!(storage.append_event(&before, message("again")).await.unwrap().event.seq, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_issued_after_a_write_returned_sees_it() {
        let (_dir, storage, conversations) = with_conversations(6).await;
        let (mine, others) = conversations.split_first().unwrap();
        // Other writers keep the writer busy, so that writes share batches.
        let stop = Arc::new(AtomicBool::new(false));
        let mut background = Vec::new();
        for (c, id) in others.iter().enumerate() {
            let (storage, id, stop) = (storage.clone(), id.clone(), Arc::clone(&stop));
            background.push(tokio::spawn(async move {
                let mut k = 0;
                while !stop.load(Ordering::Relaxed) {
                    storage.append_event(&id, message(&format!("o{c}-{k}"))).await.unwrap();
                    k += 1;
                }
            }));
        }
        for k in 0..200 {
            let client_id = format!("mine-{k}");
            let appended = storage.append_event(mine, message(&client_id)).await.unwrap();
            let conversation = storage.conversation(mine).await.unwrap().unwrap();
            assert_eq!(conversation.last_seq, appended.event.seq, "append {k}");
            let found = storage.event_by_client_id(mine, &ClientId::new(client_id).unwrap()).await.unwrap();
            assert_eq!(found.map(|e| e.seq), Some(appended.event.seq), "append {k}");
        }
        stop.store(true, Ordering::Relaxed);
        for task in background {
            task.await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_write_that_panics_fails_alone_and_the_writer_goes_on() {
        let (_dir, storage, conversations) = with_conversations(1).await;
        let panicked = storage.write(|_| -> StorageResult<()> { panic!("a bug in a write") }).await;
        assert!(matches!(panicked, Err(StorageError::Database(_))), "{panicked:?}");
        assert_eq!(storage.append_event(&conversations[0], message("after")).await.unwrap().event.seq, 1);
    }

    #[tokio::test]
    async fn writes_fail_with_an_error_when_the_writer_has_stopped() {
        let (_dir, storage, conversations) = with_conversations(1).await;
        let storage = SqliteStorage { writer: Writer::stopped(), ..storage };
        let refused = storage.append_event(&conversations[0], message("m")).await;
        assert!(
            matches!(&refused, Err(StorageError::Database(message)) if message == "storage writer stopped"),
            "{refused:?}"
        );
        // Reads do not need the writer.
        assert!(storage.conversation(&conversations[0]).await.unwrap().is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a timing to read, not a check: cargo test -p checkout-chat-relay --lib -- --ignored --nocapture"]
    async fn timing_of_2000_appends_from_50_tasks() {
        let (_dir, storage, conversations) = with_conversations(50).await;
        let started = std::time::Instant::now();
        let tasks: Vec<_> = conversations
            .into_iter()
            .map(|id| {
                let storage = storage.clone();
                tokio::spawn(async move {
                    for k in 0..40 {
                        let event = NewEvent {
                            author: Author::Visitor,
                            client_id: None,
                            body: EventBody::Message { text: format!("m{k}") },
                        };
                        storage.append_event(&id, event).await.unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        println!("2000 appends from 50 tasks: {:?}", started.elapsed());
    }

    /// Seven conversations in every state a tab tells apart: four waiting (two of them created
    /// within the same millisecond or so, which the id orders), two answered by `agent`, one
    /// closed; returns the agent.
    async fn inbox_of_every_kind(storage: &SqliteStorage, shop: &ShopId) -> AgentProfile {
        let agent = storage
            .create_agent(NewAgent {
                shop_id: shop.clone(),
                email: "anna@example.com".into(),
                name: "Anna".into(),
                password_hash: "x".into(),
                role: Role::Agent,
                capacity: 5,
            })
            .await
            .unwrap()
            .profile();
        for k in 0..7u8 {
            let visitor = storage.create_visitor(shop, [100 + k; 32]).await.unwrap();
            let id = storage.open_or_create_conversation(shop, &visitor.id).await.unwrap().id;
            storage.append_event(&id, message(&format!("m{k}"))).await.unwrap();
            if k >= 4 {
                storage.assign_agent(&id, &agent).await.unwrap();
                let answer = NewEvent {
                    author: Author::Agent(agent.clone()),
                    client_id: None,
                    body: EventBody::Message { text: "hello".into() },
                };
                storage.append_event(&id, answer).await.unwrap();
            }
            if k == 6 {
                let close = NewEvent {
                    author: Author::Agent(agent.clone()),
                    client_id: None,
                    body: EventBody::Closed { reason: None },
                };
                storage.append_event(&id, close).await.unwrap();
            }
        }
        agent
    }

    #[tokio::test]
    async fn inbox_pages_walk_each_tab_once_in_key_order_and_the_counts_agree() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("chat.db")).unwrap();
        let shop = ShopId::new("demo").unwrap();
        let agent = inbox_of_every_kind(&storage, &shop).await;
        let counts = storage.inbox_counts(&shop, Some(&agent.id)).await.unwrap();
        assert_eq!(counts, InboxCounts { waiting: 4, mine: 2, open: 6 });
        assert_eq!(storage.inbox_counts(&shop, None).await.unwrap(), InboxCounts { waiting: 4, mine: 0, open: 6 });
        for (tab, expected) in [(InboxTab::Waiting, 4), (InboxTab::Mine, 2), (InboxTab::Open, 6)] {
            let mut walked: Vec<ConversationSummary> = Vec::new();
            let mut after = None;
            loop {
                let page = storage.inbox_page(&shop, &agent.id, tab, after.as_ref(), 2).await.unwrap();
                let full = page.len() == 2;
                after = page.last().map(InboxKey::of);
                walked.extend(page);
                if !full {
                    break;
                }
            }
            assert_eq!(walked.len(), expected, "{tab:?}");
            assert!(walked.iter().all(|s| tab.shows(s, Some(&agent.id))), "{tab:?}: {walked:?}");
            let keys: Vec<InboxKey> = walked.iter().map(InboxKey::of).collect();
            assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "{tab:?} in key order, each once: {keys:?}");
        }
        // Waiting ones (with an unanswered message) come before the answered ones.
        let open = storage.inbox_page(&shop, &agent.id, InboxTab::Open, None, 10).await.unwrap();
        let waiting_first: Vec<bool> = open.iter().map(|s| s.waiting_since_ms.is_some()).collect();
        assert_eq!(waiting_first, [true, true, true, true, false, false]);
    }

    #[tokio::test]
    async fn an_inbox_page_is_an_index_range_not_a_scan() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("chat.db")).unwrap();
        let plans = storage
            .read(|conn| {
                let mut plans = Vec::new();
                for tab in InboxTab::ALL {
                    let sql = format!(
                        "EXPLAIN QUERY PLAN {SUMMARY_SELECT} WHERE {} AND (c.inbox_rank, c.id) > (?3, ?4)                          ORDER BY c.inbox_rank, c.id LIMIT ?5",
                        inbox_tab_rows(tab)
                    );
                    let steps = all_rows(conn, &sql, params!["demo", "a", 0, "c", 51], |row| row.get::<_, String>(3))?;
                    plans.push((tab, steps.join("; ")));
                }
                Ok(plans)
            })
            .await
            .unwrap();
        for (tab, plan) in plans {
            let index = match tab {
                InboxTab::Waiting => "conversations_inbox_waiting",
                InboxTab::Mine => "conversations_inbox_mine",
                InboxTab::Open => "conversations_inbox_open",
            };
            assert!(plan.contains(&format!("USING INDEX {index}")), "{tab:?}: {plan}");
            assert!(plan.contains("(inbox_rank,id)>(?,?)"), "{tab:?} starts at the key: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{tab:?} needs no sort: {plan}");
        }
    }

    #[test]
    fn migration_4_marks_earlier_left_messages_unless_continued_live() {
        let mut conn = Connection::open_in_memory().unwrap();
        let migrations = Migrations::from_slice(MIGRATIONS);
        migrations.to_version(&mut conn, 3).unwrap();
        let left = r#"{"kind":"left_message","email":"jan@example.com","text":"later"}"#;
        let message = r#"{"kind":"message","text":"hello"}"#;
        let visitor = r#"{"role":"visitor"}"#;
        let agent = r#"{"role":"agent","id":"a","name":"Anna"}"#;
        // c1: only a left message; c2: a left message, then the shopper wrote live; c3: a left
        // message answered by an agent; c4: a plain chat.
        let conversations: [(&str, &[(&str, &str)]); 4] = [
            ("c1", &[(visitor, left)]),
            ("c2", &[(visitor, left), (visitor, message)]),
            ("c3", &[(visitor, left), (agent, message)]),
            ("c4", &[(visitor, message)]),
        ];
        for (id, events) in conversations {
            // (One visitor each: a visitor has one open conversation.)
            conn.execute(
                "INSERT INTO visitors (id, shop_id, token_hash, created_at) VALUES (?1, 'demo', CAST(?1 AS BLOB), 0)",
                [id],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO conversations (id, shop_id, visitor_id, created_at, updated_at) VALUES (?1, 'demo', ?1, 0, 0)",
                [id],
            )
            .unwrap();
            for (seq, (author, body)) in events.iter().enumerate() {
                conn.execute(
                    "INSERT INTO events (conversation_id, seq, author, body, created_at) VALUES (?1, ?2, ?3, ?4, 0)",
                    params![id, seq + 1, author, body],
                )
                .unwrap();
            }
        }
        migrations.to_latest(&mut conn).unwrap();
        let marked: Vec<String> = conn
            .prepare("SELECT id FROM conversations WHERE left_message = 1 ORDER BY id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(marked, ["c1", "c3"]);
    }
}
