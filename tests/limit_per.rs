//! `limit N per industry|sector` (issue 16) gives DuckDB's `QUALIFY row_number() OVER
//! (PARTITION BY group ORDER BY ...) <= N` answer, on the S&P 500 snapshot the demo ships
//! (data/sp500), which DuckDB reads straight from the CSV files. Skipped when python3 with
//! duckdb is missing (a failure under CI: tests/support).

mod support;

use finq::Session;
use finq::output::{Output, Value};
use std::process::Command;

/// The snapshot as DuckDB sees it: each symbol's P/E, and its sector and sub-industry as
/// the demo's import gives them (the GICS file's, else the financials file's `Sector`,
/// which is a sub-industry).
const VIEW: &str = "
create view c as
select f.Symbol as symbol, f.\"Price/Earnings\" as pe, lower(g.\"GICS Sector\") as sector,
       lower(coalesce(g.\"GICS Sub-Industry\", f.Sector)) as industry
from read_csv('data/sp500/constituents-financials.csv') f
left join read_csv('data/sp500/constituents-gics.csv') g using (Symbol);";

/// (symbol, P/E) rows of a DuckDB query over the view.
fn duckdb(sql: &str) -> Option<Vec<(String, f64)>> {
    if !support::python_with(&["duckdb"]) {
        return None;
    }
    let program = format!(
        "import duckdb, json\ncon = duckdb.connect()\ncon.execute('''{VIEW}''')\n\
         print(json.dumps(con.execute('''{sql}''').fetchall()))"
    );
    let o = Command::new("python3")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["-c", &program])
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: Vec<(String, f64)> = serde_json::from_slice(&o.stdout).expect("json");
    Some(rows)
}

/// (symbol, P/E) rows of a finq select whose first item is pe_ttm.
fn finq(s: &mut Session, statement: &str) -> Vec<(String, f64)> {
    let out = s.execute(statement).unwrap_or_else(|e| panic!("{e}"));
    let Some(Output::Table(t)) = out.first() else {
        panic!("no table")
    };
    t.rows
        .iter()
        .map(|r| {
            let symbol = match &r[0] {
                Value::Text(s) => s.to_string(),
                other => panic!("{other:?}"),
            };
            let pe = match &r[2] {
                Value::Num(v) | Value::Quantity(v, _) => *v,
                other => panic!("{other:?}"),
            };
            (symbol, pe)
        })
        .collect()
}

fn same(finq: &[(String, f64)], duck: &[(String, f64)]) {
    assert_eq!(finq.len(), duck.len(), "{finq:?}\n{duck:?}");
    for (f, d) in finq.iter().zip(duck) {
        assert_eq!(f.0, d.0, "{finq:?}\n{duck:?}");
        assert!(
            (f.1 - d.1).abs() <= 1e-9 * d.1.abs().max(1.0),
            "{f:?} {d:?}"
        );
    }
}

#[test]
fn limit_per_group_equals_duckdb_qualify() {
    let mut s = Session::in_memory().expect("open");
    finq::demo::load_sp500(&mut s).expect("S&P 500 snapshot loads");

    // The two lowest positive P/Es of each sector, in P/E order overall.
    let Some(duck) = duckdb(
        "select symbol, pe from c where pe > 0
         qualify row_number() over (partition by sector order by pe, symbol) <= 2
         order by pe, symbol",
    ) else {
        return;
    };
    let got = finq(
        &mut s,
        "select pe_ttm where pe_ttm > 0 order by pe_ttm limit 2 per sector",
    );
    assert_eq!(
        got.len(),
        2 * 11 + 2,
        "11 sectors and the companies without one"
    );
    same(&got, &duck);

    // Top 3 of each sub-industry with `rank within`: groups in order, ranked rows only.
    let duck = duckdb(
        "select symbol, pe from c where pe is not null
         qualify row_number() over (partition by industry order by pe, symbol) <= 3
         order by industry, pe, symbol",
    )
    .expect("duckdb ran before");
    let got = finq(
        &mut s,
        "select pe_ttm rank within industry limit 3 per industry",
    );
    same(&got, &duck);

    // Highest first, per industry, within one sector.
    let duck = duckdb(
        "select symbol, pe from c where sector = 'energy' and pe is not null
         qualify row_number() over (partition by industry order by pe desc, symbol) <= 1
         order by pe desc, symbol",
    )
    .expect("duckdb ran before");
    let got = finq(
        &mut s,
        "select pe_ttm where sector = \"Energy\" and pe_ttm is not null order by pe_ttm desc limit 1 per industry",
    );
    same(&got, &duck);
}

#[test]
fn limit_per_with_by_is_an_error() {
    let mut s = Session::in_memory().expect("open");
    let e = s
        .execute("select count() by sector limit 2 per sector")
        .expect_err("an error");
    assert!(e.to_string().contains("'limit ... per'"), "{e}");
}
