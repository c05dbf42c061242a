-- A conversation that is a message left while nobody was online: it waits for an answer by
-- email, not in the live queue.
ALTER TABLE conversations ADD COLUMN left_message INTEGER NOT NULL DEFAULT 0;
-- Conversations that began as a left message before this migration, and have not been continued
-- live by the shopper since (their last shopper event is the left message).
UPDATE conversations SET left_message = 1
WHERE id IN (
    SELECT e.conversation_id FROM events e
    WHERE json_extract(e.author, '$.role') = 'visitor'
      AND e.seq = (SELECT MAX(seq) FROM events v WHERE v.conversation_id = e.conversation_id
                   AND json_extract(v.author, '$.role') = 'visitor')
      AND json_extract(e.body, '$.kind') = 'left_message'
);

-- An outbox item that failed for good (a permanent refusal, or too many attempts): kept for the
-- record, never tried again.
ALTER TABLE outbox ADD COLUMN gave_up_at INTEGER;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
