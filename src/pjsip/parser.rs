//! The file level, exactly as Asterisk's `main/config.c` reads a `.conf` file.
//!
//! The structure (the fgets-sized line chunks, the comment scanner that edits
//! the line in place, `process_text_line`'s three branches) follows config.c on
//! purpose: every quirk an admin can trip over in Asterisk is one here too, and
//! the diagnostics say so. Where Asterisk would hang or read out of bounds, this
//! parser stops and says so instead.

use super::diagnostic::{Diagnostic, Severity};
use super::document::{Document, FileId, SourceFile};
use super::fs::{expand_braces, has_glob_magic, ConfigFs, ReadError};
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// fgets() buffer in config_text_file_load: a chunk of 8191 bytes is "too long".
pub const MAX_LINE: usize = 8191;
/// `char name[80]` in struct ast_category.
pub const MAX_CATEGORY_NAME: usize = 79;
/// MAX_INCLUDE_LEVEL in config.c.
pub const MAX_INCLUDE_LEVEL: u32 = 10;
/// MAX_NESTED_COMMENTS in config.c.
pub const MAX_NESTED_COMMENTS: i32 = 128;
/// Ours, not Asterisk's: with globs, an include cycle re-reads files
/// exponentially before the depth limit stops it (Asterisk would hang too).
pub const MAX_FILES_READ: usize = 4096;
/// Ours too: the bytes kept for all files read, so a hostile tree cannot exhaust memory.
pub const MAX_BYTES_READ: usize = 256 << 20;

/// Where something was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: FileId,
    pub line: u32,
    /// 1-based byte column in the physical line.
    pub column: u32,
}

/// One `name = value` as Asterisk holds it after parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: Arc<str>,
    pub value: Arc<str>,
    /// Where the variable was written (for an inherited one: in its template).
    pub origin: Location,
    /// The section the variable was copied from, when it was inherited.
    pub template: Option<Arc<str>>,
    /// Written with `=>`.
    pub object: bool,
    /// `+=` lines that extended this value.
    pub appended: Vec<Location>,
}

/// One `[section]`, after its templates were copied in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub name: Arc<str>,
    /// The sections named in the header's `(…)`, in order (GetConfig's `Templates-`).
    pub templates: Vec<Arc<str>>,
    /// `(!)`: a template, never an object.
    pub is_template: bool,
    pub origin: Location,
    pub variables: Vec<Variable>,
}

impl Category {
    /// The first variable of that name, compared as Asterisk does (case-insensitively).
    pub fn first(&self, name: &str) -> Option<&Variable> {
        self.variables
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
    }
}

/// Whether Asterisk would use the file at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadStatus {
    Loaded,
    /// CONFIG_STATUS_FILEINVALID: Asterisk loads nothing from this file.
    Invalid,
    /// The root file could not be read.
    Missing,
}

/// A parsed config file and everything it included.
#[derive(Debug, Clone)]
pub struct Config {
    pub document: Document,
    pub categories: Vec<Category>,
    pub diagnostics: Vec<Diagnostic>,
    pub status: LoadStatus,
}

impl Config {
    /// The sections that are not templates, in file order: what GetConfig lists.
    pub fn sections(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(|c| !c.is_template)
    }

    pub fn path(&self, file: FileId) -> &Path {
        self.document.path(file)
    }
}

/// Parse `path` and its includes from the real file system.
pub fn load(path: &Path) -> Config {
    load_with(&super::fs::OsFs, path)
}

