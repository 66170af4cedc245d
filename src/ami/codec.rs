//! The AMI wire format as a tokio-util codec.
//!
//! Asterisk opens with one banner line, then sends `Key: Value\r\n` blocks
//! ended by a blank line. Event lists can be megabytes, but each message is
//! small, so memory is bounded per line and per message, never per list.

use super::message::{Action, Message};
use super::AmiError;
use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

pub const DEFAULT_MAX_LINE: usize = 64 * 1024;
pub const DEFAULT_MAX_MESSAGE: usize = 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// `Asterisk Call Manager/11.0.0`
    Banner(String),
    Message(Message),
}

#[derive(Debug)]
pub struct AmiCodec {
    banner_seen: bool,
    max_line: usize,
    max_message: usize,
    /// Where the search for the end of the current message resumes.
    scanned: usize,
    /// A client redacts the secrets Asterisk sends; a server must read `Secret:`.
    redact: bool,
}

impl Default for AmiCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_LINE, DEFAULT_MAX_MESSAGE)
    }
}

impl AmiCodec {
    pub fn new(max_line: usize, max_message: usize) -> Self {
        AmiCodec { banner_seen: false, max_line, max_message, scanned: 0, redact: true }
    }

    /// A client codec for a byte stream whose banner was already read.
    pub fn default_after_banner() -> Self {
        AmiCodec { banner_seen: true, ..Self::default() }
    }

