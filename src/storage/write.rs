//! The write path: [`Database::apply`] turns a [`WriteSet`] into one atomic batch.
//!
//! Company blocks and series chunks are keyed by their first symbol, so a write reads the
//! blocks and chunks that hold (or will hold) the symbols it touches, changes them, splits
//! them afresh and writes them back; the industry and sector indexes change per group
//! (`index.rs`). An import's chunks are stored as they are where nothing is stored in their
//! range yet. Everything goes to the backend as one [`Batch`], then is made durable.

use super::index::{IndexMoves, groups_of};
use super::keys::Key;
use super::kv::{Batch, Value};
use super::{Database, PackedChunk, WriteSet, block, chunk, codec};
use crate::error::{Error, Result};
use crate::model::{Catalog, Company, Series, symbol_key};
use std::collections::BTreeMap;
use std::ops::Bound;

/// What a write changed.
#[derive(Default, Debug, Clone, PartialEq)]
pub struct WriteStats {
    /// Companies the write touched.
    pub companies: usize,
    pub companies_added: usize,
    /// Companies that were stored before and that the write changed: an attribute set or
    /// changed, or a point new or overwritten.
    pub companies_updated: usize,
    /// Points the write brought, as the reader counted them (an import's cells, a row given
    /// twice counting twice).
    pub points: usize,
    /// Points stored where the series had none at their period.
    pub points_new: usize,
    /// Points whose stored value was the same.
    pub points_unchanged: usize,
    /// Points that replaced a different stored value.
    pub points_overwritten: usize,
    /// Per attribute: stored companies whose value of it the write replaced with another.
    pub attributes_changed: BTreeMap<String, usize>,
    pub metrics_added: usize,
    pub points_deleted: usize,
    pub companies_deleted: usize,
    /// Exchange rates stored where the currency had none that day, the same as stored,
    /// and replacing another.
    pub rates_new: usize,
    pub rates_unchanged: usize,
    pub rates_overwritten: usize,
}

/// The company index of a change that no company of the write set made (a deletion).
const NO_COMPANY: u32 = u32::MAX;

