-- What shoppers do on the shop's pages (page views, cart, checkout steps, orders, prompts, chats
-- started): an append-only log per visitor, beside the conversations' logs.
CREATE TABLE activity (
    id INTEGER PRIMARY KEY,
    shop_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL REFERENCES visitors(id),
    -- The browser's visit; reports count conversions per session.
    session_id TEXT NOT NULL,
    -- The visitor's open conversation when it happened, if any.
    conversation_id TEXT,
    kind TEXT NOT NULL,
    -- The prompt's rule, for prompt_* and chat_started rows (reports group by it).
    rule_id TEXT,
    -- By the browser's clock (clamped to the hour before it arrived), and by the relay's.
    at_ms INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    -- The activity's body as JSON (protocol::ActivityBody).
    body TEXT NOT NULL
) STRICT;
CREATE INDEX activity_by_visitor ON activity (visitor_id, id);
CREATE INDEX activity_by_session ON activity (visitor_id, session_id, kind);

-- Each browser session once, with when it began: reports pick a period's sessions by index.
CREATE TABLE activity_sessions (
    shop_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    PRIMARY KEY (visitor_id, session_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX activity_sessions_by_start ON activity_sessions (shop_id, started_ms);

-- A batch resent after a reconnect is stored once: its id is recorded in the same transaction.
CREATE TABLE activity_batches (
    visitor_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    PRIMARY KEY (visitor_id, batch_id)
) STRICT, WITHOUT ROWID;

-- Rows are never changed; deleting old ones (retention, erasing a visitor) stays possible.
CREATE TRIGGER activity_is_append_only BEFORE UPDATE ON activity
BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
