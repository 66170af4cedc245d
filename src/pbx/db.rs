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
    #[error("cannot bring the state database {path} up to date: {source}")]
    Migrate { path: PathBuf, source: sqlx::migrate::MigrateError },
    #[error("cannot create the state directory {path}: {source}")]
    Dir { path: PathBuf, source: std::io::Error },
}

/// The schema, as migrations built into the binary (`migrations/`): a
/// database made by an older ISPBX is brought up to date when opened.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

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
    MIGRATOR.run(&pool).await.map_err(|source| DbError::Migrate { path: path.clone(), source })?;
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

    #[tokio::test]
    async fn a_database_made_before_migrations_is_brought_up_to_date() {
        use sqlx::Row;
        let dir = tempfile::tempdir().unwrap();
        // What ISPBX made before its schema was kept as migrations.
        let old = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", dir.path().join(super::FILE).display())).await.unwrap();
        sqlx::query("CREATE TABLE tokens (name TEXT PRIMARY KEY, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created TEXT NOT NULL, last_used TEXT, revoked TEXT)")
            .execute(&old)
            .await
            .unwrap();
        sqlx::query("INSERT INTO tokens (name, role, token_hash, created) VALUES ('crm', 'viewer', 'h', 'then')").execute(&old).await.unwrap();
        old.close().await;
        let pool = super::open(dir.path()).await.unwrap();
        let row = sqlx::query("SELECT name, expires FROM tokens").fetch_one(&pool).await.unwrap();
        assert_eq!(row.get::<String, _>("name"), "crm");
        assert_eq!(row.get::<Option<String>, _>("expires"), None);
        pool.close().await;
        // And opened again, nothing is run twice.
        super::open(dir.path()).await.unwrap();
    }
}
