//! Currency conversion over columns (SPEC.md §1 "Currency"): the one place money values of
//! different currencies are brought to the base currency before they meet.
//!
//! - [`Fx::for_companies`] is `None` when no company has a `currency` or
//!   `trading_currency`: such a database (every generated benchmark dataset) takes no step
//!   of this module at all.
//! - [`Fx::align`] decides, for the money columns one statement reads over its rows,
//!   whether they must be converted (their values are in more than one currency, or in one
//!   that is not the base and can be converted), converts them, and says which currency the
//!   results are in and how many values were left out for want of a rate.
//! - [`Fx::align_multiple_inputs`] (`fx/multiple.rs`) converts, for the companies whose
//!   market and statement currencies differ, the inputs of a market multiple (market_cap /
//!   net_income) before they are divided, and [`Fx::multiple_left_out`] says which of the
//!   multiple's values that left out for want of a rate.
//!
//! Each value converts at the rate of its own period's end ([`Rates::usd`]: the latest fx
//! day on or before it, at most 31 days earlier).

use crate::columns::{ColumnBuilder, Companies, MetricColumn};
use crate::error::{Error, Result};
use crate::model::currency::{Basis, NoRate, Rates, company_currency};
use crate::model::{Date, Period};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The base currency and every rate, for a database whose companies name currencies.
#[derive(Debug)]
pub struct Fx {
    pub base: String,
    pub rates: Rates,
}

/// One money column a statement reads: its metric id, basis and column.
pub struct MoneyRead<'a> {
    pub id: &'a str,
    pub basis: Basis,
    pub column: &'a Arc<MetricColumn>,
}

/// What [`Fx::align`] decided.
#[derive(Debug, Default)]
pub struct Aligned {
    /// The converted columns, in the order of the reads (`None`: use the read as it is).
    pub columns: Vec<Option<Arc<MetricColumn>>>,
    /// The currency the money results are in.
    pub currency: String,
    /// The values left out for want of a rate ([`LeftOut::note`] says it in one line).
    pub left: LeftOut,
}

/// What money values meeting come to ([`Fx::meet`]).
pub(crate) enum Meet<'a> {
    /// Left as they are, in this currency.
    Keep(&'a str),
    /// Converted to the base currency.
    Convert,
}

/// Values left out for want of a rate: a count, and per currency the latest period end
/// that had none.
#[derive(Debug, Default)]
pub struct LeftOut {
    count: usize,
    latest: BTreeMap<String, Date>,
}

impl LeftOut {
    pub fn add(&mut self, why: NoRate) {
        self.count += 1;
        if let NoRate::Gap(code, day) = why {
            let e = self.latest.entry(code).or_insert(day);
            if day > *e {
                *e = day;
            }
        }
    }

    /// `12 values left out: no CNY rate on or before 2016-12-31`.
    pub fn note(&self) -> Option<String> {
        if self.count == 0 {
            return None;
        }
        let why: Vec<String> = self
            .latest
            .iter()
            .map(|(code, day)| format!("no {code} rate within 31 days on or before {day}"))
            .collect();
        let s = if self.count == 1 { "" } else { "s" };
        Some(format!(
            "{} value{s} left out: {}",
            self.count,
            why.join("; ")
        ))
    }
}

impl Fx {
    /// The conversion state of a database: `None` (nothing is ever converted) when no company
    /// names a currency.
    pub fn for_companies(companies: &Companies, base: String, rates: Rates) -> Option<Fx> {
        let named = companies.attribute("currency").is_some()
            || companies.attribute("trading_currency").is_some();
        named.then_some(Fx { base, rates })
    }

