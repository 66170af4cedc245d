//! Changes to the running PBX, proven. `module reload res_pjsip.so` answers
//! "success" even when Asterisk refused every object it read, so a change is
//! kept only when Asterisk is seen to hold it: the edit is checked, written
//! atomically with a backup, res_pjsip reloads over AMI, and what Asterisk
//! then reports is compared with what was written. When Asterisk did not take
//! it, the previous bytes go back, res_pjsip reloads again, and Asterisk must
//! hold again the objects it held before.
//!
//! One place for the API, the dashboard and the command line. Changes are
//! taken one at a time (and the store's lock keeps other writers out).

use crate::ami::client::{AmiClient, ClientOptions};
use crate::ami::message::{Action, Message};
use crate::ami::AmiError;
use crate::pjsip::edit::{self, Change, EditError, Edited, FileChange};
use crate::pjsip::objects::Object;
use crate::pjsip::option_rules::{self, Kind};
use crate::pjsip::store::{Store, StoreError};
use crate::pjsip::version::Version;
use crate::pjsip::PjsipConfig;
pub use crate::model::{ChangeCheck as Check, ChangePhase as Phase, Verification};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

/// A change Asterisk was seen to take.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    /// Each file written, with where its previous version is kept.
    #[serde(skip)]
    pub backups: Vec<(PathBuf, PathBuf)>,
    /// The config's version the change was made on.
    pub version_before: String,
    /// The config's version after the change (the `ETag` to send next).
    pub version: String,
    /// `diff -u` of the files written, secrets redacted.
    pub diff: String,
    pub files: Vec<PathBuf>,
    pub notes: Vec<String>,
    /// The objects created, as (type, id).
    pub created: Vec<(String, String)>,
    pub verification: Verification,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Refused(#[from] EditError),
    #[error("the config is at version {found}, not {expected}: reload it and make the change again")]
    VersionMismatch { expected: String, found: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Asterisk cannot be reached over AMI ({0}); nothing was written")]
    AmiDown(String),
    #[error("{0}")]
    Transport(String),
    #[error("Asterisk did not take the change, so it was undone and Asterisk holds what it held before: {why}")]
    RolledBack { why: String, verification: Verification, diff: String },
    #[error("Asterisk did not take the change ({why}) and undoing it failed: {undo}. Check the config and Asterisk now")]
    RollbackFailed { why: String, undo: String },
    #[error("the config could not be read: {0}")]
    Unreadable(String),
    #[error("Extension not found")]
    NoEndpoint,
    #[error("Change not found")]
    NoChange,
    /// The config is no longer what a change to be reverted made of it.
    #[error("{0}")]
    Superseded(String),
    #[error("writes are off: start the server with ISPBX_WRITES=on (or --writes on) to change the config")]
    WritesOff,
    #[error("the server is stopping: nothing was written; make the change again once it is back")]
    Stopping,
    /// A request that names no change ISPBX can make, with why.
    #[error("{0}")]
    Invalid(String),
    /// What the asker's role may not read or do.
    #[error("{0}")]
    Forbidden(String),
}

/// Applies changes to one pjsip.conf and the Asterisk that reads it.
#[derive(Debug)]
pub struct Applier {
    root: PathBuf,
    store: Store,
    /// One change at a time: a change is written, reloaded and checked whole.
    turn: tokio::sync::Mutex<()>,
}

/// The names of the objects Asterisk holds, per type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Held {
    /// (type, names) for each type listed.
    lists: Vec<(&'static str, BTreeSet<String>)>,
    /// The aors' and auths' list events: they carry every field.
    details: Vec<((&'static str, String), Message)>,
}

impl Held {
    fn of_kind(&self, kind: &str) -> Option<&BTreeSet<String>> {
        self.lists.iter().find(|(k, _)| *k == kind).map(|(_, names)| names)
    }

    fn detail(&self, kind: &str, name: &str) -> Option<&Message> {
        self.details.iter().find(|((k, n), _)| *k == kind && n == name).map(|(_, m)| m)
    }

    fn kinds(&self) -> Vec<&'static str> {
        self.lists.iter().map(|(k, _)| *k).collect()
    }
}

/// The types Asterisk can list over AMI, with the action and its event.
const LISTS: [(&str, &str, &str); 3] =
    [("endpoint", "PJSIPShowEndpoints", "EndpointList"), ("aor", "PJSIPShowAors", "AorList"), ("auth", "PJSIPShowAuths", "AuthList")];

/// The types whose objects a change can make Asterisk drop: those it
/// changes (sorcery loads each type on its own, and the edit was checked to
/// leave every other object's options as they were); endpoints always.
fn kinds_of(edited: &Edited) -> Vec<&'static str> {
    LISTS
        .iter()
        .map(|(k, _, _)| *k)
        .filter(|k| {
            *k == "endpoint" || edited.changed.iter().any(|o| &*o.kind == *k) || edited.removed.iter().any(|(r, _)| r == k)
        })
        .collect()
}

/// How long each step of a change took, for the log.
#[derive(Debug)]
struct Timings {
    last: std::time::Instant,
    steps: Vec<(&'static str, std::time::Duration)>,
}

impl Default for Timings {
    fn default() -> Self {
        Timings { last: std::time::Instant::now(), steps: Vec::new() }
    }
}

impl Timings {
    fn mark(&mut self, step: &'static str) {
        let now = std::time::Instant::now();
        self.steps.push((step, now - self.last));
        self.last = now;
    }
}

impl std::fmt::Display for Timings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.steps.iter().map(|(s, d)| format!("{s} {} ms", d.as_millis())).collect();
        f.write_str(&parts.join(", "))
    }
}

