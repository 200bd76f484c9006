//! Derived metrics (DERIVATIONS.md): indicators computed from statement items, so that
//! importing a company's statements is enough for a scorecard.
//!
//! Each rule says how one metric follows from its inputs at one period. A derived column
//! holds a company's stored points and, at every other period where the rule gives a value,
//! the derived one ("stored wins"). Columns are derived whole, for every company at once,
//! from the input columns the caller resolves (which may themselves be derived: a chain
//! such as gross_margin from a derived gross_profit), or company by company ([`Rows`])
//! when a statement needs one value per company. Every value can also be explained:
//! [`explain`] says which inputs at which periods it came from, or why it is missing.
//!
//! The period rules, all from SPEC.md §1 and DERIVATIONS.md:
//! - inputs are read at the same period; "prior" is the same kind of period a year before
//!   ([`SeriesRef::years_before`]: for a day, the day point nearest the anniversary);
//! - `avg(x)` is the mean of x at the period and at its prior, or x alone without a prior;
//! - a flow divided by a stock is a flow over a year: at a quarter or a half the sum of the
//!   four quarters ending there (all four needed), at a year or a day the point itself;
//! - market multiples exist at the day points of a price or market cap, against the latest
//!   statement at most 15 months old.

mod rows;

pub use rows::Rows;

use crate::columns::{ColumnBuilder, MetricColumn};
use crate::model::{Date, Period, PeriodKind, SeriesRef};

/// How a derived metric follows from its inputs (in [`Rule::inputs`] order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Formula {
    /// inputs[0] − inputs[1]; with `abs`, inputs[0] − |inputs[1]| (capital expenditure is
    /// reported with either sign).
    Difference { abs: bool },
    /// inputs[0] / inputs[1], both at the period.
    Ratio,
    /// A flow over a year divided by the average of a stock; with `positive`, missing when
    /// that average is not above zero (a return on negative equity means nothing).
    FlowOverAverage { positive: bool },
    /// Growth of inputs[0] against the same kind of period a year before: (x − b) / |b|.
    Growth,
    /// price × shares outstanding as of the price's day.
    MarketCap,
    /// market cap / a statement item as of the day: over the trailing twelve months for a
    /// flow (`ttm`), the latest balance for a stock.
    PriceMultiple { ttm: bool },
    /// Dividends paid over the trailing twelve months / market cap.
    Yield,
}

/// One input of a rule: a metric, and whether only its stored points count (a pair of rules
/// that derive each other, such as total equity and total liabilities, would otherwise use
/// itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Input {
    pub id: &'static str,
    pub stored_only: bool,
}

const fn i(id: &'static str) -> Input {
    Input {
        id,
        stored_only: false,
    }
}

const fn stored(id: &'static str) -> Input {
    Input {
        id,
        stored_only: true,
    }
}

/// A built-in derivation.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub id: &'static str,
    pub formula: Formula,
    pub inputs: &'static [Input],
}

