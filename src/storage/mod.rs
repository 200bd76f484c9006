//! The sled layer: opening and versioning the database, typed reads, and atomic writes of
//! [`WriteSet`]s (imports, `set`, `delete`, definitions all go through one path).

pub mod block;
pub mod chunk;
pub mod codec;
pub mod keys;
pub mod kv;
pub mod mem;
pub mod sled_kv;

pub use kv::{Batch, Kv, Value};
pub use mem::MemKv;
pub use sled_kv::SledKv;

use crate::error::{Error, Result};
use crate::model::{Catalog, Company, MetricDef, Series, symbol_key};
use keys::{Key, OwnedKey, Tag, prefix};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::{Path, PathBuf};

/// The layout version this build reads and writes. Bump it when keys or values change shape.
pub const FORMAT_VERSION: u32 = 2;
const FORMAT_KEY: &str = "format_version";

/// An open finq database.
pub struct Database {
    kv: Box<dyn Kv>,
    path: PathBuf,
    /// Shared, so a statement can hold it while it also fills the cache.
    catalog: std::sync::Arc<Catalog>,
}

impl Database {
    /// Opens the database at `path`, creating it when absent. Every failure to open — locked
    /// by another process, damaged, another format — is an [`Error::Open`] (exit status 3).
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        let kv = SledKv::open(&path)?;
        let existed = kv.existed();
        Database::over(Box::new(kv), path.as_ref().to_path_buf(), existed)
    }

    /// A new, empty database held in memory only (tests, scratch sessions). Its path reads
    /// `:memory:`.
    pub fn in_memory() -> Result<Database> {
        Database::over(Box::new(MemKv::new()), PathBuf::from(":memory:"), false)
    }

    /// A database over an open backend: the format key is checked (or written, when the
    /// store is new) and the catalog loaded. `existed`: the store held a database before, so
    /// finding it empty is damage, not a new database.
    fn over(kv: Box<dyn Kv>, path: PathBuf, existed: bool) -> Result<Database> {
        let open_err = |reason: String| Error::Open {
            path: path.display().to_string(),
            reason,
        };
        let mut database = Database {
            kv,
            path: path.clone(),
            catalog: std::sync::Arc::new(Catalog::builtin()),
        };
        database.check_format(existed).map_err(|e| match e {
            Error::Open { .. } => e,
            other => open_err(format!("is damaged: {}", bare(&other))),
        })?;
        database
            .load_catalog()
            .map_err(|e| open_err(format!("is damaged: {}", bare(&e))))?;
        Ok(database)
    }

    fn check_format(&mut self, existed: bool) -> Result<()> {
        match self.kv.get(&Key::Meta(FORMAT_KEY).encode())? {
            Some(v) => {
                let version: u32 = codec::decode(&v, "format version")?;
                if version > FORMAT_VERSION {
                    return Err(Error::Open {
                        path: self.path.display().to_string(),
                        reason: format!(
                            "was written by a newer finq (format {version}; this finq reads format {FORMAT_VERSION})"
                        ),
                    });
                }
                if version < FORMAT_VERSION {
                    return Err(Error::Open {
                        path: self.path.display().to_string(),
                        reason: format!("has an old format ({version}) that this finq cannot read"),
                    });
                }
                Ok(())
            }
            None if self.kv.is_empty()? && !existed => {
                let mut batch = Batch::new();
                batch.insert(
                    Key::Meta(FORMAT_KEY).encode(),
                    codec::encode(&FORMAT_VERSION),
                );
                self.kv.apply(batch)?;
                self.sync()
            }
            None => Err(Error::Storage("its format version key is missing".into())),
        }
    }

    fn load_catalog(&mut self) -> Result<()> {
        for item in self.kv.scan_prefix(&prefix(Tag::Metric, &[])) {
            let (_, v) = item?;
            let def: MetricDef = codec::decode(&v, "metric definition")?;
            std::sync::Arc::make_mut(&mut self.catalog).add(def);
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The catalog as a shared handle (no copy), for callers that also need `&mut` access
    /// to something else while they read it.
    pub fn shared_catalog(&self) -> std::sync::Arc<Catalog> {
        self.catalog.clone()
    }

    /// Makes every write so far durable (the backend's durable flush).
    pub fn sync(&self) -> Result<()> {
        self.kv.flush()
    }

    /// The block that holds `key` if any does: the last block whose first symbol is not
    /// after it.
    fn block_for(&self, key: &str) -> Result<Option<(Value, Value)>> {
        let lo = prefix(Tag::Company, &[]);
        let hi = Key::Company(key).encode();
        self.kv.last_in(&lo, &hi)
    }

    pub fn company(&self, symbol: &str) -> Result<Option<Company>> {
        let key = symbol_key(symbol);
        let Some((_, bytes)) = self.block_for(&key)? else {
            return Ok(None);
        };
        Ok(block::decode(&bytes)?
            .into_iter()
            .find(|c| symbol_key(&c.symbol) == key))
    }

    /// Every company, in symbol order.
    pub fn companies(&self) -> Result<Vec<Company>> {
        let mut out = Vec::new();
        for item in self.kv.scan_prefix(&prefix(Tag::Company, &[])) {
            out.extend(block::decode(&item?.1)?);
        }
        Ok(out)
    }

    /// True when every one of `keys` is a stored company (one pass over the blocks'
    /// symbol lists in their range).
    fn all_stored(&self, keys: &[String]) -> Result<bool> {
        let mut wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
        wanted.sort_unstable();
        let (Some(lo), Some(hi)) = (wanted.first(), wanted.last()) else {
            return Ok(true);
        };
        let start = match self.block_for(lo)? {
            Some((k, _)) => k.to_vec(),
            None => return Ok(false),
        };
        let company_prefix = prefix(Tag::Company, &[]);
        let hi_key = Key::Company(hi).encode();
        let mut next = wanted.iter().peekable();
        for item in self.kv.range(&start, Bound::Unbounded) {
            let (k, v) = item?;
            if !k.starts_with(&company_prefix) || k.as_ref() > hi_key.as_slice() {
                break;
            }
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

    /// Calls `f` with every company block, read in place, in symbol order.
    pub fn for_each_company_block(&self, mut f: impl FnMut(&block::View)) -> Result<()> {
        for item in self.kv.scan_prefix(&prefix(Tag::Company, &[])) {
            f(&block::view(&item?.1)?);
        }
        Ok(())
    }

    /// The stored companies whose keys fall in `lo..=hi`, with the keys of the blocks
    /// that hold them (a change there rewrites those blocks).
    fn company_range(&self, lo: &str, hi: &str) -> Result<(Vec<Value>, BTreeMap<String, Company>)> {
        let company_prefix = prefix(Tag::Company, &[]);
        let start = match self.block_for(lo)? {
            Some((k, _)) => k.to_vec(),
            None => company_prefix.clone(),
        };
        let hi_key = Key::Company(hi).encode();
        let (mut keys, mut companies) = (Vec::new(), BTreeMap::new());
        for item in self.kv.range(&start, Bound::Unbounded) {
            let (k, v) = item?;
            if !k.starts_with(&company_prefix) || k.as_ref() > hi_key.as_slice() {
                break;
            }
            for c in block::decode(&v)? {
                companies.insert(symbol_key(&c.symbol), c);
            }
            keys.push(k);
        }
        Ok((keys, companies))
    }

    /// Symbol keys of one industry's companies (one range scan of the industry index).
    pub fn industry_members(&self, industry: &str) -> Result<Vec<String>> {
        self.index_members(Tag::Industry, industry)
    }

    pub fn sector_members(&self, sector: &str) -> Result<Vec<String>> {
        self.index_members(Tag::Sector, sector)
    }

    fn index_members(&self, tag: Tag, group: &str) -> Result<Vec<String>> {
        match self.kv.get(&index_key(tag, &group.to_lowercase()))? {
            Some(v) => codec::decode(&v, "index entry"),
            None => Ok(Vec::new()),
        }
    }

    /// The chunk of `metric` that holds `key` if anything does: the last chunk whose first
    /// symbol is not after it.
    fn chunk_for(&self, metric: &str, key: &str) -> Result<Option<(Value, Value)>> {
        let lo = prefix(Tag::Series, &[metric]);
        let hi = Key::Series(metric, key).encode();
        self.kv.last_in(&lo, &hi)
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

    /// The series of one metric (by id) of one company.
    pub fn series(&self, metric: &str, symbol: &str) -> Result<Option<Series>> {
        let key = symbol_key(symbol);
        let Some((_, bytes)) = self.chunk_for(metric, &key)? else {
            return Ok(None);
        };
        let mut r = chunk::Reader::new(&bytes)?;
        while let Some(e) = r.next_entry()? {
            if e.key == key {
                return Ok(Some(e.to_series()));
            }
        }
        Ok(None)
    }

    /// Calls `f` with every company's series of one metric, in symbol order: one contiguous
    /// scan of the metric's chunks.
    pub fn for_each_series(&self, metric: &str, mut f: impl FnMut(chunk::Entry)) -> Result<()> {
        for item in self.kv.scan_prefix(&prefix(Tag::Series, &[metric])) {
            let (_, bytes) = item?;
            let mut r = chunk::Reader::new(&bytes)?;
            while let Some(e) = r.next_entry()? {
                f(e);
            }
        }
        Ok(())
    }

    /// One metric's series one company at a time, in symbol order: (symbol key, period
    /// codes, values). Only one chunk is decoded at a time.
    pub fn series_in_order(
        &self,
        metric: &str,
    ) -> impl Iterator<Item = Result<(String, Vec<u32>, Vec<f64>)>> + '_ {
        let mut chunks = self.kv.scan_prefix(&prefix(Tag::Series, &[metric]));
        let mut pending: std::collections::VecDeque<(String, Vec<u32>, Vec<f64>)> =
            std::collections::VecDeque::new();
        std::iter::from_fn(move || {
            loop {
                if let Some(e) = pending.pop_front() {
                    return Some(Ok(e));
                }
                let bytes = match chunks.next()? {
                    Ok((_, bytes)) => bytes,
                    Err(e) => return Some(Err(e)),
                };
                let mut r = match chunk::Reader::new(&bytes) {
                    Ok(r) => r,
                    Err(e) => return Some(Err(e)),
                };
                loop {
                    match r.next_entry() {
                        Ok(Some(e)) => pending.push_back((
                            e.key.to_string(),
                            e.codes().collect(),
                            e.values().collect(),
                        )),
                        Ok(None) => break,
                        Err(e) => return Some(Err(e)),
                    }
                }
            }
        })
    }

    /// One metric across all companies: (symbol key, series) in symbol order.
    pub fn scan_metric(&self, metric: &str) -> Result<Vec<(String, Series)>> {
        let mut out = Vec::new();
        self.for_each_series(metric, |e| out.push((e.key.to_string(), e.to_series())))?;
        Ok(out)
    }

    /// Every stored metric of one company, in catalog order.
    pub fn company_series(&self, symbol: &str) -> Result<Vec<(MetricDef, Series)>> {
        let mut out = Vec::new();
        for def in self.catalog.defs() {
            if let Some(s) = self.series(&def.id, symbol)? {
                out.push((def.clone(), s));
            }
        }
        Ok(out)
    }

    /// Companies and points held for each metric that has any data, by metric id.
    pub fn metric_counts(&self) -> Result<HashMap<String, (usize, usize)>> {
        let mut out: HashMap<String, (usize, usize)> = HashMap::new();
        for item in self.kv.scan_prefix(&prefix(Tag::Series, &[])) {
            let (k, v) = item?;
            let OwnedKey::Series(metric, _) = keys::decode(&k)? else {
                return Err(Error::Storage("unexpected key among series".into()));
            };
            let e = out.entry(metric).or_default();
            let mut r = chunk::Reader::new(&v)?;
            while let Some(entry) = r.next_entry()? {
                e.0 += 1;
                e.1 += entry.len();
            }
        }
        Ok(out)
    }

    pub fn definition(&self, kind: &str, name: &str) -> Result<Option<String>> {
        match self
            .kv
            .get(&Key::Definition(kind, &name.to_lowercase()).encode())?
        {
            Some(v) => Ok(Some(codec::decode(&v, "definition")?)),
            None => Ok(None),
        }
    }

    /// Saved definitions of one kind (`screen`, `metric`): (name, source text).
    pub fn definitions(&self, kind: &str) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for item in self.kv.scan_prefix(&prefix(Tag::Definition, &[kind])) {
            let (k, v) = item?;
            let OwnedKey::Definition(_, name) = keys::decode(&k)? else {
                return Err(Error::Storage("unexpected key among definitions".into()));
            };
            out.push((name, codec::decode(&v, "definition")?));
        }
        Ok(out)
    }

    /// Size of the database on disk, in bytes.
    pub fn size_on_disk(&self) -> Result<u64> {
        self.kv.size_on_disk()
    }

    /// Merges changes into the chunks of one metric that hold (or will hold) their symbols:
    /// those chunks are read, changed, split afresh and written back.
    fn rewrite_chunks(&self, metric: &str, mut changes: Vec<(String, Change)>) -> Result<Rewrite> {
        // Stable, so several changes to one symbol keep their order.
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Rewrite::default();
        let (Some(lo), Some(hi)) = (
            changes.first().map(|c| c.0.clone()),
            changes.last().map(|c| c.0.clone()),
        ) else {
            return Ok(out);
        };
        let metric_prefix = prefix(Tag::Series, &[metric]);
        let start = match self.chunk_for(metric, &lo)? {
            Some((k, _)) => k.to_vec(),
            None => metric_prefix.clone(),
        };
        let hi_key = Key::Series(metric, &hi).encode();
        let mut entries: BTreeMap<String, Series> = BTreeMap::new();
        for item in self.kv.range(&start, Bound::Unbounded) {
            let (k, v) = item?;
            if !k.starts_with(&metric_prefix) || k.as_ref() > hi_key.as_slice() {
                break;
            }
            for (sym, s) in chunk::decode(&v)? {
                entries.insert(sym, s);
            }
            out.removes.push(k);
        }
        let merged: Vec<(String, Series)> =
            if entries.is_empty() && changes.iter().all(|c| matches!(c.1, Change::Upsert(_))) {
                // Nothing stored in this range yet (a first import): the changes are the chunks.
                let mut v: Vec<(String, Series)> = Vec::with_capacity(changes.len());
                for (sym, change) in changes {
                    let Change::Upsert(fresh) = change else {
                        continue;
                    };
                    match v.last_mut() {
                        Some(last) if last.0 == sym => last.1.merge(&fresh),
                        _ => v.push((sym, fresh)),
                    }
                }
                v
            } else {
                for (sym, change) in changes {
                    match change {
                        Change::Upsert(fresh) => entries.entry(sym).or_default().merge(&fresh),
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

    /// Applies a write set atomically (one backend batch) and durably (synced before
    /// returning).
    pub fn apply(&mut self, set: WriteSet) -> Result<WriteStats> {
        let mut batch = Batch::new();
        let mut stats = WriteStats::default();
        let mut catalog = (*self.catalog).clone();

        for def in &set.new_metrics {
            if catalog
                .get(&def.id)
                .is_none_or(|d| d.id != def.id || !catalog.is_builtin(&def.id))
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
        // Index changes by (tag, group): (symbol key, joins rather than leaves), in order.
        let mut index: BTreeMap<(u8, String), Vec<(String, bool)>> = BTreeMap::new();
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
        let only_points = deleted.is_empty() && set.attrs.iter().all(BTreeMap::is_empty);
        let all_exist = only_points && self.all_stored(&touched)?;
        let (old_blocks, mut stored) = match (&lo, &hi) {
            (Some(lo), Some(hi)) if !all_exist => self.company_range(lo, hi)?,
            _ => Default::default(),
        };
        if all_exist {
            stats.companies += touched.len();
        }
        let mut blocks_changed = false;
        let group_of = |c: &Company, attr: &str| c.attr(attr).map(str::to_lowercase);
        for (i, key) in touched.iter().enumerate().filter(|_| !all_exist) {
            let attrs = &set.attrs[i];
            stats.companies += 1;
            let company = match stored.get_mut(key) {
                Some(_) if attrs.is_empty() => continue,
                Some(c) => c,
                None => {
                    stats.companies_added += 1;
                    stored
                        .entry(key.clone())
                        .or_insert_with(|| Company::new(set.symbols[i].trim()))
                }
            };
            let before = [group_of(company, "industry"), group_of(company, "sector")];
            for (k, v) in attrs {
                company.attrs.insert(k.clone(), v.clone());
            }
            let after = [group_of(company, "industry"), group_of(company, "sector")];
            for (j, tag) in [Tag::Industry, Tag::Sector].into_iter().enumerate() {
                if before[j] != after[j] {
                    if let Some(b) = &before[j] {
                        index
                            .entry((tag as u8, b.clone()))
                            .or_default()
                            .push((key.clone(), false));
                    }
                    if let Some(a) = &after[j] {
                        index
                            .entry((tag as u8, a.clone()))
                            .or_default()
                            .push((key.clone(), true));
                    }
                }
            }
            blocks_changed = true;
        }

        // Series: every change, grouped by metric, is merged into the chunks it touches.
        let mut changes: BTreeMap<String, Vec<(String, Change)>> = BTreeMap::new();
        for ((sym, metric), points) in set.series {
            stats.points += points.len();
            let fresh = Series::from_points(points);
            changes
                .entry(set.metrics[metric as usize].clone())
                .or_default()
                .push((
                    symbol_key(&set.symbols[sym as usize]),
                    Change::Upsert(fresh),
                ));
        }
        for (symbol, metric, period) in &set.point_deletions {
            let change = match period {
                Some(p) => Change::DeletePoint(*p),
                None => Change::DeleteSeries,
            };
            changes
                .entry(metric.clone())
                .or_default()
                .push((symbol_key(symbol), change));
        }
        for key in &deleted {
            let Some(company) = stored.remove(key) else {
                continue;
            };
            stats.companies_deleted += 1;
            blocks_changed = true;
            for (tag, attr) in [(Tag::Industry, "industry"), (Tag::Sector, "sector")] {
                if let Some(g) = company.attr(attr) {
                    index
                        .entry((tag as u8, g.to_lowercase()))
                        .or_default()
                        .push((key.clone(), false));
                }
            }
            for def in catalog.defs().iter().filter(|d| d.expr.is_none()) {
                changes
                    .entry(def.id.clone())
                    .or_default()
                    .push((key.clone(), Change::DeleteSeries));
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
        // Each group's member list is read once, changed and written back.
        for ((tag, group), moves) in index {
            let tag = if tag == Tag::Industry as u8 {
                Tag::Industry
            } else {
                Tag::Sector
            };
            let k = index_key(tag, &group);
            let mut members: std::collections::BTreeSet<String> = match self.kv.get(&k)? {
                Some(v) => codec::decode::<Vec<String>>(&v, "index entry")?
                    .into_iter()
                    .collect(),
                None => Default::default(),
            };
            for (symbol, joins) in moves {
                if joins {
                    members.insert(symbol);
                } else {
                    members.remove(&symbol);
                }
            }
            if members.is_empty() {
                batch.remove(k);
            } else {
                let list: Vec<String> = members.into_iter().collect();
                batch.insert(k, codec::encode(&list));
            }
        }
        // Chunks an import built: stored as they are where nothing is stored in their range
        // (a first import), otherwise merged like any other change.
        let mut direct: Vec<(Vec<u8>, Value)> = Vec::new();
        for (m, chunks) in set.packed {
            let metric = set.metrics[m as usize].clone();
            stats.points += chunks.iter().map(|c| c.points).sum::<usize>();
            let (Some(lo), Some(hi)) = (chunks.first(), chunks.last()) else {
                continue;
            };
            if !changes.contains_key(&metric) && self.range_is_free(&metric, &lo.first, &hi.last)? {
                for c in chunks {
                    direct.push((Key::Series(&metric, &c.first).encode(), c.bytes));
                }
                continue;
            }
            let list = changes.entry(metric).or_default();
            for c in chunks {
                for (key, series) in chunk::decode(&c.bytes)? {
                    list.push((key, Change::Upsert(series)));
                }
            }
        }
        // Metrics are independent: their chunks are rebuilt on both cores.
        let work: Vec<MetricChanges> = changes.into_iter().collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let slots: Vec<std::sync::Mutex<Option<MetricChanges>>> = work
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
        let results: Vec<Rewrite> = results.into_iter().collect::<Result<_>>()?;
        // Removes first: a rewritten chunk may keep its key, and the insert must win.
        for r in &results {
            stats.points_deleted += r.deleted;
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
        for (kind, name, text) in &set.definitions {
            let k = Key::Definition(kind, &name.to_lowercase()).encode();
            match text {
                Some(t) => batch.insert(k, codec::encode(t)),
                None => batch.remove(k),
            }
        }

        self.kv.apply(batch)?;
        self.sync()?;
        release_freed_memory();
        for id in &set.dropped_metrics {
            catalog = rebuild_without(&catalog, id);
        }
        self.catalog = std::sync::Arc::new(catalog);
        Ok(stats)
    }
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

/// An error's text without its `error: storage:` lead, to embed in another message.
fn bare(e: &Error) -> String {
    let s = e.to_string();
    s.trim_start_matches("error: ")
        .trim_start_matches("storage: ")
        .to_string()
}

fn rebuild_without(catalog: &Catalog, id: &str) -> Catalog {
    let mut c = Catalog::builtin();
    for d in catalog.defs() {
        if d.id != id && !c.is_builtin(&d.id) {
            c.add(d.clone());
        }
    }
    c
}

fn index_key(tag: Tag, group: &str) -> Vec<u8> {
    match tag {
        Tag::Industry => Key::Industry(group).encode(),
        _ => Key::Sector(group).encode(),
    }
}

/// What rewriting one metric's chunks puts into the batch.
#[derive(Default)]
struct Rewrite {
    removes: Vec<Value>,
    inserts: Vec<(Vec<u8>, Vec<u8>)>,
    deleted: usize,
}

/// A metric id and the changes to its series, by symbol key.
type MetricChanges = (String, Vec<(String, Change)>);

/// One change to one company's series.
enum Change {
    Upsert(Series),
    DeletePoint(crate::model::Period),
    DeleteSeries,
}

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

/// What a write changed.
#[derive(Default, Debug, Clone, PartialEq)]
pub struct WriteStats {
    pub companies: usize,
    pub companies_added: usize,
    pub points: usize,
    pub metrics_added: usize,
    pub points_deleted: usize,
    pub companies_deleted: usize,
}

/// What `finq check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub problems: Vec<String>,
    pub summary: String,
}

impl Database {
    /// Verifies the invariants: every key and value decodes, every series belongs to a known
    /// company and metric and is strictly ordered by valid periods, the industry and sector
    /// indexes match the companies, and the format version is this build's.
    pub fn check(&self) -> Result<CheckReport> {
        let mut r = CheckReport::default();
        let mut companies: HashMap<String, Company> = HashMap::new();
        let mut index: Vec<(Tag, String, String)> = Vec::new();
        let (mut series_count, mut points) = (0usize, 0usize);
        let mut series_keys: Vec<(String, String, Series)> = Vec::new();
        let mut format_seen = false;
        let mut last_chunk: Option<(String, String)> = None;
        let mut last_company: Option<String> = None;
        for item in self.kv.scan_prefix(&[]) {
            let (k, v) = item?;
            let key = match keys::decode(&k) {
                Ok(key) => key,
                Err(e) => {
                    r.problems.push(format!("{e} ({} bytes)", k.len()));
                    continue;
                }
            };
            match key {
                OwnedKey::Meta(name) if name == FORMAT_KEY => {
                    format_seen = true;
                    match codec::decode::<u32>(&v, "format version") {
                        Ok(FORMAT_VERSION) => {}
                        Ok(other) => r
                            .problems
                            .push(format!("format version {other}, expected {FORMAT_VERSION}")),
                        Err(e) => r.problems.push(e.to_string()),
                    }
                }
                OwnedKey::Meta(name) => r.problems.push(format!("unknown meta key '{name}'")),
                OwnedKey::Company(first) => match block::decode(&v) {
                    Ok(list) => {
                        let keys: Vec<String> =
                            list.iter().map(|c| symbol_key(&c.symbol)).collect();
                        if keys.first() != Some(&first) {
                            r.problems.push(format!(
                                "company block {first} starts with {}",
                                keys.first().map_or("nothing", String::as_str)
                            ));
                        }
                        if keys.windows(2).any(|w| w[0] >= w[1]) {
                            r.problems
                                .push(format!("company block {first} is not in symbol order"));
                        }
                        if let (Some(prev), Some(head)) = (&last_company, keys.first())
                            && prev >= head
                        {
                            r.problems
                                .push(format!("company blocks overlap at {first}"));
                        }
                        last_company = keys.last().cloned().or(last_company);
                        companies.extend(keys.into_iter().zip(list));
                    }
                    Err(e) => r.problems.push(format!("{e} (company block {first})")),
                },
                OwnedKey::Industry(g) | OwnedKey::Sector(g) => {
                    let tag = if k.first() == Some(&(Tag::Industry as u8)) {
                        Tag::Industry
                    } else {
                        Tag::Sector
                    };
                    match codec::decode::<Vec<String>>(&v, "index entry") {
                        Ok(members) => {
                            if members.windows(2).any(|w| w[0] >= w[1]) {
                                r.problems
                                    .push(format!("index entry '{g}' is not in symbol order"));
                            }
                            index.extend(members.into_iter().map(|m| (tag, g.clone(), m)));
                        }
                        Err(e) => r.problems.push(format!("{e} (index entry '{g}')")),
                    }
                }
                OwnedKey::Metric(id) => match codec::decode::<MetricDef>(&v, "metric definition") {
                    Ok(d) if d.id == id => {}
                    Ok(d) => r
                        .problems
                        .push(format!("metric key {id} holds metric {}", d.id)),
                    Err(e) => r.problems.push(e.to_string()),
                },
                OwnedKey::Series(m, first) => match chunk::decode(&v) {
                    Ok(entries) => {
                        if entries.first().is_none_or(|e| e.0 != first) {
                            r.problems
                                .push(format!("chunk {m}/{first} does not start with {first}"));
                        }
                        if entries.windows(2).any(|w| w[0].0 >= w[1].0) {
                            r.problems
                                .push(format!("chunk {m}/{first} is not in symbol order"));
                        }
                        if let Some((prev, last)) = &last_chunk
                            && prev == &m
                            && last.as_str() >= first.as_str()
                        {
                            r.problems.push(format!("chunks of {m} overlap at {first}"));
                        }
                        last_chunk = entries.last().map(|e| (m.clone(), e.0.clone()));
                        series_keys.extend(entries.into_iter().map(|(sym, s)| (m.clone(), sym, s)));
                    }
                    Err(e) => r.problems.push(format!("{e} (chunk {m}/{first})")),
                },
                OwnedKey::Definition(kind, name) => {
                    if let Err(e) = codec::decode::<String>(&v, "definition") {
                        r.problems.push(format!("{e} ({kind} {name})"));
                    }
                }
            }
        }
        if !format_seen {
            r.problems.push("the format version key is missing".into());
        }
        for (metric, sym, s) in &series_keys {
            series_count += 1;
            points += s.len();
            if self.catalog.get(metric).is_none_or(|d| &d.id != metric) {
                r.problems.push(format!(
                    "series {metric} of {sym}: metric not in the catalog"
                ));
            }
            if !companies.contains_key(sym) {
                r.problems
                    .push(format!("series {metric} of {sym}: no such company"));
            }
            if s.is_empty() {
                r.problems
                    .push(format!("series {metric} of {sym} is empty"));
            }
            if s.points.windows(2).any(|w| w[0].0 >= w[1].0) {
                r.problems
                    .push(format!("series {metric} of {sym} is not ordered by period"));
            }
            if s.points
                .iter()
                .any(|p| crate::model::Period::from_code(p.0).is_none())
            {
                r.problems
                    .push(format!("series {metric} of {sym} holds an invalid period"));
            }
            if s.points.iter().any(|p| !p.1.is_finite()) {
                r.problems.push(format!(
                    "series {metric} of {sym} holds a value that is not a finite number"
                ));
            }
        }
        for (tag, group, sym) in &index {
            let attr = if matches!(tag, Tag::Industry) {
                "industry"
            } else {
                "sector"
            };
            let ok = companies
                .get(sym)
                .and_then(|c| c.attr(attr))
                .is_some_and(|g| g.to_lowercase() == *group);
            if !ok {
                r.problems.push(format!(
                    "{attr} index entry '{group}' → {sym} does not match the company"
                ));
            }
        }
        let indexed: std::collections::HashSet<(u8, &str, &str)> = index
            .iter()
            .map(|(t, g, s)| (*t as u8, g.as_str(), s.as_str()))
            .collect();
        for (sym, c) in &companies {
            for (tag, attr) in [(Tag::Industry, "industry"), (Tag::Sector, "sector")] {
                if let Some(g) = c.attr(attr) {
                    let g = g.to_lowercase();
                    if !indexed.contains(&(tag as u8, g.as_str(), sym.as_str())) {
                        r.problems
                            .push(format!("company {sym} is missing from the {attr} index"));
                    }
                }
            }
        }
        r.summary = format!(
            "{} companies, {} series, {} points, {} metrics in the catalog, format {}",
            companies.len(),
            series_count,
            points,
            self.catalog.defs().len(),
            FORMAT_VERSION
        );
        Ok(r)
    }
}
