//! The F-score on real 10-K data: ../shared/data/real/nyse-fundamentals-2012-2016.csv imported
//! with fiscal-year periods, checked against hand calculations from the file's own numbers.
//! Skipped when the file is not there (a failure under CI: tests/support).

mod support;

use finq::Session;
use finq::ingest::{ColumnMap, ImportOptions};
use finq::model::PeriodKind;
use finq::output::{Output, Value};
use std::path::Path;

fn session_with_fundamentals() -> Option<(tempfile::TempDir, Session)> {
    let file = support::shared_file("data/real/nyse-fundamentals-2012-2016.csv")?;
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::open(dir.path().join("db")).unwrap();
    let opts = ImportOptions {
        symbol_col: Some("Ticker Symbol".into()),
        period_col: Some("Period Ending".into()),
        period_kind: Some(PeriodKind::Year),
        maps: vec![
            ColumnMap::parse("Gross Margin=gross_margin*0.01").unwrap(),
            // The file's `Liabilities` is a cash-flow line, not the balance of
            // `Total Liabilities`.
            ColumnMap::parse("Liabilities=change_in_liabilities").unwrap(),
        ],
        ..ImportOptions::default()
    };
    s.import(&file, &opts, &mut |_| {}).unwrap();
    Some((dir, s))
}

/// (result of each of the nine signals, total) from `fscore SYMBOL at PERIOD`.
fn signals(s: &mut Session, statement: &str) -> (Vec<String>, f64) {
    let out = s.execute(statement).unwrap();
    let Some(Output::Table(t)) = out.first() else {
        panic!("no table")
    };
    let result = t.columns.iter().position(|c| c.name == "result").unwrap();
    let points = t.columns.iter().position(|c| c.name == "points").unwrap();
    let text = |v: &Value| match v {
        Value::Text(s) => s.clone(),
        other => format!("{other:?}"),
    };
    let r: Vec<String> = t.rows[..9].iter().map(|row| text(&row[result])).collect();
    let total = match &t.rows[9][points] {
        Value::Quantity(v, _) | Value::Num(v) => *v,
        Value::Null => f64::NAN,
        other => panic!("{other:?}"),
    };
    (r, total)
}

#[test]
fn apple_2015_by_hand() {
    let Some((_d, mut s)) = session_with_fundamentals() else {
        return;
    };
    // From the file (USD): fiscal years end in September.
    //            NI        TA         CFO      LTD      CA       CL       shares        GM   revenue
    //   2013  37.037B  207.000B   53.666B  16.960B  73.286B  43.658B    925,231,077  38%  170.910B
    //   2014  39.510B  231.839B   59.713B  28.987B  68.531B  63.448B  6,087,827,427  39%  182.795B
    //   2015  53.394B  290.345B   81.266B  53.329B  89.378B  80.610B  5,753,663,793  40%  233.715B
    // ROA      53.394 / 231.839 = 0.2303 > 0                        pass
    // CFO      81.266 / 231.839 = 0.3505 > 0                        pass
    // ΔROA     0.2303 > 39.510 / 207.000 = 0.1909                   pass
    // ACCRUAL  0.3505 > 0.2303                                      pass
    // ΔLEVER   53.329 / 290.345 = 0.1837 < 28.987 / 231.839 = 0.1250? fail
    // ΔLIQUID  89.378 / 80.610 = 1.1088 > 68.531 / 63.448 = 1.0801  pass
    // EQ_OFFER 5,753,663,793 <= 6,087,827,427                      pass
    // ΔMARGIN  0.40 > 0.39                                          pass
    // ΔTURN    233.715 / 231.839 = 1.0081 > 182.795 / 207.0 = 0.8831 pass
    let (r, total) = signals(&mut s, "fscore AAPL at 2015");
    assert_eq!(
        r,
        [
            "pass", "pass", "pass", "pass", "fail", "pass", "pass", "pass", "pass"
        ]
    );
    assert_eq!(total, 8.0);
}

