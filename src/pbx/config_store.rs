//! The config the server answers from: parsed off the request path, re-read only
//! when one of its files changes, and kept at its last good version when an edit
//! breaks it.

use crate::pjsip::{PjsipConfig, WIZARD_FILE};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// What the server currently serves.
#[derive(Debug, Clone)]
pub struct ConfigSnapshot {
    /// The last config Asterisk would load; none until one was read.
    pub good: Option<Arc<PjsipConfig>>,
    /// Why the files on disk are not what is served (a broken edit, a missing file).
    pub error: Option<String>,
    /// The served config's version (see [`crate::pjsip::version`]): what a change names in `If-Match`.
    pub version: Option<Arc<str>>,
}

/// (path, mtime ns, size, inode) of every file a load read, plus pjsip_wizard.conf.
type Fingerprint = Vec<(PathBuf, Option<(i128, u64, u64)>)>;

#[derive(Clone, Debug)]
pub struct ConfigStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    current: RwLock<Arc<ConfigSnapshot>>,
    fingerprint: RwLock<Fingerprint>,
    loads: std::sync::atomic::AtomicU64,
    failures: std::sync::atomic::AtomicU64,
}

fn stat(path: &Path) -> Option<(i128, u64, u64)> {
    let m = std::fs::metadata(path).ok()?;
    let mtime = m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128;
    Some((mtime, m.size(), m.ino()))
}

fn fingerprint_of(root: &Path, cfg: Option<&PjsipConfig>) -> Fingerprint {
    let mut paths: Vec<PathBuf> = vec![root.to_path_buf()];
    if let Some(dir) = root.parent() {
        paths.push(dir.join(WIZARD_FILE));
    }
    if let Some(cfg) = cfg {
        paths.extend(cfg.files().map(Path::to_path_buf));
    }
    paths.sort();
    paths.dedup();
    paths.into_iter().map(|p| {
        let s = stat(&p);
        (p, s)
    }).collect()
}

impl ConfigStore {
    /// Reads the config once (on a blocking thread) and returns the store.
    pub async fn open(path: PathBuf) -> ConfigStore {
        let store = ConfigStore {
            inner: Arc::new(Inner {
                path,
                current: RwLock::new(Arc::new(ConfigSnapshot {
                    good: None,
                    error: Some("not read yet".into()),
                    version: None,
                })),
                fingerprint: RwLock::new(Vec::new()),
                loads: Default::default(),
                failures: Default::default(),
            }),
        };
        store.reload().await;
        store
    }

    /// Reads since start that Asterisk would load, and that it would not.
    pub fn load_counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.inner.loads.load(Relaxed), self.inner.failures.load(Relaxed))
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn snapshot(&self) -> Arc<ConfigSnapshot> {
        self.inner.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Re-reads when a file changed since the last read. Returns true when it re-read.
    pub async fn reload_if_changed(&self) -> bool {
        let root = self.inner.path.clone();
        let old = self.inner.fingerprint.read().unwrap_or_else(|e| e.into_inner()).clone();
        let paths: Vec<PathBuf> = old.iter().map(|(p, _)| p.clone()).collect();
        let now = tokio::task::spawn_blocking(move || {
            if paths.is_empty() {
                return fingerprint_of(&root, None);
            }
            paths.into_iter().map(|p| { let s = stat(&p); (p, s) }).collect::<Fingerprint>()
        })
        .await
        .unwrap_or_default();
        if now == old {
            return false;
        }
        self.reload().await;
        true
    }

    /// Parses the files now, off the async threads.
    pub async fn reload(&self) {
        let root = self.inner.path.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            let cfg = PjsipConfig::load(&root);
            let fp = fingerprint_of(&root, Some(&cfg));
            let version: Arc<str> = Arc::from(crate::pjsip::version::Version::of(&cfg).as_str());
            (cfg, fp, version)
        })
        .await;
        let Ok((cfg, fp, version)) = loaded else {
            tracing::error!("the config parser task failed");
            return;
        };
        *self.inner.fingerprint.write().unwrap_or_else(|e| e.into_inner()) = fp;
        let prev = self.snapshot();
        let next = match cfg.error() {
            None => {
                for d in cfg.diagnostics() {
                    tracing::warn!(target: "ispbx::pjsip", "{d}");
                }
                self.inner.loads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::info!(
                    path = %self.inner.path.display(),
                    objects = cfg.objects.len(),
                    "PJSIP configuration loaded"
                );
                ConfigSnapshot {
                    good: Some(Arc::new(cfg)),
                    error: None,
                    version: Some(version),
                }
            }
            Some(e) => {
                self.inner.failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let kept = if prev.good.is_some() { "; serving the last good configuration" } else { "" };
                tracing::error!(path = %self.inner.path.display(), "Error reading PJSIP configuration: {e}{kept}");
                ConfigSnapshot {
                    good: prev.good.clone(),
                    error: Some(e.to_string()),
                    version: prev.version.clone(),
                }
            }
        };
        *self.inner.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
    }

    /// Checks the files every `every` for as long as the server runs.
    pub fn spawn_watcher(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                store.reload_if_changed().await;
            }
        })
    }
}
