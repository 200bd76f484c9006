//! Fuzzing in CI-sized form (issue 8, part 3). Property tests with a fixed number of cases:
//!
//! - the query language: `Session::execute` on random text, token soup and grammar-shaped
//!   statements (deep nesting, 1e308 * 1e308, 0/0, long inputs) against a small database
//!   must return `Ok` or `Err`, never panic, and answer quickly; write statements must leave a
//!   database that passes `check`;
//! - each importer (CSV, JSON lines, quote pages) on random bytes, file-shaped text with
//!   NaN / inf / 1e999 cells, and mutated quote pages: `Ok` or `Err`, never a panic, and what
//!   an importer accepts holds only finite values and valid periods, and applies to a
//!   database that still passes `check`;
//! - fixed edge cases: empty files, binary garbage, invalid UTF-8, a 10 MB line.
//!
//! The CI case counts (a few seconds in all) multiply by `FINQ_FUZZ_SCALE=k`; or
//! `PROPTEST_CASES=N` sets every property's count to N (write and apply properties run N / 8).
//! Inputs are random each run; a failure prints the shrunk input. See docs/RELIABILITY.md
//! for the longer run.

use finq::Session;
use finq::ingest::{self, ColumnMap, ImportOptions, Kind};
use finq::model::{Catalog, Period, PeriodKind};
use finq::query::registry;
use finq::storage::{Database, WriteSet};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::cell::RefCell;
use std::path::Path;
use std::time::{Duration, Instant};

const LANG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/lang");
const QUOTE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/quote");

/// The case count: the CI default times `FINQ_FUZZ_SCALE` when that is set; else
/// `PROPTEST_CASES` when set (divided by `heavy` for the slow properties); else the CI
/// default.
fn cases(default: u32, heavy: u32) -> u32 {
    let env = |name: &str| std::env::var(name).ok().and_then(|s| s.parse::<u32>().ok());
    if let Some(k) = env("FINQ_FUZZ_SCALE") {
        return default.saturating_mul(k.max(1));
    }
    env("PROPTEST_CASES").map_or(default, |n| (n / heavy).max(1))
}

fn runner(default: u32, heavy: u32) -> TestRunner {
    TestRunner::new(Config {
        cases: cases(default, heavy),
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    })
}

/// Runs a property and panics with the (shrunk) failing input. A watchdog ends the process
/// with the input when one case runs longer than [`HANG`], so a hang fails CI with the input
/// that caused it rather than at the CI timeout.
fn check<S: Strategy>(
    name: &str,
    runner: &mut TestRunner,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let t = Instant::now();
    let n = runner.config().cases;
    OK_RUNS.with(|c| c.set(0));
    let current = std::sync::Arc::new(std::sync::Mutex::new((Instant::now(), String::new())));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let (current, done, name) = (current.clone(), done.clone(), name.to_string());
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let c = current.lock().unwrap();
                if c.0.elapsed() > HANG {
                    eprintln!(
                        "{name}: a case has run for {:?}, a hang; its input:\n{}",
                        c.0.elapsed(),
                        c.1
                    );
                    std::process::exit(101);
                }
            }
        })
    };
    let result = runner.run(&strategy, |input| {
        *current.lock().unwrap() = (Instant::now(), format!("{input:?}"));
        test(input)
    });
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    watchdog.join().unwrap();
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    let ok = OK_RUNS.with(|c| c.get());
    eprintln!(
        "{name}: {n} cases in {:.1} s{}",
        t.elapsed().as_secs_f64(),
        if ok > 0 {
            format!(", {ok} ran without error")
        } else {
            String::new()
        }
    );
}

/// A case that runs this long is a hang.
const HANG: Duration = Duration::from_secs(20);

/// A statement must answer within this long, or it counts as a hang.
const SLOW: Duration = Duration::from_secs(5);

/// A session on a temp database holding the language fixtures (12 companies in four
/// industries, ~200 points) and one saved screen.
fn lang_session() -> (tempfile::TempDir, Session) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::open(dir.path().join("f.db")).unwrap();
    let opts = ImportOptions::default();
    for f in ["companies.csv", "points.csv"] {
        s.import(&Path::new(LANG).join(f), &opts, &mut |_| {})
            .unwrap();
    }
    s.execute("define screen cheap as select pe_ttm, pb where pe_ttm < 20")
        .unwrap();
    s.execute("define metric upside = roe / pb - 1 higher")
        .unwrap();
    (dir, s)
}

/// Runs text through the session: Ok or Err are both fine; a panic fails the property (the
/// runner catches it), and so does a statement that takes longer than [`SLOW`].
fn run_text(session: &RefCell<Session>, text: &str) -> Result<(), TestCaseError> {
    let t = Instant::now();
    let r = session.borrow_mut().execute(text);
    let took = t.elapsed();
    prop_assert!(took < SLOW, "took {took:?}");
    OK_RUNS.with(|c| c.set(c.get() + usize::from(r.is_ok())));
    Ok(())
}

thread_local! {
    /// Scripts that ran without an error, so a summary can say how many cases got past the
    /// parser and binder.
    static OK_RUNS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

// ---------------------------------------------------------------------------------------
// The query language
// ---------------------------------------------------------------------------------------

const METRICS: &[&str] = &[
    "roe",
    "pe_ttm",
    "pb",
    "revenue",
    "net_income",
    "market_cap",
    "gross_margin",
    "revenue_yoy",
    "total_assets",
    "upside",
    "ROE",
    "`P/E (TTM)`",
    "`P/B Ratio`",
    "industry",
    "sector",
    "name",
    "symbol",
    "exchange",
    "score",
    "score_grade",
    "industry_rank",
    "profit_grade",
    "fscore",
    "no_such_metric",
    "`a b`",
    "`select`",
    "_x",
];
const SYMBOLS: &[&str] = &[
    "ALFA.US",
    "alfa.us",
    "BRVO.US",
    "FXTR",
    "NOPE.XX",
    "\"ALFA.US\"",
    "\"\"",
    "A-B/C^D",
    "\"we\\\"ird\"",
];
const PERIODS: &[&str] = &[
    "2024",
    "2023",
    "2024Q4",
    "2024Q1",
    "2024H1",
    "2024-06-30",
    "2024-02-29",
    "2023-02-29",
    "0000",
    "9999",
    "2024Q0",
    "2024Q5",
    "2024H3",
    "0001-01-01",
    "9999-12-31",
    "2024-13-01",
];
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "4",
    "0.5",
    "15%",
    "-12.93%",
    "250K",
    "2.5B",
    "1T",
    "1e9",
    "1e308",
    "1e-308",
    "4.9e-324",
    "1e999",
    "1e-999",
    "18446744073709551616",
    "4294967297",
    "99999999999999999999999999",
    "0.0000000000000000000001",
    "1.7976931348623157e308",
    "1e308 * 1e308",
    "0/0",
    "(0/0)",
    "-1e308 * 10",
    "1/0",
    "-1/0",
    "0 * (1/0)",
];
const STRINGS: &[&str] = &[
    "\"Cloud Software\"",
    "\"\"",
    "\"%\"",
    "\"Cloud%\"",
    "\"_\"",
    "\"\\\"\"",
    "\"é ü 中文\"",
    "\"\\\\\"",
];
const BINARY: &[&str] = &[
    "+", "-", "*", "/", "=", "!=", "<>", "<", "<=", ">", ">=", "and", "or",
];
const FN1: &[&str] = &[
    "yoy", "qoq", "first", "points", "pct_rank", "zscore", "grade", "count", "sum", "avg",
    "median", "min", "max", "stddev", "delta", "prev", "abs", "nosuchfn",
];
const FN2: &[&str] = &[
    "cagr", "mavg", "msum", "mmin", "mmax", "mmedian", "mdev", "delta", "prev", "pct",
];
const FN2_ARGS: &[&str] = &[
    "1",
    "2",
    "4",
    "0",
    "-1",
    "0.5",
    "1e18",
    "1e308",
    "0/0",
    "roe",
    "\"x\"",
    "null",
    "4294967297",
];

