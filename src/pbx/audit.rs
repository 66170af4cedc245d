//! The audit log: every change asked of the PBX, durably, with what became
//! of it. An embedded SQLite database in the state directory, through sqlx
//! (plain queries, no SQLite-only syntax in them) so that the same code can
//! later run on PostgreSQL.
//!
//! Access events (logins, failed logins, account and token changes) are kept
//! in the same log, told apart by their action ([`ACCESS_ACTIONS`]).
//!
//! A change is recorded as `pending` before anything is written and given
//! its result after: a server killed halfway leaves a pending entry, not a
//! change nobody recorded.

use crate::model::{AuditFilter, AuditKind, ChangeEntry, Verification};
use sqlx::{Row, SqlitePool};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Db(#[from] super::db::DbError),
    #[error("the audit log: {0}")]
    Query(#[from] sqlx::Error),
}

#[derive(Debug, Clone)]
pub struct AuditLog {
    pool: SqlitePool,
}

/// What was asked, before it is tried.
#[derive(Debug, Clone)]
pub struct Asked<'a> {
    /// `patch`, `create`, `delete`, `revert`.
    pub action: &'a str,
    pub endpoint: &'a str,
    /// Who asked, once accounts exist.
    pub actor: Option<&'a str>,
    /// The changes in words, secrets redacted (their `Display`).
    pub summary: String,
    pub version_before: Option<&'a str>,
}

/// What became of it.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    /// `applied`, `refused`, `rolled_back`, `failed`.
    pub result: &'a str,
    pub detail: Option<String>,
    pub diff: &'a str,
    pub verification: Option<&'a Verification>,
    /// The version the change was made on, when it got that far.
    pub version_before: Option<&'a str>,
    pub version_after: Option<&'a str>,
    /// (file, backup) of each file written: what a revert puts back.
    pub backups: &'a [(PathBuf, PathBuf)],
}

/// The actions of access events: everything else in the log changed the config.
pub const ACCESS_ACTIONS: [&str; 9] =
    ["login", "login_failed", "logout", "user_add", "user_role", "user_passwd", "user_remove", "token_create", "token_revoke"];

/// An access event, recorded whole when it happens.
#[derive(Debug, Clone)]
pub struct AccessEvent<'a> {
    /// One of [`ACCESS_ACTIONS`].
    pub action: &'static str,
    /// Who did it: the account, token or command-line user; none for a failed login.
    pub actor: Option<&'a str>,
    /// In words; never a password, hash or token.
    pub summary: String,
    /// `ok` or `refused`.
    pub result: &'static str,
    /// The client's address, for logins.
    pub detail: Option<String>,
}

fn kind_of(action: &str) -> AuditKind {
    if ACCESS_ACTIONS.contains(&action) {
        AuditKind::Access
    } else {
        AuditKind::Config
    }
}

/// The SQL condition that keeps the entries `filter` asks for.
fn filter_sql(filter: AuditFilter) -> String {
    let access = ACCESS_ACTIONS.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ");
    match filter {
        AuditFilter::All => "1 = 1".into(),
        AuditFilter::Access => format!("action IN ({access})"),
        AuditFilter::Config => format!("action NOT IN ({access})"),
    }
}

const COLUMNS: &str = "id, at, actor, action, endpoint, summary, result, detail, diff, verification, version_before, version_after";

impl AuditLog {
    /// Opens (or creates) the state database in `state_dir` (see [`super::db`]).
    pub async fn open(state_dir: &Path) -> Result<AuditLog, AuditError> {
        Ok(AuditLog::new(super::db::open(state_dir).await?))
    }

    /// The log in an open state database.
    pub fn new(pool: SqlitePool) -> AuditLog {
        AuditLog { pool }
    }

