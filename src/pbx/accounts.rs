//! Accounts and API tokens, in the state database. Passwords are kept as
//! argon2id hashes (OWASP's parameters); tokens, which are long random
//! strings, as their SHA-256. Neither is ever kept, logged or shown in the
//! clear: a generated password or token is handed back once, to be shown.
//!
//! Every change to accounts and tokens, every login and every failed login
//! is recorded in the audit log ([`super::audit`]) here, whoever asks for
//! it (the dashboard, the API, the command line).

use super::audit::{AccessEvent, AuditLog};
use crate::model::{Account, ApiToken, Identity, Role};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use sqlx::{Row, SqlitePool};

/// OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
/// What a password must have at least.
pub const MIN_PASSWORD: usize = 12;
const MAX_PASSWORD: usize = 1024;
/// The prefix that makes an ISPBX token recognisable (in a leak scan, say).
pub const TOKEN_PREFIX: &str = "ispbx_";

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("there is no user named '{0}'")]
    NoUser(String),
    #[error("a user named '{0}' exists already")]
    UserExists(String),
    #[error("a token named '{0}' exists already")]
    TokenExists(String),
    #[error("there is no token named '{0}'")]
    NoToken(String),
    #[error("'{0}' is the last admin: make another admin first")]
    LastAdmin(String),
    #[error("no random source: {0}")]
    Random(String),
    #[error("password hashing: {0}")]
    Hash(String),
    #[error("the accounts: {0}")]
    Query(#[from] sqlx::Error),
}

/// Whether a token ending at `expires` (RFC 3339) has ended. An end that
/// cannot be read counts as ended: a token is refused rather than trusted.
fn expired(expires: Option<&str>, now: time::OffsetDateTime) -> bool {
    expires.is_some_and(|at| time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).map_or(true, |at| at <= now))
}

/// A token's last use is written at most this often: a frontend polling
/// every second must not cost a durable write each time.
const LAST_USE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The condition, within the statement that demotes or removes the user
/// bound as `name` (a placeholder such as `$2`), that another admin remains:
/// one statement, so two admins removing each other at once cannot both succeed.
fn leaves_an_admin(name: &str) -> String {
    format!("(role <> 'admin' OR (SELECT COUNT(*) FROM users WHERE role = 'admin' AND name <> {name}) > 0)")
}

/// Password hashes computed at once (19 MiB each): a burst of logins waits
/// its turn rather than taking the memory.
const HASHING_AT_ONCE: usize = 4;

#[derive(Clone)]
pub struct Accounts {
    hashing: std::sync::Arc<tokio::sync::Semaphore>,
    pool: SqlitePool,
    audit: AuditLog,
    /// When each token's last use was last written, by token hash.
    last_written: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>>,
    /// Verified against when the user does not exist, so that a failed
    /// login takes the same time either way.
    decoy: std::sync::Arc<str>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Accounts")
    }
}

fn argon() -> Argon2<'static> {
    // The parameters are constants within argon2's bounds.
    let params = Params::new(MEMORY_KIB, PASSES, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn random<const N: usize>() -> Result<[u8; N], AccountError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AccountError::Random(e.to_string()))?;
    Ok(bytes)
}

fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::encode_b64(&random::<16>()?).map_err(|e| AccountError::Hash(e.to_string()))?;
    Ok(argon().hash_password(password.as_bytes(), &salt).map_err(|e| AccountError::Hash(e.to_string()))?.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| argon().verify_password(password.as_bytes(), &h).is_ok())
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A name for a user or a token: what a log line and a header can show.
fn check_name(name: &str) -> Result<(), AccountError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid(format!("'{name}' is not a name: 1 to 64 letters, digits and . _ @ -")))
    }
}

fn check_password(password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD || password.len() > MAX_PASSWORD {
        return Err(AccountError::Invalid(format!("a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")));
    }
    Ok(())
}

/// What a signed-in session holds to stay signed in: the account's key at
/// login. Never shown; a new one comes with every new password and account.
#[derive(Clone)]
pub struct SessionKey(String);

