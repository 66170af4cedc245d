//! process_text_line's last branch: `name = value`, `name => value` and
//! `name += value` lines, with Asterisk's escapes and blanks.

use crate::pjsip::diagnostic::Severity;
use super::cstr::{at, lossy, strip_range};
use super::{Fatal, FileState, Location, Parser, Variable};
use std::sync::Arc;

impl<'a> Parser<'a> {
    pub(super) fn variable_line(
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
                // ast_variable_update walks from the first variable: the
                // first one with that name (any case) and the old value
                // takes the new one, which need not be the one just found.
                let target = cat
                    .variables
                    .iter()
                    .position(|v| {
                        v.name.eq_ignore_ascii_case(&name)
                            && (old.is_empty() || v.value.eq_ignore_ascii_case(&old))
                    })
                    .unwrap_or(r);
                // ast_variable_update makes a new variable named as the one found.
                let replace_name = cat.variables[r].name.clone();
                let var = &mut cat.variables[target];
                var.name = replace_name;
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

    /// One `Arc<str>` per distinct option name: thousands of sections share a few dozen.
    fn intern(&mut self, bytes: &[u8]) -> Arc<str> {
        if let Some(n) = self.names.get(bytes) {
            return n.clone();
        }
        let n = lossy(bytes);
        self.names.insert(bytes.into(), n.clone());
        n
    }
}
