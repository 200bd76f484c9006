//! Money values ranked across companies outside a select: a scorecard's money indicator
//! (graded within each peer group) and a `compare` row (side by side, graded within each
//! company's group). Every company's value is brought to the base currency once, where a
//! rate allows; [`RankedMoney::meet`] then decides, for the companies of one group, whether
//! their values may meet, exactly as [`Fx::align`] decides for a select's rows.

use super::{Fx, LeftOut, Meet};
use crate::columns::{Companies, MetricColumn};
use crate::error::Result;
use crate::model::Period;
use crate::model::currency::{Basis, NoRate};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How one money metric's values of every company were brought to the base currency.
#[derive(Debug)]
pub struct RankedMoney {
    pub id: String,
    basis: Basis,
    fx: Arc<Fx>,
    companies: Arc<Companies>,
    /// Values dropped for want of a rate: the company row and why.
    dropped: Vec<(usize, NoRate)>,
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
            basis,
            fx: self.clone(),
            companies: companies.clone(),
            dropped,
        };
        (values, money)
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
                met.entry(self.fx.currency_of(&self.companies, row, self.basis))
                    .or_insert(&self.id);
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

    /// A company's own currency for this metric (single-company output shows it).
    pub fn own_currency(&self, row: usize) -> &str {
        self.fx.currency_of(&self.companies, row, self.basis)
    }
}
