//! What a session keeps between statements: loaded columns ([`Columns`]) and the tables
//! computed from them ([`Tables`]). One value, so a write clears both in one place.

use crate::analysis::fscore::FScore;
use crate::analysis::score::ScoreTable;
use crate::analysis::tables::Tables;
use crate::columns::{Columns, Companies, MetricColumn};
use crate::error::Result;
use crate::model::{Period, Series};
use crate::storage::Database;
use std::sync::Arc;

#[derive(Default)]
pub struct Cache {
    columns: Columns,
    tables: Tables,
}

impl Cache {
    /// Forgets everything: called after every write.
    pub fn clear(&mut self) {
        self.columns.clear();
        self.tables.clear();
    }

    pub fn companies(&mut self, db: &Database) -> Result<Arc<Companies>> {
        self.columns.companies(db)
    }

    pub fn metric(&mut self, db: &Database, id: &str) -> Result<Arc<MetricColumn>> {
        self.columns.metric(db, id)
    }

    pub fn anchored(
        &mut self,
        db: &Database,
        id: &str,
        at: Option<Period>,
    ) -> Result<Arc<MetricColumn>> {
        self.columns.anchored(db, id, at)
    }

    pub fn series(&mut self, db: &Database, id: &str, symbol: &str) -> Result<Arc<Series>> {
        self.columns.series(db, id, symbol)
    }

    pub fn scores(&mut self, db: &Database, at: Option<Period>) -> Result<Arc<ScoreTable>> {
        self.tables.scores(&mut self.columns, db, at)
    }

    pub fn fscores(&mut self, db: &Database, at: Option<Period>) -> Result<Arc<Vec<FScore>>> {
        self.tables.fscores(&mut self.columns, db, at)
    }
}