/// DERIVATIONS.md's table, and the as-of market multiples.
pub const RULES: &[Rule] = &[
    rule(
        "gross_profit",
        Formula::Difference { abs: false },
        &[i("revenue"), i("cost_of_revenue")],
    ),
    rule(
        "total_liabilities",
        Formula::Difference { abs: false },
        &[i("total_assets"), stored("total_equity")],
    ),
    rule(
        "total_equity",
        Formula::Difference { abs: false },
        &[i("total_assets"), stored("total_liabilities")],
    ),
    rule(
        "free_cash_flow",
        Formula::Difference { abs: true },
        &[i("operating_cash_flow"), i("capital_expenditure")],
    ),
    rule(
        "eps",
        Formula::Ratio,
        &[i("net_income"), i("shares_outstanding")],
    ),
    rule(
        "gross_margin",
        Formula::Ratio,
        &[i("gross_profit"), i("revenue")],
    ),
    rule(
        "profit_margin",
        Formula::Ratio,
        &[i("net_income"), i("revenue")],
    ),
    rule(
        "roe",
        Formula::FlowOverAverage { positive: true },
        &[i("net_income"), i("total_equity")],
    ),
    rule(
        "roa",
        Formula::FlowOverAverage { positive: false },
        &[i("net_income"), i("total_assets")],
    ),
    rule(
        "turnover",
        Formula::FlowOverAverage { positive: false },
        &[i("revenue"), i("total_assets")],
    ),
    rule(
        "gearing_ratio",
        Formula::Ratio,
        &[i("total_liabilities"), i("total_assets")],
    ),
    rule(
        "current_ratio",
        Formula::Ratio,
        &[i("current_assets"), i("current_liabilities")],
    ),
    rule(
        "cash_flow_margin",
        Formula::Ratio,
        &[i("operating_cash_flow"), i("revenue")],
    ),
    rule("revenue_yoy", Formula::Growth, &[i("revenue")]),
    rule("net_profit_yoy", Formula::Growth, &[i("net_income")]),
    rule("total_assets_yoy", Formula::Growth, &[i("total_assets")]),
    rule("net_assets_yoy", Formula::Growth, &[i("total_equity")]),
    rule("ocf_yoy", Formula::Growth, &[i("operating_cash_flow")]),
    rule(
        "market_cap",
        Formula::MarketCap,
        &[i("price"), i("shares_outstanding")],
    ),
    rule(
        "pe_ttm",
        Formula::PriceMultiple { ttm: true },
        &[i("market_cap"), i("net_income")],
    ),
    rule(
        "pb",
        Formula::PriceMultiple { ttm: false },
        &[i("market_cap"), i("total_equity")],
    ),
    rule(
        "ps_ttm",
        Formula::PriceMultiple { ttm: true },
        &[i("market_cap"), i("revenue")],
    ),
    rule(
        "dividend_yield",
        Formula::Yield,
        &[i("dividends_paid"), i("market_cap")],
    ),
];

const fn rule(id: &'static str, formula: Formula, inputs: &'static [Input]) -> Rule {
    Rule {
        id,
        formula,
        inputs,
    }
}

/// The built-in rule deriving `id`, if there is one.
pub fn rule_for(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

impl Rule {
    /// The formula as DERIVATIONS.md writes it (`describe metric` shows it).
    pub fn text(&self) -> String {
        let n = |k: usize| self.inputs.get(k).map_or("?", |i| i.id);
        match self.formula {
            Formula::Difference { abs: false } => format!("{} - {}", n(0), n(1)),
            Formula::Difference { abs: true } => format!("{} - |{}|", n(0), n(1)),
            Formula::Ratio => format!("{} / {}", n(0), n(1)),
            Formula::FlowOverAverage { positive } => format!(
                "{} / avg({}){}",
                n(0),
                n(1),
                if positive {
                    "; missing when the average is not above 0"
                } else {
                    ""
                }
            ),
            Formula::Growth => format!("yoy({})", n(0)),
            Formula::MarketCap => format!("{} * as_of({}, day)", n(0), n(1)),
            Formula::PriceMultiple { ttm: true } => format!("{} / ttm_as_of({}, day)", n(0), n(1)),
            Formula::PriceMultiple { ttm: false } => format!("{} / as_of({}, day)", n(0), n(1)),
            Formula::Yield => format!("ttm_as_of({}, day) / {}", n(0), n(1)),
        }
    }
}

/// Why a value could not be derived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// Input `k` has no point at this period (code).
    NoPoint(usize, u32),
    /// Input `k` has no quarter among the four a flow over a year needs (the code of the
    /// first quarter missing).
    NoQuarter(usize, u32),
    /// Input `k` has no statement within 15 months before the day.
    NoStatement(usize),
    /// A division by zero.
    ZeroDivisor,
    /// The average of the stock is not above zero.
    NotPositive,
    /// The rule does not apply at this kind of period (a market multiple needs a day).
    NotADay,
}

