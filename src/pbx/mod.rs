//! The PBX as the server knows it: the config Asterisk would load (re-read
//! when its files change), the live state Asterisk reports over AMI, and the
//! answers built from both. The JSON API and the dashboard's server functions
//! both read it here; nothing in it knows about HTTP.
//!
//! - `config_store`: pjsip.conf re-read on change, the last good one kept;
//! - `live`: the AMI state as one shared snapshot;
//! - `endpoints`: config + live state → the endpoint answers of [`crate::model`];
//! - `accounts`, `sessions`: who may sign in, and what keeps a dashboard session signed in.

pub mod accounts;
pub mod apply;
pub mod audit;
pub mod config_store;
pub mod db;
pub mod editing;
pub mod feed;
mod endpoints;
pub mod live;
pub mod progress;
pub mod sessions;

pub use config_store::{ConfigSnapshot, ConfigStore};
pub use live::{Live, LivePublisher, LiveSnapshot};

use crate::model::{ConfigStatus, EndpointDetailResponse, EndpointListResponse, EndpointView};
use crate::pjsip::PjsipConfig;
use std::sync::Arc;

/// What a question about the PBX can fail with.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PbxError {
    /// No such endpoint (templates and impossible names included).
    #[error("Extension not found")]
    EndpointNotFound,
    /// The config cannot be read and no earlier good one is known. The cause
    /// is logged where it is found.
    #[error("Error reading PJSIP configuration")]
    ConfigUnavailable,
}

/// The config and the live state. Cheap to clone: every clone shares both.
#[derive(Clone, Debug)]
pub struct Pbx {
    config: ConfigStore,
    live: Live,
    config_path: Arc<str>,
    /// Present when writes are on.
    writes: Option<Arc<Writes>>,
    /// The audit log, read with writes off too (access events are kept in it).
    audit: Option<audit::AuditLog>,
    progress: progress::Progress,
    /// How a change opens an AMI connection of its own, when AMI is configured.
    ami_dial: Option<crate::ami::client::ClientOptions>,
}

/// What changing the PBX takes: the pipeline and the log of what it did.
#[derive(Debug)]
struct Writes {
    applier: apply::Applier,
    audit: audit::AuditLog,
    /// Created extensions' passwords by change id, until shown once.
    reveals: std::sync::Mutex<std::collections::HashMap<i64, Reveal>>,
    /// The changes running: the server does not stop under one.
    running: tokio_util::task::TaskTracker,
}

/// A created extension's password, for the one who asked for it.
struct Reveal {
    at: std::time::Instant,
    /// Who created it (how they asked, and their name): nobody else is shown it.
    creator: Option<(String, String)>,
    password: String,
}

impl Reveal {
    fn new(password: String, creator: Option<crate::model::Principal<'_>>) -> Reveal {
        Reveal { at: std::time::Instant::now(), creator: creator.map(|p| (p.via.to_string(), p.name.to_string())), password }
    }

    fn for_asker(&self, asker: Option<crate::model::Principal<'_>>) -> bool {
        self.creator.as_ref().map(|(via, name)| (via.as_str(), name.as_str())) == asker.map(|p| (p.via, p.name))
    }
}

impl std::fmt::Debug for Reveal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reveal").field("at", &self.at).field("creator", &self.creator).field("password", &crate::secret::REDACTED).finish()
    }
}

/// How long a created extension's password waits to be shown.
const REVEAL_FOR: std::time::Duration = std::time::Duration::from_secs(600);

/// A change started: its id, and its outcome to come.
#[derive(Debug)]
pub struct Submitted {
    pub id: i64,
    done: tokio::task::JoinHandle<Result<apply::Applied, apply::ApplyError>>,
}

impl Submitted {
    /// The outcome if the change ends by `deadline`; else `None`, and the
    /// change goes on to its end all the same.
    pub async fn finished_by(mut self, deadline: tokio::time::Instant) -> Option<Result<(i64, apply::Applied), apply::ApplyError>> {
        let ended = tokio::time::timeout_at(deadline, &mut self.done).await.ok()?;
        let applied = ended.map_err(|e| apply::ApplyError::Unreadable(format!("the change task failed: {e}")));
        Some(applied.and_then(|a| a).map(|a| (self.id, a)))
    }
}

