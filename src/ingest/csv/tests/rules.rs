//! Tests of the rules of DATA_FORMATS.md's "Mistakes are errors, not empty imports": rows
//! that give one period two values.

use super::*;

/// Issue 13: two rows that the fiscal-label rule makes one period, with different values,
/// used to keep the later row silently.
#[test]
fn two_rows_for_one_period_with_different_values_are_an_error() {
    let text = "symbol,Period Ending,Total Revenue,Net Income\nCERN,2015-12-31,4425267000,539362000\nCERN,2016-01-02,4425267000,600000000\n";
    assert_eq!(
        err_opts(text, &ending_as(PeriodKind::Year)),
        "error: t.csv:3:6: CERN has two rows for 2015 (2015-12-31 on line 2, 2016-01-02 on line 3) with different values: 'Net Income' 539362000 and 600000000; keep one of them, or read the periods as written with --period-kind day"
    );
    // Read as days, they are two periods.
    let set = ok_opts(text, &ending_as(PeriodKind::Day));
    assert_eq!(points(&set, "CERN", "net_income").len(), 2);
    // The same period written twice, rows apart, and in another case: the symbol matches
    // case-insensitively.
    let text = "symbol,period,roe,pb\nA,2024,0.1,1\nB,2024,0.2,2\na,2024,0.1,3\n";
    assert_eq!(
        err(text),
        "error: t.csv:4:3: a has two rows for 2024 (2024 on line 2, 2024 on line 4) with different values: 'pb' 1 and 3; keep one of them"
    );
    // Every column that differs is counted.
    let text = "symbol,period,roe,pb,revenue\nA,2024,0.1,1,5\nA,2024,0.2,2,5\n";
    assert!(
        err(text).contains("with different values: 'roe' 0.1 and 0.2 (and 1 more column);"),
        "{}",
        err(text)
    );
}

#[test]
fn identical_rows_and_rows_that_fill_each_others_blanks_are_fine() {
    // A row repeated as it is, and percent and plain forms of one value.
    let set = ok("symbol,period,roe,pb\nA,2024,0.1,1\nA,2024,0.1,1\nA,2024,10%,\nA,2024,,1\n");
    assert_eq!(points(&set, "A", "roe").len(), 3);
    let set = ok("symbol,period,roe,pb\nA,2024,0.1,\nA,2024,,2\n");
    assert_eq!(points(&set, "A", "pb"), pts(&[("2024", 2.0)]));
}

#[test]
fn one_period_for_every_row_makes_two_rows_of_a_company_clash() {
    let opts = ImportOptions {
        period: Period::parse("2026-08-22"),
        ..ImportOptions::default()
    };
    assert_eq!(
        err_opts("Symbol,Price\nA,1\nA,2\n", &opts),
        "error: t.csv:3:1: A has two rows for 2026-08-22 (--period 2026-08-22 on line 2, --period 2026-08-22 on line 3) with different values: 'Price' 1 and 2; keep one of them"
    );
}

#[test]
fn a_long_file_that_gives_one_point_two_values_is_an_error() {
    let text = "symbol,metric,period,value\nA,roe,2024,0.1\nA,pb,2024,1\nA,return_on_equity,2024,12%\nA,roe,2024,10%\n";
    assert_eq!(
        err(text),
        "error: t.csv:4:20: A has two rows for roe at 2024 (2024 on line 2, 2024 on line 4) with different values: 0.1 and 0.12; keep one of them"
    );
    // The same value twice is one point.
    let set = ok("symbol,metric,period,value\nA,roe,2024,0.1\nA,roe,2024,10%\n");
    assert_eq!(set.point_count(), 2);
}