#[test]
fn microsoft_2016_by_hand() {
    let Some((_d, mut s)) = session_with_fundamentals() else {
        return;
    };
    //            NI        TA         CFO      LTD      CA        CL       shares        GM  revenue
    //   2014  22.074B  172.384B   32.502B  20.645B  114.246B  45.625B  8,298,496,241  69%  86.833B
    //   2015  12.193B  174.472B   29.668B  27.808B  122.797B  49.647B  8,183,221,477  65%  93.580B
    //   2016  16.798B  193.694B   33.325B  40.783B  139.660B  59.357B  7,923,584,906  62%  85.320B
    // ROA 0.0963 > 0 pass; CFO 0.1910 > 0 pass; ΔROA 0.0963 > 12.193 / 172.384 = 0.0707 pass;
    // ACCRUAL 0.1910 > 0.0963 pass; ΔLEVER 0.2106 < 0.1594? fail; ΔLIQUID 2.3529 > 2.4734? fail;
    // EQ_OFFER 7.92e9 <= 8.18e9 pass; ΔMARGIN 0.62 > 0.65? fail; ΔTURN 0.4890 > 0.5429? fail.
    let (r, total) = signals(&mut s, "fscore MSFT at 2016");
    assert_eq!(
        r,
        [
            "pass", "pass", "pass", "pass", "fail", "fail", "pass", "fail", "fail"
        ]
    );
    assert_eq!(total, 5.0);
    // Without `at`, year t is the latest year with a net income point: 2016 here too.
    assert_eq!(signals(&mut s, "fscore MSFT").1, 5.0);
}

#[test]
fn first_year_has_no_history() {
    let Some((_d, mut s)) = session_with_fundamentals() else {
        return;
    };
    // 2013 is AAPL's first year: only the signals that need no earlier year... none of
    // them, since every one divides by or compares with t−1. All nine are n.a.
    let (r, total) = signals(&mut s, "fscore AAPL at 2013");
    assert!(r.iter().all(|x| x == "n.a."), "{r:?}");
    // No signal could be tested, so there is no score (not a score of 0 out of 9).
    assert!(total.is_nan(), "{total}");
    // The column agrees with the statement.
    let out = s
        .execute("select fscore where symbol in (\"AAPL\", \"MSFT\") at 2015")
        .unwrap();
    let Some(Output::Table(t)) = out.first() else {
        panic!()
    };
    let col = t.columns.iter().position(|c| c.name == "fscore").unwrap();
    assert_eq!(t.rows[0][col], Value::Num(8.0));
}

/// `query`'s answer (as debug text) in a new session on the database in `dir`, after `first`
/// when given (to load columns first).
fn answer_in_fresh_session(dir: &Path, first: Option<&str>, query: &str) -> String {
    let mut s = Session::open(dir.join("db")).unwrap();
    if let Some(f) = first {
        s.execute(f).unwrap();
    }
    format!("{:?}", s.execute(query).unwrap())
}

/// Every company's F-score is the same whether the nine inputs are read side by side from
/// storage (a fresh session) or from columns an earlier statement loaded; scores likewise.
#[test]
fn scores_read_from_storage_equal_scores_from_loaded_columns() {
    let Some((dir, s)) = session_with_fundamentals() else {
        return;
    };
    drop(s);
    let run = |first: Option<&str>, query: &str| answer_in_fresh_session(dir.path(), first, query);
    let inputs = "select net_income, total_assets, operating_cash_flow, long_term_debt, current_assets, current_liabilities, shares_outstanding, gross_margin, revenue";
    for query in [
        "select fscore rank by fscore limit 400",
        "select fscore at 2014 rank by fscore limit 400",
    ] {
        let fresh = run(None, query);
        assert!(fresh.contains("fscore"), "{fresh}");
        assert_eq!(fresh, run(Some(inputs), query), "{query}");
    }
    let scorecard = "select score, score_grade, industry_rank rank by score limit 400";
    let indicators = "select roe, profit_margin, gross_margin, revenue_yoy, net_profit_yoy, total_assets_yoy, net_assets_yoy, cash_flow_margin, ocf_yoy, turnover, gearing_ratio";
    assert_eq!(run(None, scorecard), run(Some(indicators), scorecard));
}

/// A statement that reads metrics only at its period gets one point per company (an anchored
/// column); the answers equal those from whole columns loaded by an earlier statement.
#[test]
fn anchored_columns_answer_as_whole_columns_do() {
    let Some((dir, s)) = session_with_fundamentals() else {
        return;
    };
    drop(s);
    let run = |first: Option<&str>, query: &str| answer_in_fresh_session(dir.path(), first, query);
    let whole = "select mavg(net_income, 1), mavg(revenue, 1), mavg(gross_margin, 1)";
    for query in [
        "select net_income, revenue where revenue > 1B rank by net_income limit 300",
        "select net_income, revenue where revenue > 1B at 2014 rank by net_income limit 300",
        "select net_income, gross_margin at 2015-06-30 rank by gross_margin limit 300",
        "select count(), median(net_income), avg(gross_margin) by sector",
        "select net_income, cagr(revenue, 2) rank by net_income limit 300",
    ] {
        let fresh = run(None, query);
        assert!(fresh.contains("rows"), "{fresh}");
        assert_eq!(fresh, run(Some(whole), query), "{query}");
    }
}
