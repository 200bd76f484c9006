//! A write of a few points patches the session's cache instead of clearing it (columns,
//! derived columns, scorecards, F-scores). Whatever it keeps must answer exactly as a cache
//! built afresh from the database: after every write below, each query's output from the
//! patched session equals its output once the cache is cleared (which is what a fresh
//! process on the same database computes).
//!
//! The data mixes stored indicators (a small `finq gen` dataset, 2% of cells empty, so
//! derivation fills some) with companies that have statement items only (every indicator
//! derived, DERIVATIONS.md), so a write of one statement item moves derived metrics,
//! percentiles of whole peer groups, and F-scores.

use finq::Session;
use finq::output::Format;
use proptest::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// Statement items of the companies that have no indicators stored.
const ITEMS: [&str; 10] = [
    "revenue",
    "cost_of_revenue",
    "net_income",
    "total_assets",
    "total_equity",
    "operating_cash_flow",
    "current_assets",
    "current_liabilities",
    "long_term_debt",
    "shares_outstanding",
];

/// Metrics the writes change: statement items and stored indicators.
const WRITTEN: [&str; 8] = [
    "revenue",
    "net_income",
    "total_equity",
    "total_assets",
    "roe",
    "gross_margin",
    "pe_ttm",
    "current_assets",
];

/// Queries whose answers are compared after each write (the benchmark's, and derived
/// metrics, periods, groups and peers).
const QUERIES: [&str; 14] = [
    r#"select roe where industry = "Industry 007" rank"#,
    "select pe_ttm, roe, market_cap where roe > 5% rank by roe limit 30",
    "select count(), median(roe), avg(gross_margin) by industry",
    "series revenue, roe of S00003.US",
    "select cagr(revenue, 2), mavg(roe, 4) rank by cagr(revenue, 2) limit 20",
    "score S00003.US",
    "score S00008.US",
    r#"select score, score_grade, industry_rank where industry = "Industry 007" rank by score"#,
    "select score rank limit 40",
    "select fscore where fscore >= 5 rank by fscore limit 40",
    "select roe, turnover, revenue_yoy, gearing_ratio at 2024Q4 rank by roe limit 40",
    "select score at 2024Q4 rank limit 40",
    "peers of S00003.US",
    "select fscore at 2024Q4 rank by fscore limit 40",
];

/// Statements whose rows an index narrows to less than half the companies and that read
/// whole series (the benchmark's q5 and its kin): their columns hold only those rows.
const NARROWED: [&str; 4] = [
    r#"select cagr(revenue, 2), mavg(roe, 4) where sector = "Sector 01" rank by cagr(revenue, 2) limit 20"#,
    r#"select yoy(net_income), mavg(gross_margin, 2) where industry = "Industry 007" and sector = "Sector 01" rank by yoy(net_income) limit 20"#,
    r#"select mmax(total_equity, 3), prev(roe), pct_rank(cagr(revenue, 2)) where industry = "Industry 005" order by symbol"#,
    r#"select count(), avg(mavg(roe, 2)) where sector = "Sector 01" by industry"#,
];

/// A small deterministic stream (the values only need to vary).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes the statements-only companies: 60 of them over 8 industries, 12 quarters.
fn statement_files(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut companies = String::from("symbol,name,industry,sector\n");
    let mut points = format!("symbol,period,{}\n", ITEMS.join(","));
    let mut r = Lcg(19);
    for i in 0..60 {
        let symbol = format!("S{i:05}.US");
        let industry = format!("Industry {:03}", [7, 7, 7, 5, 5, 9, 11, 13][i % 8]);
        writeln!(companies, "{symbol},Statements {i},{industry},Sector 01").unwrap();
        for q in 0..12 {
            let (y, k) = (2023 + q / 4, q % 4 + 1);
            let revenue = 100.0 + 400.0 * r.next();
            let assets = 1000.0 + 2000.0 * r.next();
            // Some equity negative, some cells empty: derivations must say missing.
            let equity = assets * (0.6 * r.next() - 0.05);
            let cells = [
                revenue,
                revenue * (0.3 + 0.5 * r.next()),
                revenue * (0.3 * r.next() - 0.05),
                assets,
                equity,
                revenue * (0.4 * r.next() - 0.1),
                assets * 0.4 * r.next(),
                assets * 0.3 * r.next(),
                assets * 0.2 * r.next(),
                50.0 + (i % 3) as f64,
            ];
            let cells: Vec<String> = cells
                .iter()
                .map(|v| {
                    if r.next() < 0.04 {
                        String::new()
                    } else {
                        format!("{v:.2}")
                    }
                })
                .collect();
            writeln!(points, "{symbol},{y}Q{k},{}", cells.join(",")).unwrap();
        }
    }
    let (c, p) = (dir.join("s_companies.csv"), dir.join("s_points.csv"));
    std::fs::write(&c, companies).unwrap();
    std::fs::write(&p, points).unwrap();
    (c, p)
}

