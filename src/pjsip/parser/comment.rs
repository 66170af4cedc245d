//! The `;` scanner of config_text_file_load: line comments, `\;`, and the
//! nestable `;-- … --;` block comments, cut out of the line buffer in place.

use crate::pjsip::diagnostic::Severity;
use super::cstr::{at, strchr, strlen};
use super::{FileState, Parser, MAX_NESTED_COMMENTS};

impl<'a> Parser<'a> {
    /// The `;` loop of config_text_file_load. Returns where the text to process
    /// starts in `self.buf`, or None when the whole line is inside a block comment.
    pub(super) fn scan_comments(&mut self, st: &mut FileState, lineno: u32) -> Option<usize> {
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
}
