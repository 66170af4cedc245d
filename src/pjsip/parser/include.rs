//! ast_config_internal_load and the directives: `#include`/`#tryinclude` (with
//! their include level, globs and brace expansion) and `#exec`, which is never run.

use crate::pjsip::diagnostic::Severity;
use crate::pjsip::document::{FileId, SourceFile};
use crate::pjsip::fs::{expand_braces, has_glob_magic, ReadError};
use super::cstr::strip_range;
use super::{Fatal, FileState, GlobCarry, Parser, MAX_BYTES_READ, MAX_FILES_READ, MAX_INCLUDE_LEVEL};
use std::path::PathBuf;

pub(super) enum FileResult {
    Loaded,
    /// `NULL`: nothing was read (not found, not regular, include depth).
    NotFound,
    /// CONFIG_STATUS_FILEINVALID.
    Invalid,
}

impl<'a> Parser<'a> {
    /// ast_config_internal_load + config_text_file_load's glob loop.
    pub(super) fn internal_load(&mut self, filename: &str, from: Option<(FileId, u32)>) -> FileResult {
        let full = if filename.starts_with('/') || from.is_none() {
            filename.to_string()
        } else {
            format!("{}/{}", self.etc_dir.display(), filename)
        };
        if self.include_level == MAX_INCLUDE_LEVEL {
            if let Some((file, line)) = from {
                self.fdiag(
                    file,
                    line,
                    Severity::Warning,
                    format!("Maximum Include level ({MAX_INCLUDE_LEVEL}) exceeded"),
                );
                // config.c reads a loop ten levels deep and goes on; Asterisk
                // 22.10.1 itself then dies at boot (fidelity case 50).
                if self.include_stack.contains(&full) {
                    self.fdiag(
                        file,
                        line,
                        Severity::Error,
                        format!("#include of {full} is a loop: Asterisk 22.10.1 crashes (SIGSEGV) loading this config; break the loop"),
                    );
                }
            }
            return FileResult::NotFound;
        }
        self.include_level += 1;
        self.include_stack.push(full.clone());
        let paths: Vec<PathBuf> = if has_glob_magic(&full) || full.contains('{') {
            let mut v = Vec::new();
            for alt in expand_braces(&full) {
                if has_glob_magic(&alt) {
                    v.extend(self.fs.glob(&alt));
                } else {
                    v.push(PathBuf::from(alt));
                }
            }
            v
        } else {
            vec![PathBuf::from(full)]
        };

        let mut count = 0;
        let mut result = FileResult::Loaded;
        let mut carry = GlobCarry::default();
        for path in paths {
            let bytes = match self.fs.read(&path) {
                Ok(b) => b,
                Err(ReadError::NotRegular) => {
                    self.diag(
                        Severity::Warning,
                        path.clone(),
                        0,
                        format!("'{}' is not a regular file, ignoring", path.display()),
                    );
                    continue;
                }
                Err(ReadError::NotFound) => continue,
                Err(ReadError::Io(e)) => {
                    self.diag(
                        Severity::Warning,
                        path.clone(),
                        0,
                        format!("Parsing '{}': {e}", path.display()),
                    );
                    continue;
                }
            };
            if self.cfg.document.files.len() >= MAX_FILES_READ
                || self.bytes_read + bytes.len() > MAX_BYTES_READ
            {
                self.diag(
                    Severity::Error,
                    path.clone(),
                    0,
                    format!(
                        "Stopped reading at '{}': more than {MAX_FILES_READ} files or {} MB read through #include (an include cycle?)",
                        path.display(),
                        MAX_BYTES_READ >> 20
                    ),
                );
                result = FileResult::Invalid;
                break;
            }
            count += 1;
            self.bytes_read += bytes.len();
            self.cfg.document.files.push(SourceFile::new(path, bytes));
            let file = self.cfg.document.files.len() - 1;
            if !self.text_file_load(file, &mut carry) {
                result = FileResult::Invalid;
                break;
            }
        }
        // config.c only steps the level back down when the file was valid.
        if !matches!(result, FileResult::Invalid) {
            self.include_level -= 1;
        }
        self.include_stack.pop();
        if count == 0 {
            return FileResult::NotFound;
        }
        result
    }

    pub(super) fn directive(&mut self, st: &mut FileState, line: &[u8], lineno: u32) -> Result<(), Fatal> {
        let fname = self.file_name(st);
        let body = &line[1..];
        let word_len = body.iter().position(|&b| b <= 32).unwrap_or(body.len());
        let word = String::from_utf8_lossy(&body[..word_len]).into_owned();
        let arg = if word_len < body.len() {
            let (a, b) = strip_range(&body[word_len + 1..]);
            let arg = &body[word_len + 1 + a..word_len + 1 + b];
            (!arg.is_empty()).then_some(arg)
        } else {
            None
        };
        let try_include = if word.eq_ignore_ascii_case("include") {
            false
        } else if word.eq_ignore_ascii_case("tryinclude") {
            true
        } else if word.eq_ignore_ascii_case("exec") {
            self.fdiag(
                st.file,
                lineno,
                Severity::Warning,
                "#exec is never run here. Asterisk runs it only with execincludes=yes in asterisk.conf, so the objects it prints are unknown".to_string(),
            );
            return Ok(());
        } else {
            self.fdiag(
                st.file,
                lineno,
                Severity::Warning,
                format!("Unknown directive '#{word}' at line {lineno} of {fname}"),
            );
            return Ok(());
        };
        let Some(arg) = arg else {
            self.fdiag(
                st.file,
                lineno,
                Severity::Warning,
                format!(
                    "Directive '#{word}' needs an argument (filename) at line {lineno} of {fname}"
                ),
            );
            return Ok(());
        };
        let mut name = arg;
        if let Some(&q) = arg.first() {
            if q == b'"' || q == b'<' {
                let close = if q == b'<' { b'>' } else { b'"' };
                if arg.last() == Some(&close) {
                    name = if arg.len() >= 2 { &arg[1..arg.len() - 1] } else { &[] };
                }
            }
        }
        let name = String::from_utf8_lossy(name).into_owned();
        // The included file starts in whatever category is current; ours stays put.
        let saved = st.cat;
        match self.internal_load(&name, Some((st.file, lineno))) {
            FileResult::NotFound if !try_include => {
                return self.fatal(
                    st,
                    lineno,
                    format!("The file '{name}' was listed as a #include but it does not exist."),
                );
            }
            FileResult::Invalid => {
                self.fdiag(
                    st.file,
                    lineno,
                    Severity::Error,
                    format!("'{name}' has an error: Asterisk stops reading it there and goes on with this file"),
                );
            }
            _ => {}
        }
        st.cat = saved;
        Ok(())
    }
}
