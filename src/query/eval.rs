//! Vectorised evaluation: a bound expression over a list of company rows gives one column.

use super::ast::{BinOp, Group};
use super::bind::{AggFn, BExpr, CrossFn, ScoreCol, TsFn};
use crate::analysis::fscore::FScore;
use crate::analysis::score::ScoreTable;
use crate::analysis::stats;
use crate::columns::{Companies, MetricColumn, SeriesRef};
use crate::error::{Error, Result};
use crate::model::{Date, Period};
use std::collections::HashMap;
use std::sync::Arc;

/// One evaluated column. Missing numbers are NaN, missing text `None`; a condition on a
/// missing value is false (SPEC.md section 3).
#[derive(Clone, Debug)]
pub enum Col {
    Num(Vec<f64>),
    Text(Vec<Option<Arc<str>>>),
    Bool(Vec<bool>),
}

impl Col {
    pub fn len(&self) -> usize {
        match self {
            Col::Num(v) => v.len(),
            Col::Text(v) => v.len(),
            Col::Bool(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn into_num(self) -> Vec<f64> {
        match self {
            Col::Num(v) => v,
            Col::Bool(v) => v.into_iter().map(|b| if b { 1.0 } else { 0.0 }).collect(),
            Col::Text(v) => vec![f64::NAN; v.len()],
        }
    }

    pub fn into_bool(self) -> Vec<bool> {
        match self {
            Col::Bool(v) => v,
            Col::Num(v) => v.into_iter().map(|x| !x.is_nan() && x != 0.0).collect(),
            Col::Text(v) => v.into_iter().map(|x| x.is_some()).collect(),
        }
    }
}

/// What evaluation reads.
pub struct Ctx<'a> {
    pub companies: &'a Companies,
    /// Loaded metric columns, by the plan's slots.
    pub metrics: &'a [Arc<MetricColumn>],
    /// The selection's period (`at`); `None` is each series' latest point.
    pub at: Option<Period>,
    /// Already evaluated items, for references to aliases (aligned with the rows).
    pub items: &'a [Col],
    /// Every company's scorecard and F-score at `at`, when the expression needs them.
    /// Scorecard tables by the binder's card index (empty when no expression reads one).
    pub scores: &'a [Arc<ScoreTable>],
    pub fscores: Option<&'a [FScore]>,
}

impl Ctx<'_> {
    pub fn eval(&self, e: &BExpr, rows: &[usize]) -> Result<Col> {
        let n = rows.len();
        Ok(match e {
            BExpr::Num(v) => Col::Num(vec![*v; n]),
            BExpr::Null => Col::Num(vec![f64::NAN; n]),
            BExpr::Text(s) => Col::Text(vec![Some(s.clone()); n]),
            BExpr::Metric(slot) => {
                let m = &self.metrics[*slot];
                Col::Num(
                    rows.iter()
                        .map(|&r| m.series(r).value_at(self.at))
                        .collect(),
                )
            }
            BExpr::MetricAt(slot, p) => {
                let m = &self.metrics[*slot];
                Col::Num(
                    rows.iter()
                        .map(|&r| m.series(r).value_at(Some(*p)))
                        .collect(),
                )
            }
            BExpr::Attr(name) => Col::Text(match self.companies.attribute(name) {
                Some(col) => rows.iter().map(|&r| col[r].clone()).collect(),
                None => vec![None; n],
            }),
            BExpr::Item(i) => match self.items.get(*i) {
                Some(c) if c.len() == n => c.clone(),
                _ => return Err(Error::Data("an alias cannot be used here".into())),
            },
            BExpr::Neg(a) => Col::Num(
                self.eval(a, rows)?
                    .into_num()
                    .into_iter()
                    .map(|x| -x)
                    .collect(),
            ),
            BExpr::Not(a) => Col::Bool(
                self.eval(a, rows)?
                    .into_bool()
                    .into_iter()
                    .map(|x| !x)
                    .collect(),
            ),
            BExpr::Bin(op, a, b) => binary(*op, self.eval(a, rows)?, self.eval(b, rows)?),
            BExpr::IsNull(a, negated) => {
                let nulls: Vec<bool> = match self.eval(a, rows)? {
                    Col::Num(v) => v.iter().map(|x| x.is_nan()).collect(),
                    Col::Text(v) => v.iter().map(Option::is_none).collect(),
                    Col::Bool(v) => vec![false; v.len()],
                };
                Col::Bool(nulls.into_iter().map(|x| x != *negated).collect())
            }
            BExpr::InList(a, list, negated) => {
                let x = self.eval(a, rows)?;
                let mut hit = vec![false; n];
                let mut known = vec![true; n];
                for item in list {
                    let eq = binary(BinOp::Eq, x.clone(), self.eval(item, rows)?).into_bool();
                    for i in 0..n {
                        hit[i] |= eq[i];
                    }
                }
                if let Col::Num(v) = &x {
                    known = v.iter().map(|x| !x.is_nan()).collect();
                } else if let Col::Text(v) = &x {
                    known = v.iter().map(Option::is_some).collect();
                }
                // `not in` on a missing value is still false: nothing is known about it.
                Col::Bool((0..n).map(|i| known[i] && hit[i] != *negated).collect())
            }
            BExpr::Between(a, lo, hi, negated) => {
                let (x, lo, hi) = (
                    self.eval(a, rows)?.into_num(),
                    self.eval(lo, rows)?.into_num(),
                    self.eval(hi, rows)?.into_num(),
                );
                Col::Bool(
                    (0..n)
                        .map(|i| {
                            let known = !(x[i].is_nan() || lo[i].is_nan() || hi[i].is_nan());
                            known && ((lo[i] <= x[i] && x[i] <= hi[i]) != *negated)
                        })
                        .collect(),
                )
            }
            BExpr::Like(a, pattern, negated) => {
                let p: Vec<char> = pattern.to_lowercase().chars().collect();
                match self.eval(a, rows)? {
                    Col::Text(v) => Col::Bool(
                        v.iter()
                            .map(|s| match s {
                                Some(s) => {
                                    let t: Vec<char> = s.to_lowercase().chars().collect();
                                    like(&t, &p) != *negated
                                }
                                None => false,
                            })
                            .collect(),
                    ),
                    _ => Col::Bool(vec![false; n]),
                }
            }
            BExpr::Ts(TsFn::PeriodOf, arg, _) => Col::Text(
                rows.iter()
                    .map(|&r| self.period_of(arg, r))
                    .collect::<Result<Vec<_>>>()?,
            ),
            BExpr::Ts(f, arg, k) => Col::Num(
                rows.iter()
                    .map(|&r| self.series_function(*f, arg, *k, r))
                    .collect::<Result<Vec<f64>>>()?,
            ),
            BExpr::Cross(f, arg, group, lower) => self.cross(*f, arg, *group, *lower, rows)?,
            BExpr::Score(col, card) => self.score_column(*col, *card, rows)?,
            BExpr::FScore => {
                let f = self.fscores.ok_or_else(unprepared)?;
                Col::Num(rows.iter().map(|&r| f[r].value()).collect())
            }
            BExpr::Agg(..) => {
                return Err(Error::Data(
                    "an aggregate (count, sum, avg, ...) needs 'by', or every item to be an aggregate".into(),
                ));
            }
        })
    }

    fn score_column(&self, col: ScoreCol, card: usize, rows: &[usize]) -> Result<Col> {
        let t = self.scores.get(card).ok_or_else(unprepared)?;
        let grade = |v: f64| stats::grade(v).map(|g| Arc::from(g.to_string().as_str()));
        Ok(match col {
            ScoreCol::Score => Col::Num(
                rows.iter()
                    .map(|&r| t.own(r).map_or(f64::NAN, |o| o.1.score))
                    .collect(),
            ),
            ScoreCol::IndustryRank => Col::Num(
                rows.iter()
                    .map(|&r| {
                        t.own(r)
                            .and_then(|o| o.1.rank)
                            .map_or(f64::NAN, |k| k as f64)
                    })
                    .collect(),
            ),
            ScoreCol::ScoreGrade => Col::Text(
                rows.iter()
                    .map(|&r| t.own(r).and_then(|o| grade(o.1.score)))
                    .collect(),
            ),
            ScoreCol::DimGrade(d) => Col::Text(
                rows.iter()
                    .map(|&r| t.own(r).and_then(|o| grade(o.1.dims[d])))
                    .collect(),
            ),
            // Bound as `BExpr::FScore`, never as a scorecard's column.
            ScoreCol::FScore => return Err(unprepared()),
        })
    }

    /// A time-series function of one company at the selection's period.
    fn series_function(&self, f: TsFn, arg: &BExpr, k: usize, row: usize) -> Result<f64> {
        // A constant: the function of a constant series is not meaningful.
        Ok(self
            .with_series(arg, row, |s| series_value(f, s, k, self.at))?
            .unwrap_or(f64::NAN))
    }

    /// `period(x)`: the period of the point a row uses, as written.
    fn period_of(&self, arg: &BExpr, row: usize) -> Result<Option<Arc<str>>> {
        self.with_series(arg, row, |s| {
            let i = s.anchor(self.at)?;
            Some(Arc::from(
                Period::from_code(s.codes[i])?.to_string().as_str(),
            ))
        })
        .map(Option::flatten)
    }

    /// Calls `f` with one row's series of `arg` (a stored metric, or arithmetic on
    /// metrics); `None` for a constant, whose series means nothing.
    fn with_series<T>(
        &self,
        arg: &BExpr,
        row: usize,
        f: impl FnOnce(SeriesRef) -> T,
    ) -> Result<Option<T>> {
        let owned;
        let s = match arg {
            BExpr::Metric(slot) => self.metrics[*slot].series(row),
            other => {
                owned = self.series_of(other, row)?;
                match &owned {
                    Some((c, v)) => SeriesRef {
                        codes: c,
                        values: v,
                    },
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(f(s)))
    }

    /// Evaluates arithmetic on metrics as a series: the periods where every metric in it
    /// has a point. `None` for an expression without metrics (a constant).
    pub fn series_of(&self, e: &BExpr, row: usize) -> Result<Option<(Vec<u32>, Vec<f64>)>> {
        Ok(match e {
            BExpr::Metric(slot) => {
                let s = self.metrics[*slot].series(row);
                Some((s.codes.to_vec(), s.values.to_vec()))
            }
            BExpr::Num(_) => None,
            BExpr::Neg(a) => self
                .series_of(a, row)?
                .map(|(c, v)| (c, v.into_iter().map(|x| -x).collect())),
            BExpr::Bin(op, a, b) => {
                let (x, y) = (self.series_of(a, row)?, self.series_of(b, row)?);
                let constant = |e: &BExpr| if let BExpr::Num(v) = e { *v } else { f64::NAN };
                match (x, y) {
                    (None, None) => None,
                    (Some((c, v)), None) => {
                        let k = constant(b);
                        Some((c, v.into_iter().map(|x| arith(*op, x, k)).collect()))
                    }
                    (None, Some((c, v))) => {
                        let k = constant(a);
                        Some((c, v.into_iter().map(|y| arith(*op, k, y)).collect()))
                    }
                    (Some((c1, v1)), Some((c2, v2))) => {
                        let (mut c, mut v) = (Vec::new(), Vec::new());
                        let (mut i, mut j) = (0, 0);
                        while i < c1.len() && j < c2.len() {
                            match c1[i].cmp(&c2[j]) {
                                std::cmp::Ordering::Less => i += 1,
                                std::cmp::Ordering::Greater => j += 1,
                                std::cmp::Ordering::Equal => {
                                    c.push(c1[i]);
                                    v.push(arith(*op, v1[i], v2[j]));
                                    i += 1;
                                    j += 1;
                                }
                            }
                        }
                        Some((c, v))
                    }
                }
            }
            _ => {
                return Err(Error::Data(
                    "time-series functions take metrics and arithmetic on them".into(),
                ));
            }
        })
    }

    fn cross(
        &self,
        f: CrossFn,
        arg: &BExpr,
        group: Option<Group>,
        lower: bool,
        rows: &[usize],
    ) -> Result<Col> {
        if f == CrossFn::Grade {
            return self.grade(arg, lower, rows);
        }
        let x = self.eval(arg, rows)?.into_num();
        let mut out = vec![f64::NAN; rows.len()];
        for members in partition(self.companies, rows, group) {
            let vals: Vec<f64> = members.iter().map(|&i| x[i]).collect();
            let res = match f {
                CrossFn::PctRank => stats::midrank_percentiles(&vals, lower),
                _ => {
                    let (m, sd) = (stats::mean(&vals), stats::stddev(&vals));
                    vals.iter()
                        .map(|v| (v - m) / sd)
                        .map(|z| if z.is_finite() { z } else { f64::NAN })
                        .collect()
                }
            };
            for (k, &i) in members.iter().enumerate() {
                out[i] = res[k];
            }
        }
        Ok(Col::Num(out))
    }

    /// grade(x): the grade of x's percentile within each company's peer group, over every
    /// company in the database (SCORING.md), not only the rows of the result.
    fn grade(&self, arg: &BExpr, lower: bool, rows: &[usize]) -> Result<Col> {
        let all: Vec<usize> = (0..self.companies.len()).collect();
        let x = self.eval(arg, &all)?.into_num();
        let mut cache: HashMap<usize, Vec<f64>> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for &r in rows {
            let peers = crate::analysis::peers::peers_of(self.companies, r);
            let pct = cache.entry(peers.id()).or_insert_with(|| {
                let members = peers.members(self.companies);
                let vals: Vec<f64> = members.iter().map(|&i| x[i]).collect();
                let pcts = stats::midrank_percentiles(&vals, lower);
                let mut by_row = vec![f64::NAN; x.len()];
                for (k, &i) in members.iter().enumerate() {
                    by_row[i] = pcts[k];
                }
                by_row
            });
            out.push(stats::grade(pct[r]).map(|g| Arc::from(g.to_string().as_str())));
        }
        Ok(Col::Text(out))
    }

    /// An aggregate over the given rows.
    pub fn aggregate(&self, f: AggFn, arg: Option<&BExpr>, q: f64, rows: &[usize]) -> Result<f64> {
        let Some(arg) = arg else {
            return Ok(rows.len() as f64);
        };
        let v = self.aggregate_input(arg, rows)?;
        Ok(aggregate_values(f, &v, q))
    }

    /// An aggregate's argument over rows, as numbers: text counts as present (0) or
    /// missing (NaN), since only count() takes text.
    pub fn aggregate_input(&self, arg: &BExpr, rows: &[usize]) -> Result<Vec<f64>> {
        Ok(match self.eval(arg, rows)? {
            Col::Text(t) => t
                .iter()
                .map(|x| if x.is_some() { 0.0 } else { f64::NAN })
                .collect(),
            col => col.into_num(),
        })
    }
}

/// An aggregate of values (NaN = missing).
pub fn aggregate_values(f: AggFn, v: &[f64], q: f64) -> f64 {
    let known = || v.iter().copied().filter(|x| !x.is_nan());
    match f {
        AggFn::Sum => {
            if known().next().is_none() {
                f64::NAN
            } else {
                known().sum()
            }
        }
        AggFn::Avg => stats::mean(v),
        AggFn::Median => stats::quantile(v, 0.5),
        AggFn::Pct => stats::quantile(v, q),
        AggFn::Min => known().fold(f64::NAN, f64::min),
        AggFn::Max => known().fold(f64::NAN, f64::max),
        AggFn::Stddev => stats::stddev(v),
        AggFn::Count => known().count() as f64,
    }
}

/// Positions (into `rows`) grouped by the rows' industry or sector; one group without.
pub fn partition(companies: &Companies, rows: &[usize], group: Option<Group>) -> Vec<Vec<usize>> {
    let Some(g) = group else {
        return vec![(0..rows.len()).collect()];
    };
    let attr = g.attr();
    let mut groups: HashMap<Option<String>, Vec<usize>> = HashMap::new();
    for (k, &r) in rows.iter().enumerate() {
        let key = companies.attr(r, attr).map(|s| s.to_lowercase());
        groups.entry(key).or_default().push(k);
    }
    let mut out: Vec<(Option<String>, Vec<usize>)> = groups.into_iter().collect();
    // Companies without the attribute form the last group, as missing values sort last.
    out.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp(y),
        (x, y) => x.is_none().cmp(&y.is_none()),
    });
    out.into_iter().map(|(_, v)| v).collect()
}

/// One time-series function at the anchor point of a series.
pub fn series_value(f: TsFn, s: SeriesRef, k: usize, at: Option<Period>) -> f64 {
    // `points` and `first` look at everything up to the period, whether or not the series
    // has a point exactly there.
    if matches!(f, TsFn::Points | TsFn::First) {
        let upto = match at {
            None => s.len(),
            Some(p) => s.codes.partition_point(|&c| c <= p.code()),
        };
        return match f {
            TsFn::Points => upto as f64,
            _ if upto == 0 => f64::NAN,
            _ => s.values[0],
        };
    }
    let Some(i) = s.anchor(at) else {
        return f64::NAN;
    };
    let v = s.values;
    // Only points of the anchor's kind take part (SPEC.md §1): a quarter's moving average
    // never mixes in a fiscal year, a day's growth never compares with a half.
    let window = |n: usize| s.kind_window(i, n);
    match f {
        TsFn::Yoy => s
            .years_before(i, 1)
            .map_or(f64::NAN, |j| growth(v[i], v[j])),
        TsFn::YoyDiff => s.years_before(i, 1).map_or(f64::NAN, |j| v[i] - v[j]),
        TsFn::Ttm => crate::analysis::derive::ttm(&s, i),
        TsFn::Qoq => {
            let prev = Period::from_code(s.codes[i]).and_then(Period::previous_quarter);
            prev.and_then(|p| s.codes.binary_search(&p.code()).ok())
                .map_or(f64::NAN, |j| growth(v[i], v[j]))
        }
        TsFn::Cagr => match s.years_before(i, k as i32) {
            Some(j) if v[j] != 0.0 && v[i] / v[j] > 0.0 => (v[i] / v[j]).powf(1.0 / k as f64) - 1.0,
            _ => f64::NAN,
        },
        TsFn::Delta => s.kind_before(i, k).map_or(f64::NAN, |j| v[i] - v[j]),
        TsFn::Prev => s.kind_before(i, k).map_or(f64::NAN, |j| v[j]),
        TsFn::Mavg => stats::mean(&window(k)),
        TsFn::Msum => window(k).iter().sum(),
        TsFn::Mmin => window(k).iter().copied().fold(f64::INFINITY, f64::min),
        TsFn::Mmax => window(k).iter().copied().fold(f64::NEG_INFINITY, f64::max),
        TsFn::Mmedian => stats::quantile(&window(k), 0.5),
        TsFn::Mdev => stats::stddev(&window(k)),
        TsFn::Age => {
            // As of the `at` period's last day (a day is itself), else today.
            let as_of = at.map_or_else(Date::today, Period::end_date);
            Period::from_code(s.codes[i]).map_or(f64::NAN, |p| {
                (as_of.days_since_epoch() - p.end_date().days_since_epoch()) as f64
            })
        }
        TsFn::First | TsFn::Points | TsFn::PeriodOf => f64::NAN,
    }
}

/// Growth of `x` over `base` (SPEC.md §3): (x − base) / |base|, so a loss that narrows
/// grows (−190M → −163M is +14.2%) and one that widens shrinks; missing when the base is 0.
pub fn growth(x: f64, base: f64) -> f64 {
    if base == 0.0 {
        f64::NAN
    } else {
        (x - base) / base.abs()
    }
}

/// Scores or F-scores an expression reads that the executor did not compute.
fn unprepared() -> Error {
    Error::Data("internal error: scores were not prepared".into())
}

fn arith(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        // Division by zero is missing, not infinity.
        BinOp::Div if b == 0.0 => f64::NAN,
        BinOp::Div => a / b,
        _ => f64::NAN,
    }
}

