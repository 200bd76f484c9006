//! Metric series as SQL: a metric's points (stored, or stored merged with what a rule of
//! DERIVATIONS.md derives), the one point each company uses at the selection's period,
//! the point of the same kind a year (or k years) before, and the time-series functions
//! built from them.

use super::{Gen, unsupported};
use crate::analysis::derive::{self, Formula};
use crate::error::{Error, Result};
use crate::model::Period;
use crate::query::bind::TsFn;

/// The columns every series relation has: `symbol`, `period`, `kc` (the kind's place in
/// finq's period order: day 0, quarter 1, half 2, year 3), `period_end`, `value`.
const KIND_CODE: &str =
    "CASE period_kind WHEN 'day' THEN 0 WHEN 'q' THEN 1 WHEN 'h' THEN 2 ELSE 3 END";

impl Gen<'_, '_> {
    /// The relation holding metric `id`'s points as finq reads them (stored wins; derived
    /// fills the other periods), as a CTE name.
    pub(super) fn series(&mut self, id: &str, stored_only: bool) -> Result<String> {
        let key = format!("{id}/{stored_only}");
        if let Some(name) = self.series_names.get(&key) {
            return Ok(name.clone());
        }
        if self.depth > 16 {
            return Err(Error::Data(format!(
                "the derivation of '{id}' refers to itself"
            )));
        }
        let stored = format!(
            "SELECT symbol, period, {KIND_CODE} AS kc, period_end, value FROM points WHERE metric = {}",
            self.d.text(id)
        );
        let derived = !stored_only && self.env.cache.is_derived(self.env.db, id)?;
        let body = if derived {
            self.depth += 1;
            let r = self.derived_series(id, &stored);
            self.depth -= 1;
            r?
        } else {
            stored
        };
        let name = self.cte("s", body);
        self.series_names.insert(key, name.clone());
        Ok(name)
    }

    fn derived_series(&mut self, id: &str, stored: &str) -> Result<String> {
        let Some(rule) = derive::rule_for(id) else {
            return Err(unsupported(&format!(
                "the user's formula for the built-in metric '{id}'"
            )));
        };
        let mut inputs = Vec::new();
        for input in rule.inputs {
            inputs.push(self.series(input.id, input.stored_only)?);
        }
        let derived = match rule.formula {
            Formula::Difference { abs } => {
                let b = if abs { "abs(y.value)" } else { "y.value" };
                format!(
                    "SELECT x.symbol, x.period, x.kc, x.period_end, x.value - {b} AS value \
                     FROM {} x JOIN {} y ON y.symbol = x.symbol AND y.period = x.period",
                    inputs[0], inputs[1]
                )
            }
            Formula::Ratio => format!(
                "SELECT x.symbol, x.period, x.kc, x.period_end, x.value / NULLIF(y.value, 0) AS value \
                 FROM {} x JOIN {} y ON y.symbol = x.symbol AND y.period = x.period",
                inputs[0], inputs[1]
            ),
            Formula::Growth => {
                let prior = self.prior(&inputs[0], &inputs[0], 1);
                format!(
                    "SELECT x.symbol, x.period, x.kc, x.period_end, \
                     (x.value - b.prior) / NULLIF(abs(b.prior), 0) AS value \
                     FROM {} x JOIN {prior} b ON b.symbol = x.symbol AND b.period = x.period",
                    inputs[0]
                )
            }
            Formula::FlowOverAverage { positive } => {
                self.flow_over_average(&inputs[0], &inputs[1], positive)
            }
            Formula::MarketCap | Formula::PriceMultiple { .. } | Formula::Yield => {
                // These rules give values only at the day points of their first input; a
                // database without such points has none, and the metric is its stored points.
                let first = self.env.cache.metric(self.env.db, rule.inputs[0].id)?;
                let rows = self.env.cache.companies(self.env.db)?.len();
                let has_day = (0..rows).any(|r| first.series(r).codes.iter().any(|c| c & 3 == 0));
                if has_day {
                    return Err(unsupported(&format!(
                        "'{id}' derived as of each day ({})",
                        rule.text()
                    )));
                }
                return Ok(stored.to_string());
            }
        };
        let s = self.cte("s", stored.to_string());
        Ok(format!(
            "SELECT symbol, period, kc, period_end, value FROM {s} UNION ALL \
             SELECT d.symbol, d.period, d.kc, d.period_end, d.value FROM ({derived}) d \
             WHERE d.value IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM {s} t WHERE t.symbol = d.symbol AND t.period = d.period)"
        ))
    }

