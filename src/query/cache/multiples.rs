//! Market multiples on a database whose companies name currencies: one company's inputs
//! brought to one currency ([`Cache::multiple_row`], used by patches, `series` and
//! provenance), and the values left out for want of a rate ([`Cache::multiple_left_out`],
//! which a select's note line counts).

use super::Cache;
use crate::analysis::derive::Rule;
use crate::analysis::fx::{Fx, LeftOut};
use crate::columns::Companies;
use crate::columns::MetricColumn;
use crate::error::Result;
use crate::model::currency::{Basis, NoRate};
use crate::model::{Period, SeriesRef};
use crate::storage::Database;

/// One company's input series of a rule, owned.
pub(super) type Owned = Vec<(Vec<u32>, Vec<f64>)>;

/// Company `row`'s input series of a market multiple in the base currency, when its
/// currencies differ between the inputs' bases (`None`: use them as they are).
pub(super) fn convert_row(
    fx: &Fx,
    companies: &Companies,
    bases: &[Option<Basis>],
    row: usize,
    inputs: &[SeriesRef],
) -> Option<Owned> {
    if !fx.differs(companies, row, bases) {
        return None;
    }
    let out = inputs
        .iter()
        .zip(bases)
        .map(|(s, basis)| match basis {
            Some(b) => {
                let from = fx.currency_of(companies, row, *b);
                let (mut c, mut v) = (Vec::new(), Vec::new());
                fx.points_to_base(from, s.codes, s.values, &mut c, &mut v);
                (c, v)
            }
            None => (s.codes.to_vec(), s.values.to_vec()),
        })
        .collect();
    Some(out)
}

/// Borrowed views of owned series.
pub(super) fn refs(owned: &Owned) -> Vec<SeriesRef<'_>> {
    owned
        .iter()
        .map(|(c, v)| SeriesRef {
            codes: c,
            values: v,
        })
        .collect()
}

impl Cache {
    /// Company `row`'s input series of `rule` in one currency when the rule is a market
    /// multiple whose inputs are in different currencies for it (`None`: as they are).
    pub(super) fn multiple_row(
        &mut self,
        db: &Database,
        rule: &Rule,
        row: usize,
        inputs: &[SeriesRef],
    ) -> Result<Option<Owned>> {
        let Some((fx, bases)) = self.multiple_bases(db, rule)? else {
            return Ok(None);
        };
        let companies = self.columns.companies(db)?;
        Ok(convert_row(&fx, &companies, &bases, row, inputs))
    }

    /// The values of market multiple `id` that the companies `rows` have from their inputs
    /// as stored but not in one currency, for want of a rate within 31 days: (row, period
    /// code, why). Empty for any other metric, and on a database whose companies name no
    /// currency.
    pub fn multiple_left_out(
        &mut self,
        db: &Database,
        id: &str,
        rows: &[usize],
    ) -> Result<Vec<(usize, u32, NoRate)>> {
        let Some(rule) = self.rule(db, id, &mut Vec::new())? else {
            return Ok(Vec::new());
        };
        let Some((fx, bases)) = self.multiple_bases(db, rule)? else {
            return Ok(Vec::new());
        };
        let companies = self.columns.companies(db)?;
        let rows: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&r| fx.differs(&companies, r, &bases))
            .collect();
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let inputs = self.rule_inputs(db, rule)?;
        let stored = self.columns.metric(db, id)?;
        let mut out = Vec::new();
        for row in rows {
            let raw: Vec<SeriesRef> = inputs.iter().map(|c| c.series(row)).collect();
            let Some(converted) = convert_row(&fx, &companies, &bases, row, &raw) else {
                continue;
            };
            let left = fx.multiple_left_out(
                rule,
                &companies,
                row,
                &bases,
                stored.series(row),
                &raw,
                &refs(&converted),
            );
            out.extend(left.into_iter().map(|(code, why)| (row, code, why)));
        }
        Ok(out)
    }

    /// Counts in `left` the values of market multiple `id` that the companies `rows` would
    /// have read at `at` but that are missing for want of a rate. `column` is the multiple
    /// as read: read at a period, the value read is the row's newest point not after it,
    /// and a missing value newer than that (and not after the period) counts; read `whole`
    /// (a time-series function), every missing value not after the period counts.
    #[allow(clippy::too_many_arguments)]
    pub fn count_left_out(
        &mut self,
        db: &Database,
        id: &str,
        rows: &[usize],
        column: &MetricColumn,
        at: Option<Period>,
        whole: bool,
        left: &mut LeftOut,
    ) -> Result<()> {
        // The newest period a read may take (a fiscal period is read exactly).
        let (limit, exact) = match at {
            None => (u32::MAX, false),
            Some(p @ Period::Day(_)) => (p.code() | 3, false),
            Some(p) => (p.code(), true),
        };
        for (row, code, why) in self.multiple_left_out(db, id, rows)? {
            let series = column.series(row);
            let counts = if whole {
                code <= limit
            } else if exact {
                code == limit
            } else {
                let read = series.anchor(at).map(|i| series.codes[i]);
                code <= limit && read.is_none_or(|c| code > c)
            };
            if counts {
                left.add(why);
            }
        }
        Ok(())
    }
}
