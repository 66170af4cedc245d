//! The generative differential run (scripts/fidelity-fuzz.sh; not part of
//! every CI run): random pjsip.conf files from a grammar of Asterisk's
//! syntax, and mutations of the corpus cases, each loaded into a fresh
//! Asterisk and compared with ISPBX. A difference is minimised (lines
//! dropped while it persists) and saved as a new corpus case with Asterisk's
//! answer, for a human to name and fix.
//!
//!   ISPBX_FUZZ_MINUTES=30 scripts/fidelity-fuzz.sh

mod common;

use common::fidelity::{cases, cases_dir, differences, ispbx_view, record};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// xorshift64*: a seed per worker makes a run reproducible from its log line.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const NAMES: &[&str] = &["1001", "1002", "tpl", "base", "system", "global", "trunk", "a", "A", "x y"];
const TYPES: &[&str] = &["endpoint", "aor", "auth", "identify", "domain_alias", "registration", "system", "global", "transport", "bogus"];
const OPTIONS: &[(&str, &[&str])] = &[
    ("context", &["from-internal", "", "a;b"]),
    ("allow", &["ulaw", "!all,alaw", "", "nosuchcodec", "ulaw,g722"]),
    ("disallow", &["all"]),
    ("aors", &["1001", "1001,1002", ""]),
    ("auth", &["1001", "missing"]),
    ("dtmf_mode", &["rfc4733", "bogus", "inband"]),
    ("max_contacts", &["1", "abc", "-1", "99999999999"]),
    ("qualify_frequency", &["60", "x"]),
    ("username", &["1001", ""]),
    ("password", &["s3cret", "a\\;b"]),
    ("auth_type", &["userpass", "md5", "nope"]),
    ("endpoint", &["1001", ""]),
    ("match", &["192.0.2.1", "192.0.2.0/33", "192.0.2.0/24"]),
    ("domain", &["example.invalid", ""]),
    ("server_uri", &["sip:127.0.0.1:9", ""]),
    ("client_uri", &["sip:u@127.0.0.1", ""]),
    ("protocol", &["udp", "tcp", "sctp"]),
    ("bind", &["127.0.0.1:0"]),
    ("timer_t1", &["500", "abc"]),
    ("max_forwards", &["70", "0"]),
    ("nosuchoption", &["1"]),
];

fn header(r: &mut Rng) -> String {
    let name = r.pick(NAMES);
    let mut inner = Vec::new();
    for _ in 0..r.below(3) {
        inner.push(match r.below(4) {
            0 => "!".to_string(),
            1 => "+".to_string(),
            2 => format!("+type={}", r.pick(TYPES)),
            _ => r.pick(NAMES).to_string(),
        });
    }
    let pad = if r.chance(10) { " " } else { "" };
    if inner.is_empty() || r.chance(20) {
        format!("[{name}]{pad}")
    } else {
        format!("[{name}]{pad}({})", inner.join(","))
    }
}

fn option_line(r: &mut Rng) -> String {
    let (key, values) = OPTIONS[r.below(OPTIONS.len())];
    let value = r.pick(values);
    let op = r.pick(&["=", "=", "=", " = ", "=>", "+=", " += "]);
    let tail = match r.below(12) {
        0 => " ; a comment",
        1 => " ;-- inline --; ",
        2 => "\t",
        _ => "",
    };
    if r.chance(15) {
        format!("type{op}{}{tail}", r.pick(TYPES))
    } else {
        format!("{key}{op}{value}{tail}")
    }
}

/// A random config: main file and sometimes an included one.
fn generate(r: &mut Rng) -> Vec<(String, Vec<u8>)> {
    let mut main = String::new();
    let mut extra = String::new();
    for _ in 0..1 + r.below(5) {
        let target = if r.chance(20) { &mut extra } else { &mut main };
        target.push_str(&header(r));
        target.push('\n');
        if r.chance(80) {
            target.push_str(&format!("type={}\n", r.pick(TYPES)));
        }
        for _ in 0..r.below(5) {
            target.push_str(&option_line(r));
            target.push('\n');
        }
        match r.below(20) {
            0 => target.push_str(";-- a block\ncomment --;\n"),
            1 => target.push_str("no equals sign here\n"),
            2 => target.push_str(&format!("long={}\n", "x".repeat(8185 + r.below(8)))),
            _ => {}
        }
    }
    let mut files = Vec::new();
    if !extra.is_empty() {
        let directive = r.pick(&["#include", "#tryinclude", "#include"]);
        main.push_str(&format!("{directive} \"extra.conf\"\n"));
        let mut bytes = extra.into_bytes();
        if r.chance(20) {
            bytes.splice(0..0, *b"\xEF\xBB\xBF");
        }
        files.push(("extra.conf".to_string(), bytes));
    }
    let mut bytes = main.into_bytes();
    if r.chance(15) {
        bytes = String::from_utf8(bytes).unwrap().replace('\n', "\r\n").into_bytes();
    }
    files.insert(0, ("pjsip.conf".to_string(), bytes));
    files
}

/// A corpus case with one line dropped, duplicated or swapped.
fn mutate(r: &mut Rng, case: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(case)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file() && e.file_name().to_string_lossy().ends_with(".conf"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort_by_key(|(n, _)| n != "pjsip.conf");
    let (_, bytes) = &mut files[0];
    let mut lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if lines.len() > 1 {
        let i = r.below(lines.len());
        match r.below(3) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            _ => {
                let j = r.below(lines.len());
                lines.swap(i, j);
            }
        }
    }
    *bytes = lines.join(&b'\n');
    files
}

