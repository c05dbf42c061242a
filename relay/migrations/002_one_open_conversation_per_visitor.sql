-- A visitor has at most one conversation that is not closed, however many tabs race to start one.
CREATE UNIQUE INDEX conversations_one_open_per_visitor ON conversations(visitor_id) WHERE status != 'closed';
