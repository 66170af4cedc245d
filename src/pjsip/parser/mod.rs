//! The file level, exactly as Asterisk's `main/config.c` reads a `.conf` file.
//!
//! The structure (the fgets-sized line chunks, the comment scanner that edits
//! the line in place, `process_text_line`'s three branches) follows config.c on
//! purpose: every quirk an admin can trip over in Asterisk is one here too, and
//! the diagnostics say so. Where Asterisk would hang or read out of bounds, this
//! parser stops and says so instead.
//!
//! One file per concern, each with its own `impl Parser` block:
//! - `model`: what a parse produces (`Config`, `Category`, `Variable`, …);
//! - `include`: ast_config_internal_load's glob loop and `#include`/`#tryinclude`/`#exec`;
//! - `text_file`: config_text_file_load's per-file loop and process_text_line;
//! - `comment`: the `;` scanner that edits the line in place;
//! - `header`: `[name](options)` lines, templates and additions;
//! - `filter`: category_get_sep and does_category_match;
//! - `variable`: `name = value`, `=>` and `+=` lines;
//! - `cstr`: the C string helpers the rest is written with.

mod comment;
mod cstr;
mod filter;
mod header;
mod include;
mod model;
mod text_file;
mod variable;

pub use filter::does_category_match;
pub use model::{Category, Config, LoadStatus, Location, Variable};

use super::diagnostic::{Diagnostic, Severity};
use super::document::{Document, FileId, SourceFile};
use super::fs::ConfigFs;
use include::FileResult;
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
            labels: Default::default(),
        },
        by_name: FxHashMap::default(),
        current: None,
        include_level: 0,
        include_stack: Vec::new(),
        bytes_read: 0,
        names: FxHashMap::default(),
        buf: Vec::with_capacity(256),
        cols: Vec::with_capacity(256),
        line_offset: 0,
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

/// Reads one region of an edited file as config.c would read it there,
/// without reading the rest: `bytes` are whole lines, the first of them line
/// `first_line` of `document`'s file `file` and a section header; `before`
/// are the categories read before it, in order, that its headers may name
/// as templates. The categories and findings of the region alone come back,
/// with the file's own line numbers.
///
/// The caller answers for what this cannot see: that no block comment is
/// open where the region starts and that nothing in it is a directive (an
/// `#include` here would find no file and fail).
pub fn load_region(document: &Document, file: FileId, bytes: Vec<u8>, first_line: u32, before: Vec<Category>) -> Config {
    let mut bytes = Some(bytes);
    let files = document
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if i == file {
                SourceFile::new(f.path.clone(), bytes.take().unwrap_or_default())
            } else {
                SourceFile { path: f.path.clone(), bytes: Vec::new(), lines: Vec::new() }
            }
        })
        .collect();
    let no_files = super::fs::MemFs::new();
    let mut by_name: FxHashMap<Box<str>, Vec<usize>> = FxHashMap::default();
    for (i, c) in before.iter().enumerate() {
        by_name.entry(c.name.to_ascii_lowercase().into_boxed_str()).or_default().push(i);
    }
    let seeds = before.len();
    let mut p = Parser {
        fs: &no_files,
        etc_dir: PathBuf::new(),
        cfg: Config { document: Document { files }, categories: before, diagnostics: Vec::new(), status: LoadStatus::Loaded, labels: Default::default() },
        by_name,
        current: None,
        include_level: 1,
        include_stack: Vec::new(),
        bytes_read: 0,
        names: FxHashMap::default(),
        buf: Vec::with_capacity(256),
        cols: Vec::with_capacity(256),
        line_offset: first_line.saturating_sub(1),
    };
    if !p.text_file_load(file, &mut GlobCarry { files: 1, ..GlobCarry::default() }) {
        p.cfg.status = LoadStatus::Invalid;
    }
    p.cfg.categories.drain(..seeds);
    p.cfg
}

/// process_text_line's `return -1`.
struct Fatal;

struct Parser<'a> {
    fs: &'a dyn ConfigFs,
    etc_dir: PathBuf,
    cfg: Config,
    /// Lower-cased category name → indices into `cfg.categories`, in file order.
    by_name: FxHashMap<Box<str>, Vec<usize>>,
    /// cfg->current: where an included file's first lines go.
    current: Option<usize>,
    include_level: u32,
    /// The files being read, outermost first: an include of one of them is a loop.
    include_stack: Vec<String>,
    bytes_read: usize,
    names: FxHashMap<Box<[u8]>, Arc<str>>,
    buf: Vec<u8>,
    cols: Vec<u32>,
    /// Lines before the first one read: 0 but for [`load_region`].
    line_offset: u32,
}

/// What config_text_file_load keeps from one file of a glob to the next:
/// its locals are declared once per call, not per file. A block comment left
/// open runs on into the next file, and `lineno` goes on counting, so only
/// the very first line of the first file has its UTF-8 BOM removed.
#[derive(Default)]
struct GlobCarry {
    comment: i32,
    nest: Vec<u32>,
    /// Files read so far. Each one moves `lineno` past 1, even an empty one
    /// (`while (!feof(f)) { lineno++; …`), so only the first file's BOM goes.
    files: u32,
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

    fn fatal(&mut self, st: &FileState, lineno: u32, message: String) -> Result<(), Fatal> {
        self.fdiag(st.file, lineno, Severity::Error, message);
        Err(Fatal)
    }

    fn file_name(&self, st: &FileState) -> String {
        self.cfg.document.path(st.file).display().to_string()
    }
}
