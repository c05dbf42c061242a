-- Accounts belong to a shop: the same email may have an account in two shops (an agency working
-- for both), and a shop's admin no longer learns that an email is used elsewhere. SQLite cannot
-- drop the old column's UNIQUE, so the table is rebuilt (foreign keys are off while migrating,
-- and checked after).
CREATE TABLE agents_by_shop (
    id             TEXT PRIMARY KEY,
    shop_id        TEXT NOT NULL,
    email          TEXT NOT NULL COLLATE NOCASE,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    role           TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'admin')),
    capacity       INTEGER NOT NULL DEFAULT 5 CHECK (capacity BETWEEN 1 AND 50),
    UNIQUE (shop_id, email)
) STRICT;
INSERT INTO agents_by_shop (id, shop_id, email, name, password_hash, disabled, created_at, role, capacity)
    SELECT id, shop_id, email, name, password_hash, disabled, created_at, role, capacity FROM agents;
DROP TABLE agents;
ALTER TABLE agents_by_shop RENAME TO agents;
-- Logging in looks an email up in every shop.
CREATE INDEX agents_by_email ON agents (email);
