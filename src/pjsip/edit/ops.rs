//! Set, unset, add and remove: the option edits, planned as line operations
//! where the values are written.

use super::codecs::{self, Codecs};
use super::line::{self, Style};
use super::target::{find, inherited, lines_of, own, Found, Scope, Target};
use super::verify::{Expect, SectionKey};
use super::{EditError, Plan};
use crate::pjsip::options;
use crate::pjsip::parser::{Category, Location, Variable};
use crate::pjsip::PjsipConfig;
use crate::secret::REDACTED;

/// res_pjsip_config_wizard's own options (the rest are `endpoint/…`, `aor/…`, …).
const WIZARD_KEYS: &[&str] = &[
    "type",
    "transport",
    "remote_hosts",
    "outbound_proxy",
    "sends_auth",
    "sends_registrations",
    "sends_line_with_registrations",
    "accepts_auth",
    "accepts_registrations",
    "server_uri_pattern",
    "client_uri_pattern",
    "contact_pattern",
    "has_phoneprov",
    "has_hint",
    "hint_context",
    "hint_exten",
    "hint_application",
];
const WIZARD_PREFIXES: &[&str] = &["endpoint", "aor", "inbound_auth", "outbound_auth", "identify", "registration", "phoneprov"];

/// Refuses a key the section's type does not have and a value Asterisk
/// would refuse or could not read back as written.
pub(crate) fn check_option(f: &Found, key: &str, value: Option<&str>) -> Result<(), EditError> {
    check_key(&f.kind, &f.label(), key, value)
}

/// [`check_option`] for a section of type `kind` (`wizard` for a wizard entry).
pub(crate) fn check_key(section_kind: &str, label: &str, key: &str, value: Option<&str>) -> Result<(), EditError> {
    if key.is_empty() || key.bytes().any(|b| b.is_ascii_whitespace() || matches!(b, b'=' | b';' | b'[' | b'#' | b'\\')) {
        return Err(EditError::Invalid(format!("'{key}' is not an option name")));
    }
    if key.eq_ignore_ascii_case("type") {
        return Err(EditError::Invalid(format!(
            "the type of {label} is not changed by an edit: delete it and create it anew"
        )));
    }
    let (kind, name) = super::target::key_kind(section_kind, key);
    if section_kind == "wizard" {
        let known = match key.split_once('/') {
            Some((prefix, _)) => WIZARD_PREFIXES.contains(&prefix),
            None => WIZARD_KEYS.contains(&key),
        };
        if !known {
            return Err(EditError::Invalid(format!(
                "the wizard has no option '{key}': its own are {}, and the rest are written {}/OPTION",
                WIZARD_KEYS.join(", "),
                WIZARD_PREFIXES.join("/, ")
            )));
        }
        if !key.contains('/') {
            return value.map_or(Ok(()), |v| writable(key, v));
        }
    }
    if options::is_type(&kind) && !options::is_known_option(&kind, name) {
        return Err(EditError::Invalid(format!(
            "{kind} has no option '{name}': Asterisk would refuse the whole object"
        )));
    }
    let Some(value) = value else { return Ok(()) };
    writable(key, value)?;
    if options::is_type(&kind) {
        if let Err(why) = crate::pjsip::option_rules::check(&kind, name, value) {
            let (shown, why) = shown(key, value, why);
            return Err(EditError::Invalid(format!("{kind} option {name}={shown}: {why}")));
        }
    }
    Ok(())
}

/// A refused value as a message may show it: a secret's never.
fn shown(key: &str, value: &str, why: String) -> (String, String) {
    if crate::secret::is_secret_name(key) {
        let why = if value.is_empty() { why } else { why.replace(value, REDACTED) };
        (REDACTED.to_string(), why)
    } else {
        (value.to_string(), why)
    }
}

fn writable(key: &str, value: &str) -> Result<(), EditError> {
    match line::unwritable(value) {
        Some(why) => {
            let (shown, why) = shown(key, value, why.to_string());
            Err(EditError::Invalid(format!("{key}='{shown}': {why}")))
        }
        None => Ok(()),
    }
}

fn is_codec_key(f: &Found, key: &str) -> bool {
    f.kind != "wizard" && (key.eq_ignore_ascii_case("allow") || key.eq_ignore_ascii_case("disallow"))
}

fn is_list(f: &Found, key: &str) -> bool {
    let (kind, name) = f.key_kind(key);
    options::is_list_option(&kind, name)
}

