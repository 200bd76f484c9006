//! Every rule of DERIVATIONS.md worked by hand on small series.

use super::*;

/// A series from `(period, value)` pairs.
fn series(points: &[(&str, f64)]) -> (Vec<u32>, Vec<f64>) {
    let mut v: Vec<(u32, f64)> = points
        .iter()
        .map(|(p, x)| (Period::parse(p).unwrap().code(), *x))
        .collect();
    v.sort_by_key(|p| p.0);
    v.into_iter().unzip()
}

fn refs(s: &[(Vec<u32>, Vec<f64>)]) -> Vec<SeriesRef<'_>> {
    s.iter()
        .map(|(c, v)| SeriesRef {
            codes: c,
            values: v,
        })
        .collect()
}

fn code(p: &str) -> u32 {
    Period::parse(p).unwrap().code()
}

/// The rule's value at a period, or the reason it has none.
fn value(id: &str, inputs: &[&[(&str, f64)]], at_period: &str) -> Result<f64, String> {
    let rule = rule_for(id).unwrap();
    let owned: Vec<_> = inputs.iter().map(|p| series(p)).collect();
    match explain(rule, &refs(&owned), code(at_period)) {
        (v, Provenance::Derived(_)) => Ok(v),
        (_, Provenance::Missing(why)) => Err(why),
        (_, Provenance::Stored) => unreachable!(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn roe_divides_by_the_average_equity_or_the_closing_one_without_a_prior() {
    let ni: &[(&str, f64)] = &[("2014", 80.0), ("2015", 100.0)];
    let eq: &[(&str, f64)] = &[("2014", 400.0), ("2015", 600.0)];
    // 2015: 100 / ((600 + 400) / 2) = 0.2.
    assert!(close(value("roe", &[ni, eq], "2015").unwrap(), 0.2));
    // 2014 has no prior equity: 80 / 400 = 0.2 as well; the avg is the point alone.
    assert!(close(value("roe", &[ni, eq], "2014").unwrap(), 0.2));
    // No equity at 2016: missing, and the reason names it.
    let ni16: &[(&str, f64)] = &[("2016", 1.0)];
    assert_eq!(
        value("roe", &[ni16, eq], "2016"),
        Err("no total_equity at 2016".to_string())
    );
}

#[test]
fn roe_is_missing_when_average_equity_is_not_positive() {
    // Equity -50 and 30: the average -10 is not above 0.
    let ni: &[(&str, f64)] = &[("2015", 10.0)];
    let eq: &[(&str, f64)] = &[("2014", -50.0), ("2015", 30.0)];
    assert_eq!(
        value("roe", &[ni, eq], "2015"),
        Err("avg(total_equity) is not above 0".to_string())
    );
    // roa has no such rule: 10 / ((-50 + 30) / 2) = -1.
    assert!(close(value("roa", &[ni, eq], "2015").unwrap(), -1.0));
}

#[test]
fn a_quarter_uses_the_flow_of_the_four_quarters_ending_there() {
    let ni: &[(&str, f64)] = &[
        ("2024Q1", 10.0),
        ("2024Q2", 20.0),
        ("2024Q3", 30.0),
        ("2024Q4", 40.0),
    ];
    let eq: &[(&str, f64)] = &[("2023Q4", 300.0), ("2024Q4", 500.0)];
    // (10 + 20 + 30 + 40) / ((500 + 300) / 2) = 100 / 400 = 0.25.
    assert!(close(value("roe", &[ni, eq], "2024Q4").unwrap(), 0.25));
    // A missing quarter leaves it missing, naming the quarter.
    let gap: &[(&str, f64)] = &[("2024Q1", 10.0), ("2024Q3", 30.0), ("2024Q4", 40.0)];
    assert_eq!(
        value("roe", &[gap, eq], "2024Q4"),
        Err("no net_income at 2024Q2 (a flow over a year needs four quarters)".to_string())
    );
    // A half: the four quarters ending 2024-06-30 are 2023Q3..2024Q2.
    let quarters: &[(&str, f64)] = &[
        ("2023Q3", 5.0),
        ("2023Q4", 5.0),
        ("2024Q1", 10.0),
        ("2024Q2", 20.0),
    ];
    let ta: &[(&str, f64)] = &[("2024H1", 160.0)];
    assert!(close(
        value("turnover", &[quarters, ta], "2024H1").unwrap(),
        40.0 / 160.0
    ));
}

#[test]
fn differences_ratios_and_growth() {
    let rev: &[(&str, f64)] = &[("2015", 100.0), ("2016", 120.0)];
    let cor: &[(&str, f64)] = &[("2015", 60.0), ("2016", 90.0)];
    assert!(close(
        value("gross_profit", &[rev, cor], "2016").unwrap(),
        30.0
    ));
    // Chained: gross_margin reads gross profit (here derived: 40 and 30) over revenue.
    let gp: &[(&str, f64)] = &[("2015", 40.0), ("2016", 30.0)];
    assert!(close(
        value("gross_margin", &[gp, rev], "2015").unwrap(),
        0.4
    ));
    // Capital expenditure of either sign is subtracted: 50 - |-20| = 30.
    let ocf: &[(&str, f64)] = &[("2016", 50.0)];
    let capex: &[(&str, f64)] = &[("2016", -20.0)];
    assert!(close(
        value("free_cash_flow", &[ocf, capex], "2016").unwrap(),
        30.0
    ));
    // Growth of a loss that narrows: (-163 - -190) / 190.
    let ni: &[(&str, f64)] = &[("2019", -190.0), ("2020", -163.0)];
    assert!(close(
        value("net_profit_yoy", &[ni], "2020").unwrap(),
        27.0 / 190.0
    ));
    assert_eq!(
        value("net_profit_yoy", &[ni], "2019"),
        Err("no net_income at 2018".to_string())
    );
    // Division by zero is missing.
    let zero: &[(&str, f64)] = &[("2016", 0.0)];
    assert_eq!(
        value("profit_margin", &[ocf, zero], "2016"),
        Err("division by zero".to_string())
    );
}

#[test]
fn stored_points_win_and_derived_ones_fill_the_other_periods() {
    let rule = rule_for("profit_margin").unwrap();
    let stored = series(&[("2015", 0.5)]);
    let owned = vec![
        series(&[("2015", 10.0), ("2016", 30.0)]),
        series(&[("2015", 100.0), ("2016", 100.0)]),
    ];
    let (mut scratch, mut codes, mut values) = (Vec::new(), Vec::new(), Vec::new());
    derive_series(
        rule.formula,
        SeriesRef {
            codes: &stored.0,
            values: &stored.1,
        },
        &refs(&owned),
        &mut scratch,
        &mut codes,
        &mut values,
    );
    // 2015 keeps its stored 0.5 (never 10/100); 2016 is derived 30/100.
    assert_eq!(codes, [code("2015"), code("2016")]);
    assert_eq!(values, [0.5, 0.3]);
}

#[test]
fn total_equity_and_total_liabilities_derive_each_other_from_stored_points_only() {
    let te = rule_for("total_equity").unwrap();
    let tl = rule_for("total_liabilities").unwrap();
    assert!(te.inputs[1].stored_only && te.inputs[1].id == "total_liabilities");
    assert!(tl.inputs[1].stored_only && tl.inputs[1].id == "total_equity");
    let ta: &[(&str, f64)] = &[("2015", 1000.0)];
    let liab: &[(&str, f64)] = &[("2015", 700.0)];
    assert!(close(
        value("total_equity", &[ta, liab], "2015").unwrap(),
        300.0
    ));
}

#[test]
fn market_multiples_use_the_latest_statement_within_15_months() {
    let price: &[(&str, f64)] = &[("2016-03-01", 10.0)];
    let shares: &[(&str, f64)] = &[("2014", 90.0), ("2015", 100.0)];
    // 10 * 100 (FY 2015, the latest statement on or before the day).
    assert!(close(
        value("market_cap", &[price, shares], "2016-03-01").unwrap(),
        1000.0
    ));
    // More than 15 months after the last statement: missing.
    let late: &[(&str, f64)] = &[("2017-04-01", 10.0)];
    assert_eq!(
        value("market_cap", &[late, shares], "2017-04-01"),
        Err("no shares_outstanding statement within 15 months before the day".to_string())
    );
    // At a fiscal year, a multiple is not derived (it needs a day's price).
    assert_eq!(
        value("market_cap", &[shares, shares], "2015"),
        Err("a market multiple is derived at a day's price".to_string())
    );
    // P/E over the trailing twelve months: four quarters newer than the last fiscal year.
    let cap: &[(&str, f64)] = &[("2016-08-15", 1200.0)];
    let ni: &[(&str, f64)] = &[
        ("2015", 40.0),
        ("2015Q3", 9.0),
        ("2015Q4", 11.0),
        ("2016Q1", 12.0),
        ("2016Q2", 13.0),
    ];
    // TTM = 9 + 11 + 12 + 13 = 45 (2016Q2 is newer than FY 2015): 1200 / 45.
    assert!(close(
        value("pe_ttm", &[cap, ni], "2016-08-15").unwrap(),
        1200.0 / 45.0
    ));
    // Without newer quarters, the fiscal year: 1200 / 40.
    let annual: &[(&str, f64)] = &[("2015", 40.0)];
    assert!(close(
        value("pe_ttm", &[cap, annual], "2016-08-15").unwrap(),
        30.0
    ));
    // A loss gives a negative P/E.
    let loss: &[(&str, f64)] = &[("2015", -60.0)];
    assert!(close(
        value("pe_ttm", &[cap, loss], "2016-08-15").unwrap(),
        -20.0
    ));
    // Dividend yield: |dividends paid| over the trailing year / market cap: 24 / 1200.
    let paid: &[(&str, f64)] = &[("2015", -24.0)];
    assert!(close(
        value("dividend_yield", &[paid, cap], "2016-08-15").unwrap(),
        0.02
    ));
}

#[test]
fn provenance_names_each_input_and_period_used() {
    let rule = rule_for("roe").unwrap();
    let owned = vec![
        series(&[("2015", 100.0)]),
        series(&[("2014", 400.0), ("2015", 600.0)]),
    ];
    let (v, p) = explain(rule, &refs(&owned), code("2015"));
    assert!(close(v, 0.2));
    assert_eq!(
        p,
        Provenance::Derived(vec![
            ("net_income", code("2015")),
            ("total_equity", code("2015")),
            ("total_equity", code("2014")),
        ])
    );
}

#[test]
fn ttm_sums_four_quarters_or_takes_the_year() {
    let (c, v) = series(&[
        ("2023", 70.0),
        ("2024Q1", 10.0),
        ("2024Q2", 20.0),
        ("2024Q3", 30.0),
        ("2024Q4", 40.0),
        ("2024", 100.0),
    ]);
    let s = SeriesRef {
        codes: &c,
        values: &v,
    };
    let idx = |p: &str| c.binary_search(&code(p)).unwrap();
    assert_eq!(ttm(&s, idx("2024Q4")), 100.0);
    assert_eq!(ttm(&s, idx("2024")), 100.0);
    assert_eq!(ttm(&s, idx("2023")), 70.0);
    // 2024Q3: the four quarters ending there include 2023Q4, which is missing; no fiscal
    // year ends on 2024-09-30: missing.
    assert!(ttm(&s, idx("2024Q3")).is_nan());
}

#[test]
fn every_rule_reads_its_formula() {
    assert_eq!(
        rule_for("roe").unwrap().text(),
        "net_income / avg(total_equity); missing when the average is not above 0"
    );
    assert_eq!(
        rule_for("free_cash_flow").unwrap().text(),
        "operating_cash_flow - |capital_expenditure|"
    );
    assert_eq!(rule_for("revenue_yoy").unwrap().text(), "yoy(revenue)");
    for r in RULES {
        assert!(
            !r.inputs.iter().any(|i| i.id == r.id),
            "{} uses itself",
            r.id
        );
    }
}