/// Records the input points a value was computed from (for provenance); the column path
/// passes [`Ignore`].
pub trait Trace {
    fn used(&mut self, input: usize, code: u32);
}

/// A [`Trace`] that keeps nothing.
pub struct Ignore;

impl Trace for Ignore {
    #[inline]
    fn used(&mut self, _: usize, _: u32) {}
}

impl Trace for Vec<(usize, u32)> {
    fn used(&mut self, input: usize, code: u32) {
        if !self.contains(&(input, code)) {
            self.push((input, code));
        }
    }
}

fn kind_of(code: u32) -> u32 {
    code & 3
}

const DAY: u32 = PeriodKind::Day as u32;
const QUARTER: u32 = PeriodKind::Quarter as u32;
const YEAR: u32 = PeriodKind::Year as u32;

/// Input `k` exactly at `code`.
fn at(s: &SeriesRef, k: usize, code: u32, t: &mut impl Trace) -> Result<f64, Missing> {
    match s.codes.binary_search(&code) {
        Ok(j) => {
            t.used(k, code);
            Ok(s.values[j])
        }
        Err(_) => Err(Missing::NoPoint(k, code)),
    }
}

/// The same kind of period one year before `code`, in this series (SPEC.md §1).
fn prior_index(s: &SeriesRef, code: u32) -> Option<usize> {
    let p = Period::from_code(code)?.years_before(1);
    match p {
        // The series' day point nearest the anniversary, within the tolerance.
        Period::Day(d) => nearest_day(s, d),
        q => s.codes.binary_search(&q.code()).ok(),
    }
}

fn nearest_day(s: &SeriesRef, d: Date) -> Option<usize> {
    let target = d.days_since_epoch();
    let tol = crate::model::DAY_MATCH_TOLERANCE;
    let day_code = |days: i64| Period::Day(Date::from_days_since_epoch(days)).code();
    let lo = s.codes.partition_point(|&c| c < day_code(target - tol));
    let hi = s.codes.partition_point(|&c| c <= day_code(target + tol));
    (lo..hi)
        .filter(|&k| kind_of(s.codes[k]) == DAY)
        .min_by_key(|&k| {
            let days =
                Period::from_code(s.codes[k]).map_or(i64::MAX, |p| p.end_date().days_since_epoch());
            ((days - target).abs(), days)
        })
}

/// avg(x) at `code`: the mean with the prior when there is one, else x at `code`.
fn avg(s: &SeriesRef, k: usize, code: u32, t: &mut impl Trace) -> Result<f64, Missing> {
    let now = at(s, k, code, t)?;
    Ok(match prior_index(s, code) {
        Some(j) => {
            t.used(k, s.codes[j]);
            (now + s.values[j]) / 2.0
        }
        None => now,
    })
}

/// The quarters whose sum is a flow over the year ending with `end` (the quarter or half
/// ending that day): that quarter and the three before it, as codes.
fn four_quarters(end: Date) -> [u32; 4] {
    let q = Period::Quarter(end.year, end.month.div_ceil(3));
    let mut out = [0u32; 4];
    let mut p = q;
    for slot in out.iter_mut().rev() {
        *slot = p.code();
        p = p.previous_quarter().unwrap_or(p);
    }
    out
}

/// A flow over the year ending at `code` (DERIVATIONS.md, "flows over a year"): at a
/// quarter or half the sum of the four quarters ending there, all needed; at a year or a
/// day the point itself.
fn flow_over_year(s: &SeriesRef, k: usize, code: u32, t: &mut impl Trace) -> Result<f64, Missing> {
    match kind_of(code) {
        YEAR | DAY => at(s, k, code, t),
        _ => {
            let end = Period::from_code(code)
                .map(Period::end_date)
                .ok_or(Missing::NoPoint(k, code))?;
            let mut sum = 0.0;
            for q in four_quarters(end) {
                match s.codes.binary_search(&q) {
                    Ok(j) => {
                        t.used(k, q);
                        sum += s.values[j];
                    }
                    Err(_) => return Err(Missing::NoQuarter(k, q)),
                }
            }
            Ok(sum)
        }
    }
}

