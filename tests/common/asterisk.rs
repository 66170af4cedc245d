//! A real Asterisk 22 per test, and `sipp` phones that register to it and
//! call it. Each instance has its own state directory (fresh astdb), its own
//! loopback ports (AMI, SIP over UDP and TCP, an RTP range) and the project's
//! test configuration (`tests/asterisk/etc`, written by `scripts/asterisk.sh
//! prepare`). It is stopped when the value is dropped, also when the test
//! panics; if the test process dies instead, the kernel stops it
//! (PR_SET_PDEATHSIG), so no Asterisk outlives its test.
//!
//! Which Asterisk: `ISPBX_TEST_ASTERISK` (scripts/test.sh sets it from
//! `scripts/asterisk.sh locate`). Without it, [`Asterisk::start`] says so and
//! the test returns early (skipped), except under `CI=true`, where it fails.

use std::collections::HashSet;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use super::die_with_parent;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A bound on a broken test, not a timing assertion.
const BOOT_WAIT: Duration = Duration::from_secs(30);

pub const AMI_USER: &str = "ispbx";
pub const AMI_USER_WITHOUT_WRITE: &str = "ispbx-no-write";
/// From tests/asterisk/etc/manager.conf.
pub const AMI_SECRET: &str = "ispbx-test-ami-secret";

pub const SKIP_HINT: &str = "real-Asterisk test skipped: ISPBX_TEST_ASTERISK is not set. \
     `export ISPBX_TEST_ASTERISK=$(scripts/asterisk.sh locate)` builds or finds an Asterisk 22.";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Asterisk binary to test against, if there is one: `ISPBX_TEST_ASTERISK`,
/// which scripts/test.sh sets from `scripts/asterisk.sh locate`.
pub fn binary() -> Option<PathBuf> {
    std::env::var_os("ISPBX_TEST_ASTERISK").filter(|p| !p.is_empty()).map(PathBuf::from)
}

/// Ports handed out in this process, so that tests running side by side never share one.
static TAKEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

fn claim(ports: &[u16]) -> bool {
    let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
    let taken = taken.get_or_insert_with(HashSet::new);
    if ports.iter().any(|p| taken.contains(p)) {
        return false;
    }
    taken.extend(ports);
    true
}

/// Gives ports back when their user is gone: a long run (the generative
/// one boots thousands of Asterisks) must not run out.
pub fn release(ports: &[u16]) {
    if let Some(taken) = TAKEN.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        for p in ports {
            taken.remove(p);
        }
    }
}

/// A port free for both TCP and UDP on 127.0.0.1 (SIP listens on both).
pub fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("a free TCP port");
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() && claim(&[port]) {
            return port;
        }
    }
}

/// An RTP range of `len` UDP ports, below the kernel's ephemeral range.
fn rtp_range(len: u16) -> (u16, u16) {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut seed = u64::from(std::process::id()) ^ nanos;
    loop {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let start = 10_000 + ((seed >> 33) % 1000) as u16 * 20;
        let ports: Vec<u16> = (start..start + len).collect();
        if ports.iter().all(|p| UdpSocket::bind(("127.0.0.1", *p)).is_ok()) && claim(&ports) {
            return (start, start + len - 1);
        }
    }
}

/// A stopped Asterisk, going on when dropped.
pub struct Paused(libc::pid_t);

