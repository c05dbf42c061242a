-- How many conversations each agent takes at once (routing assigns below it).
ALTER TABLE agents ADD COLUMN capacity INTEGER NOT NULL DEFAULT 5 CHECK (capacity BETWEEN 1 AND 50);
CREATE INDEX conversations_by_agent ON conversations(assigned_agent_id, status);

-- For the inbox, derived from the log with the event that changes it: shopper messages no agent
-- has answered yet, and since when.
ALTER TABLE conversations ADD COLUMN unanswered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN waiting_since INTEGER;
UPDATE conversations SET
    unanswered = (SELECT COUNT(*) FROM events e WHERE e.conversation_id = conversations.id
        AND json_extract(e.author, '$.role') = 'visitor'
        AND json_extract(e.body, '$.kind') IN ('message', 'left_message')
        AND e.seq > COALESCE((SELECT MAX(a.seq) FROM events a WHERE a.conversation_id = conversations.id
            AND json_extract(a.author, '$.role') = 'agent' AND json_extract(a.body, '$.kind') = 'message'), 0)),
    waiting_since = (SELECT MIN(e.created_at) FROM events e WHERE e.conversation_id = conversations.id
        AND json_extract(e.author, '$.role') = 'visitor'
        AND json_extract(e.body, '$.kind') IN ('message', 'left_message')
        AND e.seq > COALESCE((SELECT MAX(a.seq) FROM events a WHERE a.conversation_id = conversations.id
            AND json_extract(a.author, '$.role') = 'agent' AND json_extract(a.body, '$.kind') = 'message'), 0))
WHERE status != 'closed';

-- What agents see of the shopper beside the chat: their language and device (from the widget's
-- connection), and the latest cart, checkout step and order (from the activity log, updated in
-- the same transaction as the activity).
ALTER TABLE visitors ADD COLUMN locale TEXT;
ALTER TABLE visitors ADD COLUMN device TEXT;
ALTER TABLE visitors ADD COLUMN cart_total INTEGER;
ALTER TABLE visitors ADD COLUMN cart_currency TEXT;
ALTER TABLE visitors ADD COLUMN checkout_step TEXT;
ALTER TABLE visitors ADD COLUMN last_order_id TEXT;

-- Replies a shop keeps ready, expanded in the console by typing /shortcut.
CREATE TABLE canned_responses (
    shop_id TEXT NOT NULL,
    shortcut TEXT NOT NULL,
    text TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, shortcut)
) STRICT, WITHOUT ROWID;
