//! Reading an edit back without reading the whole config again: on a PBX of
//! 5,000 extensions a full read is most of an edit's time, and an edit of
//! one extension changes a few lines of one file.
//!
//! The edited file's changed bytes lie between sections whose headers stand
//! on either side of them: the region. Only the region is read again (with
//! the categories before it that its headers name as templates) and only its
//! objects are built again. Everything outside it reads exactly as before,
//! as long as nothing outside depends on the region; whenever that cannot be
//! shown here, `reread` says so and the edit is checked on a full read.

use super::FileChange;
use crate::pjsip::document::{Document, SourceFile};
use crate::pjsip::objects::{self, Object};
use crate::pjsip::parser::{self, Category, Config, LoadStatus, MAX_CATEGORY_NAME, MAX_LINE};
use crate::pjsip::PjsipConfig;
use std::sync::Arc;

/// The edited sections before and after the edit, each as a config of its own.
pub(crate) struct Region {
    pub old: PjsipConfig,
    pub new: PjsipConfig,
}

/// Types whose objects Asterisk checks against each other while loading
/// (a registration needs a transport to send on) or that load as one object
/// per config (system, global): an edit of those is checked on a full read.
const WHOLE_CONFIG_TYPES: [&str; 4] = ["transport", "registration", "system", "global"];

/// The first byte Asterisk does not take as blank (below 33, ast_strip).
fn first_word(line: &[u8]) -> &[u8] {
    let start = line.iter().position(|&b| b >= 33).unwrap_or(line.len());
    &line[start..]
}

fn is_header(line: &[u8]) -> bool {
    first_word(line).first() == Some(&b'[')
}

/// A header's `[name]` and the items of its `(…)`.
fn header(line: &[u8]) -> Option<(&[u8], Vec<&[u8]>)> {
    let text = first_word(line).strip_prefix(b"[")?;
    let close = text.iter().position(|&b| b == b']')?;
    let items = match text.get(close + 1) {
        Some(b'(') => {
            let rest = &text[close + 2..];
            let end = rest.iter().position(|&b| b == b')').unwrap_or(rest.len());
            rest[..end].split(|&b| b == b',').collect()
        }
        _ => Vec::new(),
    };
    Some((&text[..close], items))
}

/// Lines the region cannot hold: a directive, a block comment's opening or
/// closing, a `(+)` header, a NUL (the C string ends there), an over-long line.
fn unsafe_line(line: &[u8]) -> bool {
    let w = first_word(line);
    w.first() == Some(&b'#')
        || line.contains(&0)
        || line.len() >= MAX_LINE
        || line.windows(3).any(|x| x == b";--" || x == b"--;")
        || header(line).is_some_and(|(_, items)| items.iter().any(|i| i.first() == Some(&b'+')))
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split_inclusive(|&b| b == b'\n')
}

fn lower(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_ascii_lowercase()
}

fn kind(c: &Category) -> Option<&str> {
    c.first("type").map(|t| &*t.value)
}

