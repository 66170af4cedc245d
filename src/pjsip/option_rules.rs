//! Asterisk's option rules as data: for each option of each res_pjsip type,
//! the kind of value its handler takes, its default and its help. The table
//! itself ([`super::option_table`]) is generated from Asterisk's source by
//! `scripts/gen-option-table.py`; this file says what each kind accepts.

use super::option_table::TABLE;
use super::validate;

/// What an option's handler accepts (config_options.c's OPT_* handlers and
/// the custom handlers of res_pjsip).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// ast_true/ast_false: any other word is read as "no", silently.
    Bool,
    Uint { min: u64, max: u64 },
    Int { min: i64, max: i64 },
    Double { min: f64, max: f64 },
    Enum { values: &'static [&'static str], case_insensitive: bool, also_bool: bool },
    /// allow/disallow: format names, `all`, `!name`, `name:framing`.
    Codec,
    Duration,
    Address,
    Acl,
    Str,
    /// A handler with its own rules, not expressed here.
    Custom,
    /// Accepted and ignored (`type`).
    Noop,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionRule {
    pub name: &'static str,
    pub kind: Kind,
    pub default: &'static str,
    pub help: &'static str,
    pub handler: &'static str,
    /// Where Asterisk registers it: `path:line` in its source.
    pub source: &'static str,
    /// Every line counts, in order (the others: the last one wins).
    pub list: bool,
    pub alias_of: Option<&'static str>,
}

/// Every option of a type, in the order Asterisk registers them.
pub fn rules(kind: &str) -> Option<&'static [OptionRule]> {
    TABLE.iter().find(|(k, _)| *k == kind).map(|(_, r)| *r)
}

/// One type's rules by lower-cased name.
pub struct TypeRules(rustc_hash::FxHashMap<Box<str>, &'static OptionRule>);

impl TypeRules {
    /// Names compared case-insensitively, as sorcery does.
    pub fn get(&self, name: &str) -> Option<&'static OptionRule> {
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.0.get(name.to_ascii_lowercase().as_str()).copied();
        }
        self.0.get(name).copied()
    }
}

/// The rules of one type, indexed: every variable of every object is looked
/// up, so a load takes this once per type and hashes once per variable.
pub fn type_rules(kind: &str) -> Option<&'static TypeRules> {
    use rustc_hash::FxHashMap;
    use std::sync::OnceLock;
    static INDEX: OnceLock<FxHashMap<&'static str, TypeRules>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        TABLE
            .iter()
            .map(|(k, rules)| (*k, TypeRules(rules.iter().map(|r| (r.name.to_ascii_lowercase().into_boxed_str(), r)).collect())))
            .collect()
    });
    index.get(kind)
}

/// The rule of one option (names compared case-insensitively, as sorcery does).
pub fn rule(kind: &str, name: &str) -> Option<&'static OptionRule> {
    type_rules(kind)?.get(name)
}

/// How a value fares with its option's handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    /// Asterisk takes it, but not as written (a bool read as "no").
    Surprising(String),
    /// The handler fails: Asterisk refuses the whole object.
    Refused(String),
}

/// ast_true and ast_false: the words Asterisk reads as a boolean.
const TRUE: [&str; 6] = ["yes", "true", "y", "t", "1", "on"];
const FALSE: [&str; 6] = ["no", "false", "n", "f", "0", "off"];

/// ast_true: what Asterisk reads as "yes".
pub fn is_true(v: &str) -> bool {
    TRUE.iter().any(|w| w.eq_ignore_ascii_case(v))
}

fn is_bool_word(v: &str) -> bool {
    TRUE.iter().chain(FALSE.iter()).any(|w| w.eq_ignore_ascii_case(v))
}

