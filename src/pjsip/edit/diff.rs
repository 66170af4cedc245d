//! The unified diff an admin reviews before writing, secrets redacted.

use super::line;
use super::FileChange;
use crate::secret::{is_secret_name, mentions_secret, REDACTED};

/// A secret's value on a config line becomes [`REDACTED`]; a line that is
/// not a plain assignment but mentions a secret is hidden whole.
fn redact(raw: &[u8]) -> String {
    match line::lex(raw) {
        Some(spans) => {
            let name = String::from_utf8_lossy(&raw[spans.name.clone()]);
            if is_secret_name(&name) && !spans.value.is_empty() {
                let mut out = raw[..spans.value.start].to_vec();
                out.extend_from_slice(REDACTED.as_bytes());
                out.extend_from_slice(&raw[spans.value.end..]);
                String::from_utf8_lossy(&out).into_owned()
            } else {
                String::from_utf8_lossy(raw).into_owned()
            }
        }
        None if mentions_secret(&String::from_utf8_lossy(raw)) => format!("; ({REDACTED})\n"),
        None => String::from_utf8_lossy(raw).into_owned(),
    }
}

fn redacted(bytes: &[u8]) -> String {
    bytes.split_inclusive(|&b| b == b'\n').map(redact).collect()
}

/// `diff -u` of every changed file, paths as they were read.
pub fn unified(files: &[FileChange]) -> String {
    let mut out = String::new();
    for f in files {
        let (a, b) = (redacted(&f.before), redacted(&f.after));
        let path = f.path.display().to_string();
        let diff = similar::TextDiff::from_lines(&a, &b);
        out.push_str(&diff.unified_diff().context_radius(3).header(&path, &path).to_string());
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
