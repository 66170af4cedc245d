//! The one rule for what is a secret, asked by every place that could show
//! one: the config model, the parser's warnings, the AMI decoder, action
//! logging. No dependencies, so the Asterisk core and the server share it.
//!
//! A name is a secret by its last `/` part (a wizard's `inbound_auth/password`
//! is an auth's `password`), compared without case, `_` or `-`, so that the
//! config's `md5_cred` and AMI's `Md5Cred` are one name. The rule ignores the
//! object type on purpose: a `password=` typed into the wrong section is still
//! a password.

/// Shown instead of a secret, everywhere.
pub const REDACTED: &str = "********";

/// Every secret name, as pjsip.conf spells it. `secret` is the AMI login's
/// (and chan_sip's) word; the others are res_pjsip auth and transport options.
pub const SECRET_NAMES: &[&str] = &[
    "password",
    "md5_cred",
    "password_digest",
    "oauth_secret",
    "refresh_token",
    "secret",
];

/// Whether an option, header or JSON key names a secret. Asked for every
/// option of every object at each config load, so it allocates nothing and
/// rejects most names by their length and first byte.
pub fn is_secret_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let leaf = &bytes[bytes.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1)..];
    // "secret" is the shortest, "password_digest" the longest.
    let Some(first) = leaf.first().filter(|_| (6..=15).contains(&leaf.len())) else { return false };
    let first = first.to_ascii_lowercase();
    SECRET_NAMES.iter().any(|s| s.as_bytes()[0] == first && same_name(leaf, s.as_bytes()))
}

/// Equal but for ASCII case and `_`/`-`.
fn same_name(a: &[u8], b: &[u8]) -> bool {
    folded(a).eq(folded(b))
}

fn folded(s: &[u8]) -> impl Iterator<Item = u8> + '_ {
    s.iter().filter(|b| !matches!(b, b'_' | b'-')).map(u8::to_ascii_lowercase)
}

/// An AMI action header whose value must not be logged: a secret by name, or
/// the `Key` of an MD5 `Login`, which is derived from the secret.
pub fn is_secret_header(action: &str, header: &str) -> bool {
    is_secret_name(header) || (header.eq_ignore_ascii_case("key") && action.eq_ignore_ascii_case("login"))
}

/// Whether free text (a line quoted in a warning, a JSON document that would
/// not parse) could hold a secret: some secret name appears in it, whatever
/// its case or `_`/`-`, or whatever surrounds it (`auth_password`, a byte
/// order mark before `password`). Looser than [`is_secret_name`] on purpose:
/// text nobody could parse cannot be told apart more finely.
pub fn mentions_secret(text: &str) -> bool {
    let text: Vec<u8> = folded(text.as_bytes()).collect();
    SECRET_NAMES.iter().any(|s| {
        let name: Vec<u8> = folded(s.as_bytes()).collect();
        text.windows(name.len()).any(|w| w == name.as_slice())
    })
}

/// `name=value` text (a config line, a GetConfig `Line-…` value) with the
/// value replaced by [`REDACTED`] when the name mentions a secret.
pub fn redact_assignment(text: &str) -> std::borrow::Cow<'_, str> {
    match text.split_once('=') {
        Some((name, _)) if mentions_secret(name) => format!("{name}={REDACTED}").into(),
        _ => text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_secret_is_one_name() {
        for name in [
            "password", "PASSWORD", "md5_cred", "Md5Cred", "MD5-CRED", "password_digest", "PasswordDigest",
            "oauth_secret", "OauthSecret", "refresh_token", "RefreshToken", "secret", "Secret",
            "inbound_auth/password", "outbound_auth/md5_cred", "Password-Digest",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["username", "auth_type", "realm", "passwords", "oauth_clientid", "", "/", "md5", "passwordx_digest_"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn login_key_is_a_secret_only_in_login() {
        assert!(is_secret_header("Login", "Key"));
        assert!(is_secret_header("Ping", "Secret"));
        assert!(!is_secret_header("GetVar", "Key"));
    }

    #[test]
    fn assignments_lose_only_secret_values() {
        assert_eq!(redact_assignment("password=x;y"), "password=********");
        assert_eq!(redact_assignment("inbound_auth/password+=abc"), "inbound_auth/password+=********");
        assert_eq!(redact_assignment("password => abc"), "password =********");
        assert_eq!(redact_assignment("\u{feff}password=abc"), "\u{feff}password=********");
        assert_eq!(redact_assignment("auth_Password=abc"), "auth_Password=********");
        assert_eq!(redact_assignment("context=default"), "context=default");
    }

    #[test]
    fn free_text_mentioning_a_secret_is_caught_in_any_spelling() {
        assert!(mentions_secret(r#"{"auth":{"Md5Cred":"x"}"#));
        assert!(mentions_secret("RefreshToken: x"));
        assert!(!mentions_secret(r#"{"aor":{"max_contacts":"1"}"#));
        assert_eq!(redact_assignment("username=1001"), "username=1001");
        assert_eq!(redact_assignment("no equals"), "no equals");
    }
}
