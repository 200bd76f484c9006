//! The storage layer: a finq database over an ordered key-value store.
//!
//! - `kv.rs`: the [`Kv`] trait and [`Batch`], all finq asks of a store; `sled_kv.rs` is the
//!   sled backend (and the only file that knows sled), `mem.rs` the in-memory one.
//! - `keys.rs`: typed keys and their order-preserving encoding, documented as a table;
//!   `chunk/` (series chunks), `block.rs` (company blocks) and `codec.rs` the values.
//! - This file: [`Database`], opening over a backend (the format-version key, the catalog)
//!   and the typed reads.
//! - `write_set.rs` and `write.rs`: the one write path. Imports, `set`, `delete` and
//!   definitions fill a [`WriteSet`]; [`Database::apply`] turns it into one atomic batch.
//! - `index.rs`: the industry and sector indexes; `check.rs`: [`Database::check`].

pub mod block;
mod check;
pub mod chunk;
pub mod codec;
mod files;
mod index;
pub mod keys;
pub mod kv;
pub mod mem;
mod shared;
pub mod sled_kv;
mod write;
mod write_set;

#[cfg(test)]
mod tests;

pub use check::CheckReport;
pub use kv::{Batch, Kv, Value};
pub use mem::MemKv;
pub use shared::Changes;
pub use sled_kv::SledKv;
pub use write::WriteStats;
pub use write_set::{PackedChunk, WriteSet};

use crate::error::{Error, Result, stop};
use crate::model::{Catalog, Company, MetricDef, Series, symbol_key};
use keys::{Key, OwnedKey, Tag, prefix};
use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};

/// The layout version this build reads and writes. Bump it when keys or values change shape.
pub const FORMAT_VERSION: u32 = 2;
const FORMAT_KEY: &str = "format_version";
/// Where `set base currency` keeps its code: a definition of kind `setting`.
pub const BASE_CURRENCY: (&str, &str) = ("setting", "base_currency");

/// An open finq database.
pub struct Database {
    /// Shared by every handle on this database ([`Database::share`]).
    kv: std::sync::Arc<dyn Kv>,
    path: PathBuf,
    /// Shared, so a statement can hold it while it also fills the cache.
    catalog: std::sync::Arc<Catalog>,
    /// The writes made through every handle, and the last one this handle has taken in.
    journal: shared::SharedJournal,
    seen: u64,
}

