-- A conversation that is a message left while nobody was online: it waits for an answer by
-- email, not in the live queue.
ALTER TABLE conversations ADD COLUMN left_message INTEGER NOT NULL DEFAULT 0;

-- An outbox item that failed for good (a permanent refusal, or too many attempts): kept for the
-- record, never tried again.
ALTER TABLE outbox ADD COLUMN gave_up_at INTEGER;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
