//! Scorecards and the F-score as SQL (SCORING.md), computed as finq's `analysis::score` and
//! `analysis::fscore` do.
//!
//! A scorecard: each company's peer group (its industry when that has at least 5
//! companies, else its sector when that has 5, else every company; compared ignoring case),
//! the members of every group some company uses, each indicator's value at the selection's
//! period (the same series a select reads, the latest point picked by one window over all
//! indicators), midrank percentiles within the group as window functions over one long
//! table of (group, member, indicator, value) rows, so that the query has a handful of
//! windows however many indicators the card has (Spark plans every CTE anew at each
//! reference; a window per indicator made q8 take minutes), weighted dimension means, the overall mean when enough dimensions are
//! there, and the rank within the group where scores closer than 1e-9 tie. Sums are written
//! in the order finq adds them, so the numbers are the same, not merely close.
//!
//! The F-score: year t (the `at` period, or the latest net income point), the inputs at t
//! and the same kind of period one and two years before (a day: the latest point on or
//! before the day a year earlier), the nine signals as three-valued comparisons (unknown
//! when an input is missing or a division is by zero), missing when none is known.

use super::{Gen, number, unsupported};
use crate::analysis::fscore;
use crate::analysis::peers::MIN_GROUP;
use crate::analysis::score::Scorecard;
use crate::analysis::stats::EPS;
use crate::error::Result;
use crate::model::Period;
use crate::query::plan::SelectPlan;

/// `CASE` giving the grade of a percentile or score (a value within 1e-9 below a threshold
/// gets the higher grade).
pub(super) fn grade(x: &str) -> String {
    let e = number(EPS);
    format!(
        "CASE WHEN {x} IS NULL THEN NULL WHEN {x} + {e} >= 8.0E-1 THEN 'A' \
         WHEN {x} + {e} >= 6.0E-1 THEN 'B' WHEN {x} + {e} >= 4.0E-1 THEN 'C' \
         WHEN {x} + {e} >= 2.0E-1 THEN 'D' ELSE 'E' END"
    )
}

/// The label of the same kind of period `years` years before the label in `column`
/// (2024Q3 → 2023Q3).
pub(super) fn shifted_label(column: &str, years: usize) -> String {
    format!(
        "lpad(CAST(CAST(substr({column}, 1, 4) AS INT) - {years} AS STRING), 4, '0') || substr({column}, 5)"
    )
}

