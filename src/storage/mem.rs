//! [`MemKv`]: the in-memory backend, a sorted map behind a lock. Nothing is durable; it
//! exists so the storage tests and golden scripts prove that finq's layout, write path and
//! `check` depend on the [`Kv`] contract only, not on sled.

use super::kv::{Batch, Iter, Kv, Value};
use crate::error::{Error, Result};
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::{RwLock, RwLockReadGuard};

/// Entries a scan copies out per visit to the map (handles, not bytes): the lock is never
/// held between two calls of the iterator, so a scan cannot block a writer.
const SCAN_STEP: usize = 64;

type Map = BTreeMap<Value, Value>;

/// A key range as `BTreeMap::range` takes it.
type Range<'k> = (Bound<&'k [u8]>, Bound<&'k [u8]>);

#[derive(Default)]
pub struct MemKv {
    map: RwLock<Map>,
}

impl MemKv {
    pub fn new() -> MemKv {
        MemKv::default()
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, Map>> {
        self.map.read().map_err(|_| poisoned())
    }
}

fn poisoned() -> Error {
    Error::Storage("the in-memory store was left inconsistent by a panic".into())
}

/// The range from `from` to `to`, or `None` when it is empty (the map panics on a range
/// whose start is past its end).
fn bounds<'k>(from: Bound<&'k [u8]>, to: Bound<&'k [u8]>) -> Option<Range<'k>> {
    let empty = match (from, to) {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a) | Bound::Excluded(a), Bound::Excluded(b))
        | (Bound::Excluded(a), Bound::Included(b)) => a >= b,
        _ => false,
    };
    (!empty).then_some((from, to))
}

impl Kv for MemKv {
    fn get(&self, key: &[u8]) -> Result<Option<Value>> {
        Ok(self.read()?.get(key).cloned())
    }

    fn range(&self, from: &[u8], to: Bound<&[u8]>) -> Iter<'_> {
        Box::new(Scan {
            kv: self,
            next: Bound::Included(from.to_vec()),
            to: to.map(<[u8]>::to_vec),
            ready: VecDeque::new(),
            done: false,
        })
    }

    fn last_in(&self, from: &[u8], to: &[u8]) -> Result<Option<(Value, Value)>> {
        let map = self.read()?;
        let Some(range) = bounds(Bound::Included(from), Bound::Included(to)) else {
            return Ok(None);
        };
        Ok(map
            .range::<[u8], _>(range)
            .next_back()
            .map(|(k, v)| (k.clone(), v.clone())))
    }

    fn apply(&self, batch: Batch) -> Result<()> {
        // One write lock for the whole batch: readers see it all or none of it.
        let mut map = self.map.write().map_err(|_| poisoned())?;
        for (key, value) in batch.into_ops() {
            match value {
                Some(v) => map.insert(Value::from(key), v),
                None => map.remove(key.as_slice()),
            };
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn size_on_disk(&self) -> Result<u64> {
        Ok(self
            .read()?
            .iter()
            .map(|(k, v)| (k.len() + v.len()) as u64)
            .sum())
    }

    fn is_empty(&self) -> Result<bool> {
        Ok(self.read()?.is_empty())
    }
}

/// A lazy scan: it takes [`SCAN_STEP`] entries at a time and resumes after the last key it
/// gave, so it sees writes applied between steps, as a scan of sled does.
struct Scan<'a> {
    kv: &'a MemKv,
    next: Bound<Vec<u8>>,
    to: Bound<Vec<u8>>,
    ready: VecDeque<(Value, Value)>,
    done: bool,
}

impl Scan<'_> {
    fn refill(&mut self) -> Result<()> {
        let map = self.kv.read()?;
        let Some(range) = bounds(
            self.next.as_ref().map(Vec::as_slice),
            self.to.as_ref().map(Vec::as_slice),
        ) else {
            self.done = true;
            return Ok(());
        };
        self.ready.extend(
            map.range::<[u8], _>(range)
                .take(SCAN_STEP)
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        match self.ready.back() {
            Some((k, _)) if self.ready.len() == SCAN_STEP => {
                self.next = Bound::Excluded(k.to_vec());
            }
            _ => self.done = true,
        }
        Ok(())
    }
}

impl Iterator for Scan<'_> {
    type Item = Result<(Value, Value)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ready.is_empty()
            && !self.done
            && let Err(e) = self.refill()
        {
            self.done = true;
            return Some(Err(e));
        }
        self.ready.pop_front().map(Ok)
    }
}
