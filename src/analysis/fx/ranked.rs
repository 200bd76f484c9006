//! Money values ranked across companies outside a select: a scorecard's money indicator
//! (graded within each peer group) and a `compare` row (side by side, graded within each
//! company's group). Every company's value is brought to the base currency once, where a
//! rate allows; [`RankedMoney::meet`] then decides, for the companies of one group, whether
//! their values may meet, exactly as [`Fx::align`] decides for a select's rows.
//!
//! A computed money metric (`define metric NAME = ... unit money`) is ranked the same way:
//! its money inputs are brought to the base currency company by company before it is
//! evaluated ([`Fx::column_in_base`]), and [`Fx::ranked_computed`] keeps what the
//! company reports beside it.

use super::{Fx, LeftOut, Meet};
use crate::columns::{ColumnBuilder, Companies, MetricColumn};
use crate::error::Result;
use crate::model::Period;
use crate::model::currency::{Basis, NoRate};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How one money metric's values of every company were brought to the base currency.
#[derive(Debug)]
pub struct RankedMoney {
    pub id: String,
    /// The bases of the money the metric reads: one for a stored or derived metric, those of
    /// its money inputs for a computed one.
    bases: Vec<Basis>,
    fx: Arc<Fx>,
    companies: Arc<Companies>,
    /// Values dropped for want of a rate: the company row and why.
    dropped: Vec<(usize, NoRate)>,
    /// A computed metric's value of every company as it reports it (in
    /// [`RankedMoney::own_currency`]); `None` for a metric with a column of its own.
    own: Option<Vec<f64>>,
}

impl Fx {
    /// Every company's value of money metric `id` (basis `basis`) at `at`, from its
    /// `column` (read as a select reads it at `at`): in the base currency where the
    /// company's currency can be converted (a value without a rate within 31 days of its
    /// period end is NaN and remembered), else in the company's own currency.
    pub fn ranked(
        self: &Arc<Fx>,
        companies: &Arc<Companies>,
        id: &str,
        basis: Basis,
        column: &MetricColumn,
        at: Option<Period>,
    ) -> (Vec<f64>, RankedMoney) {
        let mut dropped = Vec::new();
        let values = (0..companies.len())
            .map(|row| {
                let s = column.series(row);
                let Some(i) = s.anchor(at) else {
                    return f64::NAN;
                };
                let from = self.currency_of(companies, row, basis);
                if from == self.base || !self.convertible(from) {
                    return s.values[i];
                }
                match self.value_in(s.values[i], s.codes[i], from, &self.base) {
                    Ok(v) => v,
                    Err(why) => {
                        dropped.push((row, why));
                        f64::NAN
                    }
                }
            })
            .collect();
        let money = RankedMoney {
            id: id.to_string(),
            bases: vec![basis],
            fx: self.clone(),
            companies: companies.clone(),
            dropped,
            own: None,
        };
        (values, money)
    }

    /// Whether company `row`'s money read on `bases` is brought to the base currency: each
    /// of its currencies for them can be converted, and not all are the base already (else
    /// its values stay as they are, as [`Fx::ranked`] leaves them).
    pub fn converts_row(&self, companies: &Companies, row: usize, bases: &[Basis]) -> bool {
        let mut foreign = false;
        for &b in bases {
            let c = self.currency_of(companies, row, b);
            if c != self.base {
                if !self.convertible(c) {
                    return false;
                }
                foreign = true;
            }
        }
        foreign
    }

    /// `column` (money of `basis`) with the series of the rows `converts` marks brought to
    /// the base currency point by point. A point without a rate stays, as NaN, so that
    /// nothing older stands in for it when the series is read at a period.
    pub fn column_in_base(
        &self,
        companies: &Companies,
        column: &MetricColumn,
        basis: Basis,
        converts: &[bool],
    ) -> MetricColumn {
        let mut b = ColumnBuilder::new(companies.len());
        let mut values = Vec::new();
        for row in 0..companies.len() {
            let s = column.series(row);
            if s.is_empty() {
                continue;
            }
            if !converts.get(row).copied().unwrap_or(false) {
                b.push(row, s.codes, s.values);
                continue;
            }
            let from = self.currency_of(companies, row, basis);
            values.clear();
            values.extend(
                s.codes.iter().zip(s.values).map(|(&code, &v)| {
                    self.value_in(v, code, from, &self.base).unwrap_or(f64::NAN)
                }),
            );
            b.push(row, s.codes, &values);
        }
        b.finish()
    }

