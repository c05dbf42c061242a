-- Orders reach a shop's webhooks on their own lane, so a backlog of cart changes never holds one
-- up. Existing cursors have delivered every order up to their activity position.
ALTER TABLE webhook_cursors ADD COLUMN orders_after INTEGER NOT NULL DEFAULT 0;
UPDATE webhook_cursors SET orders_after = activity_after;
CREATE INDEX activity_orders ON activity (shop_id, id) WHERE kind = 'order_completed';