/// What a change is, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// `patch`, `create`, `delete`, `revert`.
    pub action: &'static str,
    pub endpoint: &'a str,
    /// The account or token that asked.
    pub actor: Option<&'a str>,
}

/// Which of an endpoint's objects a change is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointPart {
    #[default]
    Endpoint,
    Aor,
    Auth,
}

impl EndpointPart {
    /// `endpoint`, `aor`, `auth`, as the API's `object` names them.
    pub fn parse(s: &str) -> Option<EndpointPart> {
        match s {
            "endpoint" => Some(EndpointPart::Endpoint),
            "aor" => Some(EndpointPart::Aor),
            "auth" => Some(EndpointPart::Auth),
            _ => None,
        }
    }
}

/// The object of `part` that endpoint `extension` names in `cfg`: the
/// endpoint itself, or its one aor or auth.
pub(crate) fn named_by(cfg: &PjsipConfig, extension: &str, part: EndpointPart) -> Result<(&'static str, String), apply::ApplyError> {
    let Some(endpoint) = cfg.object("endpoint", extension) else {
        return Err(apply::ApplyError::NoEndpoint);
    };
    match part {
        EndpointPart::Endpoint => Ok(("endpoint", extension.to_string())),
        EndpointPart::Aor | EndpointPart::Auth => {
            let (kind, key) = if part == EndpointPart::Aor { ("aor", "aors") } else { ("auth", "auth") };
            let named: Vec<String> = endpoint
                .effective()
                .into_iter()
                .filter(|e| e.name.eq_ignore_ascii_case(key))
                .flat_map(|e| e.value.clear().split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect::<Vec<_>>())
                .collect();
            match named.as_slice() {
                [one] => Ok((kind, one.clone())),
                [] => Err(apply::ApplyError::Invalid(format!("endpoint '{extension}' names no {kind} ({key} is not set)"))),
                many => Err(apply::ApplyError::Invalid(format!(
                    "endpoint '{extension}' names {} {kind}s ({}): change them one by one through the config",
                    many.len(),
                    many.join(", ")
                ))),
            }
        }
    }
}

impl Pbx {
    pub fn new(config: ConfigStore, live: Live) -> Self {
        let config_path = Arc::from(config.path().display().to_string());
        Pbx { config, live, config_path, writes: None, audit: None, progress: progress::Progress::default(), ami_dial: None }
    }

    /// Lets this PBX change its config, backups kept by `store`, every
    /// change recorded in `audit`.
    pub fn with_writes(mut self, store: crate::pjsip::store::Store, audit: audit::AuditLog) -> Self {
        self.audit = Some(audit.clone());
        self.writes = Some(Arc::new(Writes {
            applier: apply::Applier::new(self.config.path(), store),
            audit,
            reveals: Default::default(),
            running: Default::default(),
        }));
        self
    }

    /// Changes open an AMI connection of their own with `options` (see [`apply::AmiLink`]).
    pub fn with_ami_dial(mut self, options: crate::ami::client::ClientOptions) -> Self {
        self.ami_dial = Some(options);
        self
    }

    pub fn writes(&self) -> bool {
        self.writes.is_some()
    }

    /// Keeps the audit log readable with writes off.
    pub fn with_audit(mut self, audit: audit::AuditLog) -> Self {
        self.audit = Some(audit);
        self
    }

    fn audit(&self) -> Result<&audit::AuditLog, apply::ApplyError> {
        self.audit.as_ref().ok_or(apply::ApplyError::WritesOff)
    }