impl Drop for Paused {
    fn drop(&mut self) {
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

pub struct Asterisk {
    bin: PathBuf,
    state: tempfile::TempDir,
    child: Option<Child>,
    pub ami_port: u16,
    pub sip_port: u16,
    rtp: (u16, u16),
}

impl Asterisk {
    /// A booted Asterisk on the sample PBX, or `None` (the test is skipped) when there is none to run.
    pub fn start() -> Option<Asterisk> {
        let mut ast = Asterisk::start_prepared()?;
        ast.boot();
        Some(ast)
    }

    /// Its configuration written, not started.
    fn start_prepared() -> Option<Asterisk> {
        let Some(bin) = binary() else {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true and {SKIP_HINT}");
            eprintln!("{SKIP_HINT}");
            return None;
        };
        let state = tempfile::Builder::new().prefix("ispbx-asterisk.").tempdir().unwrap();
        let (ami_port, sip_port) = (free_port(), free_port());
        let (rtp_start, rtp_end) = rtp_range(40);
        let out = Command::new(root().join("scripts/asterisk.sh"))
            .args(["prepare", state.path().to_str().unwrap()])
            .env("ISPBX_TEST_ASTERISK", &bin)
            .env("AST_AMI_PORT", ami_port.to_string())
            .env("AST_SIP_PORT", sip_port.to_string())
            .env("AST_RTP_START", rtp_start.to_string())
            .env("AST_RTP_END", rtp_end.to_string())
            .output()
            .expect("scripts/asterisk.sh runs");
        assert!(out.status.success(), "asterisk.sh prepare: {}", String::from_utf8_lossy(&out.stderr));
        Some(Asterisk { bin, state, child: None, ami_port, sip_port, rtp: (rtp_start, rtp_end) })
    }

    /// A booted Asterisk whose pjsip.conf (and the files it includes, and
    /// pjsip_wizard.conf) are those of `dir` instead of the sample PBX's;
    /// `Err` with how it died if it did not survive the boot.
    pub fn start_with_pjsip(dir: &Path) -> Option<Result<Asterisk, String>> {
        let mut ast = Asterisk::start_prepared()?;
        for entry in std::fs::read_dir(ast.etc()).unwrap() {
            let p = entry.unwrap().path();
            if p.file_name().unwrap().to_string_lossy().starts_with("pjsip") {
                std::fs::remove_file(p).unwrap();
            }
        }
        copy_tree(dir, &ast.etc());
        Some(ast.try_boot().map(|()| ast))
    }

    fn conf(&self) -> PathBuf {
        self.state.path().join("asterisk.conf")
    }

    /// Starts Asterisk in the foreground and waits until it is fully booted.
    pub fn boot(&mut self) {
        if let Err(e) = self.try_boot() {
            panic!("{e}");
        }
    }

    /// `boot`, with Asterisk dying while it boots as an `Err` (a config can crash it).
    pub fn try_boot(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "already running");
        let console = std::fs::File::create(self.state.path().join("log/console.out")).unwrap();
        let child = die_with_parent(
            Command::new(&self.bin)
                .args(["-f", "-C"])
                .arg(self.conf())
                .stdin(Stdio::null())
                .stdout(console.try_clone().unwrap())
                .stderr(console),
        )
        .spawn()
        .expect("asterisk starts");
        self.child = Some(child);
        let deadline = Instant::now() + BOOT_WAIT;
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                return Err(format!("asterisk exited ({status}) while booting:\n{}", self.file("log/console.out")));
            }
            let ok = self.fully_booted();
            if ok {
                return Ok(());
            }
            if Instant::now() > deadline {
                // A config can hang Asterisk's boot too: that is an answer, not a test bug.
                self.stop();
                return Err(format!("asterisk did not boot within {BOOT_WAIT:?}:\n{}", self.file("log/console.out")));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the process where it is (SIGSTOP): an Asterisk that accepts
    /// connections and answers nothing, as a stuck one does, until the
    /// guard is dropped.
    pub fn pause(&self) -> Paused {
        let pid = self.child.as_ref().expect("running").id() as libc::pid_t;
        assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0, "SIGSTOP");
        Paused(pid)
    }

    /// `core stop now`, then waits for the process to end (killing it if it will not).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = self.rx("core stop now");
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `core waitfullybooted`, given a second: it has no time limit of its
    /// own, and an Asterisk stuck booting must fail the test, not hang it.
    fn fully_booted(&self) -> bool {
        let Ok(mut probe) = Command::new(&self.bin)
            .arg("-C")
            .arg(self.conf())
            .args(["-rx", "core waitfullybooted"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        else {
            return false;
        };
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            match probe.try_wait() {
                Ok(Some(status)) => {
                    let mut out = String::new();
                    let _ = std::io::Read::read_to_string(&mut probe.stdout.take().unwrap(), &mut out);
                    return status.success() && out.contains("fully booted");
                }
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                _ => {
                    let _ = probe.kill();
                    let _ = probe.wait();
                    return false;
                }
            }
        }
    }

    /// `asterisk -rx`: one command over the instance's control socket.
    fn rx(&self, command: &str) -> std::io::Result<std::process::Output> {
        Command::new(&self.bin).arg("-C").arg(self.conf()).args(["-rx", command]).stdin(Stdio::null()).output()
    }

    /// A CLI command's output, as `asterisk -rx` prints it.
    pub fn cli(&self, command: &str) -> String {
        let out = self.rx(command).expect("asterisk -rx runs");
        assert!(out.status.success(), "asterisk -rx '{command}': {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn etc(&self) -> PathBuf {
        self.state.path().join("etc")
    }

    pub fn pjsip_conf(&self) -> PathBuf {
        self.etc().join("pjsip.conf")
    }

    pub fn ami_addr(&self) -> String {
        format!("127.0.0.1:{}", self.ami_port)
    }

    /// A file under the state directory, e.g. `log/messages.log`.
    pub fn file(&self, rel: &str) -> String {
        std::fs::read_to_string(self.state.path().join(rel)).unwrap_or_default()
    }

    pub fn state_dir(&self) -> &Path {
        self.state.path()
    }
}

impl Drop for Asterisk {
    fn drop(&mut self) {
        self.stop();
        let rtp: Vec<u16> = (self.rtp.0..=self.rtp.1).collect();
        release(&[self.ami_port, self.sip_port]);
        release(&rtp);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// The sample PBX's password for a user (examples/sample-pbx/pjsip_users.conf).
pub fn password(user: &str) -> String {
    format!("Sample-{user}-secret")
}

/// One `sipp` run, as a child process killed when dropped.
pub struct Sipp {
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
    /// The phone's SIP address: the contact it registers.
    pub port: u16,
}

impl Sipp {
    /// `sipp` playing `scenario` (tests/asterisk/sipp) as `user` against `ast`; `hold` is its `-d`.
    pub fn spawn(ast: &Asterisk, scenario: &str, user: &str, transport: Transport, hold: Duration) -> Sipp {
        Sipp::spawn_as(ast, scenario, user, &password(user), transport, hold)
    }

    /// [`Sipp::spawn`] with the password given.
    pub fn spawn_as(ast: &Asterisk, scenario: &str, user: &str, secret: &str, transport: Transport, hold: Duration) -> Sipp {
        let dir = tempfile::tempdir().unwrap();
        let (port, media, control) = (free_port(), rtp_range(4).0, free_port());
        let log = dir.path().join("sipp.out");
        let out = std::fs::File::create(&log).unwrap();
        let scenario_file = root().join("tests/asterisk/sipp").join(format!("{scenario}.xml"));
        let child = die_with_parent(
            Command::new("sipp")
                .arg(format!("127.0.0.1:{}", ast.sip_port))
                .arg("-sf")
                .arg(&scenario_file)
                .args(["-s", user, "-au", user, "-ap", secret])
                .args(["-i", "127.0.0.1", "-mi", "127.0.0.1"])
                .args(["-p", &port.to_string(), "-mp", &media.to_string(), "-cp", &control.to_string()])
                .args(["-t", if transport == Transport::Udp { "u1" } else { "t1" }])
                .args(["-m", "1", "-l", "1", "-aa", "-nostdin"])
                .args(["-d", &hold.as_millis().to_string()])
                .args(["-trace_err", "-error_file"])
                .arg(dir.path().join("errors.log"))
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out),
        )
        .spawn()
        .expect("sipp runs (Debian package sip-tester)");
        Sipp { child, log, _dir: dir, port }
    }

    /// A phone that registers and stays registered, answering qualify OPTIONS.
    pub fn register(ast: &Asterisk, user: &str, transport: Transport) -> Sipp {
        Sipp::spawn(ast, "register", user, transport, Duration::ZERO)
    }

    /// Waits for the scenario to end; panics unless it succeeded.
    pub fn finish(mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status: ExitStatus = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "sipp did not finish: {}", self.output());
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "sipp failed ({status}):\n{}", self.output());
    }

    pub fn output(&self) -> String {
        let errors = self._dir.path().join("errors.log");
        format!("{}\n{}", std::fs::read_to_string(&self.log).unwrap_or_default(), std::fs::read_to_string(errors).unwrap_or_default())
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One endpoint as `pjsip show endpoints` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliEndpoint {
    pub name: String,
    /// The State column: the endpoint's device state ("Not in use", "Unavailable"…).
    pub state: String,
    /// "N of M": N.
    pub channels: u32,
    pub aors: Vec<String>,
    /// (aor, uri, status as the CLI abbreviates it: Avail, Unavail, NonQual, Unknown).
    pub contacts: Vec<(String, String, String)>,
}

/// Parses `pjsip show endpoints` (res_pjsip/pjsip_cli.c and its formatters).
pub fn parse_show_endpoints(text: &str) -> Vec<CliEndpoint> {
    let mut out: Vec<CliEndpoint> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.contains('<') {
            continue; // the legend
        }
        if let Some(rest) = line.strip_prefix("Endpoint:") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            assert!(words.len() >= 5, "an endpoint line: {line}");
            let name = words[0].split('/').next().unwrap().to_string();
            let n = words.len();
            assert_eq!(words[n - 2], "of", "{line}");
            out.push(CliEndpoint {
                name,
                state: words[1..n - 3].join(" "),
                channels: words[n - 3].parse().unwrap(),
                aors: Vec::new(),
                contacts: Vec::new(),
            });
        } else if let Some(rest) = line.strip_prefix("Aor:") {
            out.last_mut().unwrap().aors.push(rest.split_whitespace().next().unwrap().to_string());
        } else if let Some(rest) = line.strip_prefix("Contact:") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let (aor, uri) = words[0].split_once('/').unwrap();
            out.last_mut().unwrap().contacts.push((aor.to_string(), uri.to_string(), words[2].to_string()));
        }
    }
    out
}

/// Copies a directory's files (and subdirectories) into `to`; `case.md` and
/// the recorded `asterisk.json` of a fidelity case stay behind.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap();
        if p.is_dir() {
            std::fs::create_dir_all(to.join(name)).unwrap();
            copy_tree(&p, &to.join(name));
        } else if name != "case.md" && name != "asterisk.json" {
            std::fs::copy(&p, to.join(name)).unwrap();
        }
    }
}
