//! config_text_file_load's per-file loop: fgets-sized chunks, the over-long
//! line warning, the line as a C string, then process_text_line's three branches.

use crate::pjsip::diagnostic::Severity;
use crate::pjsip::document::{FileId, SourceFile};
use super::cstr::{fgets, strip_range, strlen};
use super::{Fatal, FileState, GlobCarry, Location, Parser, MAX_LINE};

impl<'a> Parser<'a> {
    /// One file's loop: fgets chunks, the comment scanner, process_text_line.
    /// Returns false when the file is invalid.
    pub(super) fn text_file_load(&mut self, file: FileId, carry: &mut GlobCarry) -> bool {
        let mut st = FileState {
            file,
            comment: carry.comment,
            nest: std::mem::take(&mut carry.nest),
            cat: self.current,
        };
        let len = self.cfg.document.files[file].bytes.len();
        let mut pos = 0usize;
        let mut physical = 1u32;
        let mut ok = true;
        let mut first = carry.files == 0;
        carry.files += 1;
        // Without a NUL in the file, a line's C string is all of it.
        let has_nul = memchr::memchr(0, &self.cfg.document.files[file].bytes).is_some();
        while pos < len {
            // fgets, from the line index where it gives the same chunk: a
            // whole line that starts here and fits the buffer.
            let source = &self.cfg.document.files[file];
            let (start, end) = match source.lines.get(physical as usize - 1) {
                Some(l) if l.start == pos && l.end - l.start <= MAX_LINE => (l.start, l.end),
                _ => fgets(&source.bytes, pos),
            };
            pos = end;
            let here = physical;
            let lineno = physical + self.line_offset;
            let chunk_has_nl = self.cfg.document.files[file].bytes[end - 1] == b'\n';
            if chunk_has_nl {
                physical += 1;
            }
            let mut chunk_start = start;
            {
                let bytes = &self.cfg.document.files[file].bytes;
                if first && bytes[start..end].starts_with(b"\xEF\xBB\xBF") {
                    chunk_start += 3;
                }
            }
            first = false;

            // A full buffer is too long unless it ends the line: a chunk of
            // 8,191 bytes with its `\n` is a line Asterisk keeps.
            if too_long(&self.cfg.document.files[file].bytes[start..end]) {
                let head = String::from_utf8_lossy(
                    &self.cfg.document.files[file].bytes[start..start + 32],
                )
                .into_owned();
                let head = redact_head(head);
                // The rest of the line goes, chunk by chunk, up to its newline.
                while pos < len {
                    let (s2, e2) = fgets(&self.cfg.document.files[file].bytes, pos);
                    pos = e2;
                    let bytes = &self.cfg.document.files[file].bytes;
                    if bytes[e2 - 1] == b'\n' {
                        physical += 1;
                    }
                    if !too_long(&bytes[s2..e2]) {
                        break;
                    }
                }
                let msg = format!("Line {lineno} too long, skipping. It begins with: {head}...");
                self.fdiag(file, lineno, Severity::Warning, msg);
                continue;
            }

            // The line as a C string: up to the first NUL, then NUL-terminated.
            self.buf.clear();
            self.cols.clear();
            {
                let bytes = &self.cfg.document.files[file].bytes[chunk_start..end];
                let n = if has_nul { strlen(bytes) } else { bytes.len() };
                self.buf.extend_from_slice(&bytes[..n]);
                let base = (chunk_start - self.cfg.document.files[file].lines_start(here)) as u32;
                self.cols.extend((0..n as u32).map(|i| base + i + 1));
                self.buf.push(0);
                self.cols.push(0);
            }
            let process = self.scan_comments(&mut st, lineno);
            if let Some(p) = process {
                let n = strlen(&self.buf[p..]);
                let (a, b) = strip_range(&self.buf[p..p + n]);
                if a < b {
                    let (buf, cols) = (std::mem::take(&mut self.buf), std::mem::take(&mut self.cols));
                    let r = self.process_text_line(&mut st, &buf[p + a..p + b], &cols[p + a..p + b], lineno);
                    (self.buf, self.cols) = (buf, cols);
                    if r.is_err() {
                        ok = false;
                        break;
                    }
                }
            }
        }
        if ok && st.comment > 0 {
            let begin = st.nest.last().copied().unwrap_or(0);
            self.fdiag(
                file,
                begin,
                Severity::Warning,
                format!("Unterminated comment detected beginning on line {begin}"),
            );
        }
        carry.comment = st.comment;
        carry.nest = st.nest;
        ok
    }

    fn process_text_line(
        &mut self,
        st: &mut FileState,
        line: &[u8],
        cols: &[u32],
        lineno: u32,
    ) -> Result<(), Fatal> {
        let loc = |i: usize| Location {
            file: st.file,
            line: lineno,
            column: cols.get(i).copied().unwrap_or(1),
        };
        match line[0] {
            b'[' => self.category_header(st, line, loc(0), lineno),
            b'#' => self.directive(st, line, lineno),
            _ => self.variable_line(st, line, cols, lineno),
        }
    }
}

impl SourceFile {
    /// Byte offset of a 1-based physical line.
    fn lines_start(&self, number: u32) -> usize {
        self.lines
            .get(number.saturating_sub(1) as usize)
            .map_or(0, |l| l.start)
    }
}

/// The start of an over-long line is quoted in a warning; a password must not be.
fn redact_head(head: String) -> String {
    crate::secret::redact_assignment(&head).into_owned()
}

/// config.c: `strlen(buf) == sizeof(buf) - 1 && buf[sizeof(buf) - 2] != '\n'`.
fn too_long(chunk: &[u8]) -> bool {
    chunk.len() >= MAX_LINE && strlen(chunk) == MAX_LINE && chunk[MAX_LINE - 1] != b'\n'
}
