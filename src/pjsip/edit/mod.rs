//! Edits on the lossless document: set, unset, add and remove list items,
//! create and delete objects, in pjsip.conf, the files it includes, and
//! pjsip_wizard.conf.
//!
//! An edit is planned as line operations on the files the values come from
//! (provenance decides: an option written in an included file is edited
//! there; an inherited one is overridden in the object's own section unless
//! the template itself is asked for). The planned bytes are then read again
//! the way Asterisk reads them and the edit is kept only if it did exactly
//! what was asked, to the object asked for, and nothing to any other object.

pub mod codecs;
mod create;
mod diff;
pub mod line;
mod ops;
pub mod patch;
mod refs;
mod region;
mod target;
mod verify;

pub use diff::unified;
pub use refs::{referrers, Referrer};
pub use target::{Scope, Target};

use super::document::FileId;
use super::objects::Object;
use super::PjsipConfig;
use patch::FilePatch;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// One change an admin asks for. Its `Debug` shows no secret value.
#[derive(Clone, PartialEq, Eq)]
pub enum Change {
    /// Give an option this value (for a list: exactly these items).
    Set { target: Target, key: String, value: String },
    /// Remove the object's own lines for an option: the inherited value, or
    /// Asterisk's default, applies again.
    Unset { target: Target, key: String },
    /// Add items to a list option (`allow`, `match`, `contact`, …).
    Add { target: Target, key: String, items: Vec<String> },
    /// Remove items from a list option.
    Remove { target: Target, key: String, items: Vec<String> },
    /// A new object, `[name](templates)`, with options of its own.
    Create(NewObject),
    /// An endpoint with its auth and aor, named and templated as the config's
    /// other endpoints on the same template are.
    CreateTrio { name: String, template: String, password: String },
    /// Remove an object's section (and with `trio`, the endpoint's auth and aors).
    Delete { target: Target, trio: bool, force: bool },
}

#[derive(Clone, PartialEq, Eq)]
pub struct NewObject {
    pub kind: String,
    pub name: String,
    pub templates: Vec<String>,
    pub options: Vec<(String, String)>,
}

/// Which parsed file set an edit is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tree {
    /// pjsip.conf and what it includes.
    Main,
    /// pjsip_wizard.conf and what it includes.
    Wizard,
}

/// Why an edit was refused. Nothing is written when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Ambiguous(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{what} is still named by {}; delete or change those first, or force it", list(referrers))]
    Referenced { what: String, referrers: Vec<Referrer> },
    #[error("{0}")]
    Unsafe(String),
    #[error("the config cannot be edited: {0}")]
    Unloadable(String),
    #[error("the edit would not do what was asked: {0}")]
    Unverified(String),
}

fn list(r: &[Referrer]) -> String {
    r.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", ")
}

/// A file an edit changes: its bytes before and after (its `Debug` shows
/// their sizes: the bytes hold passwords).
#[derive(Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: PathBuf,
    pub before: Vec<u8>,
    pub after: Vec<u8>,
}

impl fmt::Debug for FileChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileChange({}, {} -> {} bytes)", self.path.display(), self.before.len(), self.after.len())
    }
}

/// A value as `Debug` may show it.
fn shown<'a>(key: &str, value: &'a str) -> &'a str {
    // Looser than the name rule: a key that is no option (`password `,
    // `my_secret`) is refused later, but is shown before that.
    if crate::secret::is_secret_name(key) || crate::secret::mentions_secret(key) { crate::secret::REDACTED } else { value }
}

impl fmt::Debug for NewObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let options: Vec<String> = self.options.iter().map(|(k, v)| format!("{k}={}", shown(k, v))).collect();
        write!(f, "NewObject({} [{}]({}) {:?})", self.kind, self.name, self.templates.join(","), options)
    }
}

