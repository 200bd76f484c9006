//! Issue 13 on the real NYSE 10-K file (../shared/data/real/nyse-fundamentals-2012-2016.csv),
//! imported by the `finq` binary as a user would: fiscal years by the fiscal-label rule
//! (CERN's 52/53-week years stay four years), growth between the right years, the summary
//! line, and each mistake of DATA_FORMATS.md refused with exit 1, a message that says what
//! to do, and the database left exactly as it was. Skipped when ../shared is missing (a
//! failure under CI: tests/support).

mod support;

use finq::model::{Company, Series};
use finq::storage::Database;
use std::path::Path;
use std::process::{Command, Output};

/// The file, relative to the crate root (the tests run the binary from there).
const FILE: &str = "../shared/data/real/nyse-fundamentals-2012-2016.csv";

fn finq(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_finq"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("finq runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `finq import FILE` with the options that read it right, then `extra`. Its `Liabilities`
/// column is the cash-flow line "change in liabilities" (AAPL 2016: −1.867B, while its
/// `Total Liabilities` is 193.437B), so it goes to a metric of that name instead of
/// clashing with `Total Liabilities` over the catalog alias `liabilities`.
fn import_args<'a>(file: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = support::nyse_import_args(file, ["--map", "Liabilities=change_in_liabilities"]);
    args.extend(extra);
    args
}

/// Everything the database holds that an import can change: companies with their
/// attributes, the catalog (ids and units), and every series of every metric.
type Snapshot = (
    Vec<Company>,
    Vec<String>,
    Vec<(String, Vec<(String, Series)>)>,
);

fn snapshot(db: &Path) -> Snapshot {
    let db = Database::open(db).unwrap_or_else(|e| panic!("{e}"));
    let companies = db.companies().unwrap_or_else(|e| panic!("{e}"));
    let defs: Vec<String> = db
        .catalog()
        .defs()
        .iter()
        .map(|d| format!("{} {}", d.id, d.unit.name()))
        .collect();
    let series = db
        .catalog()
        .defs()
        .iter()
        .map(|d| {
            let s = db.scan_metric(&d.id).unwrap_or_else(|e| panic!("{e}"));
            (d.id.clone(), s)
        })
        .collect();
    (companies, defs, series)
}

/// One statement's result as CSV lines (header first).
fn csv(db: &Path, statement: &str) -> Vec<String> {
    let o = finq(db, &["--format", "csv", "-c", statement]);
    assert_eq!(o.status.code(), Some(0), "{statement}: {}", text(&o.stderr));
    text(&o.stdout).lines().map(str::to_string).collect()
}

/// The number in the last column of a one-row result.
fn number(db: &Path, statement: &str) -> f64 {
    let lines = csv(db, statement);
    let row = lines
        .get(1)
        .unwrap_or_else(|| panic!("{statement}: {lines:?}"));
    let cell = row.rsplit(',').next().unwrap_or("");
    cell.parse()
        .unwrap_or_else(|_| panic!("{statement}: '{cell}' in {lines:?}"))
}

/// Non-empty cells of the metric columns: every column but the row index, the symbol, the
/// period and the skipped ratios.
fn cells_read(path: &Path) -> usize {
    let mut r = csv::Reader::from_path(path).expect("the CSV opens");
    let header = r.headers().expect("a header").clone();
    let keep: Vec<bool> = header
        .iter()
        .map(|h| {
            !(h.is_empty()
                || h == "Ticker Symbol"
                || h == "Period Ending"
                || support::NYSE_RATIOS.contains(&h))
        })
        .collect();
    r.records()
        .map(|row| {
            let row = row.expect("a row");
            row.iter()
                .zip(&keep)
                .filter(|(cell, keep)| **keep && !cell.is_empty())
                .count()
        })
        .sum()
}

/// A failed import: exit 1, the message's expected parts on stderr, the "nothing stored"
/// note, and the database exactly as before.
fn refused(db: &Path, args: &[&str], expected: &[&str]) {
    let before = snapshot(db);
    let o = finq(db, args);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    for part in expected {
        assert!(err.contains(part), "{args:?}: expected {part:?} in\n{err}");
    }
    assert!(err.contains("note: nothing from"), "{err}");
    assert!(text(&o.stdout).is_empty(), "{}", text(&o.stdout));
    assert!(snapshot(db) == before, "{args:?} changed the database");
}