/// set_var values contain `,`; every other list option takes comma lists.
pub(crate) fn items_of(key: &str, value: &str) -> Vec<String> {
    if key.ends_with("set_var") {
        return vec![value.to_string()];
    }
    value.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

fn raw<'c>(f: &Found<'c>, at: Location) -> &'c [u8] {
    f.config.document.file(at.file).line_bytes(at.line).unwrap_or_default()
}

fn place(f: &Found, at: Location) -> String {
    format!("{}:{}", f.config.path(at.file).display(), at.line)
}

/// A line an edit will not rewrite: Asterisk could read the result differently.
fn not_plain(f: &Found, at: Location) -> EditError {
    EditError::Unsafe(format!("{} is not a plain 'name = value' line (a block comment or an escape): edit it by hand", place(f, at)))
}

/// The new value goes in place of the old one on the line it was written on.
fn replace_value(plan: &mut Plan, f: &Found, at: Location, value: &str) -> Result<(), EditError> {
    let raw = raw(f, at);
    let Some(spans) = line::lex(raw) else {
        return Err(not_plain(f, at));
    };
    let new = line::replace_value(raw, &spans, value);
    plan.patch(f.tree, at.file)
        .replace(at.line, new)
        .map_err(|e| EditError::Invalid(format!("{}: {e}", place(f, at))))
}

fn delete_line(plan: &mut Plan, f: &Found, at: Location) -> Result<(), EditError> {
    if line::lex(raw(f, at)).is_none() {
        return Err(not_plain(f, at));
    }
    plan.patch(f.tree, at.file)
        .delete(at.line)
        .map_err(|e| EditError::Invalid(format!("{}: {e}", place(f, at))))
}

/// The spacing of the section's own assignments, or of the file's.
pub(crate) fn style(f: &Found, cat: &Category) -> Style {
    cat.variables
        .iter()
        .filter(|v| v.template.is_none())
        .chain(f.config.categories.iter().flat_map(|c| c.variables.iter()).filter(|v| v.template.is_none()).take(50))
        .find_map(|v| Style::of(raw(f, v.origin)))
        .unwrap_or_default()
}

/// Where a new own line goes: after the last own line of `key`, else after
/// the section's last own line, else after its header.
fn insertion_point(cat: &Category, key: &str) -> Location {
    insertion_point_of(cat, &[key])
}

/// After the section's last own line of any of `keys` (a `+=` line on an
/// inherited value counts: a new line before it would be appended to),
/// else after its last own line, else after its header.
fn insertion_point_of(cat: &Category, keys: &[&str]) -> Location {
    let own_lines = |v: &Variable| -> Vec<Location> {
        if v.template.is_none() { lines_of(v).collect() } else { v.appended.clone() }
    };
    let last = cat
        .variables
        .iter()
        .filter(|v| keys.iter().any(|k| v.name.eq_ignore_ascii_case(k)))
        .flat_map(own_lines)
        .max_by_key(|l| (l.file, l.line));
    last.or_else(|| cat.variables.iter().rfind(|v| v.template.is_none()).map(|v| lines_of(v).last().unwrap_or(v.origin)))
        .unwrap_or(cat.origin)
}

fn insert_lines(plan: &mut Plan, f: &Found, after: Location, lines: Vec<Vec<u8>>) {
    let patch = plan.patch(f.tree, after.file);
    for l in lines {
        patch.insert_after(after.line, l);
    }
}

/// Makes the section's own lines of `keys` exactly `wanted` (name, value),
/// changing as few lines as it can: a line that already says it stays.
fn align(plan: &mut Plan, f: &Found, cat: &Category, keys: &[&str], wanted: &[(&str, String)]) -> Result<(), EditError> {
    let current: Vec<&Variable> = cat
        .variables
        .iter()
        .filter(|v| v.template.is_none() && keys.iter().any(|k| v.name.eq_ignore_ascii_case(k)))
        .collect();
    let style = style(f, cat);
    for (i, v) in current.iter().enumerate() {
        match wanted.get(i) {
            Some((name, value)) if v.name.eq_ignore_ascii_case(name) => {
                if *v.value != **value || !v.appended.is_empty() {
                    replace_value(plan, f, v.origin, value)?;
                }
                for at in &v.appended {
                    delete_line(plan, f, *at)?;
                }
            }
            Some((name, value)) => {
                if line::lex(raw(f, v.origin)).is_none() {
                    return Err(not_plain(f, v.origin));
                }
                plan.patch(f.tree, v.origin.file)
                    .replace(v.origin.line, style.line(name, value))
                    .map_err(|e| EditError::Invalid(e.to_string()))?;
                for at in &v.appended {
                    delete_line(plan, f, *at)?;
                }
            }
            None => {
                for at in lines_of(v) {
                    delete_line(plan, f, at)?;
                }
            }
        }
    }
    if wanted.len() > current.len() {
        let after = current.last().map(|v| lines_of(v).last().unwrap_or(v.origin)).unwrap_or_else(|| insertion_point(cat, keys[0]));
        let new = wanted[current.len()..].iter().map(|(n, v)| style.line(n, v)).collect();
        insert_lines(plan, f, after, new);
    }
    Ok(())
}

