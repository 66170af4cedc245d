//! Writing edited config files so that nothing is lost: one writer at a
//! time, across processes; an edit made on a view of the config that is no
//! longer current is refused; the versions it replaces are kept as backups;
//! and the files are replaced whole, all of them or none: every new file is
//! complete and synced before the first rename, and a journal lets the next
//! writer finish the renames of one that died between them.

use super::edit::FileChange;
use super::version::{changed_files, Version};
use super::PjsipConfig;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Backups kept per file, unless told otherwise.
pub const DEFAULT_BACKUPS: usize = 20;
/// How long a writer waits for another one to finish, unless told otherwise.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the config changed since it was read ({}): read it again and redo the edit", list(.changed))]
    Conflict { changed: Vec<PathBuf> },
    #[error("another writer has held the config directory {} for over {} ms", .dir.display(), .waited.as_millis())]
    Busy { dir: PathBuf, waited: Duration },
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

fn io<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(io::Error) -> StoreError + 'p {
    move |source| StoreError::Io { action, path: path.to_path_buf(), source }
}

/// The moments a write passes through, in order (the per-file ones once per file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Locked,
    BackedUp,
    TempWritten,
    TempSynced,
    /// Every new file is ready and the journal says which renames follow.
    Journaled,
    Renamed,
    DirSynced,
}

/// Where backups go, and how many are kept.
#[derive(Debug, Clone)]
pub struct Store {
    pub state_dir: PathBuf,
    pub keep: usize,
    pub lock_wait: Duration,
}

/// What a write did.
#[derive(Debug, Clone)]
pub struct Written {
    pub files: Vec<PathBuf>,
    pub backups: Vec<PathBuf>,
    pub version: Version,
}

