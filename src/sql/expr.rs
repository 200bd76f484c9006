//! Bound expressions as SQL, row by row and group by group, and the two shapes of a select
//! (rows of companies, or groups made with `by`).
//!
//! finq's conditions are two-valued (a comparison with a missing value is false, so `not`
//! of it is true), SQL's three-valued: every comparison is wrapped in `COALESCE(..., FALSE)`.
//! A division by zero is missing in finq: divisors go through `NULLIF(..., 0)`. Text
//! compares ignoring case: both sides are lower-cased.

use super::score::grade;
use super::{Gen, number, unsupported};
use crate::error::{Error, Result};
use crate::query::ast::BinOp;
use crate::query::bind::{AggFn, BExpr, CrossFn, ScoreCol, Ty};
use crate::query::plan::SelectPlan;

/// An expression's SQL and its type.
pub(super) struct Sql {
    pub sql: String,
    pub ty: Ty,
}

fn num(sql: String) -> Sql {
    Sql { sql, ty: Ty::Num }
}

fn boolean(sql: String) -> Sql {
    Sql { sql, ty: Ty::Bool }
}

fn cmp_op(op: BinOp) -> &'static str {
    match op {
        BinOp::Eq => "=",
        BinOp::Ne => "<>",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        _ => ">=",
    }
}

impl Gen<'_, '_> {
    /// A per-company expression over the columns of `finq_base`.
    pub(super) fn row(&mut self, plan: &SelectPlan, e: &BExpr) -> Result<Sql> {
        let d = self.d;
        Ok(match e {
            BExpr::Num(v) => num(number(*v)),
            BExpr::Null => num("CAST(NULL AS DOUBLE)".into()),
            BExpr::Text(s) => Sql {
                sql: d.text(s),
                ty: Ty::Text,
            },
            BExpr::Metric(slot) => {
                let a = self.anchor(&plan.reads[*slot].metric, plan.at)?;
                num(self.base_column(&a, "value"))
            }
            BExpr::MetricAt(slot, p) => {
                let a = self.anchor(&plan.reads[*slot].metric, Some(*p))?;
                num(self.base_column(&a, "value"))
            }
            BExpr::Attr(name) => Sql {
                sql: if name == "symbol" || plan.companies.attribute_names.contains(name) {
                    d.ident(name)
                } else {
                    "CAST(NULL AS STRING)".into()
                },
                ty: Ty::Text,
            },
            BExpr::Item(k) => {
                let item = plan
                    .items
                    .get(*k)
                    .ok_or_else(|| Error::Data("an alias cannot be used here".into()))?;
                self.row(plan, &item.bound.expr)?
            }
            BExpr::Neg(a) => num(format!("(-{})", self.row(plan, a)?.sql)),
            BExpr::Not(a) => boolean(format!("(NOT {})", self.row(plan, a)?.sql)),
            BExpr::Bin(op, a, b) => {
                let (x, y) = (self.row(plan, a)?, self.row(plan, b)?);
                binary(*op, x, y)
            }
            BExpr::IsNull(a, negated) => {
                let x = self.row(plan, a)?;
                if x.ty == Ty::Bool {
                    boolean(if *negated { "TRUE" } else { "FALSE" }.into())
                } else {
                    let not = if *negated { "NOT " } else { "" };
                    boolean(format!("({} IS {not}NULL)", x.sql))
                }
            }
            BExpr::InList(a, list, negated) => {
                let x = self.row(plan, a)?;
                let text = x.ty == Ty::Text;
                let lower = |s: String| if text { format!("lower({s})") } else { s };
                let mut items = Vec::new();
                for item in list {
                    items.push(lower(self.row(plan, item)?.sql));
                }
                let not = if *negated { "NOT " } else { "" };
                boolean(format!(
                    "({x} IS NOT NULL AND {not}COALESCE({lx} IN ({}), FALSE))",
                    items.join(", "),
                    x = x.sql,
                    lx = lower(x.sql.clone())
                ))
            }
            BExpr::Between(a, lo, hi, negated) => {
                let (x, lo, hi) = (
                    self.row(plan, a)?.sql,
                    self.row(plan, lo)?.sql,
                    self.row(plan, hi)?.sql,
                );
                let not = if *negated { "NOT " } else { "" };
                boolean(format!(
                    "({x} IS NOT NULL AND {lo} IS NOT NULL AND {hi} IS NOT NULL AND \
                     {not}({x} BETWEEN {lo} AND {hi}))"
                ))
            }
            BExpr::Like(a, pattern, negated) => {
                let x = self.row(plan, a)?;
                let not = if *negated { "NOT " } else { "" };
                boolean(format!(
                    "COALESCE(lower({}) {not}LIKE {}, FALSE)",
                    x.sql,
                    d.text(&pattern.to_lowercase())
                ))
            }
            BExpr::Ts(f, arg, k) => {
                let BExpr::Metric(slot) = &**arg else {
                    return Err(unsupported(
                        "a time-series function of arithmetic on metrics (write it of one metric)",
                    ));
                };
                let t = self.ts_function(*f, &plan.reads[*slot].metric, *k, plan.at)?;
                let column = self.base_column(&t, "v");
                Sql {
                    sql: column,
                    ty: if *f == crate::query::bind::TsFn::PeriodOf {
                        Ty::Text
                    } else {
                        Ty::Num
                    },
                }
            }
            BExpr::Cross(f, arg, group, lower) => {
                if arg.has_cross() {
                    return Err(unsupported("a cross-sectional function of another"));
                }
                let x = self.row(plan, arg)?.sql;
                let part = group
                    .map(|g| format!("PARTITION BY lower({}) ", d.ident(g.attr())))
                    .unwrap_or_default();
                match f {
                    CrossFn::PctRank => {
                        let by_value = match group {
                            Some(g) => format!("PARTITION BY lower({}), {x}", d.ident(g.attr())),
                            None => format!("PARTITION BY {x}"),
                        };
                        let pct = format!(
                            "CASE WHEN {x} IS NULL THEN NULL \
                             WHEN count({x}) OVER ({part}) = 1 THEN 0.5E0 \
                             ELSE (rank() OVER ({part}ORDER BY {x} ASC NULLS LAST) - 1 \
                             + (count({x}) OVER ({by_value}) + 1) / 2.0E0 - 1) \
                             / (count({x}) OVER ({part}) - 1) END"
                        );
                        num(if *lower { format!("(1 - {pct})") } else { pct })
                    }
                    CrossFn::Zscore => num(format!(
                        "(({x}) - avg({x}) OVER ({part})) / NULLIF(stddev_samp({x}) OVER ({part}), 0)"
                    )),
                    CrossFn::Grade => {
                        return Err(unsupported("grade() (grades within peer groups)"));
                    }
                }
            }
            BExpr::Agg(..) => {
                return Err(Error::Data(
                    "an aggregate needs 'by', or every item to be an aggregate".into(),
                ));
            }
            BExpr::Score(col, card) => self.score_column(plan, *col, *card)?,
            BExpr::FScore => {
                let f = self.fscores(plan)?;
                num(self.base_column(&f, "fscore"))
            }
        })
    }

