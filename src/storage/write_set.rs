//! [`WriteSet`]: everything one write statement or one imported file changes, gathered
//! before anything is written, so that [`super::Database::apply`] can store it as one batch.

use super::chunk;
use super::kv::Value;
use crate::model::{MetricDef, Period, symbol_key};
use std::collections::{BTreeMap, HashMap};

/// Everything one write statement or one imported file changes, applied as one batch.
#[derive(Default, Debug, Clone)]
pub struct WriteSet {
    /// Companies touched, as first written in this set.
    pub(super) symbols: Vec<String>,
    symbol_index: HashMap<String, u32>,
    /// Attribute updates per entry of `symbols` (later values win).
    pub(super) attrs: Vec<BTreeMap<String, String>>,
    /// Attributes set only where the company has none of that name after this set (a quote
    /// page's trading currency from its market suffix), by company index.
    pub(super) defaults: BTreeMap<u32, BTreeMap<String, String>>,
    /// Metric ids of the points, as resolved through the catalog.
    pub(super) metrics: Vec<String>,
    metric_index: HashMap<String, u32>,
    /// Points by (symbol index, metric index): (period code, value), in arrival order.
    pub(super) series: HashMap<(u32, u32), Vec<(u32, f64)>>,
    /// Series a bulk import has already encoded as chunks: by metric index, chunks in key
    /// order that do not overlap. Stored as they are when the database holds nothing in
    /// their range, so a large sorted file is never held as points.
    pub(super) packed: Vec<(u32, Vec<PackedChunk>)>,
    /// Catalog entries to register (unknown metrics an import brings, `define metric`).
    pub(super) new_metrics: Vec<MetricDef>,
    pub(super) dropped_metrics: Vec<String>,
    /// (symbol, metric id, period): one point, or the whole series with `None`.
    pub(super) point_deletions: Vec<(String, String, Option<Period>)>,
    pub(super) company_deletions: Vec<String>,
    /// (kind, name, text): saved definitions; `None` removes one.
    pub(super) definitions: Vec<(String, String, Option<String>)>,
    /// Exchange rates by currency code: (day period code, US dollars per unit), in
    /// arrival order (later wins).
    pub(super) rates: BTreeMap<String, Vec<(u32, f64)>>,
    /// Number of points pushed.
    pub(super) point_count: usize,
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

