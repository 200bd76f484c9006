//! Series chunks: the points of one metric for a run of companies, in symbol order, stored
//! under one key. A chunk holds a few thousand points, so an import writes hundreds of keys
//! rather than one per series, and a cross-company scan reads large contiguous values.
//!
//! Layout (little-endian): `u32` entry count, then per entry: `u16` symbol length, the
//! symbol key's bytes, `u32` point count n, n `u32` period codes, n `f64` values.

use crate::error::{Error, Result};
use crate::model::Series;

/// Points a chunk holds before a new one starts (a company's series is never split).
pub const TARGET_POINTS: usize = 8192;

fn damaged(what: &str) -> Error {
    Error::Storage(format!("damaged series chunk: {what}"))
}

pub fn encode(entries: &[(String, Series)]) -> Vec<u8> {
    let points: usize = entries.iter().map(|(_, s)| s.len()).sum();
    let names: usize = entries.iter().map(|(k, _)| k.len()).sum();
    let mut out = Vec::with_capacity(4 + entries.len() * 6 + names + points * 12);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (key, s) in entries {
        let k = key.as_bytes();
        let klen = k.len().min(u16::MAX as usize);
        out.extend_from_slice(&(klen as u16).to_le_bytes());
        out.extend_from_slice(&k[..klen]);
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        for (c, _) in &s.points {
            out.extend_from_slice(&c.to_le_bytes());
        }
        for (_, v) in &s.points {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// TEMPORARY shim (v1 layout) until the compact codec lands.
#[derive(Default)]
pub struct Builder {
    entries: Vec<(String, Series)>,
    points: usize,
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }
    pub fn push(&mut self, key: &str, codes: &[u32], values: &[f64]) {
        self.points += codes.len();
        self.entries.push((
            key.to_string(),
            Series {
                points: codes.iter().copied().zip(values.iter().copied()).collect(),
            },
        ));
    }
    pub fn points(&self) -> usize {
        self.points
    }
    pub fn entries(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn first_key(&self) -> Option<&str> {
        self.entries.first().map(|e| e.0.as_str())
    }
    pub fn last_key(&self) -> Option<&str> {
        self.entries.last().map(|e| e.0.as_str())
    }
    pub fn finish(&mut self) -> Vec<u8> {
        let out = encode(&self.entries);
        self.entries.clear();
        self.points = 0;
        out
    }
}

/// Reads a chunk entry by entry without copying the points until asked.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    left: u32,
}

/// One entry of a chunk: the symbol key and its points as raw little-endian slices.
pub struct Entry<'a> {
    pub key: &'a str,
    codes: &'a [u8],
    values: &'a [u8],
}

impl Entry<'_> {
    pub fn len(&self) -> usize {
        self.codes.len() / 4
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    pub fn codes(&self) -> impl Iterator<Item = u32> + '_ {
        self.codes
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.values
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    pub fn to_series(&self) -> Series {
        Series {
            points: self.codes().zip(self.values()).collect(),
        }
    }
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Result<Reader<'a>> {
        let head: [u8; 4] = bytes
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| damaged("too short"))?;
        Ok(Reader {
            bytes,
            pos: 4,
            left: u32::from_le_bytes(head),
        })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| damaged("truncated"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub fn next_entry(&mut self) -> Result<Option<Entry<'a>>> {
        if self.left == 0 {
            return if self.pos == self.bytes.len() {
                Ok(None)
            } else {
                Err(damaged("trailing bytes"))
            };
        }
        self.left -= 1;
        let klen = u16::from_le_bytes([self.take(1)?[0], self.take(1)?[0]]) as usize;
        let key =
            std::str::from_utf8(self.take(klen)?).map_err(|_| damaged("symbol is not UTF-8"))?;
        let n = self.take(4)?;
        let n = u32::from_le_bytes([n[0], n[1], n[2], n[3]]) as usize;
        let codes = self.take(n.checked_mul(4).ok_or_else(|| damaged("size"))?)?;
        let values = self.take(n.checked_mul(8).ok_or_else(|| damaged("size"))?)?;
        Ok(Some(Entry { key, codes, values }))
    }
}

/// Every entry of a chunk, decoded.
pub fn decode(bytes: &[u8]) -> Result<Vec<(String, Series)>> {
    let mut r = Reader::new(bytes)?;
    let mut out = Vec::new();
    while let Some(e) = r.next_entry()? {
        out.push((e.key.to_string(), e.to_series()));
    }
    Ok(out)
}

/// Splits symbol-ordered entries into chunks of about [`TARGET_POINTS`] points each.
pub fn split(entries: Vec<(String, Series)>) -> Vec<Vec<(String, Series)>> {
    let mut chunks = Vec::new();
    let mut current = Vec::new();
    let mut points = 0;
    for e in entries {
        if e.1.is_empty() {
            continue;
        }
        if points > 0 && points + e.1.len() > TARGET_POINTS {
            chunks.push(std::mem::take(&mut current));
            points = 0;
        }
        points += e.1.len();
        current.push(e);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(k: &str, n: u32) -> (String, Series) {
        (
            k.to_string(),
            Series {
                points: (0..n).map(|i| (i * 4 + 1, f64::from(i) * 0.5)).collect(),
            },
        )
    }

    #[test]
    fn round_trips() {
        let entries = vec![entry("A.US", 3), entry("B.US", 0), entry("C\u{e9}.HK", 2)];
        let bytes = encode(&entries);
        assert_eq!(decode(&bytes).unwrap(), entries);
        assert_eq!(
            bytes.len(),
            4 + (2 + 4 + 4 + 36) + (2 + 4 + 4) + (2 + 6 + 4 + 24)
        );
    }

    #[test]
    fn damaged_chunks_are_errors_not_panics() {
        let bytes = encode(&[entry("A", 3)]);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
        assert!(decode(&[255, 255, 255, 255]).is_err());
    }

    #[test]
    fn splits_near_the_target_without_splitting_a_series() {
        let entries: Vec<_> = (0..100).map(|i| entry(&format!("S{i:03}"), 200)).collect();
        let chunks = split(entries);
        assert_eq!(chunks.len(), 3);
        assert!(
            chunks
                .iter()
                .all(|c| c.iter().map(|e| e.1.len()).sum::<usize>() <= TARGET_POINTS)
        );
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 100);
    }
}
