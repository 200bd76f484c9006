//! The in-memory, column-shaped mirror of the store that queries read: every company once,
//! and each metric's points for all companies in one flat array, loaded on first use and
//! dropped whenever the database changes.

use super::Database;
use crate::analysis::fscore::{self, FScore};
use crate::analysis::score::{INDICATORS, ScoreTable};
use crate::error::Result;
pub use crate::model::SeriesRef;
use crate::model::{Company, Period, symbol_key};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// One metric for every company, in compressed-row form: company `i`'s points are
/// `codes[offsets[i]..offsets[i + 1]]` (period codes, ascending) and the matching `values`.
#[derive(Debug, Default)]
pub struct MetricColumn {
    pub offsets: Vec<u32>,
    pub codes: Vec<u32>,
    pub values: Vec<f64>,
}

impl MetricColumn {
    pub fn series(&self, company: usize) -> SeriesRef<'_> {
        let (Some(&a), Some(&b)) = (self.offsets.get(company), self.offsets.get(company + 1))
        else {
            return SeriesRef::EMPTY;
        };
        let (a, b) = (a as usize, b as usize);
        SeriesRef {
            codes: &self.codes[a..b],
            values: &self.values[a..b],
        }
    }
}

/// A company as queries see it: attribute values shared, so copying a column is cheap.
#[derive(Debug, Clone)]
pub struct CompanyRow {
    pub symbol: Arc<str>,
    pub key: String,
    pub attrs: HashMap<String, Arc<str>>,
}

impl CompanyRow {
    pub fn attr(&self, name: &str) -> Option<&Arc<str>> {
        if name == "symbol" {
            return Some(&self.symbol);
        }
        self.attrs.get(name)
    }
}

/// Every company in symbol order, with lookups by symbol, industry and sector.
#[derive(Debug, Default)]
pub struct Companies {
    pub rows: Vec<CompanyRow>,
    pub by_key: HashMap<String, usize>,
    /// Lower-cased industry → member rows, in symbol order.
    pub industries: HashMap<String, Vec<usize>>,
    pub sectors: HashMap<String, Vec<usize>>,
    /// Every attribute name any company has.
    pub attribute_names: BTreeSet<String>,
    /// Each attribute as a column over the rows (`symbol` included), for evaluation.
    columns: HashMap<String, Vec<Option<Arc<str>>>>,
}

impl Companies {
    /// Builds the lookups over companies given in symbol order.
    pub fn from_list(list: Vec<Company>) -> Companies {
        let mut c = Companies::default();
        // Equal attribute values share one allocation, so grouping and comparing can go by
        // pointer first (thousands of companies share a hundred industries).
        let mut interned: HashMap<String, Arc<str>> = HashMap::new();
        for (i, company) in list.into_iter().enumerate() {
            let key = symbol_key(&company.symbol);
            let mut attrs = HashMap::with_capacity(company.attrs.len());
            for (k, v) in company.attrs {
                if !c.attribute_names.contains(&k) {
                    c.attribute_names.insert(k.clone());
                }
                let shared = interned
                    .entry(v)
                    .or_insert_with_key(|v| Arc::from(v.as_str()))
                    .clone();
                attrs.insert(k, shared);
            }
            let row = CompanyRow {
                symbol: Arc::from(company.symbol.as_str()),
                key: key.clone(),
                attrs,
            };
            if let Some(ind) = row.attrs.get("industry") {
                c.industries.entry(ind.to_lowercase()).or_default().push(i);
            }
            if let Some(sec) = row.attrs.get("sector") {
                c.sectors.entry(sec.to_lowercase()).or_default().push(i);
            }
            c.by_key.insert(key, i);
            c.rows.push(row);
        }
        let n = c.rows.len();
        let mut columns: HashMap<String, Vec<Option<Arc<str>>>> = HashMap::new();
        columns.insert(
            "symbol".into(),
            c.rows.iter().map(|r| Some(r.symbol.clone())).collect(),
        );
        for (i, row) in c.rows.iter().enumerate() {
            for (k, v) in &row.attrs {
                columns.entry(k.clone()).or_insert_with(|| vec![None; n])[i] = Some(v.clone());
            }
        }
        c.columns = columns;
        c
    }

