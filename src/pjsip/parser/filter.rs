//! Finding the category a header names: category_get_sep's lookup by name and
//! does_category_match's filter grammar (`TEMPLATES=`, regex `name=value` pairs).

use super::{Category, Parser};

impl<'a> Parser<'a> {
    /// category_get_sep + does_category_match.
    pub(super) fn find_category(&self, name: &str, filter: &str, sep: char) -> Option<usize> {
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