    /// Records a change as pending; returns its id.
    pub async fn begin(&self, asked: &Asked<'_>) -> Result<i64, AuditError> {
        let row = sqlx::query(
            "INSERT INTO changes (at, actor, action, endpoint, summary, result, version_before) VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING id",
        )
        .bind(super::db::now())
        .bind(asked.actor)
        .bind(asked.action)
        .bind(asked.endpoint)
        .bind(&asked.summary)
        .bind(asked.version_before)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Gives a pending change its outcome.
    pub async fn finish(&self, id: i64, outcome: &Outcome<'_>) -> Result<(), AuditError> {
        let verification = outcome.verification.map(|v| serde_json::to_string(v).unwrap_or_default());
        let backups = serde_json::to_string(outcome.backups).unwrap_or_default();
        sqlx::query(
            "UPDATE changes SET result = $1, detail = $2, diff = $3, verification = $4, version_after = $5, version_before = COALESCE($6, version_before), backups = $8 WHERE id = $7",
        )
        .bind(outcome.result)
        .bind(&outcome.detail)
        .bind(outcome.diff)
        .bind(verification)
        .bind(outcome.version_after)
        .bind(outcome.version_before)
        .bind(id)
        .bind(backups)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records an access event; returns its id.
    pub async fn record(&self, event: &AccessEvent<'_>) -> Result<i64, AuditError> {
        let row = sqlx::query(
            "INSERT INTO changes (at, actor, action, endpoint, summary, result, detail) VALUES ($1, $2, $3, '', $4, $5, $6) RETURNING id",
        )
        .bind(super::db::now())
        .bind(event.actor)
        .bind(event.action)
        .bind(&event.summary)
        .bind(event.result)
        .bind(&event.detail)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Newest first: `limit` entries older than `before` (an id), for one
    /// endpoint or all, of the kinds `filter` asks for.
    pub async fn list(&self, endpoint: Option<&str>, before: Option<i64>, limit: u32, filter: AuditFilter) -> Result<Vec<ChangeEntry>, AuditError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM changes WHERE ($1 IS NULL OR endpoint = $1) AND ($2 IS NULL OR id < $2) AND {} ORDER BY id DESC LIMIT $3",
            filter_sql(filter)
        );
        let rows = sqlx::query(&sql).bind(endpoint).bind(before).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(entry).collect()
    }

    /// The (file, backup) pairs a change wrote; none when it wrote nothing.
    pub async fn backups(&self, id: i64) -> Result<Vec<(PathBuf, PathBuf)>, AuditError> {
        let row = sqlx::query("SELECT backups FROM changes WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        let text: Option<String> = row.map(|r| r.try_get(0)).transpose()?.flatten();
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
    }

    pub async fn get(&self, id: i64) -> Result<Option<ChangeEntry>, AuditError> {
        let sql = format!("SELECT {COLUMNS} FROM changes WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(entry).transpose()
    }
}

fn entry(row: &sqlx::sqlite::SqliteRow) -> Result<ChangeEntry, AuditError> {
    let verification: Option<String> = row.try_get("verification")?;
    let action: String = row.try_get("action")?;
    Ok(ChangeEntry {
        kind: kind_of(&action),
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        action,
        endpoint: row.try_get("endpoint")?,
        summary: row.try_get("summary")?,
        result: row.try_get("result")?,
        detail: row.try_get("detail")?,
        diff: row.try_get("diff")?,
        verification: verification.and_then(|v| serde_json::from_str(&v).ok()),
        version_before: row.try_get("version_before")?,
        version_after: row.try_get("version_after")?,
        phase: None,
        steps: Vec::new(),
        password: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_is_pending_then_has_its_outcome_and_lists_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path()).await.unwrap();
        let asked = |endpoint: &'static str| Asked { action: "patch", endpoint, actor: None, summary: format!("set {endpoint}"), version_before: Some("v1") };
        let a = log.begin(&asked("1001")).await.unwrap();
        let b = log.begin(&asked("1002")).await.unwrap();
        assert_eq!(log.get(a).await.unwrap().unwrap().result, "pending");
        let v = Verification::default();
        log.finish(a, &Outcome { result: "applied", detail: None, diff: "+x", verification: Some(&v), version_before: None, version_after: Some("v2"), backups: &[] }).await.unwrap();
        let got = log.get(a).await.unwrap().unwrap();
        assert_eq!((got.result.as_str(), got.diff.as_str(), got.version_after.as_deref()), ("applied", "+x", Some("v2")));
        assert_eq!(got.verification, Some(v));
        let all: Vec<i64> = log.list(None, None, 10, AuditFilter::Config).await.unwrap().iter().map(|e| e.id).collect();
        assert_eq!(all, [b, a]);
        let one: Vec<i64> = log.list(Some("1001"), None, 10, AuditFilter::Config).await.unwrap().iter().map(|e| e.id).collect();
        assert_eq!(one, [a]);
        assert!(log.list(None, Some(a), 10, AuditFilter::Config).await.unwrap().is_empty());
        assert!(log.get(b + 100).await.unwrap().is_none());
        // Durable: a new connection reads what was written.
        drop(log);
        let again = AuditLog::open(dir.path()).await.unwrap();
        assert_eq!(again.list(None, None, 10, AuditFilter::Config).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn access_events_share_the_log_and_are_listed_apart() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path()).await.unwrap();
        let change = log.begin(&Asked { action: "patch", endpoint: "1001", actor: Some("alice"), summary: "set".into(), version_before: None }).await.unwrap();
        let login = log
            .record(&AccessEvent { action: "login", actor: Some("alice"), summary: "alice logged in".into(), result: "ok", detail: Some("127.0.0.1".into()) })
            .await
            .unwrap();
        assert!(login > change, "one sequence for both");
        let ids = |v: Vec<ChangeEntry>| v.iter().map(|e| (e.id, e.kind)).collect::<Vec<_>>();
        assert_eq!(ids(log.list(None, None, 10, AuditFilter::Config).await.unwrap()), [(change, AuditKind::Config)]);
        assert_eq!(ids(log.list(None, None, 10, AuditFilter::Access).await.unwrap()), [(login, AuditKind::Access)]);
        assert_eq!(ids(log.list(None, None, 10, AuditFilter::All).await.unwrap()), [(login, AuditKind::Access), (change, AuditKind::Config)]);
        let got = log.get(login).await.unwrap().unwrap();
        assert_eq!((got.result.as_str(), got.endpoint.as_str(), got.detail.as_deref()), ("ok", "", Some("127.0.0.1")));
    }
}
