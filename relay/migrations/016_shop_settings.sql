-- What a shop's admins edit in the console, one JSON document per section ("settings", later
-- "rules"), seeded from the configuration file the first time the relay serves the shop.
CREATE TABLE shop_sections (
    shop_id TEXT NOT NULL,
    section TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, section)
) STRICT, WITHOUT ROWID;

-- Who changed which section of a shop's settings, when, from what to what: a dip in sales can be
-- traced to a change. The seed from the configuration has no agent.
CREATE TABLE shop_changes (
    id INTEGER PRIMARY KEY,
    shop_id TEXT NOT NULL,
    section TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    agent_id TEXT,
    agent_name TEXT,
    before TEXT,
    after TEXT NOT NULL
) STRICT;
CREATE INDEX shop_changes_by_shop ON shop_changes (shop_id, id);
