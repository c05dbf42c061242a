-- The inbox is paged (a flood of fake chats made the whole of it too large to send): every tab is
-- read a page at a time in one order, longest waiting first, then the most recently active, with
-- the id breaking ties (`checkout_chat_protocol::inbox::InboxKey`, which computes the same rank:
-- 2^52 = 4503599627370496). A generated column, so that an index can hold it and a page after a
-- key, `(inbox_rank, id) > (?, ?)`, is a range of the index instead of a scan.
ALTER TABLE conversations ADD COLUMN inbox_rank INTEGER GENERATED ALWAYS AS
    (CASE WHEN waiting_since IS NULL THEN 4503599627370496 - updated_at ELSE waiting_since END) VIRTUAL;

-- One index per tab, holding only that tab's rows, so pages and counts read nothing else.
CREATE INDEX conversations_inbox_open ON conversations(shop_id, inbox_rank, id)
    WHERE status != 'closed' AND last_seq > 0;
CREATE INDEX conversations_inbox_waiting ON conversations(shop_id, inbox_rank, id)
    WHERE status = 'waiting' AND last_seq > 0;
CREATE INDEX conversations_inbox_mine ON conversations(assigned_agent_id, inbox_rank, id)
    WHERE status = 'active' AND last_seq > 0;
