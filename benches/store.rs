//! BENCHMARKS.md in-process: import and q1–q9 on a generated S dataset, parse apart from execute.
//!
//! The dataset (`finq gen`, 10,000 companies × 40 quarters unless `FINQ_BENCH_COMPANIES`
//! says otherwise) is generated and imported once, outside every timed loop. Groups:
//!
//! - `import`: `companies.csv` then `metrics.csv` into an empty database (what
//!   `finq import` does, without process start and exit).
//! - `open`: opening the imported database, and opening it and running q1 with an empty
//!   cache (the in-process part of `finq -c "q1"`).
//! - `parse/qN`: `query::parse_script` of the statement alone.
//! - `plan/qN`: `Session::plan` of a pre-parsed statement (binding and planning, nothing
//!   read beyond the cached company list).
//! - `plan_execute/qN`: a pre-parsed statement through `Session::execute_prepared` with a
//!   warm cache.
//! - `parse_plan_execute/qN`: `Session::execute` of the text with a warm cache, i.e. what
//!   `finq --timings run` reports for repetitions 2–11. Minus `parse/qN` it is plan+execute.
//! - `plan_execute_cold_cache/qN`: the pre-parsed statement with the session cache cleared
//!   first, so columns (and scores) are read from storage as by a fresh process.
//! - `plan_execute_after_write/qN`: the pre-parsed statement right after a durable `set` of
//!   one point of a metric it reads (of C000123.HK; the write is not timed): the uncached
//!   figure of `scripts/bench_compare.py`. Each iteration costs a write (about 10 ms) that
//!   criterion does not see, so the group sizes its own runs from one timed query.
//! - `statements_cold_cache/q6…q9`: the scoring queries on a `finq gen --statements`
//!   dataset of the same size (statement items, no indicators), the cache cleared first,
//!   so every indicator is derived from the items again (DERIVATIONS.md).
//!
//! `cargo bench --bench store -- '^plan_execute/'` runs one group; `FINQ_BENCH_COMPANIES=1000
//! cargo bench` a quick pass on a small dataset.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};
use finq::Session;
use finq::r#gen::{GenOptions, generate};
use finq::ingest::{ImportOptions, import_file};
use finq::query::parse_script;
use finq::session::Prepared;
use finq::storage::Database;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// The S profile of BENCHMARKS.md.
const DEFAULT_COMPANIES: usize = 10_000;

/// q1–q9 of BENCHMARKS.md, named as in `shared/bench/ref.py`.
const QUERIES: [(&str, &str); 9] = [
    (
        "q1_rank_industry",
        r#"select roe where industry = "Industry 007" rank"#,
    ),
    (
        "q2_screen",
        "select pe_ttm, roe, market_cap where pe_ttm between 0 and 15 and roe > 15% and \
         market_cap > 1B rank by roe limit 50",
    ),
    (
        "q3_group",
        "select count(), median(roe), avg(pe_ttm) by industry",
    ),
    ("q4_series", "series revenue, roe of C000123.HK"),
    (
        "q5_window",
        r#"select cagr(revenue, 5), mavg(roe, 4) where sector = "Sector 03" rank by cagr(revenue, 5) limit 20"#,
    ),
    ("q6_score_one", "score C000123.HK"),
    (
        "q7_score_industry",
        r#"select score, score_grade, industry_rank where industry = "Industry 007" rank by score"#,
    ),
    ("q8_score_all", "select score rank limit 100"),
    (
        "q9_fscore",
        "select fscore where fscore >= 8 rank by fscore limit 100",
    ),
];

fn companies() -> usize {
    std::env::var("FINQ_BENCH_COMPANIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_COMPANIES)
}

/// Imports both CSV files of `data` into `db`, as `finq import` would.
fn import_all(db: &mut Database, data: &Path) {
    for f in ["companies.csv", "metrics.csv"] {
        import_file(db, &data.join(f), &ImportOptions::default(), &mut |_| {}).expect("import");
    }
}

/// The one statement of `text`, parsed.
fn parse_one(text: &str) -> Prepared {
    let prepared = Session::prepare(text).expect("parse");
    assert_eq!(prepared.len(), 1, "one statement: {text}");
    prepared
}

/// Settings for groups whose iterations take a large part of a second.
fn slow(g: &mut BenchmarkGroup<WallTime>, samples: usize) {
    g.sample_size(samples)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
}

/// Settings for groups of warm queries (up to a few milliseconds an iteration).
fn warm(g: &mut BenchmarkGroup<WallTime>) {
    g.sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
}

fn bench_import(c: &mut Criterion, data: &Path) {
    let mut g = c.benchmark_group("import");
    slow(&mut g, 10);
    // About 2 s an import on S: ten samples of one.
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("companies+metrics", |b| {
        b.iter_batched(
            || {
                let d = tempfile::tempdir().expect("temp dir");
                let db = Database::open(d.path().join("db")).expect("open");
                (d, db)
            },
            // Returned, so that removing the database happens outside the timing.
            |(d, mut db)| {
                import_all(&mut db, data);
                (d, db)
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn bench_open(c: &mut Criterion, db_path: &Path) {
    let q1 = parse_one(QUERIES[0].1);
    let mut g = c.benchmark_group("open");
    slow(&mut g, 10);
    // Sessions are dropped outside the timing (a process exit would not wait for it either).
    g.bench_function("open", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                let session = Session::open(db_path).expect("open");
                total += t.elapsed();
                drop(black_box(session));
            }
            total
        })
    });
    g.bench_function("open+q1", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                let mut s = Session::open(db_path).expect("open");
                let out = run(&mut s, &q1);
                total += t.elapsed();
                drop(black_box((out, s)));
            }
            total
        })
    });
    g.finish();
}

