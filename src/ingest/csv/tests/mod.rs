//! Tests of the CSV reader: the shapes, options and values (here) and errors (`errors.rs`).

mod errors;
mod rules;

use super::source::locate;
use super::*;
use crate::error::Error;
use crate::ingest::ColumnMap;
use crate::model::{Period, PeriodKind, Unit};

fn read_opts(text: &str, opts: &ImportOptions) -> Result<WriteSet> {
    read(
        "t.csv",
        text.as_bytes(),
        opts,
        &Catalog::builtin(),
        &mut |_| {},
    )
}

fn ok_opts(text: &str, opts: &ImportOptions) -> WriteSet {
    read_opts(text, opts).unwrap_or_else(|e| panic!("{e}"))
}

fn ok(text: &str) -> WriteSet {
    ok_opts(text, &ImportOptions::default())
}

fn err_opts(text: &str, opts: &ImportOptions) -> String {
    match read_opts(text, opts) {
        Ok(_) => panic!("expected an error from {text:?}"),
        Err(e) => e.to_string(),
    }
}

fn err(text: &str) -> String {
    err_opts(text, &ImportOptions::default())
}

fn points(set: &WriteSet, symbol: &str, metric: &str) -> Vec<(String, f64)> {
    set.points_of(symbol, metric)
}

fn attr(set: &WriteSet, symbol: &str, name: &str) -> Option<String> {
    set.attr_of(symbol, name)
}

fn pts(list: &[(&str, f64)]) -> Vec<(String, f64)> {
    list.iter().map(|&(p, v)| (p.to_string(), v)).collect()
}

