//! Where the parser reads files from. Tests and fuzzing use memory; the server uses disk.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The few file operations `#include` needs.
pub trait ConfigFs {
    /// The file's bytes, or an error when it does not exist or is not a regular file.
    fn read(&self, path: &Path) -> Result<Vec<u8>, ReadError>;
    /// Paths matching a glob pattern, sorted, as glob(3) returns them.
    fn glob(&self, pattern: &str) -> Vec<PathBuf>;
}

#[derive(Debug)]
pub enum ReadError {
    NotFound,
    NotRegular,
    Io(io::Error),
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsFs;

impl ConfigFs for OsFs {
    fn read(&self, path: &Path) -> Result<Vec<u8>, ReadError> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::NotFound),
            Err(e) => return Err(ReadError::Io(e)),
            Ok(m) if !m.is_file() => return Err(ReadError::NotRegular),
            Ok(_) => {}
        }
        std::fs::read(path).map_err(ReadError::Io)
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = match glob::glob(pattern) {
            Ok(paths) => paths.filter_map(Result::ok).collect(),
            Err(_) => Vec::new(),
        };
        out.sort();
        out
    }
}

/// An in-memory tree of files, for tests and fuzzing.
#[derive(Debug, Default, Clone)]
pub struct MemFs {
    pub files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemFs {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.into(), bytes.into());
        self
    }
}

impl ConfigFs for MemFs {
    fn read(&self, path: &Path) -> Result<Vec<u8>, ReadError> {
        self.files.get(path).cloned().ok_or(ReadError::NotFound)
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        let Ok(pat) = glob::Pattern::new(pattern) else {
            return Vec::new();
        };
        let opts = glob::MatchOptions {
            require_literal_separator: true,
            ..Default::default()
        };
        self.files
            .keys()
            .filter(|p| pat.matches_path_with(p, opts))
            .cloned()
            .collect()
    }
}

/// True when glob(3) would treat the pattern as a pattern rather than a name.
pub fn has_glob_magic(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// GLOB_BRACE: `a{b,c}d` becomes `abd`, `acd`; nested braces are expanded too.
pub fn expand_braces(pattern: &str) -> Vec<String> {
    let bytes = pattern.as_bytes();
    let Some(open) = pattern.find('{') else {
        return vec![pattern.to_string()];
    };
    let mut depth = 0;
    let mut close = None;
    let mut commas = Vec::new();
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            b',' if depth == 1 => commas.push(i),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![pattern.to_string()];
    };
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(commas);
    bounds.push(close);
    let mut out = Vec::new();
    for w in bounds.windows(2) {
        let alt = &pattern[w[0] + 1..w[1]];
        out.extend(expand_braces(&format!("{head}{alt}{tail}")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_expand_like_glob_brace() {
        assert_eq!(expand_braces("a{b,c}d"), vec!["abd", "acd"]);
        assert_eq!(expand_braces("x{1,{2,3}}"), vec!["x1", "x2", "x3"]);
        assert_eq!(expand_braces("plain"), vec!["plain"]);
        assert_eq!(expand_braces("open{a,b"), vec!["open{a,b"]);
    }

    #[test]
    fn mem_fs_globs() {
        let fs = MemFs::new()
            .with("/etc/a/x.conf", "")
            .with("/etc/a/y.conf", "")
            .with("/etc/a/sub/z.conf", "");
        assert_eq!(
            fs.glob("/etc/a/*.conf"),
            vec![PathBuf::from("/etc/a/x.conf"), PathBuf::from("/etc/a/y.conf")]
        );
    }
}
