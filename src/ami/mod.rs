//! The Asterisk Manager Interface: codec, client, typed event lists, and the
//! live PBX state kept current from events. Plain tokio: no web framework.
//!
//! - `codec`: the wire format (banner, `Key: Value` CRLF blocks), bounded;
//! - `message`: messages and actions; secrets are redacted when decoded;
//! - `types`: typed items of the event lists the state store uses;
//! - `client`: one connection, ActionID correlation, timeouts, event stream;
//! - `state`: the PBX's endpoints, contacts and channels, from a resync and events;
//! - `supervisor`: connect, resync, follow events, reconnect with backoff.

pub mod client;
pub mod codec;
pub mod message;
pub mod state;
pub mod supervisor;
pub mod types;

pub use client::{AmiClient, Credentials};
pub use codec::{AmiCodec, Frame};
pub use message::{Action, Message};

use std::time::Duration;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AmiError {
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
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
    #[error("I/O error: {0}")]
    Io(String),
}

impl From<std::io::Error> for AmiError {
    fn from(e: std::io::Error) -> Self {
        AmiError::Io(e.to_string())
    }
}
