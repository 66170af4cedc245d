//! `ispbx pjsip set|unset|add|delete`: the editing engine for scripts and
//! admins. A dry run prints the diff and what the check found; `--write`
//! applies it through the store (lock, version check, backup, atomic rename).

use crate::cli::{PjsipCommand, TargetArgs, WriteArgs};
use ispbx::pjsip::edit::{self, Change, EditError, NewObject, Target};
use ispbx::pjsip::store::{Store, StoreError};
use ispbx::pjsip::PjsipConfig;
use std::process::ExitCode;

const REFUSED: u8 = 1;
const USAGE: u8 = 2;
const CONFLICT: u8 = 3;
const UNREADABLE: u8 = 4;
const WRITE_FAILED: u8 = 5;

fn target(t: &TargetArgs) -> Target {
    let target = Target::new(t.object.clone(), t.kind.as_deref());
    if t.in_template { target.in_template() } else { target }
}

/// `KEY=VALUE`, `KEY+=ITEM`, `KEY-=ITEM`.
fn assignment(target: &Target, a: &str) -> Result<Change, String> {
    let Some(eq) = a.find('=') else {
        // The argument is not echoed: a mistyped `password:…` is still a password.
        return Err("an argument is not KEY=VALUE, KEY+=ITEM or KEY-=ITEM".into());
    };
    let (key, value) = (&a[..eq], a[eq + 1..].to_string());
    let target = target.clone();
    Ok(match key.as_bytes().last() {
        Some(b'+') => Change::Add { target, key: key[..key.len() - 1].to_string(), items: vec![value] },
        Some(b'-') => Change::Remove { target, key: key[..key.len() - 1].to_string(), items: vec![value] },
        _ => Change::Set { target, key: key.to_string(), value },
    })
}

fn pairs(options: &[String]) -> Result<Vec<(String, String)>, String> {
    options
        .iter()
        .map(|o| o.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| "an option is not KEY=VALUE".to_string()))
        .collect()
}

pub fn run(command: PjsipCommand) -> ExitCode {
    let (path, changes, write, password) = match plan(command) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("ispbx: {why}");
            return ExitCode::from(USAGE);
        }
    };
    let cfg = PjsipConfig::load(&path);
    let edited = match edit::edit(&cfg, &changes) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("ispbx: refused: {e}");
            return ExitCode::from(if matches!(e, EditError::Unloadable(_)) { UNREADABLE } else { REFUSED });
        }
    };
    print!("{}", edit::unified(&edited.files));
    for note in &edited.notes {
        eprintln!("note: {note}");
    }
    let objects = edited.objects;
    eprintln!("check: Asterisk would read the edited config as asked: {objects} objects, no new errors");
    if edited.files.is_empty() {
        eprintln!("nothing to change: the config already says that");
        return ExitCode::SUCCESS;
    }
    if !write.write {
        eprintln!("dry run: nothing written (add --write to apply)");
        return ExitCode::SUCCESS;
    }
    let store = Store { keep: write.backups, ..Store::new(write.state_dir()) };
    match store.write(&cfg, &edited.files) {
        Ok(w) => {
            for (f, b) in w.files.iter().zip(&w.backups) {
                eprintln!("wrote {} (previous version kept as {})", f.display(), b.display());
            }
            if let Some((_, password)) = password {
                // Shown once, on stdout: the phone that registers with it needs it.
                let auth = edited.created.iter().find(|(k, _)| k == "auth").map_or("", |(_, n)| n.as_str());
                println!("password for auth {auth}: {password}");
            }
            eprintln!("reload Asterisk to apply it: asterisk -rx 'module reload res_pjsip.so'");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ispbx: not written: {e}");
            ExitCode::from(match e {
                StoreError::Conflict { .. } | StoreError::Busy { .. } => CONFLICT,
                StoreError::Io { .. } => WRITE_FAILED,
            })
        }
    }
}

type Planned = (std::path::PathBuf, Vec<Change>, WriteArgs, Option<(String, String)>);

fn plan(command: PjsipCommand) -> Result<Planned, String> {
    Ok(match command {
        PjsipCommand::Set { target: t, assignments, write } => {
            let tg = target(&t);
            let changes = assignments.iter().map(|a| assignment(&tg, a)).collect::<Result<_, _>>()?;
            (t.path, changes, write, None)
        }
        PjsipCommand::Unset { target: t, keys, write } => {
            let tg = target(&t);
            let changes = keys.into_iter().map(|key| Change::Unset { target: tg.clone(), key }).collect();
            (t.path, changes, write, None)
        }
        PjsipCommand::Delete { target: t, trio, force, write } => {
            let change = Change::Delete { target: target(&t), trio, force };
            (t.path, vec![change], write, None)
        }
        PjsipCommand::Add { path, name, template, kind, trio, options, write } => {
            if trio {
                if template.len() != 1 || !options.is_empty() || kind.as_deref().is_some_and(|k| k != "endpoint") {
                    return Err("--trio takes one endpoint template and no options; set options afterwards".into());
                }
                let password = edit::new_password().map_err(|e| format!("no random source for the password: {e}"))?;
                let change = Change::CreateTrio { name: name.clone(), template: template[0].clone(), password: password.clone() };
                (path, vec![change], write, Some((name, password)))
            } else {
                let cfg = PjsipConfig::load(&path);
                let kind = match kind {
                    Some(k) => k,
                    None => template_kind(&cfg, &template).ok_or("the template does not say the type: give --type")?,
                };
                let new = NewObject { kind, name, templates: template, options: pairs(&options)? };
                (path, vec![Change::Create(new)], write, None)
            }
        }
        _ => unreachable!("only the editing commands come here"),
    })
}

/// The type the first template that has one gives.
fn template_kind(cfg: &PjsipConfig, templates: &[String]) -> Option<String> {
    templates.iter().find_map(|t| {
        let tree = [Some(&cfg.main), cfg.wizard.as_ref()];
        tree.into_iter().flatten().flat_map(|c| c.categories.iter()).find(|c| *c.name == **t).and_then(|c| c.first("type")).map(|v| v.value.to_string())
    })
}
