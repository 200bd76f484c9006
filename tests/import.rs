//! CSV and JSON-lines imports through a real database: a failing file stores nothing, a
//! re-import changes nothing, data survives reopening, and generated and real files import
//! with the values their CSV holds.

mod support;

use finq::error::Error;
use finq::ingest::{ColumnMap, ImportOptions, ImportReport, import_file, read_file};
use finq::model::{Company, Period, PeriodKind, Series};
use finq::storage::Database;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/real");

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

fn open(dir: &Path) -> Database {
    Database::open(dir.join("db")).unwrap_or_else(|e| panic!("{e}"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("a written fixture");
    path
}

fn import(db: &mut Database, path: &Path, opts: &ImportOptions) -> ImportReport {
    import_file(db, path, opts, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"))
}

fn map(spec: &str) -> ColumnMap {
    ColumnMap::parse(spec).unwrap_or_else(|e| panic!("{e}"))
}

/// Everything a database holds that an import can change: companies, every series of every
/// catalog metric, and the catalog's ids.
type Snapshot = (
    Vec<Company>,
    Vec<(String, Vec<(String, Series)>)>,
    Vec<String>,
);

fn snapshot(db: &Database) -> Snapshot {
    let companies = db.companies().unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<String> = db.catalog().defs().iter().map(|d| d.id.clone()).collect();
    let series = ids
        .iter()
        .map(|id| {
            (
                id.clone(),
                db.scan_metric(id).unwrap_or_else(|e| panic!("{e}")),
            )
        })
        .collect();
    (companies, series, ids)
}

fn value_at(db: &Database, metric: &str, symbol: &str, period: &str) -> Option<f64> {
    let series = db
        .series(metric, symbol)
        .unwrap_or_else(|e| panic!("{e}"))?;
    let code = Period::parse(period)?.code();
    series.points.iter().find(|p| p.0 == code).map(|p| p.1)
}

fn attr(db: &Database, symbol: &str, name: &str) -> Option<String> {
    db.company(symbol)
        .unwrap_or_else(|e| panic!("{e}"))
        .and_then(|c| c.attr(name).map(str::to_string))
}

const GOOD: &str =
    "symbol,period,roe,Custom Score\nA.US,2024Q1,0.1,1\nA.US,2024Q2,12%,2\nB.US,2024Q1,,3\n";

#[test]
fn a_failing_file_stores_nothing() {
    let dir = tempdir();
    let mut db = open(dir.path());
    import(
        &mut db,
        &write(dir.path(), "good.csv", GOOD),
        &ImportOptions::default(),
    );
    let before = snapshot(&db);

    // New companies, a new metric, an attribute and points for old companies before the
    // bad cell on line 3: none of it may be stored.
    let bad =
        "symbol,period,roe,Brand New,Name\nA.US,2025Q1,0.3,5,Alpha\nC.US,2025Q1,0.2,x1,Gamma\n";
    let e = import_file(
        &mut db,
        &write(dir.path(), "bad.csv", bad),
        &ImportOptions::default(),
        &mut |_| {},
    );
    match &e {
        Err(Error::Import {
            line: 3,
            column: 17,
            message,
            ..
        }) => {
            assert_eq!(message, "'x1' in column 'Brand New' is not a number");
        }
        other => panic!("expected an error at line 3, column 17, got {other:?}"),
    }
    assert!(e.err().is_some_and(|e| {
        e.to_string()
            .ends_with("bad.csv:3:17: 'x1' in column 'Brand New' is not a number")
    }));
    assert_eq!(snapshot(&db), before);
    assert!(db.catalog().get("brand_new").is_none());
    assert!(
        db.company("C.US")
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );

    // The same holds for JSON lines, and on an empty database.
    let fresh = tempdir();
    let mut empty = open(fresh.path());
    let jsonl = "{\"symbol\": \"A\", \"metric\": \"roe\", \"period\": \"2024\", \"value\": 1}\n{\"symbol\": \"B\", \"metric\": \"roe\", \"period\": \"2024Q9\", \"value\": 1}\n";
    let e = import_file(
        &mut empty,
        &write(fresh.path(), "bad.jsonl", jsonl),
        &ImportOptions::default(),
        &mut |_| {},
    );
    assert!(matches!(e, Err(Error::Import { line: 2, .. })), "{e:?}");
    assert!(snapshot(&empty).0.is_empty());
    assert!(snapshot(&empty).1.iter().all(|(_, s)| s.is_empty()));
}

#[test]
fn importing_the_same_file_again_changes_nothing() {
    let dir = tempdir();
    let mut db = open(dir.path());
    let companies = write(
        dir.path(),
        "companies.csv",
        "symbol,name,industry\nA.US,Alpha,Chips\nB.US,Beta,Chips\n",
    );
    let points = write(dir.path(), "points.csv", GOOD);
    let first = import(&mut db, &companies, &ImportOptions::default());
    let first_points = import(&mut db, &points, &ImportOptions::default());
    assert_eq!(first.stats.companies_added, 2);
    assert_eq!(first_points.stats.metrics_added, 1);
    assert_eq!(first_points.registered, ["custom_score"]);
    let before = snapshot(&db);
    let counts = db.metric_counts().unwrap_or_else(|e| panic!("{e}"));

    import(&mut db, &companies, &ImportOptions::default());
    let again = import(&mut db, &points, &ImportOptions::default());
    assert_eq!(again.stats.metrics_added, 0);
    assert!(again.registered.is_empty());
    assert_eq!(again.stats.companies_added, 0);
    assert_eq!(snapshot(&db), before);
    assert_eq!(db.metric_counts().unwrap_or_else(|e| panic!("{e}")), counts);
    assert_eq!(value_at(&db, "roe", "a.us", "2024Q2"), Some(0.12));
    assert_eq!(
        db.series("roe", "A.US").ok().flatten().map(|s| s.len()),
        Some(2)
    );
}

#[test]
fn closing_and_reopening_keeps_everything() {
    let dir = tempdir();
    let before = {
        let mut db = open(dir.path());
        import(
            &mut db,
            &write(dir.path(), "c.csv", "symbol,name\nA.US,Alpha\n"),
            &ImportOptions::default(),
        );
        import(
            &mut db,
            &write(dir.path(), "p.csv", GOOD),
            &ImportOptions::default(),
        );
        let jsonl = "{\"symbol\": \"D.US\", \"sector\": \"Tech\", \"points\": [{\"metric\": \"pb\", \"period\": \"2026-05-19\", \"value\": \"1.5\"}]}\n";
        import(
            &mut db,
            &write(dir.path(), "d.jsonl", jsonl),
            &ImportOptions::default(),
        );
        snapshot(&db)
    };
    let db = open(dir.path());
    assert_eq!(snapshot(&db), before);
    assert!(db.catalog().get("custom_score").is_some());
    assert_eq!(attr(&db, "D.US", "sector").as_deref(), Some("Tech"));
    assert_eq!(value_at(&db, "pb", "D.US", "2026-05-19"), Some(1.5));
    assert_eq!(value_at(&db, "custom_score", "B.US", "2024Q1"), Some(3.0));
}

/// The wide file gen.py writes, read here with nothing but `split(',')`: symbol → metric →
/// the non-empty (period, value) cells in file order.
type Expected = HashMap<String, HashMap<String, Vec<(String, f64)>>>;

fn read_generated(path: &Path) -> (Expected, usize) {
    let text = std::fs::read_to_string(path).expect("metrics.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let mut out: Expected = HashMap::new();
    let mut cells = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let (symbol, period) = (f[0], f[1]);
        for (name, cell) in header.iter().zip(&f).skip(2) {
            if cell.is_empty() {
                continue;
            }
            cells += 1;
            let v: f64 = cell.parse().expect("a number");
            out.entry(symbol.to_string())
                .or_default()
                .entry(name.to_string())
                .or_default()
                .push((period.to_string(), v));
        }
    }
    (out, cells)
}

#[test]
fn generated_dataset_imports_with_the_values_of_its_csv() {
    let Some(generator) = support::shared_file("bench/gen.py") else {
        return;
    };
    let dir = tempdir();
    let out = dir.path().join("g1k");
    let status = Command::new("python3")
        .arg(&generator)
        .arg("1000")
        .arg(&out)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        support::skip(&format!("python3 {} did not run", generator.display()));
        return;
    }
    let mut db = open(dir.path());
    let companies = import(
        &mut db,
        &out.join("companies.csv"),
        &ImportOptions::default(),
    );
    let metrics = import(&mut db, &out.join("metrics.csv"), &ImportOptions::default());
    let (expected, cells) = read_generated(&out.join("metrics.csv"));
    assert_eq!(companies.stats.companies_added, 1000);
    assert_eq!(metrics.stats.companies_added, 0);
    assert_eq!(metrics.stats.points, cells);
    assert!(metrics.registered.is_empty(), "{:?}", metrics.registered);
    assert_eq!(db.companies().map(|c| c.len()).ok(), Some(1000));

    assert_all_points(&db, &expected);
    assert_eq!(
        attr(&db, "C000123.HK", "name").as_deref(),
        Some("Company 123")
    );
    // The same file with other roe values, imported over it: stored chunks are merged with
    // the new ones, and every other metric stays as it was.
    let text = std::fs::read_to_string(out.join("metrics.csv")).expect("metrics.csv");
    let changed: String = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
            if i > 0 {
                f[2] = format!("{}.25", i % 1000);
            }
            f.join(",") + "\n"
        })
        .collect();
    std::fs::write(out.join("metrics2.csv"), changed).expect("metrics2.csv");
    let again = import(
        &mut db,
        &out.join("metrics2.csv"),
        &ImportOptions::default(),
    );
    let (expected2, _) = read_generated(&out.join("metrics2.csv"));
    assert_eq!(again.stats.companies_added, 0);
    assert_all_points(&db, &expected2);
    let counts = db.metric_counts().expect("counts");
    assert_eq!(
        counts["roe"].1,
        expected2.values().map(|m| m["roe"].len()).sum::<usize>()
    );
    assert_eq!(
        attr(&db, "C000123.HK", "name").as_deref(),
        Some("Company 123")
    );
    assert_eq!(attr(&db, "C000123.HK", "exchange").as_deref(), Some("HK"));
}

