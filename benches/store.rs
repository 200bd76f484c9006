//! Store benchmarks on a generated dataset (built once, outside the timed loops): importing
//! a file, reading one company's metrics, scanning one metric across all companies, parsing.

use criterion::{Criterion, criterion_group, criterion_main};
use finq::r#gen::{GenOptions, generate};
use finq::ingest::{ImportOptions, import_file};
use finq::storage::Database;
use std::hint::black_box;

const COMPANIES: usize = 2_000;

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    generate(&GenOptions {
        companies: COMPANIES,
        out: data.clone(),
        ..GenOptions::default()
    })
    .expect("generate");
    let opts = ImportOptions::default();

    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    g.bench_function("metrics.csv 2k companies", |b| {
        b.iter_with_setup(
            || {
                let d = tempfile::tempdir().expect("temp dir");
                let db = Database::open(d.path().join("db")).expect("open");
                (d, db)
            },
            |(_d, mut db)| {
                import_file(&mut db, &data.join("metrics.csv"), &opts, &mut |_| {}).expect("import")
            },
        )
    });
    g.finish();

    let mut db = Database::open(dir.path().join("db")).expect("open");
    for f in ["companies.csv", "metrics.csv"] {
        import_file(&mut db, &data.join(f), &opts, &mut |_| {}).expect("import");
    }
    c.bench_function("read one company's metrics", |b| {
        b.iter(|| black_box(db.company_series("C000123.HK").expect("read")))
    });
    c.bench_function("scan roe across all companies", |b| {
        b.iter(|| black_box(db.scan_metric("roe").expect("scan")))
    });
    c.bench_function("parse describe + show", |b| {
        b.iter(|| {
            black_box(
                finq::query::parse_script("describe C000123.HK; show industries").expect("parse"),
            )
        })
    });
}

criterion_group!(store, benches);
criterion_main!(store);
