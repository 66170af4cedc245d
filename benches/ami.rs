//! Decode a 5,000-endpoint PJSIPShowEndpoints answer into typed EndpointList
//! events. The bytes come from the simulator, whose messages are shaped like
//! the recordings in tests/fixtures/ami; Asterisk 22 needs ~160 ms to
//! produce the same list.
//!
//! cargo bench --features ssr --bench ami

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ispbx::ami::codec::{AmiCodec, Frame};
use ispbx::ami::types::EndpointList;
use ispbx::ami::Message;
use ispbx::pjsip::fs::MemFs;
use ispbx::pjsip::{generate, PjsipConfig};
use ispbx::simulator::Simulator;
use std::path::Path;
use tokio_util::codec::Decoder;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ENDPOINTS: usize = 5000;

fn answer_bytes() -> Vec<u8> {
    const ROOT: &str = "/etc/asterisk/pjsip.conf";
    let fs = MemFs::new().with(ROOT, generate::extensions(ENDPOINTS).into_bytes());
    let sim = Simulator::from_config(&PjsipConfig::load_with(&fs, Path::new(ROOT)), vec![]);
    sim.populate_demo();
    let req = Message::new(vec![("Action".into(), "PJSIPShowEndpoints".into()), ("ActionID".into(), "ispbx-7".into())]);
    sim.respond(&req).iter().flat_map(Message::to_bytes).collect()
}

/// Feeds `bytes` in `chunk`-sized reads, as a socket would, and keeps the typed events.
fn decode(bytes: &[u8], chunk: usize) -> Vec<EndpointList> {
    let mut codec = AmiCodec::default_after_banner();
    let mut buf = BytesMut::with_capacity(chunk * 2);
    let mut out = Vec::with_capacity(ENDPOINTS);
    for piece in bytes.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(frame) = codec.decode(&mut buf).expect("valid AMI") {
            if let Frame::Message(m) = frame {
                if m.event() == Some("EndpointList") {
                    out.push(EndpointList::from_message(&m));
                }
            }
        }
    }
    out
}

fn decode_endpoint_list(c: &mut Criterion) {
    let bytes = answer_bytes();
    let typed = decode(&bytes, bytes.len());
    assert_eq!(typed.len(), ENDPOINTS);
    assert!(typed.iter().filter(|e| !e.contacts.is_empty()).count() > ENDPOINTS / 2);
    eprintln!("PJSIPShowEndpoints answer: {} bytes, {} endpoints", bytes.len(), typed.len());

    let mut g = c.benchmark_group("ami");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(50);
    // 16 KiB is what FramedRead asks the socket for at a time (grows as needed).
    g.bench_function("decode PJSIPShowEndpoints 5000 (16 KiB reads)", |b| b.iter_with_large_drop(|| decode(&bytes, 16 * 1024)));
    g.bench_function("decode PJSIPShowEndpoints 5000 (one buffer)", |b| b.iter_with_large_drop(|| decode(&bytes, bytes.len())));
    g.finish();
}

criterion_group!(benches, decode_endpoint_list);
criterion_main!(benches);