impl fmt::Debug for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Set { target, key, value } => write!(f, "Set({target:?} {key}={})", shown(key, value)),
            Change::Unset { target, key } => write!(f, "Unset({target:?} {key})"),
            Change::Add { target, key, items } => write!(f, "Add({target:?} {key} {:?})", items.iter().map(|i| shown(key, i)).collect::<Vec<_>>()),
            Change::Remove { target, key, items } => write!(f, "Remove({target:?} {key} {:?})", items.iter().map(|i| shown(key, i)).collect::<Vec<_>>()),
            Change::Create(new) => write!(f, "Create({new:?})"),
            Change::CreateTrio { name, template, .. } => write!(f, "CreateTrio({name} from {template}, password {})", crate::secret::REDACTED),
            Change::Delete { target, trio, force } => write!(f, "Delete({target:?} trio={trio} force={force})"),
        }
    }
}

/// The change in an admin's words, secrets redacted: the audit log's summary.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let of = |t: &Target| {
            let kind = t.kind.as_deref().unwrap_or("object");
            match t.scope {
                Scope::Own => format!("{kind} {}", t.name),
                Scope::Template => format!("the template of {kind} {}", t.name),
            }
        };
        let items = |key: &str, items: &[String]| items.iter().map(|i| shown(key, i)).collect::<Vec<_>>().join(",");
        match self {
            Change::Set { target, key, value } => write!(f, "{}: set {key}={}", of(target), shown(key, value)),
            Change::Unset { target, key } => write!(f, "{}: unset {key}", of(target)),
            Change::Add { target, key, items: i } => write!(f, "{}: add {} to {key}", of(target), items(key, i)),
            Change::Remove { target, key, items: i } => write!(f, "{}: remove {} from {key}", of(target), items(key, i)),
            Change::Create(new) => write!(f, "create {} {} from ({})", new.kind, new.name, new.templates.join(",")),
            Change::CreateTrio { name, template, .. } => write!(f, "create extension {name} (endpoint, auth, aor) from {template}, new password"),
            Change::Delete { target, trio, force } => {
                write!(f, "delete {}{}{}", of(target), if *trio { " with its auth and aor" } else { "" }, if *force { ", forced" } else { "" })
            }
        }
    }
}

/// A checked edit, ready to write.
#[derive(Debug, Clone)]
pub struct Edited {
    pub files: Vec<FileChange>,
    /// What an admin should know: templates changed and how many objects
    /// that affects, inherited items that remain, references forced away.
    pub notes: Vec<String>,
    /// The objects the edit creates, as (type, id).
    pub created: Vec<(String, String)>,
    /// Objects new or with other options after the edit, as Asterisk would
    /// build them: what a reload must be seen to have loaded.
    pub changed: Vec<Object>,
    /// Objects the edit removes, as (type, id).
    pub removed: Vec<(String, String)>,
    /// How many objects Asterisk would have after the edit.
    pub objects: usize,
    /// How much was read back to check it.
    pub checked: Reread,
}

impl Edited {
    /// The whole config as Asterisk would read it after the edit.
    pub fn reread(&self, before: &PjsipConfig) -> PjsipConfig {
        verify::reload(before, &self.files)
    }
}

/// How an edit is read back before it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reread {
    /// Only the edited sections, when nothing else can read differently;
    /// the whole config otherwise.
    Edited,
    /// The whole config, always: what `Edited` must agree with.
    Whole,
}

/// What one plan will do, before it is rendered and checked.
#[derive(Default)]
pub(crate) struct Plan {
    pub patches: BTreeMap<(Tree, FileId), FilePatch>,
    pub notes: Vec<String>,
    pub expect: verify::Expectations,
}

impl Plan {
    pub fn patch(&mut self, tree: Tree, file: FileId) -> &mut FilePatch {
        self.patches.entry((tree, file)).or_default()
    }
}

/// Plans, renders and verifies `changes` on `cfg`, all or nothing.
pub fn edit(cfg: &PjsipConfig, changes: &[Change]) -> Result<Edited, EditError> {
    edit_with(cfg, changes, Reread::Edited)
}

