-- One row per browser that has talked to us; the token itself is never stored, only its hash.
CREATE TABLE visitors (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE agents (
    id             TEXT PRIMARY KEY,
    shop_id        TEXT NOT NULL,
    email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE agent_sessions (
    token_hash  BLOB PRIMARY KEY,
    agent_id    TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;

-- The row keeps what is derived from the log (status, assignment, last sequence number); it is
-- updated in the same transaction as the event that changes it.
CREATE TABLE conversations (
    id                 TEXT PRIMARY KEY,
    shop_id            TEXT NOT NULL,
    visitor_id         TEXT NOT NULL REFERENCES visitors(id),
    status             TEXT NOT NULL DEFAULT 'waiting',
    assigned_agent_id  TEXT REFERENCES agents(id),
    last_seq           INTEGER NOT NULL DEFAULT 0,
    last_message       TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX conversations_by_shop ON conversations(shop_id, status, updated_at);
CREATE INDEX conversations_by_visitor ON conversations(visitor_id, created_at);

-- The log: one row per event, numbered per conversation. A client's id is unique per
-- conversation, which is what makes a resend a no-op.
CREATE TABLE events (
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    seq              INTEGER NOT NULL,
    client_id        TEXT,
    author           TEXT NOT NULL,   -- JSON of protocol::Author
    body             TEXT NOT NULL,   -- JSON of protocol::EventBody
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX events_by_client_id ON events(conversation_id, client_id) WHERE client_id IS NOT NULL;