/// The earliest statement end a day's multiple may use: 15 months before the day.
fn statement_limit(day: Date) -> Date {
    let months = day.year * 12 + i32::from(day.month) - 1 - 15;
    let (year, month) = (months.div_euclid(12), (months.rem_euclid(12) + 1) as u8);
    // The same day of that month, or its last day when shorter (31 March → 31 December).
    let mut d = day.day;
    while Date::new(year, month, d).is_none() {
        d -= 1;
    }
    Date::new(year, month, d).unwrap_or(day)
}

/// The latest statement point (a year, half or quarter) ending on or before `day` and not
/// more than 15 months before it.
fn latest_statement(s: &SeriesRef, day: Date) -> Option<usize> {
    let limit = statement_limit(day).days_since_epoch();
    let upto = s
        .codes
        .partition_point(|&c| c <= (Period::Day(day).code() | 3));
    (0..upto).rev().find_map(|j| {
        let code = s.codes[j];
        if kind_of(code) == DAY {
            return None;
        }
        let end = Period::from_code(code)?.end_date().days_since_epoch();
        (end >= limit).then_some(j)
    })
}

/// as_of(x, day): x at the latest statement ending on or before the day, at most 15 months
/// before it.
fn as_of(s: &SeriesRef, k: usize, day: Date, t: &mut impl Trace) -> Result<f64, Missing> {
    let j = latest_statement(s, day).ok_or(Missing::NoStatement(k))?;
    t.used(k, s.codes[j]);
    Ok(s.values[j])
}

/// ttm_as_of(flow, day): the last four quarters ending on or before the day when the
/// latest of them is newer than the latest fiscal year on or before the day, else that
/// fiscal year's value (the same 15-month limit on the period used).
fn ttm_as_of(s: &SeriesRef, k: usize, day: Date, t: &mut impl Trace) -> Result<f64, Missing> {
    let limit = statement_limit(day).days_since_epoch();
    let upto = s
        .codes
        .partition_point(|&c| c <= (Period::Day(day).code() | 3));
    let latest_of = |kind: u32| (0..upto).rev().find(|&j| kind_of(s.codes[j]) == kind);
    let recent = |j: usize| {
        Period::from_code(s.codes[j]).is_some_and(|p| p.end_date().days_since_epoch() >= limit)
    };
    let year = latest_of(YEAR).filter(|&j| recent(j));
    let quarter = latest_of(QUARTER).filter(|&j| recent(j));
    match (quarter, year) {
        (Some(q), y) if y.is_none_or(|y| s.codes[q] > s.codes[y]) => {
            flow_over_year(s, k, s.codes[q], t)
        }
        (_, Some(y)) => {
            t.used(k, s.codes[y]);
            Ok(s.values[y])
        }
        _ => Err(Missing::NoStatement(k)),
    }
}

fn divide(a: f64, b: f64) -> Result<f64, Missing> {
    if b == 0.0 {
        Err(Missing::ZeroDivisor)
    } else {
        Ok(a / b)
    }
}

