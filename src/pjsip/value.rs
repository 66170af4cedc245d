//! Values that must never leave the process: auth passwords, md5 credentials,
//! OAuth secrets, TLS key passwords.
//!
//! A [`Value::Secret`] prints, debugs and serialises as [`REDACTED`]; the only way
//! to the text is [`Secret::expose`], which nothing on a response path calls.

use serde::{Serialize, Serializer};
use std::fmt;
use std::sync::Arc;

use crate::secret::REDACTED;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    pub fn new(value: Arc<str>) -> Self {
        Secret(value)
    }

    /// The clear text, for the few places that must compare or write it back.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

/// An option's value as the object model hands it out.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    Plain(Arc<str>),
    Secret(Secret),
}

impl Value {
    pub fn new(value: Arc<str>, secret: bool) -> Self {
        if secret {
            Value::Secret(Secret::new(value))
        } else {
            Value::Plain(value)
        }
    }

    pub fn is_secret(&self) -> bool {
        matches!(self, Value::Secret(_))
    }

    /// The text itself, secret or not: for comparing values and writing them
    /// back to the config, never for showing.
    pub fn clear(&self) -> &str {
        match self {
            Value::Plain(v) => v,
            Value::Secret(s) => s.expose(),
        }
    }

    /// What may be shown: the text, or [`REDACTED`].
    pub fn shown(&self) -> &str {
        match self {
            Value::Plain(v) => v,
            Value::Secret(_) => REDACTED,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.shown(), f)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.shown())
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.shown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints() {
        let v = Value::new(Arc::from("Alice-1001-pass"), true);
        assert_eq!(format!("{v}"), REDACTED);
        assert_eq!(format!("{v:?}"), format!("{REDACTED:?}"));
        assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{REDACTED}\""));
        let Value::Secret(s) = &v else { panic!("not secret") };
        assert_eq!(s.expose(), "Alice-1001-pass");
        assert_eq!(Value::new(Arc::from("x"), false).shown(), "x");
    }
}
