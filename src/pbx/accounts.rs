//! Accounts and API tokens, in the state database. Passwords are kept as
//! argon2id hashes (OWASP's parameters); tokens, which are long random
//! strings, as their SHA-256. Neither is ever kept, logged or shown in the
//! clear: a generated password or token is handed back once, to be shown.

use crate::model::{Identity, Role};
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
    #[error("no random source: {0}")]
    Random(String),
    #[error("password hashing: {0}")]
    Hash(String),
    #[error("the accounts: {0}")]
    Query(#[from] sqlx::Error),
}

/// An account as listed (never its hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub created: String,
}

/// A token as listed (never its value).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Token {
    pub name: String,
    pub role: Role,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

/// A token's last use is written at most this often: a frontend polling
/// every second must not cost a durable write each time.
const LAST_USE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Clone)]
pub struct Accounts {
    pool: SqlitePool,
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

/// A random password or token body of `len` letters and digits.
pub fn random_secret(len: usize) -> Result<String, AccountError> {
    crate::pjsip::edit::random_text(len).map_err(|e| AccountError::Random(e.to_string()))
}

impl Accounts {
    pub async fn new(pool: SqlitePool) -> Result<Accounts, AccountError> {
        let decoy = tokio::task::spawn_blocking(|| hash_password("a password nobody has"))
            .await
            .map_err(|e| AccountError::Hash(e.to_string()))??;
        Ok(Accounts { pool, last_written: Default::default(), decoy: decoy.into() })
    }

    pub async fn is_empty(&self) -> Result<bool, AccountError> {
        let row = sqlx::query("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)? == 0)
    }

    pub async fn add_user(&self, name: &str, role: Role, password: &str) -> Result<(), AccountError> {
        check_name(name)?;
        check_password(password)?;
        if self.user(name).await?.is_some() {
            return Err(AccountError::UserExists(name.to_string()));
        }
        let hash = blocking_hash(password).await?;
        sqlx::query("INSERT INTO users (name, role, password_hash, created) VALUES ($1, $2, $3, $4)")
            .bind(name)
            .bind(role.as_str())
            .bind(hash)
            .bind(super::db::now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_password(&self, name: &str, password: &str) -> Result<(), AccountError> {
        check_password(password)?;
        let hash = blocking_hash(password).await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2").bind(hash).bind(name).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(AccountError::NoUser(name.to_string()));
        }
        Ok(())
    }

    pub async fn remove_user(&self, name: &str) -> Result<(), AccountError> {
        let done = sqlx::query("DELETE FROM users WHERE name = $1").bind(name).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(AccountError::NoUser(name.to_string()));
        }
        Ok(())
    }

    pub async fn users(&self) -> Result<Vec<User>, AccountError> {
        let rows = sqlx::query("SELECT name, role, created FROM users ORDER BY name").fetch_all(&self.pool).await?;
        rows.iter().map(user_of).collect()
    }

    pub async fn user(&self, name: &str) -> Result<Option<User>, AccountError> {
        let row = sqlx::query("SELECT name, role, created FROM users WHERE name = $1").bind(name).fetch_optional(&self.pool).await?;
        row.as_ref().map(user_of).transpose()
    }

    /// The account `name` when `password` is its password. A missing user
    /// costs one hash verification too.
    pub async fn login(&self, name: &str, password: &str) -> Result<Option<User>, AccountError> {
        let row = sqlx::query("SELECT name, role, created, password_hash FROM users WHERE name = $1").bind(name).fetch_optional(&self.pool).await?;
        let hash: String = match &row {
            Some(r) => r.try_get("password_hash")?,
            None => self.decoy.to_string(),
        };
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
        match row {
            Some(r) if ok => Ok(Some(user_of(&r)?)),
            _ => Ok(None),
        }
    }

    /// A new token: its value, to be shown once.
    pub async fn create_token(&self, name: &str, role: Role) -> Result<String, AccountError> {
        check_name(name)?;
        let token = format!("{TOKEN_PREFIX}{}", random_secret(40)?);
        let inserted = sqlx::query("INSERT INTO tokens (name, role, token_hash, created) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(role.as_str())
            .bind(token_hash(&token))
            .bind(super::db::now())
            .execute(&self.pool)
            .await?;
        if inserted.rows_affected() == 0 {
            return Err(AccountError::TokenExists(name.to_string()));
        }
        Ok(token)
    }

    pub async fn tokens(&self) -> Result<Vec<Token>, AccountError> {
        let rows = sqlx::query("SELECT name, role, created, last_used, revoked FROM tokens ORDER BY name").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(Token {
                    name: r.try_get("name")?,
                    role: role_of(r)?,
                    created: r.try_get("created")?,
                    last_used: r.try_get("last_used")?,
                    revoked: r.try_get("revoked")?,
                })
            })
            .collect()
    }