impl Database {
    /// Applies a write set atomically (one backend batch) and durably (synced before
    /// returning).
    pub fn apply(&mut self, mut set: WriteSet) -> Result<WriteStats> {
        let mut batch = Batch::new();
        let mut stats = WriteStats::default();
        let mut catalog = (*self.catalog).clone();

        for def in &set.new_metrics {
            if catalog
                .get(&def.id)
                // A built-in entry is only ever replaced by a user's formula for it
                // (`define metric roe = ...`); `drop metric` restores the built-in one.
                .is_none_or(|d| {
                    d.id != def.id || !catalog.is_builtin(&def.id) || def.expr.is_some()
                })
            {
                if catalog.get(&def.id).is_none() {
                    stats.metrics_added += 1;
                }
                batch.insert(Key::Metric(&def.id).encode(), codec::encode(def));
                catalog.add(def.clone());
            }
        }
        for id in &set.dropped_metrics {
            batch.remove(Key::Metric(id).encode());
        }

        // Companies whose attributes change, companies that points create, and deleted
        // ones: the blocks holding their symbols are read once, changed and rewritten.
        let mut index = IndexMoves::default();
        let touched: Vec<String> = set.symbols.iter().map(|s| symbol_key(s)).collect();
        let deleted: Vec<String> = set
            .company_deletions
            .iter()
            .map(|s| symbol_key(s))
            .collect();
        let lo = touched.iter().chain(&deleted).min().cloned();
        let hi = touched.iter().chain(&deleted).max().cloned();
        // The common bulk case — points for companies that all exist — needs only their
        // symbols, not a hundred thousand companies decoded.
        let only_points = deleted.is_empty()
            && set.attrs.iter().all(BTreeMap::is_empty)
            && set.defaults.is_empty();
        let all_exist = only_points && self.all_stored(&touched)?;
        let (old_blocks, mut stored) = match (&lo, &hi) {
            (Some(lo), Some(hi)) if !all_exist => self.company_range(lo, hi)?,
            _ => Default::default(),
        };
        if all_exist {
            stats.companies += touched.len();
        }
        let mut blocks_changed = false;
        // By company of the set: added by this write, or stored and changed by it.
        let mut added = vec![false; touched.len()];
        let mut changed = Marks::new(touched.len());
        for (i, key) in touched.iter().enumerate().filter(|_| !all_exist) {
            let mut attrs = set.attrs[i].clone();
            if let Some(defaults) = set.defaults.get(&(i as u32)) {
                for (k, v) in defaults {
                    let present = attrs.contains_key(k)
                        || stored.get(key).is_some_and(|c| c.attrs.contains_key(k));
                    if !present {
                        attrs.insert(k.clone(), v.clone());
                    }
                }
            }
            stats.companies += 1;
            let company = match stored.get_mut(key) {
                Some(_) if attrs.is_empty() => continue,
                Some(c) => c,
                None => {
                    stats.companies_added += 1;
                    added[i] = true;
                    stored
                        .entry(key.clone())
                        .or_insert_with(|| Company::new(set.symbols[i].trim()))
                }
            };
            let before = groups_of(company);
            for (k, v) in &attrs {
                match company.attrs.insert(k.clone(), v.clone()) {
                    Some(old) if old == *v => {}
                    Some(old) => {
                        changed.mark(i as u32);
                        if !old.is_empty() {
                            *stats.attributes_changed.entry(k.clone()).or_default() += 1;
                        }
                    }
                    None => changed.mark(i as u32),
                }
            }
            index.changed(key, &before, &groups_of(company));
            blocks_changed = true;
        }

        // Series: every change, grouped by metric, is merged into the chunks it touches.
        let mut changes: BTreeMap<String, Vec<(String, u32, Change)>> = BTreeMap::new();
        for ((sym, metric), points) in std::mem::take(&mut set.series) {
            stats.points += points.len();
            let fresh = Series::from_points(points);
            changes
                .entry(set.metrics[metric as usize].clone())
                .or_default()
                .push((
                    symbol_key(&set.symbols[sym as usize]),
                    sym,
                    Change::Upsert(fresh),
                ));
        }
        for (symbol, metric, period) in &set.point_deletions {
            let change = match period {
                Some(p) => Change::DeletePoint(*p),
                None => Change::DeleteSeries,
            };
            changes.entry(metric.clone()).or_default().push((
                symbol_key(symbol),
                NO_COMPANY,
                change,
            ));
        }
        for key in &deleted {
            let Some(company) = stored.remove(key) else {
                continue;
            };
            stats.companies_deleted += 1;
            blocks_changed = true;
            index.deleted(key, &company);
            for def in catalog.defs().iter().filter(|d| d.expr.is_none()) {
                changes.entry(def.id.clone()).or_default().push((
                    key.clone(),
                    NO_COMPANY,
                    Change::DeleteSeries,
                ));
            }
        }
        if blocks_changed {
            for k in old_blocks {
                batch.remove(&k[..]);
            }
            let list: Vec<Company> = stored.into_values().collect();
            for part in list.chunks(block::TARGET) {
                let first = symbol_key(&part[0].symbol);
                batch.insert(Key::Company(&first).encode(), block::encode(part));
            }
        }
        index.write(self.kv.as_ref(), &mut batch)?;
        // Chunks an import built: stored as they are where nothing is stored in their range
        // (a first import), otherwise merged like any other change.
        let mut direct: Vec<(Vec<u8>, Value)> = Vec::new();
        for (m, chunks) in std::mem::take(&mut set.packed) {
            let metric = set.metrics[m as usize].clone();
            stats.points += chunks.iter().map(|c| c.points).sum::<usize>();
            let (Some(lo), Some(hi)) = (chunks.first(), chunks.last()) else {
                continue;
            };
            if !changes.contains_key(&metric) && self.range_is_free(&metric, &lo.first, &hi.last)? {
                // Nothing stored in their range: every point is new.
                for c in chunks {
                    stats.points_new += c.stored;
                    mark_companies(&set, &c, &mut changed)?;
                    direct.push((Key::Series(&metric, &c.first).encode(), c.bytes));
                }
                continue;
            }
            let list = changes.entry(metric).or_default();
            for c in chunks {
                for (key, series) in chunk::decode(&c.bytes)? {
                    let company = set.index_of_key(&key).unwrap_or(NO_COMPANY);
                    list.push((key, company, Change::Upsert(series)));
                }
            }
        }
        let results = self.rewrite_all(changes)?;
        // Removes first: a rewritten chunk may keep its key, and the insert must win.
        for r in &results {
            stats.points_deleted += r.deleted;
            stats.points_new += r.new;
            stats.points_unchanged += r.unchanged;
            stats.points_overwritten += r.overwritten;
            for &c in &r.changed {
                changed.mark(c);
            }
            for k in &r.removes {
                batch.remove(&k[..]);
            }
        }
        for r in results {
            for (k, v) in r.inserts {
                batch.insert(k, v);
            }
        }
        for (k, v) in direct {
            batch.insert(k, v);
        }
        for (code, incoming) in &set.rates {
            let key = Key::Rate(code).encode();
            let mut stored: BTreeMap<u32, f64> = match self.kv.get(&key)? {
                Some(v) => codec::decode::<Vec<(u32, f64)>>(&v, "exchange rates")?
                    .into_iter()
                    .collect(),
                None => BTreeMap::new(),
            };
            let mut seen: BTreeMap<u32, f64> = BTreeMap::new();
            for &(day, usd) in incoming {
                seen.insert(day, usd);
            }
            for (day, usd) in seen {
                match stored.insert(day, usd) {
                    None => stats.rates_new += 1,
                    Some(old) if old.to_bits() == usd.to_bits() => stats.rates_unchanged += 1,
                    Some(_) => stats.rates_overwritten += 1,
                }
            }
            let list: Vec<(u32, f64)> = stored.into_iter().collect();
            batch.insert(key, codec::encode(&list));
        }
        for (kind, name, text) in &set.definitions {
            let k = Key::Definition(kind, &name.to_lowercase()).encode();
            match text {
                Some(t) => batch.insert(k, codec::encode(t)),
                None => batch.remove(k),
            }
        }

        stats.companies_updated = changed
            .marked
            .iter()
            .zip(&added)
            .filter(|&(&c, &a)| c && !a)
            .count();
        self.kv.apply(batch)?;
        self.record_write();
        self.sync()?;
        release_freed_memory();
        for id in &set.dropped_metrics {
            catalog = rebuild_without(&catalog, id);
        }
        self.catalog = std::sync::Arc::new(catalog);
        Ok(stats)
    }

