//! `finq sql`: a select, bound and planned by finq's own planner, written as ONE SQL query
//! over the views of an export (`companies`, `points`; SCALE.md) that gives the same rows,
//! in the same order, with the same columns, in DuckDB or Spark SQL.
//!
//! The query is a chain of CTEs: each metric's series (stored points, merged with derived
//! ones where a rule of DERIVATIONS.md applies), each company's point at the selection's
//! period, each time-series function; then `finq_base` (one row per company of the source,
//! every value it needs), `finq_rows` (the filter), `finq_items` (items, rank and order
//! keys, cross-sectional functions as window functions over the kept rows) and the final
//! order and limit. What cannot be written so that it answers exactly as finq does is an
//! error naming the construct.

mod expr;
mod score;
mod series;
mod shape;

use crate::error::{Error, Result};
use crate::query::exec::Env;
use crate::query::plan::{SelectPlan, SourcePlan};
use std::collections::HashMap;

/// The SQL dialect written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Spark,
}

impl Dialect {
    pub fn parse(s: &str) -> Option<Dialect> {
        match s.to_ascii_lowercase().as_str() {
            "duckdb" => Some(Dialect::DuckDb),
            "spark" | "sparksql" | "spark-sql" => Some(Dialect::Spark),
            _ => None,
        }
    }

    /// A quoted identifier.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::DuckDb => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
        }
    }

    /// A string literal (Spark reads backslashes in literals as escapes).
    pub fn text(self, s: &str) -> String {
        match self {
            Dialect::DuckDb => format!("'{}'", s.replace('\'', "''")),
            Dialect::Spark => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        }
    }

    pub fn date(self, iso: &str) -> String {
        format!("DATE '{iso}'")
    }

    /// The date `months` months before a date expression (the day clamped to the month's
    /// length, as finq's year before does).
    pub fn months_before(self, date: &str, months: usize) -> String {
        match self {
            Dialect::DuckDb => format!("CAST({date} - INTERVAL {months} MONTH AS DATE)"),
            Dialect::Spark => format!("add_months({date}, -{months})"),
        }
    }

    /// Days from `from` to `to`.
    pub fn days_between(self, to: &str, from: &str) -> String {
        match self {
            Dialect::DuckDb => format!("date_diff('day', {from}, {to})"),
            Dialect::Spark => format!("datediff({to}, {from})"),
        }
    }

    /// The q-quantile interpolating linearly between neighbours (finq's `median`, `pct`).
    pub fn quantile(self, x: &str, q: f64) -> String {
        match self {
            Dialect::DuckDb => format!("quantile_cont({x}, {})", number(q)),
            Dialect::Spark => format!("percentile({x}, {})", number(q)),
        }
    }

    /// The comment that leads the query: how to register the views over an export.
    fn preamble(self) -> String {
        match self {
            Dialect::DuckDb => "\
-- finq sql (DuckDB): run over the views of an export (finq export DIR):
--   CREATE VIEW companies AS SELECT * FROM read_parquet('DIR/companies.parquet');
--   CREATE VIEW points AS SELECT * FROM read_parquet('DIR/points/*/*.parquet', hive_partitioning = true);
--   CREATE VIEW catalog AS SELECT * FROM read_parquet('DIR/catalog.parquet');
"
            .into(),
            Dialect::Spark => "\
-- finq sql (Spark SQL): run over the views of an export (finq export DIR), e.g. spark-sql -f:
--   CREATE TEMPORARY VIEW companies USING parquet OPTIONS (path 'DIR/companies.parquet');
--   CREATE TEMPORARY VIEW points USING parquet OPTIONS (path 'DIR/points');
--   CREATE TEMPORARY VIEW catalog USING parquet OPTIONS (path 'DIR/catalog.parquet');
"
            .into(),
        }
    }
}

/// A number literal that both engines read as a DOUBLE.
pub fn number(v: f64) -> String {
    if v.is_nan() {
        return "CAST(NULL AS DOUBLE)".into();
    }
    let s = format!("{:e}", v.abs());
    let s = s.replace("e", "E");
    if v < 0.0 { format!("(-{s})") } else { s }
}

/// The error for a construct that has no translation.
pub fn unsupported(what: &str) -> Error {
    Error::Data(format!(
        "finq sql cannot translate {what}: run it in finq, or leave it out of the query"
    ))
}

