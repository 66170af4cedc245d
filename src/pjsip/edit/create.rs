//! Creating and deleting whole sections: one object from a template, an
//! endpoint with its auth and aor, and their removal with the references
//! that would be left dangling.

use super::line::Style;
use super::ops::{check_key, items_of, style};
use super::refs::referrers;
use super::target::{find, own, Found, Target};
use super::verify::{Expect, SectionKey};
use super::{tree, EditError, NewObject, Plan, Tree};
use crate::pjsip::parser::{Category, Config};
use crate::pjsip::parser::MAX_CATEGORY_NAME as MAX_SECTION_NAME;
use crate::pjsip::{options, PjsipConfig};

fn check_name(name: &str) -> Result<(), EditError> {
    let bad = name.is_empty()
        || name.len() > MAX_SECTION_NAME
        || name.trim() != name
        || name.bytes().any(|b| b < 0x20 || matches!(b, b'[' | b']' | b';' | b'\\' | 0x7f));
    if bad {
        return Err(EditError::Invalid(format!(
            "'{name}' cannot be a section name: 1 to {MAX_SECTION_NAME} bytes, no blanks around it, no [ ] ; \\ or control characters"
        )));
    }
    Ok(())
}

fn category_named<'c>(config: &'c Config, name: &str) -> Option<&'c Category> {
    config.categories.iter().find(|c| *c.name == *name)
}

/// The file a new section goes to: where its like already are.
fn home(config: &Config, kind: &str, templates: &[String]) -> usize {
    let of_kind = |c: &&Category| c.first("type").is_some_and(|t| *t.value == *kind) && !c.is_template;
    let sibling = config
        .categories
        .iter()
        .filter(of_kind).rfind(|c| c.templates.first().map(|t| &**t) == templates.first().map(String::as_str))
        .or_else(|| config.categories.iter().rfind(of_kind))
        .or_else(|| templates.first().and_then(|t| category_named(config, t)));
    sibling.map(|c| c.origin.file).unwrap_or(0)
}

pub(crate) fn create(cfg: &PjsipConfig, plan: &mut Plan, new: &NewObject) -> Result<(), EditError> {
    create_in(cfg, plan, new, None)
}

/// [`create`], in `file` when given (a trio's three sections stay together).
fn create_in(cfg: &PjsipConfig, plan: &mut Plan, new: &NewObject, file: Option<usize>) -> Result<(), EditError> {
    check_name(&new.name)?;
    let wizard = new.kind == "wizard";
    if !wizard && !options::is_type(&new.kind) {
        return Err(EditError::Invalid(format!("'{}' is not an object type res_pjsip loads from pjsip.conf", new.kind)));
    }
    let t = if wizard { Tree::Wizard } else { Tree::Main };
    let Some(config) = tree(cfg, t) else {
        return Err(EditError::NotFound("there is no pjsip_wizard.conf beside pjsip.conf".into()));
    };
    let taken = plan.expect.created.iter().any(|k| k.name == new.name && k.kind == new.kind);
    if taken || find(cfg, &Target::new(new.name.clone(), Some(&new.kind))).is_ok_and(|f| !f.is_template()) {
        return Err(EditError::Invalid(format!("{} '{}' already exists", new.kind, new.name)));
    }
    let mut gives_type = false;
    for name in &new.templates {
        let Some(tpl) = category_named(config, name) else {
            return Err(EditError::NotFound(format!("no template named '{name}' to create {} '{}' from", new.kind, new.name)));
        };
        match tpl.first("type") {
            Some(v) if *v.value == *new.kind => gives_type = true,
            Some(v) => {
                return Err(EditError::Invalid(format!(
                    "template [{name}] makes a {}, not a {}",
                    v.value, new.kind
                )))
            }
            None => {}
        }
    }
    let label = format!("{} [{}]", new.kind, new.name);
    for (k, v) in &new.options {
        check_key(&new.kind, &label, k, Some(v))?;
    }

    let file = file.unwrap_or_else(|| home(config, &new.kind, &new.templates));
    let source = config.document.file(file);
    let style = config
        .categories
        .iter()
        .rev()
        .find(|c| c.origin.file == file && !c.is_template)
        .map(|c| style_of(cfg, t, c))
        .unwrap_or_default();
    let mut lines = Vec::new();
    if !source.lines.is_empty() {
        lines.push(Vec::new());
    }
    let mut header = format!("[{}]", new.name);
    if !new.templates.is_empty() {
        header.push_str(&format!("({})", new.templates.join(",")));
    }
    lines.push(header.into_bytes());
    if !gives_type {
        lines.push(style.line("type", &new.kind));
    }
    for (k, v) in &new.options {
        lines.push(style.line(k, v));
    }
    let last = source.lines.last().map(|l| l.number).unwrap_or(0);
    let patch = plan.patch(t, file);
    for l in lines {
        patch.insert_after(last, l);
    }
    let key = SectionKey { tree: t, name: new.name.clone(), kind: new.kind.clone() };
    for (k, v) in &new.options {
        let (kind, name) = super::target::key_kind(&new.kind, k);
        let expect = if options::is_list_option(&kind, name) {
            Expect::Items { has: items_of(k, v), lacks: Vec::new() }
        } else {
            Expect::Scalar(Some(v.clone()))
        };
        plan.expect.push(key.clone(), k, expect);
    }
    plan.expect.created.push(key);
    Ok(())
}

