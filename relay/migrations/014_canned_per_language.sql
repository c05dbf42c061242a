-- A canned response may have one version per shoppers' language besides the one for every
-- language (lang = ''), so the key gains the language.
CREATE TABLE canned_responses_by_lang (
    shop_id TEXT NOT NULL,
    shortcut TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, shortcut, lang)
) STRICT, WITHOUT ROWID;
INSERT INTO canned_responses_by_lang (shop_id, shortcut, lang, text, updated_at)
    SELECT shop_id, shortcut, '', text, updated_at FROM canned_responses;
DROP TABLE canned_responses;
ALTER TABLE canned_responses_by_lang RENAME TO canned_responses;