fn one_of(v: &'static [&'static str]) -> impl Strategy<Value = &'static str> + Clone {
    select(v)
}

fn leaf() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(METRICS).prop_map(String::from),
        3 => select(NUMBERS).prop_map(String::from),
        1 => any::<f64>().prop_map(|v| format!("{:e}", v.abs())),
        1 => select(STRINGS).prop_map(String::from),
        1 => Just("null".to_string()),
        1 => (select(METRICS), select(PERIODS)).prop_map(|(m, p)| format!("{m} at {p}")),
        1 => Just("count()".to_string()),
    ]
    .boxed()
}

fn expr() -> BoxedStrategy<String> {
    leaf()
        .prop_recursive(7, 96, 4, |inner| {
            prop_oneof![
                4 => (inner.clone(), select(BINARY), inner.clone())
                    .prop_map(|(a, o, b)| format!("{a} {o} {b}")),
                2 => inner.clone().prop_map(|a| format!("({a})")),
                1 => inner.clone().prop_map(|a| format!("-{a}")),
                1 => inner.clone().prop_map(|a| format!("not {a}")),
                2 => (select(FN1), inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
                2 => (select(FN2), inner.clone(), select(FN2_ARGS))
                    .prop_map(|(f, a, n)| format!("{f}({a}, {n})")),
                1 => (inner.clone(), inner.clone(), inner.clone())
                    .prop_map(|(a, b, c)| format!("{a} between {b} and {c}")),
                1 => (inner.clone(), prop::collection::vec(inner.clone(), 1..4), any::<bool>())
                    .prop_map(|(a, l, not)| format!(
                        "{a} {}in ({})",
                        if not { "not " } else { "" },
                        l.join(", ")
                    )),
                1 => (inner.clone(), any::<bool>())
                    .prop_map(|(a, not)| format!("{a} is {}null", if not { "not " } else { "" })),
                1 => (inner.clone(), select(STRINGS)).prop_map(|(a, s)| format!("{a} like {s}")),
                1 => (inner.clone(), select(PERIODS)).prop_map(|(a, p)| format!("({a}) at {p}")),
            ]
        })
        .boxed()
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    prop::option::weighted(0.4, s).boxed()
}

fn select_with(
    e: BoxedStrategy<String>,
    cond: BoxedStrategy<String>,
    limits: &'static [&'static str],
    by_chance: f64,
) -> BoxedStrategy<String> {
    let items = prop::collection::vec((e.clone(), opt(one_of(&["a", "b", "`x y`", "roe"]))), 1..4)
        .prop_map(|items| {
            items
                .into_iter()
                .map(|(e, a)| match a {
                    Some(a) => format!("{e} as {a}"),
                    None => e,
                })
                .collect::<Vec<_>>()
                .join(", ")
        });
    let from = one_of(&[
        " from companies",
        " from industry \"Cloud Software\"",
        " from sector \"Technology\"",
        " from industry \"nope\"",
        " from peers of ALFA.US",
        " from peers of NOPE",
        " from screen cheap",
        " from screen nope",
    ]);
    let at = prop_oneof![
        Just(" at latest".to_string()),
        select(PERIODS).prop_map(|p| format!(" at {p}"))
    ];
    let by = prop::collection::vec(prop_oneof![2 => one_of(&["industry", "sector", "exchange"]).prop_map(String::from), 1 => e.clone()], 1..3).prop_map(|v| format!(" by {}", v.join(", ")));
    let rank = (
        opt(e.clone()),
        opt(one_of(&[" asc", " desc"])),
        opt(one_of(&[" within industry", " within sector"])),
    )
        .prop_map(|(e, d, w)| {
            format!(
                " rank{}{}{}",
                e.map(|e| format!(" by {e}")).unwrap_or_default(),
                d.unwrap_or_default(),
                w.unwrap_or_default()
            )
        });
    let order = (e.clone(), opt(one_of(&[" asc", " desc"])))
        .prop_map(|(e, d)| format!(" order by {e}{}", d.unwrap_or_default()));
    let limit = select(limits).prop_map(|n| format!(" limit {n}"));
    (
        items,
        opt(from),
        opt(cond),
        opt(at),
        if by_chance > 0.0 {
            prop::option::weighted(by_chance, by).boxed()
        } else {
            Just(None).boxed()
        },
        opt(rank),
        opt(order),
        opt(limit),
    )
        .prop_map(|(items, from, wh, at, by, rank, order, limit)| {
            format!(
                "select {items}{}{}{}{}{}{}{}",
                from.unwrap_or_default(),
                wh.map(|w| format!(" where {w}")).unwrap_or_default(),
                at.unwrap_or_default(),
                by.unwrap_or_default(),
                rank.unwrap_or_default(),
                order.unwrap_or_default(),
                limit.unwrap_or_default()
            )
        })
        .boxed()
}

const NUM_METRICS: &[&str] = &[
    "roe",
    "pe_ttm",
    "pb",
    "revenue",
    "net_income",
    "market_cap",
    "gross_margin",
    "revenue_yoy",
    "total_assets",
    "upside",
    "`P/E (TTM)`",
    "score",
    "industry_rank",
    "fscore",
];
const NUM_LITERALS: &[&str] = &[
    "0",
    "1",
    "2",
    "0.5",
    "15%",
    "-12.93%",
    "2.5B",
    "1e9",
    "1e308",
    "1e-308",
    "4.9e-324",
    "1e308 * 1e308",
    "0/0",
    "1/0",
];
const LIMITS: &[&str] = &["0", "1", "3", "10", "100", "5", "2"];

