//! What a section's `allow`/`disallow` lines leave allowed, line by line as
//! ast_format_cap_update_by_allow_disallow reads them: items cut as
//! [`crate::pjsip::validate::codec_items`] cuts them, `all`, `!codec`,
//! `codec:framing`, later lines overriding earlier ones.

/// The codecs in effect, in the order they were allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Codecs {
    /// `allow=all` is in effect: every codec but `except`.
    pub all: bool,
    pub except: Vec<String>,
    pub list: Vec<String>,
}

impl Codecs {
    /// The one `allow` value that leaves these codecs allowed, after a `disallow=all`.
    pub fn as_allow(&self) -> String {
        if self.all {
            std::iter::once("all".to_string()).chain(self.except.iter().map(|c| format!("!{c}"))).collect::<Vec<_>>().join(",")
        } else {
            self.list.join(",")
        }
    }

    pub fn allows(&self, codec: &str) -> bool {
        let c = codec.to_ascii_lowercase();
        if self.all {
            !self.except.contains(&c)
        } else {
            self.list.contains(&c)
        }
    }
}

/// `(true, value)` for an allow line, `(false, value)` for a disallow line.
pub fn line<'a>(name: &str, value: &'a str) -> Option<(bool, &'a str)> {
    if name.eq_ignore_ascii_case("allow") {
        Some((true, value))
    } else if name.eq_ignore_ascii_case("disallow") {
        Some((false, value))
    } else {
        None
    }
}

/// One item as `(allowing, codec)`: `!` turns allow into disallow, a
/// `:framing` is not part of the name.
pub fn item(allowing: bool, item: &str) -> (bool, String) {
    let (allow, name) = match item.strip_prefix('!') {
        Some(rest) => (!allowing, rest.trim()),
        None => (allowing, item),
    };
    (allow, name.split(':').next().unwrap_or("").to_ascii_lowercase())
}

/// The effect of the lines, in order.
pub fn effective<'a>(lines: impl Iterator<Item = (bool, &'a str)>) -> Codecs {
    let mut c = Codecs::default();
    for (allowing, value) in lines {
        for raw in crate::pjsip::validate::codec_items(value) {
            let (allow, name) = item(allowing, raw);
            if name.is_empty() {
                continue;
            }
            if name == "all" {
                c = Codecs { all: allow, ..Codecs::default() };
                continue;
            }
            if allow {
                c.except.retain(|x| *x != name);
                if !c.list.contains(&name) {
                    c.list.push(name);
                }
            } else {
                c.list.retain(|x| *x != name);
                if c.all && !c.except.contains(&name) {
                    c.except.push(name);
                }
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_allow_gives_back_the_effect() {
        let lines = [(false, "all"), (true, "ulaw,alaw"), (true, "g722"), (false, "alaw")];
        assert_eq!(effective(lines.into_iter()).as_allow(), "ulaw,g722");
        assert_eq!(effective([(true, "all"), (false, "g729")].into_iter()).as_allow(), "all,!g729");
        assert_eq!(effective(std::iter::empty()).as_allow(), "");
    }

    #[test]
    fn later_lines_override() {
        let c = effective([(false, "all"), (true, "ulaw,G722"), (false, "ulaw")].into_iter());
        assert_eq!(c.list, vec!["g722"]);
        assert!(c.allows("G722") && !c.allows("ulaw") && !c.all);
        let c = effective([(true, "!all,alaw:20")].into_iter());
        assert_eq!(c.list, vec!["alaw"]);
        let c = effective([(true, "all"), (false, "g729")].into_iter());
        assert!(c.all && c.allows("opus") && !c.allows("g729"));
        let c = effective([(true, "ulaw"), (false, "g729|ulaw")].into_iter());
        assert!(!c.allows("ulaw"));
        let c = effective([(true, "(alaw|gsm)")].into_iter());
        assert_eq!(c.list, vec!["alaw", "gsm"]);
    }
}