fn binary(op: BinOp, a: Col, b: Col) -> Col {
    match op {
        BinOp::And | BinOp::Or => {
            let (a, b) = (a.into_bool(), b.into_bool());
            Col::Bool(
                a.iter()
                    .zip(&b)
                    .map(|(x, y)| if op == BinOp::And { *x && *y } else { *x || *y })
                    .collect(),
            )
        }
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
            let (a, b) = (a.into_num(), b.into_num());
            Col::Num(a.iter().zip(&b).map(|(x, y)| arith(op, *x, *y)).collect())
        }
        _ => match (a, b) {
            (Col::Text(a), Col::Text(b)) => Col::Bool(
                a.iter()
                    .zip(&b)
                    .map(|(x, y)| match (x, y) {
                        (Some(x), Some(y)) => compare_text(op, x, y),
                        _ => false,
                    })
                    .collect(),
            ),
            (a, b) => {
                let (a, b) = (a.into_num(), b.into_num());
                Col::Bool(
                    a.iter()
                        .zip(&b)
                        .map(|(x, y)| match op {
                            BinOp::Eq => x == y,
                            BinOp::Ne => !x.is_nan() && !y.is_nan() && x != y,
                            BinOp::Lt => x < y,
                            BinOp::Le => x <= y,
                            BinOp::Gt => x > y,
                            _ => x >= y,
                        })
                        .collect(),
                )
            }
        },
    }
}