/// Issue 13: a misspelt `--map "Gross Margn=..."` was ignored, and the column was imported
/// under its own name without the factor.
#[test]
fn an_option_naming_a_column_the_header_lacks_is_an_error() {
    let text = "Ticker Symbol,period,Gross Margin,Net Income\nA,2015,58.0,1\n";
    let with = |maps: &[&str], skip: &[&str], symbol: &str, period: Option<&str>| ImportOptions {
        symbol_col: Some(symbol.into()),
        period_col: period.map(String::from),
        maps: maps.iter().map(|m| map(m)).collect(),
        skip: skip.iter().map(|s| s.to_string()).collect(),
        ..ImportOptions::default()
    };
    assert_eq!(
        err_opts(
            text,
            &with(
                &["Gross Margn=gross_margin*0.01"],
                &[],
                "Ticker Symbol",
                None
            )
        ),
        "error: t.csv: has no column 'Gross Margn' (--map \"Gross Margn=gross_margin\") — did you mean 'Gross Margin'? Its columns are 'Ticker Symbol', 'period', 'Gross Margin', 'Net Income'"
    );
    assert_eq!(
        err_opts(text, &with(&[], &[], "Ticker", None)),
        "error: t.csv: has no column 'Ticker' (--symbol-col) — did you mean 'Ticker Symbol'? Its columns are 'Ticker Symbol', 'period', 'Gross Margin', 'Net Income'"
    );
    assert_eq!(
        err_opts(
            text,
            &with(&[], &[], "Ticker Symbol", Some("Period Ending"))
        ),
        "error: t.csv: has no column 'Period Ending' (--period-col); its columns are 'Ticker Symbol', 'period', 'Gross Margin', 'Net Income'"
    );
    assert_eq!(
        err_opts(text, &with(&[], &["Net Incme"], "Ticker Symbol", None)),
        "error: t.csv: has no column 'Net Incme' (--skip \"Net Incme\") — did you mean 'Net Income'? Its columns are 'Ticker Symbol', 'period', 'Gross Margin', 'Net Income'"
    );
    // A map of a column --skip leaves out, of the symbol column, or two maps of one column.
    assert_eq!(
        err_opts(
            text,
            &with(
                &["Net Income=net_income"],
                &["Net Income"],
                "Ticker Symbol",
                None
            )
        ),
        "error: t.csv: --map \"Net Income=net_income\" names column 'Net Income', which --skip leaves out"
    );
    assert_eq!(
        err_opts(
            text,
            &with(&["Ticker Symbol=name"], &[], "Ticker Symbol", None)
        ),
        "error: t.csv: --map \"Ticker Symbol=name\" names column 'Ticker Symbol', which holds the symbol or the period"
    );
    assert_eq!(
        err_opts(
            text,
            &with(
                &["Net Income=earnings", "net income=x"],
                &[],
                "Ticker Symbol",
                None
            )
        ),
        "error: t.csv: --map names column 'Net Income' twice ('earnings' and 'x'): give it one map"
    );
    // Spelt right, the map applies.
    let set = ok_opts(
        text,
        &with(
            &["Gross Margin=gross_margin*0.01"],
            &[],
            "Ticker Symbol",
            None,
        ),
    );
    assert_eq!(points(&set, "A", "gross_margin"), pts(&[("2015", 0.58)]));
}

fn skipping(column: &str) -> ImportOptions {
    ImportOptions {
        skip: vec![column.to_string()],
        ..ImportOptions::default()
    }
}

#[test]
fn skip_leaves_columns_out() {
    let opts = ImportOptions {
        skip: vec!["Liabilities".into(), "note".into()],
        ..ImportOptions::default()
    };
    let set = ok_opts(
        "symbol,period,Liabilities,Total Liabilities,note\nA,2015,1,2,x\n",
        &opts,
    );
    assert_eq!(points(&set, "A", "liabilities"), pts(&[]));
    assert_eq!(
        points(&set, "A", "total_liabilities"),
        pts(&[("2015", 2.0)])
    );
    assert_eq!(attr(&set, "A", "note"), None);
    // A long file's extra column, and one of two columns that repeat a name.
    let set = ok_opts(
        "symbol,metric,period,value,note\nA,roe,2024,1,x\n",
        &skipping("note"),
    );
    assert_eq!(points(&set, "A", "roe"), pts(&[("2024", 1.0)]));
    let set = ok_opts("symbol,period,roe,ROE\nA,2024,1,2\n", &skipping("ROE"));
    assert_eq!(points(&set, "A", "roe"), pts(&[("2024", 1.0)]));
    // Leaving out the symbol column leaves no symbol.
    assert_eq!(
        err_opts("symbol,period,roe\nA,2024,1\n", &skipping("symbol"),),
        "error: t.csv: has no symbol column (name it with --symbol-col); its columns are 'symbol', 'period', 'roe'"
    );
}

