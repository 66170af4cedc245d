//! `ispbx user …` and `ispbx token …`: the accounts and tokens in the state
//! database. Exit codes: 0 done, 1 refused (what and why on stderr), 2 the
//! state database cannot be opened.

use crate::cli::{StateArgs, TokenCommand, UserCommand};
use ispbx::pbx::accounts::Accounts;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

async fn accounts(state: &StateArgs) -> Result<Accounts, ExitCode> {
    let dir = state.state_dir();
    let pool = ispbx::pbx::db::open(&dir).await.map_err(|e| {
        eprintln!("ispbx: {e}");
        ExitCode::from(2)
    })?;
    Accounts::new(pool).await.map_err(|e| {
        eprintln!("ispbx: {e}");
        ExitCode::from(2)
    })
}

/// A new password: asked twice at a terminal, else the first line of stdin.
fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the two passwords differ".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

/// The audit log's actor for the command line: the system user running it.
fn by() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

fn done(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ispbx: {e}");
            ExitCode::FAILURE
        }
    }
}

pub async fn user(command: UserCommand, state: StateArgs) -> ExitCode {
    let a = match accounts(&state).await {
        Ok(a) => a,
        Err(code) => return code,
    };
    done(match command {
        UserCommand::Add { name, role } => match read_password() {
            Ok(p) => a.add_user(&name, role.into(), &p, &by()).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        },
        UserCommand::Passwd { name } => match read_password() {
            Ok(p) => a.set_password(&name, &p, &by()).await.map(drop).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        },
        UserCommand::List => a.users().await.map_err(|e| e.to_string()).map(|users| {
            for u in users {
                println!("{}\t{}\t{}", u.name, u.role.as_str(), u.created);
            }
        }),
        UserCommand::Role { name, role } => a.set_role(&name, role.into(), &by()).await.map_err(|e| e.to_string()),
        UserCommand::Remove { name } => a.remove_user(&name, &by()).await.map_err(|e| e.to_string()),
    })
}

pub async fn token(command: TokenCommand, state: StateArgs) -> ExitCode {
    let a = match accounts(&state).await {
        Ok(a) => a,
        Err(code) => return code,
    };
    done(match command {
        TokenCommand::Create { name, role, expires_in } => {
            a.create_token(&name, role.into(), expires_in.map(|d| d.0), &by()).await.map_err(|e| e.to_string()).map(|t| println!("{t}"))
        }
        TokenCommand::List => a.tokens().await.map_err(|e| e.to_string()).map(|tokens| {
            for t in tokens {
                let state = match (&t.revoked, t.live) {
                    (Some(at), _) => format!("revoked {at}"),
                    (None, false) => format!("expired {}", t.expires.as_deref().unwrap_or("")),
                    (None, true) => format!("last used {}", t.last_used.as_deref().unwrap_or("never")),
                };
                let until = t.expires.as_deref().map_or("never expires".to_string(), |at| format!("expires {at}"));
                println!("{}\t{}\t{}\t{}\t{}", t.name, t.role.as_str(), t.created, until, state);
            }
        }),
        TokenCommand::Revoke { name } => a.revoke_token(&name, &by()).await.map_err(|e| e.to_string()),
    })
}
