//! What a parse produces: the config, its categories and their variables.

use crate::pjsip::diagnostic::Diagnostic;
use crate::pjsip::document::{Document, FileId};
use std::path::Path;
use std::sync::{Arc, OnceLock};

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
    /// Each file's path as text, made once for the thousands of values that name it.
    pub(crate) labels: OnceLock<Vec<Arc<str>>>,
}

impl Config {
    /// The sections that are not templates, in file order: what GetConfig lists.
    pub fn sections(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(|c| !c.is_template)
    }

    pub fn path(&self, file: FileId) -> &Path {
        self.document.path(file)
    }

    /// A file's path as provenances show it.
    pub fn label(&self, file: FileId) -> &Arc<str> {
        &self.labels.get_or_init(|| self.document.files.iter().map(|f| Arc::from(f.path.display().to_string())).collect())[file]
    }
}