    /// A flow over a year divided by the average of a stock (roe, roa, turnover), at every
    /// period of the stock: avg is the mean with the stock a year before when there is one;
    /// the flow at a year or a day is its point, at a quarter or half the sum of the four
    /// quarters ending there (all four needed, added oldest first as finq does); with
    /// `positive`, missing when the average is not above zero.
    fn flow_over_average(&mut self, flow: &str, stock: &str, positive: bool) -> String {
        let prior = self.prior(stock, stock, 1);
        let avg = self.cte(
            "v",
            format!(
                "SELECT x.symbol, x.period, x.kc, x.period_end, year(x.period_end) * 12 \
                 + month(x.period_end) AS mi, CASE WHEN b.prior IS NULL \
                 THEN x.value ELSE (x.value + b.prior) / 2.0E0 END AS avg FROM {stock} x \
                 LEFT JOIN {prior} b ON b.symbol = x.symbol AND b.period = x.period"
            ),
        );
        // The flow over the four quarters ending at each quarter of the flow: its three
        // predecessors must be the three quarters before it.
        let month = "year(period_end) * 12 + month(period_end)";
        let w = "OVER (PARTITION BY symbol ORDER BY mi)";
        let ttm = self.cte(
            "w",
            format!(
                "SELECT symbol, mi, CASE WHEN lag(mi, 3) {w} = mi - 9 THEN ((lag(value, 3) {w} \
                 + lag(value, 2) {w}) + lag(value, 1) {w}) + value END AS flow \
                 FROM (SELECT symbol, {month} AS mi, value FROM {flow} WHERE kc = 1) q"
            ),
        );
        let flows = self.cte(
            "w",
            format!(
                "SELECT a.symbol, a.period, a.kc, a.period_end, a.avg, f.value AS flow FROM {avg} a \
                 JOIN {flow} f ON f.symbol = a.symbol AND f.period = a.period WHERE a.kc IN (0, 3) \
                 UNION ALL SELECT a.symbol, a.period, a.kc, a.period_end, a.avg, t.flow FROM {avg} a JOIN {ttm} t \
                 ON t.symbol = a.symbol AND t.mi = a.mi WHERE a.kc IN (1, 2) AND t.flow IS NOT NULL"
            ),
        );
        let value = if positive {
            "CASE WHEN avg > 0 THEN flow / avg END"
        } else {
            "flow / NULLIF(avg, 0)"
        };
        format!("SELECT symbol, period, kc, period_end, {value} AS value FROM {flows}")
    }

    /// For each row of `rows` (a series relation), the value of the point of `series`
    /// `years` years before it, of the same kind (SPEC.md §1): the same year, half or
    /// quarter label that many years earlier; for a day, the day point nearest the
    /// anniversary within 15 days (the earlier on a tie). Columns `symbol`, `period`,
    /// `prior`.
    pub(super) fn prior(&mut self, rows: &str, series: &str, years: usize) -> String {
        let key = format!("{rows}/{series}/{years}");
        if let Some(name) = self.prior_names.get(&key) {
            return name.clone();
        }
        let d = self.d;
        let shifted = super::score::shifted_label("a.period", years);
        let target = d.months_before("a.period_end", 12 * years);
        let gap = format!("abs({})", d.days_between("b.period_end", &target));
        let body = format!(
            "SELECT a.symbol, a.period, b.value AS prior FROM {rows} a JOIN {series} b \
             ON b.symbol = a.symbol AND a.kc <> 0 AND b.period = {shifted} \
             UNION ALL \
             SELECT symbol, period, prior FROM (SELECT a.symbol, a.period, b.value AS prior, \
             row_number() OVER (PARTITION BY a.symbol, a.period ORDER BY {gap}, b.period_end) AS finq_n \
             FROM {rows} a JOIN {series} b ON b.symbol = a.symbol AND a.kc = 0 AND b.kc = 0 \
             AND {gap} <= {}) n WHERE finq_n = 1",
            crate::model::DAY_MATCH_TOLERANCE
        );
        let name = self.cte("y", body);
        self.prior_names.insert(key, name.clone());
        name
    }