const STORED_METRICS: &[&str] = &[
    "roe",
    "pe_ttm",
    "pb",
    "revenue",
    "net_income",
    "market_cap",
    "gross_margin",
    "revenue_yoy",
    "total_assets",
    "`P/E (TTM)`",
];
const VALID_PERIODS: &[&str] = &[
    "2024",
    "2023",
    "2022",
    "2024Q4",
    "2024H1",
    "2024-06-30",
    "1999",
];

/// `+ - * /` and parentheses over `leaf`. (No `-` straight before a `-`: `--` starts a
/// comment.)
fn arithmetic(leaf: BoxedStrategy<String>, depth: u32) -> BoxedStrategy<String> {
    leaf.prop_recursive(depth, 32, 2, |inner| {
        prop_oneof![
            4 => (inner.clone(), one_of(&["+", "-", "*", "/"]), inner.clone())
                .prop_map(|(a, o, b)| format!("{a} {o} ({b})")),
            1 => inner.clone().prop_map(|a| format!("({a})")),
            1 => inner.prop_map(|a| format!("-({a})")),
        ]
    })
    .boxed()
}

/// Numeric expressions that bind: metrics, numbers, arithmetic, time-series functions of
/// metric arithmetic, cross-sectional functions.
fn num_expr() -> BoxedStrategy<String> {
    let series = arithmetic(
        prop_oneof![
            3 => select(STORED_METRICS).prop_map(String::from),
            1 => select(NUM_LITERALS).prop_map(String::from),
        ]
        .boxed(),
        2,
    );
    let leaf = prop_oneof![
        4 => select(NUM_METRICS).prop_map(String::from),
        3 => select(NUM_LITERALS).prop_map(String::from),
        1 => (select(STORED_METRICS), select(VALID_PERIODS)).prop_map(|(m, p)| format!("({m} at {p})")),
        2 => (one_of(&["yoy", "qoq", "first", "points", "delta", "prev", "pct_rank", "zscore"]), series.clone())
            .prop_map(|(f, a)| format!("{f}({a})")),
        2 => (one_of(&["cagr", "mavg", "msum", "mmin", "mmax", "mmedian", "mdev", "delta", "prev"]), series, 1u32..6)
            .prop_map(|(f, a, n)| format!("{f}({a}, {n})")),
    ];
    arithmetic(leaf.boxed(), 3)
}

/// Conditions that bind: comparisons of numeric expressions and text tests, combined.
fn condition() -> BoxedStrategy<String> {
    let atom = prop_oneof![
        4 => (num_expr(), one_of(&["=", "!=", "<", "<=", ">", ">="]), num_expr())
            .prop_map(|(a, o, b)| format!("{a} {o} {b}")),
        1 => (num_expr(), num_expr(), num_expr()).prop_map(|(a, b, c)| format!("{a} between {b} and {c}")),
        1 => (num_expr(), prop::collection::vec(select(NUM_LITERALS), 1..4))
            .prop_map(|(a, l)| format!("{a} in ({})", l.join(", "))),
        1 => (num_expr(), any::<bool>()).prop_map(|(a, n)| format!("{a} is {}null", if n { "not " } else { "" })),
        1 => (one_of(&["industry", "sector", "name", "symbol"]), select(STRINGS))
            .prop_map(|(a, t)| format!("{a} like {t}")),
        1 => (one_of(&["industry", "sector"]), select(STRINGS)).prop_map(|(a, t)| format!("{a} = {t}")),
    ];
    atom.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), one_of(&["and", "or"]), inner.clone())
                .prop_map(|(a, o, b)| format!("({a}) {o} ({b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
    .boxed()
}

/// Grouped selects: aggregates of numeric expressions by a text column.
fn group_select() -> BoxedStrategy<String> {
    let agg = prop_oneof![
        1 => Just("count()".to_string()),
        4 => (one_of(&["sum", "avg", "median", "min", "max", "stddev", "count"]), num_expr())
            .prop_map(|(f, e)| format!("{f}({e})")),
        1 => (num_expr(), one_of(&["0", "0.25", "0.5", "1"])).prop_map(|(e, p)| format!("pct({e}, {p})")),
    ];
    (
        prop::collection::vec(agg, 1..4),
        opt(condition()),
        prop::collection::vec(one_of(&["industry", "sector", "exchange"]), 1..3),
        opt(one_of(&[
            " order by count()",
            " order by industry desc",
            " limit 2",
        ])),
    )
        .prop_map(|(items, wh, by, tail)| {
            format!(
                "select {}{} by {}{}",
                items.join(", "),
                wh.map(|w| format!(" where {w}")).unwrap_or_default(),
                by.join(", "),
                tail.unwrap_or_default()
            )
        })
        .boxed()
}

fn select_statement() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select_with(num_expr(), condition(), LIMITS, 0.0),
        1 => group_select(),
        1 => select_with(expr(), expr(), NUMBERS, 0.4),
    ]
    .boxed()
}

/// Statements that only read.
fn read_statement() -> BoxedStrategy<String> {
    prop_oneof![
        6 => select_statement(),
        1 => (prop::collection::vec(select(METRICS), 1..3), select(SYMBOLS), opt(select(PERIODS)), opt(select(PERIODS)))
            .prop_map(|(m, s, f, t)| format!(
                "series {} of {s}{}{}",
                m.join(", "),
                f.map(|p| format!(" from {p}")).unwrap_or_default(),
                t.map(|p| format!(" to {p}")).unwrap_or_default()
            )),
        1 => select(SYMBOLS).prop_map(|s| format!("describe {s}")),
        1 => (select(SYMBOLS), opt(select(PERIODS))).prop_map(|(s, p)| format!(
            "score {s}{}", p.map(|p| format!(" at {p}")).unwrap_or_default())),
        1 => (select(SYMBOLS), opt(select(PERIODS))).prop_map(|(s, p)| format!(
            "fscore {s}{}", p.map(|p| format!(" at {p}")).unwrap_or_default())),
        1 => (select(SYMBOLS), opt(select(NUMBERS))).prop_map(|(s, n)| format!(
            "peers of {s}{}", n.map(|n| format!(" limit {n}")).unwrap_or_default())),
        1 => (select(SYMBOLS), opt(select(NUMBERS))).prop_map(|(s, n)| format!(
            "valuation {s}{}", n.map(|n| format!(" over {n} years")).unwrap_or_default())),
        1 => opt(expr()).prop_map(|w| format!(
            "show companies{}", w.map(|w| format!(" where {w}")).unwrap_or_default())),
        1 => one_of(&["show industries", "show sectors", "show metrics", "show screens", "screen cheap", "screen nope"])
            .prop_map(String::from),
    ]
    .boxed()
}