/// The rule's value at `code` from its inputs' series (in [`Rule::inputs`] order).
pub fn value_at(
    formula: Formula,
    inputs: &[SeriesRef],
    code: u32,
    t: &mut impl Trace,
) -> Result<f64, Missing> {
    let s = |k: usize| inputs[k];
    match formula {
        Formula::Difference { abs } => {
            let a = at(&s(0), 0, code, t)?;
            let b = at(&s(1), 1, code, t)?;
            Ok(if abs { a - b.abs() } else { a - b })
        }
        Formula::Ratio => {
            let a = at(&s(0), 0, code, t)?;
            let b = at(&s(1), 1, code, t)?;
            divide(a, b)
        }
        Formula::FlowOverAverage { positive } => {
            let flow = flow_over_year(&s(0), 0, code, t)?;
            let stock = avg(&s(1), 1, code, t)?;
            if positive && stock <= 0.0 {
                return Err(Missing::NotPositive);
            }
            divide(flow, stock)
        }
        Formula::Growth => {
            let x = at(&s(0), 0, code, t)?;
            let j = prior_index(&s(0), code).ok_or_else(|| {
                let before = Period::from_code(code).map_or(code, |p| p.years_before(1).code());
                Missing::NoPoint(0, before)
            })?;
            t.used(0, s(0).codes[j]);
            let b = s(0).values[j];
            if b == 0.0 {
                Err(Missing::ZeroDivisor)
            } else {
                Ok((x - b) / b.abs())
            }
        }
        Formula::MarketCap | Formula::PriceMultiple { .. } | Formula::Yield => {
            let Some(Period::Day(day)) = Period::from_code(code) else {
                return Err(Missing::NotADay);
            };
            match formula {
                Formula::MarketCap => {
                    let price = at(&s(0), 0, code, t)?;
                    Ok(price * as_of(&s(1), 1, day, t)?)
                }
                Formula::PriceMultiple { ttm } => {
                    let cap = at(&s(0), 0, code, t)?;
                    let item = if ttm {
                        ttm_as_of(&s(1), 1, day, t)?
                    } else {
                        as_of(&s(1), 1, day, t)?
                    };
                    divide(cap, item)
                }
                _ => {
                    let cap = at(&s(1), 1, code, t)?;
                    let paid = ttm_as_of(&s(0), 0, day, t)?;
                    // Dividends paid are a cash outflow, reported with either sign.
                    divide(paid.abs(), cap)
                }
            }
        }
    }
}

/// The periods at which a rule may give a value for one company: for market multiples the
/// days of the price or market cap, otherwise every period of its inputs.
fn candidates(formula: Formula, inputs: &[SeriesRef], out: &mut Vec<u32>) {
    out.clear();
    match formula {
        Formula::MarketCap | Formula::PriceMultiple { .. } => {
            out.extend(inputs[0].codes.iter().filter(|&&c| kind_of(c) == DAY));
        }
        Formula::Yield => out.extend(inputs[1].codes.iter().filter(|&&c| kind_of(c) == DAY)),
        Formula::Growth => out.extend_from_slice(inputs[0].codes),
        _ => {
            for s in inputs {
                out.extend_from_slice(s.codes);
            }
            out.sort_unstable();
            out.dedup();
        }
    }
}

/// One company's series of a derived metric: its stored points, and the derived value at
/// every other candidate period where the rule gives one.
pub fn derive_series(
    formula: Formula,
    stored: SeriesRef,
    inputs: &[SeriesRef],
    scratch: &mut Vec<u32>,
    codes: &mut Vec<u32>,
    values: &mut Vec<f64>,
) {
    codes.clear();
    values.clear();
    if inputs.iter().all(|s| s.is_empty()) {
        codes.extend_from_slice(stored.codes);
        values.extend_from_slice(stored.values);
        return;
    }
    candidates(formula, inputs, scratch);
    let mut j = 0;
    for &code in scratch.iter() {
        // Stored points before this candidate, and the stored point at it, go first.
        while j < stored.codes.len() && stored.codes[j] < code {
            codes.push(stored.codes[j]);
            values.push(stored.values[j]);
            j += 1;
        }
        if j < stored.codes.len() && stored.codes[j] == code {
            continue;
        }
        if let Ok(v) = value_at(formula, inputs, code, &mut Ignore)
            && v.is_finite()
        {
            codes.push(code);
            values.push(v);
        }
    }
    codes.extend_from_slice(&stored.codes[j..]);
    values.extend_from_slice(&stored.values[j..]);
}