/// Parse `path` and its includes through `fs`. Relative includes are resolved
/// against the root file's directory, Asterisk's astetcdir.
pub fn load_with(fs: &dyn ConfigFs, path: &Path) -> Config {
    let etc_dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut p = Parser {
        fs,
        etc_dir,
        cfg: Config {
            document: Document::default(),
            categories: Vec::new(),
            diagnostics: Vec::new(),
            status: LoadStatus::Loaded,
        },
        by_name: FxHashMap::default(),
        current: None,
        include_level: 0,
        bytes_read: 0,
        names: FxHashMap::default(),
        buf: Vec::with_capacity(256),
        cols: Vec::with_capacity(256),
    };
    match p.internal_load(&path.to_string_lossy(), None) {
        FileResult::NotFound => {
            p.cfg.status = LoadStatus::Missing;
            p.diag(
                Severity::Error,
                path.to_path_buf(),
                0,
                format!("Unable to load config {}", path.display()),
            );
        }
        FileResult::Invalid => p.cfg.status = LoadStatus::Invalid,
        FileResult::Loaded => {}
    }
    p.cfg
}

enum FileResult {
    Loaded,
    /// `NULL`: nothing was read (not found, not regular, include depth).
    NotFound,
    /// CONFIG_STATUS_FILEINVALID.
    Invalid,
}

/// process_text_line's `return -1`.
struct Fatal;

/// The category a line goes to: a header being built, or one already in the config.
enum Target {
    New(Category),
    Existing(usize),
}

struct Parser<'a> {
    fs: &'a dyn ConfigFs,
    etc_dir: PathBuf,
    cfg: Config,
    /// Lower-cased category name → indices into `cfg.categories`, in file order.
    by_name: FxHashMap<Box<str>, Vec<usize>>,
    /// cfg->current: where an included file's first lines go.
    current: Option<usize>,
    include_level: u32,
    bytes_read: usize,
    names: FxHashMap<Box<[u8]>, Arc<str>>,
    buf: Vec<u8>,
    cols: Vec<u32>,
}

/// One file being read: config_text_file_load's locals.
struct FileState {
    file: FileId,
    /// Block-comment depth; goes negative on a stray `--;`, as in Asterisk.
    comment: i32,
    nest: Vec<u32>,
    cat: Option<usize>,
}

impl<'a> Parser<'a> {
    fn diag(&mut self, severity: Severity, file: PathBuf, line: u32, message: String) {
        self.cfg.diagnostics.push(Diagnostic {
            severity,
            file,
            line,
            message,
        });
    }

    fn fdiag(&mut self, file: FileId, line: u32, severity: Severity, message: String) {
        let path = self.cfg.document.path(file).to_path_buf();
        self.diag(severity, path, line, message);
    }

