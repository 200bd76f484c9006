//! Market multiples across currencies: the as-of multiples of DERIVATIONS.md (pe_ttm, pb,
//! ps_ttm, dividend_yield) divide a market item by a statement item, which for a company
//! like Kingsoft Cloud (reports in CNY, trades in USD) are in different currencies. Both
//! go to the base currency first, each point at the rate of its own period end; a point
//! without a rate within 31 days stays as NaN, so the multiple is missing at the days that
//! read it (never computed from an older statement instead), and
//! [`Fx::multiple_left_out`] says which values that left out and why.

use super::Fx;
use crate::analysis::derive::{self, Rule};
use crate::columns::{ColumnBuilder, Companies, MetricColumn};
use crate::model::SeriesRef;
use crate::model::currency::{Basis, NoRate};
use std::sync::Arc;

impl Fx {
    /// The inputs of a market multiple (`inputs[k]` of basis `bases[k]`), with the rows
    /// of companies whose currencies differ between those bases converted to the base
    /// currency point by point ([`Fx::points_to_base`]). `None` when no company needs it.
    pub fn align_multiple_inputs(
        &self,
        companies: &Companies,
        bases: &[Option<Basis>],
        inputs: &[Arc<MetricColumn>],
    ) -> Option<Vec<Arc<MetricColumn>>> {
        let rows: Vec<usize> = (0..companies.len())
            .filter(|&r| self.differs(companies, r, bases))
            .collect();
        if rows.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(inputs.len());
        for (input, basis) in inputs.iter().zip(bases) {
            let Some(basis) = *basis else {
                out.push(input.clone());
                continue;
            };
            let mut b = ColumnBuilder::new(companies.len());
            let (mut codes, mut values) = (Vec::new(), Vec::new());
            let mut next = rows.iter().peekable();
            for row in 0..companies.len() {
                let s = input.series(row);
                if next.peek() != Some(&&row) {
                    if !s.is_empty() {
                        b.push(row, s.codes, s.values);
                    }
                    continue;
                }
                next.next();
                let from = self.currency_of(companies, row, basis);
                self.points_to_base(from, s.codes, s.values, &mut codes, &mut values);
                b.push(row, &codes, &values);
            }
            out.push(Arc::new(b.finish()));
        }
        Some(out)
    }

    /// Whether a company's currencies differ between the bases of some inputs.
    pub fn differs(&self, companies: &Companies, row: usize, bases: &[Option<Basis>]) -> bool {
        let mut seen: Option<&str> = None;
        bases.iter().flatten().any(|&b| {
            let c = self.currency_of(companies, row, b);
            match seen {
                Some(s) => s != c,
                None => {
                    seen = Some(c);
                    false
                }
            }
        })
    }

    /// A series in `from` as base-currency points; a point without a rate is kept as NaN.
    pub fn points_to_base(
        &self,
        from: &str,
        codes: &[u32],
        values: &[f64],
        out_codes: &mut Vec<u32>,
        out_values: &mut Vec<f64>,
    ) {
        out_codes.clear();
        out_values.clear();
        out_codes.extend_from_slice(codes);
        out_values.extend(
            codes
                .iter()
                .zip(values)
                .map(|(&code, &v)| self.value_in(v, code, from, &self.base).unwrap_or(f64::NAN)),
        );
    }

    /// The values of multiple `rule` that company `row` has from its inputs as stored
    /// (`raw`) but not from them in the base currency (`converted`, by
    /// [`Fx::points_to_base`]): each value's period code and why an input it reads has no
    /// rate. `bases[k]` is input k's basis (`None`: not money); `stored` the multiple's own
    /// stored points.
    #[allow(clippy::too_many_arguments)]
    pub fn multiple_left_out(
        &self,
        rule: &Rule,
        companies: &Companies,
        row: usize,
        bases: &[Option<Basis>],
        stored: SeriesRef,
        raw: &[SeriesRef],
        converted: &[SeriesRef],
    ) -> Vec<(u32, NoRate)> {
        let mut scratch = Vec::new();
        let (mut raw_codes, mut raw_values) = (Vec::new(), Vec::new());
        derive::derive_series(
            rule.formula,
            stored,
            raw,
            &mut scratch,
            &mut raw_codes,
            &mut raw_values,
        );
        let (mut codes, mut values) = (Vec::new(), Vec::new());
        derive::derive_series(
            rule.formula,
            stored,
            converted,
            &mut scratch,
            &mut codes,
            &mut values,
        );
        let mut out = Vec::new();
        for &code in &raw_codes {
            if codes.binary_search(&code).is_ok() {
                continue;
            }
            let mut used: Vec<(usize, u32)> = Vec::new();
            let _ = derive::value_at(rule.formula, raw, code, &mut used);
            let why = used.iter().find_map(|&(k, c)| {
                let basis = bases.get(k).copied().flatten()?;
                let s = raw.get(k)?;
                let i = s.codes.binary_search(&c).ok()?;
                let from = self.currency_of(companies, row, basis);
                self.value_in(s.values[i], c, from, &self.base).err()
            });
            if let Some(why) = why {
                out.push((code, why));
            }
        }
        out
    }
}
