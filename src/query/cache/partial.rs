//! Whole series of a metric for some rows only. A statement whose rows an index narrows
//! (`where sector = "Sector 03"`) and that reads a metric's whole series (a time-series
//! function: `cagr`, `mavg`, ...) needs those series for the rows it keeps, not for every
//! company: at 100,000 companies a whole column is ~32 MB, a sector's part a tenth of it.
//!
//! Such a column is kept under its row set, apart from the whole columns, so it is found
//! again only by a statement keeping exactly those rows, and a whole column in memory is
//! always preferred. A write of a few points patches its rows like a whole column's
//! ([`Cache::patch`]); any other write clears it with the rest of the cache.

use super::{Cache, reads};
use crate::columns::{ColumnBuilder, MetricColumn};
use crate::error::Result;
use crate::storage::Database;
use std::sync::Arc;

/// A metric's whole series for a set of rows, every other row empty.
pub(super) struct Partial {
    /// Sorted, without repeats: the key it is found by.
    rows: Vec<usize>,
    col: Arc<MetricColumn>,
}

impl Partial {
    fn holds(&self, row: usize) -> bool {
        self.rows.binary_search(&row).is_ok()
    }
}

impl Cache {
    /// A metric's whole series as statements read it, right for `rows` (and only for them
    /// when that saves memory). The whole column when one is in memory, or when `rows` are
    /// more than half the companies; else a column holding just those rows. The parts kept
    /// of one metric never cover more rows than there are companies: past that, the whole
    /// column is built once and replaces them.
    pub fn metric_for_rows(
        &mut self,
        db: &Database,
        id: &str,
        rows: &[usize],
    ) -> Result<Arc<MetricColumn>> {
        if let Some(whole) = self.whole_in_memory(db, id)? {
            self.partial.remove(id);
            return Ok(whole);
        }
        let companies = self.columns.companies(db)?.len();
        if rows.len() * 2 > companies {
            self.partial.remove(id);
            return self.metric(db, id);
        }
        let mut rows = rows.to_vec();
        if !rows.is_sorted() {
            rows.sort_unstable();
        }
        rows.dedup();
        let kept = self.partial.get(id).map_or(&[][..], Vec::as_slice);
        if let Some(p) = kept.iter().find(|p| p.rows == rows) {
            return Ok(p.col.clone());
        }
        let covered: usize = kept.iter().map(|p| p.rows.len()).sum();
        if covered + rows.len() > companies {
            self.partial.remove(id);
            return self.metric(db, id);
        }
        let Some(col) = self.build_for_rows(db, id, &rows)? else {
            return self.metric(db, id);
        };
        let col = Arc::new(col);
        self.partial
            .entry(id.to_string())
            .or_default()
            .push(Partial {
                rows,
                col: col.clone(),
            });
        Ok(col)
    }

    /// The whole column of `id` as statements read it, when it is in memory already.
    fn whole_in_memory(&mut self, db: &Database, id: &str) -> Result<Option<Arc<MetricColumn>>> {
        if let Some(c) = self.derived.get(id) {
            return Ok(Some(c.clone()));
        }
        if self.is_derived(db, id)? {
            return Ok(None);
        }
        Ok(self.columns.loaded_metric(id))
    }

    /// `rows` of `id`: stored points straight from the chunks, or a derived metric company
    /// by company from its inputs' chunks (`None` when its derivation needs whole columns:
    /// a user's formula, or a market multiple between currencies).
    fn build_for_rows(
        &mut self,
        db: &Database,
        id: &str,
        rows: &[usize],
    ) -> Result<Option<MetricColumn>> {
        if !self.is_derived(db, id)? {
            return self.columns.stored_for_rows(db, id, rows).map(Some);
        }
        let Some(mut series) = self.streamed(db, id, &mut Vec::new())? else {
            return Ok(None);
        };
        let companies = self.columns.companies(db)?;
        let mut b = ColumnBuilder::new(companies.len());
        for (k, &r) in rows.iter().enumerate() {
            if k % 4096 == 0 {
                crate::error::stop::check()?;
            }
            let Some(company) = companies.rows.get(r) else {
                continue;
            };
            let s = series.at(r, &company.key)?;
            b.push(r, s.codes, s.values);
        }
        Ok(Some(b.finish()))
    }

