-- The state database as it was first made (CREATE … IF NOT EXISTS, so that a
-- database made before migrations were kept takes this one as done).
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    summary TEXT NOT NULL,
    result TEXT NOT NULL,
    detail TEXT,
    diff TEXT NOT NULL DEFAULT '',
    verification TEXT,
    version_before TEXT,
    version_after TEXT,
    backups TEXT
);
CREATE INDEX IF NOT EXISTS changes_endpoint ON changes (endpoint, id);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    last_used TEXT,
    revoked TEXT
);
CREATE INDEX IF NOT EXISTS tokens_hash ON tokens (token_hash);