/// [`edit`], reading the edit back as `how` says.
pub fn edit_with(cfg: &PjsipConfig, changes: &[Change], how: Reread) -> Result<Edited, EditError> {
    if let Some(e) = cfg.error() {
        return Err(EditError::Unloadable(e.to_string()));
    }
    let mut plan = Plan::default();
    for change in changes {
        match change {
            Change::Set { target, key, value } => ops::set(cfg, &mut plan, target, key, value)?,
            Change::Unset { target, key } => ops::unset(cfg, &mut plan, target, key)?,
            Change::Add { target, key, items } => ops::add(cfg, &mut plan, target, key, items)?,
            Change::Remove { target, key, items } => ops::remove(cfg, &mut plan, target, key, items)?,
            Change::Create(new) => create::create(cfg, &mut plan, new)?,
            Change::CreateTrio { name, template, password } => create::trio(cfg, &mut plan, name, template, password)?,
            Change::Delete { target, trio, force } => create::delete(cfg, &mut plan, target, *trio, *force)?,
        }
    }
    let files = render(cfg, &plan);
    let created = plan.expect.created.iter().map(|k| (k.kind.clone(), k.name.clone())).collect();
    // A region that fails the check is checked again on a full read, whose
    // findings name the right lines: only a pass is taken from it.
    let region = (how == Reread::Edited).then(|| region::reread(cfg, &files)).flatten();
    if let Some(r) = region {
        if let Ok(outcome) = verify::check(cfg, &r.old, &r.new, &plan.expect) {
            let objects = cfg.objects.len() - r.old.objects.len() + r.new.objects.len();
            return Ok(Edited { files, notes: plan.notes, created, changed: outcome.changed, removed: outcome.removed, objects, checked: Reread::Edited });
        }
    }
    let config = verify::reload(cfg, &files);
    let outcome = verify::check(cfg, cfg, &config, &plan.expect)?;
    let objects = config.objects.len();
    Ok(Edited { files, notes: plan.notes, created, changed: outcome.changed, removed: outcome.removed, objects, checked: Reread::Whole })
}

/// Puts files back as they were (a backup's bytes): checked as every edit
/// is, but for which objects may change, which is any.
pub fn restore(cfg: &PjsipConfig, files: Vec<FileChange>) -> Result<Edited, EditError> {
    if let Some(e) = cfg.error() {
        return Err(EditError::Unloadable(e.to_string()));
    }
    let files: Vec<FileChange> = files.into_iter().filter(|f| f.before != f.after).collect();
    let config = verify::reload(cfg, &files);
    let mut expect = verify::Expectations::default();
    expect.anything = true;
    let outcome = verify::check(cfg, cfg, &config, &expect)?;
    Ok(Edited {
        files,
        notes: Vec::new(),
        created: Vec::new(),
        changed: outcome.changed,
        removed: outcome.removed,
        objects: config.objects.len(),
        checked: Reread::Whole,
    })
}

/// A password for a new auth: 20 letters and digits from the OS's random
/// source (116 bits), none that look alike, nothing a config line chokes on.
pub fn new_password() -> Result<String, getrandom::Error> {
    random_text(20)
}

/// `len` letters and digits from the OS's random source, each equally
/// likely, none that reads like another (no 0/O, 1/l/I): SIP passwords,
/// account passwords and API tokens.
pub fn random_text(len: usize) -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf)?;
        // 57 letters: 228 = 4 * 57 keeps every letter equally likely.
        for b in buf.iter().filter(|b| **b < 228) {
            if out.len() < len {
                out.push(ALPHABET[(*b as usize) % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

pub(crate) fn tree(cfg: &PjsipConfig, tree: Tree) -> Option<&super::Config> {
    match tree {
        Tree::Main => Some(&cfg.main),
        Tree::Wizard => cfg.wizard.as_deref(),
    }
}

fn render(cfg: &PjsipConfig, plan: &Plan) -> Vec<FileChange> {
    let mut out = Vec::new();
    for ((t, file), patch) in &plan.patches {
        let Some(config) = tree(cfg, *t) else { continue };
        let source = config.document.file(*file);
        let after = patch.render(source);
        if after != source.bytes {
            out.push(FileChange { path: source.path.clone(), before: source.bytes.clone(), after });
        }
    }
    out
}