/// Token soup beyond the language's words: names, literals, punctuation, comment markers.
const OTHER_TOKENS: &[&str] = &[
    "roe",
    "pb",
    "pe_ttm",
    "revenue",
    "ALFA.US",
    "(",
    ")",
    ",",
    ";",
    "+",
    "-",
    "*",
    "/",
    "=",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "1",
    "0",
    "1e308",
    "1e999",
    "15%",
    "2.5B",
    "2024",
    "2024Q3",
    "2024-06-30",
    "\"Cloud%\"",
    "\"",
    "`",
    "`P/E (TTM)`",
    "--",
    "#",
    "\n",
    "count()",
    "cheap",
];

/// Every keyword and a call of every function, from the registry (so a word added to the
/// language is fuzzed from the start), then [`OTHER_TOKENS`].
fn tokens() -> Vec<String> {
    let keywords = registry::statement_keywords().chain(registry::CLAUSE_WORDS.iter().copied());
    let calls = registry::FUNCTIONS.iter().map(|f| format!("{}(", f.name));
    keywords
        .map(String::from)
        .chain(calls)
        .chain(OTHER_TOKENS.iter().map(|t| t.to_string()))
        .collect()
}

#[test]
fn queries_on_random_input_return_ok_or_err() {
    let (_dir, s) = lang_session();
    let s = RefCell::new(s);
    check(
        "arbitrary text",
        &mut runner(8000, 1),
        prop_oneof![
            any::<String>(),
            "[ -~\n]{0,300}",
            prop::collection::vec(any::<u8>(), 0..400)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ],
        |text| run_text(&s, &text),
    );
    check(
        "token soup",
        &mut runner(25000, 1),
        prop::collection::vec(select(tokens()), 0..40),
        |tokens| run_text(&s, &tokens.join(" ")),
    );
}

#[test]
fn grammar_shaped_queries_return_ok_or_err() {
    let (_dir, s) = lang_session();
    let s = RefCell::new(s);
    check(
        "grammar-shaped read statements",
        &mut runner(15000, 1),
        read_statement(),
        |text| run_text(&s, &text),
    );
    check(
        "several statements in one script",
        &mut runner(3000, 1),
        prop::collection::vec(read_statement(), 1..5),
        |v| run_text(&s, &v.join(";\n")),
    );
    // The database was only read.
    let report = s.borrow().check().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// Write statements on symbols of a small pool, with values from the edges of f64.
fn write_statement() -> BoxedStrategy<String> {
    let sym = one_of(&["ALFA.US", "BRVO.US", "NEW1", "new1", "N-2/x", "\"q uoted\""]);
    let metric = prop_oneof![
        6 => one_of(&["roe", "pb", "revenue", "`P/E (TTM)`", "ROE"]),
        1 => one_of(&["fz_metric", "industry", "name", "nosuch"]),
    ];
    let value = one_of(&[
        "0",
        "-0",
        "1",
        "-12.93%",
        "1e308",
        "-1e308",
        "1.7976931348623157e308",
        "4.9e-324",
        "1e-320",
        "1e999",
        "-1e999",
        "1e308K",
        "1e306%",
        "2.5B",
        "1T",
        "99999999999999999999",
    ]);
    let value = prop_oneof![3 => one_of(&["0", "1", "-1", "12.5", "-12.93%", "15%", "2.5B", "1e308", "4.9e-324"]), 1 => value];
    let period = prop_oneof![
        4 => one_of(&["2024", "2023", "2024Q3", "2024H1", "2024-06-30", "2020-02-29"]),
        1 => select(PERIODS),
    ];
    prop_oneof![
        4 => (sym.clone(), metric.clone(), opt(period.clone()), value)
            .prop_map(|(s, m, p, v)| format!(
                "set {s} {m}{} = {v}", p.map(|p| format!(" at {p}")).unwrap_or_default())),
        2 => (sym.clone(), one_of(&["industry", "sector", "name", "exchange", "roe", "symbol"]), select(STRINGS))
            .prop_map(|(s, a, t)| format!("set {s} {a} = {t}")),
        2 => (sym.clone(), opt((metric, opt(period))))
            .prop_map(|(s, mp)| match mp {
                None => format!("delete {s}"),
                Some((m, None)) => format!("delete {s} {m}"),
                Some((m, Some(p))) => format!("delete {s} {m} at {p}"),
            }),
        1 => (prop_oneof![3 => num_expr(), 1 => expr()], opt(one_of(&[" higher", " lower"])))
            .prop_map(|(e, d)| format!("define metric fz_metric = {e}{}", d.unwrap_or_default())),
        1 => Just("drop metric fz_metric".to_string()),
        1 => select_statement().prop_map(|s| format!("define screen fz as {s}")),
        1 => Just("drop screen fz".to_string()),
        1 => Just("screen fz".to_string()),
        1 => Just("select fz_metric rank".to_string()),
    ]
    .boxed()
}

#[test]
fn write_statements_keep_the_database_sound() {
    let (_dir, s) = lang_session();
    let s = RefCell::new(s);
    check(
        "write statements, then check",
        &mut runner(3000, 8),
        prop::collection::vec(write_statement(), 1..4),
        |v| {
            run_text(&s, &v.join(";\n"))?;
            let report = s.borrow().check().unwrap();
            prop_assert!(report.problems.is_empty(), "{:?}", report.problems);
            Ok(())
        },
    );
}

/// Fixed inputs at the edges: deep nesting, long chains, huge and NaN-producing numbers,
/// long names and strings. Each must answer (Ok or Err) quickly and without a panic.
#[test]
fn edge_case_queries_answer_without_panic() {
    let (_dir, mut s) = lang_session();
    let rep = |s: &str, n: usize| s.repeat(n);
    let long_name = "a".repeat(1 << 20);
    let cases: Vec<String> = vec![
        format!("select {}1{}", rep("(", 100_000), rep(")", 100_000)),
        format!("select {}1{}", rep("(", 64), rep(")", 64)),
        format!("select {}1{}", rep("abs(", 10_000), rep(")", 10_000)),
        format!("select {}1", rep("-", 100_000)),
        format!("select {}1", rep("not ", 100_000)),
        format!("select 1{}", rep(" + 1", 100_000)),
        format!("select 1{}", rep(" + 1", 999)),
        format!("select roe{}", rep(" is null", 100_000)),
        format!("select roe{}", rep(" is not null", 900)),
        format!("select roe{}", rep(" not in (1)", 10_000)),
        format!("select 1{}", rep(" between 1 and 2", 10_000)),
        format!("select roe in ({})", vec!["1"; 200_000].join(",")),
        format!("select roe where {}", vec!["(roe > 1 or pb < 2)"; 400].join(" and ")),
        format!("select {}", vec!["roe"; 5_000].join(", ")),
        format!("select roe by {}", vec!["industry"; 2_000].join(", ")),
        format!("select roe order by {}", vec!["roe"; 2_000].join(", ")),
        format!("select \"{}\"", "a".repeat(10 << 20)),
        format!("select {long_name}"),
        format!("select `{long_name}`"),
        format!("describe {}", "A".repeat(1 << 20)),
        format!("select roe from industry \"{long_name}\""),
        format!("select roe like \"{}b\"", "%".repeat(100_000)),
        format!("select name like \"{}\"", "%_".repeat(50_000)),
        format!("-- {}\nselect 1", "x".repeat(10 << 20)),
        format!("select 1{}", "\n".repeat(1 << 20)),
        ";".repeat(1 << 20),
        "select 1;".repeat(20_000),
        "select 1e308 * 1e308, -1e308 * 1e308, 0/0, 1/0, -1/0, 0 * (1/0), (1/0) - (1/0)".into(),
        "select roe / 0, roe * 1e308 * 1e308, (roe - roe) / (roe - roe) rank".into(),
        "select roe where roe > 1e308 * 1e308 or roe < 0/0 rank by 0/0 order by 1/0".into(),
        "select count(), sum(1e308), avg(1e308), stddev(1e308), median(0/0), pct(roe, 0.5) by 0/0".into(),
        "select zscore(0/0), pct_rank(1e308 * 1e308), grade(0/0), zscore(1e308), zscore(roe * 1e308)".into(),
        "select yoy(roe / 0), cagr(revenue * 1e308, 2), mavg(1e308 * roe, 2), mdev(roe * 1e200, 3)".into(),
        "select cagr(revenue, 4294967297), mavg(roe, 18446744073709551616), prev(roe, 1e308)".into(),
        "select roe limit 18446744073709551616".into(),
        "select roe limit 18446744073709551615".into(),
        "peers of ALFA.US limit 18446744073709551615".into(),
        "valuation ALFA.US over 4294967297 years".into(),
        "valuation ALFA.US over 2147483648 years".into(),
        "series roe of ALFA.US from 9999 to 0000".into(),
        "select roe at 0000-01-01, roe at 9999-12-31".into(),
        "select pct_rank(roe, industry), pct_rank(roe, sector), pct_rank(roe, nosuch)".into(),
        "define metric inf_m = 1e308 * 1e308; select inf_m rank; drop metric inf_m".into(),
        "define metric nan_m = 0/0 lower; select nan_m, grade(nan_m) rank; drop metric nan_m".into(),
    ];
    let mut slowest = (Duration::ZERO, String::new());
    for text in &cases {
        let shown: String = text.chars().take(80).collect();
        let t = Instant::now();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.execute(text)));
        let took = t.elapsed();
        assert!(r.is_ok(), "panicked on: {shown}");
        assert!(took < SLOW, "{shown}: took {took:?}");
        if took > slowest.0 {
            slowest = (took, shown);
        }
    }
    eprintln!(
        "edge-case queries: slowest {:?} for {}",
        slowest.0, slowest.1
    );
    let report = s.check().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