/// Types whose reload Asterisk cannot be trusted with: most transport
/// options only apply at start, and a bad transport on reload has
/// deadlocked PJSIP (asterisk/asterisk#436).
const UNRELOADABLE: [&str; 1] = ["transport"];

/// Asterisk as a change reaches it: the connection the AMI supervisor has
/// now and, should it drop halfway through a change, the one it makes next.
/// An undo must still reach Asterisk to reload the files it put back.
///
/// When it may dial, a change opens a connection of its own, without
/// events: its lists then neither queue behind the resync the supervisor
/// makes after each reload nor share a socket with the events a reload of
/// thousands of endpoints sets off. The supervisor's connection says whether
/// Asterisk is up, and stands in when a connection of its own cannot be had.
#[derive(Clone, Debug)]
pub struct AmiLink {
    session: tokio::sync::watch::Receiver<Option<AmiClient>>,
    dial: Option<Arc<ClientOptions>>,
}

/// How long an undo waits for the supervisor to reconnect.
const RECONNECT_FOR_UNDO: std::time::Duration = std::time::Duration::from_secs(60);

/// Longer than a change takes even when Asterisk stops answering halfway:
/// each AMI step gives up in time (the reload and the undo's after
/// [`RELOAD_TIMEOUT`], the undo's reconnect after [`RECONNECT_FOR_UNDO`], a
/// connection or a list within seconds: a minute covers those).
pub const LONGEST: std::time::Duration =
    RELOAD_TIMEOUT.saturating_mul(2).saturating_add(RECONNECT_FOR_UNDO).saturating_add(std::time::Duration::from_secs(60));

impl AmiLink {
    /// Following the supervisor's connection ([`crate::pbx::Live::session`]).
    pub fn follow(session: tokio::sync::watch::Receiver<Option<AmiClient>>) -> AmiLink {
        AmiLink { session, dial: None }
    }

    /// Only this connection, or none (a test, a one-off command).
    pub fn fixed(client: Option<AmiClient>) -> AmiLink {
        AmiLink::follow(tokio::sync::watch::channel(client).1)
    }

    /// Each change opens a connection of its own with `options` (logged in
    /// without events, whatever they say).
    pub fn dialing(mut self, options: Option<ClientOptions>) -> AmiLink {
        self.dial = options.map(|o| Arc::new(ClientOptions { events: false, ..o }));
        self
    }

    /// The supervisor's connection now, if it is up.
    pub fn now(&self) -> Option<AmiClient> {
        self.session.borrow().clone().filter(|c| !c.is_closed())
    }