/// Plan and execute one pre-parsed statement in the session.
fn run(session: &mut Session, statement: &Prepared) -> Vec<finq::output::Output> {
    session.execute_prepared(statement).expect("execute")
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1));
    for (name, text) in QUERIES {
        g.bench_function(name, |b| b.iter(|| parse_script(black_box(text))));
    }
    g.finish();
}

fn bench_warm(c: &mut Criterion, session: &mut Session, parsed: &[Prepared]) {
    let mut g = c.benchmark_group("plan");
    warm(&mut g);
    for ((name, _), statement) in QUERIES.iter().zip(parsed) {
        g.bench_function(*name, |b| b.iter(|| session.plan(statement).expect("plan")));
    }
    g.finish();

    let mut g = c.benchmark_group("plan_execute");
    warm(&mut g);
    for ((name, _), statement) in QUERIES.iter().zip(parsed) {
        g.bench_function(*name, |b| b.iter(|| run(session, statement)));
    }
    g.finish();

    let mut g = c.benchmark_group("parse_plan_execute");
    warm(&mut g);
    for (name, text) in QUERIES {
        g.bench_function(name, |b| {
            b.iter(|| session.execute(black_box(text)).expect("execute"))
        });
    }
    g.finish();
}

/// `iters` runs of `statement`, each on an empty session cache (the clearing not timed).
fn cold_cache_runs(session: &mut Session, statement: &Prepared, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        session.clear_cache();
        let t = Instant::now();
        let out = run(session, statement);
        total += t.elapsed();
        drop(black_box(out));
    }
    total
}

fn bench_cold_cache(c: &mut Criterion, session: &mut Session, parsed: &[Prepared]) {
    let mut g = c.benchmark_group("plan_execute_cold_cache");
    slow(&mut g, 10);
    for ((name, _), statement) in QUERIES.iter().zip(parsed) {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| cold_cache_runs(session, statement, iters))
        });
    }
    g.finish();
}

/// The metric each query reads that `plan_execute_after_write` writes before it.
const WRITTEN: [&str; 9] = [
    "roe",
    "roe",
    "roe",
    "revenue",
    "revenue",
    "roe",
    "roe",
    "roe",
    "net_income",
];

fn bench_after_write(c: &mut Criterion, session: &mut Session, parsed: &[Prepared]) {
    let mut g = c.benchmark_group("plan_execute_after_write");
    let mut n = 0u64;
    let mut write = |session: &mut Session, metric: &str| {
        n += 1;
        let value = 1.0 + (n % 1000) as f64 / 1000.0;
        let set = format!("set C000123.HK {metric} at 2025Q4 = {value}");
        session.execute(&set).expect("set");
    };
    for (((name, _), statement), metric) in QUERIES.iter().zip(parsed).zip(WRITTEN) {
        // Criterion picks iteration counts from the timed part alone; sized from one
        // query after a write, about 60 writes are made per query whatever it costs.
        write(session, metric);
        let t = Instant::now();
        drop(black_box(run(session, statement)));
        let once = t.elapsed().max(Duration::from_micros(20));
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(once * 5)
            .measurement_time(once * 50);
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    write(session, metric);
                    let t = Instant::now();
                    let out = run(session, statement);
                    total += t.elapsed();
                    drop(black_box(out));
                }
                total
            })
        });
    }
    g.finish();
}

/// q6–q9 on the statements profile (`finq gen --statements`: statement items and prices,
/// no indicators), each with the session cache cleared first: every indicator and F-score
/// input is derived again from the items (DERIVATIONS.md), as after a write that touches
/// everything.
fn bench_statements(c: &mut Criterion, dir: &Path, n: usize) {
    let data = dir.join("statements");
    generate(&GenOptions {
        companies: n,
        out: data.clone(),
        statements: true,
        ..GenOptions::default()
    })
    .expect("generate statements");
    let db_path = dir.join("statements.db");
    import_all(&mut Database::open(&db_path).expect("open"), &data);
    let mut session = Session::open(&db_path).expect("open");
    let mut g = c.benchmark_group("statements_cold_cache");
    slow(&mut g, 10);
    for (name, text) in QUERIES.iter().filter(|(name, _)| {
        ["q6", "q7", "q8", "q9"]
            .iter()
            .any(|q| name.starts_with(&format!("{q}_")))
    }) {
        let statement = parse_one(text);
        let rows: usize = run(&mut session, &statement).iter().map(|o| o.rows()).sum();
        assert!(
            rows > 0,
            "{name} returned no rows on the statements profile"
        );
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| cold_cache_runs(&mut session, &statement, iters))
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let n = companies();
    let t = Instant::now();
    generate(&GenOptions {
        companies: n,
        out: data.clone(),
        ..GenOptions::default()
    })
    .expect("generate");
    let db_path = dir.path().join("db");
    import_all(&mut Database::open(&db_path).expect("open"), &data);
    eprintln!(
        "dataset: {n} companies generated and imported in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    bench_import(c, &data);
    bench_open(c, &db_path);
    bench_parse(c);

    let mut session = Session::open(&db_path).expect("open");
    let parsed: Vec<Prepared> = QUERIES.iter().map(|(_, q)| parse_one(q)).collect();
    for ((name, _), statement) in QUERIES.iter().zip(&parsed) {
        let rows: usize = run(&mut session, statement).iter().map(|o| o.rows()).sum();
        assert!(rows > 0, "{name} returned no rows");
    }
    bench_warm(c, &mut session, &parsed);
    bench_cold_cache(c, &mut session, &parsed);
    bench_after_write(c, &mut session, &parsed);
    drop(session);
    bench_statements(c, dir.path(), n);
}

criterion_group! {
    name = store;
    config = Criterion::default().without_plots();
    targets = benches
}
criterion_main!(store);