    /// The audit log, newest first (see [`audit::AuditLog::list`]), as far as `reader` may read it.
    pub async fn changes(
        &self,
        endpoint: Option<&str>,
        before: Option<i64>,
        limit: u32,
        filter: crate::model::AuditFilter,
        reader: crate::model::Role,
    ) -> Result<Vec<crate::model::ChangeEntry>, apply::ApplyError> {
        if !filter.readable_by(reader) {
            return Err(apply::ApplyError::Forbidden("access events (logins, accounts, tokens) are for admins".into()));
        }
        self.audit()?.list(endpoint, before, limit, filter).await.map_err(|e| apply::ApplyError::Unreadable(e.to_string()))
    }

    /// One entry of the audit log, with its phase while it runs; an access
    /// event is not there for a reader who may not read it.
    /// `asker` (the account or token) is given the password of an extension
    /// it created, once (see [`Pbx::reveal`]).
    pub async fn change(&self, id: i64, reader: crate::model::Role, asker: Option<crate::model::Principal<'_>>) -> Result<Option<crate::model::ChangeEntry>, apply::ApplyError> {
        let mut entry = self.audit()?.get(id).await.map_err(|e| apply::ApplyError::Unreadable(e.to_string()))?;
        entry = entry.filter(|e| e.kind == crate::model::AuditKind::Config || crate::model::AuditFilter::Access.readable_by(reader));
        if let Some(e) = entry.as_mut() {
            (e.phase, e.steps) = self.progress.of(id);
            // Recorded as pending and no longer running here: the server
            // that ran it stopped halfway.
            if e.result != "pending" {
                e.phase = None;
            }
            if e.result == "applied" && e.action == "create" {
                e.password = self.reveal(id, asker);
            }
        }
        Ok(entry)
    }

    /// Notified at each phase of any change.
    pub fn change_progress(&self) -> tokio::sync::watch::Receiver<Option<crate::model::ChangeProgress>> {
        self.progress.watch()
    }

    /// Records the change as pending and starts it; it runs to its end even
    /// when nobody waits for it: a change is never left written but not
    /// verified. Refusals are recorded too: only a change the audit log
    /// cannot record is refused here.
    pub async fn submit(&self, asked: Asked<'_>, plan: apply::Plan, if_match: Option<String>) -> Result<Submitted, apply::ApplyError> {
        self.submit_keeping(asked, plan, if_match, None).await
    }

    /// [`Pbx::submit`], keeping a password for [`Pbx::reveal`].
    async fn submit_keeping(&self, asked: Asked<'_>, plan: apply::Plan, if_match: Option<String>, reveal: Option<Reveal>) -> Result<Submitted, apply::ApplyError> {
        let writes = self.writes.clone().ok_or(apply::ApplyError::WritesOff)?;
        // Held before anything is recorded: a server stopping waits for
        // this change to end, or has stopped taking changes.
        let turn = writes.running.token();
        if writes.running.is_closed() {
            return Err(apply::ApplyError::Stopping);
        }
        let ami = apply::AmiLink::follow(self.live.session().subscribe()).dialing(self.ami_dial.clone());
        let (config, progress) = (self.config.clone(), self.progress.clone());
        let entry = audit::Asked {
            action: asked.action,
            endpoint: asked.endpoint,
            actor: asked.actor,
            summary: plan.to_string(),
            version_before: if_match.as_deref(),
        };
        // No record, no change.
        let id = writes
            .audit
            .begin(&entry)
            .await
            .map_err(|e| apply::ApplyError::Unreadable(format!("{e}; nothing was written")))?;
        let endpoint = asked.endpoint.to_string();
        progress.enter(id, &endpoint, apply::Phase::Validating);
        if let Some(reveal) = reveal {
            let mut reveals = writes.reveals.lock().unwrap_or_else(|e| e.into_inner());
            reveals.retain(|_, r| r.at.elapsed() < REVEAL_FOR);
            reveals.insert(id, reveal);
        }
        let done = tokio::spawn(async move {
            let _turn = turn;
            // Done is said once the outcome is recorded (below): a page
            // asking in between must still see the change running.
            let phase = |p| {
                if p != apply::Phase::Done {
                    progress.enter(id, &endpoint, p)
                }
            };
            let result = writes.applier.apply(ami, plan, if_match.as_deref(), &phase).await;
            // Whatever happened, the files may differ from what is served.
            config.reload_if_changed().await;
            let detail = result.as_ref().err().map(ToString::to_string);
            let outcome = match &result {
                Ok(a) => audit::Outcome {
                    result: "applied",
                    detail,
                    diff: &a.diff,
                    verification: Some(&a.verification),
                    version_before: Some(&a.version_before),
                    version_after: Some(&a.version),
                    backups: &a.backups,
                },
                Err(apply::ApplyError::RolledBack { verification, diff, .. }) => {
                    audit::Outcome { result: "rolled_back", detail, diff, verification: Some(verification), version_before: None, version_after: None, backups: &[] }
                }
                Err(apply::ApplyError::RollbackFailed { .. } | apply::ApplyError::Store(_) | apply::ApplyError::Unreadable(_)) => {
                    audit::Outcome { result: "failed", detail, diff: "", verification: None, version_before: None, version_after: None, backups: &[] }
                }
                Err(_) => audit::Outcome { result: "refused", detail, diff: "", verification: None, version_before: None, version_after: None, backups: &[] },
            };
            if let Err(e) = writes.audit.finish(id, &outcome).await {
                tracing::error!(change = id, "the outcome of a change could not be recorded: {e}");
            }
            // Only an extension that now exists has a password to give.
            if result.is_err() {
                writes.reveals.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
            }
            progress.finish(id);
            result
        });
        Ok(Submitted { id, done })
    }