/// The edited sections of `cfg` before and after `files`, or None when the
/// edit must be checked on a full read.
pub(crate) fn reread(cfg: &PjsipConfig, files: &[FileChange]) -> Option<Region> {
    let [change] = files else { return None };
    let doc = &cfg.main.document;
    let file = doc.find(&change.path)?;
    let source = doc.file(file);
    if doc.files.iter().filter(|f| f.path == change.path).count() > 1
        || cfg.wizard.as_ref().is_some_and(|w| w.document.find(&change.path).is_some())
        || source.bytes != change.before
        || cfg.main.categories.iter().any(|c| c.name.is_empty())
    {
        return None;
    }
    let (before, after) = (&change.before, &change.after);

    // The bytes that differ: [p, before.len() - s) became [p, after.len() - s).
    let (p, s) = super::diff::unchanged(before, after);
    let (mut p, mut old_end, mut new_end) = (p, before.len() - s, after.len() - s);
    // Lines put in or taken out match wherever their text repeats: deleting
    // `[1002]…` before `[1003]` is found as `2]…[100`. Slid back to a line's
    // start, the bytes that differ are whole lines again.
    if old_end == p || new_end == p {
        while p > 0 && before[p - 1] != b'\n' {
            let last = if old_end > p { before[old_end - 1] } else { after[new_end - 1] };
            if before[p - 1] != last {
                break;
            }
            (p, old_end, new_end) = (p - 1, old_end - 1, new_end - 1);
        }
    }

    // The region: from the header at or before the first changed line to the
    // next header at or after the last one.
    let lines_of = &source.lines;
    // Lines put in before a line belong as well to the end of the line
    // before: take that one, so that an object added before a `(+)` header
    // is read with the section it follows rather than with the addition.
    let q = if p > 0 && old_end == p && before[p - 1] == b'\n' { p - 1 } else { p };
    let first = lines_of.partition_point(|l| l.end <= q).min(lines_of.len().checked_sub(1)?);
    let line_bytes = |i: usize| &before[lines_of[i].start..lines_of[i].end];
    let start = (0..=first).rev().find(|&i| is_header(line_bytes(i)))?;
    let from = lines_of.partition_point(|l| l.start < old_end).max(start + 1);
    let end = (from..lines_of.len()).find(|&i| is_header(line_bytes(i)));
    let start_byte = lines_of[start].start;
    let old_stop = end.map_or(before.len(), |i| lines_of[i].start);
    let new_stop = old_stop + after.len() - before.len();
    if new_stop < start_byte || (new_stop > 0 && new_stop < after.len() && after[new_stop - 1] != b'\n') {
        return None;
    }
    let (old_text, new_text) = (&before[start_byte..old_stop], &after[start_byte..new_stop]);
    if lines(old_text).chain(lines(new_text)).any(unsafe_line) {
        return None;
    }
    let first_line = lines_of[start].number;
    let stop_line = end.map_or(u32::MAX, |i| lines_of[i].number);

    // The categories the old region made: together, the first at its first line.
    let in_region = |c: &Category| c.origin.file == file && (first_line..stop_line).contains(&c.origin.line);
    let i0 = cfg.main.categories.iter().position(in_region)?;
    let i1 = i0 + cfg.main.categories[i0..].iter().take_while(|c| in_region(c)).count();
    let old_cats = &cfg.main.categories[i0..i1];
    if old_cats[0].origin.line != first_line || cfg.main.categories[i1..].iter().any(in_region) {
        return None;
    }

    // The templates the new headers name, from the categories before them.
    let named: Vec<String> = lines(new_text)
        .filter_map(header)
        .flat_map(|(_, items)| items.into_iter().filter(|i| *i != b"!").map(lower))
        .collect();
    let seeds: Vec<Category> = cfg.main.categories[..i0]
        .iter()
        .filter(|c| named.iter().any(|n| c.name.eq_ignore_ascii_case(n)))
        .cloned()
        .collect();
    let main = parser::load_region(&light(doc), file, new_text.to_vec(), first_line, seeds);
    if main.status != LoadStatus::Loaded {
        return None;
    }
    let new_cats = &main.categories;

    // Nothing outside may depend on the region: inherit from it, add to it,
    // share a name with an object of its type, or be checked with it.
    let names: Vec<&str> = old_cats.iter().chain(new_cats).map(|c| &*c.name).collect();
    let mine = |name: &str| names.iter().any(|n| n.eq_ignore_ascii_case(name));
    if old_cats.iter().chain(new_cats).any(|c| {
        kind(c).is_some_and(|k| WHOLE_CONFIG_TYPES.contains(&k)) || WHOLE_CONFIG_TYPES.contains(&&*c.name)
    }) {
        return None;
    }
    let outside = cfg.main.categories[..i0].iter().chain(&cfg.main.categories[i1..]);
    for c in outside {
        if c.templates.iter().any(|t| mine(t)) {
            return None;
        }
        if mine(&c.name)
            && !c.is_template
            && kind(c).is_some()
            && old_cats.iter().chain(new_cats).any(|r| *r.name == *c.name && !r.is_template && kind(r) == kind(c))
        {
            return None;
        }
    }
    // An addition to a category the region reads (or its templates) changes
    // what it was when the region was read.
    let templates: Vec<String> = old_cats.iter().flat_map(|c| c.templates.iter().map(|t| t.to_ascii_lowercase())).collect();
    if plus_headers(doc).any(|n| n.is_empty() || mine(&n) || named.contains(&n) || templates.contains(&n)) || has_duplicates(old_cats) {
        return None;
    }
    // A header naming an empty template takes the config's first category;
    // a name past 79 bytes is cut: the whole read judges those.
    let long = |n: &str| n.len() > MAX_CATEGORY_NAME;
    if named.iter().any(|n| n.is_empty() || long(n)) || names.iter().any(|n| long(n)) {
        return None;
    }
    // A type with two objects of one name anywhere is refused whole: its
    // objects come and go with the whole config, not with the region.
    let mut kinds: Vec<&str> = old_cats.iter().chain(new_cats).filter_map(kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for k in kinds {
        let mut seen = rustc_hash::FxHashSet::default();
        let sections = cfg.main.categories.iter().filter(|c| !c.is_template && kind(c) == Some(k));
        if sections.into_iter().any(|c| !seen.insert(&*c.name)) {
            return None;
        }
    }

    let path = cfg.main.label(file);
    let old_objects: Vec<Object> = cfg
        .objects
        .iter()
        .filter(|o| {
            o.origin == crate::pjsip::Origin::Config
                && o.defined_at.file == *path
                && (first_line..stop_line).contains(&o.defined_at.line)
        })
        .cloned()
        .collect();
    let old_main = Config {
        document: light(doc),
        categories: old_cats.to_vec(),
        diagnostics: Vec::new(),
        status: LoadStatus::Loaded,
        labels: Default::default(),
    };
    let old = PjsipConfig::from_parts(Arc::new(old_main), None, objects::ObjectSet { objects: old_objects, ..Default::default() });
    let main = Arc::new(main);
    let set = objects::load_objects(&main);
    let new = PjsipConfig::from_parts(main, None, set);
    Some(Region { old, new })
}

/// The document's file names without their bytes: what messages name.
fn light(doc: &Document) -> Document {
    Document {
        files: doc.files.iter().map(|f| SourceFile { path: f.path.clone(), bytes: Vec::new(), lines: Vec::new() }).collect(),
    }
}

/// The names of every `[name](+)` header in the document's files.
fn plus_headers(doc: &Document) -> impl Iterator<Item = String> + '_ {
    doc.files.iter().flat_map(|f| {
        f.lines.iter().filter_map(move |l| {
            let line = &f.bytes[l.start..l.end];
            if !line.contains(&b'+') {
                return None;
            }
            let (name, items) = header(line)?;
            items.iter().any(|i| i.first() == Some(&b'+')).then(|| lower(name))
        })
    })
}

/// Two objects of one type with one name: Asterisk refuses the whole type.
fn has_duplicates(cats: &[Category]) -> bool {
    cats.iter().enumerate().any(|(i, a)| {
        !a.is_template
            && kind(a).is_some()
            && cats[i + 1..].iter().any(|b| !b.is_template && *a.name == *b.name && kind(a) == kind(b))
    })
}
