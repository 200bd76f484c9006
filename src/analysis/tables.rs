//! Scorecards and F-scores of every company at one period, computed from the columns layer
//! and kept until the next write (a session holds one [`Tables`] beside its columns).

use super::fscore::{self, FScore};
use super::score::{INDICATORS, ScoreTable};
use crate::columns::{Columns, MetricColumn, SeriesRef};
use crate::error::Result;
use crate::model::Period;
use crate::storage::Database;
use std::collections::HashMap;
use std::sync::Arc;

/// Every company's scorecard and F-score, by the period they were taken at.
#[derive(Default)]
pub struct Tables {
    scores: HashMap<Option<Period>, Arc<ScoreTable>>,
    fscores: HashMap<Option<Period>, Arc<Vec<FScore>>>,
}

impl Tables {
    /// Forgets everything; called after every write.
    pub fn clear(&mut self) {
        self.scores.clear();
        self.fscores.clear();
    }

    /// Every company's scorecard within its peer group (SCORING.md), at `at`.
    pub fn scores(
        &mut self,
        columns: &mut Columns,
        db: &Database,
        at: Option<Period>,
    ) -> Result<Arc<ScoreTable>> {
        if let Some(t) = self.scores.get(&at) {
            return Ok(t.clone());
        }
        let companies = columns.companies(db)?;
        let mut values = Vec::with_capacity(INDICATORS.len());
        // One point per company and indicator, not whole columns, unless those are loaded.
        for (id, _, _) in INDICATORS {
            let col = columns.anchored(db, id, at)?;
            values.push(
                (0..companies.len())
                    .map(|c| col.series(c).value_at(at))
                    .collect(),
            );
        }
        let t = Arc::new(ScoreTable::build(&companies, values));
        self.scores.insert(at, t.clone());
        Ok(t)
    }

    /// Every company's F-score at `at` (SCORING.md).
    pub fn fscores(
        &mut self,
        columns: &mut Columns,
        db: &Database,
        at: Option<Period>,
    ) -> Result<Arc<Vec<FScore>>> {
        if let Some(t) = self.fscores.get(&at) {
            return Ok(t.clone());
        }
        let companies = columns.companies(db)?;
        let cols: Option<Vec<Arc<MetricColumn>>> =
            fscore::INPUTS.iter().map(|id| columns.loaded(id)).collect();
        let all: Vec<FScore> = match cols {
            Some(cols) => (0..companies.len())
                .map(|c| {
                    let series: [SeriesRef; 9] = std::array::from_fn(|k| cols[k].series(c));
                    fscore::fscore(&series, at)
                })
                .collect(),
            // The nine inputs are read side by side, company by company, straight from
            // their chunks: no whole column is kept for one score per company.
            None => {
                let mut cursors: Vec<_> = fscore::INPUTS
                    .iter()
                    .map(|id| db.series_in_order(id).peekable())
                    .collect();
                let mut current: [(Vec<u32>, Vec<f64>); 9] = Default::default();
                let mut out = Vec::with_capacity(companies.len());
                for row in &companies.rows {
                    for (k, cursor) in cursors.iter_mut().enumerate() {
                        current[k].0.clear();
                        current[k].1.clear();
                        // Entries before this company's belong to no company here.
                        loop {
                            match cursor.peek() {
                                None => break,
                                Some(Ok(e)) if e.0.as_str() > &*row.key => break,
                                Some(_) => {}
                            }
                            let Some(next) = cursor.next() else { break };
                            let (key, codes, values) = next?;
                            if *key == *row.key {
                                current[k] = (codes, values);
                                break;
                            }
                        }
                    }
                    let series: [SeriesRef; 9] = std::array::from_fn(|k| SeriesRef {
                        codes: &current[k].0,
                        values: &current[k].1,
                    });
                    out.push(fscore::fscore(&series, at));
                }
                out
            }
        };
        let t = Arc::new(all);
        self.fscores.insert(at, t.clone());
        Ok(t)
    }
}