impl Store {
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Store { state_dir: state_dir.into(), keep: DEFAULT_BACKUPS, lock_wait: LOCK_WAIT }
    }

    /// Writes `changes`, made on `base`, if the files on disk are still `base`'s.
    pub fn write(&self, base: &PjsipConfig, changes: &[FileChange]) -> Result<Written, StoreError> {
        self.write_observed(base, changes, &mut |_, _| {})
    }

    /// [`Store::write`], telling `observe` each step as it is done.
    pub fn write_observed(
        &self,
        base: &PjsipConfig,
        changes: &[FileChange],
        observe: &mut dyn FnMut(Step, &Path),
    ) -> Result<Written, StoreError> {
        let root = base.root();
        let dir = root.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let _lock = lock(dir, self.lock_wait)?;
        observe(Step::Locked, root);
        self.recover(root)?;
        // Under the lock, the files on disk must be the ones the edit was made on.
        let now = PjsipConfig::load(root);
        if Version::of(&now) != Version::of(base) {
            return Err(StoreError::Conflict { changed: changed_files(base, &now) });
        }
        // A symlinked file is written where it points, and the link stays.
        let targets: Vec<PathBuf> =
            changes.iter().map(|c| fs::canonicalize(&c.path).map_err(io("resolve", &c.path))).collect::<Result<_, _>>()?;
        // A writer that died before its journal left temporary files beside
        // any of the config's files; under the lock, none is in use.
        let every_file: Vec<PathBuf> = now.files().filter_map(|p| fs::canonicalize(p).ok()).collect();
        remove_stale_temps(&every_file);
        let mut backups = Vec::new();
        for c in changes {
            backups.push(self.backup(root, c)?);
            observe(Step::BackedUp, &c.path);
        }
        let backup_dir = self.backup_dir(root);
        File::open(&backup_dir).and_then(|d| d.sync_all()).map_err(io("sync", &backup_dir))?;

        let mut temps: Vec<PathBuf> = Vec::new();
        for (c, target) in changes.iter().zip(&targets) {
            match prepare(target, &c.after, observe) {
                Ok(tmp) => temps.push(tmp),
                Err(e) => {
                    for t in &temps {
                        let _ = fs::remove_file(t);
                    }
                    return Err(e);
                }
            }
        }
        let journal = self.journal(root);
        let pending: Vec<(PathBuf, PathBuf)> = temps.iter().cloned().zip(targets.iter().cloned()).collect();
        if let Err(e) = write_journal(&journal, &pending) {
            for t in &temps {
                let _ = fs::remove_file(t);
            }
            return Err(e);
        }
        observe(Step::Journaled, root);
        // All or none: what was renamed is put back from the bytes it had
        // when a later rename, or making the renames durable, fails. A
        // change reported as not written must not be on disk for the next
        // reload (anyone's) to load unchecked.
        let undo = |renamed: usize, e: StoreError| {
            for ((_, done), c) in pending.iter().zip(changes).take(renamed) {
                let _ = prepare(done, &c.before, &mut |_, _| {}).and_then(|t| fs::rename(&t, done).map_err(io("restore", done)));
            }
            let _ = sync_dirs(&targets);
            for (t, _) in &pending {
                let _ = fs::remove_file(t);
            }
            let _ = fs::remove_file(&journal);
            e
        };
        for (i, (tmp, target)) in pending.iter().enumerate() {
            if let Err(e) = fs::rename(tmp, target) {
                return Err(undo(i, io("rename over", target)(e)));
            }
            observe(Step::Renamed, target);
        }
        if let Err(e) = sync_dirs(&targets) {
            return Err(undo(pending.len(), e));
        }
        observe(Step::DirSynced, root);
        let _ = fs::remove_file(&journal);
        Ok(Written { files: changes.iter().map(|c| c.path.clone()).collect(), backups, version: Version::of_with(base, changes) })
    }

    /// Finishes the renames of a writer that died after its journal: every
    /// file it names was complete and synced, so rolling forward gives the
    /// whole edit. Returns the files it replaced.
    pub fn recover(&self, root: &Path) -> Result<Vec<PathBuf>, StoreError> {
        let journal = self.journal(root);
        let Ok(text) = fs::read(&journal) else { return Ok(Vec::new()) };
        let pending: Vec<(PathBuf, PathBuf)> = serde_json::from_slice(&text).unwrap_or_default();
        let mut done = Vec::new();
        for (tmp, target) in &pending {
            if tmp.exists() {
                fs::rename(tmp, target).map_err(io("finish the interrupted rename over", target))?;
                done.push(target.clone());
            }
        }
        let targets: Vec<PathBuf> = pending.into_iter().map(|(_, t)| t).collect();
        sync_dirs(&targets)?;
        fs::remove_file(&journal).map_err(io("remove", &journal))?;
        Ok(done)
    }

    /// One config's own corner of the state directory: several PBXs' configs
    /// may share it, so each is known by its directory's path.
    fn config_id(root: &Path) -> String {
        use sha2::{Digest, Sha256};
        let dir = root.parent().and_then(|d| fs::canonicalize(d).ok()).unwrap_or_default();
        let digest = Sha256::digest(dir.as_os_str().as_encoded_bytes());
        digest[..6].iter().map(|b| format!("{b:02x}")).collect()
    }

    fn backup_dir(&self, root: &Path) -> PathBuf {
        self.state_dir.join("backups").join(Self::config_id(root))
    }

    fn journal(&self, root: &Path) -> PathBuf {
        self.state_dir.join(format!("pending-{}.json", Self::config_id(root)))
    }

    fn backup(&self, root: &Path, c: &FileChange) -> Result<PathBuf, StoreError> {
        let dir = self.backup_dir(root);
        fs::create_dir_all(&dir).map_err(io("create", &dir))?;
        let base = root.parent().unwrap_or(Path::new(""));
        let rel = c.path.strip_prefix(base).unwrap_or(&c.path);
        let stem: String = rel.to_string_lossy().chars().map(|ch| if ch == '/' { '~' } else { ch }).collect();
        let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let path = dir.join(format!("{stem}.{}.{:09}", t.as_secs(), t.subsec_nanos()));
        let mut f = OpenOptions::new().write(true).create_new(true).mode_private().open(&path).map_err(io("create", &path))?;
        f.write_all(&c.before).map_err(io("write", &path))?;
        f.sync_all().map_err(io("sync", &path))?;
        self.prune(&dir, &stem);
        Ok(path)
    }

    /// Keeps the newest `keep` backups of one file.
    fn prune(&self, dir: &Path, stem: &str) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        let prefix = format!("{stem}.");
        let mut mine: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.strip_prefix(&prefix).is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
                })
            })
            .collect();
        mine.sort();
        let excess = mine.len().saturating_sub(self.keep.max(1));
        for old in &mine[..excess] {
            let _ = fs::remove_file(old);
        }
    }
}