fn key_of(f: &Found) -> SectionKey {
    SectionKey::of(f)
}

pub(crate) fn set(cfg: &PjsipConfig, plan: &mut Plan, target: &Target, key: &str, value: &str) -> Result<(), EditError> {
    let f = find(cfg, target)?;
    check_option(&f, key, Some(value))?;
    let cat = f.category();
    if target.scope == Scope::Template {
        return set_in_template(plan, &f, key, value);
    }
    plan.expect.touch(&f);
    if is_codec_key(&f, key) {
        if key.eq_ignore_ascii_case("disallow") {
            return Err(EditError::Invalid("set the codecs with allow=…; disallow is for removing one: use remove".into()));
        }
        let inherited_codecs = !inherited(cat, "allow").is_empty() || !inherited(cat, "disallow").is_empty();
        let starts_with_reset = cat
            .variables
            .iter()
            .find(|v| v.template.is_none() && (v.name.eq_ignore_ascii_case("allow") || v.name.eq_ignore_ascii_case("disallow")))
            .is_some_and(|v| v.name.eq_ignore_ascii_case("disallow") && v.value.eq_ignore_ascii_case("all"));
        let mut wanted = Vec::new();
        if inherited_codecs || starts_with_reset {
            wanted.push(("disallow", "all".to_string()));
        }
        wanted.push(("allow", value.to_string()));
        align(plan, &f, cat, &["allow", "disallow"], &wanted)?;
        plan.expect.push(key_of(&f), key, Expect::Codecs(codecs::effective(std::iter::once((true, value)))));
        return Ok(());
    }
    if is_list(&f, key) {
        align(plan, &f, cat, &[key], &[(key, value.to_string())])?;
        let remaining: Vec<String> = inherited(cat, key).iter().flat_map(|v| items_of(key, &v.value)).collect();
        if !remaining.is_empty() {
            plan.notes.push(format!(
                "{}: {key} also keeps the items its templates give ({}); remove them with remove, or set them in the template",
                f.label(),
                remaining.join(", ")
            ));
        }
        plan.expect.push(key_of(&f), key, Expect::Items { has: items_of(key, value), lacks: Vec::new() });
        return Ok(());
    }
    match own(cat, key).last() {
        Some(v) => {
            replace_value(plan, &f, v.origin, value)?;
            for at in &v.appended {
                delete_line(plan, &f, *at)?;
            }
        }
        None => {
            let line = style(&f, cat).line(key, value);
            insert_lines(plan, &f, insertion_point(cat, key), vec![line]);
        }
    }
    plan.expect.push(key_of(&f), key, Expect::Scalar(Some(value.to_string())));
    Ok(())
}

/// The template the value in effect comes from changes: every object
/// inheriting it changes with it, and the note says how many.
fn set_in_template(plan: &mut Plan, f: &Found, key: &str, value: &str) -> Result<(), EditError> {
    let cat = f.category();
    if let Some(v) = own(cat, key).last() {
        return Err(EditError::Invalid(format!(
            "{} sets {key} itself ({}): no template's value is in effect there",
            f.label(),
            place(f, v.origin)
        )));
    }
    let Some(v) = inherited(cat, key).pop() else {
        return Err(EditError::NotFound(format!("no template of {} gives {key}", f.label())));
    };
    if is_list(f, key) {
        return Err(EditError::Invalid(format!(
            "{key} is a list that every template adds to: edit the template [{}] itself",
            v.template.as_deref().unwrap_or("")
        )));
    }
    replace_value(plan, f, v.origin, value)?;
    let template = v.template.clone().unwrap_or_default();
    let (objects, taking) = template_reach(f, &template, v.origin);
    plan.expect.touch_inheritors(f.tree, &template);
    plan.expect.push(key_of(f), key, Expect::Scalar(Some(value.to_string())));
    plan.notes.push(format!(
        "changes template [{template}] at {}: {objects} object(s) inherit it, {taking} of them take {key} from it",
        place(f, v.origin)
    ));
    Ok(())
}