#[test]
fn two_columns_for_one_metric_name_both_and_the_ways_out() {
    let opts = ImportOptions {
        maps: vec![map("Liabilities=total_liabilities")],
        ..ImportOptions::default()
    };
    assert_eq!(
        err_opts(
            "symbol,period,Liabilities,Total Liabilities\nA,2015,1,2\n",
            &opts
        ),
        "error: t.csv:1:27: columns 'Liabilities' and 'Total Liabilities' both hold metric 'total_liabilities': leave one out (--skip \"Liabilities\" or --skip \"Total Liabilities\"), or send one elsewhere with --map"
    );
    assert_eq!(
        err("symbol,period,Revenue,Total Revenue\nA,2015,1,2\n"),
        "error: t.csv:1:23: columns 'Revenue' and 'Total Revenue' both hold metric 'revenue': leave one out (--skip \"Revenue\" or --skip \"Total Revenue\"), or send one elsewhere with --map"
    );
}

/// Issue 13: the NYSE fundamentals imported without `--period-col` became 448 companies
/// with every figure a text attribute, and no points.
#[test]
fn figures_without_a_period_are_an_error_unless_it_is_a_companies_file() {
    let text = "Ticker Symbol,Period Ending,Total Revenue,Net Income,Custom\nA,2015-09-26,1,2,3\nB,2015-12-31,4,5,6\n";
    let opts = ImportOptions {
        symbol_col: Some("Ticker Symbol".into()),
        ..ImportOptions::default()
    };
    assert_eq!(
        err_opts(text, &opts),
        "error: t.csv: has no period column, so its figures would be stored as text: 'Total Revenue', 'Net Income' and 'Custom' hold numbers. Name the period column with --period-col \"Period Ending\", or give every row one period with --period (or, to store them as text, say it is a companies file with --companies)"
    );
    // One column named after a metric is enough.
    assert_eq!(
        err("symbol,name,sector,industry,Market Cap\nA,Alpha,Tech,Chips,1B\n"),
        "error: t.csv: has no period column, so its figures would be stored as text: 'Market Cap' holds numbers. Name the period column with --period-col COLUMN, or give every row one period with --period (or, to store them as text, say it is a companies file with --companies)"
    );
    // A companies file may hold a number or two (a CIK, a year founded).
    let set =
        ok("symbol,name,sector,Headquarters,CIK,Founded\nA,Alpha,Tech,Here,0000001800,1888\n");
    assert_eq!(attr(&set, "A", "cik").as_deref(), Some("0000001800"));
    // With --companies, or a period, the same file imports.
    let companies = ImportOptions {
        companies: true,
        ..opts.clone()
    };
    let set = ok_opts(text, &companies);
    assert_eq!(attr(&set, "A", "net_income").as_deref(), Some("2"));
    let with_period = ImportOptions {
        period_col: Some("Period Ending".into()),
        ..opts
    };
    let set = ok_opts(text, &with_period);
    assert_eq!(points(&set, "A", "net_income"), pts(&[("2015-09-26", 2.0)]));
}

