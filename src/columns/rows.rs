//! [`RowSeries`]: one metric read company by company in row order, from a column already in
//! memory or straight from the metric's chunks, so a statement that needs one value per
//! company keeps one company's series at a time instead of a whole column.

use super::{MetricColumn, SeriesRef};
use crate::error::Result;
use crate::storage::Database;
use std::iter::Peekable;
use std::sync::Arc;

type Entries<'a> = Box<dyn Iterator<Item = Result<(String, Vec<u32>, Vec<f64>)>> + 'a>;

enum Source<'a> {
    Whole(Arc<MetricColumn>),
    Chunks(Peekable<Entries<'a>>),
}

/// One metric's series, one company at a time (rows in increasing order).
pub struct RowSeries<'a> {
    source: Source<'a>,
    codes: Vec<u32>,
    values: Vec<f64>,
}

impl<'a> RowSeries<'a> {
    /// Rows of a column in memory.
    pub fn whole(col: Arc<MetricColumn>) -> RowSeries<'a> {
        RowSeries {
            source: Source::Whole(col),
            codes: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Rows read from `metric`'s chunks as they come: one chunk decoded at a time.
    pub fn stored(db: &'a Database, metric: &str) -> RowSeries<'a> {
        let entries: Entries<'a> = Box::new(db.series_in_order(metric));
        RowSeries {
            source: Source::Chunks(entries.peekable()),
            codes: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Company `row`'s series (`key`: its symbol key); rows must come in increasing order,
    /// as the companies are sorted by key. Entries of companies not asked for are skipped.
    pub fn at(&mut self, row: usize, key: &str) -> Result<SeriesRef<'_>> {
        let cursor = match &mut self.source {
            Source::Whole(col) => return Ok(col.series(row)),
            Source::Chunks(cursor) => cursor,
        };
        self.codes.clear();
        self.values.clear();
        loop {
            match cursor.peek() {
                None => break,
                Some(Ok(e)) if e.0.as_str() > key => break,
                Some(_) => {}
            }
            let Some(next) = cursor.next() else { break };
            let (k, codes, values) = next?;
            if k == key {
                (self.codes, self.values) = (codes, values);
                break;
            }
        }
        Ok(SeriesRef {
            codes: &self.codes,
            values: &self.values,
        })
    }
}
