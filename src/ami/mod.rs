//! The Asterisk Manager Interface: codec, client, typed event lists, and the
//! live PBX state kept current from events. Plain tokio: no web framework.
//!
//! - `codec`: the wire format (banner, `Key: Value` CRLF blocks), bounded;
//! - `message`: messages and actions; secrets are redacted when decoded;
//! - `types`: typed items of the event lists the state store uses;
//! - `client`: login over TCP or any byte stream, then actions by ActionID;
//! - `connection`: the task behind a client, and its stream of events that
//!   ends with the reason the connection did;
//! - `state`: the PBX's endpoints, contacts and channels, from a resync and events;
//! - `supervisor`: connect, resync, follow events, reconnect with backoff.

pub mod client;
pub mod codec;
mod connection;
pub mod message;
pub mod state;
pub mod supervisor;
pub mod types;

pub use client::{AmiClient, Credentials};
pub use codec::{AmiCodec, Frame};
pub use connection::Events;
pub use message::{Action, Message};

use std::error::Error as _;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Everything that can go wrong talking to Asterisk. `Clone` because one
/// connection's end is reported to every caller waiting on it and to the
/// event stream: that is why the `io::Error`s are behind an `Arc`.
#[derive(Debug, thiserror::Error, Clone)]
pub enum AmiError {
    #[error("cannot connect to {addr}")]
    Connect {
        addr: String,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("not an Asterisk manager: expected the 'Asterisk Call Manager' banner, got {0:?}")]
    Banner(String),
    #[error("Asterisk refused the login: {0}")]
    LoginRefused(String),
    #[error("a line of {0} bytes exceeds the limit")]
    LineTooLong(usize),
    #[error("a message of more than {0} bytes exceeds the limit")]
    MessageTooLarge(usize),
    #[error("malformed line from Asterisk: {0:?}")]
    Malformed(String),
    #[error("refusing to send a value containing CR, LF or NUL in '{0}' (AMI header injection)")]
    Injection(String),
    #[error("no answer from Asterisk within {0:?}")]
    Timeout(Duration),
    #[error("the AMI connection closed")]
    Closed,
    #[error("Asterisk answered with an error: {0}")]
    Action(String),
    #[error("I/O error on the AMI connection")]
    Io(#[source] Arc<std::io::Error>),
}

impl From<std::io::Error> for AmiError {
    fn from(e: std::io::Error) -> Self {
        AmiError::Io(Arc::new(e))
    }
}

impl AmiError {
    /// The operating system's error behind `Connect` and `Io`, e.g. to tell a
    /// refused connection from an unreachable host by its kind.
    pub fn io_error(&self) -> Option<&std::io::Error> {
        match self {
            AmiError::Connect { source, .. } | AmiError::Io(source) => Some(source),
            _ => None,
        }
    }

    /// This error and its sources, `: `-separated, for a log line or a banner
    /// that must say why ("cannot connect to …: Connection refused"); `Display`
    /// alone leaves the sources to whoever walks them.
    pub fn with_causes(&self) -> impl fmt::Display + '_ {
        WithCauses(self)
    }
}

struct WithCauses<'a>(&'a AmiError);

impl fmt::Display for WithCauses<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}