/// How many objects inherit `template`, and how many take the line at `at` as their value.
fn template_reach(f: &Found, template: &str, at: Location) -> (usize, usize) {
    let mut objects = 0;
    let mut taking = 0;
    for c in f.config.categories.iter().filter(|c| !c.is_template) {
        if !c.variables.iter().any(|v| v.template.as_deref() == Some(template)) && !c.templates.iter().any(|t| **t == *template) {
            continue;
        }
        objects += 1;
        let name = f.config.document.file(at.file).line_bytes(at.line).and_then(line::lex).map(|s| {
            let raw = f.config.document.file(at.file).line_bytes(at.line).unwrap_or_default();
            String::from_utf8_lossy(&raw[s.name]).into_owned()
        });
        let last = name.and_then(|n| c.variables.iter().rev().find(|v| v.name.eq_ignore_ascii_case(&n)).map(|v| v.origin));
        if last == Some(at) {
            taking += 1;
        }
    }
    (objects, taking)
}

pub(crate) fn unset(cfg: &PjsipConfig, plan: &mut Plan, target: &Target, key: &str) -> Result<(), EditError> {
    let f = find(cfg, target)?;
    check_option(&f, key, None)?;
    let cat = f.category();
    if target.scope == Scope::Template {
        return Err(EditError::Invalid(
            "unset removes an object's own line; to change a template, name the template itself".into(),
        ));
    }
    let keys: Vec<&str> = if is_codec_key(&f, key) { vec!["allow", "disallow"] } else { vec![key] };
    let own_lines: Vec<&Variable> = keys.iter().flat_map(|k| own(cat, k)).collect();
    if own_lines.is_empty() {
        let from = inherited(cat, key).last().map(|v| format!(" (its value comes from template [{}])", v.template.as_deref().unwrap_or("")));
        return Err(EditError::NotFound(format!("{} does not set {key} itself{}", f.label(), from.unwrap_or_default())));
    }
    plan.expect.touch(&f);
    align(plan, &f, cat, &keys, &[])?;
    let expect = if is_codec_key(&f, key) {
        let lines: Vec<(bool, &str)> = cat
            .variables
            .iter()
            .filter(|v| v.template.is_some())
            .filter_map(|v| codecs::line(&v.name, &v.value))
            .collect();
        Expect::Codecs(codecs::effective(lines.into_iter()))
    } else if is_list(&f, key) {
        Expect::Items { has: inherited(cat, key).iter().flat_map(|v| items_of(key, &v.value)).collect(), lacks: Vec::new() }
    } else {
        Expect::Scalar(inherited(cat, key).last().map(|v| v.value.to_string()))
    };
    plan.expect.push(key_of(&f), key, expect);
    Ok(())
}

pub(crate) fn add(cfg: &PjsipConfig, plan: &mut Plan, target: &Target, key: &str, items: &[String]) -> Result<(), EditError> {
    let f = find(cfg, target)?;
    let cat = f.category();
    if !is_list(&f, key) {
        return Err(EditError::Invalid(format!("{key} is not a list option: use set")));
    }
    if items.is_empty() {
        return Err(EditError::Invalid("nothing to add".into()));
    }
    for item in items {
        check_option(&f, key, Some(item))?;
    }
    if target.scope == Scope::Template {
        return Err(EditError::Invalid("add to a template by naming the template itself".into()));
    }
    plan.expect.touch(&f);
    let style = style(&f, cat);
    let lines = items.iter().map(|i| style.line(key, i)).collect();
    if is_codec_key(&f, key) {
        // After any own disallow too: a later disallow would take it back.
        insert_lines(plan, &f, insertion_point_of(cat, &["allow", "disallow"]), lines);
        let allowing = key.eq_ignore_ascii_case("allow");
        let (mut has, mut lacks) = (Vec::new(), Vec::new());
        for raw in items.iter().flat_map(|i| crate::pjsip::validate::codec_items(i)) {
            match codecs::item(allowing, raw) {
                (_, name) if name.is_empty() || name == "all" => {}
                (true, name) => has.push(name),
                (false, name) => lacks.push(name),
            }
        }
        plan.expect.push(key_of(&f), key, Expect::CodecItems { has, lacks });
    } else {
        insert_lines(plan, &f, insertion_point(cat, key), lines);
        plan.expect.push(key_of(&f), key, Expect::Items { has: items.iter().flat_map(|i| items_of(key, i)).collect(), lacks: Vec::new() });
    }
    Ok(())
}

