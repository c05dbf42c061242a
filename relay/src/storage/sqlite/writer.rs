//! The writer thread: group commit for [`super::SqliteStorage`].
//!
//! One thread owns the write connection. Writes reach it through a channel; it takes the first
//! one waiting and whatever else is queued (at most [`MAX_BATCH`]), runs them in one
//! `BEGIN IMMEDIATE` transaction, each inside its own savepoint, and commits once: one fsync for
//! the batch instead of one per write. A write that fails is rolled back to its savepoint alone;
//! the others of its batch still commit.
//!
//! No result leaves the thread before the COMMIT of its batch succeeded (with
//! `synchronous = FULL`, before the batch is on disk), so a caller that got `Ok` finds its write
//! after a crash. When the COMMIT fails, every write of the batch gets that error.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use super::super::{StorageError, StorageResult};

/// The most writes one batch commits together. A batch holds SQLite's write lock while it runs, so
/// this bounds how long a write waits behind the others (and how much one failed COMMIT fails);
/// at 64 the fsync is already shared enough that it no longer dominates.
pub(super) const MAX_BATCH: usize = 64;

/// The handle through which writes reach the writer thread. Clones share the thread, which ends
/// once every handle is gone (after the batch it is running).
#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer thread with `conn`, the connection every write goes through.
    pub(super) fn spawn(conn: Connection) -> StorageResult<Self> {
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_batches(conn, queue))
            .map_err(|e| StorageError::Database(format!("cannot start the storage writer: {e}")))?;
        Ok(Self { jobs })
    }

    /// A handle whose thread is already gone, as after a crash of the writer.
    #[cfg(test)]
    pub(super) fn stopped() -> Self {
        let (jobs, _) = mpsc::channel();
        Self { jobs }
    }

    /// Queues `work` for the next batch and waits until that batch is committed. `work` runs inside
    /// the batch's transaction: it sees every write queued before it, and what it writes is undone
    /// if it returns an error.
    pub(super) async fn write<T, F>(&self, work: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    {
        let (reply, result) = oneshot::channel();
        self.jobs.send(Box::new(Pending { work: Some(work), outcome: None, reply })).map_err(|_| stopped())?;
        // The sender is dropped unanswered only if the thread died.
        result.await.map_err(|_| stopped())?
    }
}

/// What callers get when the writer thread is gone.
pub(super) fn stopped() -> StorageError {
    StorageError::Database("storage writer stopped".into())
}

/// A write waiting in the queue, with its result type erased so one channel carries them all.
trait Job: Send {
    /// Runs the work against the batch's transaction and keeps its result for [`Job::reply`];
    /// `Err` (with what went wrong) when the work failed and its savepoint must be rolled back.
    fn run(&mut self, conn: &Connection) -> Result<(), String>;
    /// Sends the result kept by [`Job::run`] once the batch committed, or `batch`'s error if it
    /// did not.
    fn reply(self: Box<Self>, batch: Result<(), &StorageError>);
}

struct Pending<T, F> {
    work: Option<F>,
    outcome: Option<StorageResult<T>>,
    reply: oneshot::Sender<StorageResult<T>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) -> Result<(), String> {
        let Some(work) = self.work.take() else { return Err("a write was run twice".into()) };
        // A panic (a bug) fails this write, not the thread every other write needs.
        let outcome = catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(StorageError::Database("a storage write panicked".into())));
        let failed = outcome.as_ref().err().map(ToString::to_string);
        self.outcome = Some(outcome);
        failed.map_or(Ok(()), Err)
    }

    fn reply(self: Box<Self>, batch: Result<(), &StorageError>) {
        let result = match (batch, self.outcome) {
            (Ok(()), Some(outcome)) => outcome,
            (Ok(()), None) => Err(StorageError::Database("a write was left out of its batch".into())),
            (Err(error), _) => Err(error.clone()),
        };
        // The caller may have given up waiting (its client went away); the write stands anyway.
        let _ = self.reply.send(result);
    }
}

/// The thread's loop: one batch after another until every [`Writer`] is dropped.
fn run_batches(mut conn: Connection, queue: mpsc::Receiver<Box<dyn Job>>) {
    // Writes of a batch whose transaction was lost before they ran go first in the next one.
    let mut carried: VecDeque<Box<dyn Job>> = VecDeque::new();
    loop {
        let mut batch: Vec<Box<dyn Job>> = carried.drain(..carried.len().min(MAX_BATCH)).collect();
        if batch.is_empty() {
            match queue.recv() {
                Ok(job) => batch.push(job),
                Err(mpsc::RecvError) => return,
            }
        }
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        carried.extend(commit_batch(&mut conn, batch));
    }
}

/// Runs `batch` in one transaction, commits it, and replies to each write. Returns the writes it
/// did not run because the transaction was lost on the way (they belong in the next batch).
fn commit_batch(conn: &mut Connection, mut batch: Vec<Box<dyn Job>>) -> Vec<Box<dyn Job>> {
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        // Most often the database is locked by another program for longer than the busy timeout.
        Err(error) => {
            fail(batch, &error.into());
            return Vec::new();
        }
    };
    for ran in 0..batch.len() {
        if let Err(lost) = run_in_savepoint(&mut tx, batch[ran].as_mut()) {
            // Whatever ran in the transaction is gone with it: those writes fail, the rest wait.
            let rest = batch.split_off(ran + 1);
            drop(tx);
            fail(batch, &lost);
            return rest;
        }
    }
    // On failure `commit` rolls back what is left of the transaction before it returns.
    match tx.commit() {
        Ok(()) => batch.into_iter().for_each(|job| job.reply(Ok(()))),
        Err(error) => fail(batch, &error.into()),
    }
    Vec::new()
}

/// Runs one write inside its own savepoint: kept if it succeeds, rolled back alone if it fails.
/// `Err` when the batch's transaction did not survive it (after some I/O errors, such as a full
/// disk, SQLite rolls back the whole transaction by itself).
fn run_in_savepoint(tx: &mut Transaction<'_>, job: &mut dyn Job) -> Result<(), StorageError> {
    let mut savepoint = tx.savepoint()?;
    let outcome = job.run(&savepoint);
    if savepoint.is_autocommit() {
        let why = outcome.err().unwrap_or_else(|| "the transaction ended".into());
        return Err(StorageError::Database(format!("the write batch was rolled back: {why}")));
    }
    match outcome {
        Ok(()) => savepoint.commit()?,
        Err(_) => {
            savepoint.rollback()?;
            savepoint.commit()?;
        }
    }
    Ok(())
}

/// Replies `error` to every write of `batch`: none of them was committed.
fn fail(batch: Vec<Box<dyn Job>>, error: &StorageError) {
    tracing::warn!(%error, writes = batch.len(), "a write batch was not committed");
    for job in batch {
        job.reply(Err(error));
    }
}
