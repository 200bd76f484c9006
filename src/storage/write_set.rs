//! [`WriteSet`]: everything one write statement or one imported file changes, gathered
//! before anything is written, so that [`super::Database::apply`] can store it as one batch.

use super::chunk;
use super::kv::Value;
use crate::model::{MetricDef, symbol_key};
use std::collections::{BTreeMap, HashMap};

/// Everything one write statement or one imported file changes, applied as one batch.
#[derive(Default, Debug, Clone)]
pub struct WriteSet {
    /// Companies touched, as first written in this set.
    pub symbols: Vec<String>,
    symbol_index: HashMap<String, u32>,
    /// Attribute updates per entry of `symbols` (later values win).
    pub attrs: Vec<BTreeMap<String, String>>,
    /// Metric ids of the points, as resolved through the catalog.
    pub metrics: Vec<String>,
    metric_index: HashMap<String, u32>,
    /// Points by (symbol index, metric index): (period code, value), in arrival order.
    pub series: HashMap<(u32, u32), Vec<(u32, f64)>>,
    /// Series a bulk import has already encoded as chunks: by metric index, chunks in key
    /// order that do not overlap. Stored as they are when the database holds nothing in
    /// their range, so a large sorted file is never held as points.
    pub packed: Vec<(u32, Vec<PackedChunk>)>,
    /// Catalog entries to register (unknown metrics an import brings, `define metric`).
    pub new_metrics: Vec<MetricDef>,
    pub dropped_metrics: Vec<String>,
    /// (symbol, metric id, period): one point, or the whole series with `None`.
    pub point_deletions: Vec<(String, String, Option<crate::model::Period>)>,
    pub company_deletions: Vec<String>,
    /// (kind, name, text): saved definitions; `None` removes one.
    pub definitions: Vec<(String, String, Option<String>)>,
    /// Number of points pushed.
    pub point_count: usize,
}

impl WriteSet {
    pub fn new() -> WriteSet {
        WriteSet::default()
    }

    /// The index of a company in this set, adding it on first sight.
    pub fn company(&mut self, symbol: &str) -> u32 {
        let key = symbol_key(symbol);
        if let Some(&i) = self.symbol_index.get(&key) {
            return i;
        }
        let i = self.symbols.len() as u32;
        self.symbols.push(symbol.trim().to_string());
        self.attrs.push(BTreeMap::new());
        self.symbol_index.insert(key, i);
        i
    }

    pub fn set_attr(&mut self, company: u32, name: &str, value: &str) {
        self.attrs[company as usize].insert(name.to_string(), value.to_string());
    }

    /// The index of a metric id (already resolved through the catalog).
    pub fn metric(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.metric_index.get(id) {
            return i;
        }
        let i = self.metrics.len() as u32;
        self.metrics.push(id.to_string());
        self.metric_index.insert(id.to_string(), i);
        i
    }

    pub fn push(&mut self, company: u32, metric: u32, period: crate::model::Period, value: f64) {
        self.series
            .entry((company, metric))
            .or_default()
            .push((period.code(), value));
        self.point_count += 1;
    }

    /// Adds everything `later` holds, as if its changes had come after this set's own: later
    /// attribute values win and later points follow earlier ones.
    pub fn absorb(&mut self, later: WriteSet) {
        let companies: Vec<u32> = later.symbols.iter().map(|s| self.company(s)).collect();
        for (i, attrs) in later.attrs.into_iter().enumerate() {
            for (k, v) in attrs {
                self.attrs[companies[i] as usize].insert(k, v);
            }
        }
        let metrics: Vec<u32> = later.metrics.iter().map(|m| self.metric(m)).collect();
        for ((c, m), mut points) in later.series {
            self.append(companies[c as usize], metrics[m as usize], &mut points);
        }
        for (m, chunks) in later.packed {
            let metric = metrics[m as usize];
            for c in chunks {
                // Rare (a packed set absorbed into another): the points go the general way.
                for (key, series) in chunk::decode(&c.bytes).unwrap_or_default() {
                    let company = self.company(&key);
                    let mut points = series.points;
                    self.append(company, metric, &mut points);
                }
            }
        }
        for def in later.new_metrics {
            self.register(def);
        }
        self.dropped_metrics.extend(later.dropped_metrics);
        self.point_deletions.extend(later.point_deletions);
        self.company_deletions.extend(later.company_deletions);
        self.definitions.extend(later.definitions);
    }

    /// Moves a run of points for one (company, metric) into the set, leaving `points` empty.
    pub fn append(&mut self, company: u32, metric: u32, points: &mut Vec<(u32, f64)>) {
        self.point_count += points.len();
        let slot = self.series.entry((company, metric)).or_default();
        if slot.is_empty() {
            std::mem::swap(slot, points);
        } else {
            slot.append(points);
        }
    }

    /// Adds chunks of one metric (by index) built from symbol-ordered series; they must come
    /// after every chunk added for that metric so far.
    pub fn push_packed(&mut self, metric: u32, chunk: PackedChunk) {
        self.point_count += chunk.points;
        match self.packed.iter_mut().find(|p| p.0 == metric) {
            Some((_, list)) => list.push(chunk),
            None => self.packed.push((metric, vec![chunk])),
        }
    }

    pub fn register(&mut self, def: MetricDef) {
        if !self.new_metrics.iter().any(|d| d.id == def.id) {
            self.new_metrics.push(def);
        }
    }

    /// The points pushed for one company's metric, in arrival order, periods printed.
    pub fn points_of(&self, symbol: &str, metric: &str) -> Vec<(String, f64)> {
        let c = self.symbol_index.get(&symbol_key(symbol));
        let m = self.metric_index.get(metric);
        let (Some(c), Some(m)) = (c, m) else {
            return Vec::new();
        };
        self.series
            .get(&(*c, *m))
            .into_iter()
            .flatten()
            .map(|&(code, v)| {
                let p = crate::model::Period::from_code(code);
                (p.map_or("?".into(), |p| p.to_string()), v)
            })
            .collect()
    }

    /// An attribute this set writes for a company.
    pub fn attr_of(&self, symbol: &str, name: &str) -> Option<String> {
        let c = *self.symbol_index.get(&symbol_key(symbol))?;
        self.attrs.get(c as usize)?.get(name).cloned()
    }

    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
            && self.series.is_empty()
            && self.packed.is_empty()
            && self.new_metrics.is_empty()
            && self.dropped_metrics.is_empty()
            && self.point_deletions.is_empty()
            && self.company_deletions.is_empty()
            && self.definitions.is_empty()
    }
}

/// One encoded chunk of a bulk import: its first and last symbol keys, and the cells read
/// into it (its points, plus any a later row of the file replaced).
#[derive(Debug, Clone)]
pub struct PackedChunk {
    pub first: String,
    pub last: String,
    pub points: usize,
    /// Already in the store's buffer type, so the batch takes it without a copy.
    pub bytes: Value,
}
