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

/// How many bytes two versions of a file share at their start, and then
/// at their end (after that start): what an edit left alone. Compared a
/// block at a time, since files run to megabytes and edits to a few lines.
pub(crate) fn unchanged(before: &[u8], after: &[u8]) -> (usize, usize) {
    const BLOCK: usize = 64;
    let n = before.len().min(after.len());
    let mut p = 0;
    while p + BLOCK <= n && before[p..p + BLOCK] == after[p..p + BLOCK] {
        p += BLOCK;
    }
    p += before[p..n].iter().zip(&after[p..n]).position(|(a, b)| a != b).unwrap_or(n - p);
    let (b, a) = (&before[p..], &after[p..]);
    let m = b.len().min(a.len());
    let mut s = 0;
    while s + BLOCK <= m && b[b.len() - s - BLOCK..b.len() - s] == a[a.len() - s - BLOCK..a.len() - s] {
        s += BLOCK;
    }
    s += b[..b.len() - s].iter().rev().zip(a[..a.len() - s].iter().rev()).take_while(|(x, y)| x == y).count();
    (p, s)
}

/// Where two versions of a file differ, as whole lines with `CONTEXT` lines
/// around: the byte range from `start` to `old_end` (`new_end`), and how
/// many lines come before `start`. Only those lines are cut up and compared.
fn window(before: &[u8], after: &[u8]) -> (usize, usize, usize, usize) {
    let (p, s) = unchanged(before, after);
    let mut start = memchr::memrchr(b'\n', &before[..p]).map_or(0, |i| i + 1);
    for _ in 0..CONTEXT {
        if start == 0 {
            break;
        }
        start = memchr::memrchr(b'\n', &before[..start - 1]).map_or(0, |i| i + 1);
    }
    // The bytes after the change are the same in both: whole lines of them.
    let mut end = before.len() - s;
    for _ in 0..=CONTEXT {
        if end == before.len() {
            break;
        }
        end = memchr::memchr(b'\n', &before[end..]).map_or(before.len(), |i| end + i + 1);
    }
    let new_end = end + after.len() - before.len();
    (start, end, new_end, memchr::memchr_iter(b'\n', &before[..start]).count())
}

const CONTEXT: usize = 3;

/// `diff -u` of every changed file, paths as they were read.
pub fn unified(files: &[FileChange]) -> String {
    let mut out = String::new();
    for f in files {
        let (start, old_end, new_end, skipped) = window(&f.before, &f.after);
        let (a, b) = (lines(&f.before[start..old_end]), lines(&f.after[start..new_end]));
        let ops = similar::capture_diff_slices(Algorithm::Myers, &a, &b);
        let path = f.path.display();
        let _ = writeln!(out, "--- {path}\n+++ {path}");
        for group in similar::group_diff_ops(ops, CONTEXT) {
            let (Some(first), Some(last)) = (group.first(), group.last()) else { continue };
            let (old_start, new_start) = (first.old_range().start + skipped, first.new_range().start + skipped);
            let (old_len, new_len) = (last.old_range().end + skipped - old_start, last.new_range().end + skipped - new_start);
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

#[cfg(test)]
mod tests {
    use super::unchanged;

    fn naive(before: &[u8], after: &[u8]) -> (usize, usize) {
        let p = before.iter().zip(after).position(|(a, b)| a != b).unwrap_or(before.len().min(after.len()));
        let s = before[p..].iter().rev().zip(after[p..].iter().rev()).take_while(|(a, b)| a == b).count();
        (p, s)
    }

    #[test]
    fn unchanged_agrees_with_a_byte_at_a_time() {
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n.max(1)
        };
        for _ in 0..2000 {
            let len = next(300);
            let before: Vec<u8> = (0..len).map(|_| b"ab\n"[next(3)]).collect();
            let mut after = before.clone();
            // Change, insert or remove a few bytes anywhere, including at the
            // block edges and the ends.
            for _ in 0..next(3) {
                let at = next(after.len() + 1);
                match next(3) {
                    0 if at < after.len() => after[at] = b'x',
                    1 => after.insert(at, b'y'),
                    _ if at < after.len() => {
                        after.remove(at);
                    }
                    _ => {}
                }
            }
            assert_eq!(unchanged(&before, &after), naive(&before, &after), "{before:?} -> {after:?}");
        }
    }
}
