//! The in-memory, column-shaped mirror of the store that queries read: every company once,
//! and each metric's points for all companies in one flat array, loaded on first use and
//! dropped whenever the database changes.

use super::Database;
use crate::analysis::fscore::{self, FScore};
use crate::analysis::score::{INDICATORS, ScoreTable};
use crate::error::Result;
use crate::fasthash::FastHash;
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

/// A company as queries see it: attribute names and values shared, so copying a column is
/// cheap and a row costs one small vector rather than a map.
#[derive(Debug, Clone)]
pub struct CompanyRow {
    pub symbol: Arc<str>,
    pub key: String,
    /// (name, value), in name order.
    pub attrs: Vec<(Arc<str>, Arc<str>)>,
}

impl CompanyRow {
    pub fn attr(&self, name: &str) -> Option<&Arc<str>> {
        if name == "symbol" {
            return Some(&self.symbol);
        }
        self.attrs
            .iter()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| v)
    }
}

/// Every company in symbol order, with lookups by symbol, industry and sector.
#[derive(Debug, Default)]
pub struct Companies {
    pub rows: Vec<CompanyRow>,
    pub by_key: HashMap<String, usize, FastHash>,
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
        let mut b = CompaniesBuilder::new(list.len());
        let mut attrs: Vec<(&str, &str)> = Vec::new();
        for company in &list {
            attrs.clear();
            attrs.extend(company.attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            b.push(&company.symbol, &attrs);
        }
        b.finish()
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
            if let Some(g) = row.attr(attr)
                && let Some(members) = map.get(&g.to_lowercase())
                && members.len() >= 5
            {
                return (members.clone(), format!("{attr} {g}"));
            }
        }
        ((0..self.rows.len()).collect(), "all companies".into())
    }
}

/// Builds [`Companies`] one company at a time from borrowed text, so loading from storage
/// allocates only what the rows keep.
pub struct CompaniesBuilder {
    c: Companies,
    n: usize,
    // Equal attribute values share one allocation, so grouping and comparing can go by
    // pointer first (thousands of companies share a hundred industries). Names are shared
    // the same way, and each attribute's column is found once per name.
    values: HashMap<String, Arc<str>, FastHash>,
    names: HashMap<String, (Arc<str>, usize), FastHash>,
    columns: Vec<Vec<Option<Arc<str>>>>,
    symbols: Vec<Option<Arc<str>>>,
    /// Lower-cased group names, by the shared value's address.
    lowered: HashMap<*const u8, String, FastHash>,
}

impl CompaniesBuilder {
    /// `expected`: about how many companies will come (only a capacity hint).
    pub fn new(expected: usize) -> CompaniesBuilder {
        let mut c = Companies::default();
        c.rows.reserve(expected);
        c.by_key.reserve(expected);
        CompaniesBuilder {
            c,
            n: 0,
            values: HashMap::default(),
            names: HashMap::default(),
            columns: Vec::new(),
            symbols: Vec::with_capacity(expected),
            lowered: HashMap::default(),
        }
    }

    /// Adds the next company (symbol order); `attrs` in name order.
    pub fn push(&mut self, symbol: &str, attrs: &[(&str, &str)]) {
        let i = self.n;
        self.n += 1;
        let mut row_attrs = Vec::with_capacity(attrs.len());
        for &(k, v) in attrs {
            let (name, col) = match self.names.get(k) {
                Some(e) => e.clone(),
                None => {
                    let e = (Arc::<str>::from(k), self.columns.len());
                    self.columns.push(Vec::new());
                    self.names.insert(k.to_string(), e.clone());
                    e
                }
            };
            let shared = match self.values.get(v) {
                Some(a) => a.clone(),
                None => {
                    let a = Arc::<str>::from(v);
                    self.values.insert(v.to_string(), a.clone());
                    a
                }
            };
            let column = &mut self.columns[col];
            column.resize(i, None);
            column.push(Some(shared.clone()));
            for (group, map) in [
                ("industry", &mut self.c.industries),
                ("sector", &mut self.c.sectors),
            ] {
                if name.as_ref() == group {
                    let lower = self
                        .lowered
                        .entry(shared.as_ptr())
                        .or_insert_with(|| shared.to_lowercase());
                    match map.get_mut(lower.as_str()) {
                        Some(members) => members.push(i),
                        None => {
                            map.insert(lower.clone(), vec![i]);
                        }
                    }
                }
            }
            row_attrs.push((name, shared));
        }
        let symbol: Arc<str> = Arc::from(symbol);
        let key = symbol_key(&symbol);
        self.symbols.push(Some(symbol.clone()));
        self.c.by_key.insert(key.clone(), i);
        self.c.rows.push(CompanyRow {
            symbol,
            key,
            attrs: row_attrs,
        });
    }

    pub fn finish(mut self) -> Companies {
        let mut by_name: HashMap<String, Vec<Option<Arc<str>>>> = HashMap::new();
        by_name.insert("symbol".into(), self.symbols);
        for (name, (_, col)) in self.names {
            let mut column = std::mem::take(&mut self.columns[col]);
            column.resize(self.n, None);
            self.c.attribute_names.insert(name.clone());
            by_name.insert(name, column);
        }
        self.c.columns = by_name;
        self.c
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
        let mut b = CompaniesBuilder::new(0);
        db.for_each_company(|symbol, attrs| b.push(symbol, attrs))?;
        let c = Arc::new(b.finish());
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