/// The SQL has no exchange rates: a select reading money (or a multiple derived from a
/// market item and a statement item, which may be in two currencies) on a database whose
/// companies name currencies is refused, never translated into a query that would compare
/// yuan with dollars. Ratios of one basis (margins, growth) are translated as before.
fn refuse_currencies(env: &mut Env, plan: &crate::query::plan::SelectPlan) -> Result<()> {
    if env.cache.fx(env.db)?.is_none() {
        return Ok(());
    }
    let catalog = env.db.shared_catalog();
    let basis = |id: &str| catalog.get(id).and_then(crate::model::currency::basis_of);
    for read in &plan.reads {
        let mixed_bases = crate::analysis::derive::rule_for(&read.metric).is_some_and(|r| {
            let mut bases = r.inputs.iter().filter_map(|i| basis(i.id));
            bases.next().is_some_and(|b| bases.any(|o| o != b))
        });
        if basis(&read.metric).is_some() || mixed_bases {
            return Err(unsupported(&format!(
                "{} on a database whose companies name currencies (finq converts money to the \
                 base currency; the SQL has no exchange rates)",
                read.metric
            )));
        }
    }
    Ok(())
}

/// The state of one translation: the CTEs written so far and what they hold.
pub(crate) struct Gen<'g, 'e> {
    pub(crate) env: &'g mut Env<'e>,
    pub(crate) d: Dialect,
    ctes: Vec<(String, String)>,
    series_names: HashMap<String, String>,
    anchor_names: HashMap<String, String>,
    prior_names: HashMap<String, String>,
    depth: usize,
    /// Columns of `finq_base` beyond the company's attributes: (expression, name).
    base: Vec<(String, String)>,
    /// Joins of `finq_base`: (CTE, alias).
    joins: Vec<(String, String)>,
}

impl Gen<'_, '_> {
    fn cte(&mut self, prefix: &str, body: String) -> String {
        if let Some((name, _)) = self.ctes.iter().find(|(_, b)| *b == body) {
            return name.clone();
        }
        let name = format!("finq_{prefix}{}", self.ctes.len());
        self.ctes.push((name.clone(), body));
        name
    }

    /// A per-company value joined into `finq_base` from a CTE with `symbol` and `column`:
    /// the name of the base column holding it.
    fn base_column(&mut self, cte: &str, column: &str) -> String {
        let expr = format!("{cte}.{column}");
        if let Some((_, name)) = self.base.iter().find(|(e, _)| *e == expr) {
            return name.clone();
        }
        if !self.joins.iter().any(|(c, _)| c == cte) {
            self.joins.push((cte.to_string(), cte.to_string()));
        }
        let name = format!("finq_c{}", self.base.len());
        self.base.push((expr, name.clone()));
        name
    }
}

/// Translates one statement (a select) into a query of `dialect`.
pub fn translate(env: &mut Env, text: &str, dialect: Dialect) -> Result<String> {
    let statements = crate::query::parse_script(text)?;
    let [statement] = statements.as_slice() else {
        return Err(Error::Usage(format!(
            "finq sql translates one statement; {} were given",
            statements.len()
        )));
    };
    let select = match &statement.statement {
        crate::query::ast::Statement::Select(s) => s,
        other => {
            return Err(unsupported(&format!(
                "the statement '{}' (only select is translated)",
                statement_word(other)
            )));
        }
    };
    let plan = crate::query::plan::plan_select(env, select, 0)?;
    refuse_currencies(env, &plan)?;
    let mut g = Gen {
        env,
        d: dialect,
        ctes: Vec::new(),
        series_names: HashMap::new(),
        anchor_names: HashMap::new(),
        prior_names: HashMap::new(),
        depth: 0,
        base: Vec::new(),
        joins: Vec::new(),
    };
    let body = g.select(&plan)?;
    let mut out = dialect.preamble();
    out.push_str(&format!("-- {}\n", text.trim().replace('\n', " ")));
    out.push_str("WITH\n");
    // DuckDB inlines CTEs it sees used once, and some inlined plans (a derived series under
    // a top-N) grow without bound; computing each CTE once is what the query means anyway.
    let materialized = match dialect {
        Dialect::DuckDb => "MATERIALIZED ",
        Dialect::Spark => "",
    };
    let ctes: Vec<String> = g
        .ctes
        .iter()
        .map(|(n, b)| format!("{n} AS {materialized}({b})"))
        .collect();
    out.push_str(&ctes.join(",\n"));
    out.push('\n');
    out.push_str(&body);
    Ok(out)
}

fn statement_word(s: &crate::query::ast::Statement) -> String {
    use crate::query::ast::Statement as S;
    match s {
        S::Series { .. } => "series",
        S::Score { .. } => "score",
        S::Peers { .. } => "peers of",
        S::Valuation { .. } => "valuation",
        S::FScore { .. } => "fscore",
        S::Describe { .. } | S::DescribeMetric { .. } => "describe",
        S::Show(_) => "show",
        S::Explain(_) => "explain",
        _ => "a write or definition",
    }
    .to_string()
}