    /// ast_config_internal_load + config_text_file_load's glob loop.
    fn internal_load(&mut self, filename: &str, from: Option<(FileId, u32)>) -> FileResult {
        if self.include_level == MAX_INCLUDE_LEVEL {
            if let Some((file, line)) = from {
                self.fdiag(
                    file,
                    line,
                    Severity::Warning,
                    format!("Maximum Include level ({MAX_INCLUDE_LEVEL}) exceeded"),
                );
            }
            return FileResult::NotFound;
        }
        self.include_level += 1;

        let full = if filename.starts_with('/') || from.is_none() {
            filename.to_string()
        } else {
            format!("{}/{}", self.etc_dir.display(), filename)
        };
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
            if !self.text_file_load(file) {
                result = FileResult::Invalid;
                break;
            }
        }
        // config.c only steps the level back down when the file was valid.
        if !matches!(result, FileResult::Invalid) {
            self.include_level -= 1;
        }
        if count == 0 {
            return FileResult::NotFound;
        }
        result
    }

    /// One file's loop: fgets chunks, the comment scanner, process_text_line.
    /// Returns false when the file is invalid.
    fn text_file_load(&mut self, file: FileId) -> bool {
        let mut st = FileState {
            file,
            comment: 0,
            nest: Vec::new(),
            cat: self.current,
        };
        let len = self.cfg.document.files[file].bytes.len();
        let mut pos = 0usize;
        let mut physical = 1u32;
        let mut first = true;
        let mut ok = true;
        while pos < len {
            let (start, end) = fgets(&self.cfg.document.files[file].bytes, pos);
            pos = end;
            let lineno = physical;
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

            if strlen(&self.cfg.document.files[file].bytes[start..end]) == MAX_LINE {
                let head = String::from_utf8_lossy(
                    &self.cfg.document.files[file].bytes[start..start + 32],
                )
                .into_owned();
                let head = redact_head(head);
                let mut swallowed = false;
                while pos < len {
                    let (s2, e2) = fgets(&self.cfg.document.files[file].bytes, pos);
                    pos = e2;
                    let bytes = &self.cfg.document.files[file].bytes;
                    if bytes[e2 - 1] == b'\n' {
                        physical += 1;
                    }
                    let n = strlen(&bytes[s2..e2]);
                    if n != MAX_LINE {
                        swallowed = chunk_has_nl;
                        break;
                    }
                }
                let mut msg = format!("Line {lineno} too long, skipping. It begins with: {head}...");
                if swallowed {
                    msg.push_str(" (the line after it is skipped too)");
                }
                self.fdiag(file, lineno, Severity::Warning, msg);
                continue;
            }

            // The line as a C string: up to the first NUL, then NUL-terminated.
            self.buf.clear();
            self.cols.clear();
            {
                let bytes = &self.cfg.document.files[file].bytes[chunk_start..end];
                let n = strlen(bytes);
                self.buf.extend_from_slice(&bytes[..n]);
                let base = (chunk_start - self.cfg.document.files[file].lines_start(lineno)) as u32;
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
        ok
    }

    /// The `;` loop of config_text_file_load. Returns where the text to process
    /// starts in `self.buf`, or None when the whole line is inside a block comment.
    fn scan_comments(&mut self, st: &mut FileState, lineno: u32) -> Option<usize> {
        let buf = &mut self.buf;
        let cols = &mut self.cols;
        let mut process = if st.comment != 0 { None } else { Some(0usize) };
        let mut new_buf = 0usize;
        let mut stray = false;
        let mut too_deep = false;
        while let Some(cp) = strchr(buf, new_buf, b';') {
            if cp > new_buf && buf[cp - 1] == b'\\' {
                // `\;` is a literal semicolon: the backslash goes.
                let n = strlen(&buf[cp..]) + 1;
                buf.copy_within(cp..cp + n, cp - 1);
                cols.copy_within(cp..cp + n, cp - 1);
                new_buf = cp;
            } else if at(buf, cp + 1) == b'-' && at(buf, cp + 2) == b'-' && at(buf, cp + 3) != b'-' {
                if st.comment < MAX_NESTED_COMMENTS {
                    buf[cp] = 0;
                    new_buf = cp + 3;
                    st.comment += 1;
                    st.nest.push(lineno);
                } else {
                    // Asterisk logs this and then scans the same `;` forever.
                    too_deep = true;
                    new_buf = cp + 1;
                }
            } else if cp >= new_buf + 2 && buf[cp - 1] == b'-' && buf[cp - 2] == b'-' {
                st.comment -= 1;
                st.nest.pop();
                if st.comment < 0 {
                    stray = true;
                }
                new_buf = cp + 1;
                if st.comment == 0 {
                    if let Some(p) = process {
                        let oldptr = p + strlen(&buf[p..]);
                        let n = strlen(&buf[new_buf..]) + 1;
                        buf.copy_within(new_buf..new_buf + n, oldptr);
                        cols.copy_within(new_buf..new_buf + n, oldptr);
                        new_buf = oldptr;
                    } else {
                        process = Some(new_buf);
                    }
                }
            } else if st.comment == 0 {
                buf[cp] = 0;
                new_buf = cp;
            } else {
                new_buf = cp + 1;
            }
        }
        if too_deep {
            self.fdiag(
                st.file,
                lineno,
                Severity::Error,
                format!("Maximum nest limit of {MAX_NESTED_COMMENTS} reached."),
            );
        }
        if stray {
            self.fdiag(
                st.file,
                lineno,
                Severity::Warning,
                "'--;' closes a block comment that was never opened: Asterisk ignores every line after this one"
                    .to_string(),
            );
        }
        process
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

    fn fatal(&mut self, st: &FileState, lineno: u32, message: String) -> Result<(), Fatal> {
        self.fdiag(st.file, lineno, Severity::Error, message);
        Err(Fatal)
    }

    /// One `Arc<str>` per distinct option name: thousands of sections share a few dozen.
    fn intern(&mut self, bytes: &[u8]) -> Arc<str> {
        if let Some(n) = self.names.get(bytes) {
            return n.clone();
        }
        let n = lossy(bytes);
        self.names.insert(bytes.into(), n.clone());
        n
    }

    fn file_name(&self, st: &FileState) -> String {
        self.cfg.document.path(st.file).display().to_string()
    }

    fn category_header(
        &mut self,
        st: &mut FileState,
        line: &[u8],
        origin: Location,
        lineno: u32,
    ) -> Result<(), Fatal> {
        let Some(close) = line.iter().position(|&b| b == b']') else {
            return self.fatal(
                st,
                lineno,
                format!("parse error: no closing ']', line {lineno} of {}", self.file_name(st)),
            );
        };
        let mut raw_name = &line[1..close];
        if raw_name.len() > MAX_CATEGORY_NAME {
            raw_name = &raw_name[..MAX_CATEGORY_NAME];
        }
        let catname: Arc<str> = lossy(raw_name);
        let options = if line.get(close + 1) == Some(&b'(') {
            let rest = &line[close + 2..];
            let Some(end) = rest.iter().position(|&b| b == b')') else {
                return self.fatal(
                    st,
                    lineno,
                    format!("parse error: no closing ')', line {lineno} of {}", self.file_name(st)),
                );
            };
            Some(&rest[..end])
        } else {
            None
        };

        let mut target = Target::New(Category {
            name: catname.clone(),
            templates: Vec::new(),
            is_template: false,
            origin,
            variables: Vec::new(),
        });

        if let Some(options) = options {
            for item in options.split(|&b| b == b',') {
                if item.eq_ignore_ascii_case(b"!") {
                    match &mut target {
                        Target::New(c) => c.is_template = true,
                        Target::Existing(i) => self.cfg.categories[*i].is_template = true,
                    }
                } else if item.first() == Some(&b'+') {
                    let filter = String::from_utf8_lossy(&item[1..]).into_owned();
                    let Some(found) = self.find_category(&catname, &filter, '&') else {
                        return self.fatal(
                            st,
                            lineno,
                            format!(
                                "Category addition requested, but category '{catname}' does not exist, line {lineno} of {}", self.file_name(st)
                            ),
                        );
                    };
                    if let Target::New(newcat) = std::mem::replace(&mut target, Target::Existing(found)) {
                        self.current = Some(found);
                        let existing = &mut self.cfg.categories[found];
                        existing.is_template |= newcat.is_template;
                        existing.variables.extend(newcat.variables);
                    }
                } else {
                    let base_name = lossy(item);
                    let Some(base) = self.find_category(&base_name, "TEMPLATES=include", ',') else {
                        return self.fatal(
                            st,
                            lineno,
                            format!(
                                "Inheritance requested, but category '{base_name}' does not exist, line {lineno} of {}", self.file_name(st)
                            ),
                        );
                    };
                    let base_cat = &self.cfg.categories[base];
                    let from = base_cat.name.clone();
                    let inherit = |v: &Variable| Variable {
                        template: Some(v.template.clone().unwrap_or_else(|| from.clone())),
                        ..v.clone()
                    };
                    match &mut target {
                        Target::New(cat) => {
                            cat.variables.reserve(base_cat.variables.len());
                            cat.variables.extend(base_cat.variables.iter().map(inherit));
                            cat.templates.push(from);
                        }
                        Target::Existing(i) => {
                            let inherited: Vec<Variable> = base_cat.variables.iter().map(inherit).collect();
                            let cat = &mut self.cfg.categories[*i];
                            cat.variables.extend(inherited);
                            cat.templates.push(from);
                        }
                    }
                }
            }
        }

        match target {
            Target::New(newcat) => {
                let idx = self.cfg.categories.len();
                self.by_name
                    .entry(newcat.name.to_ascii_lowercase().into_boxed_str())
                    .or_default()
                    .push(idx);
                self.cfg.categories.push(newcat);
                self.current = Some(idx);
                st.cat = Some(idx);
            }
            Target::Existing(idx) => st.cat = Some(idx),
        }
        Ok(())
    }

    /// category_get_sep + does_category_match.
    fn find_category(&self, name: &str, filter: &str, sep: char) -> Option<usize> {
        let matches = |idx: usize| does_category_match(&self.cfg.categories[idx], filter, sep);
        if name.is_empty() {
            // An empty name matches every category.
            return (0..self.cfg.categories.len()).find(|&i| matches(i));
        }
        let key = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            std::borrow::Cow::Owned(name.to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(name)
        };
        self.by_name
            .get(&*key)?
            .iter()
            .copied()
            .find(|&i| matches(i))
    }

    fn directive(&mut self, st: &mut FileState, line: &[u8], lineno: u32) -> Result<(), Fatal> {
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

    fn variable_line(
        &mut self,
        st: &mut FileState,
        line: &[u8],
        cols: &[u32],
        lineno: u32,
    ) -> Result<(), Fatal> {
        let Some(cat_idx) = st.cat else {
            return self.fatal(
                st,
                lineno,
                format!("parse error: No category context for line {lineno} of {}", self.file_name(st)),
            );
        };
        let mut cur = 0usize;
        let escaped = line[0] == b'\\';
        if escaped {
            cur = 1;
            if at(line, 1) < 33 {
                return self.fatal(st, lineno, format!("Invalid escape in line {lineno} of {}", self.file_name(st)));
            }
        }
        let search_from = cur + escaped as usize;
        let eq = line
            .get(search_from..)
            .and_then(|s| s.iter().position(|&b| b == b'='))
            .map(|i| i + search_from);
        let origin = Location {
            file: st.file,
            line: lineno,
            column: cols.get(cur).copied().unwrap_or(1),
        };

        let Some(eq) = eq else {
            self.fdiag(
                st.file,
                lineno,
                Severity::Warning,
                format!("No '=' (equal sign) in line {lineno} of {}", self.file_name(st)),
            );
            return Ok(());
        };

        if eq > search_from && line[eq - 1] == b'+' {
            let (a, b) = strip_range(&line[cur..eq - 1]);
            let name = self.intern(&line[cur + a..cur + b]);
            let tail = &line[eq + 1..];
            let cat = &mut self.cfg.categories[cat_idx];
            let replace = cat.variables.iter().rposition(|v| *v.name == *name);
            if let Some(r) = replace {
                let old = cat.variables[r].value.clone();
                let mut joined = old.as_bytes().to_vec();
                joined.extend_from_slice(tail);
                let (a, b) = strip_range(&joined);
                let new_value = lossy(&joined[a..b]);
                // ast_variable_update: the last variable with that name and the old value.
                let target = cat
                    .variables
                    .iter()
                    .rposition(|v| {
                        v.name.eq_ignore_ascii_case(&name)
                            && (old.is_empty() || v.value.eq_ignore_ascii_case(&old))
                    })
                    .unwrap_or(r);
                let var = &mut cat.variables[target];
                var.value = new_value;
                var.appended.push(origin);
                return Ok(());
            }
            let (va, vb) = strip_range(tail);
            return self.new_variable(st, cat_idx, name, &tail[va..vb], false, origin, lineno);
        }

        let mut value_start = eq + 1;
        let mut object = false;
        if line.get(value_start) == Some(&b'>') {
            object = true;
            value_start += 1;
        }
        let (a, b) = strip_range(&line[cur..eq]);
        let name = self.intern(&line[cur + a..cur + b]);
        let value = line.get(value_start..).unwrap_or(&[]);
        let (va, vb) = strip_range(value);
        self.new_variable(st, cat_idx, name, &value[va..vb], object, origin, lineno)
    }

    #[allow(clippy::too_many_arguments)]
    fn new_variable(
        &mut self,
        st: &FileState,
        cat_idx: usize,
        name: Arc<str>,
        value: &[u8],
        object: bool,
        origin: Location,
        lineno: u32,
    ) -> Result<(), Fatal> {
        if name.is_empty() {
            let fname = self.file_name(st);
            self.fdiag(
                st.file,
                lineno,
                Severity::Warning,
                format!("No variable name in line {lineno} of {fname}"),
            );
            return Ok(());
        }
        self.cfg.categories[cat_idx].variables.push(Variable {
            name,
            value: lossy(value),
            origin,
            template: None,
            object,
            appended: Vec::new(),
        });
        Ok(())
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

/// does_category_match: the filter grammar of `(+filter)` and template lookups.
pub fn does_category_match(cat: &Category, filter: &str, sep: char) -> bool {
    if filter.is_empty() {
        return !cat.is_template;
    }
    let mut expressions = 0;
    let mut found = 0;
    let mut template_ok = false;
    for nvp in filter.split(sep) {
        expressions += 1;
        let mut parts = nvp.splitn(3, '=');
        let match_name = parts.next().unwrap_or("").trim();
        let Some(match_value) = parts.next().map(str::trim) else {
            break;
        };
        if match_name == "TEMPLATES" {
            if match_value.eq_ignore_ascii_case("include") {
                if cat.is_template {
                    template_ok = true;
                }
                found += 1;
            } else if match_value.eq_ignore_ascii_case("restrict") {
                if cat.is_template {
                    found += 1;
                    template_ok = true;
                } else {
                    break;
                }
            }
            continue;
        }
        let (Ok(rn), Ok(rv)) = (regex::Regex::new(match_name), regex::Regex::new(match_value))
        else {
            break;
        };
        if cat
            .variables
            .iter()
            .any(|v| rn.is_match(&v.name) && rv.is_match(&v.value))
        {
            found += 1;
        }
    }
    found == expressions && (!cat.is_template || template_ok)
}

/// fgets(buf, 8192, f) over a byte slice: one chunk, `\n` included, at most 8191 bytes.
fn fgets(bytes: &[u8], pos: usize) -> (usize, usize) {
    let limit = (pos + MAX_LINE).min(bytes.len());
    let end = bytes[pos..limit]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(limit, |i| pos + i + 1);
    (pos, end)
}

fn strlen(bytes: &[u8]) -> usize {
    bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len())
}

fn strchr(buf: &[u8], from: usize, ch: u8) -> Option<usize> {
    for (i, &b) in buf.iter().enumerate().skip(from) {
        if b == 0 {
            return None;
        }
        if b == ch {
            return Some(i);
        }
    }
    None
}

fn at(buf: &[u8], i: usize) -> u8 {
    buf.get(i).copied().unwrap_or(0)
}

/// ast_strip: Asterisk's "blank" is any byte below 33.
fn strip_range(s: &[u8]) -> (usize, usize) {
    let a = s.iter().position(|&b| b >= 33).unwrap_or(s.len());
    let b = s.iter().rposition(|&b| b >= 33).map_or(a, |i| i + 1);
    (a, b)
}

fn lossy(bytes: &[u8]) -> Arc<str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Arc::from(s),
        Err(_) => Arc::from(String::from_utf8_lossy(bytes).as_ref()),
    }
}

/// The start of an over-long line is quoted in a warning; a password must not be.
fn redact_head(head: String) -> String {
    crate::secret::redact_assignment(&head).into_owned()
}
