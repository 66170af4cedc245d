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
    let parsed = std::sync::Arc::new(ispbx::pjsip::parser::load_with(&fs, Path::new(ROOT)));
    g.bench_function("objects only 5000 extensions", |b| {
        b.iter_with_large_drop(|| ispbx::pjsip::objects::load_objects(&parsed))
    });
    g.bench_function("parse only 5000 extensions", |b| {
        b.iter_with_large_drop(|| ispbx::pjsip::parser::load_with(&fs, Path::new(ROOT)))
    });
    g.finish();
}

/// One edit on the 5,000-extension config as `ispbx pjsip set` makes it:
/// plan it, read the edited files back as Asterisk would and check every
/// object, and print the diff. With and without the first parse.
fn one_edit(c: &mut Criterion) {
    use ispbx::pjsip::edit::{edit, unified, Change, Target};
    const ROOT: &str = "/etc/asterisk/pjsip.conf";
    let fs = MemFs::new().with(ROOT, generate::extensions(5000).into_bytes());
    let cfg = PjsipConfig::load_with(&fs, Path::new(ROOT));
    let change = [Change::Set { target: Target::new("12500", Some("endpoint")), key: "context".into(), value: "vip".into() }];
    assert!(edit(&cfg, &change).is_ok());

    let mut g = c.benchmark_group("pjsip edit");
    g.sample_size(30);
    g.bench_function("edit+validate+diff 5000 extensions", |b| {
        b.iter_with_large_drop(|| {
            let e = edit(&cfg, &change).expect("the edit");
            (unified(&e.files), e)
        })
    });
    let e = edit(&cfg, &change).expect("the edit");
    g.bench_function("phase: diff", |b| b.iter(|| black_box(unified(&e.files).len())));
    g.bench_function("edit+validate+diff 5000 extensions, reading the whole config back", |b| {
        b.iter_with_large_drop(|| {
            let e = ispbx::pjsip::edit::edit_with(&cfg, &change, ispbx::pjsip::edit::Reread::Whole).expect("the edit");
            (unified(&e.files), e)
        })
    });
    g.bench_function("parse+edit+validate+diff 5000 extensions", |b| {
        b.iter_with_large_drop(|| {
            let cfg = PjsipConfig::load_with(&fs, Path::new(ROOT));
            let e = edit(&cfg, &change).expect("the edit");
            (unified(&e.files), e, cfg)
        })
    });
    g.finish();
}

criterion_group!(benches, parse_and_resolve, one_edit);
criterion_main!(benches);
