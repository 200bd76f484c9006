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
