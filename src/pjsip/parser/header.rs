//! process_text_line's `[` branch: a `[name](options)` header opens a new
//! category, marks a template `(!)`, copies templates in, or reopens an existing
//! category `(+)`.

use super::cstr::lossy;
use super::{Category, Fatal, FileState, Location, Parser, Variable, MAX_CATEGORY_NAME};
use std::sync::Arc;

/// The category a line goes to: a header being built, or one already in the config.
enum Target {
    New(Category),
    Existing(usize),
}

impl<'a> Parser<'a> {
    pub(super) fn category_header(
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
                    // Borrowed when it is UTF-8 (nearly always): one header names many templates.
                    let base_name = String::from_utf8_lossy(item);
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
                    // Field by field: `..v.clone()` would clone the template's name only to drop it.
                    let inherit = |v: &Variable| Variable {
                        name: v.name.clone(),
                        value: v.value.clone(),
                        origin: v.origin,
                        template: Some(v.template.as_ref().unwrap_or(&from).clone()),
                        object: v.object,
                        appended: v.appended.clone(),
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
                // Names recur (an endpoint, its auth and its aor): the key is
                // made only for a name not seen before.
                let key = if newcat.name.bytes().any(|b| b.is_ascii_uppercase()) {
                    std::borrow::Cow::Owned(newcat.name.to_ascii_lowercase())
                } else {
                    std::borrow::Cow::Borrowed(&*newcat.name)
                };
                match self.by_name.get_mut(&*key) {
                    Some(same) => same.push(idx),
                    None => {
                        self.by_name.insert(key.into_owned().into_boxed_str(), vec![idx]);
                    }
                }
                self.cfg.categories.push(newcat);
                self.current = Some(idx);
                st.cat = Some(idx);
            }
            Target::Existing(idx) => st.cat = Some(idx),
        }
        Ok(())
    }
}
