//! Line operations on one file, rendered back to bytes.
//!
//! Lines no operation names are copied byte for byte. New lines take the
//! file's own line ending, and the file keeps or lacks its final newline as
//! it did: inserting a line and deleting it again gives back the same bytes.

use super::super::document::SourceFile;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LineEdit {
    /// `Some(None)`: the line goes; `Some(Some(text))`: its content becomes `text`.
    replace: Option<Option<Vec<u8>>>,
    /// New lines after this one, in order (content only).
    after: Vec<Vec<u8>>,
}

/// The edits to one file. Line 0 stands for "before the first line".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilePatch {
    lines: BTreeMap<u32, LineEdit>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {0} is changed twice by one edit")]
pub struct Overlap(pub u32);

impl FilePatch {
    pub fn replace(&mut self, line: u32, content: Vec<u8>) -> Result<(), Overlap> {
        let e = self.lines.entry(line).or_default();
        if e.replace.is_some() {
            return Err(Overlap(line));
        }
        e.replace = Some(Some(content));
        Ok(())
    }

    pub fn delete(&mut self, line: u32) -> Result<(), Overlap> {
        let e = self.lines.entry(line).or_default();
        if e.replace.is_some() {
            return Err(Overlap(line));
        }
        e.replace = Some(None);
        Ok(())
    }

    /// Whether an earlier operation already changes or removes `line`.
    pub fn touches(&self, line: u32) -> bool {
        self.lines.get(&line).is_some_and(|e| e.replace.is_some())
    }

    pub fn insert_after(&mut self, line: u32, content: Vec<u8>) {
        self.lines.entry(line).or_default().after.push(content);
    }

    /// The file's bytes with every operation applied.
    pub fn render<'a>(&'a self, file: &'a SourceFile) -> Vec<u8> {
        let eol: &[u8] = if file.uses_crlf() { b"\r\n" } else { b"\n" };
        let ends_with_newline = file.bytes.last().is_none_or(|&b| b == b'\n');
        // (content, its own ending if it had one)
        let mut out: Vec<(&'a [u8], Option<&'a [u8]>)> = Vec::with_capacity(2 * self.lines.len() + 4);
        fn push_after<'a>(out: &mut Vec<(&'a [u8], Option<&'a [u8]>)>, e: Option<&'a LineEdit>) {
            for l in e.map(|e| e.after.as_slice()).unwrap_or_default() {
                out.push((l.as_slice(), None));
            }
        }
        push_after(&mut out, self.lines.get(&0));
        // Lines no operation names go as one stretch of bytes (its last line's
        // ending apart, which the end of the file may drop): an edit of a
        // few lines in a file of 50,000 copies the rest in a few pieces.
        let stretch = |out: &mut Vec<(&'a [u8], Option<&'a [u8]>)>, from: usize, to: usize| {
            if from < to {
                let last = &file.lines[to - 1];
                let raw = &file.bytes[last.start..last.end];
                let body = super::line::content(raw).len();
                let ending = (body < raw.len()).then(|| &raw[body..]);
                out.push((&file.bytes[file.lines[from].start..last.start + body], ending));
            }
        };
        let mut next = 0;
        for (&number, e) in self.lines.range(1..).take_while(|(&n, _)| n as usize <= file.lines.len()) {
            let i = number as usize - 1;
            stretch(&mut out, next, i);
            let line = &file.lines[i];
            let raw = &file.bytes[line.start..line.end];
            let body = super::line::content(raw);
            let ending = &raw[body.len()..];
            let ending = (!ending.is_empty()).then_some(ending);
            match &e.replace {
                None => out.push((body, ending)),
                Some(Some(new)) => out.push((new.as_slice(), ending)),
                Some(None) => {}
            }
            push_after(&mut out, Some(e));
            next = i + 1;
        }
        stretch(&mut out, next, file.lines.len());
        let mut bytes = Vec::with_capacity(file.bytes.len() + 64);
        let last = out.len().saturating_sub(1);
        for (i, (body, ending)) in out.iter().enumerate() {
            bytes.extend_from_slice(body);
            if i < last || ends_with_newline {
                bytes.extend_from_slice(ending.unwrap_or(eol));
            }
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(b: &[u8]) -> SourceFile {
        SourceFile::new("t.conf", b.to_vec())
    }

    #[test]
    fn untouched_file_renders_identically() {
        for b in [&b""[..], b"a", b"a\n", b"a\r\nb", b"a\n\n"] {
            assert_eq!(FilePatch::default().render(&file(b)), b);
        }
    }

    #[test]
    fn inserts_take_the_files_ending_and_final_newline_state() {
        let f = file(b"[a]\r\nx=1");
        let mut p = FilePatch::default();
        p.insert_after(2, b"y=2".to_vec());
        assert_eq!(p.render(&f), b"[a]\r\nx=1\r\ny=2");
        let mut p = FilePatch::default();
        p.insert_after(1, b"y=2".to_vec());
        assert_eq!(p.render(&f), b"[a]\r\ny=2\r\nx=1");
        let mut p = FilePatch::default();
        p.insert_after(0, b"; top".to_vec());
        assert_eq!(p.render(&file(b"")), b"; top\n");
    }

    #[test]
    fn deleting_the_last_line_keeps_the_missing_final_newline() {
        let f = file(b"[a]\nx=1\ny=2");
        let mut p = FilePatch::default();
        p.delete(3).unwrap();
        assert_eq!(p.render(&f), b"[a]\nx=1");
        let mut p = FilePatch::default();
        p.replace(2, b"x=9".to_vec()).unwrap();
        assert_eq!(p.render(&f), b"[a]\nx=9\ny=2");
        assert_eq!(p.replace(2, b"x=8".to_vec()), Err(Overlap(2)));
    }
}
