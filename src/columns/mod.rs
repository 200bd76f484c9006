//! The columns layer: the in-memory, column-shaped mirror of the store that queries read.
//! Every company once, and each metric's points for all companies in one flat array, loaded
//! on first use, patched when a write changes a few series and dropped on any other write. It sits between [`storage`]
//! (which it reads) and [`analysis`]/[`query`] (which read it); it knows nothing of scoring.
//!
//! [`storage`]: crate::storage
//! [`analysis`]: crate::analysis
//! [`query`]: crate::query

use crate::error::Result;
use crate::fasthash::FastHash;
pub use crate::model::SeriesRef;
use crate::model::{Period, symbol_key};
use crate::storage::{Database, chunk};
use std::collections::HashMap;
use std::sync::Arc;

mod companies;
mod rows;
pub use companies::{Companies, CompaniesBuilder, CompanyRow};
pub use rows::RowSeries;

/// One metric for every company, in compressed-row form: company `i`'s values are
/// `values[offsets[i]..offsets[i + 1]]`, and its period codes (ascending) the same number of
/// codes from `code_starts[i]` in `codes`. Companies mostly report the same periods, so each
/// distinct run of codes is kept once: a point costs its 8-byte value, not 12 bytes.
#[derive(Debug, Default, Clone)]
pub struct MetricColumn {
    offsets: Vec<u32>,
    values: Vec<f64>,
    code_starts: Vec<u32>,
    codes: Vec<u32>,
    /// Set for a column of one company (row `only`, stored as row 0): every other row is
    /// empty without an offset per company.
    only: Option<usize>,
    /// Codes appended by [`MetricColumn::set_row`] since the column was built.
    patched_codes: usize,
}

impl MetricColumn {
    pub fn series(&self, company: usize) -> SeriesRef<'_> {
        let company = match self.only {
            Some(r) if r == company => 0,
            Some(_) => return SeriesRef::EMPTY,
            None => company,
        };
        let (Some(&a), Some(&b), Some(&c)) = (
            self.offsets.get(company),
            self.offsets.get(company + 1),
            self.code_starts.get(company),
        ) else {
            return SeriesRef::EMPTY;
        };
        let (a, b, c) = (a as usize, b as usize, c as usize);
        SeriesRef {
            codes: &self.codes[c..c + (b - a)],
            values: &self.values[a..b],
        }
    }

    /// Replaces company `row`'s series (a write changed it), in place: the values move
    /// up or down by the difference in length, and new period codes go to the end of the
    /// shared runs (the column is rebuilt once patches have added many). Returns false, and
    /// changes nothing, for a one-company column or a row past the end.
    pub fn set_row(&mut self, row: usize, codes: &[u32], values: &[f64]) -> bool {
        let rows = self.offsets.len().saturating_sub(1);
        if self.only.is_some() || row >= rows || codes.len() != values.len() {
            return false;
        }
        let (a, b) = (self.offsets[row] as usize, self.offsets[row + 1] as usize);
        let old = b - a;
        let start = self.code_starts[row] as usize;
        if old != codes.len() || self.codes[start..start + old] != *codes {
            self.code_starts[row] = self.codes.len() as u32;
            self.codes.extend_from_slice(codes);
            self.patched_codes += codes.len();
        }
        self.values.splice(a..b, values.iter().copied());
        if old != codes.len() {
            for o in &mut self.offsets[row + 1..] {
                *o = (*o as usize + codes.len() - old) as u32;
            }
        }
        if self.patched_codes > 4096 && self.patched_codes * 2 > self.codes.len() {
            let mut b = ColumnBuilder::new(rows);
            for r in 0..rows {
                let s = self.series(r);
                b.push(r, s.codes, s.values);
            }
            *self = b.finish();
        }
        true
    }

    /// A column where only company `row` (of `rows`) has points; its size does not depend
    /// on how many companies there are.
    pub fn single(rows: usize, row: usize, codes: &[u32], values: &[f64]) -> MetricColumn {
        let mut b = ColumnBuilder::new(1);
        b.push(0, codes, values);
        let mut col = b.finish();
        col.only = (row < rows).then_some(row);
        if col.only.is_none() {
            col = ColumnBuilder::new(rows).finish();
        }
        col
    }
}