fn map(spec: &str) -> ColumnMap {
    ColumnMap::parse(spec).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn companies_shape_sets_attributes_and_leaves_empty_cells_alone() {
    let set = ok(
        "symbol,name,industry,Head Office\nKC.US,Kingsoft Cloud,Software,\n688316.SH,,Chips,Shanghai\n",
    );
    assert_eq!(set.symbols(), ["KC.US", "688316.SH"]);
    assert_eq!(
        attr(&set, "KC.US", "name").as_deref(),
        Some("Kingsoft Cloud")
    );
    assert_eq!(attr(&set, "kc.us", "industry").as_deref(), Some("Software"));
    assert_eq!(attr(&set, "688316.SH", "name"), None);
    assert_eq!(
        attr(&set, "688316.SH", "head_office").as_deref(),
        Some("Shanghai")
    );
    assert_eq!(attr(&set, "KC.US", "head_office"), None);
    assert!(set.point_runs().next().is_none() && set.new_metrics().is_empty());
}

#[test]
fn long_shape_reads_columns_in_any_order() {
    let set = ok(
        "value,period,Metric,SYMBOL\n-12.93%,2025Q3,roe,KC.US\n0.5,2025Q2,return_on_equity,KC.US\n,2025Q1,roe,KC.US\n",
    );
    assert_eq!(
        points(&set, "KC.US", "roe"),
        pts(&[("2025Q3", -0.1293), ("2025Q2", 0.5)])
    );
    assert_eq!(set.point_count(), 2);
}

#[test]
fn wide_shape_gives_a_point_per_non_empty_cell() {
    let set =
        ok("symbol,period,roe,P/B,revenue\nA,2024Q1,0.1,1.5,\nA,2024Q2,0.2,,5.18B\nB,2024,,2,\n");
    assert_eq!(
        points(&set, "A", "roe"),
        pts(&[("2024Q1", 0.1), ("2024Q2", 0.2)])
    );
    assert_eq!(points(&set, "A", "pb"), pts(&[("2024Q1", 1.5)]));
    assert_eq!(points(&set, "A", "revenue"), pts(&[("2024Q2", 5.18e9)]));
    assert_eq!(points(&set, "B", "pb"), pts(&[("2024", 2.0)]));
    assert_eq!(set.point_count(), 5);
    assert!(set.new_metrics().is_empty());
}

#[test]
fn header_names_compare_in_snake_case() {
    // `Symbol`, `SYMBOL` and `symbol` are one column name; so are `Return on Equity` and roe.
    let set = ok("SYMBOL,Period,Return on Equity,Gross Margin\nA,2024,0.1,0.4\n");
    assert_eq!(points(&set, "A", "roe"), pts(&[("2024", 0.1)]));
    assert_eq!(points(&set, "A", "gross_margin"), pts(&[("2024", 0.4)]));
    let set = ok("Symbol,Name\nA,Alpha\n");
    assert_eq!(attr(&set, "A", "name").as_deref(), Some("Alpha"));
    let set = ok("Ticker,Name\nA,Alpha\n");
    assert_eq!(set.symbols(), ["A"]);
}

#[test]
fn byte_order_mark_and_crlf_are_accepted() {
    let set = ok("\u{feff}symbol,period,roe\r\nA,2024,0.1\r\nB,2024,0.2\r\n");
    assert_eq!(points(&set, "A", "roe"), pts(&[("2024", 0.1)]));
    assert_eq!(points(&set, "B", "roe"), pts(&[("2024", 0.2)]));
    assert_eq!(
        err("\u{feff}symbol,period,roe\r\nA,2024,0.1\r\nB,2024,x\r\n"),
        "error: t.csv:3:8: 'x' in column 'roe' is not a number"
    );
}

#[test]
fn quoted_fields_keep_commas_and_newlines_and_line_numbers_stay_physical() {
    let text =
        "symbol,name,overview\nA,\"Alpha, Inc.\",\"line one\nline \"\"two\"\"\"\nB,Beta,plain\n";
    let set = ok(text);
    assert_eq!(attr(&set, "A", "name").as_deref(), Some("Alpha, Inc."));
    assert_eq!(
        attr(&set, "A", "overview").as_deref(),
        Some("line one\nline \"two\"")
    );
    // The row after a quoted newline starts on physical line 4.
    let bad = "symbol,period,overview,roe\nA,2024,\"one\ntwo\",0.1\nB,2024,\"x, y\",zz\n";
    assert_eq!(
        err(bad),
        "error: t.csv:4:15: 'zz' in column 'roe' is not a number"
    );
    // A cell after a quoted newline in its own row is found on the next line.
    let bad = "symbol,period,overview,roe\nA,2024,\"one\ntwo\",bad\n";
    assert_eq!(
        err(bad),
        "error: t.csv:3:6: 'bad' in column 'roe' is not a number"
    );
}

#[test]
fn percents_and_magnitudes() {
    let set = ok(
        "symbol,period,roe,market_cap,revenue,net_income,total_assets\nA,2024,-12.93%,5.18B,250K,3M,1.2T\n",
    );
    assert_eq!(points(&set, "A", "roe"), pts(&[("2024", -0.1293)]));
    assert_eq!(points(&set, "A", "market_cap"), pts(&[("2024", 5.18e9)]));
    assert_eq!(points(&set, "A", "revenue"), pts(&[("2024", 250_000.0)]));
    assert_eq!(points(&set, "A", "net_income"), pts(&[("2024", 3e6)]));
    assert_eq!(points(&set, "A", "total_assets"), pts(&[("2024", 1.2e12)]));
}

#[test]
fn maps_set_metric_and_factor_or_an_attribute() {
    let opts = ImportOptions {
        symbol_col: Some("Ticker Symbol".into()),
        maps: vec![
            map("Gross Margin=gross_margin*0.01"),
            map("Sector=industry"),
            map("Earn=net_income*1000"),
        ],
        ..ImportOptions::default()
    };
    let set = ok_opts(
        "Ticker Symbol,period,Gross Margin,Sector,Earn\nAAPL,2015,58.0,Hardware,2.5\n",
        &opts,
    );
    // Dividing by 100 rather than multiplying by 0.01 gives the double nearest 0.58.
    assert_eq!(points(&set, "AAPL", "gross_margin"), pts(&[("2015", 0.58)]));
    assert_eq!(points(&set, "AAPL", "net_income"), pts(&[("2015", 2500.0)]));
    assert_eq!(attr(&set, "AAPL", "industry").as_deref(), Some("Hardware"));
    assert_eq!(attr(&set, "AAPL", "sector"), None);
    // Maps match the column by snake_case too, and apply to companies files.
    let opts = ImportOptions {
        maps: vec![map("gics sector=sector"), map("Security=name")],
        ..ImportOptions::default()
    };
    let set = ok_opts("Symbol,Security,GICS Sector\nMMM,3M,Industrials\n", &opts);
    assert_eq!(attr(&set, "MMM", "name").as_deref(), Some("3M"));
    assert_eq!(attr(&set, "MMM", "sector").as_deref(), Some("Industrials"));
}

#[test]
fn map_to_an_unknown_metric_registers_it() {
    let opts = ImportOptions {
        maps: vec![map("EBITDA=ebitda_usd")],
        ..ImportOptions::default()
    };
    let set = ok_opts("symbol,period,EBITDA\nA,2024,5\n", &opts);
    assert_eq!(points(&set, "A", "ebitda_usd"), pts(&[("2024", 5.0)]));
    assert_eq!(set.new_metrics().len(), 1);
    assert_eq!(
        set.new_metrics().first().map(|d| d.id.as_str()),
        Some("ebitda_usd")
    );
}

#[test]
fn mostly_text_columns_become_attributes_and_the_last_value_wins() {
    let text = "symbol,period,Name,Sec Filings,52 Week Low\nA,2024Q1,Alpha,http://x/a,1.5\nA,2024Q2,Alpha Corp,,2\nB,2024Q1,123,n/a,\n";
    let set = ok(text);
    assert_eq!(attr(&set, "A", "name").as_deref(), Some("Alpha Corp"));
    // Mostly text: one number among the cells does not make it a metric.
    assert_eq!(attr(&set, "B", "name").as_deref(), Some("123"));
    assert_eq!(
        attr(&set, "A", "sec_filings").as_deref(),
        Some("http://x/a")
    );
    assert_eq!(attr(&set, "B", "sec_filings").as_deref(), Some("n/a"));
    assert_eq!(
        points(&set, "A", "52_week_low"),
        pts(&[("2024Q1", 1.5), ("2024Q2", 2.0)])
    );
    // A numeric column with a stray word is a metric, and the word is an error.
    let text = "symbol,period,score\nA,2024,1\nB,2024,2\nC,2024,n/a\n";
    assert_eq!(
        err(text),
        "error: t.csv:4:8: 'n/a' in column 'score' is not a number"
    );
}

#[test]
fn unknown_metrics_are_registered_once() {
    let set = ok(
        "symbol,metric,period,value\nA,EBITDA,2024,1\nB,ebitda,2024,2\nC,Ebitda,2023,3\nA,roe,2024,0.1\nD,Empty Metric,2024,\n",
    );
    assert_eq!(set.new_metrics().len(), 1, "{:?}", set.new_metrics());
    let def = set
        .new_metrics()
        .first()
        .map(|d| (d.id.as_str(), d.unit, d.direction, d.dimension));
    assert_eq!(
        def,
        Some((
            "ebitda",
            crate::model::Unit::Ratio,
            crate::model::Direction::Higher,
            crate::model::Dimension::Other
        ))
    );
    assert_eq!(points(&set, "B", "ebitda"), pts(&[("2024", 2.0)]));
    let set = ok("symbol,period,Long Term Thing,Other\nA,2024,1,\nB,2024,2,\n");
    let ids: Vec<&str> = set.new_metrics().iter().map(|d| d.id.as_str()).collect();
    // A column with no numbers at all brings nothing to register.
    assert_eq!(ids, ["long_term_thing"]);
}

/// Options that read the column `Period Ending` as periods of `kind`.
fn ending_as(kind: PeriodKind) -> ImportOptions {
    ImportOptions {
        period_col: Some("Period Ending".into()),
        period_kind: Some(kind),
        ..ImportOptions::default()
    }
}

#[test]
fn period_kind_reads_dates_as_years_quarters_or_days() {
    let text = "symbol,Period Ending,roe\nA,2015-09-26,0.1\nA,2016-09-24 00:00:00,0.2\nA,2017-01-31T00:00:00Z,0.3\n";
    let set = ok_opts(text, &ending_as(PeriodKind::Year));
    assert_eq!(
        points(&set, "A", "roe"),
        pts(&[("2015", 0.1), ("2016", 0.2), ("2017", 0.3)])
    );
    let set = ok_opts(text, &ending_as(PeriodKind::Quarter));
    assert_eq!(
        points(&set, "A", "roe"),
        pts(&[("2015Q3", 0.1), ("2016Q3", 0.2), ("2017Q1", 0.3)])
    );
    let set = ok_opts(text, &ending_as(PeriodKind::Day));
    assert_eq!(
        points(&set, "A", "roe"),
        pts(&[
            ("2015-09-26", 0.1),
            ("2016-09-24", 0.2),
            ("2017-01-31", 0.3)
        ])
    );
    // A year cannot become a quarter.
    assert_eq!(
        err_opts(
            "symbol,Period Ending,roe\nA,2015,0.1\n",
            &ending_as(PeriodKind::Quarter)
        ),
        "error: t.csv:2:3: '2015' spans more than the quarter that --period-kind asks for"
    );
    // Without a kind, dates stay dates.
    let set = ok("symbol,period,roe\nA,2015-09-26,0.1\n");
    assert_eq!(points(&set, "A", "roe"), pts(&[("2015-09-26", 0.1)]));
}

#[test]
fn period_option_gives_every_row_a_period_unless_a_column_has_one() {
    let opts = ImportOptions {
        period: Period::parse("2026-08-22"),
        ..ImportOptions::default()
    };
    let set = ok_opts("Symbol,Name,Price/Book\nABBV,AbbVie,-78.88\n", &opts);
    assert_eq!(points(&set, "ABBV", "pb"), pts(&[("2026-08-22", -78.88)]));
    assert_eq!(attr(&set, "ABBV", "name").as_deref(), Some("AbbVie"));
    let set = ok_opts("symbol,period,pb\nA,2024Q1,1\n", &opts);
    assert_eq!(points(&set, "A", "pb"), pts(&[("2024Q1", 1.0)]));
    // Without --period the same file is a companies file only when --companies says so: its
    // figures are then text.
    let companies = ImportOptions {
        companies: true,
        ..ImportOptions::default()
    };
    let set = ok_opts("Symbol,Name,Price/Book\nABBV,AbbVie,-78.88\n", &companies);
    assert_eq!(attr(&set, "ABBV", "price_book").as_deref(), Some("-78.88"));
    assert!(set.point_runs().next().is_none());
}

#[test]
fn companies_option_forces_the_companies_shape() {
    let opts = ImportOptions {
        companies: true,
        ..ImportOptions::default()
    };
    let set = ok_opts("symbol,period,name\nA,2024,Alpha\n", &opts);
    assert_eq!(attr(&set, "A", "period").as_deref(), Some("2024"));
    assert!(set.point_runs().next().is_none());
    let opts = ImportOptions {
        companies: true,
        maps: vec![map("Price/Book=pb")],
        ..ImportOptions::default()
    };
    assert_eq!(
        err_opts("Symbol,Price/Book\nA,1\n", &opts),
        "error: t.csv:1:8: --map sends column 'Price/Book' to metric 'pb', but a companies file has no period (give --period)"
    );
}

/// Issue 13: CERN's 52/53-week years ending 2015-01-03 and 2016-01-02 were read as the
/// calendar years of their end dates, so the year ending 2015-01-03 became 2015 and took the
/// place of the year that really is 2015. The fiscal-label rule of SPEC.md §1 reads a date in
/// a month's first week as the month before.
#[test]
fn period_kind_follows_the_fiscal_label_rule() {
    let text = "symbol,Period Ending,revenue\nCERN,2014-01-04,1\nCERN,2015-01-03,2\nCERN,2016-01-02,3\nCERN,2016-12-31,4\nAAPL,2015-09-26,5\nX,2015-07-07,6\nY,2015-07-08,7\n";
    let set = ok_opts(text, &ending_as(PeriodKind::Year));
    assert_eq!(
        points(&set, "CERN", "revenue"),
        pts(&[("2013", 1.0), ("2014", 2.0), ("2015", 3.0), ("2016", 4.0)])
    );
    assert_eq!(points(&set, "AAPL", "revenue"), pts(&[("2015", 5.0)]));
    let set = ok_opts(text, &ending_as(PeriodKind::Quarter));
    assert_eq!(
        points(&set, "CERN", "revenue"),
        pts(&[
            ("2013Q4", 1.0),
            ("2014Q4", 2.0),
            ("2015Q4", 3.0),
            ("2016Q4", 4.0)
        ])
    );
    assert_eq!(points(&set, "AAPL", "revenue"), pts(&[("2015Q3", 5.0)]));
    // The 7th of a month still counts back, the 8th does not.
    assert_eq!(points(&set, "X", "revenue"), pts(&[("2015Q2", 6.0)]));
    assert_eq!(points(&set, "Y", "revenue"), pts(&[("2015Q3", 7.0)]));
    let set = ok_opts(text, &ending_as(PeriodKind::Half));
    assert_eq!(points(&set, "X", "revenue"), pts(&[("2015H1", 6.0)]));
    assert_eq!(points(&set, "Y", "revenue"), pts(&[("2015H2", 7.0)]));
    // A quarter or a year as written ends on a month's last day and keeps its label.
    let set = ok_opts(
        "symbol,Period Ending,revenue\nA,2015Q4,1\nA,2016,2\n",
        &ending_as(PeriodKind::Year),
    );
    assert_eq!(
        points(&set, "A", "revenue"),
        pts(&[("2015", 1.0), ("2016", 2.0)])
    );
    // Read as days, the dates stay as written.
    let set = ok_opts(text, &ending_as(PeriodKind::Day));
    assert_eq!(
        points(&set, "CERN", "revenue").first(),
        Some(&("2014-01-04".to_string(), 1.0))
    );
}
