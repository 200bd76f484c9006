//! Tests of the CSV reader's errors: each names the file, line and column, and the reason.

use super::*;

#[test]
fn bad_number_on_line_3_names_file_line_and_column() {
    let text = "symbol,period,roe,pb\nA,2024,0.1,1.2\nB,2024,0.5,x1\n";
    assert_eq!(
        err(text),
        "error: t.csv:3:12: 'x1' in column 'pb' is not a number"
    );
    // Columns count characters, not bytes.
    let text = "symbol,period,name,pb\nA,2024,Zürich AG,1\nB,2024,Köln,x1\n";
    assert_eq!(
        err(text),
        "error: t.csv:3:13: 'x1' in column 'pb' is not a number"
    );
    let e = read_opts(
        "symbol,period,roe,pb\nA,2024,0.1,1.2\nB,2024,0.5,x1\n",
        &ImportOptions::default(),
    );
    assert!(
        matches!(
            e,
            Err(Error::Import {
                line: 3,
                column: 12,
                ..
            })
        ),
        "{e:?}"
    );
}

#[test]
fn bad_period_names_the_cell_and_the_text() {
    assert_eq!(
        err("symbol,period,roe\nA,2024Q1,1\nB,2024Q5,2\n"),
        "error: t.csv:3:3: '2024Q5' is not a period (write 2024, 2024H1, 2024Q3 or 2024-06-30)"
    );
    assert_eq!(
        err("symbol,period,roe\nA,,1\n"),
        "error: t.csv:2:3: missing period (column 'period')"
    );
}

#[test]
fn missing_symbol_is_an_error() {
    assert_eq!(
        err("name,symbol\nAlpha,A\nBeta,  \n"),
        "error: t.csv:3:6: missing symbol (column 'symbol')"
    );
    assert_eq!(
        err("name,industry\nAlpha,x\n"),
        "error: t.csv: has no symbol column (name it with --symbol-col); its columns are 'name', 'industry'"
    );
    let opts = ImportOptions {
        symbol_col: Some("Ticker Symbol".into()),
        ..ImportOptions::default()
    };
    assert!(
        err_opts("symbol,name\nA,x\n", &opts)
            .starts_with("error: t.csv: has no column 'Ticker Symbol'")
    );
}

#[test]
fn long_shape_rejects_extra_columns() {
    assert_eq!(
        err("symbol,metric,period,value,note\nA,roe,2024,1,x\n"),
        "error: t.csv:1:28: column 'note' does not belong in a long file (its columns are symbol, metric, period, value; leave it out with --skip \"note\")"
    );
    assert_eq!(
        err("symbol,metric,period,value\nA,roe,2024,abc\n"),
        "error: t.csv:2:12: 'abc' in column 'value' is not a number"
    );
    assert_eq!(
        err("symbol,metric,period,value\nA,,2024,1\n"),
        "error: t.csv:2:3: missing metric"
    );
}

#[test]
fn empty_and_header_only_files() {
    assert_eq!(err(""), "error: t.csv: is empty");
    assert_eq!(err("\u{feff}\r\n"), "error: t.csv: is empty");
    let set = ok("symbol,period,roe,Some New Metric\n");
    assert!(set.is_empty() && set.point_count() == 0, "{set:?}");
}

#[test]
fn duplicate_and_clashing_columns_are_errors() {
    assert_eq!(
        err("symbol,roe,ROE\nA,1,2\n"),
        "error: t.csv:1:12: column 'ROE' repeats column 'roe' (leave one out with --skip \"ROE\")"
    );
    assert_eq!(
        err("symbol,period,pe,P/E (TTM)\nA,2024,1,2\n"),
        "error: t.csv:1:18: columns 'pe' and 'P/E (TTM)' both hold metric 'pe_ttm': leave one out (--skip \"pe\" or --skip \"P/E (TTM)\"), or send one elsewhere with --map"
    );
}

#[test]
fn a_column_without_a_name_is_skipped() {
    let set = ok(",symbol,period,roe\r\n0,A,2024,0.1\r\n1,B,2024,0.2\r\n");
    assert_eq!(points(&set, "B", "roe"), pts(&[("2024", 0.2)]));
    assert!(set.new_metrics().is_empty());
    assert!(set.companies().all(|(_, attrs)| attrs.is_empty()));
}

#[test]
fn ragged_rows_and_bad_utf8_are_errors_at_their_place() {
    assert_eq!(
        err("symbol,period,roe\nA,2024,1\n  \n"),
        "error: t.csv:3:3: this row has 1 field but the header has 3"
    );
    assert_eq!(
        err("symbol,period,roe\nA,2024\n"),
        "error: t.csv:2:7: this row has 2 fields but the header has 3"
    );
    assert_eq!(
        err("symbol,period,roe\nA,2024,1,2\n   \n"),
        "error: t.csv:2:10: this row has 4 fields but the header has 3"
    );
    let bytes = b"symbol,name\nA,ok\nB,\xff\xfe\n";
    let e = read(
        "t.csv",
        bytes,
        &ImportOptions::default(),
        &Catalog::builtin(),
        &mut |_| {},
    );
    assert_eq!(
        e.map(|_| ()).map_err(|e| e.to_string()),
        Err("error: t.csv:3:3: column 'name' holds text that is not UTF-8".to_string())
    );
}

#[test]
fn progress_ends_at_the_file_size() {
    let text = "symbol,period,roe\nA,2024,1\n";
    let mut seen = Vec::new();
    let r = read(
        "t.csv",
        text.as_bytes(),
        &ImportOptions::default(),
        &Catalog::builtin(),
        &mut |b| seen.push(b),
    );
    assert!(r.is_ok());
    assert_eq!(seen.last().copied(), Some(text.len() as u64));
}

#[test]
fn locate_finds_fields_past_quotes() {
    let text = b"a,b\n\"x\"\"\ny\",z\n";
    assert_eq!(locate(text, 4, 0), (2, 1));
    assert_eq!(locate(text, 4, 1), (3, 4));
    // A field past the end of the record points just after its last character.
    assert_eq!(locate(text, 4, 5), (3, 5));
    assert_eq!(locate(text, 999, 3), (4, 1));
}

proptest::proptest! {
    #[test]
    fn no_input_panics(text in "[a-z0-9,\"\n\r.%-]{0,80}", period in proptest::bool::ANY) {
        let opts = ImportOptions {
            period: period.then_some(Period::Year(2024)),
            ..ImportOptions::default()
        };
        for head in ["symbol,period,roe,name\n", "symbol,metric,period,value\n", "symbol,x\n", ""] {
            let _ = read_opts(&format!("{head}{text}"), &opts);
        }
    }
}