/// Every series of every company holds exactly the points the CSV gives it.
fn assert_all_points(db: &Database, expected: &Expected) {
    for (symbol, metrics) in expected {
        assert_eq!(metrics.len(), 24, "{symbol}");
        for (metric, points) in metrics {
            let series = db
                .series(metric, symbol)
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("{symbol} {metric}"));
            let got: Vec<(String, f64)> = series
                .points
                .iter()
                .map(|&(c, v)| {
                    (
                        finq::model::Period::from_code(c)
                            .expect("a period")
                            .to_string(),
                        v,
                    )
                })
                .collect();
            assert_eq!(&got, points, "{symbol} {metric}");
        }
    }
}

/// The cell of `column` in the last row of a real CSV where `pick` holds.
fn csv_cell(
    path: &Path,
    column: &str,
    pick: impl Fn(&csv::StringRecord, &csv::StringRecord) -> bool,
) -> Option<String> {
    let mut rdr = csv::Reader::from_path(path).ok()?;
    let header = rdr.headers().ok()?.clone();
    let col = header.iter().position(|h| h == column)?;
    let mut found = None;
    for row in rdr.records() {
        let row = row.ok()?;
        if pick(&header, &row) {
            found = row.get(col).map(str::to_string);
        }
    }
    found
}

fn get<'a>(header: &csv::StringRecord, row: &'a csv::StringRecord, column: &str) -> &'a str {
    header
        .iter()
        .position(|h| h == column)
        .and_then(|i| row.get(i))
        .unwrap_or("")
}

