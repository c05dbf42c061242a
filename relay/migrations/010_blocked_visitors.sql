-- Visitors an agent marked as spam: their token opens nothing any more.
ALTER TABLE visitors ADD COLUMN blocked_at INTEGER;