impl Gen<'_, '_> {
    /// Each company's value of every indicator (`k`, its place in the card) at the
    /// selection's period, as [`Gen::anchor`] picks it, in one CTE with `k`, `symbol`,
    /// `value`: the latest point (on or before a day) by one window over all the series.
    fn indicator_values(&mut self, series: &[String], at: Option<Period>) -> String {
        let filter = match at {
            None => String::new(),
            Some(Period::Day(day)) => {
                format!(" WHERE period_end <= {}", self.d.date(&day.to_string()))
            }
            Some(p) => format!(" WHERE period = {}", self.d.text(&p.to_string())),
        };
        let all = series
            .iter()
            .enumerate()
            .map(|(k, s)| {
                format!("SELECT {k} AS k, symbol, period_end, kc, value FROM {s}{filter}")
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let body = match at {
            Some(p) if !matches!(p, Period::Day(_)) => {
                format!("SELECT k, symbol, value FROM ({all}) u")
            }
            _ => format!(
                "SELECT k, symbol, value FROM (SELECT k, symbol, value, row_number() OVER \
                 (PARTITION BY k, symbol ORDER BY period_end DESC, kc DESC) AS finq_n \
                 FROM ({all}) u) l WHERE finq_n = 1"
            ),
        };
        self.cte("a", body)
    }

    /// Every company's peer group key (`g`): `i:` + its industry, `s:` + its sector, or `a`.
    fn peer_groups(&mut self, plan: &SelectPlan) -> String {
        let d = self.d;
        let attr = |name: &str| {
            if plan.companies.attribute_names.contains(name) {
                format!("lower({})", d.ident(name))
            } else {
                "CAST(NULL AS STRING)".into()
            }
        };
        let (li, ls) = (attr("industry"), attr("sector"));
        let body = format!(
            "SELECT symbol, li, ls, CASE \
             WHEN li IS NOT NULL AND count(*) OVER (PARTITION BY li) >= {MIN_GROUP} THEN 'i:' || li \
             WHEN ls IS NOT NULL AND count(*) OVER (PARTITION BY ls) >= {MIN_GROUP} THEN 's:' || ls \
             ELSE 'a' END AS g FROM (SELECT symbol, {li} AS li, {ls} AS ls FROM companies) c"
        );
        self.cte("g", body)
    }

    /// A scorecard's figures for every company within its own peer group: a CTE with
    /// `symbol`, `score`, `industry_rank` and `dim0`, `dim1`, ... (dimension scores).
    pub(super) fn scorecard(&mut self, plan: &SelectPlan, card: &Scorecard) -> Result<String> {
        let catalog = self.env.db.shared_catalog();
        let mut series = Vec::new();
        for (_, ind) in card.indicators() {
            let computed = catalog
                .get(&ind.metric)
                .is_some_and(|m| m.id == ind.metric && m.expr.is_some())
                && !catalog.is_builtin(&ind.metric);
            if computed {
                return Err(unsupported(&format!(
                    "the scorecard '{}' (its indicator '{}' is a computed metric, define metric)",
                    card.name, ind.metric
                )));
            }
            series.push(self.series(&ind.metric, false)?);
        }
        let values = self.indicator_values(&series, plan.at);
        let groups = self.peer_groups(plan);
        // Every member of every group some company uses, one row per indicator it has (a
        // long table: one window pass ranks every indicator, where one CTE per indicator
        // joined back made Spark plan and run dozens of windows).
        let members = format!(
            "SELECT m.g, m.symbol, x.k, x.value AS v FROM (SELECT 'i:' || li AS g, symbol \
             FROM {groups} WHERE li IS NOT NULL \
             UNION ALL SELECT 's:' || ls AS g, symbol FROM {groups} WHERE ls IS NOT NULL \
             UNION ALL SELECT 'a' AS g, symbol FROM {groups}) m JOIN {values} x \
             ON x.symbol = m.symbol WHERE x.value IS NOT NULL AND m.g IN (SELECT g FROM {groups})"
        );
        let members = self.cte("v", members);
        // Midrank percentiles within the group and indicator, 1 the best.
        let n = "count(v) OVER (PARTITION BY g, k)";
        let pct = format!(
            "SELECT g, symbol, k, CASE WHEN {n} = 1 THEN 5.0E-1 \
             ELSE ((rank() OVER (PARTITION BY g, k ORDER BY v ASC) - 1) \
             + (count(v) OVER (PARTITION BY g, k, v) + 1) / 2.0E0 - 1) / ({n} - 1) END AS p \
             FROM {members}"
        );
        let pct = self.cte("p", pct);
        // Back to one row per member, a column per indicator (missing where it has none).
        let mut wide = vec!["g".to_string(), "symbol".to_string()];
        for (k, (_, ind)) in card.indicators().enumerate() {
            let p = if ind.lower { "1.0E0 - p" } else { "p" };
            wide.push(format!("max(CASE WHEN k = {k} THEN {p} END) AS p{k}"));
        }
        let pcts = self.cte(
            "p",
            format!("SELECT {} FROM {pct} GROUP BY g, symbol", wide.join(", ")),
        );
        // Dimension scores: weighted means of the available percentiles, in card order.
        let mut dims = vec!["g".to_string(), "symbol".to_string()];
        let mut k = 0;
        for (j, dim) in card.dimensions.iter().enumerate() {
            let (mut sum, mut weight) = (Vec::new(), Vec::new());
            for ind in &dim.indicators {
                let w = number(ind.weight);
                sum.push(format!("COALESCE({w} * p{k}, 0.0E0)"));
                weight.push(format!("CASE WHEN p{k} IS NULL THEN 0.0E0 ELSE {w} END"));
                k += 1;
            }
            let sum = if sum.is_empty() {
                "0.0E0".to_string()
            } else {
                sum.join(" + ")
            };
            let weight = if weight.is_empty() {
                "0.0E0".to_string()
            } else {
                weight.join(" + ")
            };
            dims.push(format!("({sum}) / NULLIF({weight}, 0.0E0) AS dim{j}"));
        }
        let dims = self.cte("d", format!("SELECT {} FROM {pcts}", dims.join(", ")));
        // The score: the mean of the available dimensions, given enough of them.
        let count = (0..card.dimensions.len())
            .map(|j| format!("CASE WHEN dim{j} IS NULL THEN 0 ELSE 1 END"))
            .collect::<Vec<_>>()
            .join(" + ");
        let sum = (0..card.dimensions.len())
            .map(|j| format!("COALESCE(dim{j}, 0.0E0)"))
            .collect::<Vec<_>>()
            .join(" + ");
        let (count, sum) = if count.is_empty() {
            ("0".to_string(), "0.0E0".to_string())
        } else {
            (count, sum)
        };
        let min = card.min_dimensions().max(1);
        let dim_cols: Vec<String> = (0..card.dimensions.len())
            .map(|j| format!("dim{j}"))
            .collect();
        let scored = self.cte(
            "o",
            format!(
                "SELECT g, symbol, {}CASE WHEN ({count}) >= {min} THEN ({sum}) / ({count}) END AS score FROM {dims}",
                dim_cols.iter().map(|c| format!("{c}, ")).collect::<String>()
            ),
        );
        // The rank within the group: 1 + the members more than 1e-9 above, counted over
        // the whole group before each company keeps only its own group's row.
        let body = format!(
            "SELECT x.* FROM (SELECT r.symbol, r.g, {}r.score, CASE WHEN r.score IS NULL THEN NULL \
             ELSE 1 + count(r.score) OVER (PARTITION BY r.g ORDER BY r.score DESC NULLS LAST \
             RANGE BETWEEN UNBOUNDED PRECEDING AND {} PRECEDING) END AS industry_rank \
             FROM {scored} r) x JOIN {groups} o ON o.symbol = x.symbol AND o.g = x.g",
            dim_cols
                .iter()
                .map(|c| format!("r.{c}, "))
                .collect::<String>(),
            number(EPS)
        );
        Ok(self.cte("k", body))
    }

    /// Every company's F-score at the selection's period: a CTE with `symbol`, `fscore`.
    pub(super) fn fscores(&mut self, plan: &SelectPlan) -> Result<String> {
        let d = self.d;
        // Year t: the `at` period, or the latest net income point (on or before a day).
        let t = match plan.at {
            Some(p @ (Period::Year(_) | Period::Half(..) | Period::Quarter(..))) => self.cte(
                "f",
                format!(
                    "SELECT symbol, {} AS period, 1 AS kc, CAST(NULL AS DATE) AS period_end FROM companies",
                    d.text(&p.to_string())
                ),
            ),
            at => self.anchor(fscore::INPUTS[0], at)?,
        };
        // Input `id` at t minus `years`: a CTE with `symbol`, `value`.
        let value = |g: &mut Self, id: &str, years: usize| -> Result<String> {
            let s = g.series(id, false)?;
            let label = shifted_label("t.period", years);
            let before = d.months_before("t.period_end", 12 * years);
            Ok(g.cte(
                "x",
                format!(
                    "SELECT t.symbol, s.value FROM {t} t JOIN {s} s ON s.symbol = t.symbol \
                     AND t.kc <> 0 AND s.period = {label} \
                     UNION ALL SELECT symbol, value FROM (SELECT t.symbol, s.value, row_number() \
                     OVER (PARTITION BY t.symbol ORDER BY s.period_end DESC, s.kc DESC) AS finq_n \
                     FROM {t} t JOIN {s} s ON s.symbol = t.symbol AND t.kc = 0 \
                     AND s.period_end <= {before}) l WHERE finq_n = 1"
                ),
            ))
        };
        // (name in the signals below, input, years before t)
        const USES: [(&str, usize, usize); 16] = [
            ("ni0", 0, 0),
            ("ni1", 0, 1),
            ("ta0", 1, 0),
            ("ta1", 1, 1),
            ("ta2", 1, 2),
            ("cfo0", 2, 0),
            ("ltd0", 3, 0),
            ("ltd1", 3, 1),
            ("ca0", 4, 0),
            ("ca1", 4, 1),
            ("cl0", 5, 0),
            ("cl1", 5, 1),
            ("sh0", 6, 0),
            ("sh1", 6, 1),
            ("gm0", 7, 0),
            ("gm1", 7, 1),
        ];
        let mut cols = vec!["t.symbol".to_string()];
        let mut joins = String::new();
        for (name, input, years) in USES {
            let x = value(self, fscore::INPUTS[input], years)?;
            cols.push(format!("{name}.value AS {name}"));
            joins.push_str(&format!(
                " LEFT JOIN {x} {name} ON {name}.symbol = t.symbol"
            ));
        }
        for (name, years) in [("rev0", 0), ("rev1", 1)] {
            let x = value(self, fscore::INPUTS[8], years)?;
            cols.push(format!("{name}.value AS {name}"));
            joins.push_str(&format!(
                " LEFT JOIN {x} {name} ON {name}.symbol = t.symbol"
            ));
        }
        let inputs = self.cte("i", format!("SELECT {} FROM {t} t{joins}", cols.join(", ")));
        let div = |a: &str, b: &str| format!("({a} / NULLIF({b}, 0))");
        let sig = |c: String| format!("CASE WHEN {c} THEN 1 WHEN NOT ({c}) THEN 0 END");
        let roa_t = div("ni0", "ta1");
        let roa_t1 = div("ni1", "ta2");
        let cfo_t = div("cfo0", "ta1");
        let signals = [
            sig(format!("{roa_t} > 0")),
            sig(format!("{cfo_t} > 0")),
            sig(format!("{roa_t} > {roa_t1}")),
            sig(format!("{cfo_t} > {roa_t}")),
            format!(
                "CASE WHEN ltd0 = 0 AND ltd1 = 0 THEN 1 ELSE {} END",
                sig(format!("{} < {}", div("ltd0", "ta0"), div("ltd1", "ta1")))
            ),
            sig(format!("{} > {}", div("ca0", "cl0"), div("ca1", "cl1"))),
            sig("sh0 <= sh1".to_string()),
            sig("gm0 > gm1".to_string()),
            sig(format!("{} > {}", div("rev0", "ta1"), div("rev1", "ta2"))),
        ];
        let named: Vec<String> = signals
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{s} AS f{i}"))
            .collect();
        let signals = self.cte(
            "i",
            format!("SELECT symbol, {} FROM {inputs}", named.join(", ")),
        );
        let known = (0..9)
            .map(|i| format!("CASE WHEN f{i} IS NULL THEN 0 ELSE 1 END"))
            .collect::<Vec<_>>()
            .join(" + ");
        let total = (0..9)
            .map(|i| format!("COALESCE(f{i}, 0)"))
            .collect::<Vec<_>>()
            .join(" + ");
        Ok(self.cte(
            "i",
            format!(
                "SELECT symbol, CASE WHEN ({known}) = 0 THEN NULL ELSE CAST({total} AS DOUBLE) END AS fscore FROM {signals}"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::Dialect;

    /// The scorecard ranks every indicator in one window pass over a long table: Spark
    /// inlines every CTE at each reference, and a window per indicator (33 for the built-in
    /// card) made q8 a plan of dozens of windows that took minutes.
    #[test]
    fn a_scorecard_ranks_all_indicators_in_one_window_pass() {
        let mut s = crate::Session::in_memory().unwrap();
        s.execute("set A.US roe at 2024Q4 = 12%; set A.US industry = \"Tools\"")
            .unwrap();
        for d in [Dialect::DuckDb, Dialect::Spark] {
            let sql = s.sql("select score rank limit 10", d).unwrap();
            assert_eq!(sql.matches("rank() OVER").count(), 1, "{sql}");
            assert_eq!(sql.matches("PARTITION BY k, symbol").count(), 1, "{sql}");
            let sql = s.sql("select score at 2024Q4", d).unwrap();
            assert!(sql.contains("WHERE period = '2024Q4'"), "{sql}");
            assert_eq!(sql.matches("PARTITION BY k, symbol").count(), 0, "{sql}");
        }
    }
}