#[test]
fn nyse_fundamentals_import_with_fiscal_years_and_refuse_mistakes() {
    let Some(path) = support::shared_file("data/real/nyse-fundamentals-2012-2016.csv") else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("nyse.db");

    // Mistakes on an empty database store nothing, not even the companies.
    refused(
        &db,
        &import_args(FILE, &["--map", "Gross Margn=gross_margin*0.01"]),
        &[
            "has no column 'Gross Margn'",
            "did you mean 'Gross Margin'?",
        ],
    );
    assert!(snapshot(&db).0.is_empty());

    let start = std::time::Instant::now();
    let o = finq(&db, &import_args(FILE, &[]));
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    println!("{out}(finq import, process included: {seconds:.2} s)");
    let n = cells_read(&path);
    assert!(n > 100_000, "{n}");
    assert!(
        out.starts_with(&format!(
            "imported {FILE}: 448 companies (448 added, 0 updated), {n} points ({n} new, 0 unchanged, 0 overwritten), "
        )),
        "{out}"
    );
    // The statement lines it registers are money, zeros (most companies' Misc. Stocks)
    // notwithstanding; the file's `For Year` label is a plain number.
    for registered in [
        "money: change_in_liabilities, ",
        " misc_stocks,",
        "ratio: for_year)",
    ] {
        assert!(out.contains(registered), "{registered}: {out}");
    }

    // CERN's fiscal years end 2013-12-28, 2015-01-03, 2016-01-02 and 2016-12-31: by the
    // fiscal-label rule (a year ending in a month's first 7 days belongs to the month
    // before) they are 2013, 2014, 2015 and 2016, four years rather than three.
    let lines = csv(&db, "series revenue of CERN");
    let periods: Vec<&str> = lines[1..]
        .iter()
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(periods, ["2013", "2014", "2015", "2016"], "{lines:?}");
    // CERN 2016: 4,796,473,000 / 4,425,267,000 − 1 = 8.388%.
    let cern = number(&db, "select yoy(revenue) where symbol = \"CERN\" at 2016");
    assert!((cern - 0.0839).abs() < 0.0001, "{cern}");
    // AAPL 2015 (year ending 2015-09-26) against 2014 (ending 2014-09-27), not against
    // 2013: 233.715B / 182.795B − 1 = 27.856%.
    let aapl = number(&db, "select yoy(revenue) where symbol = \"AAPL\" at 2015");
    assert!((aapl - 0.2786).abs() < 0.0001, "{aapl}");
    // The skipped Gross Margin is derived from the statement items instead:
    // 93.626B / 233.715B = 40.06% (the file rounds it to 40.0, a whole-number percent).
    let gm = number(&db, "select gross_margin where symbol = \"AAPL\" at 2015");
    assert!((gm - 93_626.0 / 233_715.0).abs() < 1e-9, "{gm}");

    // The same file again changes nothing, and says so.
    let o = finq(&db, &import_args(FILE, &[]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!(
            ": 448 companies (0 added, 0 updated), {n} points (0 new, {n} unchanged, 0 overwritten), "
        )),
        "{out}"
    );

    // Each mistake of issue 13 fails with exit 1 and leaves the database as it was.
    // A misspelt column.
    refused(
        &db,
        &import_args(FILE, &["--skip", "Liabilitie"]),
        &[
            "has no column 'Liabilitie' (--skip \"Liabilitie\")",
            "did you mean 'Liabilities'?",
            "'Total Liabilities'",
        ],
    );
    refused(
        &db,
        &[
            "import",
            FILE,
            "--symbol-col",
            "Ticker",
            "--period-col",
            "Period Ending",
        ],
        &[
            "has no column 'Ticker' (--symbol-col)",
            "did you mean 'Ticker Symbol'?",
        ],
    );
    // No period: every figure would have been a text attribute.
    refused(
        &db,
        &["import", FILE, "--symbol-col", "Ticker Symbol"],
        &["has no period column", "--period-col \"Period Ending\""],
    );
    // `Liabilities` and `Total Liabilities` both name total_liabilities.
    refused(
        &db,
        &[
            "import",
            FILE,
            "--symbol-col",
            "Ticker Symbol",
            "--period-col",
            "Period Ending",
            "--period-kind",
            "fy",
        ],
        &[
            ":1:",
            "columns 'Liabilities' and 'Total Liabilities' both hold metric 'total_liabilities'",
            "--skip \"Liabilities\"",
        ],
    );
    // One period for every row: each company's rows clash (AAL's first two, lines 2 and 3).
    refused(
        &db,
        &import_args(FILE, &["--period", "2016"])
            .into_iter()
            .filter(|a| !["--period-col", "Period Ending"].contains(a))
            .collect::<Vec<_>>(),
        &[":3:", "AAL has two rows for 2016", "line 2", "line 3"],
    );
    // A unit that contradicts the catalog.
    refused(
        &db,
        &import_args(FILE, &["--map", "Total Revenue=revenue:ratio"]),
        &["gives metric 'revenue' unit ratio, but it is money in the catalog"],
    );
    // A cell that is not a number: AAPL's 2015 revenue, line 12 of a copy of the file.
    let original = std::fs::read_to_string(&path).expect("the file reads");
    let mut lines: Vec<String> = original.split("\r\n").map(str::to_string).collect();
    let at = lines
        .iter()
        .position(|l| l.contains(",AAPL,2015-09-26,"))
        .expect("AAPL 2015");
    let column = lines[at]
        .find(",2.33715e+11,")
        .expect("AAPL's 2015 revenue")
        + 2;
    lines[at] = lines[at].replacen(",2.33715e+11,", ",2.33715e+11x,", 1);
    let line = at + 1;
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\r\n")).expect("written");
    let bad = bad.to_string_lossy().into_owned();
    refused(
        &db,
        &import_args(&bad, &[]),
        &[
            &format!(
                "bad.csv:{line}:{column}: '2.33715e+11x' in column 'Total Revenue' is not a number"
            ),
            "leave the cell empty",
        ],
    );
}