/// Every query's output, rendered as JSON.
fn answers(s: &mut Session) -> Vec<String> {
    answers_to(s, &QUERIES)
}

/// The output of each of `queries`, rendered as JSON.
fn answers_to(s: &mut Session, queries: &[&str]) -> Vec<String> {
    queries
        .iter()
        .map(|q| match s.execute(q) {
            Ok(outs) => outs
                .iter()
                .filter_map(|o| finq::cli::render_output(o, Format::Json))
                .collect::<Vec<_>>()
                .join("\n"),
            Err(e) => format!("error: {e}"),
        })
        .collect()
}

/// A session on disk holding both datasets, with every query run once (caches full).
fn session(dir: &Path) -> Session {
    let data = dir.join("gen");
    finq::r#gen::generate(&finq::r#gen::GenOptions {
        companies: 150,
        periods: 12,
        seed: 3,
        out: data.clone(),
        missing: 0.02,
        statements: false,
    })
    .unwrap();
    let (c, p) = statement_files(dir);
    let mut s = Session::open(dir.join("db")).unwrap();
    for f in [
        data.join("companies.csv"),
        data.join("metrics.csv"),
        c.clone(),
        p.clone(),
    ] {
        s.import(&f, &Default::default(), &mut |_| {}).unwrap();
    }
    s
}

/// One write: a point set (at an existing quarter or a new one) or deleted.
#[derive(Debug, Clone)]
enum Write {
    Set {
        company: usize,
        metric: usize,
        quarter: usize,
        value: f64,
    },
    Delete {
        company: usize,
        metric: usize,
        quarter: usize,
    },
}

impl Write {
    fn statement(&self) -> String {
        let symbol = |c: usize| {
            if c.is_multiple_of(2) {
                format!("S{:05}.US", c % 60)
            } else {
                // The gen dataset's symbols carry an exchange suffix; the first few are .US
                // or another one: use the company's own symbol through its row number.
                format!("@{}", c % 150)
            }
        };
        let period = |q: usize| format!("{}Q{}", 2023 + q / 4, q % 4 + 1);
        match self {
            Write::Set {
                company,
                metric,
                quarter,
                value,
            } => format!(
                "set {} {} at {} = {value}",
                symbol(*company),
                WRITTEN[*metric],
                period(*quarter)
            ),
            Write::Delete {
                company,
                metric,
                quarter,
            } => format!(
                "delete {} {} at {}",
                symbol(*company),
                WRITTEN[*metric],
                period(*quarter)
            ),
        }
    }
}

fn writes() -> impl Strategy<Value = Vec<Write>> {
    let one = prop_oneof![
        4 => (0..300usize, 0..WRITTEN.len(), 0..13usize, -500.0..5000.0f64).prop_map(
            |(company, metric, quarter, value)| Write::Set {
                company,
                metric,
                quarter,
                value: (value * 100.0).round() / 100.0,
            }
        ),
        1 => (0..300usize, 0..WRITTEN.len(), 0..12usize).prop_map(|(company, metric, quarter)| {
            Write::Delete {
                company,
                metric,
                quarter,
            }
        }),
    ];
    proptest::collection::vec(one, 1..6)
}

/// The statement with `@N` replaced by the symbol of row N of the gen dataset.
fn resolve(s: &mut Session, statement: &str) -> String {
    let Some(at) = statement.find('@') else {
        return statement.to_string();
    };
    let end = statement[at..]
        .find(' ')
        .map_or(statement.len(), |e| at + e);
    let n: usize = statement[at + 1..end].parse().unwrap();
    let companies = s.companies().unwrap();
    let symbol = companies
        .rows
        .iter()
        .filter(|r| r.symbol.starts_with('C'))
        .nth(n)
        .map(|r| r.symbol.to_string())
        .unwrap();
    format!("{}{}{}", &statement[..at], symbol, &statement[end..])
}