    pub async fn revoke_token(&self, name: &str) -> Result<(), AccountError> {
        let done = sqlx::query("UPDATE tokens SET revoked = $1 WHERE name = $2 AND revoked IS NULL")
            .bind(super::db::now())
            .bind(name)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(AccountError::NoToken(name.to_string()));
        }
        Ok(())
    }

    /// Who a bearer token is, if it is a live one; its last use is recorded
    /// (to the minute).
    pub async fn by_token(&self, token: &str) -> Result<Option<Identity>, AccountError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
            return Ok(None);
        }
        let hash = token_hash(token);
        let row = sqlx::query("SELECT name, role FROM tokens WHERE token_hash = $1 AND revoked IS NULL").bind(&hash).fetch_optional(&self.pool).await?;
        let Some(row) = row else { return Ok(None) };
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

async fn blocking_hash(password: &str) -> Result<String, AccountError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|e| AccountError::Hash(e.to_string()))?
}

fn role_of(r: &sqlx::sqlite::SqliteRow) -> Result<Role, AccountError> {
    let role: String = r.try_get("role")?;
    Role::parse(&role).ok_or_else(|| AccountError::Invalid(format!("unknown role '{role}' in the state database")))
}

fn user_of(r: &sqlx::sqlite::SqliteRow) -> Result<User, AccountError> {
    Ok(User { name: r.try_get("name")?, role: role_of(r)?, created: r.try_get("created")? })
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
    async fn passwords_are_argon2id_and_only_the_right_one_logs_in() {
        let (dir, a) = accounts().await;
        assert!(a.is_empty().await.unwrap());
        a.add_user("alice", Role::Admin, "correct horse battery").await.unwrap();
        assert!(matches!(a.add_user("alice", Role::Viewer, "another long password").await, Err(AccountError::UserExists(_))));
        assert!(matches!(a.add_user("bob", Role::Viewer, "short").await, Err(AccountError::Invalid(_))));
        assert!(matches!(a.add_user("no spaces", Role::Viewer, "long enough password").await, Err(AccountError::Invalid(_))));
        assert_eq!(a.login("alice", "correct horse battery").await.unwrap().map(|u| u.role), Some(Role::Admin));
        assert_eq!(a.login("alice", "correct horse batterz").await.unwrap(), None);
        assert_eq!(a.login("nobody", "correct horse battery").await.unwrap(), None);
        a.set_password("alice", "a new long password").await.unwrap();
        assert_eq!(a.login("alice", "correct horse battery").await.unwrap(), None);
        assert!(a.login("alice", "a new long password").await.unwrap().is_some());
        // On disk: the hash, never the password.
        let db = std::fs::read(dir.path().join(super::super::db::FILE)).unwrap();
        let wal = std::fs::read(dir.path().join(format!("{}-wal", super::super::db::FILE))).unwrap_or_default();
        for bytes in [&db, &wal] {
            assert!(!String::from_utf8_lossy(bytes).contains("a new long password"));
        }
        assert!(String::from_utf8_lossy(&[db, wal].concat()).contains("$argon2id$v=19$m=19456,t=2,p=1$"));
        a.remove_user("alice").await.unwrap();
        assert!(a.is_empty().await.unwrap());
        assert!(matches!(a.remove_user("alice").await, Err(AccountError::NoUser(_))));
    }

    #[tokio::test]
    async fn tokens_are_shown_once_kept_hashed_and_revocable() {
        let (_dir, a) = accounts().await;
        let t = a.create_token("crm", Role::Viewer).await.unwrap();
        assert!(t.starts_with(TOKEN_PREFIX) && t.len() == TOKEN_PREFIX.len() + 40, "{t}");
        assert!(matches!(a.create_token("crm", Role::Admin).await, Err(AccountError::TokenExists(_))));
        let who = a.by_token(&t).await.unwrap().expect("a live token");
        assert_eq!((who.name.as_str(), who.role), ("crm", Role::Viewer));
        assert!(a.tokens().await.unwrap()[0].last_used.is_some());
        assert_eq!(a.by_token(&format!("{t}x")).await.unwrap(), None);
        assert_eq!(a.by_token("Bearer nonsense").await.unwrap(), None);
        a.revoke_token("crm").await.unwrap();
        assert_eq!(a.by_token(&t).await.unwrap(), None);
        assert!(a.tokens().await.unwrap()[0].revoked.is_some());
    }
}
