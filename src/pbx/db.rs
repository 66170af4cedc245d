//! The state database: one embedded SQLite file in the state directory,
//! through sqlx, holding the audit log, the accounts and the API tokens.
//! The statements are plain SQL (no SQLite-only syntax) so that the same
//! code can later run on PostgreSQL.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::{Path, PathBuf};

/// The database file in the state directory.
pub const FILE: &str = "ispbx.db";

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the state database {path}: {source}")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("cannot create the state directory {path}: {source}")]
    Dir { path: PathBuf, source: std::io::Error },
}

const SCHEMA: [&str; 5] = [
    "CREATE TABLE IF NOT EXISTS changes (
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
    )",
    "CREATE INDEX IF NOT EXISTS changes_endpoint ON changes (endpoint, id)",
    "CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS tokens (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created TEXT NOT NULL,
        last_used TEXT,
        revoked TEXT
    )",
    "CREATE INDEX IF NOT EXISTS tokens_hash ON tokens (token_hash)",
];

/// Opens (or creates) the database in `state_dir`, readable by its owner only.
pub async fn open(state_dir: &Path) -> Result<SqlitePool, DbError> {
    std::fs::create_dir_all(state_dir).map_err(|source| DbError::Dir { path: state_dir.to_path_buf(), source })?;
    let path = state_dir.join(FILE);
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // A row is on disk when its statement returns.
        .synchronous(SqliteSynchronous::Full);
    let open = |source| DbError::Open { path: path.clone(), source };
    let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await.map_err(open)?;
    for statement in SCHEMA {
        sqlx::query(statement).execute(&pool).await.map_err(open)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [path.clone(), state_dir.join(format!("{FILE}-wal")), state_dir.join(format!("{FILE}-shm"))] {
            let _ = std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600));
        }
    }
    Ok(pool)
}

/// UTC, RFC 3339, from the system clock.
pub fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = super::now();
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
        assert!(t.starts_with("20"), "{t}");
    }
}