    /// Takes no more changes and waits until none is running: a server
    /// stopping must not leave one written but neither verified nor undone.
    pub async fn changes_ended(&self) {
        let Some(writes) = &self.writes else { return };
        writes.running.close();
        if !writes.running.is_empty() {
            tracing::info!("stopping: waiting for the {} change(s) running to end", writes.running.len());
        }
        writes.running.wait().await;
    }

    /// Undoes an applied change by putting its files' previous versions back,
    /// through the same pipeline. Only while nothing changed the config since:
    /// later changes are reverted first, newest first.
    pub async fn submit_revert(&self, id: i64, actor: Option<&str>) -> Result<Submitted, apply::ApplyError> {
        let writes = self.writes.as_ref().ok_or(apply::ApplyError::WritesOff)?;
        let unreadable = |e: audit::AuditError| apply::ApplyError::Unreadable(e.to_string());
        let entry = writes.audit.get(id).await.map_err(unreadable)?.ok_or(apply::ApplyError::NoChange)?;
        let backups = writes.audit.backups(id).await.map_err(unreadable)?;
        let (Some(after), false) = (entry.version_after.clone(), backups.is_empty() || entry.result != "applied") else {
            return Err(apply::ApplyError::Invalid(format!("change {id} was {}: only an applied change that wrote files can be reverted", entry.result)));
        };
        // Said at once when it is plain; the pipeline checks it again.
        if self.snapshot().config_version().is_some_and(|v| v != after) {
            return Err(apply::superseded(id));
        }
        let plan = apply::Plan::Restore { of: id, backups };
        // The config must still be what the change made of it.
        self.submit(Asked { action: "revert", endpoint: &entry.endpoint, actor }, plan, Some(after)).await
    }

    /// Creates an extension from `template` with a new password, given back
    /// by [`Pbx::reveal`] to `creator` once the change is applied.
    pub async fn submit_new_extension(
        &self,
        extension: &str,
        template: &str,
        if_match: Option<String>,
        actor: Option<&str>,
        creator: Option<crate::model::Principal<'_>>,
    ) -> Result<Submitted, apply::ApplyError> {
        let password = crate::pjsip::edit::new_password().map_err(|e| apply::ApplyError::Unreadable(format!("no random source for a password: {e}")))?;
        let change = crate::pjsip::edit::Change::CreateTrio { name: extension.to_string(), template: template.to_string(), password: password.clone() };
        let asked = Asked { action: "create", endpoint: extension, actor };
        self.submit_keeping(asked, apply::Plan::Edit(vec![change]), if_match, Some(Reveal::new(password, creator))).await
    }