    /// After a write changed `changed` metrics of the companies in `rows` (row, symbol):
    /// each kept part that holds such a row and whose metric reads a changed one gets that
    /// row afresh (the company's series as statements read it now).
    pub(super) fn patch_partial(
        &mut self,
        db: &Database,
        rows: &[(usize, String)],
        changed: &[&str],
    ) -> Result<()> {
        let ids: Vec<String> = self
            .partial
            .keys()
            .filter(|d| changed.iter().any(|m| reads(d, m)))
            .cloned()
            .collect();
        for id in ids {
            for (row, symbol) in rows {
                let held = self
                    .partial
                    .get(&id)
                    .is_some_and(|list| list.iter().any(|p| p.holds(*row)));
                if !held {
                    continue;
                }
                let (codes, values) = self.series(db, &id, symbol)?.unzipped();
                if let Some(list) = self.partial.get_mut(&id) {
                    list.retain_mut(|p| {
                        !p.holds(*row) || Arc::make_mut(&mut p.col).set_row(*row, &codes, &values)
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// Eight companies in two sectors, 12 quarters of revenue, net income and equity (roe
    /// is derived from the last two).
    fn db() -> Database {
        let mut db = Database::in_memory().unwrap();
        let mut companies = String::from("symbol,name,industry,sector\n");
        let mut points = String::from("symbol,period,revenue,net_income,total_equity\n");
        for i in 0..8 {
            let sector = ["A", "B"][i % 2];
            writeln!(companies, "C{i}.US,Company {i},Industry {sector},{sector}").unwrap();
            for q in 0..12 {
                let (y, k) = (2022 + q / 4, q % 4 + 1);
                let v = (10 * i + q) as f64;
                writeln!(points, "C{i}.US,{y}Q{k},{},{},{}", 100.0 + v, v, 200.0 - v).unwrap();
            }
        }
        let opts = crate::ingest::ImportOptions::default();
        crate::ingest::import_bytes(&mut db, "companies.csv", companies.as_bytes(), &opts).unwrap();
        crate::ingest::import_bytes(&mut db, "points.csv", points.as_bytes(), &opts).unwrap();
        db
    }

    #[test]
    fn a_part_holds_its_rows_only_and_is_found_by_exactly_its_rows() {
        let db = db();
        let mut cache = Cache::default();
        assert!(cache.is_derived(&db, "roe").unwrap());
        let rows = [1, 3, 6];
        for id in ["revenue", "roe"] {
            let part = cache.metric_for_rows(&db, id, &rows).unwrap();
            let whole = Cache::default().metric(&db, id).unwrap();
            for r in 0..8 {
                let (p, w) = (part.series(r), whole.series(r));
                // roe (net income over average equity) has no value in the first year.
                assert_eq!(w.codes.len(), [12, 9][usize::from(id == "roe")], "{id} {r}");
                if rows.contains(&r) {
                    assert_eq!((p.codes, p.values), (w.codes, w.values), "{id} {r}");
                } else {
                    assert!(p.codes.is_empty(), "{id} {r}");
                }
            }
            // The same rows, in any order: the same part. Other rows: another part.
            let again = cache.metric_for_rows(&db, id, &[6, 3, 1, 3]).unwrap();
            assert!(Arc::ptr_eq(&part, &again));
            let other = cache.metric_for_rows(&db, id, &[2]).unwrap();
            assert!(!Arc::ptr_eq(&part, &other));
            assert!(other.series(1).codes.is_empty() && !other.series(2).codes.is_empty());
            // More than half the companies: the whole column, which then serves any rows.
            let most = cache.metric_for_rows(&db, id, &[0, 1, 2, 3, 4]).unwrap();
            assert!(!most.series(7).codes.is_empty());
            let now = cache.metric_for_rows(&db, id, &rows).unwrap();
            assert!(Arc::ptr_eq(&most, &now));
            assert!(!cache.partial.contains_key(id));
        }
    }

    #[test]
    fn parts_of_one_metric_never_cover_more_rows_than_there_are_companies() {
        let db = db();
        let mut cache = Cache::default();
        let parts = [vec![0, 1, 2], vec![3, 4], vec![5, 6, 7]];
        cache.metric_for_rows(&db, "revenue", &parts[0]).unwrap();
        cache.metric_for_rows(&db, "revenue", &parts[1]).unwrap();
        assert_eq!(cache.partial["revenue"].len(), 2);
        // 5 rows kept + 3 asked = 8: still parts. One more row would pass the count.
        cache.metric_for_rows(&db, "revenue", &parts[2]).unwrap();
        assert_eq!(cache.partial["revenue"].len(), 3);
        let col = cache.metric_for_rows(&db, "revenue", &[0]).unwrap();
        assert!(!cache.partial.contains_key("revenue"));
        assert_eq!(col.series(7).codes.len(), 12);
    }
}