// ---------------------------------------------------------------------------------------
// Importers
// ---------------------------------------------------------------------------------------

/// What an importer accepted holds only finite values and valid periods.
fn assert_sound(set: &WriteSet) -> Result<(), TestCaseError> {
    OK_RUNS.with(|c| c.set(c.get() + 1));
    for (symbol, metric, points) in set.point_runs() {
        for (code, v) in points {
            prop_assert!(v.is_finite(), "{symbol} {metric}: value {v} is not finite");
            prop_assert!(Period::from_code(*code).is_some(), "period code {code}");
        }
    }
    for s in set.symbols() {
        prop_assert!(!s.trim().is_empty(), "an empty symbol");
    }
    Ok(())
}

const CELLS: &[&str] = &[
    "",
    " ",
    "0",
    "-0",
    "1",
    "12.5",
    "-12.93%",
    "15%",
    "250K",
    "2.5B",
    "1T",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e309",
    "1e999",
    "-1e999",
    "1e-400",
    "4.9e-324",
    "1e308K",
    "1e306%",
    "NaN",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "+inf",
    "0x10",
    "1,5",
    "1.2.3",
    "%",
    "K",
    "e5",
    ".",
    "-",
    "+",
    "1e",
    "١٢",
    "１２",
    "2024",
    "2024Q3",
    "2024Q5",
    "2024H1",
    "2024-06-30",
    "2024-02-30",
    "0000",
    "99999",
    "A",
    "ALFA.US",
    "a\"b",
    "\"quoted, comma\"",
    "\"multi\nline\"",
    "\"unterminated",
    "é",
    "\u{feff}",
    "\t",
    "Cloud Software",
    "null",
];
const HEADERS: &[&[&str]] = &[
    &["symbol", "name", "industry", "sector"],
    &["symbol", "metric", "period", "value"],
    &["symbol", "period", "roe", "pe_ttm", "revenue"],
    &["symbol", "period", "ROE", "P/E (TTM)", "new_metric"],
    &["ticker", "period", "roe"],
    &["Symbol", "Period Ending", "Gross Margin"],
    &["symbol"],
    &["period", "value"],
    &["symbol", "symbol", "period", "roe"],
    &["", "", ""],
];

const SYMBOL_CELLS: &[&str] = &["A", "ALFA.US", "b.hk", "C-1", "  D  ", "Zürich", "A"];
const PERIOD_CELLS: &[&str] = &[
    "2024",
    "2023",
    "2024Q3",
    "2024Q1",
    "2024H1",
    "2024H2",
    "2024-06-30",
    "2020-02-29",
    "12/31/2016",
    "2016-12-31",
    "FY2024",
];
const METRIC_CELLS: &[&str] = &[
    "roe",
    "ROE",
    "pb",
    "P/E (TTM)",
    "revenue",
    "new_metric",
    "gross margin",
];
const VALUE_CELLS: &[&str] = &[
    "0",
    "-0",
    "1",
    "12.5",
    "-12.93%",
    "15%",
    "250K",
    "2.5B",
    "1T",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "4.9e-324",
    "1e-300",
    "0.000001",
    "99999999999999999999",
    "1e306%",
    "",
];
const TEXT_CELLS: &[&str] = &[
    "Cloud Software",
    "",
    "Technology",
    "é ü",
    "\"q, uoted\"",
    "Banks",
];

