//! `--format svg`: the chart of one `series`, `score`, `valuation` or `compare` statement as a
//! standalone SVG document on standard output — the same charts the web pages inline.

mod support;

use std::process::{Command, Output};
use support::server::{finq_bin, sample_dir};

fn finq(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(finq_bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("finq runs")
}

fn svg(db: &std::path::Path, statement: &str) -> String {
    let o = finq(db, &["--format", "svg", "-c", statement]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.starts_with("<svg "),
        "{statement}: a standalone document"
    );
    assert!(text.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(text.trim_end().ends_with("</svg>"));
    text
}

#[test]
fn score_draws_the_radar() {
    let (_dir, db) = sample_dir();
    let s = svg(&db, "score KC.US");
    assert!(s.contains("<title>KC.US — Kingsoft Cloud Holdings Limited</title>"));
    assert_eq!(s.matches("<circle").count(), 5, "a point per dimension");
    for label in [
        "Profit",
        "Growth",
        "Operation",
        "Security",
        "Cash",
        "score 0.63 (B)",
    ] {
        assert!(s.contains(label), "{label}");
    }
}

#[test]
fn valuation_draws_the_band() {
    let (_dir, db) = sample_dir();
    let s = svg(&db, "valuation KC.US");
    assert!(s.contains("<title>Valuation of KC.US</title>"));
    assert_eq!(s.matches("<circle").count(), 4, "a point per multiple");
    for label in [
        "P/E (TTM)",
        "P/B",
        "P/S (TTM)",
        "Dividend Yield",
        "median",
        "current",
    ] {
        assert!(s.contains(label), "{label}");
    }
}

#[test]
fn series_draws_a_panel_per_metric() {
    let (_dir, db) = sample_dir();
    let s = svg(
        &db,
        "series revenue, net_income of 688316.SH from 2019 to 2024",
    );
    // 2019–2023 years and the 2024H1 half of revenue (6), five years and two halves of
    // net income (7).
    assert_eq!(s.matches("<circle").count(), 13);
    for label in ["Revenue", "Net Income", "fiscal year", "half year", "2020"] {
        assert!(s.contains(label), "{label}");
    }
    // Standard input works as -c does.
    let mut child = Command::new(finq_bin())
        .arg("--db")
        .arg(&db)
        .args(["--format", "svg"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"series revenue of KC.US")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("<svg "));
}

#[test]
fn compare_draws_a_point_per_company_and_graded_metric() {
    let (_dir, db) = sample_dir();
    let s = svg(&db, "compare KC.US, 688316.SH, 600756.SH");
    assert!(s.contains("<title>KC.US vs 688316.SH vs 600756.SH: grades within each company"));
    // The built-in score and 15 indicators, every one graded for all three companies
    // (`compare ... --format csv` gives a grade in each of its 16 × 3 grade cells).
    assert_eq!(s.matches("<circle").count(), 16 * 3);
    for label in ["KC.US", "600756.SH", "ROE", "P/E (TTM)", "Dividend Yield"] {
        assert!(s.contains(label), "{label}");
    }
    // The grade axis, E to A (each label is a text element's own line).
    for grade in ["E", "D", "C", "B", "A"] {
        assert!(s.lines().any(|l| l.trim() == grade), "{grade}");
    }
    // A metric without a direction (total assets) has no grade: it is named under the chart,
    // not drawn (money rows are labelled with the base currency, as in compare's table).
    let s = svg(&db, "compare KC.US, 688316.SH on roe, total_assets, pb");
    assert_eq!(s.matches("<circle").count(), 2 * 2);
    assert!(
        s.contains("no grade (no direction or no value): total_assets (USD)"),
        "{s}"
    );
}

#[test]
fn other_statements_have_no_chart() {
    let (_dir, db) = sample_dir();
    for statements in [
        "select roe rank",
        "score KC.US; score 688316.SH",
        "show sectors",
    ] {
        let o = finq(&db, &["--format", "svg", "-c", statements]);
        assert_eq!(o.status.code(), Some(2), "{statements}");
        assert!(o.stdout.is_empty());
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(
                "--format svg draws the chart of one series, score, valuation or compare"
            )
        );
    }
    let o = finq(&db, &["--format", "svg", "-c", "score NOPE.XX"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown company"));
    let o = finq(&db, &["--format", "svg", "check"]);
    assert_eq!(o.status.code(), Some(2));
}