    /// A computed column of a scorecard or the F-score, per company.
    fn score_column(&mut self, plan: &SelectPlan, col: ScoreCol, card: usize) -> Result<Sql> {
        let card =
            plan.cards.get(card).cloned().ok_or_else(|| {
                Error::Data("internal error: the scorecard was not planned".into())
            })?;
        let k = self.scorecard(plan, &card)?;
        let text = |sql: String| Sql { sql, ty: Ty::Text };
        Ok(match col {
            ScoreCol::Score => num(self.base_column(&k, "score")),
            ScoreCol::IndustryRank => num(self.base_column(&k, "industry_rank")),
            ScoreCol::ScoreGrade => text(grade(&self.base_column(&k, "score"))),
            ScoreCol::DimGrade(d) if d < card.dimensions.len() => {
                text(grade(&self.base_column(&k, &format!("dim{d}"))))
            }
            _ => return Err(unsupported("a dimension grade the scorecard does not have")),
        })
    }

    /// An expression of aggregates, per group of `finq_rows`.
    pub(super) fn group(&mut self, plan: &SelectPlan, e: &BExpr) -> Result<String> {
        Ok(match e {
            BExpr::Agg(AggFn::Count, None, _) => "count(*)".into(),
            BExpr::Agg(f, Some(arg), q) => {
                if arg.has_cross() {
                    return Err(unsupported("an aggregate of a cross-sectional function"));
                }
                let x = self.row(plan, arg)?;
                let v = &x.sql;
                match f {
                    AggFn::Count if x.ty == Ty::Bool => "count(*)".to_string(),
                    AggFn::Count => format!("count({v})"),
                    AggFn::Sum => format!("sum({v})"),
                    AggFn::Avg => format!("avg({v})"),
                    AggFn::Median => self.d.quantile(v, 0.5),
                    AggFn::Pct => self.d.quantile(v, *q),
                    AggFn::Min => format!("min({v})"),
                    AggFn::Max => format!("max({v})"),
                    AggFn::Stddev => format!("stddev_samp({v})"),
                }
            }
            BExpr::Num(v) => number(*v),
            BExpr::Null => "CAST(NULL AS DOUBLE)".into(),
            BExpr::Neg(a) => format!("(-{})", self.group(plan, a)?),
            BExpr::Item(k) => match plan.items.get(*k) {
                Some(item) if item.bound.ty == Ty::Num => self.group(plan, &item.bound.expr)?,
                _ => "CAST(NULL AS DOUBLE)".into(),
            },
            BExpr::Bin(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div), a, b) => {
                let (x, y) = (self.group(plan, a)?, self.group(plan, b)?);
                binary(*op, num(x), num(y)).sql
            }
            _ => {
                return Err(Error::Data(
                    "an item of a grouped select must be an aggregate or a 'by' key".into(),
                ));
            }
        })
    }
}

fn binary(op: BinOp, x: Sql, y: Sql) -> Sql {
    match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul => {
            num(format!("({} {} {})", x.sql, op.symbol(), y.sql))
        }
        BinOp::Div => num(format!("({} / NULLIF({}, 0))", x.sql, y.sql)),
        BinOp::And => boolean(format!("({} AND {})", x.sql, y.sql)),
        BinOp::Or => boolean(format!("({} OR {})", x.sql, y.sql)),
        _ => {
            let (a, b) = if x.ty == Ty::Text || y.ty == Ty::Text {
                (format!("lower({})", x.sql), format!("lower({})", y.sql))
            } else {
                (x.sql, y.sql)
            };
            boolean(format!("COALESCE({a} {} {b}, FALSE)", cmp_op(op)))
        }
    }
}
