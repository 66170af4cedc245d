//! The lossless layer: every file the parser read, byte for byte, cut into lines.
//!
//! Editing a PBX's config must never reformat what the admin wrote, so the parser
//! keeps the raw bytes and only points into them. Writing a file back is the
//! concatenation of its lines; an unchanged document is byte-identical by construction.

use std::path::{Path, PathBuf};

/// Index of a file in [`Document::files`].
pub type FileId = usize;

/// One physical line: the bytes from its first byte up to and including its `\n`
/// (the last line of a file may have no `\n`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based, as Asterisk counts them in its log.
    pub number: u32,
    /// Byte offset of the line in its file.
    pub start: usize,
    /// Byte offset one past the line's last byte (its `\n` included).
    pub end: usize,
}

/// A file as read from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub lines: Vec<Line>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, bytes: Vec<u8>) -> Self {
        let mut lines = Vec::with_capacity(bytes.len() / 24 + 1);
        let mut start = 0;
        let mut number = 0u32;
        while start < bytes.len() {
            let end = memchr_newline(&bytes[start..]).map_or(bytes.len(), |i| start + i + 1);
            number += 1;
            lines.push(Line { number, start, end });
            start = end;
        }
        SourceFile { path: path.into(), bytes, lines }
    }

    /// The raw bytes of a 1-based line number, `\n` included.
    pub fn line_bytes(&self, number: u32) -> Option<&[u8]> {
        let line = self.lines.get(number.checked_sub(1)? as usize)?;
        Some(&self.bytes[line.start..line.end])
    }

    /// The file as it would be written back: the concatenation of its lines.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bytes.len());
        for line in &self.lines {
            out.extend_from_slice(&self.bytes[line.start..line.end]);
        }
        out
    }

    /// True when the file uses CRLF line endings (the first line decides).
    pub fn uses_crlf(&self) -> bool {
        self.lines
            .first()
            .map(|l| self.bytes[l.start..l.end].ends_with(b"\r\n"))
            .unwrap_or(false)
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', bytes)
}

/// Every file one load touched, the root first, includes in the order Asterisk read them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub files: Vec<SourceFile>,
}

impl Document {
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.files[id].path
    }

    /// The id of an already-read file (an `#include` can name the same file twice).
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_cover_every_byte_and_round_trip() {
        for input in [
            &b""[..],
            b"a",
            b"a\n",
            b"a\r\nb\r\n",
            b"\n\n\n",
            b"\xef\xbb\xbf[x]\ntype=aor",
            b"x\ry\n\0z",
        ] {
            let f = SourceFile::new("t.conf", input.to_vec());
            assert_eq!(f.to_bytes(), input);
            let covered: usize = f.lines.iter().map(|l| l.end - l.start).sum();
            assert_eq!(covered, input.len());
        }
    }

    #[test]
    fn line_numbers_are_one_based() {
        let f = SourceFile::new("t.conf", b"one\ntwo\nthree".to_vec());
        assert_eq!(f.lines.len(), 3);
        assert_eq!(f.line_bytes(2), Some(&b"two\n"[..]));
        assert_eq!(f.line_bytes(3), Some(&b"three"[..]));
        assert_eq!(f.line_bytes(0), None);
        assert!(!f.uses_crlf());
        assert!(SourceFile::new("c", b"a\r\n".to_vec()).uses_crlf());
    }
}
