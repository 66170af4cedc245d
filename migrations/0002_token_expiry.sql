-- A token may be made to end on its own (RFC 3339, UTC); NULL never ends.
ALTER TABLE tokens ADD COLUMN expires TEXT;
