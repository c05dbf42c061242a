-- Webhooks follow the relay's own logs instead of a queue of their own: every conversation event
-- is numbered in one shop-wide feed, written in the event's transaction, and each webhook keeps
-- how far it has delivered (of the feed and of the activity log). A receiver that is down for a
-- while misses nothing: its cursor waits.
CREATE TABLE event_feed (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL
) STRICT;
CREATE INDEX event_feed_by_shop ON event_feed (shop_id, id);
CREATE INDEX activity_by_shop ON activity (shop_id, id);

CREATE TABLE webhook_cursors (
    shop_id TEXT NOT NULL,
    url TEXT NOT NULL,
    -- Delivered up to and including these ids (event_feed.id, activity.id).
    feed_after INTEGER NOT NULL,
    activity_after INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    PRIMARY KEY (shop_id, url)
) STRICT, WITHOUT ROWID;