impl SessionKey {
    fn new() -> Result<SessionKey, AccountError> {
        // 43 letters and digits: more than 256 bits.
        Ok(SessionKey(random_secret(43)?))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(…)")
    }
}

/// A random password or token body of `len` letters and digits.
pub fn random_secret(len: usize) -> Result<String, AccountError> {
    crate::pjsip::edit::random_text(len).map_err(|e| AccountError::Random(e.to_string()))
}

impl Accounts {
    pub async fn new(pool: SqlitePool) -> Result<Accounts, AccountError> {
        let decoy = tokio::task::spawn_blocking(|| hash_password("a password nobody has"))
            .await
            .map_err(|e| AccountError::Hash(e.to_string()))??;
        Ok(Accounts { hashing: std::sync::Arc::new(tokio::sync::Semaphore::new(HASHING_AT_ONCE)), audit: AuditLog::new(pool.clone()), pool, last_written: Default::default(), decoy: decoy.into() })
    }

    /// An access event in the audit log. Not being able to record one is
    /// logged, and does not undo what was done.
    async fn record(&self, action: &'static str, by: Option<&str>, summary: String, result: &'static str, detail: Option<String>) {
        let event = AccessEvent { action, actor: by, summary, result, detail };
        if let Err(e) = self.audit.record(&event).await {
            tracing::error!("the audit log did not take '{}': {e}", event.summary);
        }
    }

    /// Why a statement guarded by [`leaves_an_admin`] changed nothing: no
    /// such user, or the last admin.
    async fn unchanged(&self, name: &str) -> AccountError {
        match self.user(name).await {
            Ok(Some(_)) => AccountError::LastAdmin(name.to_string()),
            Ok(None) => AccountError::NoUser(name.to_string()),
            Err(e) => e,
        }
    }

    pub async fn is_empty(&self) -> Result<bool, AccountError> {
        let row = sqlx::query("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)? == 0)
    }

    pub async fn add_user(&self, name: &str, role: Role, password: &str, by: &str) -> Result<(), AccountError> {
        check_name(name)?;
        check_password(password)?;
        if self.user(name).await?.is_some() {
            return Err(AccountError::UserExists(name.to_string()));
        }
        let hash = self.hash(password).await?;
        let inserted = sqlx::query("INSERT INTO users (name, role, password_hash, created, session_key) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(role.as_str())
            .bind(hash)
            .bind(super::db::now())
            .bind(SessionKey::new()?.0)
            .execute(&self.pool)
            .await?;
        // Added by someone else since the check above.
        if inserted.rows_affected() == 0 {
            return Err(AccountError::UserExists(name.to_string()));
        }
        self.record("user_add", Some(by), format!("added the {} {name}", role.as_str()), "ok", None).await;
        Ok(())
    }

    /// A new password, which ends every session the account has: the new
    /// session key is returned, for the one session that should stay.
    pub async fn set_password(&self, name: &str, password: &str, by: &str) -> Result<SessionKey, AccountError> {
        check_password(password)?;
        let hash = self.hash(password).await?;
        let key = SessionKey::new()?;
        let done = sqlx::query("UPDATE users SET password_hash = $1, session_key = $2 WHERE name = $3")
            .bind(hash)
            .bind(key.as_str())
            .bind(name)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(AccountError::NoUser(name.to_string()));
        }
        self.record("user_passwd", Some(by), format!("changed the password of {name}"), "ok", None).await;
        Ok(key)
    }

    pub async fn set_role(&self, name: &str, role: Role, by: &str) -> Result<(), AccountError> {
        let guard = if role == Role::Admin { "1 = 1".to_string() } else { leaves_an_admin("$2") };
        let done = sqlx::query(&format!("UPDATE users SET role = $1 WHERE name = $2 AND {guard}")).bind(role.as_str()).bind(name).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(self.unchanged(name).await);
        }
        self.record("user_role", Some(by), format!("made {name} a{} {}", if role == Role::Admin { "n" } else { "" }, role.as_str()), "ok", None).await;
        Ok(())
    }

