//! One physical `name = value` line, cut into the spans an edit may touch.
//!
//! An edit rewrites the value and nothing else: the admin's spacing, the
//! operator (`=`, `=>`, `+=`), a trailing comment and the line ending stay.
//! Writing follows config.c's reading: `;` starts a comment unless written
//! `\;`, and Asterisk strips blanks around names and values.

use std::ops::Range;

/// How a variable line assigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Assign,
    /// `=>`
    Object,
    /// `+=`
    Append,
}

/// A variable line's spans, as byte ranges into the raw line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarLine {
    pub name: Range<usize>,
    pub op: Op,
    /// From the first byte after the operator and its blanks to the last
    /// non-blank byte before the comment (empty for `name =`).
    pub value: Range<usize>,
    /// Where the line ending starts (`\r\n`, `\n`, or the end of a last line).
    pub eol: usize,
}

/// The line's content, without its `\n` or `\r\n`.
pub fn content(raw: &[u8]) -> &[u8] {
    let mut end = raw.len();
    if raw.last() == Some(&b'\n') {
        end -= 1;
        if end > 0 && raw[end - 1] == b'\r' {
            end -= 1;
        }
    }
    &raw[..end]
}

/// The byte where a `;` comment starts (an escaped `\;` is text).
fn comment_start(line: &[u8]) -> Option<usize> {
    (0..line.len()).find(|&i| line[i] == b';' && (i == 0 || line[i - 1] != b'\\'))
}

/// True when the line opens or closes a `;-- … --;` block comment: such a
/// line is part of a structure spanning lines, not an edit's to change.
pub fn has_block_comment(raw: &[u8]) -> bool {
    let c = content(raw);
    c.windows(3).any(|w| w == b";--") || c.windows(3).any(|w| w == b"--;")
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == b'\r'
}

/// Splits a variable line, or `None` when the line is not one an edit can
/// safely change (a header, a directive, a block comment, an escaped name).
pub fn lex(raw: &[u8]) -> Option<VarLine> {
    if has_block_comment(raw) {
        return None;
    }
    let line = content(raw);
    let code_end = comment_start(line).unwrap_or(line.len());
    let code = &line[..code_end];
    let first = code.iter().position(|&b| !is_blank(b))?;
    if matches!(code[first], b'[' | b'#' | b'\\') {
        return None;
    }
    let eq = code.iter().position(|&b| b == b'=')?;
    let (op, name_end, mut value_start) = if eq > 0 && code[eq - 1] == b'+' {
        (Op::Append, eq - 1, eq + 1)
    } else if code.get(eq + 1) == Some(&b'>') {
        (Op::Object, eq, eq + 2)
    } else {
        (Op::Assign, eq, eq + 1)
    };
    let mut name_stop = name_end;
    while name_stop > first && is_blank(code[name_stop - 1]) {
        name_stop -= 1;
    }
    if name_stop == first {
        return None;
    }
    while value_start < code.len() && is_blank(code[value_start]) {
        value_start += 1;
    }
    let mut value_end = code.len();
    while value_end > value_start && is_blank(code[value_end - 1]) {
        value_end -= 1;
    }
    Some(VarLine { name: first..name_stop, op, value: value_start..value_end, eol: line.len() })
}

/// Why a value cannot be written as one line Asterisk reads back unchanged.
pub fn unwritable(value: &str) -> Option<&'static str> {
    if value.bytes().any(|b| matches!(b, b'\n' | b'\r' | 0)) {
        return Some("a value cannot contain a line break or a NUL byte");
    }
    if value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']) {
        return Some("Asterisk strips blanks around a value: leading or trailing blanks cannot be kept");
    }
    None
}

