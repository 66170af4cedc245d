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

/// Whether an option, header or JSON key names a secret. Assignment operators
/// glued to the name (`password+`, `password=>`) are ignored.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.trim().trim_end_matches(['+', '>', '=']).trim_end();
    let leaf = name.rsplit('/').next().unwrap_or("");
    if leaf.len() > 32 {
        return false;
    }
    let mut folded = [0u8; 32];
    let mut n = 0;
    for b in leaf.bytes().filter(|b| !matches!(b, b'_' | b'-')) {
        folded[n] = b.to_ascii_lowercase();
        n += 1;
    }
    let folded = &folded[..n];
    SECRET_NAMES.iter().any(|s| {
        let mut want = s.bytes().filter(|b| *b != b'_');
        folded.len() == s.bytes().filter(|b| *b != b'_').count() && folded.iter().all(|b| want.next() == Some(*b))
    })
}

/// An AMI action header whose value must not be logged: a secret by name, or
/// the `Key` of an MD5 `Login`, which is derived from the secret.
pub fn is_secret_header(action: &str, header: &str) -> bool {
    is_secret_name(header) || (header.eq_ignore_ascii_case("key") && action.eq_ignore_ascii_case("login"))
}

/// `name=value` text (a config line, a GetConfig `Line-…` value) with the
/// value replaced by [`REDACTED`] when the name is a secret.
pub fn redact_assignment(text: &str) -> std::borrow::Cow<'_, str> {
    match text.split_once('=') {
        Some((name, _)) if is_secret_name(name) => format!("{name}={REDACTED}").into(),
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
            "inbound_auth/password", "outbound_auth/md5_cred", "password+", " password ",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["username", "auth_type", "realm", "passwords", "oauth_clientid", "", "/", "md5"] {
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
        assert_eq!(redact_assignment("username=1001"), "username=1001");
        assert_eq!(redact_assignment("no equals"), "no equals");
    }
}