    /// A connection that is up, waiting up to `within` for the supervisor to have one.
    pub async fn up(&self, within: std::time::Duration) -> Option<AmiClient> {
        let supervisors = match self.now() {
            Some(c) => c,
            None => {
                let mut session = self.session.clone();
                let found = tokio::time::timeout(within, async {
                    session.wait_for(|c| c.as_ref().is_some_and(|c| !c.is_closed())).await.ok().and_then(|c| c.clone())
                });
                found.await.ok().flatten()?
            }
        };
        Some(self.own_or(supervisors).await)
    }

    /// A connection of the change's own when it may dial one, else `supervisors`.
    async fn own_or(&self, supervisors: AmiClient) -> AmiClient {
        let Some(options) = &self.dial else { return supervisors };
        match AmiClient::connect(options).await {
            Ok((own, _no_events)) => own,
            Err(e) => {
                tracing::warn!("a change's own AMI connection could not be opened ({e}): it goes over the supervisor's");
                supervisors
            }
        }
    }
}

impl Applier {
    pub fn new(root: impl Into<PathBuf>, store: Store) -> Self {
        Applier { root: root.into(), store, turn: tokio::sync::Mutex::new(()) }
    }

    /// Validates, writes, reloads and verifies `changes`, or undoes them.
    /// `if_match` is the version the change was made on; `progress` hears
    /// each phase as it starts.
    pub async fn apply(
        &self,
        ami: AmiLink,
        plan: Plan,
        if_match: Option<&str>,
        progress: &(dyn Fn(Phase) + Sync),
    ) -> Result<Applied, ApplyError> {
        let _turn = self.turn.lock().await;
        let mut took = Timings::default();
        progress(Phase::Validating);
        let reverting = match &plan {
            Plan::Restore { of, .. } => Some(*of),
            _ => None,
        };
        let root = self.root.clone();
        let (cfg, edited, asked) = blocking(move || {
            let cfg = PjsipConfig::load(&root);
            let (edited, asked) = match plan {
                Plan::Edit(changes) => (edit::edit(&cfg, &changes).map_err(ApplyError::from), asked_of(&changes)),
                Plan::OfEndpoint { extension, part, mut changes } => match super::named_by(&cfg, &extension, part) {
                    Ok((_, name)) => {
                        retarget(&mut changes, &name);
                        (edit::edit(&cfg, &changes).map_err(ApplyError::from), asked_of(&changes))
                    }
                    Err(e) => (Err(e), Vec::new()),
                },
                Plan::Restore { backups, .. } => (restored(&cfg, &backups), Vec::new()),
            };
            (cfg, edited, asked)
        })
        .await?;
        let version = Version::of(&cfg);
        if let Some(expected) = if_match.map(|v| v.trim().trim_matches('"')).filter(|v| *v != "*") {
            if expected != version.as_str() {
                return Err(match reverting {
                    Some(of) => superseded(of),
                    None => ApplyError::VersionMismatch { expected: expected.to_string(), found: version.to_string() },
                });
            }
        }
        let edited = edited?;
        let unreloadable: Vec<String> = edited
            .changed
            .iter()
            .map(|o| (o.kind.to_string(), o.name.to_string()))
            .chain(edited.removed.iter().cloned())
            .filter(|(k, _)| UNRELOADABLE.contains(&k.as_str()))
            .map(|(k, n)| format!("{k} '{n}'"))
            .collect();
        if !unreloadable.is_empty() {
            return Err(ApplyError::Transport(format!(
                "the change touches {}: Asterisk applies most transport options only at start, and a bad transport on reload has deadlocked PJSIP (asterisk/asterisk#436). Change transports in the file and restart Asterisk",
                unreloadable.join(", ")
            )));
        }
        let diff = edit::unified(&edited.files);
        if edited.files.is_empty() {
            return Ok(Applied {
                backups: Vec::new(),
                version_before: version.to_string(),
                version: version.to_string(),
                diff,
                files: Vec::new(),
                notes: edited.notes,
                created: edited.created,
                verification: Verification::default(),
            });
        }
        let client = ami.own_or(ami.now().ok_or_else(|| ApplyError::AmiDown("not connected, or Asterisk has not finished starting: a reload before it has is only queued".into()))?).await;
        took.mark("validate");

        // What Asterisk holds now is asked while the files are written: the
        // files are not read by Asterisk until the reload.
        progress(Phase::Writing);
        let (store, files) = (self.store.clone(), edited.files.clone());
        let base = Arc::new(cfg);
        let writing = {
            let base = base.clone();
            blocking(move || store.write(&base, &files))
        };
        let kinds = kinds_of(&edited);
        let (held, written) = tokio::join!(held(&client, &kinds), writing);
        let written = written??;
        let held = match held {
            Ok(h) => h,
            Err(e) => {
                // Asterisk has not read them: putting the files back is enough.
                let back = reversed(&edited.files);
                let (store, after) = (self.store.clone(), edited.reread(&base));
                let undone = blocking(move || store.write(&after, &back)).await.map_err(|e| e.to_string());
                return match undone.and_then(|w| w.map_err(|e| e.to_string())) {
                    Ok(_) => Err(ApplyError::AmiDown(format!("{e}; the files are as they were"))),
                    Err(undo) => Err(ApplyError::RollbackFailed { why: format!("AMI: {e}"), undo }),
                };
            }
        };
        took.mark("write, and list what Asterisk holds");

        progress(Phase::Reloading);
        let verification = match reload(&client).await {
            Ok(()) => {
                took.mark("reload");
                progress(Phase::Verifying);
                verify(&client, &edited, &held, &asked).await
            }
            Err(e) => Err(e),
        };
        took.mark("verify");
        let verification = match verification {
            Ok(v) if v.ok() => v,
            outcome => {
                let why = match &outcome {
                    Ok(v) => v.failures(),
                    Err(e) => format!("AMI: {e}"),
                };
                progress(Phase::RollingBack);
                let after = edited.reread(&base);
                self.undo(&ami, &client, after, &edited.files, &held).await.map_err(|undo| ApplyError::RollbackFailed { why: why.clone(), undo })?;
                return Err(ApplyError::RolledBack { why, verification: outcome.unwrap_or_default(), diff });
            }
        };
        progress(Phase::Done);
        tracing::info!(timings = %took, "change applied and verified on Asterisk");
        Ok(Applied {
            backups: written.files.into_iter().zip(written.backups).collect(),
            version_before: version.to_string(),
            version: written.version.to_string(),
            diff,
            files: edited.files.iter().map(|f| f.path.clone()).collect(),
            notes: edited.notes,
            created: edited.created,
            verification,
        })
    }

