//! The storage seam: the few key-value operations finq asks of a store, and [`Batch`], the
//! one way to change it.
//!
//! Everything above this trait — typed keys, chunks, blocks, the write path, `check` — is
//! written once against [`Kv`]; a backend only orders bytes. Two exist: the sled database on
//! disk ([`super::SledKv`], which owns every sled workaround) and [`super::MemKv`], a sorted
//! map that the storage tests and the golden scripts also run against.
//!
//! Values are [`Value`]s: shared buffers that go in and out of a store without a copy, so
//! neither a read nor a batch copies a ~160 KB chunk (`sled_kv.rs` says why the type is
//! sled's buffer under finq's name).

use crate::error::Result;
use std::ops::Bound;

pub use super::sled_kv::Value;

/// Entries in key order, read lazily: one metric's chunks can be gigabytes.
pub type Iter<'a> = Box<dyn Iterator<Item = Result<(Value, Value)>> + 'a>;

/// An ordered key-value store: what a finq database needs from its backend.
pub trait Kv: Send + Sync {
    fn get(&self, key: &[u8]) -> Result<Option<Value>>;

    /// The entries whose keys are at least `from` and below (or up to) `to`, in key order.
    fn range(&self, from: &[u8], to: Bound<&[u8]>) -> Iter<'_>;

    /// The entry with the greatest key in `from..=to`: the chunk or block that holds a
    /// symbol is the last one keyed at or before it.
    fn last_in(&self, from: &[u8], to: &[u8]) -> Result<Option<(Value, Value)>>;

    /// Applies every change of `batch` or none of them; readers see all or nothing.
    fn apply(&self, batch: Batch) -> Result<()>;

    /// Makes everything applied so far durable.
    fn flush(&self) -> Result<()>;

    /// Bytes the store takes (on disk, or in memory for a store that has no disk).
    fn size_on_disk(&self) -> Result<u64>;

    fn is_empty(&self) -> Result<bool>;

    /// Every entry whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Iter<'_> {
        match successor(prefix) {
            Some(end) => self.range(prefix, Bound::Excluded(&end)),
            None => self.range(prefix, Bound::Unbounded),
        }
    }
}

/// The first key after every key that starts with `prefix`, if there is one (a prefix of
/// only `ff` bytes, or none, reaches to the end).
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let last = prefix.iter().rposition(|&b| b != 0xff)?;
    let mut end = prefix[..=last].to_vec();
    end[last] += 1;
    Some(end)
}

/// Changes to apply atomically, in order: a later change to a key replaces an earlier one
/// (a chunk rewritten under its old key is removed, then inserted).
///
/// Taken by value, so a backend converts and stores large values one at a time instead of
/// holding a second copy of every chunk of an import.
#[derive(Default, Debug)]
pub struct Batch {
    ops: Vec<(Vec<u8>, Option<Value>)>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Adds an insert. A [`Value`] is moved; a `Vec<u8>` is copied into one here, so each
    /// copy is made (and its source freed) before the next.
    pub fn insert(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Value>) {
        self.ops.push((key.into(), Some(value.into())));
    }

    pub fn remove(&mut self, key: impl Into<Vec<u8>>) {
        self.ops.push((key.into(), None));
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Bytes of keys and values inserted: what a backend must find room for.
    pub fn inserted_bytes(&self) -> u64 {
        self.ops
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.len() + v.len()) as u64))
            .sum()
    }

    /// The changes in order, each `(key, Some(value))` to insert or `(key, None)` to remove.
    pub fn into_ops(self) -> impl Iterator<Item = (Vec<u8>, Option<Value>)> {
        self.ops.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successors_bound_a_prefix() {
        assert_eq!(successor(&[6, b'a', 0, 0]), Some(vec![6, b'a', 0, 1]));
        assert_eq!(successor(&[6, 0xff, 0xff]), Some(vec![7]));
        assert_eq!(successor(&[0xff]), None);
        assert_eq!(successor(&[]), None);
    }

    #[test]
    fn a_batch_counts_what_it_inserts() {
        let mut b = Batch::new();
        b.insert(vec![1, 2], vec![0u8; 10]);
        b.remove(vec![3]);
        assert_eq!((b.len(), b.inserted_bytes()), (2, 12));
        let ops: Vec<_> = b.into_ops().collect();
        assert_eq!(ops[1], (vec![3], None));
    }
}