trait PrivateMode {
    fn mode_private(&mut self) -> &mut Self;
}

impl PrivateMode for OpenOptions {
    /// Backups hold passwords: only the owner reads them.
    fn mode_private(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::mode(self, 0o600)
    }
}

/// An exclusive flock(2) on the config directory: every ISPBX process
/// editing the same Asterisk config takes the same lock, and it is released
/// when the process dies.
fn lock(dir: &Path, wait: Duration) -> Result<File, StoreError> {
    let f = File::open(dir).map_err(io("open", dir))?;
    let start = Instant::now();
    loop {
        match f.try_lock() {
            Ok(()) => return Ok(f),
            // flock(2) has no timed wait: poll, so a stuck writer is reported, not waited on forever.
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < wait => std::thread::sleep(Duration::from_millis(20)),
            Err(fs::TryLockError::WouldBlock) => return Err(StoreError::Busy { dir: dir.to_path_buf(), waited: wait }),
            Err(fs::TryLockError::Error(e)) => return Err(io("lock", dir)(e)),
        }
    }
}

fn temp_prefix(path: &Path) -> String {
    format!(".{}.ispbx-", path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
}

/// A writer that died between writing its temporary file and renaming it
/// left that file behind; under the lock no other writer is using one.
fn remove_stale_temps(targets: &[PathBuf]) {
    for t in targets {
        let (Some(dir), prefix) = (t.parent(), temp_prefix(t)) else { continue };
        let Ok(entries) = fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }) else { continue };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&prefix) && name.ends_with(".tmp") {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// The journal: which temporary file becomes which target, synced before
/// the first rename.
fn write_journal(path: &Path, pending: &[(PathBuf, PathBuf)]) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(pending).map_err(|e| io("record", path)(io::Error::other(e)))?;
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io("create", dir))?;
    }
    let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode_private().open(path).map_err(io("create", path))?;
    f.write_all(&bytes).map_err(io("write", path))?;
    f.sync_all().map_err(io("sync", path))?;
    Ok(())
}

fn sync_dirs(targets: &[PathBuf]) -> Result<(), StoreError> {
    let mut dirs: Vec<&Path> = targets.iter().filter_map(|t| t.parent()).collect();
    dirs.dedup();
    for d in dirs {
        File::open(d).and_then(|f| f.sync_all()).map_err(io("sync", d))?;
    }
    Ok(())
}

/// The new bytes of `target` in a temporary file beside it: created 0600
/// (it holds passwords before its mode is set), given the target's owner,
/// group and mode, written and synced.
fn prepare(target: &Path, bytes: &[u8], observe: &mut dyn FnMut(Step, &Path)) -> Result<PathBuf, StoreError> {
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let meta = fs::metadata(target).map_err(io("read the metadata of", target))?;
    let tmp = dir.join(format!("{}{}.tmp", temp_prefix(target), std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).mode_private().open(&tmp).map_err(io("create", &tmp))?;
        if let Err(e) = std::os::unix::fs::fchown(&f, Some(meta.uid()), Some(meta.gid())) {
            // Only root gives a file away; a file we own already keeps its owner.
            let ours = f.metadata().map(|m| m.uid() == meta.uid() && m.gid() == meta.gid()).unwrap_or(false);
            if !ours {
                return Err(io("give the owner and group back to", &tmp)(e));
            }
        }
        f.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777)).map_err(io("set the mode of", &tmp))?;
        f.write_all(bytes).map_err(io("write", &tmp))?;
        observe(Step::TempWritten, target);
        f.sync_all().map_err(io("sync", &tmp))?;
        observe(Step::TempSynced, target);
        Ok(tmp.clone())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