pub(crate) fn remove(cfg: &PjsipConfig, plan: &mut Plan, target: &Target, key: &str, items: &[String]) -> Result<(), EditError> {
    let f = find(cfg, target)?;
    let cat = f.category();
    if !is_list(&f, key) {
        return Err(EditError::Invalid(format!("{key} is not a list option: use unset")));
    }
    check_option(&f, key, None)?;
    if target.scope == Scope::Template {
        return Err(EditError::Invalid("remove from a template by naming the template itself".into()));
    }
    let codec = is_codec_key(&f, key);
    if codec && key.eq_ignore_ascii_case("disallow") {
        return Err(EditError::Invalid("removing from disallow would allow a codec again: use allow+=".into()));
    }
    plan.expect.touch(&f);
    let same = |a: &str, b: &str| if codec { codecs::item(true, a).1 == codecs::item(true, b).1 } else { a == b };
    let parts_of = |v: &str| -> Vec<String> {
        if codec { crate::pjsip::validate::codec_items(v).filter(|p| !p.is_empty()).map(str::to_string).collect() } else { items_of(key, v) }
    };
    let mut removed = vec![false; items.len()];
    // What each own line of the list says once the items are out (None: the line goes).
    let mut rewritten: Vec<(Location, Option<String>)> = Vec::new();
    for v in own(cat, key) {
        if !v.appended.is_empty() {
            continue;
        }
        let parts = parts_of(&v.value);
        let kept: Vec<&String> = parts.iter().filter(|p| !items.iter().any(|i| same(p, i))).collect();
        if kept.len() == parts.len() {
            continue;
        }
        for (i, item) in items.iter().enumerate() {
            removed[i] |= parts.iter().any(|p| same(p, item));
        }
        let joined = (!kept.is_empty()).then(|| kept.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","));
        match &joined {
            None => delete_line(plan, &f, v.origin)?,
            Some(j) => replace_value(plan, &f, v.origin, j)?,
        }
        rewritten.push((v.origin, joined));
    }
    if codec {
        let lines = |edited: bool| -> Codecs {
            let owned: Vec<(bool, String)> = cat
                .variables
                .iter()
                .filter_map(|v| {
                    let (allowing, value) = codecs::line(&v.name, &v.value)?;
                    match rewritten.iter().find(|(at, _)| edited && v.template.is_none() && *at == v.origin) {
                        Some((_, Some(text))) => Some((allowing, text.clone())),
                        Some((_, None)) => None,
                        None => Some((allowing, value.to_string())),
                    }
                })
                .collect();
            codecs::effective(owned.iter().map(|(a, s)| (*a, s.as_str())))
        };
        let (before, after) = (lines(false), lines(true));
        let missing: Vec<&String> = items.iter().filter(|i| !before.allows(&codecs::item(true, i).1)).collect();
        if !missing.is_empty() {
            return Err(EditError::NotFound(format!(
                "{} does not allow {}",
                f.label(),
                missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        // What the remaining lines (a template's, say) still allow is disallowed on a line of its own.
        let still: Vec<&String> = items.iter().filter(|i| after.allows(&codecs::item(true, i).1)).collect();
        if !still.is_empty() {
            let style = style(&f, cat);
            let lines = still.iter().map(|i| style.line("disallow", i)).collect();
            insert_lines(plan, &f, insertion_point_of(cat, &["allow", "disallow"]), lines);
        }
        let lacks = items.iter().map(|i| codecs::item(true, i).1).collect();
        plan.expect.push(key_of(&f), key, Expect::CodecItems { has: Vec::new(), lacks });
        return Ok(());
    }
    let from_template: Vec<&String> = items.iter().enumerate().filter(|(i, _)| !removed[*i]).map(|(_, s)| s).collect();
    if let Some(item) = from_template.first() {
        let holder = inherited(cat, key).into_iter().find(|v| items_of(key, &v.value).iter().any(|p| same(p, item)));
        return Err(match holder {
            Some(v) => EditError::Invalid(format!(
                "{} has {key} item '{item}' from template [{}]: a list cannot take an inherited item back; edit the template",
                f.label(),
                v.template.as_deref().unwrap_or("")
            )),
            None => EditError::NotFound(format!("{} has no {key} item '{item}'", f.label())),
        });
    }
    plan.expect.push(key_of(&f), key, Expect::Items { has: Vec::new(), lacks: items.iter().flat_map(|i| items_of(key, i)).collect() });
    Ok(())
}