    pub async fn remove_user(&self, name: &str, by: &str) -> Result<(), AccountError> {
        let done = sqlx::query(&format!("DELETE FROM users WHERE name = $1 AND {}", leaves_an_admin("$1"))).bind(name).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(self.unchanged(name).await);
        }
        self.record("user_remove", Some(by), format!("removed {name}"), "ok", None).await;
        Ok(())
    }

    pub async fn users(&self) -> Result<Vec<Account>, AccountError> {
        let rows = sqlx::query("SELECT name, role, created FROM users ORDER BY name").fetch_all(&self.pool).await?;
        rows.iter().map(user_of).collect()
    }

    pub async fn user(&self, name: &str) -> Result<Option<Account>, AccountError> {
        let row = sqlx::query("SELECT name, role, created FROM users WHERE name = $1").bind(name).fetch_optional(&self.pool).await?;
        row.as_ref().map(user_of).transpose()
    }

    /// The account a session signed in as, while `key` is still its key.
    pub async fn by_session(&self, name: &str, key: &str) -> Result<Option<Account>, AccountError> {
        let row = sqlx::query("SELECT name, role, created FROM users WHERE name = $1 AND session_key = $2 AND session_key <> ''")
            .bind(name)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_of).transpose()
    }

    /// The account `name` when `password` is its password. A missing user
    /// costs one hash verification too. Recorded either way, with `client`
    /// (the address asking); a name no account has is not recorded, since it
    /// may be a password typed in the wrong field.
    pub async fn login(&self, name: &str, password: &str, client: &str) -> Result<Option<(Account, SessionKey)>, AccountError> {
        let row = sqlx::query("SELECT name, role, created, password_hash, session_key FROM users WHERE name = $1").bind(name).fetch_optional(&self.pool).await?;
        let hash: String = match &row {
            Some(r) => r.try_get("password_hash")?,
            None => self.decoy.to_string(),
        };
        let password = password.to_string();
        let ok = match self.hashing.acquire().await {
            Ok(_turn) => tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false),
            Err(_) => false,
        };
        let client = Some(client.to_string());
        match row {
            Some(r) if ok => {
                let user = user_of(&r)?;
                let key = SessionKey(r.try_get("session_key")?);
                self.record("login", Some(&user.name), format!("{} logged in", user.name), "ok", client).await;
                Ok(Some((user, key)))
            }
            Some(r) => {
                let name: String = r.try_get("name")?;
                self.record("login_failed", None, format!("a wrong password for {name}"), "refused", client).await;
                Ok(None)
            }
            None => {
                self.record("login_failed", None, "a login as a user that does not exist".into(), "refused", client).await;
                Ok(None)
            }
        }
    }

    /// An argon2id hash, computed off the async threads, a few at a time.
    async fn hash(&self, password: &str) -> Result<String, AccountError> {
        let _turn = self.hashing.acquire().await.map_err(|e| AccountError::Hash(e.to_string()))?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|e| AccountError::Hash(e.to_string()))?
    }

    /// Records that `name` logged out.
    pub async fn logged_out(&self, name: &str) {
        self.record("logout", Some(name), format!("{name} logged out"), "ok", None).await;
    }

    /// A new token, ending after `lasts` when given: its value, to be shown once.
    pub async fn create_token(&self, name: &str, role: Role, lasts: Option<std::time::Duration>, by: &str) -> Result<String, AccountError> {
        check_name(name)?;
        let expires = match lasts {
            Some(d) => {
                let d = time::Duration::try_from(d).map_err(|_| AccountError::Invalid("a token lasts at most a few centuries".into()))?;
                let at = time::OffsetDateTime::now_utc().checked_add(d).ok_or_else(|| AccountError::Invalid("a token lasts at most a few centuries".into()))?;
                Some(at.format(&time::format_description::well_known::Rfc3339).map_err(|e| AccountError::Invalid(e.to_string()))?)
            }
            None => None,
        };
        let token = format!("{TOKEN_PREFIX}{}", random_secret(40)?);
        let inserted = sqlx::query(
            "INSERT INTO tokens (name, role, token_hash, created, expires) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(token_hash(&token))
        .bind(super::db::now())
        .bind(&expires)
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(AccountError::TokenExists(name.to_string()));
        }
        let until = expires.map(|at| format!(", until {at}")).unwrap_or_default();
        self.record("token_create", Some(by), format!("created the {} token {name}{until}", role.as_str()), "ok", None).await;
        Ok(token)
    }

    pub async fn tokens(&self) -> Result<Vec<ApiToken>, AccountError> {
        let rows = sqlx::query("SELECT name, role, created, last_used, revoked, expires FROM tokens ORDER BY name").fetch_all(&self.pool).await?;
        let now = time::OffsetDateTime::now_utc();
        rows.iter()
            .map(|r| {
                let revoked: Option<String> = r.try_get("revoked")?;
                let expires: Option<String> = r.try_get("expires")?;
                Ok(ApiToken {
                    name: r.try_get("name")?,
                    role: role_of(r)?,
                    created: r.try_get("created")?,
                    last_used: r.try_get("last_used")?,
                    live: revoked.is_none() && !expired(expires.as_deref(), now),
                    revoked,
                    expires,
                })
            })
            .collect()
    }

    pub async fn revoke_token(&self, name: &str, by: &str) -> Result<(), AccountError> {
        let done = sqlx::query("UPDATE tokens SET revoked = $1 WHERE name = $2 AND revoked IS NULL")
            .bind(super::db::now())
            .bind(name)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(AccountError::NoToken(name.to_string()));
        }
        self.record("token_revoke", Some(by), format!("revoked the token {name}"), "ok", None).await;
        Ok(())
    }

    /// Who a bearer token is, if it is a live one (not revoked, not past its
    /// end); its last use is recorded (to the minute).
    pub async fn by_token(&self, token: &str) -> Result<Option<Identity>, AccountError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
            return Ok(None);
        }
        let hash = token_hash(token);
        let row = sqlx::query("SELECT name, role, expires FROM tokens WHERE token_hash = $1 AND revoked IS NULL").bind(&hash).fetch_optional(&self.pool).await?;
        let Some(row) = row else { return Ok(None) };
        if expired(row.try_get::<Option<String>, _>("expires")?.as_deref(), time::OffsetDateTime::now_utc()) {
            return Ok(None);
        }
        let due = {
            let mut written = self.last_written.lock().unwrap_or_else(|e| e.into_inner());
            let now = std::time::Instant::now();
            let due = written.get(&hash).is_none_or(|at| now.duration_since(*at) >= LAST_USE_EVERY);
            if due {
                written.insert(hash.clone(), now);
            }
            due
        };
        if due {
            sqlx::query("UPDATE tokens SET last_used = $1 WHERE token_hash = $2").bind(super::db::now()).bind(&hash).execute(&self.pool).await?;
        }
        Ok(Some(Identity { name: row.try_get("name")?, role: role_of(&row)?, via: "token".into() }))
    }
}