    /// Puts the previous bytes back, reloads, and checks that Asterisk holds
    /// what it held before.
    ///
    /// The connection the change began on may have dropped (Asterisk
    /// restarting under it): the files go back first, which needs no
    /// Asterisk, then the reload goes over whatever connection is up.
    async fn undo(&self, ami: &AmiLink, began_on: &AmiClient, written: PjsipConfig, files: &[FileChange], before: &Held) -> Result<(), String> {
        let back = reversed(files);
        let store = self.store.clone();
        blocking(move || store.write(&written, &back)).await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
        let client = match began_on.is_closed() {
            false => began_on.clone(),
            true => ami.up(RECONNECT_FOR_UNDO).await.ok_or_else(|| {
                format!("the previous files are back, but Asterisk could not be reached within {} s to reload them", RECONNECT_FOR_UNDO.as_secs())
            })?,
        };
        let client = &client;
        reload(client).await.map_err(|e| format!("the previous files are back, but reloading them failed: {e}"))?;
        let now = held(client, &before.kinds()).await.map_err(|e| format!("the previous files are back and reloaded, but Asterisk could not be asked what it holds: {e}"))?;
        if now != *before {
            return Err(format!(
                "the previous files are back and reloaded, but Asterisk holds other objects than before ({})",
                difference(before, &now)
            ));
        }
        Ok(())
    }
}

/// What a change does to the files.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Edits, as the editing engine makes them.
    Edit(Vec<Change>),
    /// Edits of the aor or auth endpoint `extension` names, made to the one
    /// it names in the config the change is made on (under the writers'
    /// lock), not in the one they were made from: a change without a
    /// version of its own must not land on an aor the endpoint no longer names.
    OfEndpoint { extension: String, part: super::EndpointPart, changes: Vec<Change> },
    /// Change `of` undone: its files put back from their backups, (file,
    /// backup) pairs.
    Restore { of: i64, backups: Vec<(PathBuf, PathBuf)> },
}

