//! A derived metric read company by company: each company's derived series comes from its
//! inputs' series alone, and the inputs are read side by side straight from their chunks
//! (or from columns already in memory), so a statement that needs one value per company
//! (a scorecard's indicators at a period) never holds a whole derived column, nor the
//! whole input columns it would be built from.

use super::{Rule, derive_series};
use crate::columns::RowSeries;
use crate::error::Result;
use crate::model::SeriesRef;

/// One metric's series as statements read it, one company at a time in row order.
pub enum Rows<'a> {
    /// Stored points only (or a column already derived whole).
    Plain(RowSeries<'a>),
    /// Stored points merged with what a rule gives from its inputs' rows.
    Derived(Box<Derived<'a>>),
}

pub struct Derived<'a> {
    rule: &'static Rule,
    stored: RowSeries<'a>,
    inputs: Vec<Rows<'a>>,
    scratch: Vec<u32>,
    codes: Vec<u32>,
    values: Vec<f64>,
}

impl<'a> Rows<'a> {
    /// `rule`'s metric: its `stored` points and `inputs` (in the rule's input order).
    pub fn derived(rule: &'static Rule, stored: RowSeries<'a>, inputs: Vec<Rows<'a>>) -> Self {
        Rows::Derived(Box::new(Derived {
            rule,
            stored,
            inputs,
            scratch: Vec::new(),
            codes: Vec::new(),
            values: Vec::new(),
        }))
    }

    /// Company `row`'s series (`key`: its symbol key), exactly as the whole derived column
    /// holds it ([`super::derive_column`]); rows must come in increasing order.
    pub fn at(&mut self, row: usize, key: &str) -> Result<SeriesRef<'_>> {
        let d = match self {
            Rows::Plain(r) => return r.at(row, key),
            Rows::Derived(d) => &mut **d,
        };
        let series = d
            .inputs
            .iter_mut()
            .map(|i| i.at(row, key))
            .collect::<Result<Vec<_>>>()?;
        let stored = d.stored.at(row, key)?;
        derive_series(
            d.rule.formula,
            stored,
            &series,
            &mut d.scratch,
            &mut d.codes,
            &mut d.values,
        );
        Ok(SeriesRef {
            codes: &d.codes,
            values: &d.values,
        })
    }
}