#[test]
fn map_parses_a_factor_and_a_unit() {
    let m = map("Total Revenue=revenue_total*1000:money");
    assert_eq!(
        (m.column.as_str(), m.target.as_str(), m.factor, m.unit),
        ("Total Revenue", "revenue_total", 1000.0, Some(Unit::Money))
    );
    let m = map("Ratio: Quick=quick_ratio:ratio");
    assert_eq!(
        (m.column.as_str(), m.target.as_str(), m.unit),
        ("Ratio: Quick", "quick_ratio", Some(Unit::Ratio))
    );
    assert_eq!(map("A=b").unit, None);
    let bad = |spec: &str| ColumnMap::parse(spec).map_err(|e| e.to_string());
    assert_eq!(
        bad("A=b:usd"),
        Err("error: --map 'A=b:usd': 'usd' is not a unit (money, percent, ratio, count)".into())
    );
    assert_eq!(
        bad("A=b:score"),
        Err(
            "error: --map 'A=b:score': 'score' is not a unit (money, percent, ratio, count)".into()
        )
    );
    assert_eq!(
        bad("A=b*x"),
        Err("error: --map expects COL=METRIC[*FACTOR][:UNIT], not 'A=b*x'".into())
    );
}

/// The unit of each metric a set registers, by id.
fn units(set: &WriteSet) -> Vec<(String, Unit)> {
    let mut list: Vec<(String, Unit)> = set
        .new_metrics()
        .iter()
        .map(|d| (d.id.clone(), d.unit))
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    list
}

/// Issue 13: new money metrics were registered as ratios and printed as `128249000000.00`.
#[test]
fn a_registered_metric_gets_its_unit_from_the_map_the_catalog_or_its_values() {
    let text = "symbol,period,Lease Obligations,Cash Ratio,For Year,Headcount,Total Revenue\nA,2015,3068000000.0,0.52,2015,12000,5\nB,2015,1.5e9,12.0,2015,30,6\nC,2015,,,2016,7,7\n";
    let opts = ImportOptions {
        maps: vec![
            map("Headcount=employees:count"),
            map("Total Revenue=revenue_total"),
        ],
        ..ImportOptions::default()
    };
    assert_eq!(
        units(&ok_opts(text, &opts)),
        [
            ("cash_ratio".to_string(), Unit::Ratio),
            ("employees".to_string(), Unit::Count),
            ("for_year".to_string(), Unit::Ratio),
            ("lease_obligations".to_string(), Unit::Money),
            // Named after a catalog statement item: revenue is money.
            ("revenue_total".to_string(), Unit::Money),
        ]
    );
    // Most values decide: one money-like value among ratios is not money, and the factor
    // is applied first (thousands of dollars become dollars).
    let set = ok("symbol,period,x\nA,2015,2000000\nB,2015,0.5\nC,2015,3\n");
    assert_eq!(units(&set), [("x".to_string(), Unit::Ratio)]);
    let set = ok_opts(
        "symbol,period,Debt\nA,2015,2500\nB,2015,7000\n",
        &ImportOptions {
            maps: vec![map("Debt=debt_usd*1000")],
            ..ImportOptions::default()
        },
    );
    assert_eq!(units(&set), [("debt_usd".to_string(), Unit::Money)]);
    // A long file's new metrics follow the same rule.
    let set = ok("symbol,metric,period,value\nA,Goodwill,2015,2.5B\nA,Beta,2015,1.1\n");
    assert_eq!(
        units(&set),
        [
            ("beta".to_string(), Unit::Ratio),
            ("goodwill".to_string(), Unit::Money)
        ]
    );
}

#[test]
fn a_map_cannot_give_a_known_metric_or_an_attribute_a_unit() {
    let with = |spec: &str| ImportOptions {
        maps: vec![map(spec)],
        ..ImportOptions::default()
    };
    assert_eq!(
        err_opts("symbol,period,ROE\nA,2015,0.1\n", &with("ROE=roe:money")),
        "error: t.csv: --map \"ROE=roe\" gives metric 'roe' unit money, but it is percent in the catalog (map the column to a new metric to give it another unit)"
    );
    // Saying the unit it has is fine.
    ok_opts("symbol,period,ROE\nA,2015,0.1\n", &with("ROE=roe:percent"));
    assert_eq!(
        err_opts(
            "symbol,period,Sector\nA,2015,Tech\n",
            &with("Sector=sector:money")
        ),
        "error: t.csv: --map \"Sector=sector\" sends the column to attribute 'sector', which is text and has no unit (money)"
    );
}