/// Text equality ignores case, as symbols and industries do everywhere in finq; ordering
/// comparisons also compare case-insensitively so `<` and `=` agree.
fn compare_text(op: BinOp, x: &str, y: &str) -> bool {
    // Character by character, lower-cased on the fly: no allocation per row.
    let ord = x
        .chars()
        .flat_map(char::to_lowercase)
        .cmp(y.chars().flat_map(char::to_lowercase));
    match op {
        BinOp::Eq => ord.is_eq(),
        BinOp::Ne => ord.is_ne(),
        BinOp::Lt => ord.is_lt(),
        BinOp::Le => ord.is_le(),
        BinOp::Gt => ord.is_gt(),
        _ => ord.is_ge(),
    }
}

/// SQL `like` on lower-cased characters: `%` any run, `_` any one character.
fn like(t: &[char], p: &[char]) -> bool {
    let (mut ti, mut pi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '_' || p[pi] == t[ti]) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '%' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn like_patterns() {
        assert!(like(&chars("cloud services"), &chars("cloud%")));
        assert!(like(&chars("cloud"), &chars("c_oud")));
        assert!(like(&chars("internet services"), &chars("%serv%")));
        assert!(!like(&chars("cloud"), &chars("cloud_")));
        assert!(like(&chars(""), &chars("%")));
        assert!(!like(&chars("abc"), &chars("%d%")));
    }

    fn s(points: &[(&str, f64)]) -> (Vec<u32>, Vec<f64>) {
        points
            .iter()
            .map(|(p, v)| (Period::parse(p).unwrap().code(), *v))
            .unzip()
    }

    #[test]
    fn growth_on_a_negative_base_follows_the_sign_of_the_change() {
        // SPEC.md section 3: a loss narrowing from -190M to -163M grows 14.21%; one widening
        // from -0.67B to -5.76B shrinks 759.70%; a zero base has no growth.
        assert!((growth(-163.0, -190.0) - 27.0 / 190.0).abs() < 1e-15);
        assert!((growth(-5.76, -0.67) - (-5.09 / 0.67)).abs() < 1e-12);
        assert!(growth(5.0, 0.0).is_nan());
        assert_eq!(growth(121.0, 110.0), 11.0 / 110.0);
    }

    #[test]
    fn series_functions_by_hand() {
        let (c, v) = s(&[
            ("2019Q4", 50.0),
            ("2023Q4", 80.0),
            ("2024Q3", 90.0),
            ("2024Q4", 100.0),
        ]);
        let r = SeriesRef {
            codes: &c,
            values: &v,
        };
        assert_eq!(series_value(TsFn::Yoy, r, 1, None), (100.0 - 80.0) / 80.0);
        assert_eq!(series_value(TsFn::Qoq, r, 1, None), (100.0 - 90.0) / 90.0);
        assert_eq!(series_value(TsFn::Cagr, r, 5, None), 2f64.powf(0.2) - 1.0);
        assert!(series_value(TsFn::Cagr, r, 3, None).is_nan());
        assert_eq!(series_value(TsFn::Delta, r, 2, None), 20.0);
        assert_eq!(series_value(TsFn::Prev, r, 1, None), 90.0);
        assert_eq!(series_value(TsFn::Mavg, r, 2, None), 95.0);
        assert_eq!(series_value(TsFn::Mavg, r, 10, None), 80.0);
        assert_eq!(series_value(TsFn::Msum, r, 3, None), 270.0);
        assert_eq!(series_value(TsFn::Mmin, r, 3, None), 80.0);
        assert_eq!(series_value(TsFn::Mmax, r, 3, None), 100.0);
        assert_eq!(series_value(TsFn::Mmedian, r, 3, None), 90.0);
        assert_eq!(series_value(TsFn::Mdev, r, 3, None), 10.0);
        assert_eq!(series_value(TsFn::First, r, 1, None), 50.0);
        assert_eq!(series_value(TsFn::Points, r, 1, None), 4.0);
        // At an earlier period, functions look back from there.
        let at = Period::parse("2024Q3");
        assert_eq!(series_value(TsFn::Points, r, 1, at), 3.0);
        assert!(series_value(TsFn::Yoy, r, 1, at).is_nan());
        assert!(series_value(TsFn::Yoy, r, 1, Period::parse("2022Q1")).is_nan());
        // Up to a period without a point of its own: points before it still count.
        assert_eq!(series_value(TsFn::Points, r, 1, Period::parse("2024")), 4.0);
        assert_eq!(
            series_value(TsFn::Points, r, 1, Period::parse("2024Q2")),
            2.0
        );
        assert_eq!(series_value(TsFn::Points, r, 1, Period::parse("2019")), 1.0);
        assert_eq!(series_value(TsFn::Points, r, 1, Period::parse("2018")), 0.0);
        assert!(series_value(TsFn::First, r, 1, Period::parse("2018")).is_nan());
        assert_eq!(series_value(TsFn::First, r, 1, Period::parse("2021")), 50.0);
    }

    #[test]
    fn cagr_needs_a_positive_ratio() {
        let (c, v) = s(&[("2020", -10.0), ("2025", 20.0)]);
        let r = SeriesRef {
            codes: &c,
            values: &v,
        };
        assert!(series_value(TsFn::Cagr, r, 5, None).is_nan());
    }

    #[test]
    fn arithmetic_with_missing_and_zero() {
        assert!(arith(BinOp::Div, 1.0, 0.0).is_nan());
        assert!(arith(BinOp::Add, 1.0, f64::NAN).is_nan());
        let c = binary(
            BinOp::Gt,
            Col::Num(vec![1.0, f64::NAN]),
            Col::Num(vec![0.0, 0.0]),
        )
        .into_bool();
        assert_eq!(c, [true, false]);
        let c = binary(BinOp::Ne, Col::Num(vec![f64::NAN]), Col::Num(vec![0.0])).into_bool();
        assert_eq!(c, [false]);
    }
}