/// strtol/strtoul with base 0: blanks, a sign, `0x` hex, a leading-0 octal.
pub(crate) fn c_integer(v: &str) -> Option<i128> {
    let v = v.trim_start_matches([' ', '\t']);
    let (neg, v) = match v.as_bytes().first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    let (digits, radix) = if let Some(h) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        (h, 16)
    } else if v.len() > 1 && v.starts_with('0') {
        (&v[1..], 8)
    } else {
        (v, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let n = i128::from_str_radix(digits, radix).ok()?;
    Some(if neg { -n } else { n })
}

/// strtod as ast_parse_arg(PARSE_DOUBLE) uses it: decimal or hex, `inf`
/// and `nan`, nothing after, and no overflow or underflow (ERANGE).
fn c_double(v: &str) -> Option<f64> {
    let t = v.trim_start_matches([' ', '\t', '\n']);
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let x = if let Some(hex) = lower.strip_prefix("0x") {
        let (int, frac) = hex.split_once('.').unwrap_or((hex, ""));
        if (int.is_empty() && frac.is_empty()) || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let mut x = 0f64;
        for c in int.chars() {
            x = x * 16.0 + c.to_digit(16)? as f64;
        }
        let mut scale = 1.0 / 16.0;
        for c in frac.chars() {
            x += c.to_digit(16)? as f64 * scale;
            scale /= 16.0;
        }
        x
    } else if ["inf", "infinity", "nan"].contains(&lower.as_str()) || lower.starts_with("nan(") {
        if lower.starts_with("nan") { f64::NAN } else { f64::INFINITY }
    } else {
        if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            return None;
        }
        let x: f64 = body.parse().ok()?;
        let mantissa_nonzero = body.split(['e', 'E']).next().is_some_and(|m| m.chars().any(|c| ('1'..='9').contains(&c)));
        // ERANGE: too large becomes HUGE_VAL, too small (below the normal range) underflows.
        if x.is_infinite() || (mantissa_nonzero && x.abs() < f64::MIN_POSITIVE) {
            return None;
        }
        x
    };
    Some(if neg { -x } else { x })
}

/// ast_app_parse_timelen: a number and an optional unit.
fn is_timelen(v: &str) -> bool {
    let v = v.trim();
    let end = v.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).unwrap_or(v.len());
    let (num, unit) = v.split_at(end);
    num.parse::<f64>().is_ok() && ["", "ms", "s", "m", "h", "sec", "min", "hour", "hours", "msec"].iter().any(|u| u.eq_ignore_ascii_case(unit.trim()))
}

/// An IP literal or a host name, with an optional port: Asterisk resolves
/// names when it loads, so only what cannot be either is surely refused.
fn is_address(v: &str) -> bool {
    let v = v.trim();
    let hostname = |h: &str| !h.is_empty() && h.len() <= 253 && h.split('.').all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    let (host, port) = match v.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (v, None),
    };
    if hostname(host) && port.is_none_or(|p| p.parse::<u16>().is_ok()) {
        return true;
    }
    if v.parse::<std::net::SocketAddr>().is_ok() || v.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let host = v.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(v);
    host.parse::<std::net::Ipv6Addr>().is_ok()
        || v.rsplit_once(':').is_some_and(|(h, p)| h.parse::<std::net::Ipv4Addr>().is_ok() && p.parse::<u16>().is_ok())
}

/// What Asterisk makes of `value` for option `name` of a `kind` object.
/// Options the table does not know are the caller's to refuse.
pub fn verdict(kind: &str, name: &str, value: &str) -> Verdict {
    match rule(kind, name) {
        Some(rule) => verdict_of(rule, name, value),
        None => Verdict::Accepted,
    }
}