/// A derived column for every company: `stored` merged with what `rule` gives from
/// `inputs` (whole columns, in the rule's input order).
pub fn derive_column(
    rule: &Rule,
    stored: &MetricColumn,
    inputs: &[&MetricColumn],
    rows: usize,
) -> MetricColumn {
    let mut b = ColumnBuilder::new(rows);
    let (mut scratch, mut codes, mut values) = (Vec::new(), Vec::new(), Vec::new());
    let mut series: Vec<SeriesRef> = Vec::with_capacity(inputs.len());
    for row in 0..rows {
        series.clear();
        series.extend(inputs.iter().map(|c| c.series(row)));
        derive_series(
            rule.formula,
            stored.series(row),
            &series,
            &mut scratch,
            &mut codes,
            &mut values,
        );
        if !codes.is_empty() {
            b.push(row, &codes, &values);
        }
    }
    b.finish()
}

/// Where one value came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Provenance {
    Stored,
    /// Derived from these inputs (metric id, period code), in the order they were read.
    Derived(Vec<(&'static str, u32)>),
    /// Not derivable, and why.
    Missing(String),
}

/// Explains the value of `rule` at `code` for one company from its inputs' series.
pub fn explain(rule: &Rule, inputs: &[SeriesRef], code: u32) -> (f64, Provenance) {
    let mut used: Vec<(usize, u32)> = Vec::new();
    match value_at(rule.formula, inputs, code, &mut used) {
        Ok(v) if v.is_finite() => (
            v,
            Provenance::Derived(
                used.into_iter()
                    .map(|(k, c)| (rule.inputs[k].id, c))
                    .collect(),
            ),
        ),
        Ok(_) => (f64::NAN, Provenance::Missing("not a finite number".into())),
        Err(m) => (f64::NAN, Provenance::Missing(describe_missing(rule, m))),
    }
}

/// A reason in words: `no total_equity at 2015`.
pub fn describe_missing(rule: &Rule, m: Missing) -> String {
    let name = |k: usize| rule.inputs.get(k).map_or("?", |i| i.id);
    let period = |c: u32| Period::from_code(c).map_or("?".into(), |p| p.to_string());
    match m {
        Missing::NoPoint(k, c) => format!("no {} at {}", name(k), period(c)),
        Missing::NoQuarter(k, c) => {
            format!(
                "no {} at {} (a flow over a year needs four quarters)",
                name(k),
                period(c)
            )
        }
        Missing::NoStatement(k) => {
            format!("no {} statement within 15 months before the day", name(k))
        }
        Missing::ZeroDivisor => "division by zero".into(),
        Missing::NotPositive => format!("avg({}) is not above 0", name(1)),
        Missing::NotADay => "a market multiple is derived at a day's price".into(),
    }
}

/// `ttm(x)` (SPEC.md §3): at a quarter the sum of the four quarters ending there, at a year
/// the year itself, at a half or a day the last four quarters ending on or before it, else
/// the fiscal year ending there; missing when none of these exists.
pub fn ttm(s: &SeriesRef, i: usize) -> f64 {
    let Some(&code) = s.codes.get(i) else {
        return f64::NAN;
    };
    match kind_of(code) {
        YEAR => s.values[i],
        _ => {
            let Some(end) = Period::from_code(code).map(Period::end_date) else {
                return f64::NAN;
            };
            // The last quarter ending on or before the period's end, with its three before.
            let upto = s
                .codes
                .partition_point(|&c| c <= (Period::Day(end).code() | 3));
            if let Some(q) = (0..upto).rev().find(|&j| kind_of(s.codes[j]) == QUARTER)
                && let Ok(v) = flow_over_year(s, 0, s.codes[q], &mut Ignore)
            {
                return v;
            }
            // Else the fiscal year ending that day (a fourth quarter's year).
            match s.codes.binary_search(&Period::Year(end.year).code()) {
                Ok(j) if Period::Year(end.year).end_date() == end => s.values[j],
                _ => f64::NAN,
            }
        }
    }
}

#[cfg(test)]
mod tests;