/// A cell for a column: mostly what the column should hold, sometimes anything.
fn cell_for(column: &str) -> BoxedStrategy<String> {
    let fitting = match column.to_lowercase().as_str() {
        "symbol" | "ticker" => select(SYMBOL_CELLS),
        "period" | "period ending" => select(PERIOD_CELLS),
        "metric" => select(METRIC_CELLS),
        "name" | "industry" | "sector" => select(TEXT_CELLS),
        _ => select(VALUE_CELLS),
    };
    prop_oneof![12 => fitting.prop_map(String::from), 1 => select(CELLS).prop_map(String::from)]
        .boxed()
}

/// CSV text: a known header with rows that mostly fit it, or anything.
fn csv_text() -> BoxedStrategy<Bytes> {
    let shaped = select(HEADERS).prop_flat_map(|h| {
        let row: Vec<BoxedStrategy<String>> = h.iter().map(|c| cell_for(c)).collect();
        let header: Vec<String> = h.iter().map(|s| s.to_string()).collect();
        (Just(header), prop::collection::vec(row, 0..8))
    });
    let anything = (
        prop::collection::vec(select(CELLS).prop_map(String::from), 1..6),
        prop::collection::vec(
            prop::collection::vec(select(CELLS).prop_map(String::from), 0..7),
            0..12,
        ),
    );
    (
        prop_oneof![4 => shaped, 1 => anything],
        prop_oneof![8 => Just("\n"), 2 => Just("\r\n"), 1 => Just("\r")],
        prop_oneof![12 => Just(","), 1 => Just(";"), 1 => Just("\t")],
        any::<bool>(),
    )
        .prop_map(|((h, rows), nl, sep, final_newline)| {
            let mut out = h.join(sep);
            for r in rows {
                out.push_str(nl);
                out.push_str(&r.join(sep));
            }
            if final_newline {
                out.push_str(nl);
            }
            Bytes(out.into_bytes())
        })
        .boxed()
}

fn import_options() -> BoxedStrategy<ImportOptions> {
    let maps = prop::collection::vec(
        one_of(&[
            "roe=roe",
            "ROE=roe*0.01",
            "Gross Margin=gross_margin*0.01",
            "value=pb*1e308",
            "roe=roe*1e308",
            "pe_ttm=pe_ttm*0",
            "revenue=revenue*-1",
            "name=industry",
            "roe=industry",
            "x=y",
            "period=roe",
            "symbol=name",
        ]),
        0..3,
    );
    (
        maps,
        any::<bool>(),
        opt(one_of(&["2024", "2024Q3", "2026-08-22"])),
        opt(select(vec![
            PeriodKind::Year,
            PeriodKind::Half,
            PeriodKind::Quarter,
            PeriodKind::Day,
        ])),
        opt(one_of(&["ticker", "Symbol", "nope"])),
        opt(one_of(&["Period Ending", "period", "nope"])),
        prop::collection::vec(one_of(&["roe", "name", "symbol", "nope"]), 0..2),
    )
        .prop_map(
            |(maps, companies, period, period_kind, symbol_col, period_col, skip)| ImportOptions {
                kind: None,
                symbol_col: symbol_col.map(String::from),
                period_col: period_col.map(String::from),
                period_kind,
                period: period.map(|p| p.parse().unwrap()),
                maps: maps
                    .into_iter()
                    .map(|m| ColumnMap::parse(m).unwrap())
                    .collect(),
                skip: skip.into_iter().map(String::from).collect(),
                companies,
            },
        )
        .boxed()
}

/// File contents, shown as text when a case fails.
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

fn random_bytes() -> BoxedStrategy<Bytes> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2000),
        "[ -~\n\r\t]{0,500}".prop_map(String::into_bytes),
        any::<String>().prop_map(String::into_bytes),
    ]
    .prop_map(Bytes)
    .boxed()
}

#[test]
fn csv_reader_never_panics() {
    let catalog = Catalog::builtin();
    check(
        "csv: random bytes and csv-shaped text, random options",
        &mut runner(20000, 1),
        (
            prop_oneof![1 => random_bytes(), 3 => csv_text()],
            import_options(),
        ),
        |(bytes, opts)| match ingest::csv::read("f.csv", &bytes, &opts, &catalog, &mut |_| {}) {
            Ok(set) => assert_sound(&set),
            Err(_) => Ok(()),
        },
    );
}

const JSON_VALUES: &[&str] = &[
    "0",
    "-0",
    "1",
    "1e308",
    "-1e308",
    "1e309",
    "1e999",
    "4.9e-324",
    "1e-400",
    "12.5",
    "18446744073709551616",
    "\"15%\"",
    "\"1e999\"",
    "\"NaN\"",
    "\"inf\"",
    "\"2.5B\"",
    "\"\"",
    "null",
    "true",
    "[]",
    "{}",
    "[1,2]",
    "{\"a\":1}",
    "\"2024\"",
    "\"2024Q3\"",
    "\"2024Q9\"",
    "\"2024-06-30\"",
    "\"ALFA.US\"",
    "\"roe\"",
    "\"new_metric\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
];
const JSON_KEYS: &[&str] = &[
    "symbol", "metric", "period", "value", "points", "name", "industry", "sector", "x", "",
];

fn json_object(depth: u32) -> BoxedStrategy<String> {
    let field = (select(JSON_KEYS), select(JSON_VALUES)).prop_map(|(k, v)| format!("\"{k}\": {v}"));
    let fields = prop::collection::vec(field, 0..6);
    if depth == 0 {
        fields.prop_map(|f| format!("{{{}}}", f.join(", "))).boxed()
    } else {
        (
            fields,
            opt(prop::collection::vec(json_object(depth - 1), 0..3)),
        )
            .prop_map(|(mut f, points)| {
                if let Some(p) = points {
                    f.push(format!("\"points\": [{}]", p.join(", ")));
                }
                format!("{{{}}}", f.join(", "))
            })
            .boxed()
    }
}

fn quoted(list: &'static [&'static str]) -> BoxedStrategy<String> {
    select(list)
        .prop_map(|s| serde_json::Value::String(s.to_string()).to_string())
        .boxed()
}

/// A JSON value for a field: mostly what it should hold, sometimes anything.
fn json_field(fitting: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![10 => fitting, 1 => select(JSON_VALUES).prop_map(String::from)].boxed()
}

/// Numbers as JSON writes them (no filtering at run time: long runs would hit proptest's
/// limit on rejected cases).
const JSON_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "12.5",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "4.9e-324",
    "1e-300",
    "0.000001",
    "99999999999999999999",
    "-12.93",
    "2.5e9",
];