/// What the option's handler makes of `value` (`name` as the config spells it).
pub fn verdict_of(rule: &OptionRule, name: &str, value: &str) -> Verdict {
    match rule.kind {
        Kind::Bool => {
            if is_bool_word(value) {
                Verdict::Accepted
            } else {
                Verdict::Surprising(format!("'{value}' is not yes or no: Asterisk reads it as no"))
            }
        }
        Kind::Uint { min, max } => match c_integer(value) {
            Some(n) if value.trim_start().starts_with('-') => Verdict::Refused(format!("'{n}' is negative: an unsigned integer is wanted")),
            Some(n) if n < min as i128 || n > max as i128 => Verdict::Refused(format!("{n} is out of range {min}..{max}")),
            Some(_) => Verdict::Accepted,
            None => Verdict::Refused(format!("'{value}' is not an unsigned integer")),
        },
        Kind::Int { min, max } => match c_integer(value) {
            Some(n) if n < min as i128 || n > max as i128 => Verdict::Refused(format!("{n} is out of range {min}..{max}")),
            Some(_) => Verdict::Accepted,
            None => Verdict::Refused(format!("'{value}' is not an integer")),
        },
        Kind::Double { min, max } => match c_double(value) {
            Some(x) if x < min || x > max => Verdict::Refused(format!("{x} is out of range {min}..{max}")),
            Some(_) => Verdict::Accepted,
            None => Verdict::Refused(format!("'{value}' is not a number")),
        },
        Kind::Enum { values, case_insensitive, also_bool } => {
            let hit = values.iter().any(|v| if case_insensitive { v.eq_ignore_ascii_case(value) } else { *v == value });
            if hit || (also_bool && is_bool_word(value)) {
                Verdict::Accepted
            } else {
                let mut allowed = values.join(", ");
                if also_bool {
                    allowed.push_str(", or yes/no");
                }
                Verdict::Refused(format!("'{value}' is not one of {allowed}"))
            }
        }
        Kind::Codec => match validate::bad_codec(value) {
            Some(bad) if !(name.eq_ignore_ascii_case("disallow") && value.is_empty()) => {
                Verdict::Refused(format!("'{bad}' is not a codec Asterisk knows"))
            }
            _ => Verdict::Accepted,
        },
        Kind::Duration if !is_timelen(value) => Verdict::Refused(format!("'{value}' is not a duration")),
        Kind::Address if !value.is_empty() && !is_address(value) => {
            Verdict::Refused(format!("'{value}' is not an address (with an optional port)"))
        }
        // res_pjsip_endpoint_identifier_ip.c trims each match and resolves names.
        Kind::Acl if rule.handler == "ip_identify_match_handler" => {
            match value.split(',').map(str::trim).find(|m| !m.is_empty() && !validate::valid_match(m)) {
                Some(bad) => Verdict::Refused(format!("'{bad}' is not an address, network or host name")),
                None => Verdict::Accepted,
            }
        }
        // acl.c: ast_append_ha, on each comma-separated item as it stands.
        Kind::Acl => match value.split(',').find(|m| !validate::valid_ha(m)) {
            Some(bad) => Verdict::Refused(format!("'{bad}' is not an IP address or network (no blanks, no port)")),
            None => Verdict::Accepted,
        },
        Kind::Custom => custom(rule, name, value),
        _ => Verdict::Accepted,
    }
}

/// sscanf("%d"): blanks, a sign, then a digit.
fn leading_integer(v: &str) -> bool {
    let v = v.trim_start();
    let v = v.strip_prefix(['+', '-']).unwrap_or(v);
    v.starts_with(|c: char| c.is_ascii_digit())
}

fn words_in(value: &str, allowed: &[&str]) -> Option<String> {
    value.split(',').map(str::trim).filter(|w| !w.is_empty()).find(|w| !allowed.iter().any(|a| a.eq_ignore_ascii_case(w))).map(str::to_string)
}

