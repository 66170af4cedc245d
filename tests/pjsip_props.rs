//! Property tests: the engine never panics, never hangs, and loses no byte,
//! on arbitrary input and on mutations of the real fixture config.

mod common;

use ispbx::pjsip::fs::MemFs;
use ispbx::pjsip::{report, PjsipConfig};
use proptest::prelude::*;
use std::path::Path;

const ROOT: &str = "/etc/asterisk/pjsip.conf";

fn load(bytes: Vec<u8>) -> PjsipConfig {
    PjsipConfig::load_with(&MemFs::new().with(ROOT, bytes), Path::new(ROOT))
}

/// Loads, resolves and renders; checks the root file comes back byte for byte.
fn exercise(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let cfg = load(bytes.clone());
    let _ = serde_json::to_string(&report::resolve(&cfg)).unwrap();
    let _ = report::check_lines(&cfg);
    for o in &cfg.objects {
        let _ = o.effective();
    }
    prop_assert_eq!(&cfg.main.document.files[0].to_bytes(), &bytes);
    Ok(())
}

/// Config-shaped noise: the tokens the parser cares about, in any order.
fn config_like() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"[".to_vec()), Just(b"]".to_vec()), Just(b"(".to_vec()), Just(b")".to_vec()),
        Just(b"(!)".to_vec()), Just(b"(+)".to_vec()), Just(b"=".to_vec()), Just(b"=>".to_vec()),
        Just(b"+=".to_vec()), Just(b";".to_vec()), Just(b";--".to_vec()), Just(b"--;".to_vec()),
        Just(b"\\".to_vec()), Just(b"\n".to_vec()), Just(b"\r\n".to_vec()), Just(b"\r".to_vec()),
        Just(b"#include pjsip.conf\n".to_vec()), Just(b"#tryinclude x*.conf\n".to_vec()),
        Just(b"#exec x\n".to_vec()), Just(b"type=endpoint\n".to_vec()), Just(b"type=aor\n".to_vec()),
        Just(b"type=wizard\n".to_vec()), Just(b"password=s\n".to_vec()), Just(b"allow=ulaw\n".to_vec()),
        Just(b",".to_vec()), Just(b" ".to_vec()), Just(b"\t".to_vec()), Just(b"\xEF\xBB\xBF".to_vec()),
        Just(vec![0u8]), "[a-zA-Z0-9_]{1,8}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(token, 0..200).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        exercise(bytes)?;
    }

    #[test]
    fn config_shaped_noise_never_panics(bytes in config_like()) {
        exercise(bytes)?;
    }

    #[test]
    fn mutated_fixture_never_panics(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>(), 0usize..64), 1..12)
    ) {
        let mut bytes = std::fs::read(common::fixtures().join("pjsip/pjsip.conf")).unwrap();
        for (at, op, byte, len) in edits {
            let i = at.index(bytes.len().max(1)).min(bytes.len());
            match op {
                0 => bytes.insert(i, byte),
                1 => { let end = (i + len).min(bytes.len()); bytes.drain(i..end); }
                2 => if i < bytes.len() { bytes[i] = byte },
                _ => { // duplicate a run of bytes, as a copy-paste would
                    let end = (i + len).min(bytes.len());
                    let run = bytes[i..end].to_vec();
                    bytes.splice(i..i, run);
                }
            }
        }
        exercise(bytes)?;
    }

    #[test]
    fn generated_configs_round_trip_and_load(n in 1usize..40, crlf in any::<bool>()) {
        let mut text = ispbx::pjsip::generate::extensions(n);
        if crlf { text = text.replace('\n', "\r\n"); }
        let cfg = load(text.clone().into_bytes());
        prop_assert!(report::is_clean(&cfg), "{}", report::check_lines(&cfg));
        prop_assert_eq!(cfg.objects_of("endpoint").count(), n);
        prop_assert_eq!(cfg.main.document.files[0].to_bytes(), text.into_bytes());
    }
}