/// The bytes that make Asterisk read `value` back: every `;` escaped.
pub fn escape(value: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 2);
    for b in value.bytes() {
        if b == b';' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// The line with its value replaced; everything around the value stays.
pub fn replace_value(raw: &[u8], spans: &VarLine, value: &str) -> Vec<u8> {
    let line = content(raw);
    let escaped = escape(value);
    let mut out = Vec::with_capacity(line.len() + escaped.len());
    out.extend_from_slice(&line[..spans.value.start]);
    // `name=` directly followed by a value starting with `>` would read as `=>`.
    if spans.op == Op::Assign && spans.value.start > 0 && line[spans.value.start - 1] == b'=' && escaped.first() == Some(&b'>') {
        out.push(b' ');
    }
    out.extend_from_slice(&escaped);
    let rest = &line[spans.value.end..];
    // A value ending in `\` would escape a comment's `;` right after it.
    if escaped.last() == Some(&b'\\') && rest.first() == Some(&b';') {
        out.push(b' ');
    }
    out.extend_from_slice(rest);
    out
}

/// How the admin writes assignments in a section: `name=value` or `name = value`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[derive(Default)]
pub struct Style {
    before: Vec<u8>,
    after: Vec<u8>,
}


impl Style {
    /// The spacing around `=` of an existing plain assignment.
    pub fn of(raw: &[u8]) -> Option<Style> {
        let spans = lex(raw)?;
        if spans.op != Op::Assign {
            return None;
        }
        let line = content(raw);
        let eq = spans.name.end + line[spans.name.end..].iter().position(|&b| b == b'=')?;
        Some(Style { before: line[spans.name.end..eq].to_vec(), after: line[eq + 1..spans.value.start].to_vec() })
    }

    /// A new `name=value` line (no line ending).
    pub fn line(&self, name: &str, value: &str) -> Vec<u8> {
        let escaped = escape(value);
        let mut out = Vec::with_capacity(name.len() + escaped.len() + 4);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&self.before);
        out.push(b'=');
        if self.after.is_empty() && escaped.first() == Some(&b'>') {
            out.push(b' ');
        } else {
            out.extend_from_slice(&self.after);
        }
        out.extend_from_slice(&escaped);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(raw: &[u8]) -> &[u8] {
        let s = lex(raw).unwrap();
        &raw[s.value]
    }

    #[test]
    fn spans_of_the_usual_shapes() {
        assert_eq!(value(b"context=internal\n"), b"internal");
        assert_eq!(value(b"  context =  internal  ; where calls go\r\n"), b"internal");
        assert_eq!(value(b"allow=\n"), b"");
        assert_eq!(value(b"callerid=\"A\\; B\" <1>"), b"\"A\\; B\" <1>");
        assert_eq!(lex(b"exten => 1,1,Dial\n").unwrap().op, Op::Object);
        assert_eq!(lex(b"allow += g722\n").unwrap().op, Op::Append);
        for not_a_variable in [&b"[1001](phone)\n"[..], b"#include x.conf\n", b"; allow=ulaw\n", b"\n", b"=x\n", b"a=b ;-- c\n", b"\\x=1\n"] {
            assert_eq!(lex(not_a_variable), None, "{}", String::from_utf8_lossy(not_a_variable));
        }
    }

    #[test]
    fn replacing_keeps_everything_but_the_value() {
        let raw = b"  context =  internal  ; where calls go\r\n";
        let s = lex(raw).unwrap();
        assert_eq!(replace_value(raw, &s, "a;b"), b"  context =  a\\;b  ; where calls go");
        let raw = b"x=old;c";
        assert_eq!(replace_value(raw, &lex(raw).unwrap(), "dir\\"), b"x=dir\\ ;c");
        let raw = b"x=old";
        assert_eq!(replace_value(raw, &lex(raw).unwrap(), ">y"), b"x= >y");
    }

    #[test]
    fn new_lines_follow_the_sections_spacing() {
        assert_eq!(Style::of(b"a = b\n").unwrap().line("context", "x"), b"context = x");
        assert_eq!(Style::default().line("context", ">x;y"), b"context= >x\\;y");
        assert_eq!(unwritable(" x"), Some("Asterisk strips blanks around a value: leading or trailing blanks cannot be kept"));
        assert!(unwritable("a\nb").is_some());
        assert_eq!(unwritable("ulaw,g722"), None);
    }
}
