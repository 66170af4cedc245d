//! A config's version: one hash over every file a load read, so an edit
//! made on one view of the config is refused once any of them changed.

use super::PjsipConfig;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

impl Version {
    pub fn of(cfg: &PjsipConfig) -> Version {
        Version::of_with(cfg, &[])
    }

    /// The version `cfg` has once `changes` are written: the same files,
    /// those bytes replaced (an edit never adds or removes a directive, so
    /// the files read stay the same). No parse.
    pub fn of_with(cfg: &PjsipConfig, changes: &[super::edit::FileChange]) -> Version {
        let mut h = Sha256::new();
        for (tree, config) in [("main", Some(&cfg.main)), ("wizard", cfg.wizard.as_ref())] {
            h.update(tree.as_bytes());
            let Some(config) = config else {
                h.update(b"\0absent\0");
                continue;
            };
            for f in &config.document.files {
                let path = f.path.as_os_str().as_encoded_bytes();
                h.update((path.len() as u64).to_le_bytes());
                h.update(path);
                let bytes = changes.iter().find(|c| c.path == f.path).map_or(&f.bytes, |c| &c.after);
                h.update((bytes.len() as u64).to_le_bytes());
                h.update(bytes);
            }
        }
        let digest = h.finalize();
        Version(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The files that differ between two loads: changed, added or gone.
pub fn changed_files(old: &PjsipConfig, new: &PjsipConfig) -> Vec<PathBuf> {
    let files = |c: &PjsipConfig| -> Vec<(PathBuf, Vec<u8>)> {
        [Some(&c.main), c.wizard.as_ref()]
            .into_iter()
            .flatten()
            .flat_map(|t| t.document.files.iter().map(|f| (f.path.clone(), f.bytes.clone())))
            .collect()
    };
    let (a, b) = (files(old), files(new));
    let mut out: Vec<PathBuf> = Vec::new();
    for (p, bytes) in &a {
        if !b.iter().any(|(q, other)| q == p && other == bytes) && !out.contains(p) {
            out.push(p.clone());
        }
    }
    for (p, _) in &b {
        if !a.iter().any(|(q, _)| q == p) && !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}
