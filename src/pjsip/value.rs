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

impl Value {
    /// The same value, borrowed.
    pub fn borrowed(&self) -> ValueRef<'_> {
        match self {
            Value::Plain(v) => ValueRef::new(v, false),
            Value::Secret(s) => ValueRef::new(&s.0, true),
        }
    }
}

/// A value borrowed from where it is kept (the parsed config): [`Value`]'s
/// rules, no copy until one is asked for.
#[derive(Clone, Copy)]
pub struct ValueRef<'a> {
    text: &'a Arc<str>,
    secret: Secrecy<'a>,
}

/// Found when asked: most reads of a line only compare its text.
#[derive(Clone, Copy)]
enum Secrecy<'a> {
    Is(bool),
    /// The value of this option: secret by [`crate::secret::is_secret_name`].
    OfOption(&'a str),
}

impl<'a> ValueRef<'a> {
    pub fn new(text: &'a Arc<str>, secret: bool) -> Self {
        ValueRef { text, secret: Secrecy::Is(secret) }
    }

    /// The value of option `name`, secret if that option's values are.
    pub fn of_option(name: &'a str, text: &'a Arc<str>) -> Self {
        ValueRef { text, secret: Secrecy::OfOption(name) }
    }

    pub fn is_secret(&self) -> bool {
        match self.secret {
            Secrecy::Is(secret) => secret,
            Secrecy::OfOption(name) => crate::secret::is_secret_name(name),
        }
    }

    /// [`Value::clear`]: for comparing and writing back, never for showing.
    pub fn clear(&self) -> &'a str {
        self.text
    }

    /// [`Value::shown`].
    pub fn shown(&self) -> &'a str {
        if self.is_secret() { REDACTED } else { self.text }
    }

    pub fn to_value(self) -> Value {
        Value::new(self.text.clone(), self.is_secret())
    }
}

impl fmt::Debug for ValueRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.shown(), f)
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
        let r = v.borrowed();
        assert!(r.is_secret());
        assert_eq!((r.shown(), format!("{r:?}")), (REDACTED, format!("{REDACTED:?}")));
        assert_eq!(r.clear(), "Alice-1001-pass");
        assert_eq!(r.to_value(), v);
        let text: Arc<str> = Arc::from("x1");
        assert!(ValueRef::of_option("Password", &text).is_secret());
        assert_eq!(ValueRef::of_option("username", &text).shown(), "x1");
    }
}