fn style_of(cfg: &PjsipConfig, t: Tree, c: &Category) -> Style {
    let config = tree(cfg, t).expect("the tree the section is in");
    let index = config.categories.iter().position(|x| std::ptr::eq(x, c)).unwrap_or(0);
    let kind = c.first("type").map(|v| v.value.to_string()).unwrap_or_default();
    style(&Found { tree: t, config, index, kind }, c)
}

/// The one name an option holds, when it holds exactly one.
fn single(cat: &Category, key: &str) -> Option<String> {
    let v = own(cat, key).pop()?;
    let names: Vec<&str> = v.value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    (names.len() == 1).then(|| names[0].to_string())
}

/// `sibling`'s name for a related object, made for `name`: `1001` → `1007`,
/// `1001-auth` → `1007-auth`.
fn rename(related: &str, sibling: &str, name: &str) -> String {
    if related.contains(sibling) {
        related.replacen(sibling, name, 1)
    } else {
        name.to_string()
    }
}

/// A trio member as the sibling has it: its name made for the new
/// endpoint, its templates, the options it copies.
type Related = (String, Vec<String>, Vec<(String, String)>);

/// An endpoint with its auth and aor, following the newest endpoint made
/// from the same template: its naming, its auth's and aor's templates.
pub(crate) fn trio(cfg: &PjsipConfig, plan: &mut Plan, name: &str, template: &str, password: &str) -> Result<(), EditError> {
    let config = &cfg.main;
    if category_named(config, template).is_none() {
        return Err(EditError::NotFound(format!("no template named '{template}'")));
    }
    let sibling = config
        .categories
        .iter()
        .filter(|c| !c.is_template && c.templates.iter().any(|t| **t == *template)).rfind(|c| c.first("type").is_some_and(|t| &*t.value == "endpoint"));
    let related = |kind: &str, key: &str| -> Option<Related> {
        let s = sibling?;
        let other = single(s, key)?;
        let f = find(cfg, &Target::new(other.clone(), Some(kind))).ok()?;
        let cat = f.category();
        // The sibling's username pattern is followed; its auth_type is not:
        // the new auth has a password, whatever the sibling's credential is.
        let own_opts: Vec<(String, String)> = own(cat, "username")
            .pop()
            .filter(|_| kind == "auth")
            .map(|v| ("username".to_string(), v.value.to_string()))
            .into_iter()
            .collect();
        Some((rename(&other, &s.name, name), cat.templates.iter().map(|t| t.to_string()).collect(), own_opts))
    };
    let (auth_name, auth_templates, auth_own) =
        related("auth", "auth").unwrap_or_else(|| (name.to_string(), Vec::new(), vec![("username".into(), name.to_string())]));
    let (aor_name, aor_templates, _) = related("aor", "aors").unwrap_or_else(|| (name.to_string(), Vec::new(), Vec::new()));
    let sibling_name = sibling.map(|s| s.name.to_string()).unwrap_or_default();

    let mut auth_options: Vec<(String, String)> = auth_own
        .into_iter()
        .map(|(k, v)| if k == "username" { (k, rename(&v, &sibling_name, name)) } else { (k, v) })
        .collect();
    if !auth_options.iter().any(|(k, _)| k == "username") {
        auth_options.push(("username".into(), name.to_string()));
    }
    let templated_type = auth_templates
        .iter()
        .filter_map(|t| category_named(config, t))
        .any(|c| c.variables.iter().any(|v| v.name.eq_ignore_ascii_case("auth_type")));
    if !templated_type && !auth_options.iter().any(|(k, _)| k == "auth_type") {
        auth_options.insert(0, ("auth_type".into(), "userpass".into()));
    }
    auth_options.push(("password".into(), password.to_string()));
    let endpoint = NewObject {
        kind: "endpoint".into(),
        name: name.to_string(),
        templates: vec![template.to_string()],
        options: vec![("auth".into(), auth_name.clone()), ("aors".into(), aor_name.clone())],
    };
    let auth = NewObject { kind: "auth".into(), name: auth_name, templates: auth_templates, options: auth_options };
    let mut aor_options = Vec::new();
    if aor_templates.is_empty() {
        aor_options.push(("max_contacts".to_string(), "1".to_string()));
    }
    let aor = NewObject { kind: "aor".into(), name: aor_name, templates: aor_templates, options: aor_options };
    let file = home(config, "endpoint", &endpoint.templates);
    for o in [&endpoint, &auth, &aor] {
        create_in(cfg, plan, o, Some(file))?;
    }
    Ok(())
}

