//! A second AMI connection a test holds beside ISPBX's: it records every
//! message with the moment it arrived, and sends actions. Plain blocking
//! sockets and its own framing, so that what it sees does not depend on the
//! client under test.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A bound on a broken test, not a timing assertion.
const WAIT: Duration = Duration::from_secs(30);

pub type Headers = Vec<(String, String)>;

#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub headers: Headers,
}

impl Received {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
    pub fn event(&self) -> Option<&str> {
        self.get("Event")
    }
    pub fn names(&self) -> Vec<String> {
        self.headers.iter().map(|(k, _)| k.clone()).collect()
    }
}

pub struct AmiTap {
    writer: TcpStream,
    received: Arc<Mutex<Vec<Received>>>,
    pub banner: String,
}

impl AmiTap {
    /// Connects and logs in (events on); panics unless the login succeeds.
    pub fn connect(addr: &str, user: &str, secret: &str) -> AmiTap {
        let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("AMI at {addr}: {e}"));
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut banner = String::new();
        reader.read_line(&mut banner).unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        std::thread::spawn(move || {
            let mut headers = Vec::new();
            let mut raw = Vec::new();
            loop {
                raw.clear();
                // Values are bytes (a config may hold Latin-1): read them lossily, as ISPBX does.
                match reader.read_until(b'\n', &mut raw) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let line = String::from_utf8_lossy(&raw);
                let l = line.trim_end_matches(['\r', '\n']);
                if l.is_empty() {
                    if !headers.is_empty() {
                        sink.lock().unwrap().push(Received { at: Instant::now(), headers: std::mem::take(&mut headers) });
                    }
                } else if let Some((k, v)) = l.split_once(':') {
                    // Asterisk writes "Key: value": one space, the rest is the value's own.
                    headers.push((k.to_string(), v.strip_prefix(' ').unwrap_or(v).to_string()));
                } else {
                    headers.push((l.to_string(), String::new()));
                }
            }
        });
        let tap = AmiTap { writer: stream, received, banner: banner.trim_end().to_string() };
        let login = tap.send(&[("Action", "Login"), ("Username", user), ("Secret", secret), ("ActionID", "tap-login")]);
        let answer = tap.response(login, "tap-login");
        assert_eq!(answer.get("Response"), Some("Success"), "the tap's login: {:?}", answer.headers);
        tap
    }

    /// Sends an action; returns the mark to look for its answers after.
    pub fn send(&self, headers: &[(&str, &str)]) -> usize {
        let mark = self.len();
        let mut out = String::new();
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        (&self.writer).write_all(out.as_bytes()).unwrap();
        mark
    }

    pub fn len(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The first message from `mark` on that satisfies `pred`.
    pub fn wait_for(&self, mark: usize, what: &str, pred: impl Fn(&Received) -> bool) -> Received {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(m) = self.received.lock().unwrap()[mark..].iter().find(|m| pred(m)) {
                return m.clone();
            }
            assert!(Instant::now() < deadline, "no AMI message: {what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The response to the action with `id`.
    pub fn response(&self, mark: usize, id: &str) -> Received {
        self.wait_for(mark, id, |m| m.get("Response").is_some() && m.get("ActionID") == Some(id))
    }

    /// The answer to a list action: its response, its items and its Complete event.
    pub fn list(&self, headers: &[(&str, &str)], id: &str) -> Vec<Received> {
        let mut h = headers.to_vec();
        h.push(("ActionID", id));
        let mark = self.send(&h);
        let first = self.response(mark, id);
        if first.get("Response") != Some("Success") {
            return vec![first];
        }
        let complete = self.wait_for(mark, id, |m| m.get("ActionID") == Some(id) && m.get("EventList") == Some("Complete"));
        let _ = complete;
        self.all()[mark..].iter().filter(|m| m.get("ActionID") == Some(id)).cloned().collect()
    }
}