impl std::fmt::Display for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Plan::Edit(changes) | Plan::OfEndpoint { changes, .. } => f.write_str(&changes.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
            Plan::Restore { backups, .. } => {
                let files: Vec<String> = backups.iter().map(|(file, _)| file.display().to_string()).collect();
                write!(f, "put back {}", files.join(", "))
            }
        }
    }
}

/// A revert of change `id` refused because the config changed after it.
pub fn superseded(id: i64) -> ApplyError {
    ApplyError::Superseded(format!("the config changed after change {id}: revert the later changes first, newest first"))
}

/// The edits, made to the object `name` instead.
fn retarget(changes: &mut [Change], name: &str) {
    for c in changes {
        if let Change::Set { target, .. } | Change::Unset { target, .. } | Change::Add { target, .. } | Change::Remove { target, .. } = c {
            target.name = name.to_string();
        }
    }
}

/// The edit that puts each file back as its backup has it.
fn restored(cfg: &PjsipConfig, backups: &[(PathBuf, PathBuf)]) -> Result<Edited, ApplyError> {
    let mut files = Vec::new();
    for (file, backup) in backups {
        let after = std::fs::read(backup)
            .map_err(|e| ApplyError::Invalid(format!("the backup of {} is no longer kept ({e}): the change cannot be reverted this way", file.display())))?;
        let before = cfg
            .files()
            .any(|f| f == file.as_path())
            .then(|| std::fs::read(file).ok())
            .flatten()
            .ok_or_else(|| ApplyError::Invalid(format!("{} is no longer part of the config", file.display())))?;
        files.push(FileChange { path: file.clone(), before, after });
    }
    Ok(edit::restore(cfg, files)?)
}

/// The edit alone, checked and not written, on the config at `root` as it is now.
pub async fn preview(root: PathBuf, changes: Vec<Change>) -> Result<(Version, Edited), ApplyError> {
    let (cfg, edited) = blocking(move || {
        let cfg = PjsipConfig::load(&root);
        let edited = edit::edit(&cfg, &changes);
        (cfg, edited)
    })
    .await?;
    Ok((Version::of(&cfg), edited?))
}

/// The writes that put `files` back as they were.
fn reversed(files: &[FileChange]) -> Vec<FileChange> {
    files.iter().map(|f| FileChange { path: f.path.clone(), before: f.after.clone(), after: f.before.clone() }).collect()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApplyError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApplyError::Unreadable(e.to_string()))
}

/// `module reload res_pjsip.so`: answered once the reload has run.
/// Asterisk answers `Reload` once the module has reloaded (manager.c's
/// action_reload runs ast_module_reload before it answers): about a second
/// for 5,000 extensions, more for larger configs. Giving up earlier would
/// undo a change Asterisk is still loading.
const RELOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

async fn reload(client: &AmiClient) -> Result<(), AmiError> {
    // Another reload running (an admin's `core reload`) is refused by
    // Asterisk, not queued: wait for it, a while.
    let mut busy = std::time::Duration::from_millis(100);
    loop {
        let answer = client.action_within(Action::new("Reload").header("Module", "res_pjsip.so"), RELOAD_TIMEOUT).await?;
        if answer.is_success() {
            return Ok(());
        }
        let why = answer.message_text().trim().to_string();
        if why != "A reload is in progress" || busy > std::time::Duration::from_secs(5) {
            return Err(AmiError::Action(why));
        }
        tokio::time::sleep(busy).await;
        busy *= 2;
    }
}

