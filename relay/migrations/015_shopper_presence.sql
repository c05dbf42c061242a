-- When a shopper's last connection went (none while connected), so agents see who is still
-- there and the relay closes conversations whose shopper has long gone. Shoppers known before
-- this column are taken to have left when their conversation last changed.
ALTER TABLE visitors ADD COLUMN left_at INTEGER;
UPDATE visitors SET left_at = COALESCE(
    (SELECT MAX(c.updated_at) FROM conversations c WHERE c.visitor_id = visitors.id), created_at);
