//! The audit log: every change asked of the PBX, durably, with what became
//! of it. An embedded SQLite database in the state directory, through sqlx
//! (plain queries, no SQLite-only syntax in them) so that the same code can
//! later run on PostgreSQL.
//!
//! A change is recorded as `pending` before anything is written and given
//! its result after: a server killed halfway leaves a pending entry, not a
//! change nobody recorded.

use crate::model::{ChangeEntry, Verification};
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

    /// Newest first: `limit` entries older than `before` (an id), for one endpoint or all.
    pub async fn list(&self, endpoint: Option<&str>, before: Option<i64>, limit: u32) -> Result<Vec<ChangeEntry>, AuditError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM changes WHERE ($1 IS NULL OR endpoint = $1) AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
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
    Ok(ChangeEntry {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
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
        let all: Vec<i64> = log.list(None, None, 10).await.unwrap().iter().map(|e| e.id).collect();
        assert_eq!(all, [b, a]);
        let one: Vec<i64> = log.list(Some("1001"), None, 10).await.unwrap().iter().map(|e| e.id).collect();
        assert_eq!(one, [a]);
        assert!(log.list(None, Some(a), 10).await.unwrap().is_empty());
        assert!(log.get(b + 100).await.unwrap().is_none());
        // Durable: a new connection reads what was written.
        drop(log);
        let again = AuditLog::open(dir.path()).await.unwrap();
        assert_eq!(again.list(None, None, 10).await.unwrap().len(), 2);
    }
}