impl Database {
    /// Opens the database at `path`, creating it when absent. Every failure to open — locked
    /// by another process, damaged, another format — is an [`Error::Open`] (exit status 3).
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        let kv = SledKv::open(&path)?;
        let existed = kv.existed();
        Database::over(
            std::sync::Arc::new(kv),
            path.as_ref().to_path_buf(),
            existed,
        )
    }

    /// A new, empty database held in memory only (tests, scratch sessions). Its path reads
    /// `:memory:`.
    pub fn in_memory() -> Result<Database> {
        Database::over(
            std::sync::Arc::new(MemKv::new()),
            PathBuf::from(":memory:"),
            false,
        )
    }

    /// A database over an open backend: the format key is checked (or written, when the
    /// store is new) and the catalog loaded. `existed`: the store held a database before, so
    /// finding it empty is damage, not a new database.
    fn over(kv: std::sync::Arc<dyn Kv>, path: PathBuf, existed: bool) -> Result<Database> {
        let open_err = |reason: String| Error::Open {
            path: path.display().to_string(),
            reason,
        };
        let mut database = Database {
            kv,
            path: path.clone(),
            catalog: std::sync::Arc::new(Catalog::builtin()),
            journal: Default::default(),
            seen: 0,
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

    /// Reads the catalog again (another handle's write may have changed it).
    fn reload_catalog(&mut self) -> Result<()> {
        self.catalog = std::sync::Arc::new(Catalog::builtin());
        self.load_catalog()
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

    /// The entries under `prefix` that may hold keys in `lo..=hi` (full keys, both under
    /// `prefix`): from the last entry keyed at or before `lo` (else the first), through the
    /// last keyed at or before `hi`. Chunks and blocks are keyed by their first symbol, so
    /// these are exactly the ones a change to symbols in that range reads and rewrites.
    fn covering(&self, prefix: &[u8], lo: &[u8], hi: &[u8]) -> Result<kv::Iter<'_>> {
        let start = match self.kv.last_in(prefix, lo)? {
            Some((k, _)) => k.to_vec(),
            None => prefix.to_vec(),
        };
        Ok(self.kv.range(&start, Bound::Included(hi)))
    }

    /// The company blocks that may hold symbol keys in `lo..=hi`.
    fn blocks_covering(&self, lo: &str, hi: &str) -> Result<kv::Iter<'_>> {
        let (lo, hi) = (Key::Company(lo).encode(), Key::Company(hi).encode());
        self.covering(&prefix(Tag::Company, &[]), &lo, &hi)
    }

    /// The chunks of `metric` that may hold symbol keys in `lo..=hi`.
    fn chunks_covering(&self, metric: &str, lo: &str, hi: &str) -> Result<kv::Iter<'_>> {
        let (lo, hi) = (
            Key::Series(metric, lo).encode(),
            Key::Series(metric, hi).encode(),
        );
        self.covering(&prefix(Tag::Series, &[metric]), &lo, &hi)
    }

    /// The block that holds `key` if any does: the last block whose first symbol is not
    /// after it.
    fn block_for(&self, key: &str) -> Result<Option<(Value, Value)>> {
        self.kv
            .last_in(&prefix(Tag::Company, &[]), &Key::Company(key).encode())
    }

    /// The chunk of `metric` that holds `key` if anything does: the last chunk whose first
    /// symbol is not after it.
    fn chunk_for(&self, metric: &str, key: &str) -> Result<Option<(Value, Value)>> {
        self.kv.last_in(
            &prefix(Tag::Series, &[metric]),
            &Key::Series(metric, key).encode(),
        )
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
            stop::check()?;
            out.extend(block::decode(&item?.1)?);
        }
        Ok(out)
    }

    /// Every attribute name any company has, reading only each block's names (no company
    /// is decoded).
    pub fn attribute_names(&self) -> Result<std::collections::BTreeSet<String>> {
        let mut out = std::collections::BTreeSet::new();
        for item in self.kv.scan_prefix(&prefix(Tag::Company, &[])) {
            stop::check()?;
            for name in block::names(&item?.1)? {
                if !out.contains(name) {
                    out.insert(name.to_string());
                }
            }
        }
        Ok(out)
    }

    /// Calls `f` with every company block, read in place, in symbol order.
    pub fn for_each_company_block(&self, mut f: impl FnMut(&block::View)) -> Result<()> {
        for item in self.kv.scan_prefix(&prefix(Tag::Company, &[])) {
            stop::check()?;
            f(&block::view(&item?.1)?);
        }
        Ok(())
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
    /// True when some company has a stored point of `metric` (one key read, no decoding).
    pub fn has_series(&self, metric: &str) -> Result<bool> {
        match self.kv.scan_prefix(&prefix(Tag::Series, &[metric])).next() {
            Some(item) => item.map(|_| true),
            None => Ok(false),
        }
    }

    pub fn for_each_series(&self, metric: &str, mut f: impl FnMut(chunk::Entry)) -> Result<()> {
        for item in self.kv.scan_prefix(&prefix(Tag::Series, &[metric])) {
            stop::check()?;
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
                if let Err(e) = stop::check() {
                    return Some(Err(e));
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
            stop::check()?;
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
    /// The base currency (`set base currency`), USD unless set.
    pub fn base_currency(&self) -> Result<String> {
        Ok(self
            .definition(BASE_CURRENCY.0, BASE_CURRENCY.1)?
            .unwrap_or_else(|| crate::model::currency::DEFAULT_BASE.to_string()))
    }

    /// Every stored exchange rate, by currency.
    pub fn rates(&self) -> Result<crate::model::currency::Rates> {
        let mut rates = crate::model::currency::Rates::new();
        for item in self.kv.scan_prefix(&prefix(Tag::Rate, &[])) {
            let (k, v) = item?;
            if let OwnedKey::Rate(code) = keys::decode(&k)? {
                let list: Vec<(u32, f64)> = codec::decode(&v, "exchange rates")?;
                rates.insert_coded(&code, &list);
            }
        }
        Ok(rates)
    }

    pub fn size_on_disk(&self) -> Result<u64> {
        self.kv.size_on_disk()
    }
}

/// An error's text without its `error: storage:` lead, to embed in another message.
fn bare(e: &Error) -> String {
    let s = e.to_string();
    s.trim_start_matches("error: ")
        .trim_start_matches("storage: ")
        .to_string()
}