/// The names of the objects of `kinds` Asterisk holds.
async fn held(client: &AmiClient, kinds: &[&'static str]) -> Result<Held, AmiError> {
    let lists = LISTS.iter().filter(|(k, _, _)| kinds.contains(k)).map(|(kind, action, event)| async move {
        let list = client.list(Action::new(*action)).await?;
        let items: Vec<(String, Message)> = list
            .into_iter()
            .filter(|m| m.event() == Some(*event))
            .filter_map(|m| Some((m.get("ObjectName")?.to_string(), m)))
            .collect();
        Ok::<_, AmiError>((*kind, items))
    });
    let mut held = Held { lists: Vec::new(), details: Vec::new() };
    for (kind, items) in futures::future::try_join_all(lists).await? {
        held.lists.push((kind, items.iter().map(|(n, _)| n.clone()).collect()));
        if kind != "endpoint" {
            held.details.extend(items.into_iter().map(|(n, m)| ((kind, n), m)));
        }
    }
    Ok(held)
}

fn difference(before: &Held, now: &Held) -> String {
    let mut out = Vec::new();
    for kind in ["endpoint", "aor", "auth"] {
        let (Some(a), Some(b)) = (before.of_kind(kind), now.of_kind(kind)) else { continue };
        out.extend(a.difference(b).map(|n| format!("{kind} {n} missing")));
        out.extend(b.difference(a).map(|n| format!("{kind} {n} extra")));
    }
    out.join(", ")
}

/// Whether Asterisk's rendering of an option says what was written, for the
/// kinds whose rendering is known; `None` when it cannot be told.
fn same_value(rule: &option_rules::OptionRule, written: &str, shown: &str) -> Option<bool> {
    let (written, shown) = (written.trim(), shown.trim());
    match rule.kind {
        Kind::Bool => Some(option_rules::is_true(written) == option_rules::is_true(shown)),
        Kind::Uint { .. } | Kind::Int { .. } => Some(option_rules::c_integer(written) == option_rules::c_integer(shown)),
        // Strings these handlers keep are shown as written; others are
        // re-rendered (auth lists re-joined, IPv6 bracketed, ACLs parsed).
        Kind::Str if !rule.list && rule.alias_of.is_none() && SHOWN_AS_WRITTEN.contains(&rule.handler) => Some(written == shown),
        _ => None,
    }
}

/// Handlers of string options whose value AMI shows exactly as written.
const SHOWN_AS_WRITTEN: [&str; 5] =
    ["OPT_STRINGFIELD_T", "dtls_handler", "caller_id_tag_handler", "voicemail_extension_handler", "contact_user_handler"];

/// The codecs an endpoint allows, in order, as written: `disallow`/`allow` lines applied.
fn allowed_codecs(o: &Object) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in o.fields() {
        let (allow, list) = if f.name.eq_ignore_ascii_case("allow") {
            (true, f.value.clear())
        } else if f.name.eq_ignore_ascii_case("disallow") {
            (false, f.value.clear())
        } else {
            continue;
        };
        for item in crate::pjsip::validate::codec_items(list) {
            let (negate, name) = item.strip_prefix('!').map_or((false, item), |n| (true, n));
            let name = name.split(':').next().unwrap_or(name).trim().to_ascii_lowercase();
            if name == "all" {
                out.clear();
                continue;
            }
            out.retain(|c| *c != name);
            if allow != negate {
                out.push(name);
            }
        }
    }
    out
}

