//! Accounts and API tokens, managed from the dashboard: server functions
//! for admins only (the server's gate refuses anyone else before they run,
//! and each checks again). A generated password or a new token is in the
//! answer to the call that made it, and nowhere else, ever.

use crate::model::AccessOverview;
use leptos::prelude::*;

/// The paths of these server functions: only an admin may call them.
#[cfg(feature = "ssr")]
pub fn managing() -> [&'static str; 7] {
    use leptos::server_fn::ServerFn;
    [
        GetAccess::PATH,
        AddAccount::PATH,
        SetAccountRole::PATH,
        SetAccountPassword::PATH,
        RemoveAccount::PATH,
        CreateApiToken::PATH,
        RevokeApiToken::PATH,
    ]
}

/// How the server answers a refused account change: its status and words
/// (the edge's one mapping of errors to statuses).
#[cfg(feature = "ssr")]
#[derive(Clone, Copy)]
pub struct AccountRefusal(pub fn(crate::pbx::accounts::AccountError) -> (axum::http::StatusCode, String));

#[cfg(feature = "ssr")]
mod on_server {
    use crate::app::change_fns::on_server::{answered, failed as refused, identity};
    use crate::model::Role;
    use crate::pbx::accounts::{AccountError, Accounts};
    use crate::pbx::apply::ApplyError;
    use leptos::prelude::*;

    pub fn accounts() -> Accounts {
        expect_context::<Accounts>()
    }

    /// The admin asking, by name (the audit log's actor); 403 for anyone else.
    pub fn admin() -> Result<String, ServerFnError> {
        match identity() {
            Some(i) if i.role == Role::Admin => Ok(i.name),
            _ => Err(refused(ApplyError::Forbidden("only an admin may manage accounts and tokens".into()))),
        }
    }

    pub fn failed(e: AccountError) -> ServerFnError {
        answered(e, use_context::<super::AccountRefusal>().map(|r| r.0))
    }

    pub fn role(role: &str) -> Result<Role, ServerFnError> {
        Role::parse(role).ok_or_else(|| failed(AccountError::Invalid(format!("a role is viewer or admin, not '{role}'"))))
    }

    /// A new password ends every session of its account; the admin who set
    /// their own stays signed in on the session that set it.
    pub async fn keep_signed_in(name: &str, key: &crate::pbx::accounts::SessionKey) {
        // Only a session that is the one asking: a token's request may carry
        // an old cookie, which must stay ended.
        if !identity().is_some_and(|i| i.via == "session" && i.name == name) {
            return;
        }
        let session = use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<tower_sessions::Session>().cloned());
        if let Some(session) = session {
            if let Err(e) = crate::pbx::sessions::rekey(&session, name, key).await {
                tracing::error!("sessions: {e}");
            }
        }
    }

    /// The password typed, or a generated one to show once when none was.
    pub fn password_or_new(typed: Option<String>) -> Result<(String, bool), ServerFnError> {
        match typed.filter(|p| !p.is_empty()) {
            Some(p) => Ok((p, false)),
            None => Ok((crate::pbx::accounts::random_secret(20).map_err(failed)?, true)),
        }
    }
}

/// The accounts and the tokens.
#[server(endpoint = "get_access")]
pub async fn get_access() -> Result<AccessOverview, ServerFnError> {
    let me = on_server::admin()?;
    let a = on_server::accounts();
    let accounts = a.users().await.map_err(on_server::failed)?;
    let tokens = a.tokens().await.map_err(on_server::failed)?;
    Ok(AccessOverview { accounts, tokens, me })
}

/// A new account; its password is generated when none is typed, and then
/// returned, this once.
#[server(endpoint = "add_account")]
pub async fn add_account(name: String, role: String, password: Option<String>) -> Result<Option<String>, ServerFnError> {
    let me = on_server::admin()?;
    let role = on_server::role(&role)?;
    let (password, generated) = on_server::password_or_new(password)?;
    on_server::accounts().add_user(name.trim(), role, &password, &me).await.map_err(on_server::failed)?;
    Ok(generated.then_some(password))
}

#[server(endpoint = "set_account_role")]
pub async fn set_account_role(name: String, role: String) -> Result<(), ServerFnError> {
    let me = on_server::admin()?;
    let role = on_server::role(&role)?;
    on_server::accounts().set_role(&name, role, &me).await.map_err(on_server::failed)
}

/// A new password for an account, generated when none is typed (and then returned, this once).
#[server(endpoint = "set_account_password")]
pub async fn set_account_password(name: String, password: Option<String>) -> Result<Option<String>, ServerFnError> {
    let me = on_server::admin()?;
    let (password, generated) = on_server::password_or_new(password)?;
    let key = on_server::accounts().set_password(&name, &password, &me).await.map_err(on_server::failed)?;
    on_server::keep_signed_in(&name, &key).await;
    Ok(generated.then_some(password))
}

#[server(endpoint = "remove_account")]
pub async fn remove_account(name: String) -> Result<(), ServerFnError> {
    let me = on_server::admin()?;
    on_server::accounts().remove_user(&name, &me).await.map_err(on_server::failed)
}

/// A new API token, working for `days` days when given: its value, this once.
#[server(endpoint = "create_api_token")]
pub async fn create_api_token(name: String, role: String, days: Option<String>) -> Result<String, ServerFnError> {
    let me = on_server::admin()?;
    let role = on_server::role(&role)?;
    let lasts = match days.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => match d.parse::<u64>() {
            Ok(n @ 1..=36_500) => Some(std::time::Duration::from_secs(n * 86_400)),
            _ => return Err(on_server::failed(crate::pbx::accounts::AccountError::Invalid(format!("a token lasts 1 to 36500 days, not '{d}'")))),
        },
    };
    on_server::accounts().create_token(name.trim(), role, lasts, &me).await.map_err(on_server::failed)
}

#[server(endpoint = "revoke_api_token")]
pub async fn revoke_api_token(name: String) -> Result<(), ServerFnError> {
    let me = on_server::admin()?;
    on_server::accounts().revoke_token(&name, &me).await.map_err(on_server::failed)
}
