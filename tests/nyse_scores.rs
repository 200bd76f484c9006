//! Scorecards from real statements (issue 14): the NYSE fundamentals 2012–2016 and their
//! securities list, imported with the README's two commands (no `--map` for a statement
//! item), give every company the scorecard that an independent computation gives:
//! scripts/nyse_scores.py reads the CSV files itself, derives the eleven indicators by
//! DERIVATIONS.md's formulas and scores them with ../shared/bench/pyscore.py (SCORING.md's
//! reference). Skipped when the files or python3 are missing (a failure under CI).

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The scorecard's indicator ids (SCORING.md).
fn indicators() -> Vec<&'static str> {
    finq::analysis::score::INDICATORS
        .iter()
        .map(|(id, _, _)| *id)
        .collect()
}

fn finq(dir: &Path, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_finq"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("finq runs");
    assert!(
        o.status.success(),
        "finq {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

fn close(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
        _ => a.is_null() && b.is_null(),
    }
}

#[test]
fn every_scorecard_equals_an_independent_computation() {
    let (Some(securities), Some(fundamentals)) = (
        support::shared_file("data/real/nyse-securities.csv"),
        support::shared_file("data/real/nyse-fundamentals-2012-2016.csv"),
    ) else {
        return;
    };
    if !support::python_with(&["csv"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (securities, fundamentals) = (
        securities.to_string_lossy().to_string(),
        fundamentals.to_string_lossy().to_string(),
    );
    finq(
        dir.path(),
        &[
            "--db",
            "nyse.db",
            "import",
            &securities,
            "--companies",
            "--symbol-col",
            "Ticker symbol",
            "--map",
            "Security=name",
            "--map",
            "GICS Sector=sector",
            "--map",
            "GICS Sub Industry=industry",
        ],
    );
    // The README's command: the file's ratio columns and its cash-flow `Liabilities` line
    // left out, so that finq derives the indicators.
    let mut args = vec!["--db", "nyse.db"];
    args.extend(support::nyse_import_args(
        &fundamentals,
        ["--skip", "Liabilities"],
    ));
    finq(dir.path(), &args);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/nyse_scores.py");
    let real = support::shared("data/real");
    for year in ["2014", "2015"] {
        let o = Command::new("python3")
            .arg(&script)
            .arg(&real)
            .arg(year)
            .output()
            .expect("python3 runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let expected: BTreeMap<String, Value> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("json line");
                (v["symbol"].as_str().expect("symbol").to_string(), v)
            })
            .collect();
        let query = format!(
            "select score, industry_rank, {} at {year}",
            indicators().join(", ")
        );
        let out = finq(
            dir.path(),
            &["--db", "nyse.db", "--format", "json", "-c", &query],
        );
        let rows: Vec<Value> = serde_json::from_str(&out).expect("json");
        assert_eq!(rows.len(), expected.len(), "one row per company");
        let mut scored = 0;
        for row in &rows {
            let symbol = row["symbol"].as_str().expect("symbol");
            let want = &expected[symbol];
            assert!(
                close(&row["score"], &want["score"]),
                "{symbol} at {year}: score {} (finq) vs {} (independent)",
                row["score"],
                want["score"]
            );
            assert_eq!(row["industry_rank"], want["industry_rank"], "{symbol}");
            for m in indicators() {
                let w = want["indicators"].get(m).unwrap_or(&Value::Null);
                assert!(
                    close(&row[m], w),
                    "{symbol} {m} at {year}: {} (finq) vs {w} (independent)",
                    row[m]
                );
            }
            scored += usize::from(!row["score"].is_null());
        }
        // 2015 is the year nearly every company reports with the year before it.
        if year == "2015" {
            assert!(scored >= 440, "{scored} scored at 2015");
        }
    }
    // Apple at 2015, by hand from its rows (USD): revenue 233.715B against 182.795B is
    // +27.86%; every indicator is derived, none stored.
    let out = finq(
        dir.path(),
        &["--db", "nyse.db", "-c", "explain score AAPL at 2015"],
    );
    assert!(out.contains("27.86%"), "{out}");
    assert_eq!(out.matches("derived from").count(), 11, "{out}");
}