    /// Rewrites the chunks of every changed metric. Metrics are independent, so their
    /// chunks are rebuilt on both cores.
    fn rewrite_all(
        &self,
        changes: BTreeMap<String, Vec<(String, u32, Change)>>,
    ) -> Result<Vec<Rewrite>> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let slots: Vec<std::sync::Mutex<Option<MetricChanges>>> = changes
            .into_iter()
            .map(|w| std::sync::Mutex::new(Some(w)))
            .collect();
        let results: Vec<Result<Rewrite>> = std::thread::scope(|scope| {
            let worker = || {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(slot) = slots.get(i) else { break };
                    let taken = slot.lock().map(|mut g| g.take()).unwrap_or(None);
                    if let Some((metric, list)) = taken {
                        out.push(self.rewrite_chunks(&metric, list));
                    }
                }
                out
            };
            let helper = scope.spawn(worker);
            let mut mine = worker();
            match helper.join() {
                Ok(theirs) => mine.extend(theirs),
                Err(_) => mine.push(Err(Error::Storage("a chunk writer thread panicked".into()))),
            }
            mine
        });
        results.into_iter().collect()
    }

    /// True when every one of `keys` is a stored company (one pass over the blocks'
    /// symbol lists in their range).
    fn all_stored(&self, keys: &[String]) -> Result<bool> {
        let mut wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
        wanted.sort_unstable();
        let (Some(lo), Some(hi)) = (wanted.first(), wanted.last()) else {
            return Ok(true);
        };
        let mut next = wanted.iter().peekable();
        for item in self.blocks_covering(lo, hi)? {
            let (_, v) = item?;
            for symbol in block::symbols(&v)? {
                let key = symbol_key(symbol);
                // A wanted key sorting before a stored one that follows it is not stored.
                if next.peek().is_some_and(|w| **w < key.as_str()) {
                    return Ok(false);
                }
                if next.peek().is_some_and(|w| **w == key.as_str()) {
                    next.next();
                }
            }
        }
        Ok(next.peek().is_none())
    }

    /// The stored companies whose keys fall in `lo..=hi`, with the keys of the blocks
    /// that hold them (a change there rewrites those blocks).
    fn company_range(&self, lo: &str, hi: &str) -> Result<(Vec<Value>, BTreeMap<String, Company>)> {
        let (mut keys, mut companies) = (Vec::new(), BTreeMap::new());
        for item in self.blocks_covering(lo, hi)? {
            let (k, v) = item?;
            for c in block::decode(&v)? {
                companies.insert(symbol_key(&c.symbol), c);
            }
            keys.push(k);
        }
        Ok((keys, companies))
    }

    /// True when no stored chunk of `metric` holds a symbol key in `lo..=hi`.
    fn range_is_free(&self, metric: &str, lo: &str, hi: &str) -> Result<bool> {
        let from = Key::Series(metric, lo).encode();
        let to = Key::Series(metric, hi).encode();
        if self.kv.range(&from, Bound::Included(&to)).next().is_some() {
            return Ok(false);
        }
        // A chunk starting before `lo` may still reach into the range.
        let Some((_, bytes)) = self.chunk_for(metric, lo)? else {
            return Ok(true);
        };
        let mut r = chunk::Reader::new(&bytes)?;
        let mut last_is_before = true;
        while let Some(e) = r.next_entry()? {
            last_is_before = e.key < lo;
        }
        Ok(last_is_before)
    }

    /// Merges changes into the chunks of one metric that hold (or will hold) their symbols:
    /// those chunks are read, changed, split afresh and written back. Each point merged is
    /// counted as new, unchanged or overwritten against what was stored.
    fn rewrite_chunks(
        &self,
        metric: &str,
        mut changes: Vec<(String, u32, Change)>,
    ) -> Result<Rewrite> {
        // Stable, so several changes to one symbol keep their order.
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Rewrite::default();
        let (Some(lo), Some(hi)) = (
            changes.first().map(|c| c.0.clone()),
            changes.last().map(|c| c.0.clone()),
        ) else {
            return Ok(out);
        };
        let mut entries: BTreeMap<String, Series> = BTreeMap::new();
        for item in self.chunks_covering(metric, &lo, &hi)? {
            let (k, v) = item?;
            for (sym, s) in chunk::decode(&v)? {
                entries.insert(sym, s);
            }
            out.removes.push(k);
        }
        let merged: Vec<(String, Series)> =
            if entries.is_empty() && changes.iter().all(|c| matches!(c.2, Change::Upsert(_))) {
                // Nothing stored in this range yet (a first import): the changes are the
                // chunks, and every point is new.
                let mut v: Vec<(String, Series)> = Vec::with_capacity(changes.len());
                for (sym, company, change) in changes {
                    let Change::Upsert(fresh) = change else {
                        continue;
                    };
                    if !fresh.is_empty() {
                        out.changed.push(company);
                    }
                    match v.last_mut() {
                        Some(last) if last.0 == sym => last.1.merge(&fresh),
                        _ => v.push((sym, fresh)),
                    }
                }
                out.new = v.iter().map(|(_, s)| s.len()).sum();
                v
            } else {
                for (sym, company, change) in changes {
                    match change {
                        Change::Upsert(fresh) => {
                            let stored = entries.entry(sym).or_default();
                            let (new, unchanged, overwritten) = compare(stored, &fresh);
                            out.new += new;
                            out.unchanged += unchanged;
                            out.overwritten += overwritten;
                            if new + overwritten > 0 {
                                out.changed.push(company);
                            }
                            stored.merge(&fresh);
                        }
                        Change::DeletePoint(p) => {
                            if let Some(s) = entries.get_mut(&sym) {
                                out.deleted += usize::from(s.remove(p));
                            }
                        }
                        Change::DeleteSeries => {
                            out.deleted += entries.remove(&sym).map_or(0, |s| s.len())
                        }
                    }
                }
                entries.into_iter().collect()
            };
        for part in chunk::split(merged) {
            out.inserts.push((
                Key::Series(metric, &part[0].0).encode(),
                chunk::encode(&part),
            ));
        }
        Ok(out)
    }
}