    /// One attribute for every row, or `None` when no company has it.
    pub fn attribute(&self, name: &str) -> Option<&[Option<Arc<str>>]> {
        self.columns.get(name).map(Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn index_of(&self, symbol: &str) -> Option<usize> {
        self.by_key.get(&symbol_key(symbol)).copied()
    }

    /// The peer group of SCORING.md: the industry if it has at least 5 companies, else the
    /// sector if that has at least 5, else every company. Returns the members and a label.
    pub fn peer_group(&self, company: usize) -> (Vec<usize>, String) {
        let row = &self.rows[company];
        for (attr, map) in [("industry", &self.industries), ("sector", &self.sectors)] {
            if let Some(g) = row.attrs.get(attr)
                && let Some(members) = map.get(&g.to_lowercase())
                && members.len() >= 5
            {
                return (members.clone(), format!("{attr} {g}"));
            }
        }
        ((0..self.rows.len()).collect(), "all companies".into())
    }
}

/// The cache a session keeps between statements.
#[derive(Default)]
pub struct Cache {
    companies: Option<Arc<Companies>>,
    metrics: HashMap<String, Arc<MetricColumn>>,
    /// Scorecards of every company, by the period they were taken at.
    scores: HashMap<Option<Period>, Arc<ScoreTable>>,
    fscores: HashMap<Option<Period>, Arc<Vec<FScore>>>,
}

impl Cache {
    /// Forgets everything; called after every write.
    pub fn clear(&mut self) {
        self.companies = None;
        self.metrics.clear();
        self.scores.clear();
        self.fscores.clear();
    }

    /// Every company's scorecard within its peer group (SCORING.md), at `at`.
    pub fn scores(&mut self, db: &Database, at: Option<Period>) -> Result<Arc<ScoreTable>> {
        if let Some(t) = self.scores.get(&at) {
            return Ok(t.clone());
        }
        let companies = self.companies(db)?;
        let mut values = Vec::with_capacity(INDICATORS.len());
        for (id, _, _) in INDICATORS {
            let col = self.metric(db, id)?;
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
    pub fn fscores(&mut self, db: &Database, at: Option<Period>) -> Result<Arc<Vec<FScore>>> {
        if let Some(t) = self.fscores.get(&at) {
            return Ok(t.clone());
        }
        let companies = self.companies(db)?;
        let cols: Vec<Arc<MetricColumn>> = fscore::INPUTS
            .iter()
            .map(|id| self.metric(db, id))
            .collect::<Result<_>>()?;
        let all: Vec<FScore> = (0..companies.len())
            .map(|c| {
                let series: [SeriesRef; 9] = std::array::from_fn(|k| cols[k].series(c));
                fscore::fscore(&series, at)
            })
            .collect();
        let t = Arc::new(all);
        self.fscores.insert(at, t.clone());
        Ok(t)
    }

    pub fn companies(&mut self, db: &Database) -> Result<Arc<Companies>> {
        if let Some(c) = &self.companies {
            return Ok(c.clone());
        }
        let c = Arc::new(Companies::from_list(db.companies()?));
        self.companies = Some(c.clone());
        Ok(c)
    }

    /// One metric (by id) for every company, from one range scan of its series.
    pub fn metric(&mut self, db: &Database, id: &str) -> Result<Arc<MetricColumn>> {
        if let Some(m) = self.metrics.get(id) {
            return Ok(m.clone());
        }
        let companies = self.companies(db)?;
        let mut col = MetricColumn::default();
        col.offsets.reserve(companies.len() + 1);
        col.offsets.push(0);
        // Chunks come in symbol order, as the companies do, so rows fill in one pass.
        let mut next = 0;
        db.for_each_series(id, |e| {
            let Some(&row) = companies.by_key.get(e.key) else {
                return;
            };
            while next <= row {
                col.offsets.push(col.codes.len() as u32);
                next += 1;
            }
            col.codes.extend(e.codes());
            col.values.extend(e.values());
            if let Some(last) = col.offsets.last_mut() {
                *last = col.codes.len() as u32;
            }
        })?;
        while next < companies.len() {
            col.offsets.push(col.codes.len() as u32);
            next += 1;
        }
        let col = Arc::new(col);
        self.metrics.insert(id.to_string(), col.clone());
        Ok(col)
    }
}
