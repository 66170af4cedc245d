//! The C string helpers config.c is written with, over byte slices: the line
//! buffer is NUL-terminated and edited in place, exactly as Asterisk's is.
//! Tiny and called per byte or per line, hence `#[inline]`.

use super::MAX_LINE;
use std::sync::Arc;

/// fgets(buf, 8192, f) over a byte slice: one chunk, `\n` included, at most 8191 bytes.
#[inline]
pub(super) fn fgets(bytes: &[u8], pos: usize) -> (usize, usize) {
    let limit = (pos + MAX_LINE).min(bytes.len());
    let end = memchr::memchr(b'\n', &bytes[pos..limit]).map_or(limit, |i| pos + i + 1);
    (pos, end)
}

#[inline]
pub(super) fn strlen(bytes: &[u8]) -> usize {
    memchr::memchr(0, bytes).unwrap_or(bytes.len())
}

#[inline]
pub(super) fn strchr(buf: &[u8], from: usize, ch: u8) -> Option<usize> {
    let i = from + memchr::memchr2(ch, 0, buf.get(from..)?)?;
    (buf[i] == ch).then_some(i)
}

#[inline]
pub(super) fn at(buf: &[u8], i: usize) -> u8 {
    buf.get(i).copied().unwrap_or(0)
}

/// ast_strip: Asterisk's "blank" is any byte below 33.
#[inline]
pub(super) fn strip_range(s: &[u8]) -> (usize, usize) {
    let a = s.iter().position(|&b| b >= 33).unwrap_or(s.len());
    let b = s.iter().rposition(|&b| b >= 33).map_or(a, |i| i + 1);
    (a, b)
}

#[inline]
pub(super) fn lossy(bytes: &[u8]) -> Arc<str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Arc::from(s),
        Err(_) => Arc::from(String::from_utf8_lossy(bytes).as_ref()),
    }
}