/// Sets `row` of a column holding one point per company to the point `series` has at
/// `at` (none when it has none there). False when the column cannot be patched.
pub fn patch_anchored(
    col: &mut Arc<MetricColumn>,
    row: usize,
    series: SeriesRef,
    at: Option<Period>,
) -> bool {
    let col = Arc::make_mut(col);
    match series.anchor(at) {
        Some(i) => col.set_row(row, &series.codes[i..=i], &series.values[i..=i]),
        None => col.set_row(row, &[], &[]),
    }
}

/// Builds a [`MetricColumn`] row by row, sharing repeated runs of period codes.
pub struct ColumnBuilder {
    col: MetricColumn,
    rows: usize,
    /// Runs stored so far, by (length, first, last, sum of codes) → their starts.
    runs: HashMap<(usize, u32, u32, u64), Vec<u32>, FastHash>,
}

impl ColumnBuilder {
    pub fn new(rows: usize) -> ColumnBuilder {
        let mut col = MetricColumn::default();
        col.offsets.reserve(rows + 1);
        col.code_starts.reserve(rows);
        col.offsets.push(0);
        ColumnBuilder {
            col,
            rows,
            runs: HashMap::default(),
        }
    }

    /// Rows before `row` not pushed yet are empty.
    fn fill_to(&mut self, row: usize) {
        while self.col.code_starts.len() < row {
            self.col.code_starts.push(0);
            self.col.offsets.push(self.col.values.len() as u32);
        }
    }

    /// Sets row `row`'s series; rows come in increasing order, each at most once.
    pub fn push(&mut self, row: usize, codes: &[u32], values: &[f64]) {
        if row >= self.rows || row < self.col.code_starts.len() || codes.len() != values.len() {
            return;
        }
        self.fill_to(row);
        let key = (
            codes.len(),
            codes.first().copied().unwrap_or(0),
            codes.last().copied().unwrap_or(0),
            codes.iter().map(|&c| u64::from(c)).sum(),
        );
        let codes_store = &mut self.col.codes;
        let starts = self.runs.entry(key).or_default();
        let start = match starts
            .iter()
            .find(|&&s| codes_store[s as usize..s as usize + codes.len()] == *codes)
        {
            Some(&s) => s,
            None => {
                let s = codes_store.len() as u32;
                codes_store.extend_from_slice(codes);
                starts.push(s);
                s
            }
        };
        self.col.code_starts.push(start);
        self.col.values.extend_from_slice(values);
        self.col.offsets.push(self.col.values.len() as u32);
    }

    pub fn finish(mut self) -> MetricColumn {
        self.fill_to(self.rows);
        self.col.codes.shrink_to_fit();
        self.col
    }
}

/// The columns a session keeps between statements (its cache of loaded data).
#[derive(Default)]
pub struct Columns {
    companies: Option<Arc<Companies>>,
    metrics: HashMap<String, Arc<MetricColumn>>,
    /// Columns holding only each company's point at a period (`None`: its latest), for
    /// statements that read nothing else of a metric.
    anchored: HashMap<(String, Option<Period>), Arc<MetricColumn>>,
    /// Single series read for `series` statements, by (metric, symbol key).
    series: HashMap<(String, String), Arc<crate::model::Series>>,
}

impl Columns {
    /// Forgets everything; called after every write.
    pub fn clear(&mut self) {
        self.companies = None;
        self.metrics.clear();
        self.anchored.clear();
        self.series.clear();
    }

    /// The companies if an earlier statement loaded them (nothing is read).
    pub fn loaded_companies(&self) -> Option<Arc<Companies>> {
        self.companies.clone()
    }

