-- Who the shop says the visitor is (only kept when the signature was valid).
ALTER TABLE visitors ADD COLUMN identity TEXT NOT NULL DEFAULT 'anonymous';
ALTER TABLE visitors ADD COLUMN user_id TEXT;
ALTER TABLE visitors ADD COLUMN name TEXT;
ALTER TABLE visitors ADD COLUMN email TEXT;

-- Derived from the log, updated with the event that changes it.
ALTER TABLE conversations ADD COLUMN contact_email TEXT;
ALTER TABLE conversations ADD COLUMN transcript_email TEXT;
ALTER TABLE conversations ADD COLUMN first_agent_at INTEGER;
ALTER TABLE conversations ADD COLUMN closed_at INTEGER;
ALTER TABLE conversations ADD COLUMN rating INTEGER;
CREATE INDEX conversations_waits ON conversations(shop_id, first_agent_at);

-- Work to do outside the database (emails now, webhooks later), written in the same transaction
-- as the event that causes it, and delivered with retries by a background task.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    recipient        TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    delivered_at     INTEGER,
    last_error       TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE delivered_at IS NULL;
