//! Which object types res_pjsip loads from pjsip.conf, which options each
//! accepts and which of them accumulate: all read from the option table
//! generated from Asterisk's source ([`super::option_table`]). Which are
//! secrets is [`crate::secret`]'s rule, for every type alike.

use super::option_rules::{self, OptionRule};
use super::option_table::{FREE_FORM, PATTERNS, TABLE, TYPE_SOURCES};

/// Whether res_sorcery_config loads `kind` from pjsip.conf (contacts, for
/// one, live in astdb).
pub fn is_type(kind: &str) -> bool {
    TYPE_SOURCES.iter().any(|(k, _, wizard)| *k == kind && wizard.starts_with("config pjsip.conf"))
}

/// Every type [`is_type`] knows, in the table's order.
pub fn types() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|(k, _)| *k).filter(|k| is_type(k))
}

/// The options a type registers by pattern (`^event_`): the regex's anchored
/// prefix, matched case-sensitively as regexec does.
fn pattern(kind: &str, name: &str) -> Option<&'static OptionRule> {
    PATTERNS.iter().filter(|(k, _)| *k == kind).map(|(_, r)| r).find(|r| r.name.strip_prefix('^').is_some_and(|p| name.starts_with(p)))
}

/// Whether `kind` accepts an option `name` (compared case-insensitively, as sorcery does).
pub fn is_known_option(kind: &str, name: &str) -> bool {
    FREE_FORM.contains(&kind) || option_rules::rule(kind, name).is_some() || pattern(kind, name).is_some()
}

/// Options whose every occurrence counts, in order (the others: the last one wins).
pub fn is_list_option(kind: &str, name: &str) -> bool {
    option_rules::rule(kind, name).or_else(|| pattern(kind, name)).is_some_and(|r| r.list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_options_accumulate_and_scalars_do_not() {
        assert!(is_list_option("endpoint", "allow"));
        assert!(is_list_option("endpoint", "set_var"));
        assert!(is_list_option("identify", "match"));
        assert!(is_list_option("aor", "contact"));
        assert!(is_list_option("transport", "local_net"));
        assert!(!is_list_option("endpoint", "context"));
        assert!(!is_list_option("identify", "srv_lookups"));
        assert!(is_list_option("inbound-publication", "event_presence"));
    }

    #[test]
    fn every_type_is_indexed_and_names_are_lower_case() {
        for kind in types() {
            for o in option_rules::rules(kind).unwrap() {
                // phoneprov passes names through to its templates as written (MAC, PROFILE).
                assert!(FREE_FORM.contains(&kind) || o.name == o.name.to_ascii_lowercase(), "{kind}");
                assert!(is_known_option(kind, o.name) && is_known_option(kind, &o.name.to_ascii_uppercase()));
            }
        }
        assert!(!is_known_option("endpoint", "alow"));
        assert!(!is_type("contact") && is_type("endpoint") && is_type("phoneprov"));
        assert!(PATTERNS.iter().all(|(_, r)| r.name.starts_with('^') && !r.name[1..].contains(['.', '*', '[', '(', '$'])));
    }
}
