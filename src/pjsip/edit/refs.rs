//! Which objects name another one: an endpoint its aors and auths, an
//! identify its endpoint, a registration its outbound auth. Deleting an
//! object still named would leave Asterisk with a dangling reference.

use crate::pjsip::objects::Object;
use crate::pjsip::PjsipConfig;
use std::fmt;

/// (type, option, type it names): the options that hold other objects' ids.
const REFERENCES: &[(&str, &str, &str)] = &[
    ("endpoint", "aors", "aor"),
    ("endpoint", "auth", "auth"),
    ("endpoint", "outbound_auth", "auth"),
    ("endpoint", "transport", "transport"),
    ("identify", "endpoint", "endpoint"),
    ("registration", "outbound_auth", "auth"),
    ("registration", "endpoint", "endpoint"),
    ("registration", "transport", "transport"),
    ("outbound-publish", "outbound_auth", "auth"),
    ("outbound-publish", "transport", "transport"),
    ("inbound-publication", "endpoint", "endpoint"),
    ("phoneprov", "endpoint", "endpoint"),
];

/// An object that names another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    pub kind: String,
    pub name: String,
    pub option: String,
    pub file: String,
    pub line: u32,
}

impl fmt::Display for Referrer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} '{}' ({}=, {}:{})", self.kind, self.name, self.option, self.file, self.line)
    }
}

/// Every object whose options name (`kind`, `name`), in config order.
pub fn referrers(cfg: &PjsipConfig, kind: &str, name: &str) -> Vec<Referrer> {
    let mut out = Vec::new();
    for o in &cfg.objects {
        for (from, option, to) in REFERENCES {
            if *o.kind != **from || *to != kind {
                continue;
            }
            if let Some(at) = names(o, option, name) {
                out.push(Referrer { kind: o.kind.to_string(), name: o.name.to_string(), option: option.to_string(), file: at.0, line: at.1 });
            }
        }
    }
    out
}

/// Where `o`'s `option` in effect (its last line) names `name`, if it does.
fn names(o: &Object, option: &str, name: &str) -> Option<(String, u32)> {
    o.fields()
        .rev()
        .find(|f| f.name.eq_ignore_ascii_case(option))
        .filter(|f| f.value.shown().split(',').any(|p| p.trim() == name))
        .map(|f| (f.provenance.file.to_string(), f.provenance.line))
}