/// Runs `queries` in `s` (their answers must be real), then after each write of `batch`
/// checks that they answer as with a cache built afresh.
fn patched_equal_fresh(
    s: &mut Session,
    batch: &[Write],
    queries: &[&str],
) -> Result<(), TestCaseError> {
    for (q, a) in queries.iter().zip(answers_to(s, queries)) {
        prop_assert!(
            !a.starts_with("error") && a.len() > 40,
            "`{}` gave {}",
            q,
            a
        );
    }
    for w in batch {
        let statement = resolve(s, &w.statement());
        // A delete of a point that is not there is refused: nothing changes then.
        let _ = s.execute(&statement);
        let patched = answers_to(s, queries);
        s.clear_cache();
        let fresh = answers_to(s, queries);
        for (k, (p, f)) in patched.iter().zip(&fresh).enumerate() {
            prop_assert_eq!(p, f, "after `{}`, query `{}`", statement, queries[k]);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn answers_after_writes_equal_a_fresh_cache(batch in writes()) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = session(dir.path());
        patched_equal_fresh(&mut s, &batch, &QUERIES)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// Statements narrowed by the index, in a session where nothing builds whole columns:
    /// the columns kept for their rows are patched by writes and answer as a fresh cache.
    #[test]
    fn narrowed_statements_after_writes_equal_a_fresh_cache(batch in writes()) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = session(dir.path());
        s.clear_cache();
        patched_equal_fresh(&mut s, &batch, &NARROWED)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// `finq serve`'s sessions: one writes, another (sharing the open database, with its own
    /// full cache) catches up before its next statement, and answers as a fresh cache.
    #[test]
    fn a_shared_session_answers_as_a_fresh_cache_after_another_writes(batch in writes()) {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = session(dir.path());
        let mut reader = writer.share();
        answers(&mut reader);
        for w in &batch {
            let statement = resolve(&mut writer, &w.statement());
            let _ = writer.execute(&statement);
            let caught_up = answers(&mut reader);
            reader.clear_cache();
            let fresh = answers(&mut reader);
            for (k, (p, f)) in caught_up.iter().zip(&fresh).enumerate() {
                prop_assert_eq!(p, f, "after `{}`, query `{}`", statement, QUERIES[k]);
            }
        }
    }
}

/// The same through the binary: a script of writes and queries in one process prints what
/// separate processes print for the same queries on the database it leaves.
#[test]
fn one_process_after_writes_answers_as_fresh_processes() {
    let dir = tempfile::tempdir().unwrap();
    drop(session(dir.path()));
    let db = dir.path().join("db");
    let finq = env!("CARGO_BIN_EXE_finq");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(finq)
            .arg("--db")
            .arg(&db)
            .args(["--format", "json"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let writes = [
        "set S00003.US net_income at 2025Q4 = 12.5",
        "set S00011.US total_equity at 2025Q3 = -40",
        "set S00019.US revenue at 2026Q1 = 310",
        "delete S00027.US total_assets at 2025Q2",
    ];
    let mut script = String::new();
    for (w, q) in writes.iter().zip(QUERIES.iter().cycle().skip(5)) {
        writeln!(script, "{q}\n{w}\n{q}").unwrap();
    }
    for q in QUERIES {
        writeln!(script, "{q}").unwrap();
    }
    let path = dir.path().join("script.fq");
    std::fs::write(&path, &script).unwrap();
    let together = run(&["run", path.to_str().unwrap()]);
    let mut apart = String::new();
    for q in QUERIES {
        apart.push_str(&run(&["-c", q]));
    }
    assert!(
        together.ends_with(&apart),
        "the script's last answers differ from fresh processes'"
    );
}

/// A derived metric read one point per company (a scorecard's indicators, a select of
/// nothing else of it) is derived company by company from its inputs' chunks; read after a
/// time-series function has built its whole column, it is taken from that column. Both
/// give the same points, for the derived indicators and the F-score's inputs, latest and
/// at a quarter.
#[test]
fn a_metric_derived_company_by_company_equals_its_whole_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let metrics = [
        "roe",
        "roa",
        "gross_margin",
        "profit_margin",
        "turnover",
        "gearing_ratio",
        "cash_flow_margin",
        "revenue_yoy",
        "net_profit_yoy",
        "ocf_yoy",
        "current_ratio",
        "eps",
    ];
    for at in ["", " at 2024Q2"] {
        let select = format!("select {}{at} order by symbol", metrics.join(", "));
        let json = |s: &mut Session, q: &str| {
            s.execute(q)
                .unwrap()
                .iter()
                .filter_map(|o| finq::cli::render_output(o, Format::Json))
                .collect::<Vec<_>>()
                .join("\n")
        };
        s.clear_cache();
        let by_company = json(&mut s, &select);
        s.clear_cache();
        let whole: Vec<String> = metrics.iter().map(|m| format!("mavg({m}, 1)")).collect();
        json(&mut s, &format!("select {}", whole.join(", ")));
        let from_whole = json(&mut s, &select);
        assert!(by_company.len() > 10_000, "{by_company}");
        assert_eq!(by_company, from_whole, "{select}");
    }
}

/// `series` about one company reads that company's block and the attribute names, not the
/// whole company list, when no earlier statement loaded it. Its answers and errors equal
/// those given with the list loaded — stored and derived metrics, an unknown symbol (its
/// did-you-mean needs the list), an attribute another company has — and an attribute set
/// by a write (here a currency, which names the series' money columns) is seen at once.
#[test]
fn a_series_from_one_block_equals_one_with_the_company_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    // As a table: its headers name the currency of money columns.
    let shown = |s: &mut Session, q: &str| match s.execute(q) {
        Ok(outs) => outs
            .iter()
            .filter_map(|o| finq::cli::render_output(o, Format::Table))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => format!("error: {e}"),
    };
    let statements = [
        "series revenue, roe of S00003.US",
        "series roe, gross_margin, eps of s00008.us kind q from 2024",
        "series market_cap of S00003.US",
        "series revenue of S0003.US",
        "series industry of S00003.US",
        "series nosuch of S00003.US",
    ];
    let compare = |s: &mut Session, expect_money: bool| {
        for q in statements {
            s.clear_cache();
            let alone = shown(s, q);
            s.clear_cache();
            shown(s, "select count()");
            let with_list = shown(s, q);
            assert_eq!(alone, with_list, "{q}");
            if q.contains("S0003.US") {
                assert!(alone.contains("unknown company"), "{alone}");
            }
            if q.contains("market_cap") {
                assert_eq!(alone.contains("EUR"), expect_money, "{alone}");
            }
        }
    };
    compare(&mut s, false);
    // A write of an attribute clears what the first `series` kept (the attribute names).
    shown(&mut s, "series market_cap of S00003.US");
    shown(&mut s, r#"set S00003.US currency = "EUR""#);
    assert!(shown(&mut s, "series market_cap of S00003.US").contains("EUR"));
    compare(&mut s, true);
}

/// A statement narrowed by the index reads whole series for its rows only; it answers as
/// when every company's whole columns are in memory (built by an earlier statement), and
/// `grade(x)`, which ranks within whole peer groups, still sees every company.
#[test]
fn narrowed_statements_answer_as_with_whole_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let mut queries = NARROWED.to_vec();
    queries.push(r#"select grade(cagr(revenue, 2)), mavg(roe, 2) where sector = "Sector 01" order by symbol"#);
    s.clear_cache();
    let narrowed = answers_to(&mut s, &queries);
    s.clear_cache();
    let metrics = [
        "revenue",
        "roe",
        "net_income",
        "gross_margin",
        "total_equity",
    ];
    let whole: Vec<String> = metrics.iter().map(|m| format!("mavg({m}, 1)")).collect();
    s.execute(&format!("select {}", whole.join(", "))).unwrap();
    let from_whole = answers_to(&mut s, &queries);
    for (k, (n, w)) in narrowed.iter().zip(&from_whole).enumerate() {
        assert!(n.len() > 40 && !n.starts_with("error"), "{n}");
        assert_eq!(n, w, "{}", queries[k]);
    }
}