    /// Why company `row` has no rate for the money it reads at `at` (`inputs`: the stored
    /// columns and their bases): the point each input is read at first, then any other.
    fn why_no_rate(
        &self,
        companies: &Companies,
        row: usize,
        inputs: &[(&MetricColumn, Basis)],
        at: Option<Period>,
    ) -> Option<NoRate> {
        let no_rate = |col: &MetricColumn, basis: Basis, i: usize| {
            let s = col.series(row);
            let from = self.currency_of(companies, row, basis);
            self.value_in(s.values[i], s.codes[i], from, &self.base)
                .err()
        };
        let anchored = inputs.iter().find_map(|&(col, basis)| {
            let i = col.series(row).anchor(at)?;
            no_rate(col, basis, i)
        });
        anchored.or_else(|| {
            inputs.iter().find_map(|&(col, basis)| {
                (0..col.series(row).codes.len())
                    .rev()
                    .find_map(|i| no_rate(col, basis, i))
            })
        })
    }

    /// A computed money metric `id` ranked: `values` evaluated from its money `inputs`
    /// brought to the base where [`Fx::converts_row`] says so, `own` evaluated from them as
    /// stored. A company whose value is missing only for want of a rate is remembered.
    pub fn ranked_computed(
        self: &Arc<Fx>,
        companies: &Arc<Companies>,
        id: &str,
        inputs: &[(&MetricColumn, Basis)],
        at: Option<Period>,
        values: &[f64],
        mut own: Vec<f64>,
    ) -> RankedMoney {
        let mut bases: Vec<Basis> = Vec::new();
        for &(_, b) in inputs {
            if !bases.contains(&b) {
                bases.push(b);
            }
        }
        let mut dropped = Vec::new();
        for row in 0..companies.len() {
            if !self.converts_row(companies, row, &bases) {
                continue;
            }
            if values[row].is_nan()
                && !own[row].is_nan()
                && let Some(why) = self.why_no_rate(companies, row, inputs, at)
            {
                dropped.push((row, why));
            }
        }
        let mut money = RankedMoney {
            id: id.to_string(),
            bases,
            fx: self.clone(),
            companies: companies.clone(),
            dropped,
            own: None,
        };
        // A company whose inputs are in different currencies has no value of its own: it
        // shows the one in the base currency.
        for (row, v) in own.iter_mut().enumerate() {
            if money.mixed(row) {
                *v = values[row];
            }
        }
        money.own = Some(own);
        money
    }
}

impl RankedMoney {
    /// Whether the values (`values`, from [`Fx::ranked`]) of the companies `rows` may meet,
    /// and the currency they are in: the base, or the one currency they all share when it
    /// cannot be converted. Currencies without rates meeting is the error [`Fx::align`]
    /// gives. Values of `rows` left out for want of a rate are added to `left`.
    pub fn meet(&self, values: &[f64], rows: &[usize], left: &mut LeftOut) -> Result<String> {
        let mut met: BTreeMap<&str, &str> = BTreeMap::new();
        for &row in rows {
            if !values[row].is_nan() {
                for &b in &self.bases {
                    met.entry(self.fx.currency_of(&self.companies, row, b))
                        .or_insert(&self.id);
                }
            }
        }
        if !self.dropped.is_empty() {
            let mut sorted = rows.to_vec();
            sorted.sort_unstable();
            for (row, why) in &self.dropped {
                if sorted.binary_search(row).is_ok() {
                    left.add(why.clone());
                }
            }
        }
        Ok(match self.fx.meet(&met, &self.id)? {
            Meet::Keep(code) => code.to_string(),
            Meet::Convert => self.fx.base.clone(),
        })
    }

    /// A company's own currency for this metric (single-company output shows it): the
    /// base for a computed metric whose inputs are in different currencies.
    pub fn own_currency(&self, row: usize) -> &str {
        match (self.mixed(row), self.bases.first()) {
            (false, Some(&b)) => self.fx.currency_of(&self.companies, row, b),
            _ => &self.fx.base,
        }
    }

    /// A computed metric's value for company `row` in [`RankedMoney::own_currency`];
    /// `None` for a metric with a column of its own (read it there).
    pub fn own_value(&self, row: usize) -> Option<f64> {
        self.own
            .as_ref()
            .map(|v| v.get(row).copied().unwrap_or(f64::NAN))
    }

    /// Whether company `row`'s currencies differ between the bases the metric reads.
    fn mixed(&self, row: usize) -> bool {
        let mut codes = self
            .bases
            .iter()
            .map(|&b| self.fx.currency_of(&self.companies, row, b));
        let first = codes.next();
        codes.any(|c| Some(c) != first)
    }
}