    /// A company's currency for a basis (each attribute defaulting to the other, then the
    /// base).
    pub fn currency_of<'a>(
        &'a self,
        companies: &'a Companies,
        row: usize,
        basis: Basis,
    ) -> &'a str {
        company_currency(
            companies.attr(row, "currency").map(|s| &**s),
            companies.attr(row, "trading_currency").map(|s| &**s),
            basis,
            &self.base,
        )
    }

    /// Brings the money columns a statement reads over `rows` to one currency. Columns whose
    /// values are all in the base currency stay as they are; so do columns all in one other
    /// currency that cannot be converted (the result then says that currency). Values of
    /// several currencies are converted to the base, and a currency among them without
    /// any rate is an error that names it and the fix.
    pub fn align(
        &self,
        companies: &Companies,
        reads: &[MoneyRead],
        rows: &[usize],
    ) -> Result<Aligned> {
        // The currencies of the values that meet, and for each the first metric they came
        // from (for the error).
        let mut met: BTreeMap<&str, &str> = BTreeMap::new();
        for read in reads {
            for &row in rows {
                if !read.column.series(row).is_empty() {
                    met.entry(self.currency_of(companies, row, read.basis))
                        .or_insert(read.id);
                }
            }
        }
        let keep = |currency: &str| Aligned {
            columns: vec![None; reads.len()],
            currency: currency.to_string(),
            left: LeftOut::default(),
        };
        if let Meet::Keep(currency) = self.meet(&met, reads.first().map_or("", |r| r.id))? {
            return Ok(keep(currency));
        }
        let mut left = LeftOut::default();
        let columns = reads
            .iter()
            .map(|read| {
                Some(Arc::new(self.convert(
                    companies,
                    read.column,
                    read.basis,
                    rows,
                    &mut left,
                )))
            })
            .collect();
        Ok(Aligned {
            columns,
            currency: self.base.clone(),
            left,
        })
    }

    /// What values in the currencies `met` (each with the first metric read in it) come to
    /// when they meet: kept as they are when all are in the base, or all in one currency
    /// that cannot be converted; else converted to the base, unless a currency among them
    /// (or the base) has no rates at all, which is an error naming it and the fix.
    pub(crate) fn meet<'a>(
        &'a self,
        met: &BTreeMap<&'a str, &'a str>,
        first_id: &str,
    ) -> Result<Meet<'a>> {
        let codes: Vec<&str> = met.keys().copied().collect();
        match codes.as_slice() {
            [] => return Ok(Meet::Keep(&self.base)),
            [only] if *only == self.base => return Ok(Meet::Keep(&self.base)),
            [only] if !self.convertible(only) => return Ok(Meet::Keep(only)),
            _ => {}
        }
        let mut all: BTreeSet<&str> = met.keys().copied().collect();
        all.insert(&self.base);
        let unknown: Vec<&str> = all
            .iter()
            .copied()
            .filter(|c| !self.rates.knows(c))
            .collect();
        if unknown.is_empty() {
            return Ok(Meet::Convert);
        }
        let metric = met
            .iter()
            .find(|(c, _)| unknown.contains(c))
            .map_or(first_id, |(_, m)| m);
        let mixed: Vec<&str> = all.iter().copied().collect();
        Err(Error::Data(format!(
            "{metric} mixes {}, and there are no {} rates: import them with finq import rates.csv --kind fx (columns date,currency,usd)",
            and_list(&mixed),
            and_list(&unknown),
        )))
    }

    /// Whether values in `code` can be brought to the base currency at all.
    pub fn convertible(&self, code: &str) -> bool {
        code == self.base || (self.rates.knows(code) && self.rates.knows(&self.base))
    }

    /// `column` in the base currency for `rows` (other rows are left empty); points without a
    /// rate are dropped and counted in `left`.
    fn convert(
        &self,
        companies: &Companies,
        column: &MetricColumn,
        basis: Basis,
        rows: &[usize],
        left: &mut LeftOut,
    ) -> MetricColumn {
        let mut sorted = rows.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut b = ColumnBuilder::new(companies.len());
        let (mut codes, mut values) = (Vec::new(), Vec::new());
        for row in sorted {
            let s = column.series(row);
            if s.is_empty() {
                continue;
            }
            let from = self.currency_of(companies, row, basis);
            if from == self.base {
                b.push(row, s.codes, s.values);
                continue;
            }
            codes.clear();
            values.clear();
            for (&code, &v) in s.codes.iter().zip(s.values) {
                match self.value_in(v, code, from, &self.base) {
                    Ok(x) => {
                        codes.push(code);
                        values.push(x);
                    }
                    Err(why) => left.add(why),
                }
            }
            b.push(row, &codes, &values);
        }
        b.finish()
    }

    /// A value of the period with `code` in `from`, in `to`.
    fn value_in(
        &self,
        v: f64,
        code: u32,
        from: &str,
        to: &str,
    ) -> std::result::Result<f64, NoRate> {
        let day = Period::from_code(code)
            .map(Period::end_date)
            .ok_or_else(|| NoRate::Unknown(from.to_string()))?;
        Ok(v * self.rates.factor(from, to, day)?)
    }
}

/// `CNY and USD`, `CNY, HKD and USD`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

mod multiple;
mod ranked;
pub use ranked::RankedMoney;

#[cfg(test)]
mod tests;