    /// A metric read company by company: from its whole column when one is in memory,
    /// otherwise straight from its chunks (nothing is kept).
    pub fn rows<'a>(&self, db: &'a Database, id: &str) -> RowSeries<'a> {
        match self.metrics.get(id) {
            Some(col) => RowSeries::whole(col.clone()),
            None => RowSeries::stored(db, id),
        }
    }

    /// Brings what is kept of one metric up to date after a write changed company `row`'s
    /// points of it (`symbol`, an existing company): its whole and anchored columns get
    /// the row as stored now, and a kept single series is forgotten. Nothing is read when
    /// nothing of the metric is kept.
    pub fn patch(&mut self, db: &Database, id: &str, symbol: &str, row: usize) -> Result<()> {
        self.series.remove(&(id.to_string(), symbol_key(symbol)));
        let anchored: Vec<Option<Period>> = self
            .anchored
            .keys()
            .filter(|k| k.0 == id)
            .map(|k| k.1)
            .collect();
        if anchored.is_empty() && !self.metrics.contains_key(id) {
            return Ok(());
        }
        let (codes, values) = db.series(id, symbol)?.unwrap_or_default().unzipped();
        let now = SeriesRef {
            codes: &codes,
            values: &values,
        };
        if let Some(col) = self.metrics.get_mut(id)
            && !Arc::make_mut(col).set_row(row, &codes, &values)
        {
            self.metrics.remove(id);
        }
        for at in anchored {
            let key = (id.to_string(), at);
            if let Some(col) = self.anchored.get_mut(&key)
                && !patch_anchored(col, row, now, at)
            {
                self.anchored.remove(&key);
            }
        }
        Ok(())
    }

    /// One company's series of one metric (empty when it has none), read from its chunk
    /// once and kept until the next write.
    pub fn series(
        &mut self,
        db: &Database,
        id: &str,
        symbol: &str,
    ) -> Result<Arc<crate::model::Series>> {
        let key = (id.to_string(), symbol_key(symbol));
        if let Some(s) = self.series.get(&key) {
            return Ok(s.clone());
        }
        let s = Arc::new(db.series(id, symbol)?.unwrap_or_default());
        self.series.insert(key, s.clone());
        Ok(s)
    }

    /// One metric as a column holding only the point each company has at `at` (the point
    /// [`SeriesRef::value_at`] picks): for a statement that only compares and ranks values
    /// at one period, a whole column would be 40 times larger for the same answers. The full
    /// column is used when it is loaded anyway.
    pub fn anchored(
        &mut self,
        db: &Database,
        id: &str,
        at: Option<Period>,
    ) -> Result<Arc<MetricColumn>> {
        if let Some(m) = self.metrics.get(id) {
            return Ok(m.clone());
        }
        let key = (id.to_string(), at);
        if let Some(m) = self.anchored.get(&key) {
            return Ok(m.clone());
        }
        let (mut codes, mut values) = (Vec::new(), Vec::new());
        let col = self.column_from_chunks(db, id, |e, row, b| {
            // The latest point is the last one: no need to decode the others.
            if at.is_none() {
                if let Some((c, v)) = e.last() {
                    b.push(row, &[c], &[v]);
                }
                return;
            }
            codes.clear();
            values.clear();
            codes.extend(e.codes());
            values.extend(e.values());
            let s = SeriesRef {
                codes: &codes,
                values: &values,
            };
            if let Some(i) = s.anchor(at) {
                b.push(row, &codes[i..=i], &values[i..=i]);
            }
        })?;
        let col = Arc::new(col);
        self.anchored.insert(key, col.clone());
        Ok(col)
    }

    pub fn companies(&mut self, db: &Database) -> Result<Arc<Companies>> {
        if let Some(c) = &self.companies {
            return Ok(c.clone());
        }
        let mut b = CompaniesBuilder::new(0);
        db.for_each_company_block(|v| b.push_block(v))?;
        let c = Arc::new(b.finish());
        self.companies = Some(c.clone());
        Ok(c)
    }

    /// A column of one metric built in one range scan of its chunks: `keep` is given each
    /// company's chunk entry and row and pushes what the column holds of it. Chunks come in
    /// symbol order, as the companies do, so rows fill in one pass.
    fn column_from_chunks(
        &mut self,
        db: &Database,
        id: &str,
        mut keep: impl FnMut(&chunk::Entry, usize, &mut ColumnBuilder),
    ) -> Result<MetricColumn> {
        let companies = self.companies(db)?;
        let mut b = ColumnBuilder::new(companies.len());
        // Usually the next row is the entry's: checked before a search.
        let mut next = 0;
        db.for_each_series(id, |e| {
            let row = match companies.rows.get(next) {
                Some(r) if *r.key == *e.key => Some(next),
                _ => companies.row_of_key(e.key),
            };
            if let Some(row) = row {
                next = row + 1;
                keep(&e, row, &mut b);
            }
        })?;
        Ok(b.finish())
    }

    /// The whole column of a metric's stored points, if an earlier statement loaded it.
    pub fn loaded_metric(&self, id: &str) -> Option<Arc<MetricColumn>> {
        self.metrics.get(id).cloned()
    }

    /// A metric's stored points for `rows` only (sorted row numbers), every other row
    /// empty: one range scan, decoding only the kept companies' entries. Not kept here (the
    /// session cache keeps it under its row set).
    pub fn stored_for_rows(
        &mut self,
        db: &Database,
        id: &str,
        rows: &[usize],
    ) -> Result<MetricColumn> {
        let (mut codes, mut values) = (Vec::new(), Vec::new());
        self.column_from_chunks(db, id, |e, row, b| {
            if rows.binary_search(&row).is_err() {
                return;
            }
            codes.clear();
            values.clear();
            codes.extend(e.codes());
            values.extend(e.values());
            b.push(row, &codes, &values);
        })
    }

    /// One metric (by id) for every company, from one range scan of its series.
    pub fn metric(&mut self, db: &Database, id: &str) -> Result<Arc<MetricColumn>> {
        if let Some(m) = self.metrics.get(id) {
            return Ok(m.clone());
        }
        let (mut codes, mut values) = (Vec::new(), Vec::new());
        let col = self.column_from_chunks(db, id, |e, row, b| {
            codes.clear();
            values.clear();
            codes.extend(e.codes());
            values.extend(e.values());
            b.push(row, &codes, &values);
        })?;
        let col = Arc::new(col);
        self.metrics.insert(id.to_string(), col.clone());
        Ok(col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_share_repeated_period_runs_and_keep_empty_rows_empty() {
        let mut b = ColumnBuilder::new(5);
        b.push(0, &[4, 8, 12], &[1.0, 2.0, 3.0]);
        // Row 1 is skipped: empty.
        b.push(2, &[4, 8, 12], &[4.0, 5.0, 6.0]);
        b.push(3, &[4, 12], &[7.0, 8.0]);
        // Out of order or a second time: ignored.
        b.push(2, &[4], &[9.0]);
        let c = b.finish();
        assert_eq!(c.series(0).codes, [4, 8, 12]);
        assert_eq!(c.series(0).values, [1.0, 2.0, 3.0]);
        assert!(c.series(1).codes.is_empty() && c.series(4).values.is_empty());
        assert_eq!(c.series(2).codes, [4, 8, 12]);
        assert_eq!(c.series(2).values, [4.0, 5.0, 6.0]);
        assert_eq!(c.series(3).codes, [4, 12]);
        assert_eq!(c.series(3).values, [7.0, 8.0]);
        assert!(c.series(9).codes.is_empty());
        // The run 4, 8, 12 is stored once: 3 + 2 codes for 8 points.
        assert_eq!(c.codes.len(), 5);
        let one = MetricColumn::single(3, 1, &[5], &[0.5]);
        assert_eq!(one.series(1).values, [0.5]);
        assert!(one.series(0).values.is_empty() && one.series(2).values.is_empty());
    }
}