    /// A created extension's password, once, after its change is applied,
    /// and only to `asker` if it is who created it (`None` for both where
    /// there are no accounts).
    pub fn reveal(&self, id: i64, asker: Option<crate::model::Principal<'_>>) -> Option<String> {
        let writes = self.writes.as_ref()?;
        if self.progress.of(id).0.is_some() {
            return None;
        }
        let mut reveals = writes.reveals.lock().unwrap_or_else(|e| e.into_inner());
        if !reveals.get(&id)?.for_asker(asker) {
            return None;
        }
        let r = reveals.remove(&id)?;
        (r.at.elapsed() < REVEAL_FOR).then_some(r.password)
    }

    /// The edit `changes` would make, checked, not written: version and edit.
    pub async fn preview(
        &self,
        changes: Vec<crate::pjsip::edit::Change>,
    ) -> Result<(crate::pjsip::version::Version, crate::pjsip::edit::Edited), apply::ApplyError> {
        apply::preview(self.config.path().to_path_buf(), changes).await
    }

    /// The changes that set and unset options of an endpoint or of the aor
    /// or auth it names (it must name exactly one), found in the served
    /// config. Applied without a version of their own, they go through
    /// [`apply::Plan::OfEndpoint`], which finds the aor or auth again in the
    /// config the change is made on.
    pub fn endpoint_changes(
        &self,
        extension: &str,
        part: EndpointPart,
        set: &[(String, String)],
        unset: &[String],
        scope: crate::pjsip::edit::Scope,
    ) -> Result<Vec<crate::pjsip::edit::Change>, apply::ApplyError> {
        use crate::pjsip::edit::{Change, Target};
        let snapshot = self.snapshot();
        let cfg = snapshot.config().map_err(|e| apply::ApplyError::Unreadable(e.to_string()))?;
        let (kind, name) = named_by(cfg, extension, part)?;
        let target = Target { scope, ..Target::new(name, Some(kind)) };
        let mut out: Vec<Change> =
            set.iter().map(|(k, v)| Change::Set { target: target.clone(), key: k.clone(), value: v.clone() }).collect();
        out.extend(unset.iter().map(|k| Change::Unset { target: target.clone(), key: k.clone() }));
        if out.is_empty() {
            return Err(apply::ApplyError::Invalid("nothing to change: give options in `set` or `unset`".into()));
        }
        Ok(out)
    }

    /// Notified at each new live snapshot.
    pub fn live_changes(&self) -> tokio::sync::watch::Receiver<Arc<live::LiveSnapshot>> {
        self.live.changes()
    }

    /// Counts for the metrics: the config's reads (loaded, refused) and the AMI supervisor's.
    pub fn counts(&self) -> Counts {
        use std::sync::atomic::Ordering::Relaxed;
        let (config_loads, config_failures) = self.config.load_counts();
        let ami = self.live.stats();
        Counts {
            config_loads,
            config_failures,
            ami_connections: ami.connections.load(Relaxed),
            ami_failures: ami.failures.load(Relaxed),
            ami_events: ami.events.load(Relaxed),
            ami_resyncs: ami.resyncs.load(Relaxed),
        }
    }

    /// The config and the live state as they are now; every answer read from
    /// one snapshot is consistent with the others.
    pub fn snapshot(&self) -> PbxSnapshot {
        PbxSnapshot {
            config: self.config.snapshot(),
            live: self.live.snapshot(),
            config_path: self.config_path.clone(),
        }
    }
}

/// Monotonic counts since start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub config_loads: u64,
    pub config_failures: u64,
    pub ami_connections: u64,
    pub ami_failures: u64,
    pub ami_events: u64,
    pub ami_resyncs: u64,
}

#[derive(Clone, Debug)]
pub struct PbxSnapshot {
    config: Arc<ConfigSnapshot>,
    live: Arc<LiveSnapshot>,
    config_path: Arc<str>,
}

impl PbxSnapshot {
    /// Whether both halves are the very ones `other` holds: then every answer is the same.
    pub fn same_as(&self, other: &PbxSnapshot) -> bool {
        Arc::ptr_eq(&self.config, &other.config) && Arc::ptr_eq(&self.live, &other.live)
    }

