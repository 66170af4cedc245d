//! A PBX that speaks real AMI, for development, tests and demos: never part
//! of `ispbx serve`. It is driven by a pjsip.conf (its endpoints, AORs and
//! static contacts), answers the actions ISPBX uses with messages shaped
//! exactly like Asterisk 22's (see tests/fixtures/ami), and emits the
//! events Asterisk emits when a phone registers, unregisters or calls.
//!
//! Its state changes through `Sim*` actions on the same port, so a test can
//! register a phone with three lines of AMI.
//!
//! - `state`: endpoints, contacts and calls, their device state, and the
//!   changes a phone makes with the events each one emits;
//! - `session`: one AMI connection (banner, login, actions in, responses and
//!   events out) and `serve`;
//! - `actions`: the answer to each action, shaped like Asterisk 22's.

mod actions;
mod detail;
mod session;
mod state;

pub use session::BANNER;

use crate::ami::Message;
use crate::pjsip::PjsipConfig;
use state::{Emit, SimState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use tokio::sync::broadcast;


#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimError {
    #[error("Unable to retrieve endpoint {0}")]
    NoEndpoint(String),
    #[error("Endpoint {0} has no AOR to register to")]
    NoAor(String),
    #[error("Endpoint {0} has no call to hang up")]
    NoCall(String),
}

/// The simulated PBX. Share it with `Arc`; every method is synchronous and quick.
#[derive(Debug)]
pub struct Simulator {
    state: Mutex<SimState>,
    events: broadcast::Sender<Message>,
    actions: AtomicU64,
    users: Vec<(String, String)>,
    /// Asterisk sleeps before refusing a bad secret; tests may shorten it.
    pub login_failure_delay: Duration,
    /// Whether it has finished starting: until then a login hears no FullyBooted.
    booted: std::sync::atomic::AtomicBool,
}

fn msg(pairs: &[(&str, &str)]) -> Message {
    Message { headers: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
}

fn now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// res_pjsip's object ids hash a contact's URI with MD5 (location.c).
fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn fxhash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

impl Simulator {
    /// A PBX with the endpoints of `cfg`; `users` are the AMI (username, secret) pairs it accepts.
    pub fn from_config(cfg: &PjsipConfig, users: Vec<(String, String)>) -> Self {
        let (events, _) = broadcast::channel(4096);
        Simulator {
            state: Mutex::new(SimState::from_config(cfg)),
            events,
            actions: AtomicU64::new(0),
            users,
            login_failure_delay: Duration::from_secs(1),
            booted: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// Still starting (`false`), or done: then every session hears
    /// FullyBooted, as Asterisk's own announce it (asterisk.c).
    pub fn set_booted(&self, booted: bool) {
        if booted && !self.booted.swap(true, Ordering::SeqCst) {
            self.emit("system", msg(&[("Event", "FullyBooted"), ("Uptime", "1"), ("LastReload", "1"), ("Status", "Fully Booted")]));
        }
        self.booted.store(booted, Ordering::SeqCst);
    }

    pub(crate) fn booted(&self) -> bool {
        self.booted.load(Ordering::SeqCst)
    }

    /// AMI actions received since start (Login, Logoff and Sim* control actions excluded).
    pub fn actions_received(&self) -> u64 {
        self.actions.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends an event to every session. Like an Asterisk without
    /// `systemname` in asterisk.conf (the default), it has no SystemName.
    fn emit(&self, privilege: &str, mut m: Message) {
        m.headers.insert(1, ("Privilege".into(), format!("{privilege},all")));
        let _ = self.events.send(m);
    }

    /// Makes a state change, whose events go out while the state is still
    /// locked: the events of concurrent changes never interleave.
    fn change<T>(&self, f: impl FnOnce(&mut SimState, &mut Emit<'_>) -> Result<T, SimError>) -> Result<T, SimError> {
        let mut st = self.lock();
        f(&mut st, &mut |privilege, m| self.emit(privilege, m))
    }

    /// A phone registers from `via` (ip:port): Asterisk's event sequence follows.
    pub fn register(&self, name: &str, via: &str, user_agent: &str) -> Result<(), SimError> {
        self.change(|st, emit| st.register(name, via, user_agent, emit))
    }

    /// Every dynamic contact of the endpoint goes away (un-REGISTER).
    pub fn unregister(&self, name: &str) -> Result<(), SimError> {
        self.change(|st, emit| st.unregister(name, emit))
    }

    /// The endpoint starts a call to the echo test.
    pub fn call(&self, name: &str) -> Result<String, SimError> {
        self.change(|st, emit| st.call(name, emit))
    }

    /// The endpoint's oldest call ends.
    pub fn hangup(&self, name: &str) -> Result<(), SimError> {
        self.change(|st, emit| st.hangup(name, emit))
    }

    /// Registers most endpoints and starts a call, so a demo looks like a working office.
    pub fn populate_demo(&self) {
        let names: Vec<(String, bool)> =
            // Trunks (with outbound auth) register to a provider, not to us.
            self.lock().endpoints.iter().map(|(n, e)| (n.clone(), !e.aors.is_empty() && e.outbound_auths.is_empty())).collect();
        let agents = ["Yealink SIP-T54W 96.86.0.70", "Polycom VVX 450 6.4.3", "Zoiper rv2.10.20", "Grandstream GXP2170 1.0.11"];
        let mut called = false;
        for (i, (name, has_aor)) in names.iter().enumerate() {
            if !has_aor || i % 5 == 3 {
                continue;
            }
            let via = format!("10.20.{}.{}:5060", 1 + i / 200, 10 + i % 200);
            let _ = self.register(name, &via, agents[i % agents.len()]);
            if !called && i > 0 {
                let _ = self.call(name);
                called = true;
            }
        }
    }
}
