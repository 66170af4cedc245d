//! The request rate each API token, or each client address, may keep up
//! (`--rate-limit` / `ISPBX_RATE_LIMIT`): the specification asked frontends
//! to limit themselves, and this server enforces it. Over the rate, a
//! request gets `429 {"detail": …}` with `Retry-After`, before any handler
//! runs. The login page, assets and health probes are not counted (logins
//! have their own limit, see [`super::auth`]).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// A rate as written on the command line: `20/s`, `600/min`, `10000/h`, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests per period; also how many may come at once.
    pub requests: NonZeroU32,
    pub per: Duration,
}

impl Rate {
    /// `None` for `off`.
    pub fn parse(s: &str) -> Result<Option<Rate>, String> {
        let s = s.trim();
        if s == "off" {
            return Ok(None);
        }
        let bad = || format!("'{s}' is not a rate: N/s, N/min or N/h (N from 1), or off");
        let (n, unit) = s.split_once('/').ok_or_else(bad)?;
        let requests: NonZeroU32 = n.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" => Duration::from_secs(1),
            "min" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        Ok(Some(Rate { requests, per }))
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "min",
            _ => "h",
        };
        write!(f, "{}/{unit}", self.requests)
    }
}

/// Who a request is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    Token(String),
    Address(std::net::IpAddr),
}

impl Caller {
    /// An IPv6 client is its /64: one host has a whole /64 to pick from.
    pub fn address(ip: std::net::IpAddr) -> Caller {
        match super::client_address::canonical(ip) {
            std::net::IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                Caller::Address(std::net::IpAddr::V6(bits.into()))
            }
            v4 => Caller::Address(v4),
        }
    }
}

/// Requests per caller, within [`Rate`].
#[derive(Clone)]
pub struct RateLimit {
    limiter: Arc<DefaultKeyedRateLimiter<Caller>>,
    clock: DefaultClock,
    /// Checks since the idle callers were last forgotten.
    checks: Arc<std::sync::atomic::AtomicU32>,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateLimit")
    }
}

/// Callers remembered before the idle ones are forgotten.
const FORGET_ABOVE: usize = 10_000;

impl RateLimit {
    pub fn new(rate: Rate) -> RateLimit {
        // The whole period's requests may come at once; then one per share of it.
        let replenish = rate.per / rate.requests.get();
        let quota = Quota::with_period(replenish.max(Duration::from_nanos(1))).map_or_else(|| Quota::per_second(rate.requests), |q| q.allow_burst(rate.requests));
        RateLimit { limiter: Arc::new(DefaultKeyedRateLimiter::dashmap(quota)), clock: DefaultClock::default(), checks: Arc::default() }
    }

    /// `Err(seconds to wait)` when `caller` is over the rate.
    pub fn check(&self, caller: Caller) -> Result<(), u64> {
        // A scan of every caller, at most once per FORGET_ABOVE checks.
        if self.checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= FORGET_ABOVE as u32 {
            self.checks.store(0, std::sync::atomic::Ordering::Relaxed);
            if self.limiter.len() > FORGET_ABOVE {
                self.limiter.retain_recent();
            }
        }
        self.limiter.check_key(&caller).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            // Retry-After is whole seconds, rounded up: never "retry at once".
            (wait.as_secs_f64().ceil() as u64).max(1)
        })
    }
}

/// Whether a refusal is worth a log line: the first for each caller in a
/// minute. A caller hammering a limit fills neither the log nor the disk;
/// every refusal still counts in `ispbx_http_requests{status="429"}`.
#[derive(Clone)]
pub struct Said(Arc<DefaultKeyedRateLimiter<Caller>>);

impl Default for Said {
    fn default() -> Said {
        Said(Arc::new(DefaultKeyedRateLimiter::dashmap(Quota::per_minute(NonZeroU32::MIN))))
    }
}

impl std::fmt::Debug for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Said")
    }
}

impl Said {
    pub fn first(&self, caller: &Caller) -> bool {
        if self.0.len() > FORGET_ABOVE {
            self.0.retain_recent();
        }
        self.0.check_key(caller).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_said_once_a_minute_per_caller() {
        let said = Said::default();
        let (a, b) = (Caller::Token("crm".into()), Caller::address([192, 0, 2, 7].into()));
        assert!(said.first(&a));
        assert!(!said.first(&a));
        assert!(said.first(&b));
    }

    #[test]
    fn rates_are_read_as_written() {
        assert_eq!(Rate::parse("off"), Ok(None));
        let r = Rate::parse("600/min").unwrap().unwrap();
        assert_eq!((r.requests.get(), r.per), (600, Duration::from_secs(60)));
        assert_eq!(r.to_string(), "600/min");
        assert_eq!(Rate::parse(" 20/s ").unwrap().unwrap().to_string(), "20/s");
        for bad in ["", "20", "0/s", "-1/s", "20/day", "x/s", "20/"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_caller_over_the_rate_waits_and_others_do_not() {
        let limit = RateLimit::new(Rate::parse("3/h").unwrap().unwrap());
        let me = Caller::Token("crm".into());
        for _ in 0..3 {
            assert_eq!(limit.check(me.clone()), Ok(()));
        }
        let wait = limit.check(me.clone()).unwrap_err();
        // One request comes back every 20 minutes.
        assert!((1100..=1200).contains(&wait), "{wait}");
        assert_eq!(limit.check(Caller::Address([127, 0, 0, 1].into())), Ok(()));
        assert_eq!(limit.check(Caller::Token("other".into())), Ok(()));
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        let a: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: std::net::IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Caller::address(a), Caller::address(b));
        assert_ne!(Caller::address(a), Caller::address(c));
        let mapped: std::net::IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(Caller::address(mapped), Caller::Address([192, 0, 2, 7].into()));
    }
}
