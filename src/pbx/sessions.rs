//! What a dashboard session holds, in one place: whose it is, since when,
//! and the account's session key at login. The key changes with the
//! account's password and with the account itself (removed, then made again
//! under the same name), so a session outlives neither.

use super::accounts::{AccountError, Accounts, SessionKey};
use crate::model::Account;
use std::time::Duration;
use tower_sessions::Session;

/// A session ends this long after its login, used or not.
pub const ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);
const USER: &str = "user";
const SINCE: &str = "since";
const KEY: &str = "key";

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the session store: {0}")]
    Store(#[from] tower_sessions::session::Error),
    #[error(transparent)]
    Accounts(#[from] AccountError),
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Signs `account` in on a new session id (the old one may have been seen).
pub async fn begin(session: &Session, account: &Account, key: &SessionKey) -> Result<(), SessionError> {
    session.cycle_id().await?;
    session.insert(USER, &account.name).await?;
    session.insert(SINCE, unix_now()).await?;
    session.insert(KEY, key.as_str()).await?;
    Ok(())
}

/// The session's account, its role as it is now, while the session is within
/// its absolute lifetime and holds the account's current key. A session that
/// is no longer good is emptied.
pub async fn account(accounts: &Accounts, session: &Session) -> Result<Option<Account>, SessionError> {
    let Some(name) = session.get::<String>(USER).await? else { return Ok(None) };
    let since = session.get::<i64>(SINCE).await?.unwrap_or(0);
    let key = session.get::<String>(KEY).await?.unwrap_or_default();
    let account = match unix_now() - since > ABSOLUTE.as_secs() as i64 {
        true => None,
        false => accounts.by_session(&name, &key).await?,
    };
    if account.is_none() {
        session.flush().await?;
    }
    Ok(account)
}

/// The account this session is signed in as, good or not (who logs out).
pub async fn user(session: &Session) -> Option<String> {
    session.get::<String>(USER).await.ok().flatten()
}

/// Keeps this session signed in after its own account's password changed
/// (which ended every other session of the account).
pub async fn rekey(session: &Session, name: &str, key: &SessionKey) -> Result<(), SessionError> {
    if user(session).await.as_deref() == Some(name) {
        session.cycle_id().await?;
        session.insert(KEY, key.as_str()).await?;
    }
    Ok(())
}
