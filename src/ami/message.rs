//! AMI messages (what Asterisk sends) and actions (what we send).

use super::AmiError;

use crate::secret::REDACTED;
use crate::secret::{is_secret_header, is_secret_name, mentions_secret, redact_assignment};

/// One `Key: Value` block. Keys keep their order and may repeat (`Output:`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub headers: Vec<(String, String)>,
}

impl Message {
    /// Builds a message, redacting secrets: nothing past the decoder sees them.
    pub fn new(headers: Vec<(String, String)>) -> Self {
        let mut m = Message { headers };
        m.redact();
        m
    }

    fn redact(&mut self) {
        for (k, v) in &mut self.headers {
            if is_secret_name(k) {
                if !v.is_empty() {
                    *v = REDACTED.to_string();
                }
            } else if k.eq_ignore_ascii_case("json") {
                // GetConfigJSON: the same lines as a JSON object.
                if let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(v) {
                    redact_json(&mut doc);
                    *v = doc.to_string();
                } else if mentions_secret(v) {
                    // Not JSON after all: it cannot be redacted key by key, so none of it is kept.
                    *v = REDACTED.to_string();
                }
            } else if k.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("line-")) {
                // GetConfig hands out raw `password=…` lines.
                if let std::borrow::Cow::Owned(redacted) = redact_assignment(v) {
                    *v = redacted;
                }
            }
        }
    }

    /// The first value of `key` (case-insensitive, as Asterisk reads headers).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    pub fn response(&self) -> Option<&str> {
        self.get("Response")
    }

    pub fn event(&self) -> Option<&str> {
        self.get("Event")
    }

    pub fn action_id(&self) -> Option<&str> {
        self.get("ActionID")
    }

    pub fn is_success(&self) -> bool {
        matches!(self.response(), Some(r) if r.eq_ignore_ascii_case("Success"))
    }

    pub fn message_text(&self) -> &str {
        self.get("Message").unwrap_or("")
    }

    /// res_pjsip answers an empty list with an error ("No Contacts found").
    pub fn is_empty_list_error(&self) -> bool {
        let m = self.message_text().trim();
        self.response() == Some("Error") && m.starts_with("No ") && m.ends_with(" found")
    }

    /// Serialises in the wire format (CRLF lines, blank line at the end).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in &self.headers {
            write_header(&mut out, k, v);
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// One `Key: Value` line of the wire format.
fn write_header(out: &mut Vec<u8>, key: &str, value: &str) {
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn redact_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if is_secret_name(k) && x.is_string() {
                    *x = serde_json::Value::String(REDACTED.into());
                } else {
                    redact_json(x);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// An action to send. Built through [`Action::new`] and [`Action::header`],
/// validated before anything is written.
#[derive(Clone, PartialEq, Eq)]
pub struct Action {
    pub name: String,
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Action {
    // Login carries the AMI secret: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Action");
        d.field("name", &self.name);
        let shown: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                (k.as_str(), if is_secret_header(&self.name, k) { REDACTED } else { v.as_str() })
            })
            .collect();
        d.field("headers", &shown).finish()
    }
}

impl Action {
    pub fn new(name: impl Into<String>) -> Self {
        Action { name: name.into(), headers: Vec::new() }
    }

    pub fn header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((key.into(), value.into()));
        self
    }

    /// AMI header injection: a CR, LF or NUL would end the header (or the
    /// message) early and let the rest be read as more headers or actions.
    pub fn validate(&self) -> Result<(), AmiError> {
        let bad = |s: &str| s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
        if bad(&self.name) || self.name.is_empty() {
            return Err(AmiError::Injection("Action".into()));
        }
        for (k, v) in &self.headers {
            if bad(k) || k.is_empty() || k.contains(':') {
                return Err(AmiError::Injection(k.replace(['\r', '\n', '\0'], "?")));
            }
            if bad(v) {
                return Err(AmiError::Injection(k.clone()));
            }
        }
        Ok(())
    }

    /// Wire bytes with `action_id` as the second header, as Asterisk echoes it.
    pub fn encode(&self, action_id: Option<&str>, out: &mut Vec<u8>) -> Result<(), AmiError> {
        self.validate()?;
        if action_id.is_some_and(|id| id.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0))) {
            return Err(AmiError::Injection("ActionID".into()));
        }
        write_header(out, "Action", &self.name);
        if let Some(id) = action_id {
            write_header(out, "ActionID", id);
        }
        for (k, v) in &self.headers {
            write_header(out, k, v);
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_when_decoded() {
        let m = Message::new(vec![
            ("Event".into(), "AuthDetail".into()),
            ("Password".into(), "Alice-1001-pass".into()),
            ("Md5Cred".into(), "".into()),
            ("Line-000001-000003".into(), "password=x;y".into()),
        ]);
        assert_eq!(m.get("password"), Some(REDACTED));
        assert_eq!(m.get("Md5Cred"), Some(""));
        assert_eq!(m.get("Line-000001-000003"), Some("password=********"));
    }

    #[test]
    fn injection_is_refused_before_sending() {
        let mut out = Vec::new();
        for a in [
            Action::new("PJSIPShowEndpoint").header("Endpoint", "1001\r\nAction: Command"),
            Action::new("Ping\n"),
            Action::new("Ping").header("X", "a\0b"),
            Action::new("Ping").header("Bad:Key", "v"),
        ] {
            assert!(matches!(a.encode(Some("1"), &mut out), Err(AmiError::Injection(_))));
        }
        assert!(out.is_empty());
    }

    #[test]
    fn login_secret_never_debug_prints() {
        let a = Action::new("Login").header("Username", "u").header("Secret", "LabAmi-5038-secret");
        assert!(!format!("{a:?}").contains("LabAmi"));
    }
}