fn role_of(r: &sqlx::sqlite::SqliteRow) -> Result<Role, AccountError> {
    let role: String = r.try_get("role")?;
    Role::parse(&role).ok_or_else(|| AccountError::Invalid(format!("unknown role '{role}' in the state database")))
}

fn user_of(r: &sqlx::sqlite::SqliteRow) -> Result<Account, AccountError> {
    Ok(Account { name: r.try_get("name")?, role: role_of(r)?, created: r.try_get("created")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn accounts() -> (tempfile::TempDir, Accounts) {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::db::open(dir.path()).await.unwrap();
        (dir, Accounts::new(pool).await.unwrap())
    }

    #[tokio::test]
    async fn a_session_key_ends_with_a_new_password_and_with_its_account() {
        let (_dir, a) = accounts().await;
        a.add_user("alice", Role::Admin, "correct horse battery", "t").await.unwrap();
        a.add_user("bob", Role::Viewer, "correct horse battery", "t").await.unwrap();
        let (_, alice) = a.login("alice", "correct horse battery", "::1").await.unwrap().unwrap();
        let (_, bob) = a.login("bob", "correct horse battery", "::1").await.unwrap().unwrap();
        assert_ne!(alice.as_str(), bob.as_str());
        assert!(!format!("{alice:?}").contains(alice.as_str()));
        assert_eq!(a.by_session("alice", alice.as_str()).await.unwrap().map(|u| u.name).as_deref(), Some("alice"));
        // One account's key is not another's.
        assert!(a.by_session("bob", alice.as_str()).await.unwrap().is_none());
        assert!(a.by_session("alice", "").await.unwrap().is_none());

        let fresh = a.set_password("alice", "a new long password", "t").await.unwrap();
        assert!(a.by_session("alice", alice.as_str()).await.unwrap().is_none());
        assert!(a.by_session("alice", fresh.as_str()).await.unwrap().is_some());
        let (_, again) = a.login("alice", "a new long password", "::1").await.unwrap().unwrap();
        assert_eq!(again.as_str(), fresh.as_str());

        a.remove_user("bob", "t").await.unwrap();
        a.add_user("bob", Role::Admin, "correct horse battery", "t").await.unwrap();
        assert!(a.by_session("bob", bob.as_str()).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn passwords_are_argon2id_and_only_the_right_one_logs_in() {
        let (dir, a) = accounts().await;
        assert!(a.is_empty().await.unwrap());
        a.add_user("alice", Role::Admin, "correct horse battery", "t").await.unwrap();
        assert!(matches!(a.add_user("alice", Role::Viewer, "another long password", "t").await, Err(AccountError::UserExists(_))));
        assert!(matches!(a.add_user("bob", Role::Viewer, "short", "t").await, Err(AccountError::Invalid(_))));
        assert!(matches!(a.add_user("no spaces", Role::Viewer, "long enough password", "t").await, Err(AccountError::Invalid(_))));
        assert_eq!(a.login("alice", "correct horse battery", "::1").await.unwrap().map(|(u, _)| u.role), Some(Role::Admin));
        assert!(a.login("alice", "correct horse batterz", "::1").await.unwrap().is_none());
        assert!(a.login("nobody", "correct horse battery", "::1").await.unwrap().is_none());
        a.set_password("alice", "a new long password", "t").await.unwrap();
        assert!(a.login("alice", "correct horse battery", "::1").await.unwrap().is_none());
        assert!(a.login("alice", "a new long password", "::1").await.unwrap().is_some());
        // On disk: the hash, never the password.
        let db = std::fs::read(dir.path().join(super::super::db::FILE)).unwrap();
        let wal = std::fs::read(dir.path().join(format!("{}-wal", super::super::db::FILE))).unwrap_or_default();
        for bytes in [&db, &wal] {
            assert!(!String::from_utf8_lossy(bytes).contains("a new long password"));
        }
        assert!(String::from_utf8_lossy(&[db, wal].concat()).contains("$argon2id$v=19$m=19456,t=2,p=1$"));
        // The last admin stays.
        assert!(matches!(a.remove_user("alice", "t").await, Err(AccountError::LastAdmin(_))));
        assert!(matches!(a.set_role("alice", Role::Viewer, "t").await, Err(AccountError::LastAdmin(_))));
        a.add_user("bob", Role::Admin, "bob's long password", "t").await.unwrap();
        a.set_role("alice", Role::Viewer, "t").await.unwrap();
        assert!(matches!(a.set_role("bob", Role::Viewer, "t").await, Err(AccountError::LastAdmin(_))));
        a.remove_user("alice", "t").await.unwrap();
        assert!(matches!(a.remove_user("alice", "t").await, Err(AccountError::NoUser(_))));
        assert_eq!(a.users().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn logins_and_account_changes_are_in_the_audit_log_without_secrets() {
        let (dir, a) = accounts().await;
        a.add_user("alice", Role::Admin, "correct horse battery", "cli:root").await.unwrap();
        a.login("alice", "correct horse battery", "192.0.2.7").await.unwrap();
        a.login("alice", "wrong horse battery", "192.0.2.8").await.unwrap();
        a.login("correct horse battery", "x", "192.0.2.9").await.unwrap();
        let t = a.create_token("crm", Role::Viewer, None, "alice").await.unwrap();
        a.revoke_token("crm", "alice").await.unwrap();
        a.set_password("alice", "another long password", "alice").await.unwrap();
        a.logged_out("alice").await;
        let log = AuditLog::new(super::super::db::open(dir.path()).await.unwrap());
        let got = log.list(None, None, 50, crate::model::AuditFilter::Access).await.unwrap();
        let seen: Vec<(&str, Option<&str>, &str)> = got.iter().rev().map(|e| (e.action.as_str(), e.actor.as_deref(), e.result.as_str())).collect();
        assert_eq!(
            seen,
            [
                ("user_add", Some("cli:root"), "ok"),
                ("login", Some("alice"), "ok"),
                ("login_failed", None, "refused"),
                ("login_failed", None, "refused"),
                ("token_create", Some("alice"), "ok"),
                ("token_revoke", Some("alice"), "ok"),
                ("user_passwd", Some("alice"), "ok"),
                ("logout", Some("alice"), "ok"),
            ]
        );
        assert_eq!(got.iter().rev().nth(2).and_then(|e| e.detail.as_deref()), Some("192.0.2.8"));
        let text = serde_json::to_string(&got).unwrap();
        for secret in ["correct horse battery", "wrong horse battery", "another long password", t.as_str()] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(log.list(None, None, 50, crate::model::AuditFilter::Config).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn tokens_are_shown_once_kept_hashed_and_revocable() {
        let (_dir, a) = accounts().await;
        let t = a.create_token("crm", Role::Viewer, None, "t").await.unwrap();
        assert!(t.starts_with(TOKEN_PREFIX) && t.len() == TOKEN_PREFIX.len() + 40, "{t}");
        assert!(matches!(a.create_token("crm", Role::Admin, None, "t").await, Err(AccountError::TokenExists(_))));
        let who = a.by_token(&t).await.unwrap().expect("a live token");
        assert_eq!((who.name.as_str(), who.role), ("crm", Role::Viewer));
        assert!(a.tokens().await.unwrap()[0].last_used.is_some());
        assert_eq!(a.by_token(&format!("{t}x")).await.unwrap(), None);
        assert_eq!(a.by_token("Bearer nonsense").await.unwrap(), None);
        a.revoke_token("crm", "t").await.unwrap();
        assert_eq!(a.by_token(&t).await.unwrap(), None);
        assert!(a.tokens().await.unwrap()[0].revoked.is_some());
    }

    #[tokio::test]
    async fn two_admins_removing_each_other_at_once_leave_one() {
        let (_dir, a) = accounts().await;
        a.add_user("alice", Role::Admin, "alice's long password", "t").await.unwrap();
        a.add_user("bob", Role::Admin, "bob's long password!", "t").await.unwrap();
        let (x, y) = tokio::join!(a.remove_user("alice", "bob"), a.remove_user("bob", "alice"));
        assert!(x.is_ok() != y.is_ok(), "{x:?} {y:?}");
        assert!(matches!(x.err().or(y.err()), Some(AccountError::LastAdmin(_))));
        assert_eq!(a.users().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_token_past_its_end_is_refused() {
        let (_dir, a) = accounts().await;
        let lasting = a.create_token("year", Role::Viewer, Some(std::time::Duration::from_secs(365 * 86400)), "t").await.unwrap();
        let short = a.create_token("brief", Role::Admin, Some(std::time::Duration::from_millis(1)), "t").await.unwrap();
        assert!(a.by_token(&lasting).await.unwrap().is_some());
        // Its end is in the past by the time the next statement reads it: written to the nanosecond, read after.
        let ends = a.tokens().await.unwrap().into_iter().find(|t| t.name == "brief").unwrap();
        let end = time::OffsetDateTime::parse(ends.expires.as_deref().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
        while time::OffsetDateTime::now_utc() <= end {
            std::thread::yield_now();
        }
        assert_eq!(a.by_token(&short).await.unwrap(), None);
        assert!(!a.tokens().await.unwrap().into_iter().find(|t| t.name == "brief").unwrap().live);
        assert!(expired(Some("not a time"), time::OffsetDateTime::now_utc()));
        assert!(!expired(None, time::OffsetDateTime::now_utc()));
    }
}
