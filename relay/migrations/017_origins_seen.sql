-- The pages' origins where a shop's widget was seen (the visitor socket's Origin), for the
-- install page's check: "seen on https://shop.example 2 minutes ago".
CREATE TABLE origins_seen (
    shop_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (shop_id, origin)
) STRICT, WITHOUT ROWID;
