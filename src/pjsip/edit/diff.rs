//! The unified diff an admin reviews before writing, secrets redacted.
//!
//! Config files run to megabytes and an edit changes a few lines: lines are
//! compared as byte slices, and only the lines a hunk shows are decoded and
//! redacted.

use super::line;
use super::FileChange;
use crate::secret::{mentions_secret, REDACTED};
use similar::{Algorithm, DiffOp};
use std::fmt::Write;

/// A secret's value on a config line becomes [`REDACTED`]; a line that is
/// not a plain assignment but mentions a secret is hidden whole.
fn redact(raw: &[u8]) -> String {
    let text = match line::lex(raw) {
        // Looser than the name rule: a byte order mark or a stray blank
        // before `password` must not let it through.
        Some(spans) if mentions_secret(&String::from_utf8_lossy(&raw[spans.name.clone()])) && !spans.value.is_empty() => {
            let mut out = raw[..spans.value.start].to_vec();
            out.extend_from_slice(REDACTED.as_bytes());
            out.extend_from_slice(&raw[spans.value.end..]);
            String::from_utf8_lossy(&out).into_owned()
        }
        Some(_) => String::from_utf8_lossy(raw).into_owned(),
        None if mentions_secret(&String::from_utf8_lossy(raw)) => format!("; ({REDACTED})"),
        None => String::from_utf8_lossy(raw).into_owned(),
    };
    text.trim_end_matches(['\n', '\r']).to_string()
}

fn show(out: &mut String, sign: char, l: &[u8]) {
    let _ = writeln!(out, "{sign}{}", redact(l));
    if !l.ends_with(b"\n") {
        out.push_str("\\ No newline at end of file\n");
    }
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|&b| b == b'\n').collect()
}

/// `diff -u` of every changed file, paths as they were read.
pub fn unified(files: &[FileChange]) -> String {
    let mut out = String::new();
    for f in files {
        let (a, b) = (lines(&f.before), lines(&f.after));
        let ops = similar::capture_diff_slices(Algorithm::Myers, &a, &b);
        let path = f.path.display();
        let _ = writeln!(out, "--- {path}\n+++ {path}");
        for group in similar::group_diff_ops(ops, 3) {
            let (Some(first), Some(last)) = (group.first(), group.last()) else { continue };
            let (old_start, new_start) = (first.old_range().start, first.new_range().start);
            let (old_len, new_len) = (last.old_range().end - old_start, last.new_range().end - new_start);
            // diff -u numbers an empty range by the line before it.
            let at = |start: usize, len: usize| if len == 0 { start } else { start + 1 };
            let _ = writeln!(out, "@@ -{},{old_len} +{},{new_len} @@", at(old_start, old_len), at(new_start, new_len));
            for op in &group {
                let (_, old, new) = op.as_tag_tuple();
                if let DiffOp::Equal { .. } = op {
                    for l in &a[old] {
                        show(&mut out, ' ', l);
                    }
                    continue;
                }
                for l in &a[old] {
                    show(&mut out, '-', l);
                }
                for l in &b[new] {
                    show(&mut out, '+', l);
                }
            }
        }
    }
    out
}