    /// The server side of a connection (the simulator): no banner to read,
    /// and the client's `Secret:` must stay readable to check the login.
    pub fn server() -> Self {
        AmiCodec { banner_seen: true, redact: false, ..Self::default() }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses one block (without its blank-line terminator).
fn parse_block(block: &[u8], max_line: usize, redact: bool) -> Result<Message, AmiError> {
    let mut headers = Vec::new();
    for line in block.split(|&b| b == b'\n') {
        // Lines end in CRLF; a bare LF inside a value (res_pjsip's
        // "Unable to retrieve endpoint 9999\n") leaves an empty piece: skip it.
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if line.len() > max_line {
            return Err(AmiError::LineTooLong(line.len()));
        }
        let text = String::from_utf8_lossy(line);
        let (k, v) = match text.split_once(':') {
            Some((k, v)) => (k, v.strip_prefix(' ').unwrap_or(v)),
            None => return Err(AmiError::Malformed(text.chars().take(80).collect())),
        };
        headers.push((k.to_string(), v.to_string()));
    }
    Ok(if redact { Message::new(headers) } else { Message { headers } })
}

impl Decoder for AmiCodec {
    type Item = Frame;
    type Error = AmiError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, AmiError> {
        if !self.banner_seen {
            let Some(end) = find(buf, b"\r\n") else {
                if buf.len() > self.max_line {
                    return Err(AmiError::LineTooLong(buf.len()));
                }
                return Ok(None);
            };
            let line = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.advance(end + 2);
            self.banner_seen = true;
            return Ok(Some(Frame::Banner(line)));
        }
        loop {
            // Blank lines between messages (and the bare-LF trap's extra one) are not messages.
            while buf.starts_with(b"\r\n") {
                buf.advance(2);
                self.scanned = 0;
            }
            let from = self.scanned.saturating_sub(3);
            let Some(at) = find(&buf[from..], b"\r\n\r\n").map(|i| i + from) else {
                self.scanned = buf.len();
                if buf.len() > self.max_message {
                    return Err(AmiError::MessageTooLarge(self.max_message));
                }
                // A line that never ends is caught before the whole message fills up.
                let last_line = buf.iter().rev().position(|&b| b == b'\n').unwrap_or(buf.len());
                if last_line > self.max_line {
                    return Err(AmiError::LineTooLong(last_line));
                }
                return Ok(None);
            };
            self.scanned = 0;
            if at > self.max_message {
                return Err(AmiError::MessageTooLarge(self.max_message));
            }
            let block = buf.split_to(at + 4);
            let msg = parse_block(&block[..at], self.max_line, self.redact)?;
            if msg.headers.is_empty() {
                continue;
            }
            return Ok(Some(Frame::Message(msg)));
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, AmiError> {
        self.eof(buf)
    }
}

impl AmiCodec {
    /// The peer closed: a half-sent message is a cut connection, not a message.
    fn eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, AmiError> {
        match self.decode(buf)? {
            Some(f) => Ok(Some(f)),
            None if buf.iter().all(|b| b.is_ascii_whitespace()) => Ok(None),
            None => Err(AmiError::Closed),
        }
    }
}

/// What a client writes: an action with its ActionID.
pub struct Outgoing<'a> {
    pub action: &'a Action,
    pub action_id: Option<&'a str>,
}

impl Encoder<Outgoing<'_>> for AmiCodec {
    type Error = AmiError;

    fn encode(&mut self, item: Outgoing<'_>, dst: &mut BytesMut) -> Result<(), AmiError> {
        let mut out = Vec::with_capacity(128);
        item.action.encode(item.action_id, &mut out)?;
        dst.extend_from_slice(&out);
        Ok(())
    }
}

/// What the simulator writes: a banner or a message.
impl Encoder<Frame> for AmiCodec {
    type Error = AmiError;

    fn encode(&mut self, item: Frame, dst: &mut BytesMut) -> Result<(), AmiError> {
        match item {
            Frame::Banner(b) => {
                dst.extend_from_slice(b.as_bytes());
                dst.extend_from_slice(b"\r\n");
            }
            Frame::Message(m) => dst.extend_from_slice(&m.to_bytes()),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(codec: &mut AmiCodec, bytes: &[u8]) -> Vec<Frame> {
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        while let Some(f) = codec.decode(&mut buf).unwrap() {
            out.push(f);
        }
        out
    }

    #[test]
    fn banner_then_messages_with_empty_values_and_repeats() {
        let mut c = AmiCodec::default();
        let f = decode_all(
            &mut c,
            b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nOutput: a\r\nOutput: \r\nOutput: b\r\n\r\n",
        );
        assert_eq!(f[0], Frame::Banner("Asterisk Call Manager/11.0.0".into()));
        let Frame::Message(m) = &f[1] else { panic!() };
        assert_eq!(m.get_all("Output").collect::<Vec<_>>(), ["a", "", "b"]);
    }

    #[test]
    fn bare_lf_inside_a_value_is_trimmed() {
        let mut c = AmiCodec::server();
        let f = decode_all(&mut c, b"Response: Error\r\nMessage: Unable to retrieve endpoint 9999\n\r\n\r\nResponse: Success\r\n\r\n");
        assert_eq!(f.len(), 2);
        let Frame::Message(m) = &f[0] else { panic!() };
        assert_eq!(m.message_text(), "Unable to retrieve endpoint 9999");
    }

    #[test]
    fn byte_by_byte_feeding_gives_the_same_result() {
        let bytes = b"Asterisk Call Manager/11.0.0\r\nEvent: A\r\nX: 1\r\n\r\nEvent: B\r\n\r\n";
        let mut c = AmiCodec::default();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for b in bytes {
            buf.extend_from_slice(&[*b]);
            while let Some(f) = c.decode(&mut buf).unwrap() {
                out.push(f);
            }
        }
        assert_eq!(out, decode_all(&mut AmiCodec::default(), bytes));
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn hostile_peers_hit_clear_limits() {
        let mut c = AmiCodec::new(16, 64);
        let mut buf = BytesMut::from(&b"Asterisk Call Manager/11.0.0\r\nKey: 0123456789012345678901234567890"[..]);
        assert!(matches!(c.decode(&mut buf), Ok(Some(Frame::Banner(_)))));
        assert!(matches!(c.decode(&mut buf), Err(AmiError::LineTooLong(36))));
        let mut c = AmiCodec::new(1000, 64);
        let mut buf = BytesMut::from(&b"Asterisk Call Manager/11.0.0\r\n"[..]);
        c.decode(&mut buf).unwrap();
        buf.extend_from_slice("K: v\r\n".repeat(20).as_bytes());
        assert!(matches!(c.decode(&mut buf), Err(AmiError::MessageTooLarge(64))));
    }
}
