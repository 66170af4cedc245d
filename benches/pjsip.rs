//! Parse and resolve a generated 5,000-extension pjsip.conf (~15,000 sections
//! from three templates). Asterisk 22 needs ~0.55 s to reload the same.
//!
//! cargo bench --features ssr --bench pjsip

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ispbx::pjsip::fs::MemFs;
use ispbx::pjsip::{generate, PjsipConfig};
use std::hint::black_box;
use std::path::Path;

// The server binary's allocator, so the figure is the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn parse_and_resolve(c: &mut Criterion) {
    const ROOT: &str = "/etc/asterisk/pjsip.conf";
    let text = generate::extensions(5000);
    let fs = MemFs::new().with(ROOT, text.clone().into_bytes());
    let cfg = PjsipConfig::load_with(&fs, Path::new(ROOT));
    assert_eq!(cfg.objects_of("endpoint").count(), 5000);
    assert!(cfg.error().is_none());

    let mut g = c.benchmark_group("pjsip");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(30);
    // What a reload costs: parse, templates, includes and the objects Asterisk
    // would build. Freeing the previous generation happens later, off the
    // request path, so it is measured on its own below.
    g.bench_function("parse+resolve 5000 extensions", |b| {
        b.iter_with_large_drop(|| PjsipConfig::load_with(&fs, Path::new(ROOT)))
    });
    g.bench_function("parse+resolve+drop 5000 extensions", |b| {
        b.iter(|| black_box(PjsipConfig::load_with(&fs, Path::new(ROOT)).objects.len()))
    });
    // The same, plus every object's effective values (what `/config` serves).
    g.bench_function("parse+resolve+effective 5000 extensions", |b| {
        b.iter(|| {
            let cfg = PjsipConfig::load_with(&fs, Path::new(ROOT));
            let n: usize = cfg.objects.iter().map(|o| o.effective().len()).sum();
            black_box(n)
        })
    });
    g.bench_function("parse only 5000 extensions", |b| {
        b.iter(|| black_box(ispbx::pjsip::parser::load_with(&fs, Path::new(ROOT)).categories.len()))
    });
    g.finish();
}

criterion_group!(benches, parse_and_resolve);
criterion_main!(benches);