/// The custom handlers whose rule is simple enough to state; the rest
/// are taken as Asterisk's to judge.
fn custom(rule: &OptionRule, name: &str, value: &str) -> Verdict {
    let refuse = |why: String| Verdict::Refused(why);
    match (rule.handler, name.to_ascii_lowercase().as_str()) {
        ("ident_handler", _) => match words_in(value, &["username", "auth_username", "ip", "header", "request_uri"]) {
            Some(w) => refuse(format!("'{w}' is not one of username, auth_username, ip, header, request_uri")),
            None => Verdict::Accepted,
        },
        ("caller_id_privacy_handler", _) => {
            const NAMES: [&str; 9] = [
                "allowed_not_screened", "allowed_passed_screen", "allowed_failed_screen", "allowed", "prohib_not_screened",
                "prohib_passed_screen", "prohib_failed_screen", "prohib", "unavailable",
            ];
            if NAMES.iter().any(|n| n.eq_ignore_ascii_case(value)) || leading_integer(value) {
                Verdict::Accepted
            } else {
                refuse(format!("'{value}' is not one of {} or a number", NAMES.join(", ")))
            }
        }
        ("named_groups_handler", _) if !value.is_empty() && value.split(',').all(|g| g.trim().is_empty()) => {
            refuse("a list of group names that names none".into())
        }
        ("tos_handler" | "transport_tos_handler", _) => {
            let dscp = |v: &str| {
                let v = v.to_ascii_uppercase();
                v == "EF" || (v.len() == 3 && v.starts_with("CS") && ('0'..='7').contains(&(v.as_bytes()[2] as char)))
                    || (v.len() == 4 && v.starts_with("AF") && (b'1'..=b'4').contains(&v.as_bytes()[2]) && (b'1'..=b'3').contains(&v.as_bytes()[3]))
            };
            if dscp(value) || leading_integer(value) {
                Verdict::Accepted
            } else {
                refuse(format!("'{value}' is not a DSCP name (CS0-CS7, AF11-AF43, EF) or a number"))
            }
        }
        ("from_user_handler", _) => match value.chars().find(|c| !(c.is_ascii_alphanumeric() || "-._~%!$&'()*+,;=:".contains(*c))) {
            Some(c) => refuse(format!("'{c}' may not appear in a From user")),
            None => Verdict::Accepted,
        },
        ("dtls_handler", "dtls_rekey") if !leading_integer(value) => refuse(format!("'{value}' does not start with a number")),
        ("follow_redirect_methods_handler", _) => match words_in(value, &["message"]) {
            Some(w) => refuse(format!("'{w}' is not a method Asterisk follows redirects for (message)")),
            None => Verdict::Accepted,
        },
        ("set_var_handler", _) if !value.is_empty() && !value.contains('=') => refuse("set_var needs NAME=VALUE".into()),
        // config_auth.c: password_digest_handler, per comma-separated item:
        // `ALGORITHM:digest`, or a bare MD5 digest, of the algorithm's length.
        ("password_digest_handler", _) => {
            for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                let (algorithm, digest) = item.split_once(':').map_or(("MD5", item), |(a, d)| (a.trim(), d));
                let Some(len) = [("MD5", 32), ("SHA-256", 64), ("SHA-512-256", 64)].iter().find(|(a, _)| a.eq_ignore_ascii_case(algorithm)).map(|(_, l)| *l) else {
                    return refuse(format!("'{algorithm}' is not one of MD5, SHA-256, SHA-512-256"));
                };
                if digest.len() != len {
                    return refuse(format!("a {algorithm} digest is {len} characters, not {}", digest.len()));
                }
            }
            Verdict::Accepted
        }
        ("uac_algorithms_handler" | "uas_algorithms_handler", _) => match words_in(value, &["MD5", "SHA-256", "SHA-512-256"]) {
            Some(w) => refuse(format!("'{w}' is not one of MD5, SHA-256, SHA-512-256")),
            None => Verdict::Accepted,
        },
        _ => Verdict::Accepted,
    }
}

/// [`verdict`] for the editor: anything but a plain acceptance is refused,
/// with the allowed values where there is a list.
pub fn check(kind: &str, name: &str, value: &str) -> Result<(), String> {
    match verdict(kind, name, value) {
        Verdict::Accepted => Ok(()),
        Verdict::Surprising(why) | Verdict::Refused(why) => Err(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_as_c_does() {
        assert_eq!(c_integer("010"), Some(8));
        assert_eq!(c_integer("0x1F"), Some(31));
        assert_eq!(c_integer(" +5"), Some(5));
        assert_eq!(c_integer("-3"), Some(-3));
        assert_eq!(c_integer("5s"), None);
        assert_eq!(c_integer(""), None);
        assert_eq!(c_integer("09"), None);
    }

    #[test]
    fn every_type_the_engine_loads_has_rules() {
        for kind in crate::pjsip::options::types() {
            if kind == "phoneprov" {
                continue;
            }
            let r = rules(kind).unwrap_or_else(|| panic!("no rules for {kind}"));
            assert!(r.iter().any(|o| o.name == "type"), "{kind} has no type option");
        }
    }
}