impl Gen<'_, '_> {
    /// The select: CTEs are gathered in `self`; returns the final part of the query.
    fn select(&mut self, plan: &SelectPlan) -> Result<String> {
        let d = self.d;
        // The source: every company, or one industry's or sector's members.
        let source = match &plan.source {
            SourcePlan::All => None,
            SourcePlan::Rows { label, .. } => {
                let (attr, value) = label
                    .split_once(' ')
                    .filter(|(a, _)| *a == "industry" || *a == "sector")
                    .ok_or_else(|| unsupported(&format!("'from {label}'")))?;
                let value = value.trim_matches('"');
                Some(format!(
                    "lower(c.{}) = lower({})",
                    d.ident(attr),
                    d.text(value)
                ))
            }
            SourcePlan::Screen { name, .. } => {
                return Err(unsupported(&format!("'from screen {}'", name.name)));
            }
        };
        let mut conditions: Vec<String> = source.into_iter().collect();
        for (attr, value) in &plan.index {
            conditions.push(format!(
                "lower(c.{}) = lower({})",
                d.ident(attr),
                d.text(value)
            ));
        }
        let filter = match &plan.filter {
            Some((b, _)) => {
                if b.expr.has_cross() {
                    return Err(unsupported(
                        "a cross-sectional function (pct_rank, zscore, grade) in 'where'",
                    ));
                }
                Some(self.row(plan, &b.expr)?.sql)
            }
            None => None,
        };
        if plan.grouped {
            self.grouped(plan, conditions, filter)
        } else {
            self.rows(plan, conditions, filter)
        }
    }

    /// `finq_base`: the source companies with every per-company value the query reads.
    fn base(&mut self, conditions: &[String]) -> String {
        let mut cols = vec!["c.*".to_string(), "upper(c.symbol) AS finq_key".to_string()];
        cols.extend(self.base.iter().map(|(e, n)| format!("{e} AS {n}")));
        let mut from = "companies c".to_string();
        for (cte, alias) in &self.joins {
            from.push_str(&format!(
                " LEFT JOIN {cte} {alias} ON {alias}.symbol = c.symbol"
            ));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        format!("SELECT {} FROM {from}{filter}", cols.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_read_the_same_in_both_dialects() {
        assert_eq!(number(0.15), "1.5E-1");
        assert_eq!(number(1e9), "1E9");
        assert_eq!(number(-2.5), "(-2.5E0)");
        assert_eq!(number(f64::NAN), "CAST(NULL AS DOUBLE)");
        assert_eq!(Dialect::DuckDb.text("O'Neil"), "'O''Neil'");
        assert_eq!(Dialect::Spark.text("O'Neil \\ Co"), "'O\\'Neil \\\\ Co'");
        assert_eq!(Dialect::DuckDb.ident("pe \"x\""), "\"pe \"\"x\"\"\"");
        assert_eq!(
            Dialect::Spark.ident("cagr(revenue, 5)"),
            "`cagr(revenue, 5)`"
        );
        assert_eq!(Dialect::parse("Spark"), Some(Dialect::Spark));
        assert_eq!(Dialect::parse("postgres"), None);
    }

    #[test]
    fn a_select_becomes_one_query_and_other_statements_are_refused() {
        let mut s = crate::Session::in_memory().unwrap();
        s.execute("set A.US roe at 2024Q4 = 12%; set A.US industry = \"Tools\"")
            .unwrap();
        let sql = s
            .sql(
                "select roe, yoy(roe) where industry = \"tools\" rank limit 5",
                Dialect::DuckDb,
            )
            .unwrap();
        assert!(sql.starts_with("-- finq sql (DuckDB)"), "{sql}");
        assert!(sql.contains("read_parquet("), "{sql}");
        assert!(
            sql.contains("lower(c.\"industry\") = lower('tools')"),
            "{sql}"
        );
        assert!(sql.trim_end().ends_with("LIMIT 5"), "{sql}");
        let spark = s.sql("select roe by industry", Dialect::Spark).unwrap_err();
        assert!(spark.to_string().contains("aggregate"), "{spark}");
        for (q, word) in [
            ("score A.US", "'score'"),
            (
                "select pct_rank(roe) where pct_rank(roe) > 0.5",
                "cross-sectional",
            ),
            ("select grade(roe)", "grade()"),
            ("select roe from screen x", "screen"),
            ("select yoy(roe / 2)", "arithmetic"),
        ] {
            let e = s.sql(q, Dialect::Spark).unwrap_err().to_string();
            assert!(
                e.contains("cannot translate") && e.contains(word) || e.contains("unknown screen"),
                "{q}: {e}"
            );
        }
    }
}
