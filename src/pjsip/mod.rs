//! The pjsip.conf engine: reads, resolves and checks a PJSIP configuration the
//! way Asterisk 22 does. Plain Rust: no web framework, no async.
//!
//! - `parser`: main/config.c (comments, templates, appends, includes);
//! - `objects`: res_sorcery_config (types, duplicates, unknown options);
//! - `wizard`: res_pjsip_config_wizard;
//! - `document`: the bytes behind it all, for lossless editing.

pub mod diagnostic;
pub mod document;
pub mod edit;
pub mod fs;
pub mod generate;
pub mod objects;
pub mod option_rules;
pub mod option_table;
pub mod options;
pub mod parser;
pub mod report;
pub mod store;
pub mod validate;
pub mod version;
pub mod value;
pub mod wizard;

pub use diagnostic::{Diagnostic, Severity};
pub use objects::{Effective, Object, Origin, Provenance};
pub use parser::{Config, LoadStatus};
pub use value::{Secret, Value};

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The wizard's file name, looked for beside pjsip.conf.
pub const WIZARD_FILE: &str = "pjsip_wizard.conf";

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PjsipError {
    #[error("cannot read {0}")]
    Missing(PathBuf),
    #[error("{path} is invalid and Asterisk would load nothing from it: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// pjsip.conf, the wizard file beside it, and the objects Asterisk would build.
#[derive(Debug, Clone)]
pub struct PjsipConfig {
    /// Shared with the objects, which read their lines from it.
    pub main: Arc<Config>,
    pub wizard: Option<Arc<Config>>,
    /// In Asterisk's order. Read-only after load: the lookup index points into it.
    pub objects: Vec<Object>,
    /// Object-level findings (the parser's are in `main` and `wizard`).
    pub object_diagnostics: Vec<Diagnostic>,
    /// Asterisk would reject at least one object or type.
    pub rejected: bool,
    /// (type, name) → the first such object: API lookups must not scan 15,000 objects.
    by_name: rustc_hash::FxHashMap<(Arc<str>, Arc<str>), usize>,
}

impl PjsipConfig {
    pub fn load(path: &Path) -> Self {
        Self::load_with(&fs::OsFs, path)
    }

    pub fn load_with(fs: &dyn fs::ConfigFs, path: &Path) -> Self {
        let main = Arc::new(parser::load_with(fs, path));
        let wizard_path = path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(WIZARD_FILE);
        let wizard = match fs.read(&wizard_path) {
            Ok(_) => Some(Arc::new(parser::load_with(fs, &wizard_path))),
            Err(_) => None,
        };
        let mut set = objects::load_objects(&main);
        if let Some(w) = &wizard {
            let ws = wizard::load_wizard(w);
            for object in ws.objects {
                // res_pjsip_config_wizard applies each object on its own: one refused, the rest stay.
                match validate::rejection(&object) {
                    None => set.objects.push(object),
                    Some(why) => {
                        set.rejected = true;
                        set.diagnostics.push(diagnostic::Diagnostic {
                            severity: diagnostic::Severity::Error,
                            file: object.defined_at.file.to_string().into(),
                            line: object.defined_at.line,
                            message: format!("{why}; Unable to apply object type '{}' with id '{}'", object.kind, object.name),
                        });
                    }
                }
            }
            set.diagnostics.extend(ws.diagnostics);
            set.rejected |= ws.rejected;
        }
        let unsendable = validate::unsendable_registrations(&set.objects);
        for (i, why) in unsendable.iter().rev() {
            let o = set.objects.remove(*i);
            set.rejected = true;
            set.diagnostics.push(diagnostic::Diagnostic {
                severity: diagnostic::Severity::Error,
                file: o.defined_at.file.to_string().into(),
                line: o.defined_at.line,
                message: format!("{why}: it is not created"),
            });
        }
        Self::from_parts(main, wizard, set)
    }

    /// A config from what was read and the objects made of it.
    pub(crate) fn from_parts(main: Arc<Config>, wizard: Option<Arc<Config>>, set: objects::ObjectSet) -> Self {
        let mut by_name = rustc_hash::FxHashMap::default();
        for (i, o) in set.objects.iter().enumerate() {
            by_name.entry((o.kind.clone(), o.name.clone())).or_insert(i);
        }
        PjsipConfig {
            main,
            wizard,
            objects: set.objects,
            object_diagnostics: set.diagnostics,
            rejected: set.rejected,
            by_name,
        }
    }

    /// Why Asterisk would load nothing from pjsip.conf, if it would not.
    pub fn error(&self) -> Option<PjsipError> {
        let path = self
            .main
            .document
            .files
            .first()
            .map(|f| f.path.clone())
            .unwrap_or_default();
        match self.main.status {
            LoadStatus::Loaded => None,
            LoadStatus::Missing => Some(PjsipError::Missing(
                self.main
                    .diagnostics
                    .first()
                    .map(|d| d.file.clone())
                    .unwrap_or(path),
            )),
            LoadStatus::Invalid => Some(PjsipError::Invalid {
                path,
                reason: self
                    .main
                    .diagnostics
                    .iter()
                    .rev()
                    .find(|d| d.severity == Severity::Error)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            }),
        }
    }

    /// Every finding: the parser's for each file, then the object level's.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.main
            .diagnostics
            .iter()
            .chain(self.wizard.iter().flat_map(|w| w.diagnostics.iter()))
            .chain(self.object_diagnostics.iter())
    }

    pub fn objects_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Object> + 'a {
        self.objects.iter().filter(move |o| &*o.kind == kind)
    }

    pub fn object(&self, kind: &str, name: &str) -> Option<&Object> {
        let key: (Arc<str>, Arc<str>) = (kind.into(), name.into());
        self.by_name.get(&key).and_then(|&i| self.objects.get(i))
    }

    /// pjsip.conf itself: the file the load started from.
    pub fn root(&self) -> &Path {
        self.main.document.files.first().map(|f| f.path.as_path()).unwrap_or(Path::new(""))
    }

    /// Every file read, for change detection.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.main
            .document
            .files
            .iter()
            .chain(self.wizard.iter().flat_map(|w| w.document.files.iter()))
            .map(|f| f.path.as_path())
    }
}