    /// The served config's version: the `ETag` a change's `If-Match` names.
    pub fn config_version(&self) -> Option<&str> {
        self.config.version.as_deref()
    }

    pub(crate) fn config(&self) -> Result<&PjsipConfig, PbxError> {
        self.config.good.as_deref().ok_or(PbxError::ConfigUnavailable)
    }

    fn config_status(&self) -> ConfigStatus {
        ConfigStatus { path: self.config_path.to_string(), error: self.config.error.clone() }
    }

    /// The served config's findings by severity (error, warning, notice).
    pub fn diagnostics_by_severity(&self) -> [(&'static str, usize); 3] {
        use crate::pjsip::Severity;
        let count = |s: Severity| self.config.good.as_ref().map_or(0, |c| c.diagnostics().filter(|d| d.severity == s).count());
        [("error", count(Severity::Error)), ("warning", count(Severity::Warning)), ("notice", count(Severity::Notice))]
    }

    /// `GET /readyz`: ready when a config is loaded and AMI is connected or
    /// deliberately not configured.
    pub fn readiness(&self) -> crate::model::Readiness {
        let config = match (&self.config.good, &self.config.error) {
            (Some(_), None) => "loaded",
            (Some(_), Some(_)) => "loaded (a newer edit is broken; the last good one is served)",
            (None, _) => "none",
        };
        let ami = match (self.live.connected, self.live.configured) {
            (true, _) => "connected",
            (false, false) => "not configured",
            (false, true) => "down",
        };
        let ready = self.config.good.is_some() && (self.live.connected || !self.live.configured);
        let reason = if self.config.good.is_none() {
            Some(format!("no PJSIP configuration Asterisk would load at {}: {}", self.config_path, self.config.error.as_deref().unwrap_or("not read yet")))
        } else if self.live.configured && !self.live.connected {
            Some(format!("AMI: {}", self.live.detail.as_deref().unwrap_or("not connected")))
        } else {
            self.config.error.clone()
        };
        crate::model::Readiness { ready, config: config.into(), ami: ami.into(), reason }
    }

    /// `GET /endpoints`: every endpoint of the config and of Asterisk.
    pub fn endpoint_list(&self) -> Result<EndpointListResponse, PbxError> {
        Ok(endpoints::endpoint_list(self.config()?, self.config_status(), &self.live))
    }

    /// `GET /endpoints/{extension}`.
    pub fn endpoint_detail(&self, name: &str) -> Result<EndpointDetailResponse, PbxError> {
        endpoints::endpoint_detail(self.config()?, &self.live, name).ok_or(PbxError::EndpointNotFound)
    }

    /// `GET /endpoints/{extension}/config`: the effective options, secrets left out.
    pub fn endpoint_config(&self, name: &str) -> Result<serde_json::Map<String, serde_json::Value>, PbxError> {
        endpoints::endpoint_config(self.config()?, name).ok_or(PbxError::EndpointNotFound)
    }

    /// The dashboard's detail page.
    pub fn endpoint_view(&self, name: &str) -> Result<EndpointView, PbxError> {
        endpoints::endpoint_view(self.config()?, &self.live, name).ok_or(PbxError::EndpointNotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::Reveal;
    use crate::model::Principal;

    #[test]
    fn a_created_password_is_for_its_creator_alone() {
        let token = Principal { via: "token", name: "admin" };
        // The account of the same name, through its session, is someone else.
        let account = Principal { via: "session", name: "admin" };
        let r = Reveal::new("Reveal-test-secret".into(), Some(token));
        assert!(r.for_asker(Some(token)));
        assert!(!r.for_asker(Some(account)));
        assert!(!r.for_asker(None));
        let without_accounts = Reveal::new("Reveal-test-secret".into(), None);
        assert!(without_accounts.for_asker(None));
        assert!(!without_accounts.for_asker(Some(account)));
        assert!(!format!("{r:?}").contains("Reveal-test-secret"));
    }
}
