-- Which of the name and email the shop signed (an identity token), beside the signed user id.
-- Names and emails stored before were never signed (only the user id was): 0 is true of them.
ALTER TABLE visitors ADD COLUMN name_verified INTEGER NOT NULL DEFAULT 0 CHECK (name_verified IN (0, 1));
ALTER TABLE visitors ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1));