/// (new, unchanged, overwritten): how the points of `fresh` meet those of `stored`, both in
/// period order.
fn compare(stored: &Series, fresh: &Series) -> (usize, usize, usize) {
    let (mut new, mut unchanged, mut overwritten) = (0, 0, 0);
    let mut old = stored.points.iter().peekable();
    for &(code, value) in &fresh.points {
        while old.next_if(|p| p.0 < code).is_some() {}
        match old.peek() {
            Some(&&(c, v)) if c == code => {
                if v == value {
                    unchanged += 1;
                } else {
                    overwritten += 1;
                }
            }
            _ => new += 1,
        }
    }
    (new, unchanged, overwritten)
}

/// Which companies of a write set the write changed, and how many are not marked yet.
struct Marks {
    marked: Vec<bool>,
    unmarked: usize,
}

impl Marks {
    fn new(companies: usize) -> Marks {
        Marks {
            marked: vec![false; companies],
            unmarked: companies,
        }
    }

    /// Marks a company by its index in the set ([`NO_COMPANY`] marks nothing).
    fn mark(&mut self, company: u32) {
        if let Some(slot) = self.marked.get_mut(company as usize)
            && !*slot
        {
            *slot = true;
            self.unmarked -= 1;
        }
    }
}

/// Marks the companies of the set that a chunk stored as built holds points for. Nothing is
/// read once every company is marked, which for a wide file happens within its first
/// metric's chunks.
fn mark_companies(set: &WriteSet, chunk: &PackedChunk, changed: &mut Marks) -> Result<()> {
    if changed.unmarked == 0 {
        return Ok(());
    }
    let mut reader = chunk::Reader::new(&chunk.bytes)?;
    while let Some(entry) = reader.next_entry()? {
        if let Some(i) = set.index_of_key(entry.key) {
            changed.mark(i);
        }
    }
    Ok(())
}

/// Hands memory a large write freed back to the system: the allocator keeps freed pages
/// otherwise, and the next file of an import would start from this one's high-water mark.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's own heap.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn rebuild_without(catalog: &Catalog, id: &str) -> Catalog {
    let mut c = Catalog::builtin();
    for d in catalog.defs() {
        // Registered metrics, and users' formulas for other built-in metrics, stay.
        if d.id != id && (!c.is_builtin(&d.id) || d.expr.is_some()) {
            c.add(d.clone());
        }
    }
    c
}

/// What rewriting one metric's chunks puts into the batch, and what it found.
#[derive(Default)]
struct Rewrite {
    removes: Vec<Value>,
    inserts: Vec<(Vec<u8>, Vec<u8>)>,
    deleted: usize,
    new: usize,
    unchanged: usize,
    overwritten: usize,
    /// Companies (of the write set) with a point new or overwritten.
    changed: Vec<u32>,
}

/// A metric id and the changes to its series: symbol key, the company's index in the write
/// set ([`NO_COMPANY`] for a deletion), the change.
type MetricChanges = (String, Vec<(String, u32, Change)>);

/// One change to one company's series.
enum Change {
    Upsert(Series),
    DeletePoint(crate::model::Period),
    DeleteSeries,
}