    /// Each company's point of metric `id` that a row uses at `at`: the latest (the last in
    /// finq's period order), the latest on or before a day, or exactly a year, half or
    /// quarter. A CTE with one row per company that has one.
    pub(super) fn anchor(&mut self, id: &str, at: Option<Period>) -> Result<String> {
        let series = self.series(id, false)?;
        let key = format!("{series}@{at:?}");
        if let Some(name) = self.anchor_names.get(&key) {
            return Ok(name.clone());
        }
        let latest = |filter: String| {
            format!(
                "SELECT symbol, period, kc, period_end, value FROM (SELECT symbol, period, kc, \
                 period_end, value, row_number() OVER (PARTITION BY symbol ORDER BY period_end \
                 DESC, kc DESC) AS finq_n FROM {series}{filter}) l WHERE finq_n = 1"
            )
        };
        let body = match at {
            None => latest(String::new()),
            Some(Period::Day(day)) => latest(format!(
                " WHERE period_end <= {}",
                self.d.date(&day.to_string())
            )),
            Some(p) => format!(
                "SELECT symbol, period, kc, period_end, value FROM {series} WHERE period = {}",
                self.d.text(&p.to_string())
            ),
        };
        let name = self.cte("a", body);
        self.anchor_names.insert(key, name.clone());
        Ok(name)
    }

    /// A time-series function of metric `id` at `at`, for every company that has a value:
    /// a CTE with `symbol` and `v`.
    pub(super) fn ts_function(
        &mut self,
        f: TsFn,
        id: &str,
        k: usize,
        at: Option<Period>,
    ) -> Result<String> {
        let a = self.anchor(id, at)?;
        let series = self.series(id, false)?;
        let body = match f {
            TsFn::Yoy | TsFn::YoyDiff | TsFn::Cagr => {
                let years = if f == TsFn::Cagr { k } else { 1 };
                let b = self.prior(&a, &series, years);
                let v = match f {
                    TsFn::Yoy => "(a.value - b.prior) / NULLIF(abs(b.prior), 0)".to_string(),
                    TsFn::YoyDiff => "a.value - b.prior".to_string(),
                    _ => format!(
                        "CASE WHEN b.prior <> 0 AND a.value / b.prior > 0 \
                         THEN power(a.value / b.prior, 1.0E0 / {k}) - 1 END"
                    ),
                };
                format!(
                    "SELECT a.symbol, {v} AS v FROM {a} a JOIN {b} b ON b.symbol = a.symbol AND b.period = a.period"
                )
            }
            TsFn::Mavg | TsFn::Msum | TsFn::Mmin | TsFn::Mmax | TsFn::Mmedian | TsFn::Mdev => {
                let agg = match f {
                    TsFn::Mavg => "avg(value)".to_string(),
                    TsFn::Msum => "sum(value)".to_string(),
                    TsFn::Mmin => "min(value)".to_string(),
                    TsFn::Mmax => "max(value)".to_string(),
                    TsFn::Mmedian => self.d.quantile("value", 0.5),
                    _ => "stddev_samp(value)".to_string(),
                };
                format!(
                    "SELECT symbol, {agg} AS v FROM ({}) w WHERE finq_n <= {k} GROUP BY symbol",
                    same_kind_before(&a, &series)
                )
            }
            TsFn::Prev | TsFn::Delta => {
                let v = if f == TsFn::Prev {
                    "w.value"
                } else {
                    "a.value - w.value"
                };
                format!(
                    "SELECT a.symbol, {v} AS v FROM {a} a JOIN ({}) w ON w.symbol = a.symbol \
                     AND w.finq_n = {}",
                    same_kind_before(&a, &series),
                    k + 1
                )
            }
            TsFn::PeriodOf => format!("SELECT symbol, period AS v FROM {a}"),
            other => return Err(unsupported(&format!("{}()", ts_name(other)))),
        };
        Ok(self.cte("t", body))
    }
}

/// The points of `series` of the anchor's kind up to the anchor, numbered from it back
/// (`finq_n` = 1 is the anchor).
fn same_kind_before(anchor: &str, series: &str) -> String {
    format!(
        "SELECT a.symbol, p.value, row_number() OVER (PARTITION BY a.symbol ORDER BY \
         p.period_end DESC) AS finq_n FROM {anchor} a JOIN {series} p ON p.symbol = a.symbol \
         AND p.kc = a.kc AND p.period_end <= a.period_end"
    )
}

fn ts_name(f: TsFn) -> &'static str {
    crate::query::registry::FUNCTIONS
        .iter()
        .find(|d| d.func == crate::query::registry::Func::Ts(f))
        .map_or("a time-series function", |d| d.name)
}
