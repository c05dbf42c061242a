-- Agents and admins: an admin may also manage the shop's agents. Existing accounts are agents,
-- except each shop's first (the one the relay or its operator created first), who is its admin.
ALTER TABLE agents ADD COLUMN role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'admin'));
UPDATE agents SET role = 'admin'
WHERE id IN (SELECT id FROM agents a WHERE created_at = (SELECT MIN(created_at) FROM agents b WHERE b.shop_id = a.shop_id));