    /// Sets an attribute only when the company has none of that name, stored or in this set.
    pub fn set_default_attr(&mut self, company: u32, name: &str, value: &str) {
        self.defaults
            .entry(company)
            .or_default()
            .insert(name.to_string(), value.to_string());
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

    pub fn push(&mut self, company: u32, metric: u32, period: Period, value: f64) {
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
        for (code, mut list) in later.rates {
            self.rates.entry(code).or_default().append(&mut list);
        }
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
                let p = Period::from_code(code);
                (p.map_or("?".into(), |p| p.to_string()), v)
            })
            .collect()
    }

    /// The index of a company in this set by its symbol key, if the set touches it.
    pub(super) fn index_of_key(&self, key: &str) -> Option<u32> {
        self.symbol_index.get(key).copied()
    }

    /// An attribute this set writes for a company.
    pub fn attr_of(&self, symbol: &str, name: &str) -> Option<String> {
        let c = *self.symbol_index.get(&symbol_key(symbol))?;
        self.attrs.get(c as usize)?.get(name).cloned()
    }

    /// Deletes a company with its series and index entries.
    pub fn delete_company(&mut self, symbol: &str) {
        self.company_deletions.push(symbol.to_string());
    }

    /// Deletes one point of a company's metric (by id), or the whole series with `None`.
    pub fn delete_points(&mut self, symbol: &str, metric: &str, period: Option<Period>) {
        self.point_deletions
            .push((symbol.to_string(), metric.to_string(), period));
    }

    /// One exchange rate: on `day` (a day period's code) one unit of `currency` was worth
    /// `usd` US dollars.
    pub fn push_rate(&mut self, currency: &str, day: u32, usd: f64) {
        self.rates
            .entry(currency.to_string())
            .or_default()
            .push((day, usd));
    }

    /// The rates this set holds, by currency, in arrival order.
    pub fn rates(&self) -> &BTreeMap<String, Vec<(u32, f64)>> {
        &self.rates
    }

    /// Saves a definition's source text under (kind, name); `None` removes it.
    pub fn define(&mut self, kind: &str, name: &str, text: Option<&str>) {
        self.definitions
            .push((kind.to_string(), name.to_string(), text.map(str::to_string)));
    }

    /// Removes a registered metric (a computed one) from the catalog.
    pub fn drop_metric(&mut self, id: &str) {
        self.dropped_metrics.push(id.to_string());
    }

    /// Companies touched, as first written in this set.
    pub fn symbols(&self) -> &[String] {
        &self.symbols
    }

    /// Each company touched, with the attributes this set writes for it.
    pub fn companies(&self) -> impl Iterator<Item = (&str, &BTreeMap<String, String>)> {
        self.symbols.iter().map(String::as_str).zip(&self.attrs)
    }

    /// Points pushed, one run per company and metric (in no particular order): symbol as
    /// first written, metric id, (period code, value) in arrival order.
    pub fn point_runs(&self) -> impl Iterator<Item = (&str, &str, &[(u32, f64)])> {
        self.series.iter().map(|(&(c, m), points)| {
            (
                self.symbols[c as usize].as_str(),
                self.metrics[m as usize].as_str(),
                points.as_slice(),
            )
        })
    }

    /// Chunks a bulk import encoded, with their metric ids, in key order per metric.
    pub fn packed_chunks(&self) -> impl Iterator<Item = (&str, &PackedChunk)> {
        self.packed.iter().flat_map(|(m, chunks)| {
            chunks
                .iter()
                .map(|c| (self.metrics[*m as usize].as_str(), c))
        })
    }

    /// True when chunks were added for a metric (by index) with [`WriteSet::push_packed`].
    pub fn has_packed(&self, metric: u32) -> bool {
        self.packed.iter().any(|p| p.0 == metric)
    }

    /// Catalog entries this set registers.
    pub fn new_metrics(&self) -> &[MetricDef] {
        &self.new_metrics
    }

    /// Points (cells read) this set holds, whichever way it holds them.
    pub fn point_count(&self) -> usize {
        self.point_count
    }

    /// The series this set changes, as (metric id, symbol), when it changes nothing but
    /// points (added, overwritten or deleted) of at most `limit` series: no attribute,
    /// company, catalog entry or definition, no bulk chunks. `None` otherwise, when a
    /// reader's cache is better dropped whole than patched.
    pub fn point_series(&self, limit: usize) -> Option<Vec<(String, String)>> {
        let structural = self.attrs.iter().any(|a| !a.is_empty())
            || !self.packed.is_empty()
            || !self.new_metrics.is_empty()
            || !self.dropped_metrics.is_empty()
            || !self.company_deletions.is_empty()
            || !self.definitions.is_empty();
        if structural || self.series.len() + self.point_deletions.len() > limit {
            return None;
        }
        let mut out: Vec<(String, String)> = self
            .series
            .keys()
            .map(|&(c, m)| {
                (
                    self.metrics[m as usize].clone(),
                    self.symbols[c as usize].clone(),
                )
            })
            .chain(
                self.point_deletions
                    .iter()
                    .map(|(symbol, metric, _)| (metric.clone(), symbol.clone())),
            )
            .collect();
        out.sort();
        out.dedup();
        Some(out)
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
            && self.rates.is_empty()
    }
}

/// One encoded chunk of a bulk import: its first and last symbol keys, the cells read into
/// it (its points, plus any a later row of the file repeated), and the points it holds.
#[derive(Debug, Clone)]
pub struct PackedChunk {
    pub first: String,
    pub last: String,
    pub points: usize,
    pub stored: usize,
    /// Already in the store's buffer type, so the batch takes it without a copy.
    pub bytes: Value,
}