/// Asterisk's view of every object the edit changed, compared with it, and
/// the objects Asterisk held before that it must still hold.
async fn verify(client: &AmiClient, edited: &Edited, before: &Held, asked: &[Asked]) -> Result<Verification, AmiError> {
    let now = held(client, &before.kinds()).await?;
    let mut v = Verification::default();
    let changed: BTreeSet<(String, String)> = edited.changed.iter().map(|o| (o.kind.to_string(), o.name.to_string())).collect();
    let removed: BTreeSet<(String, String)> = edited.removed.iter().cloned().collect();
    for kind in ["endpoint", "aor", "auth"] {
        let (Some(was), Some(is)) = (before.of_kind(kind), now.of_kind(kind)) else { continue };
        for name in was.difference(is) {
            let key = (kind.to_string(), name.clone());
            if !removed.contains(&key) && !changed.contains(&key) {
                v.lost.push(format!("{kind} {name}"));
            }
        }
    }
    for (kind, name) in &removed {
        if now.of_kind(kind).is_some_and(|s| s.contains(name)) && !changed.contains(&(kind.clone(), name.clone())) {
            v.checks.push(Check { kind: kind.clone(), id: name.clone(), option: None, expected: "removed".into(), found: "still loaded".into(), ok: false });
        }
    }
    for o in &edited.changed {
        let Some(set) = now.of_kind(&o.kind) else { continue };
        let present = set.contains(&*o.name);
        v.checks.push(Check {
            kind: o.kind.to_string(),
            id: o.name.to_string(),
            option: None,
            expected: "loaded".into(),
            found: if present { "loaded" } else { "not loaded" }.into(),
            ok: present,
        });
        let keys: Vec<&str> = asked.iter().filter(|a| *a.kind == *o.kind && *a.name == *o.name).map(|a| a.key.as_str()).collect();
        if !present || keys.is_empty() {
            continue;
        }
        if &*o.kind == "endpoint" {
            let answer = client.list(Action::new("PJSIPShowEndpoint").header("Endpoint", o.name.to_string())).await?;
            match answer.iter().find(|m| m.event() == Some("EndpointDetail")) {
                Some(detail) => compare(o, detail, &keys, &mut v),
                None => v.checks.push(Check { kind: "endpoint".into(), id: o.name.to_string(), option: None, expected: "loaded".into(), found: "no EndpointDetail".into(), ok: false }),
            }
        } else if let Some(detail) = now.detail(&o.kind, &o.name) {
            compare(o, detail, &keys, &mut v);
        }
    }
    Ok(v)
}

/// An option a change gives a value: what is compared after the reload.
#[derive(Debug, Clone)]
struct Asked {
    kind: String,
    name: String,
    key: String,
}

/// The options `plan` gives values to (set, or items added or removed); an
/// unset one takes a value from elsewhere and is not compared.
fn asked_of(changes: &[Change]) -> Vec<Asked> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Set { target, key, .. } | Change::Add { target, key, .. } | Change::Remove { target, key, .. } => {
                let kind = target.kind.clone()?;
                Some(Asked { kind, name: target.name.clone(), key: key.to_ascii_lowercase() })
            }
            _ => None,
        })
        .collect()
}

/// The options `keys` of `o` as Asterisk reports them in `detail`, against
/// the values written, for the kinds whose rendering is known: booleans,
/// integers, plain string fields and the codec order. The rest (a caller
/// id Asterisk quotes, a list it re-joins, `allow=all`) is not compared.
fn compare(o: &Object, detail: &Message, keys: &[&str], v: &mut Verification) {
    for key in keys {
        if crate::secret::is_secret_name(key) {
            continue;
        }
        let check = |expected: String, found: String, ok: bool| Check {
            kind: o.kind.to_string(),
            id: o.name.to_string(),
            option: Some(key.to_string()),
            expected,
            found,
            ok,
        };
        if *key == "allow" || *key == "disallow" {
            let written = allowed_codecs(o);
            let shown = detail.get("Allow").unwrap_or_default();
            if written.is_empty() || o.fields().any(|f| f.name.eq_ignore_ascii_case("allow") && f.value.clear().to_ascii_lowercase().contains("all")) {
                continue;
            }
            let found: Vec<String> =
                shown.trim().trim_start_matches('(').trim_end_matches(')').split('|').map(|c| c.trim().to_ascii_lowercase()).filter(|c| !c.is_empty()).collect();
            v.checks.push(check(written.join(","), found.join(","), found == written));
            continue;
        }
        let Some(rule) = option_rules::rule(&o.kind, key) else { continue };
        let Some(written) = o.fields().rev().find(|f| f.name.eq_ignore_ascii_case(key)).map(|f| f.value.clear()) else { continue };
        let Some(shown) = detail.get(&crate::ami::types::field_name(key)) else { continue };
        if let Some(ok) = same_value(rule, written, shown) {
            v.checks.push(check(written.to_string(), shown.to_string(), ok));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_compare_by_kind() {
        let rule = |k: &str| option_rules::rule("endpoint", k).expect("an endpoint option");
        assert_eq!(same_value(rule("direct_media"), "no", "false"), Some(true));
        assert_eq!(same_value(rule("direct_media"), "yes", "false"), Some(false));
        assert_eq!(same_value(rule("context"), "vip", "vip"), Some(true));
        assert_eq!(same_value(rule("context"), "vip", "from-internal"), Some(false));
    }
}