fn write_case(dir: &Path, files: &[(String, Vec<u8>)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// The differences for a set of files, or None when Asterisk could not be run.
fn diverges(files: &[(String, Vec<u8>)]) -> Option<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), files);
    let live = record(dir.path())?;
    Some(differences(&live.view, &ispbx_view(dir.path())))
}

/// Drops lines of the main file while the config still diverges.
fn minimise(mut files: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    let mut i = 0;
    loop {
        let lines: Vec<&[u8]> = files[0].1.split(|&b| b == b'\n').collect();
        if i >= lines.len() {
            return files;
        }
        let shorter: Vec<u8> = lines.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, l)| *l).collect::<Vec<_>>().join(&b'\n');
        let mut candidate = files.clone();
        candidate[0].1 = shorter;
        if diverges(&candidate).is_some_and(|d| !d.is_empty()) {
            files = candidate;
        } else {
            i += 1;
        }
    }
}

/// What kind of difference a line is, names left out: one saved case per kind.
fn kind(diff: &str) -> String {
    let words: Vec<&str> = diff.split_whitespace().collect();
    match words.as_slice() {
        ["object", kind, ..] => format!("{} alone has a {kind}", if diff.contains(": Asterisk has it") { "Asterisk" } else { "ISPBX" }),
        [first, ..] if first.starts_with("section") => "sections differ".into(),
        // "GetConfig: Asterisk Err(\"…\"), ISPBX Ok(…)": which side failed, and how.
        ["GetConfig:", ..] => {
            let side = |who: &str| diff.split(who).nth(1).map_or("?", |r| if r.starts_with("Ok") { "Ok" } else { "Err" }).to_string();
            let died = if diff.contains("ASTERISK DIED") || diff.contains("CRASH") { " (Asterisk died)" } else { "" };
            format!("GetConfig: Asterisk {}, ISPBX {}{died}", side("Asterisk "), side("ISPBX "))
        }
        _ => words.iter().take(2).copied().collect::<Vec<_>>().join(" "),
    }
}

#[test]
#[ignore = "minutes of Asterisk boots: scripts/fidelity-fuzz.sh"]
fn random_configs_read_as_asterisk_reads_them() {
    assert!(common::asterisk::binary().is_some(), "{}", common::asterisk::SKIP_HINT);
    let minutes: u64 = std::env::var("ISPBX_FUZZ_MINUTES").ok().and_then(|m| m.parse().ok()).unwrap_or(5);
    let deadline = Instant::now() + Duration::from_secs(minutes * 60);
    let corpus: Vec<PathBuf> = cases();
    let compared = AtomicU64::new(0);
    let found = AtomicU64::new(0);
    let kinds: std::sync::Mutex<std::collections::BTreeMap<String, u64>> = Default::default();
    let seed0 = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    std::thread::scope(|s| {
        for w in 0..3u64 {
            let (corpus, compared, found, kinds) = (&corpus, &compared, &found, &kinds);
            s.spawn(move || {
                let seed = seed0.wrapping_add(w.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1;
                eprintln!("worker {w}: seed {seed}");
                let mut r = Rng(seed);
                while Instant::now() < deadline {
                    let files = if corpus.is_empty() || r.chance(60) {
                        generate(&mut r)
                    } else {
                        let case = &corpus[r.below(corpus.len())];
                        mutate(&mut r, case)
                    };
                    // A harness failure (an AMI answer that never came) costs one config, not the worker.
                    let diffs = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| diverges(&files))) {
                        Ok(Some(diffs)) => diffs,
                        Ok(None) => return,
                        Err(_) => {
                            eprintln!("a config broke the harness; going on");
                            continue;
                        }
                    };
                    let n = compared.fetch_add(1, Ordering::Relaxed) + 1;
                    if n % 100 == 0 {
                        eprintln!("{n} configs compared, {} diverged", found.load(Ordering::Relaxed));
                    }
                    if diffs.is_empty() {
                        continue;
                    }
                    found.fetch_add(1, Ordering::Relaxed);
                    let mut signature: Vec<String> = diffs.iter().map(|d| kind(d)).collect();
                    signature.sort();
                    signature.dedup();
                    let signature = signature.join("; ");
                    let first = {
                        let mut k = kinds.lock().unwrap();
                        let n = k.entry(signature.clone()).or_insert(0);
                        *n += 1;
                        *n == 1
                    };
                    if !first {
                        continue;
                    }
                    let small = minimise(files);
                    let name = format!("gen-{:016x}", r.next());
                    let dir = cases_dir().join(&name);
                    write_case(&dir, &small);
                    if let Some(rec) = record(&dir) {
                        std::fs::write(dir.join("asterisk.json"), serde_json::to_string_pretty(&rec).unwrap() + "\n").unwrap();
                    }
                    let diffs = diverges(&small).unwrap_or_default();
                    std::fs::write(dir.join("case.md"), format!("Found by the generative run; ISPBX differs:\n\n{}\n", diffs.join("\n"))).unwrap();
                    eprintln!("divergence saved as {name}:\n  {}", diffs.join("\n  "));
                }
            });
        }
    });
    eprintln!(
        "generative run: {} configs compared with Asterisk in {minutes} min; {} diverged, of {} kinds (one case saved per kind):",
        compared.load(Ordering::Relaxed),
        found.load(Ordering::Relaxed),
        kinds.lock().unwrap().len()
    );
    for (signature, n) in kinds.lock().unwrap().iter() {
        eprintln!("  {n:6}  {signature}");
    }
}