fn json_number() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(JSON_NUMBERS).prop_map(String::from),
        1 => quoted(VALUE_CELLS),
        // Any finite double, spelled as Rust prints it (infinities and NaN become 0).
        1 => any::<f64>().prop_map(|v| format!("{:e}", if v.is_finite() { v } else { 0.0 })),
    ]
    .boxed()
}

fn jsonl_text() -> BoxedStrategy<Bytes> {
    let point = (
        json_field(quoted(SYMBOL_CELLS)),
        json_field(quoted(METRIC_CELLS)),
        json_field(quoted(PERIOD_CELLS)),
        json_field(json_number()),
    )
        .prop_map(|(s, m, p, v)| {
            format!("{{\"symbol\": {s}, \"metric\": {m}, \"period\": {p}, \"value\": {v}}}")
        });
    let inner = (
        json_field(quoted(METRIC_CELLS)),
        json_field(quoted(PERIOD_CELLS)),
        json_field(json_number()),
    )
        .prop_map(|(m, p, v)| format!("{{\"metric\": {m}, \"period\": {p}, \"value\": {v}}}"));
    let company = (
        json_field(quoted(SYMBOL_CELLS)),
        prop::collection::vec(
            (
                one_of(&["name", "industry", "sector", "exchange", "x"]),
                json_field(quoted(TEXT_CELLS)),
            ),
            0..3,
        ),
        opt(prop::collection::vec(inner, 0..4)),
    )
        .prop_map(|(s, attrs, points)| {
            let mut f = vec![format!("\"symbol\": {s}")];
            f.extend(attrs.into_iter().map(|(k, v)| format!("\"{k}\": {v}")));
            if let Some(p) = points {
                f.push(format!("\"points\": [{}]", p.join(", ")));
            }
            format!("{{{}}}", f.join(", "))
        });
    let line = prop_oneof![
        6 => point,
        4 => company,
        1 => json_object(1),
        1 => one_of(&["", "[]", "{", "}", "{\"symbol\": \"A\"", "[[[[[[[[[[", "\u{feff}{}"]).prop_map(String::from),
    ];
    prop::collection::vec(line, 0..8)
        .prop_map(|l| Bytes(l.join("\n").into_bytes()))
        .boxed()
}

#[test]
fn jsonl_reader_never_panics() {
    let catalog = Catalog::builtin();
    check(
        "jsonl: random bytes and json-lines-shaped text",
        &mut runner(20000, 1),
        prop_oneof![1 => random_bytes(), 3 => jsonl_text()],
        |bytes| match ingest::jsonl::read("f.jsonl", &bytes, &catalog, &mut |_| {}) {
            Ok(set) => assert_sound(&set),
            Err(_) => Ok(()),
        },
    );
}

fn quote_pages() -> Vec<Vec<u8>> {
    let mut names: Vec<_> = std::fs::read_dir(QUOTE)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

/// One change to a page's bytes: cut it, drop a range, insert bytes or text, copy a range
/// elsewhere, or swap digits and labels.
#[derive(Clone, Debug)]
enum Mutation {
    Truncate(prop::sample::Index),
    Remove(prop::sample::Index, usize),
    Insert(prop::sample::Index, Vec<u8>),
    Duplicate(prop::sample::Index, prop::sample::Index, usize),
    Replace(prop::sample::Index, u8),
}

const QUOTE_TOKENS: &[&str] = &[
    "|",
    "||",
    "\n",
    "---\n",
    "```",
    "```json\n",
    "{",
    "}",
    "[",
    "]",
    "NaN",
    "1e999",
    "-",
    "%",
    "1e308B",
    "9999999999999999999999T",
    " / ",
    "0 / 0",
    "**",
    "#",
    "## ",
    "Score",
    "Industry Ranking",
    "| A | B |",
    "\u{0}",
    "\u{fffd}",
    "é",
    "\r",
    "\x0c",
    "\x0b",
    "name: ",
    "symbol: ",
    ": ",
];

fn mutation() -> BoxedStrategy<Mutation> {
    prop_oneof![
        1 => any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        2 => (any::<prop::sample::Index>(), 1usize..200).prop_map(|(i, n)| Mutation::Remove(i, n)),
        3 => (any::<prop::sample::Index>(), prop_oneof![
                select(QUOTE_TOKENS).prop_map(|t| t.as_bytes().to_vec()),
                prop::collection::vec(any::<u8>(), 1..8),
            ]).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<prop::sample::Index>(), any::<prop::sample::Index>(), 1usize..300)
            .prop_map(|(a, b, n)| Mutation::Duplicate(a, b, n)),
        2 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Replace(i, b)),
    ]
    .boxed()
}

fn mutate(mut page: Vec<u8>, ms: &[Mutation]) -> Vec<u8> {
    for m in ms {
        let len = page.len();
        if len == 0 {
            break;
        }
        match m {
            Mutation::Truncate(i) => page.truncate(i.index(len)),
            Mutation::Remove(i, n) => {
                let a = i.index(len);
                page.drain(a..(a + n).min(len));
            }
            Mutation::Insert(i, b) => {
                let a = i.index(len + 1);
                page.splice(a..a, b.iter().copied());
            }
            Mutation::Duplicate(from, to, n) => {
                let a = from.index(len);
                let piece = page[a..(a + n).min(len)].to_vec();
                let t = to.index(len + 1);
                page.splice(t..t, piece);
            }
            Mutation::Replace(i, b) => {
                let a = i.index(len);
                page[a] = *b;
            }
        }
    }
    page
}

#[test]
fn quote_reader_never_panics() {
    let catalog = Catalog::builtin();
    let pages = quote_pages();
    let n = pages.len();
    check(
        "quote: mutated pages",
        &mut runner(15000, 1),
        (0..n, prop::collection::vec(mutation(), 1..8)),
        |(i, ms)| {
            let bytes = mutate(pages[i].clone(), &ms);
            let mut warnings = Vec::new();
            match ingest::quote::read("p.md", &bytes, &catalog, &mut warnings) {
                Ok(set) => assert_sound(&set),
                Err(_) => Ok(()),
            }
        },
    );
    check(
        "quote: random bytes, with and without front matter",
        &mut runner(8000, 1),
        (random_bytes(), any::<bool>()),
        |(bytes, front)| {
            let bytes = if front {
                [b"---\nsymbol: \"A.US\"\n---\n".to_vec(), bytes.0].concat()
            } else {
                bytes.0
            };
            let mut warnings = Vec::new();
            match ingest::quote::read("p.md", &bytes, &catalog, &mut warnings) {
                Ok(set) => assert_sound(&set),
                Err(_) => Ok(()),
            }
        },
    );
}

