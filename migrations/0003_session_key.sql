-- A session stays signed in only while its account's key is the one it was
-- given at login: a new password, or a removed account made again under the
-- same name, ends every session the old one had.
ALTER TABLE users ADD COLUMN session_key TEXT NOT NULL DEFAULT '';
UPDATE users SET session_key = lower(hex(randomblob(32)));
