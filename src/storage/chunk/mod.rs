//! Series chunks: the points of one metric for a run of companies, in symbol order, stored
//! under one key. A chunk holds tens of thousands of points, so an import writes hundreds of
//! keys rather than one per series, and a cross-company scan reads large contiguous values.
//!
//! Layout v2 (little-endian): `u32` entry count, then per entry: `u16` symbol length, the
//! symbol key's bytes, `u32` point count n, a codes block and a values block. Each block
//! starts with a mode byte:
//!
//! - codes 0 (raw): n `u32` period codes. Used for n == 0, for codes that are not strictly
//!   increasing, and whenever it is no larger than the other modes.
//! - codes 1 (same): nothing more; the codes are those of the previous entry of the chunk,
//!   which has the same n. Companies mostly report the same quarters, so this often holds
//!   and then an entry's codes cost one byte.
//! - codes 2 (delta): the first code as `u32`, then the n-1 gaps (all > 0) as LEB128
//!   varints.
//! - codes 3 (delta/4): as 2, but every gap is a multiple of 4 and stored divided by 4. A
//!   code is `days << 2 | kind`, so codes of one kind are 4·days apart: a quarter (about
//!   364) takes one byte instead of two. With a few missing quarters most companies' codes
//!   differ from the previous company's, and then this halves what the codes cost.
//! - values 0 (raw): n `f64`.
//! - values 1 (decimal): `u8` e (≤ 18), `u8` w (≤ 8), `i64` min, then n unsigned w-byte
//!   integers u; value = `(min + u) as f64 / 10^e`. Fundamentals are decimals with a few
//!   digits (0.290414, 12.684918, 2085452796), so this takes 2–5 bytes a value. The encoder
//!   takes the smallest e for which that very formula gives every value back bit for bit
//!   (-0.0, 0.1 + 0.2 or 1e300 never do: such entries stay raw), and only when it is smaller.
//!
//! The reader checks every length, mode and exponent as it reaches an entry (and decodes a
//! delta block once to find its end), so iterating an entry's points cannot fail.
//!
//! A `finq gen` import (40 quarters, 2% of cells missing) averages 5.0 bytes a point (4.6
//! for fractions, up to 6.5 for large integers), against 12.4 in the first layout, which
//! held a `u32` code and an `f64` value for each.
//!
//! `builder.rs` writes this layout, `reader.rs` reads it in place, `tests.rs` holds worked
//! sizes for every mode and the damage the reader must reject.

mod builder;
mod reader;
#[cfg(test)]
mod tests;

pub use builder::Builder;
pub use reader::{Entry, Reader};

use crate::error::{Error, Result};
use crate::model::Series;

/// Points a chunk holds before a new one starts (a company's series is never split). At
/// about 5 bytes a point a chunk is ~160 KB: past sled's inline limit (128 KB), so sled
/// writes each chunk once to a file of its own instead of copying it through its log and
/// rewritten tree nodes (an L import peaked at 1.5 GB with 8k-point chunks, 0.95 GB now).
pub const TARGET_POINTS: usize = 32768;

const CODES_RAW: u8 = 0;
const CODES_SAME: u8 = 1;
const CODES_DELTA: u8 = 2;
const CODES_DELTA4: u8 = 3;
const VALUES_RAW: u8 = 0;
const VALUES_DECIMAL: u8 = 1;

/// 10^e for the decimal mode's exponents. Each is an exact f64 (powers of ten are up to
/// 1e22), so the decoder's one division is correctly rounded and the encoder can predict it.
const POW10: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];
const MAX_EXPONENT: usize = POW10.len() - 1;

/// 2^53: below it every integer is an exact f64, so the casts between f64 and i64 are exact.
const EXACT: f64 = 9_007_199_254_740_992.0;

fn damaged(what: &str) -> Error {
    Error::Storage(format!("damaged series chunk: {what}"))
}

/// Encodes exactly the given entries, empty series and all, in the given order (the
/// integrity check's tests build damaged chunks this way: unordered keys or codes, NaN).
pub fn encode(entries: &[(String, Series)]) -> Vec<u8> {
    let mut b = Builder::new();
    let mut codes = Vec::new();
    let mut values = Vec::new();
    for (key, s) in entries {
        codes.clear();
        values.clear();
        codes.extend(s.points.iter().map(|p| p.0));
        values.extend(s.points.iter().map(|p| p.1));
        b.append(key, &codes, &values);
    }
    b.finish()
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
