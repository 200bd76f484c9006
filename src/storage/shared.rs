//! One open database, several handles: `finq serve` reads through a few sessions at once,
//! each with its own [`Database`] handle (the same backend, shared) and its own cache. A
//! write through one handle is entered in the shared [`Journal`]; before its next
//! statement every other handle asks [`Database::catch_up`] what changed since it last
//! looked — nothing, the points of a few series (its cache patches them), or anything
//! else (it reloads the catalog and its cache starts afresh).
//!
//! A single handle (the command line, the REPL) reads its own entries only, so catching up
//! costs it one uncontended lock.

use super::Database;
use crate::error::Result;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Entries kept: a handle further behind than this starts afresh.
const KEPT: usize = 64;
/// Changed series past which patching costs more than starting afresh.
const PATCH_MOST: usize = 256;

/// One write: its generation, and the series whose points alone it changed (metric id,
/// symbol), or `None` for any other write.
type Entry = (u64, Option<Vec<(String, String)>>);

/// The writes made through every handle on one database, newest last.
#[derive(Default, Debug)]
pub struct Journal {
    generation: u64,
    entries: VecDeque<Entry>,
}

pub type SharedJournal = Arc<Mutex<Journal>>;

/// What changed in the database since a handle last caught up.
#[derive(Debug, PartialEq)]
pub enum Changes {
    Nothing,
    /// Only points of these series (metric id, symbol), of metrics that existed before and
    /// after, changed.
    Points(Vec<(String, String)>),
    /// Anything else: the catalog has been reloaded; caches start afresh.
    Everything,
}

fn lock(journal: &SharedJournal) -> std::sync::MutexGuard<'_, Journal> {
    // A panic while the lock was held left the journal whole (each change is one push).
    journal.lock().unwrap_or_else(|p| p.into_inner())
}

impl Database {
    /// Another handle on this open database: the same backend, journal and catalog. Its
    /// reads see every write made through any handle; each handle is used by one thread
    /// at a time.
    pub fn share(&self) -> Database {
        Database {
            kv: self.kv.clone(),
            path: self.path.clone(),
            catalog: self.catalog.clone(),
            journal: self.journal.clone(),
            seen: self.seen,
        }
    }

    /// Enters a write made through this handle (called once its batch is applied): any
    /// change, until [`Database::narrow_last_write`] says it changed only points.
    pub(super) fn record_write(&mut self) {
        let mut j = lock(&self.journal);
        j.generation += 1;
        let generation = j.generation;
        j.entries.push_back((generation, None));
        while j.entries.len() > KEPT {
            j.entries.pop_front();
        }
        drop(j);
        // This handle's own caches are brought up to date by the write path itself.
        self.seen = generation;
    }

    /// Says that this handle's last write changed only the points of `series` (metric id,
    /// symbol), metrics that existed before and after it: other handles patch their caches
    /// rather than drop them.
    pub fn narrow_last_write(&mut self, series: Vec<(String, String)>) {
        let seen = self.seen;
        let mut j = lock(&self.journal);
        if let Some(entry) = j.entries.iter_mut().find(|(g, _)| *g == seen) {
            entry.1 = Some(series);
        }
    }

    /// What was written through other handles since this one last looked, taking it in:
    /// after anything but points the catalog is read again.
    pub fn catch_up(&mut self) -> Result<Changes> {
        let (generation, changes) = {
            let j = lock(&self.journal);
            if j.generation == self.seen {
                return Ok(Changes::Nothing);
            }
            let newer: Vec<_> = j.entries.iter().filter(|(g, _)| *g > self.seen).collect();
            // Entries older than the kept ones are gone: the handle is too far behind.
            let complete = newer.first().is_some_and(|(g, _)| *g == self.seen + 1);
            let mut points = Vec::new();
            let mut only_points = complete;
            for (_, series) in &newer {
                match series {
                    Some(s) if only_points => points.extend(s.iter().cloned()),
                    _ => only_points = false,
                }
            }
            points.sort();
            points.dedup();
            let changes = if only_points && points.len() <= PATCH_MOST {
                Changes::Points(points)
            } else {
                Changes::Everything
            };
            (j.generation, changes)
        };
        if changes == Changes::Everything {
            self.reload_catalog()?;
        }
        self.seen = generation;
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MetricDef, Period};
    use crate::storage::WriteSet;

    fn point(db: &mut Database, symbol: &str, metric: &str, v: f64) {
        let mut set = WriteSet::new();
        let (c, m) = (set.company(symbol), set.metric(metric));
        set.push(c, m, Period::Year(2024), v);
        db.apply(set).unwrap();
    }

    #[test]
    fn a_handle_hears_of_writes_through_another() {
        let mut a = Database::in_memory().unwrap();
        let mut b = a.share();
        assert_eq!(b.catch_up().unwrap(), Changes::Nothing);
        point(&mut a, "AA.US", "price", 1.0);
        // The writer knows its own write.
        assert_eq!(a.catch_up().unwrap(), Changes::Nothing);
        assert_eq!(b.catch_up().unwrap(), Changes::Everything);
        assert_eq!(b.catch_up().unwrap(), Changes::Nothing);
        point(&mut a, "AA.US", "price", 2.0);
        a.narrow_last_write(vec![("price".into(), "AA.US".into())]);
        point(&mut a, "BB.US", "price", 3.0);
        a.narrow_last_write(vec![("price".into(), "BB.US".into())]);
        assert_eq!(
            b.catch_up().unwrap(),
            Changes::Points(vec![
                ("price".into(), "AA.US".into()),
                ("price".into(), "BB.US".into())
            ])
        );
        // The reads see the write, through either handle.
        let s = b.series("price", "BB.US").unwrap().unwrap();
        assert_eq!(s.points, vec![(Period::Year(2024).code(), 3.0)]);
    }

    #[test]
    fn a_handle_too_far_behind_starts_afresh() {
        let mut a = Database::in_memory().unwrap();
        let mut b = a.share();
        for i in 0..(KEPT + 2) {
            point(&mut a, "AA.US", "price", i as f64);
            a.narrow_last_write(vec![("price".into(), "AA.US".into())]);
        }
        assert_eq!(b.catch_up().unwrap(), Changes::Everything);
    }

    #[test]
    fn a_new_metric_is_seen_by_the_other_handle() {
        let mut a = Database::in_memory().unwrap();
        let mut b = a.share();
        let mut set = WriteSet::new();
        set.register(MetricDef::registered("my_signal"));
        let (c, m) = (set.company("AA.US"), set.metric("my_signal"));
        set.push(c, m, Period::Year(2024), 1.0);
        a.apply(set).unwrap();
        assert!(a.catalog().get("my_signal").is_some());
        assert!(b.catalog().get("my_signal").is_none());
        assert_eq!(b.catch_up().unwrap(), Changes::Everything);
        assert!(b.catalog().get("my_signal").is_some());
    }
}