#[test]
fn real_files_import() {
    if support::shared_file("data/real").is_none() {
        return;
    }
    let real = Path::new(REAL);
    let dir = tempdir();
    let mut db = open(dir.path());
    let report = |name: &str, r: &ImportReport| {
        println!(
            "{name}: {} companies ({} new), {} points, registered {:?}",
            r.stats.companies, r.stats.companies_added, r.stats.points, r.registered
        );
    };

    let financials = ImportOptions {
        symbol_col: Some("Symbol".into()),
        period: Period::parse("2026-08-22"),
        maps: vec![map("Price/Earnings=pe_ttm"), map("Sector=industry")],
        ..ImportOptions::default()
    };
    let r = import(
        &mut db,
        &real.join("sp500-constituents-financials.csv"),
        &financials,
    );
    report("sp500-constituents-financials", &r);
    assert_eq!(r.stats.companies_added, 503);
    // The file holds -78.880615 (shown rounded as -78.88 elsewhere).
    assert_eq!(value_at(&db, "pb", "ABBV", "2026-08-22"), Some(-78.880615));
    assert_eq!(
        value_at(&db, "pe_ttm", "MMM", "2026-08-22"),
        Some(31.786858)
    );
    assert_eq!(
        value_at(&db, "dividend_yield", "MMM", "2026-08-22"),
        Some(0.0175)
    );
    assert_eq!(
        value_at(&db, "ebitda", "MMM", "2026-08-22"),
        Some(6_488_000_000.0)
    );
    assert_eq!(
        attr(&db, "AOS", "industry").as_deref(),
        Some("Building Products")
    );
    assert_eq!(attr(&db, "AOS", "name").as_deref(), Some("A. O. Smith"));
    assert!(attr(&db, "AOS", "sec_filings").is_some_and(|u| u.starts_with("http://www.sec.gov/")));

    let gics = ImportOptions {
        maps: vec![
            map("GICS Sector=sector"),
            map("GICS Sub-Industry=industry"),
            map("Security=name"),
        ],
        ..ImportOptions::default()
    };
    let r = import(&mut db, &real.join("sp500-constituents-gics.csv"), &gics);
    report("sp500-constituents-gics", &r);
    assert_eq!(r.stats.companies, 503);
    assert_eq!(r.stats.points, 0);
    assert_eq!(
        attr(&db, "MMM", "industry").as_deref(),
        Some("Industrial Conglomerates")
    );
    assert_eq!(attr(&db, "MMM", "sector").as_deref(), Some("Industrials"));
    assert_eq!(attr(&db, "MMM", "name").as_deref(), Some("3M"));
    assert_eq!(
        attr(&db, "MMM", "headquarters_location").as_deref(),
        Some("Saint Paul, Minnesota")
    );
    let industrials = db.sector_members("Industrials").unwrap_or_default();
    assert_eq!(industrials.len(), 83);

    let securities = ImportOptions {
        symbol_col: Some("Ticker symbol".into()),
        maps: vec![
            map("Security=name"),
            map("GICS Sector=sector"),
            map("GICS Sub Industry=industry"),
        ],
        ..ImportOptions::default()
    };
    let r = import(&mut db, &real.join("nyse-securities.csv"), &securities);
    report("nyse-securities", &r);
    assert_eq!(r.stats.companies, 505);
    assert_eq!(
        attr(&db, "ABT", "name").as_deref(),
        Some("Abbott Laboratories")
    );
    assert_eq!(attr(&db, "ABT", "cik").as_deref(), Some("0000001800"));

    let fundamentals = ImportOptions {
        symbol_col: Some("Ticker Symbol".into()),
        period_col: Some("Period Ending".into()),
        period_kind: Some(PeriodKind::Year),
        maps: vec![
            map("Gross Margin=gross_margin*0.01"),
            map("Profit Margin=profit_margin*0.01"),
            map("After Tax ROE=roe*0.01"),
            // The file's `Liabilities` is a cash-flow line (the change in liabilities), not
            // the balance `Total Liabilities` holds.
            map("Liabilities=change_in_liabilities"),
        ],
        ..ImportOptions::default()
    };
    let path = real.join("nyse-fundamentals-2012-2016.csv");
    let r = import(&mut db, &path, &fundamentals);
    report("nyse-fundamentals-2012-2016", &r);
    // Every ticker already exists (file 4), so the file adds points only.
    assert_eq!(r.stats.companies_added, 0);
    assert_eq!(
        db.scan_metric("net_income").map(|s| s.len()).ok(),
        Some(448)
    );
    let aapl_2015 = |h: &csv::StringRecord, row: &csv::StringRecord| {
        get(h, row, "Ticker Symbol") == "AAPL" && get(h, row, "Period Ending").starts_with("2015-")
    };
    let cell = |column: &str| -> f64 {
        csv_cell(&path, column, aapl_2015)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("AAPL 2015 {column} in the CSV"))
    };
    assert_eq!(
        value_at(&db, "net_income", "AAPL", "2015"),
        Some(cell("Net Income"))
    );
    assert_eq!(
        value_at(&db, "total_assets", "AAPL", "2015"),
        Some(cell("Total Assets"))
    );
    assert_eq!(
        value_at(&db, "operating_cash_flow", "AAPL", "2015"),
        Some(cell("Net Cash Flow-Operating"))
    );
    assert_eq!(
        value_at(&db, "gross_margin", "AAPL", "2015"),
        Some(cell("Gross Margin") / 100.0)
    );
    assert_eq!(
        value_at(&db, "roe", "AAPL", "2015"),
        Some(cell("After Tax ROE") / 100.0)
    );
    assert_eq!(
        value_at(&db, "for_year", "AAPL", "2015"),
        Some(cell("For Year"))
    );
    assert_eq!(
        db.series("net_income", "AAPL")
            .ok()
            .flatten()
            .map(|s| s.len()),
        Some(4)
    );
    // File 2 set MMM's sub-industry; the fundamentals file brings no attributes.
    assert_eq!(
        attr(&db, "MMM", "industry").as_deref(),
        Some("Industrial Conglomerates")
    );
}

/// Reading time of a large wide file: `cargo test --release --test import -- --ignored
/// --nocapture` after `finq gen --companies 10000 --out /tmp/g10k` (or set FINQ_BENCH_CSV to
/// another wide file).
#[test]
#[ignore]
fn time_reading_a_large_wide_file() {
    let path = std::env::var("FINQ_BENCH_CSV").unwrap_or_else(|_| "/tmp/g10k/metrics.csv".into());
    let path = Path::new(&path);
    if !path.exists() {
        println!("skipped: {} is not here", path.display());
        return;
    }
    let catalog = finq::model::Catalog::builtin();
    for _ in 0..3 {
        let start = std::time::Instant::now();
        let set = read_file(
            path,
            &ImportOptions::default(),
            &catalog,
            &mut |_| {},
            &mut Vec::new(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "read {}: {} companies, {} points in {seconds:.3} s ({:.1} M points/s, file read included)",
            path.display(),
            set.symbols().len(),
            set.point_count(),
            set.point_count() as f64 / seconds / 1e6
        );
    }
}