/// The lines of a section's own region in its file: its header up to the
/// next header or directive, less the blank lines and the comments that
/// lead into what follows. Returns (first, last) line numbers, inclusive.
fn region(f: &Found) -> Result<(u32, u32), EditError> {
    let cat = f.category();
    let file = f.config.document.file(cat.origin.file);
    let h = cat.origin.line;
    let content = |n: u32| super::line::content(file.line_bytes(n).unwrap_or_default());
    let trimmed = |n: u32| {
        let c = content(n);
        let start = c.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(c.len());
        &c[start..]
    };
    let total = file.lines.len() as u32;
    let mut b = h + 1;
    while b <= total && !matches!(trimmed(b).first(), Some(b'[' | b'#')) {
        b += 1;
    }
    let mut e = b - 1;
    // Comments right above the next header belong to it.
    if b <= total {
        while e > h && trimmed(e).first() == Some(&b';') {
            e -= 1;
        }
    }
    while e > h && trimmed(e).is_empty() {
        e -= 1;
    }
    for n in h..=e {
        if super::line::has_block_comment(file.line_bytes(n).unwrap_or_default()) {
            return Err(EditError::Unsafe(format!(
                "{}:{n} has a block comment inside [{}]: delete the section by hand",
                file.path.display(),
                cat.name
            )));
        }
    }
    Ok((h, e))
}

pub(crate) fn delete(cfg: &PjsipConfig, plan: &mut Plan, target: &Target, trio: bool, force: bool) -> Result<(), EditError> {
    let f = find(cfg, target)?;
    let mut going = vec![(f.kind.clone(), f.category().name.to_string())];
    if trio {
        if f.kind != "endpoint" {
            return Err(EditError::Invalid(format!("--trio deletes an endpoint with its auth and aors; {} is not an endpoint", f.label())));
        }
        let cat = f.category();
        for (key, kind) in [("auth", "auth"), ("aors", "aor")] {
            if let Some(v) = cat.variables.iter().rfind(|v| v.name.eq_ignore_ascii_case(key)) {
                for n in v.value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    going.push((kind.to_string(), n.to_string()));
                }
            }
        }
    }
    let mut first = true;
    for (kind, name) in going.clone() {
        let f = if first { find(cfg, target)? } else {
            match find(cfg, &Target::new(name.clone(), Some(&kind))) {
                Ok(f) => f,
                Err(_) => continue,
            }
        };
        let others: Vec<_> = referrers(cfg, &kind, &name)
            .into_iter()
            .filter(|r| !going.iter().any(|(k, n)| *k == r.kind && *n == r.name))
            .collect();
        if !others.is_empty() {
            if !first {
                plan.notes.push(format!("kept {kind} '{name}': {} still names it", others[0]));
                continue;
            }
            if !force {
                return Err(EditError::Referenced { what: f.label(), referrers: others });
            }
            plan.notes.push(format!("{} deleted although still named by {}", f.label(), others.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", ")));
        }
        first = false;
        delete_section(plan, &f)?;
    }
    Ok(())
}

fn delete_section(plan: &mut Plan, f: &Found) -> Result<(), EditError> {
    let cat = f.category();
    if f.is_template() {
        let users: Vec<String> = f
            .config
            .categories
            .iter()
            .filter(|c| c.templates.iter().any(|t| **t == *cat.name))
            .map(|c| format!("[{}]", c.name))
            .collect();
        if !users.is_empty() {
            return Err(EditError::Invalid(format!("template [{}] is used by {}", cat.name, users.join(", "))));
        }
    }
    let (h, e) = region(f)?;
    for v in cat.variables.iter().filter(|v| v.template.is_none()) {
        for at in super::target::lines_of(v) {
            if at.file != cat.origin.file || at.line < h || at.line > e {
                return Err(EditError::Unsafe(format!(
                    "[{}] also has lines at {}:{} (a (+) addition or an include): delete those by hand first",
                    cat.name,
                    f.config.path(at.file).display(),
                    at.line
                )));
            }
        }
    }
    let file = f.config.document.file(cat.origin.file);
    let blank = |n: u32| file.line_bytes(n).is_some_and(|l| super::line::content(l).iter().all(|b| b.is_ascii_whitespace()));
    let patch = plan.patch(f.tree, cat.origin.file);
    for n in h..=e {
        if patch.touches(n) {
            return Err(EditError::Invalid(format!("[{}] is changed and deleted by the same edit", cat.name)));
        }
        patch.delete(n).map_err(|x| EditError::Invalid(x.to_string()))?;
    }
    // One blank line went in with the section; it goes with it.
    let after = e + 1;
    if h > 1 && blank(h - 1) && (after > file.lines.len() as u32 || blank(after)) && !patch.touches(h - 1) {
        patch.delete(h - 1).map_err(|x| EditError::Invalid(x.to_string()))?;
    }
    let key = SectionKey::of(f);
    plan.expect.touch(f);
    plan.expect.deleted.push(key);
    Ok(())
}
