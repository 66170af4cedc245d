//! The real `ispbx` binary as a child process, and HTTP/1.1 by hand against it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use serde_json::Value;
use std::time::{Duration, Instant};

/// A bound on a broken test, not a timing assertion.
pub const WAIT: Duration = Duration::from_secs(15);

/// A child process killed when the test ends, with its output kept.
pub struct Proc {
    child: Child,
    log: Arc<Mutex<String>>,
    /// The state directory the test did not give: its own, gone with it.
    _state: Option<tempfile::TempDir>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// `ispbx` with `args` and `env`. Unless `env` says otherwise, a server
    /// gets a state directory of its own (never the user's) and anonymous
    /// read and no rate limit, as the specification's tests expect; the
    /// access tests set them.
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Proc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ispbx"));
        super::die_with_parent(&mut cmd);
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let given = |k: &str| env.iter().any(|(key, _)| *key == k);
        let state = (!given("ISPBX_STATE_DIR")).then(|| tempfile::tempdir().expect("a state directory"));
        if let Some(dir) = &state {
            cmd.env("ISPBX_STATE_DIR", dir.path());
        }
        if !given("ISPBX_ANONYMOUS_READ") {
            cmd.env("ISPBX_ANONYMOUS_READ", "on");
        }
        // Tests that fire requests as fast as they can are not what the rate
        // limit is tested by (the access tests set it).
        if !given("ISPBX_RATE_LIMIT") {
            cmd.env("ISPBX_RATE_LIMIT", "off");
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("ispbx starts");
        let log = Arc::new(Mutex::new(String::new()));
        for pipe in [Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>, Box::new(child.stderr.take().unwrap())] {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut l = log.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        Proc { child, log, _state: state }
    }

    /// SIGTERM: how systemd or Ctrl-C stops a server.
    pub fn terminate(&self) {
        assert_eq!(unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) }, 0, "SIGTERM");
    }

    /// Waits for the process to end, at most `within`.
    pub fn exited(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after {within:?}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits for a log line containing `marker` and returns the text after it.
    pub fn wait_for(&self, marker: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(rest) = self.log().lines().find_map(|l| l.split_once(marker).map(|(_, r)| r.to_string())) {
                return rest;
            }
            assert!(Instant::now() < deadline, "no '{marker}' in the log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// HTTP/1.1 by hand: the bad-input tests send request targets a client library would refuse to.
pub fn request(addr: &str, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
    request_with_body(addr, method, target, headers, &[])
}

/// [`request`] with a body (its `Content-Length` is added).
pub fn request_with_body(addr: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    request_over(&mut s, addr, method, target, headers, body)
}

/// [`request_with_body`] over a connection already made (a TLS one, say).
pub fn request_over(s: &mut (impl Read + Write), addr: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut req = req.into_bytes();
    req.extend_from_slice(body);
    s.write_all(&req).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("the server answers in time");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))).collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Reply { status, headers, body }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

pub fn get(addr: &str, target: &str) -> Reply {
    request(addr, "GET", target, &[])
}

/// Polls until `pred` holds for GET `target`; the server converges through events.
pub fn eventually(addr: &str, target: &str, what: &str, pred: impl Fn(&Reply) -> bool) -> Reply {
    let deadline = Instant::now() + WAIT;
    loop {
        let r = get(addr, target);
        if pred(&r) {
            return r;
        }
        assert!(Instant::now() < deadline, "never: {what}; last answer {} {}", r.status, r.text());
        std::thread::sleep(Duration::from_millis(25));
    }
}