/// What an importer accepts, the database takes, and still passes check afterwards.
#[test]
fn accepted_imports_apply_and_pass_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = RefCell::new(Database::open(dir.path().join("a.db")).unwrap());
    let pages = quote_pages();
    let n = pages.len();
    let input = prop_oneof![
        (csv_text(), import_options()).prop_map(|(b, o)| (Kind::Csv, b, o)),
        jsonl_text().prop_map(|b| (Kind::Jsonl, b, ImportOptions::default())),
        (0..n, prop::collection::vec(mutation(), 1..4)).prop_map(move |(i, ms)| (
            Kind::Quote,
            Bytes(mutate(pages[i].clone(), &ms)),
            ImportOptions::default()
        )),
    ];
    let applied = std::cell::Cell::new(0usize);
    check(
        "import, apply, check",
        &mut runner(4000, 8),
        input,
        |(kind, bytes, opts)| {
            let mut db = db.borrow_mut();
            let catalog = db.catalog().clone();
            let mut warnings = Vec::new();
            let read = match kind {
                Kind::Csv => ingest::csv::read("f.csv", &bytes, &opts, &catalog, &mut |_| {}),
                Kind::Jsonl => ingest::jsonl::read("f.jsonl", &bytes, &catalog, &mut |_| {}),
                Kind::Quote => ingest::quote::read("f.md", &bytes, &catalog, &mut warnings),
                Kind::Fx => ingest::fx::read("f.csv", &bytes, &opts),
            };
            let Ok(set) = read else { return Ok(()) };
            assert_sound(&set)?;
            let r = db.apply(set);
            prop_assert!(r.is_ok(), "apply: {:?}", r.err());
            applied.set(applied.get() + 1);
            let report = db.check().unwrap();
            prop_assert!(report.problems.is_empty(), "{:?}", report.problems);
            // A fresh database now and then, so long runs do not check an ever larger one.
            if applied.get().is_multiple_of(500) {
                *db = Database::open(dir.path().join(format!("a{}.db", applied.get()))).unwrap();
            }
            Ok(())
        },
    );
    eprintln!("import, apply, check: {} sets applied", applied.get());
}

/// Whole files through `read_file` (detection included): empty, whitespace, a BOM, binary
/// garbage, invalid UTF-8, non-finite cells, and a 10 MB line, for every kind.
#[test]
fn edge_case_files_are_errors_or_sound_imports() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin();
    let ten_mb = 10 << 20;
    let garbage: Vec<u8> = (0..1 << 16)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("whitespace", b" \n\t\r\n  ".to_vec()),
        ("bom", b"\xEF\xBB\xBF".to_vec()),
        ("bom_newline", b"\xEF\xBB\xBF\n".to_vec()),
        ("garbage", garbage.clone()),
        ("nul", vec![0u8; 4096]),
        ("invalid_utf8_header", b"sym\xffbol,period,roe\nA,2024,1\n".to_vec()),
        ("invalid_utf8_cell", b"symbol,period,roe\nA\xfe,2024,1\nB,2024,1\xff\n".to_vec()),
        ("invalid_utf8_json", b"{\"symbol\": \"A\xff\", \"metric\": \"roe\", \"period\": \"2024\", \"value\": 1}\n".to_vec()),
        ("non_finite_cells", b"symbol,period,roe,pb,pe_ttm,revenue\nA,2024,NaN,inf,-inf,1e999\n".to_vec()),
        ("non_finite_long", b"symbol,metric,period,value\nA,roe,2024,nan\nA,pb,2024,1e308K\n".to_vec()),
        ("non_finite_json", b"{\"symbol\": \"A\", \"metric\": \"roe\", \"period\": \"2024\", \"value\": 1e999}\n{\"symbol\": \"A\", \"metric\": \"pb\", \"period\": \"2024\", \"value\": \"NaN\"}\n".to_vec()),
        ("huge_values", b"symbol,period,roe,pb\nA,2024,1.7976931348623157e308,-1.7976931348623157e308\nB,2024,4.9e-324,1e-400\n".to_vec()),
        ("deep_json", [b"{\"symbol\": \"A\", \"points\": ".to_vec(), vec![b'['; 100_000], b"]}\n".to_vec()].concat()),
        ("long_csv_header", [vec![b'x'; ten_mb], b"\nA\n".to_vec()].concat()),
        ("long_csv_cell", [b"symbol,name\nA,".to_vec(), vec![b'n'; ten_mb], b"\n".to_vec()].concat()),
        ("long_csv_row", [b"symbol,period,roe\n".to_vec(), b"A,2024,1".repeat(ten_mb / 8)].concat()),
        ("long_csv_many_columns", [b"symbol,period".to_vec(), b",roe".repeat(ten_mb / 4), b"\nA,2024".to_vec(), b",1".repeat(ten_mb / 4)].concat()),
        ("long_json_string", [b"{\"symbol\": \"A\", \"name\": \"".to_vec(), vec![b'n'; ten_mb], b"\"}\n".to_vec()].concat()),
        ("long_quote_line", [b"---\nsymbol: \"A.US\"\n---\n".to_vec(), b"| Industry Ranking | 1 / 2 |".repeat(ten_mb / 27)].concat()),
        ("long_quote_garbage", [b"---\n".to_vec(), garbage.repeat(160)].concat()),
        // A form feed in a front-matter value once made the page reader loop forever.
        ("front_matter_form_feed", b"---\nsymbol: ZPH.US\nname: Zephyr\x0cWidgets\n---\n# Zephyr (ZPH.US)\n".to_vec()),
    ];
    let mut slowest = (Duration::ZERO, String::new());
    for (name, bytes) in &files {
        for ext in ["csv", "jsonl", "md", "txt"] {
            let path = dir.path().join(format!("{name}.{ext}"));
            std::fs::write(&path, bytes).unwrap();
            let t = Instant::now();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut warnings = Vec::new();
                ingest::read_file(
                    &path,
                    &ImportOptions::default(),
                    &catalog,
                    &mut |_| {},
                    &mut warnings,
                )
            }));
            let took = t.elapsed();
            let shown = format!("{name}.{ext}");
            let Ok(r) = r else {
                panic!("{shown}: the reader panicked")
            };
            if let Ok(set) = r
                && let Err(e) = assert_sound(&set)
            {
                panic!("{shown}: {e}");
            }
            assert!(took < Duration::from_secs(10), "{shown}: took {took:?}");
            if took > slowest.0 {
                slowest = (took, shown);
            }
            std::fs::remove_file(&path).unwrap();
        }
    }
    eprintln!("edge-case files: slowest {:?} for {}", slowest.0, slowest.1);
}
