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

/// Builds a chunk one company at a time, so an importer needs no [`Series`] values.
#[derive(Debug)]
pub struct Builder {
    /// The chunk so far; empty until the first push, then the count placeholder and entries.
    out: Vec<u8>,
    entries: usize,
    points: usize,
    first_key: String,
    last_key: String,
    /// The previous entry's codes, for the `same` mode.
    prev_codes: Vec<u32>,
    /// The values scaled to integers, kept between pushes for its capacity.
    scaled: Vec<i64>,
    /// The previous chunk's size: the next one is likely about as large.
    size_hint: usize,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    pub fn new() -> Builder {
        Builder {
            out: Vec::new(),
            entries: 0,
            points: 0,
            first_key: String::new(),
            last_key: String::new(),
            prev_codes: Vec::new(),
            scaled: Vec::new(),
            size_hint: 0,
        }
    }

    /// Appends one company's series: `codes` strictly increasing, same length as `values`,
    /// values finite. Entries must be pushed in increasing key order.
    ///
    /// Anything else still encodes and decodes as given (unordered codes are stored raw,
    /// values that are not decimals as `f64`), but breaks the invariants readers rely on.
    pub fn push(&mut self, key: &str, codes: &[u32], values: &[f64]) {
        debug_assert!(
            self.entries == 0 || self.last_key.as_str() < key,
            "chunk entries must come in increasing key order: {} then {key}",
            self.last_key
        );
        self.append(key, codes, values);
    }

    /// Points pushed so far.
    pub fn points(&self) -> usize {
        self.points
    }

    pub fn entries(&self) -> usize {
        self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    pub fn first_key(&self) -> Option<&str> {
        (self.entries > 0).then_some(self.first_key.as_str())
    }

    pub fn last_key(&self) -> Option<&str> {
        (self.entries > 0).then_some(self.last_key.as_str())
    }

    /// The encoded chunk; the builder is left empty, ready for the next chunk.
    pub fn finish(&mut self) -> Vec<u8> {
        if self.out.is_empty() {
            self.out.extend_from_slice(&[0; 4]);
        }
        // At most a few thousand entries, far below u32::MAX.
        self.out[..4].copy_from_slice(&(self.entries as u32).to_le_bytes());
        self.size_hint = self.out.len();
        self.entries = 0;
        self.points = 0;
        self.first_key.clear();
        self.last_key.clear();
        self.prev_codes.clear();
        std::mem::take(&mut self.out)
    }

    /// [`Builder::push`] without the key order check, for [`encode`].
    fn append(&mut self, key: &str, codes: &[u32], values: &[f64]) {
        assert_eq!(
            codes.len(),
            values.len(),
            "a series needs one value per period code"
        );
        if self.out.is_empty() {
            // Allocated on the first push rather than in `finish`, so a builder used for one
            // chunk allocates once.
            self.out.reserve(self.size_hint.max(64));
            self.out.extend_from_slice(&[0; 4]);
        }
        // Symbol keys are short; a longer key is cut at a character boundary so that the
        // chunk stays readable.
        let mut klen = key.len().min(u16::MAX as usize);
        while !key.is_char_boundary(klen) {
            klen -= 1;
        }
        let key = &key[..klen];
        self.out.extend_from_slice(&(klen as u16).to_le_bytes());
        self.out.extend_from_slice(key.as_bytes());
        // A chunk holds a few thousand points; u32 is the format's limit.
        self.out
            .extend_from_slice(&(codes.len() as u32).to_le_bytes());
        self.push_codes(codes);
        self.push_values(values);
        if self.entries == 0 {
            self.first_key.push_str(key);
        }
        self.last_key.clear();
        self.last_key.push_str(key);
        self.entries += 1;
        self.points += codes.len();
    }

    fn push_codes(&mut self, codes: &[u32]) {
        let out = &mut self.out;
        if codes.is_empty() {
            out.push(CODES_RAW);
            self.prev_codes.clear();
            return;
        }
        if self.entries > 0 && codes == self.prev_codes.as_slice() {
            out.push(CODES_SAME);
            return;
        }
        // Sizes of the two delta modes, if the codes are strictly increasing.
        let (mut delta, mut delta4) = (Some(4), Some(4));
        for w in codes.windows(2) {
            let Some(gap) = w[1].checked_sub(w[0]).filter(|&g| g > 0) else {
                (delta, delta4) = (None, None);
                break;
            };
            delta = delta.map(|s| s + varint_len(gap));
            delta4 = delta4
                .filter(|_| gap % 4 == 0)
                .map(|s| s + varint_len(gap / 4));
        }
        let raw = 4 * codes.len();
        let (mode, shift) = match (delta, delta4) {
            (_, Some(d4)) if d4 < raw && delta.is_none_or(|d| d4 < d) => (CODES_DELTA4, 2),
            (Some(d), _) if d < raw => (CODES_DELTA, 0),
            _ => (CODES_RAW, 0),
        };
        out.push(mode);
        if mode == CODES_RAW {
            for c in codes {
                out.extend_from_slice(&c.to_le_bytes());
            }
        } else {
            out.extend_from_slice(&codes[0].to_le_bytes());
            for w in codes.windows(2) {
                put_varint(out, (w[1] - w[0]) >> shift);
            }
        }
        self.prev_codes.clear();
        self.prev_codes.extend_from_slice(codes);
    }

    fn push_values(&mut self, values: &[f64]) {
        let n = values.len();
        let out = &mut self.out;
        // A decimal block's header is 10 bytes beyond the mode byte, so one value is always
        // smaller raw.
        if n >= 2
            && let Some((e, min, max)) = decimal(values, &mut self.scaled)
        {
            let range = (max - min) as u64; // both below 2^53 in magnitude: no overflow
            let w = (64 - range.leading_zeros() as usize).div_ceil(8);
            if 11 + n * w < 1 + 8 * n {
                out.push(VALUES_DECIMAL);
                out.push(e);
                out.push(w as u8);
                out.extend_from_slice(&min.to_le_bytes());
                let start = out.len();
                if w > 0 {
                    // Each value is stored with one 8-byte write and the position advances by
                    // w: the bytes above w are zero (u < 2^(8w)), and the next value or the
                    // final truncation replaces them. A fixed-size store beats a copy of
                    // variable length.
                    out.resize(start + n * w + 8, 0);
                    let dst = &mut out[start..];
                    let mut pos = 0;
                    for &m in &self.scaled {
                        let u = (m - min) as u64;
                        dst[pos..pos + 8].copy_from_slice(&u.to_le_bytes());
                        pos += w;
                    }
                    out.truncate(start + n * w);
                }
                return;
            }
        }
        out.push(VALUES_RAW);
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

fn varint_len(d: u32) -> usize {
    (32 - d.leading_zeros() as usize).div_ceil(7).max(1)
}

fn put_varint(out: &mut Vec<u8>, mut d: u32) {
    while d >= 0x80 {
        out.push(d as u8 | 0x80);
        d >>= 7;
    }
    out.push(d as u8);
}

/// Reads one varint from a block the [`Reader`] has validated; never reads past `s` (and
/// yields 0 once it is used up). Gaps of one or two bytes (days, quarters) take a fast path.
#[inline(always)]
fn read_varint(s: &mut &[u8]) -> u32 {
    match **s {
        [b0, ref rest @ ..] if b0 < 0x80 => {
            *s = rest;
            u32::from(b0)
        }
        [b0, b1, ref rest @ ..] if b1 < 0x80 => {
            *s = rest;
            u32::from(b0 & 0x7f) | u32::from(b1) << 7
        }
        _ => read_long_varint(s),
    }
}

#[cold]
fn read_long_varint(s: &mut &[u8]) -> u32 {
    let mut v = 0u32;
    let mut shift = 0;
    while let Some((&b, rest)) = s.split_first() {
        *s = rest;
        v |= u32::from(b & 0x7f) << shift;
        if b < 0x80 || shift >= 28 {
            break;
        }
        shift += 7;
    }
    v
}

enum Scaled {
    /// `m as f64 / 10^e` is the value, bit for bit.
    Exact(i64),
    Inexact,
    /// `|v·10^e| ≥ 2^53`, or v is not finite: no e, this or larger, can work.
    TooLarge,
}

#[inline]
fn scale(v: f64, e: usize) -> Scaled {
    let x = v * POW10[e];
    if x.is_nan() || x.abs() >= EXACT {
        return Scaled::TooLarge;
    }
    // Rounds half away from zero like `f64::round`, which on baseline x86-64 is a libm call:
    // below 2^53 the truncating cast is exact and so is the fraction x - t.
    let t = x as i64;
    let f = x - t as f64;
    let m = t + i64::from(f >= 0.5) - i64::from(f <= -0.5);
    // -0.0 comes back as +0.0 and so fails here: it stays raw.
    if (m as f64 / POW10[e]).to_bits() == v.to_bits() {
        Scaled::Exact(m)
    } else {
        Scaled::Inexact
    }
}

/// The smallest exponent e at which every value is `m / 10^e` for an integer m, exactly as
/// the decoder computes it; fills `scaled` with those m and returns (e, min m, max m).
fn decimal(values: &[f64], scaled: &mut Vec<i64>) -> Option<(u8, i64, i64)> {
    let mut e = 0;
    loop {
        scaled.clear();
        let (mut min, mut max) = (i64::MAX, i64::MIN);
        let mut last_raise = 0;
        for (i, &v) in values.iter().enumerate() {
            let m = match scale(v, e) {
                Scaled::Exact(m) => m,
                Scaled::TooLarge => return None,
                Scaled::Inexact => {
                    let m = loop {
                        e += 1;
                        if e > MAX_EXPONENT {
                            return None;
                        }
                        match scale(v, e) {
                            Scaled::Exact(m) => break m,
                            Scaled::TooLarge => return None,
                            Scaled::Inexact => {}
                        }
                    };
                    last_raise = i;
                    (min, max) = (i64::MAX, i64::MIN);
                    m
                }
            };
            scaled.push(m);
            min = min.min(m);
            max = max.max(m);
        }
        if last_raise == 0 {
            // Every value was checked at this e (the only raise, if any, was at the first).
            return Some((e as u8, min, max));
        }
        // The values before the last raise were checked at a smaller e only. A decimal exact
        // at e is nearly always exact at a larger e, but rounding gives no guarantee: check
        // them all again.
    }
}

/// Reads a chunk entry by entry, validating each entry's lengths so that iterating its
/// points cannot fail; the points are decoded only when asked.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    left: u32,
    /// The previous entry's point count and codes, for the `same` mode.
    prev: Option<(usize, CodeBlock<'a>)>,
}

/// A validated codes block (a `same` block is resolved to the one it refers to).
#[derive(Clone, Copy)]
enum CodeBlock<'a> {
    /// n `u32`.
    Raw(&'a [u8]),
    /// The first code, then n-1 varint gaps, to be shifted left by `shift`.
    Delta { bytes: &'a [u8], shift: u32 },
}

/// A validated values block.
#[derive(Clone, Copy)]
enum ValueBlock<'a> {
    /// n `f64`.
    Raw(&'a [u8]),
    /// `bytes` starts at the first value and runs to the end of the chunk (at least n·w
    /// bytes), so most reads can take 8 bytes at once and mask.
    Decimal {
        e: u8,
        w: u8,
        min: i64,
        bytes: &'a [u8],
    },
}

/// One entry of a chunk: the symbol key and its encoded points.
pub struct Entry<'a> {
    pub key: &'a str,
    n: usize,
    codes: CodeBlock<'a>,
    values: ValueBlock<'a>,
}

impl<'a> Entry<'a> {
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    // Both iterators are `(0..n).map(step)`: a `Range` map is `TrustedLen`, so `Vec::extend`
    // and `collect` reserve once and run a plain counted loop. An iterator with its own
    // `next` would go through the element-by-element path, which costs more than decoding.
    pub fn codes(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let mut codes = match self.codes {
            CodeBlock::Raw(b) => Codes::Raw(b),
            CodeBlock::Delta { bytes, shift } => match bytes.split_first_chunk::<4>() {
                Some((first, gaps)) => Codes::Delta {
                    next: u32::from_le_bytes(*first),
                    gaps,
                    shift,
                },
                // The reader never makes a delta block without its first code.
                None => Codes::Raw(&[]),
            },
        };
        (0..self.n).map(move |_| codes.step())
    }

    pub fn values(&self) -> impl ExactSizeIterator<Item = f64> + 'a {
        let mut values = self.values_from(0);
        (0..self.n).map(move |_| values.step())
    }

    /// The values from the `i`-th on (`i` < n, or 0): raw values sliced, packed ones by
    /// position.
    fn values_from(&self, i: usize) -> Values<'a> {
        match self.values {
            ValueBlock::Raw(b) => Values::Raw(b.get(i * 8..).unwrap_or_default()),
            ValueBlock::Decimal { e, w, min, bytes } => {
                let packed = Packed {
                    bytes,
                    pos: i * usize::from(w),
                    w: usize::from(w),
                    mask: if w >= 8 {
                        u64::MAX
                    } else {
                        (1u64 << (8 * w)) - 1
                    },
                    min,
                };
                match e {
                    0 => Values::Integer(packed),
                    e => Values::Decimal(packed, POW10[usize::from(e).min(MAX_EXPONENT)]),
                }
            }
        }
    }

    /// The last point, reading only its value (a fixed-width slot) and, for raw codes, its
    /// code; delta codes are summed. The same arithmetic as [`Entry::values`], so the same
    /// bits.
    pub fn last(&self) -> Option<(u32, f64)> {
        let i = self.n.checked_sub(1)?;
        let code = match self.codes {
            CodeBlock::Raw(b) => Codes::Raw(b.get(i * 4..)?).step(),
            CodeBlock::Delta { .. } => self.codes().last()?,
        };
        let value = self.values_from(i).step();
        Some((code, value))
    }

    pub fn to_series(&self) -> Series {
        Series {
            points: self.codes().zip(self.values()).collect(),
        }
    }
}

/// Where decoding an entry's codes stands. The reader has validated the block, so `step` is
/// called at most n times and never runs out; were it to, it would yield 0, not panic.
enum Codes<'a> {
    Raw(&'a [u8]),
    /// `next` is the code to yield; `gaps` the varints after it.
    Delta {
        next: u32,
        gaps: &'a [u8],
        shift: u32,
    },
}

impl Codes<'_> {
    #[inline(always)]
    fn step(&mut self) -> u32 {
        match self {
            Codes::Raw(b) => match b.split_first_chunk::<4>() {
                Some((c, rest)) => {
                    *b = rest;
                    u32::from_le_bytes(*c)
                }
                None => 0,
            },
            Codes::Delta { next, gaps, shift } => {
                let c = *next;
                // After the last code the gaps are used up and this adds 0.
                *next = c.wrapping_add(read_varint(gaps) << *shift);
                c
            }
        }
    }
}

/// Where decoding an entry's values stands; as [`Codes`].
enum Values<'a> {
    Raw(&'a [u8]),
    /// e = 0: dividing by 1 would change nothing, and the division is most of the work.
    Integer(Packed<'a>),
    /// The integers and 10^e.
    Decimal(Packed<'a>, f64),
}

/// The w-byte integers of a decimal block.
struct Packed<'a> {
    /// From the first integer to the end of the chunk.
    bytes: &'a [u8],
    pos: usize,
    w: usize,
    mask: u64,
    min: i64,
}

impl Packed<'_> {
    #[inline(always)]
    fn step(&mut self) -> i64 {
        let raw = match self
            .bytes
            .get(self.pos..)
            .and_then(<[u8]>::first_chunk::<8>)
        {
            Some(b) => u64::from_le_bytes(*b),
            // Within 8 bytes of the end of the chunk.
            None => {
                let mut buf = [0u8; 8];
                let tail = self.bytes.get(self.pos..).unwrap_or_default();
                let k = tail.len().min(8);
                buf[..k].copy_from_slice(&tail[..k]);
                u64::from_le_bytes(buf)
            }
        };
        self.pos += self.w;
        self.min.wrapping_add((raw & self.mask) as i64)
    }
}

impl Values<'_> {
    #[inline(always)]
    fn step(&mut self) -> f64 {
        match self {
            Values::Raw(b) => match b.split_first_chunk::<8>() {
                Some((v, rest)) => {
                    *b = rest;
                    f64::from_le_bytes(*v)
                }
                None => 0.0,
            },
            Values::Integer(p) => p.step() as f64,
            Values::Decimal(p, scale) => p.step() as f64 / *scale,
        }
    }
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Result<Reader<'a>> {
        let mut r = Reader {
            bytes,
            pos: 0,
            left: 0,
            prev: None,
        };
        r.left = u32::from_le_bytes(r.array().map_err(|_| damaged("too short"))?);
        Ok(r)
    }

    #[inline]
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

    #[inline(always)]
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let a = *self
            .bytes
            .get(self.pos..)
            .and_then(<[u8]>::first_chunk::<N>)
            .ok_or_else(|| damaged("truncated"))?;
        self.pos += N;
        Ok(a)
    }

    #[inline]
    fn byte(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    #[inline]
    fn varint(&mut self) -> Result<u32> {
        let mut v = 0u64;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return u32::try_from(v).map_err(|_| damaged("period gap too large"));
            }
        }
        Err(damaged("varint too long"))
    }

    fn size(n: usize, width: usize) -> Result<usize> {
        n.checked_mul(width).ok_or_else(|| damaged("size"))
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
        let klen = usize::from(u16::from_le_bytes(self.array()?));
        let key =
            std::str::from_utf8(self.take(klen)?).map_err(|_| damaged("symbol is not UTF-8"))?;
        let n = u32::from_le_bytes(self.array()?) as usize;

        let codes = match self.byte()? {
            CODES_RAW => CodeBlock::Raw(self.take(Self::size(n, 4)?)?),
            CODES_SAME => match self.prev {
                Some((prev_n, block)) if prev_n == n => block,
                Some(_) => return Err(damaged("same codes as an entry of another length")),
                None => return Err(damaged("the first entry refers to a previous one")),
            },
            mode @ (CODES_DELTA | CODES_DELTA4) => {
                let shift = if mode == CODES_DELTA4 { 2 } else { 0 };
                if n == 0 {
                    return Err(damaged("period gaps without periods"));
                }
                let start = self.pos;
                let mut code = u64::from(u32::from_le_bytes(self.array()?));
                // Decoded once here to find the block's end and to make sure iterating it
                // later yields n strictly increasing codes.
                for _ in 1..n {
                    let gap = self.varint()?;
                    if gap == 0 {
                        return Err(damaged("periods out of order"));
                    }
                    code += u64::from(gap) << shift;
                    if code > u64::from(u32::MAX) {
                        return Err(damaged("period code out of range"));
                    }
                }
                CodeBlock::Delta {
                    bytes: &self.bytes[start..self.pos],
                    shift,
                }
            }
            _ => return Err(damaged("unknown codes mode")),
        };
        self.prev = Some((n, codes));

        let values = match self.byte()? {
            VALUES_RAW => ValueBlock::Raw(self.take(Self::size(n, 8)?)?),
            VALUES_DECIMAL => {
                let e = self.byte()?;
                if usize::from(e) > MAX_EXPONENT {
                    return Err(damaged("decimal exponent out of range"));
                }
                let w = self.byte()?;
                if w > 8 {
                    return Err(damaged("value width out of range"));
                }
                let min = i64::from_le_bytes(self.array()?);
                let start = self.pos;
                self.take(Self::size(n, usize::from(w))?)?;
                ValueBlock::Decimal {
                    e,
                    w,
                    min,
                    bytes: &self.bytes[start..],
                }
            }
            _ => return Err(damaged("unknown values mode")),
        };
        Ok(Some(Entry {
            key,
            n,
            codes,
            values,
        }))
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
    use crate::model::Period;
    use proptest::prelude::*;

    fn entry(k: &str, n: u32) -> (String, Series) {
        (
            k.to_string(),
            Series {
                points: (0..n).map(|i| (i * 4 + 1, f64::from(i) * 0.5)).collect(),
            },
        )
    }

    fn series(k: &str, codes: &[u32], values: &[f64]) -> (String, Series) {
        assert_eq!(codes.len(), values.len());
        (
            k.to_string(),
            Series {
                points: codes.iter().copied().zip(values.iter().copied()).collect(),
            },
        )
    }

    /// Entries as (key, codes, value bits): `Series` compares values with `==`, under which
    /// -0.0 equals 0.0 and NaN equals nothing.
    fn exact(entries: &[(String, Series)]) -> Vec<(String, Vec<u32>, Vec<u64>)> {
        entries
            .iter()
            .map(|(k, s)| {
                (
                    k.clone(),
                    s.points.iter().map(|p| p.0).collect(),
                    s.points.iter().map(|p| p.1.to_bits()).collect(),
                )
            })
            .collect()
    }

    /// Every mode in one chunk; each entry's size worked out by hand. An entry's fixed part
    /// is `u16` key length + 1 key byte + `u32` n = 7 bytes.
    fn every_mode() -> (Vec<(String, Series)>, Vec<usize>) {
        let entries = vec![
            // Codes delta/4: mode + first code + gaps 364/4 = 91 of one byte each = 7
            // (delta would take 9). Values decimal, e = 2: m = 150, 225, -75; min -75,
            // range 300 so w = 2: mode + e + w + min + 3·2 = 17. Total 7 + 7 + 17 = 31.
            series("A", &[100, 464, 828], &[1.5, 2.25, -0.75]),
            // Codes same as A: 1. Values decimal, e = 0, w = 0: 11. Total 7 + 1 + 11 = 19.
            series("B", &[100, 464, 828], &[7.0, 7.0, 7.0]),
            // Codes delta: 1 + 4 + 1 = 6 (raw would be 1 + 8). 0.1 + 0.2 is no short
            // decimal: values raw, 1 + 16 = 17. Total 7 + 6 + 17 = 30.
            series("C", &[1, 2], &[0.1 + 0.2, 1.0]),
            // A gap of 4e9 (1e9 in fours) takes a 5-byte varint: delta 1 + 4 + 5 > raw
            // 1 + 8 = 9. -0.0 would decode as +0.0: values raw, 17. Total 7 + 9 + 17 = 33.
            series("D", &[0, 4_000_000_000], &[-0.0, 3.0]),
            // Empty: both blocks are a mode byte alone. Total 7 + 1 + 1 = 9.
            series("E", &[], &[]),
            // Gaps of 201, no multiple of 4: codes delta, 1 + 4 + 3·2 = 11. Integers,
            // e = 0: min -12, range 2085452808 < 2^32 so w = 4: 11 + 4·4 = 27.
            // Total 7 + 11 + 27 = 45.
            series(
                "F",
                &[10, 211, 412, 613],
                &[2_085_452_796.0, -12.0, 0.0, 100.0],
            ),
            // Codes same as F: 1. 1e300·10^e is beyond 2^53: values raw, 1 + 32 = 33.
            // Total 7 + 1 + 33 = 41.
            series("G", &[10, 211, 412, 613], &[1e300, 1.0, 2.0, 3.0]),
        ];
        (entries, vec![31, 19, 30, 33, 9, 45, 41])
    }

    #[test]
    fn round_trips() {
        let entries = vec![entry("A.US", 3), entry("B.US", 0), entry("C\u{e9}.HK", 2)];
        let bytes = encode(&entries);
        assert_eq!(decode(&bytes).unwrap(), entries);
        // A.US: 2 + 4 + 4, codes 1, 5, 9 delta (1 + 4 + 1 + 1; delta/4 is no smaller), values 0, 0.5, 1 decimal
        // with e = 1, w = 1 (11 + 3). B.US: 2 + 4 + 4 and two mode bytes. Cé.HK: 2 + 6 + 4,
        // codes delta (1 + 4 + 1), values decimal (11 + 2).
        assert_eq!(bytes.len(), 4 + (10 + 7 + 14) + (10 + 2) + (12 + 6 + 13));
    }

    #[test]
    fn every_mode_round_trips_at_its_hand_computed_size() {
        let (entries, sizes) = every_mode();
        let bytes = encode(&entries);
        assert_eq!(exact(&decode(&bytes).unwrap()), exact(&entries));
        for k in 0..entries.len() {
            let grown = encode(&entries[..=k]).len() - encode(&entries[..k]).len();
            assert_eq!(grown, sizes[k], "entry {}", entries[k].0);
        }
        assert_eq!(bytes.len(), 4 + sizes.iter().sum::<usize>());
        assert_eq!(bytes.len(), 212);
        // A's blocks: codes mode at 4 + 7, values mode 7 bytes later, then e and w.
        assert_eq!(&bytes[11..16], &[CODES_DELTA4, 100, 0, 0, 0]);
        assert_eq!(&bytes[16..21], &[91, 91, VALUES_DECIMAL, 2, 2]);
        // B reuses A's codes: its codes mode byte comes right before its values block.
        assert_eq!(&bytes[35 + 7..35 + 10], &[CODES_SAME, VALUES_DECIMAL, 0]);
        // F's gaps of 201 as 2-byte varints.
        let f = 4 + 31 + 19 + 30 + 33 + 9 + 7;
        assert_eq!(
            &bytes[f..f + 11],
            &[CODES_DELTA, 10, 0, 0, 0, 0xc9, 1, 0xc9, 1, 0xc9, 1]
        );
    }

    #[test]
    fn same_codes_decode_as_the_previous_entry_codes() {
        let q = [100, 464, 828, 1196];
        let entries = vec![
            series("A", &q, &[0.1, 0.2, 0.3, 0.4]),
            series("B", &q, &[1.0, 2.0, 3.0, 4.0]),
            series("C", &q, &[-1.0, -2.0, -3.0, -4.0]),
        ];
        let bytes = encode(&entries);
        // A: 7 + codes delta/4 (1 + 4 + 3·1) + (11 + 4·1); B and C: 7 + 1 + (11 + 4·1).
        assert_eq!(bytes.len(), 4 + 30 + 23 + 23);
        let mut r = Reader::new(&bytes).unwrap();
        let mut n = 0;
        while let Some(e) = r.next_entry().unwrap() {
            assert_eq!(e.len(), 4);
            assert_eq!(e.codes().collect::<Vec<_>>(), q);
            n += 1;
        }
        assert_eq!(n, 3);
    }

    #[test]
    fn values_that_are_no_short_decimal_stay_raw_and_exact() {
        let odd = [
            -0.0,
            1e300,
            -1e300,
            0.1 + 0.2,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1.0 / 3.0,
            9_007_199_254_740_993.0,
        ];
        for v in odd {
            let entries = vec![series("A", &[1, 2, 3], &[v, 0.5, 0.25])];
            let bytes = encode(&entries);
            assert_eq!(exact(&decode(&bytes).unwrap()), exact(&entries), "{v}");
            // 4 + 7 + codes (1 + 4 + 2) + raw values (1 + 24)
            assert_eq!(bytes.len(), 43, "{v}");
        }
        // Integers take e = 0; decimals the smallest e that holds them all.
        for (values, e, w) in [
            (vec![3.0, -7.0, 70_000.0], 0, 3),
            (vec![0.5, 0.25, 0.125], 3, 2),
            (vec![0.29, 0.290414, -0.046019], 6, 3),
            (vec![1e-18, 5e-17, 0.0], 18, 1),
        ] {
            let entries = vec![series("A", &[1, 2, 3], &values)];
            let bytes = encode(&entries);
            assert_eq!(exact(&decode(&bytes).unwrap()), exact(&entries));
            assert_eq!(&bytes[18..21], &[VALUES_DECIMAL, e, w], "{values:?}");
        }
    }

    #[test]
    fn builder_matches_encode_and_starts_over_after_finish() {
        let (entries, _) = every_mode();
        let mut b = Builder::default();
        assert!(b.is_empty());
        assert_eq!((b.first_key(), b.last_key()), (None, None));
        assert_eq!(b.finish(), encode(&[]));
        assert_eq!(decode(&encode(&[])).unwrap(), vec![]);
        for round in 0..2 {
            for (k, s) in &entries {
                let codes: Vec<u32> = s.points.iter().map(|p| p.0).collect();
                let values: Vec<f64> = s.points.iter().map(|p| p.1).collect();
                b.push(k, &codes, &values);
            }
            assert_eq!(b.entries(), 7);
            assert_eq!(b.points(), 3 + 3 + 2 + 2 + 4 + 4);
            assert_eq!((b.first_key(), b.last_key()), (Some("A"), Some("G")));
            assert_eq!(b.finish(), encode(&entries), "round {round}");
            assert!(b.is_empty());
            assert_eq!(b.points(), 0);
        }
        // A new chunk never refers to the previous chunk's codes.
        b.push("A", &[1, 2], &[1.0, 2.0]);
        let _ = b.finish();
        b.push("B", &[1, 2], &[1.0, 2.0]);
        let bytes = b.finish();
        assert_eq!(bytes[4 + 7], CODES_DELTA);
        assert_eq!(
            decode(&bytes).unwrap(),
            vec![series("B", &[1, 2], &[1.0, 2.0])]
        );
    }

    /// A company's 40 quarters, 2016Q1 to 2025Q4, and a cheap deterministic random stream.
    fn quarters() -> Vec<u32> {
        (2016..2026)
            .flat_map(|y| (1..=4).map(move |q| Period::parse(&format!("{y}Q{q}")).unwrap()))
            .map(Period::code)
            .collect()
    }

    fn next_random(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn realistic_chunks_take_under_five_bytes_a_point() {
        let q = quarters();
        let mut state = 0x9e37_79b9_7f4a_7c15;
        let mut b = Builder::new();
        let mut sizes = Vec::new();
        for i in 0..200 {
            // One company in ten has a shorter history.
            let codes = if i % 10 == 3 { &q[12..] } else { &q[..] };
            // Fractions with six decimals, as files hold them: roe 0.290414, -0.046019.
            let values: Vec<f64> = codes
                .iter()
                .map(|_| (next_random(&mut state) % 2_000_001) as f64 / 1e6 - 1.0)
                .map(|v| (v * 1e6).round() / 1e6)
                .collect();
            let before = b.out.len();
            b.push(&format!("S{i:04}"), codes, &values);
            sizes.push(b.out.len() - before);
        }
        let points = b.points();
        let bytes = b.finish();
        let per_point = bytes.len() as f64 / points as f64;
        assert!(per_point < 5.0, "{per_point} bytes a point");
        // A company with the previous one's quarters: key length, 5-byte key and n (11),
        // codes same (1), values decimal with w = 3 (11 + 40·3): 143 bytes, 3.6 a point.
        assert_eq!((sizes[1], sizes[2]), (143, 143));
        // The first also holds its quarters (1 + 4 + 39 gaps of 1 byte in fours) and the
        // chunk's entry count: 4 + 11 + 44 + 131.
        assert_eq!(sizes[0], 190);
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded.iter().map(|e| e.1.len()).sum::<usize>(), points);
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

        let (entries, _) = every_mode();
        let bytes = encode(&entries);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    /// A one-entry chunk (key "A", n points) with the given blocks.
    fn raw_chunk(n: u32, blocks: &[&[u8]]) -> Vec<u8> {
        let mut b = vec![1, 0, 0, 0, 1, 0, b'A'];
        b.extend_from_slice(&n.to_le_bytes());
        for block in blocks {
            b.extend_from_slice(block);
        }
        b
    }

    #[test]
    fn malformed_blocks_are_rejected() {
        let ok_values: &[u8] = &[
            VALUES_DECIMAL,
            1,
            1,
            0xfb,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0,
            10,
        ];
        // e = 1, w = 1, min = -5: -0.5 and 0.5.
        let fine = raw_chunk(2, &[&[CODES_DELTA, 7, 0, 0, 0, 4], ok_values]);
        assert_eq!(
            decode(&fine).unwrap(),
            vec![series("A", &[7, 11], &[-0.5, 0.5])]
        );
        let fours = raw_chunk(2, &[&[CODES_DELTA4, 7, 0, 0, 0, 91], ok_values]);
        assert_eq!(
            decode(&fours).unwrap(),
            vec![series("A", &[7, 371], &[-0.5, 0.5])]
        );
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("unknown codes mode", raw_chunk(2, &[&[4], ok_values])),
            (
                "unknown values mode",
                raw_chunk(2, &[&[CODES_DELTA, 7, 0, 0, 0, 4], &[2]]),
            ),
            (
                "same codes first",
                raw_chunk(2, &[&[CODES_SAME], ok_values]),
            ),
            (
                "truncated varint",
                raw_chunk(2, &[&[CODES_DELTA, 7, 0, 0, 0, 0x84]]),
            ),
            (
                "varint too long",
                raw_chunk(
                    2,
                    &[
                        &[CODES_DELTA, 7, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 1],
                        ok_values,
                    ],
                ),
            ),
            (
                "gap beyond u32",
                raw_chunk(
                    2,
                    &[
                        &[CODES_DELTA, 7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x1f],
                        ok_values,
                    ],
                ),
            ),
            (
                "zero gap",
                raw_chunk(2, &[&[CODES_DELTA, 7, 0, 0, 0, 0], ok_values]),
            ),
            (
                "code past u32::MAX",
                raw_chunk(2, &[&[CODES_DELTA, 0xff, 0xff, 0xff, 0xff, 1], ok_values]),
            ),
            (
                "code past u32::MAX in fours",
                raw_chunk(2, &[&[CODES_DELTA4, 0xf0, 0xff, 0xff, 0xff, 4], ok_values]),
            ),
            (
                "zero gap in fours",
                raw_chunk(2, &[&[CODES_DELTA4, 7, 0, 0, 0, 0], ok_values]),
            ),
            (
                "delta/4 without points",
                raw_chunk(0, &[&[CODES_DELTA4, 7, 0, 0, 0], &[VALUES_RAW]]),
            ),
            (
                "delta without points",
                raw_chunk(0, &[&[CODES_DELTA, 7, 0, 0, 0], &[VALUES_RAW]]),
            ),
            (
                "exponent 19",
                raw_chunk(
                    2,
                    &[
                        &[CODES_RAW, 1, 0, 0, 0, 2, 0, 0, 0],
                        &[VALUES_DECIMAL, 19, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                    ],
                ),
            ),
            (
                "width 9",
                raw_chunk(
                    0,
                    &[
                        &[CODES_RAW],
                        &[VALUES_DECIMAL, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0],
                    ],
                ),
            ),
            (
                "trailing bytes",
                raw_chunk(2, &[&[CODES_DELTA, 7, 0, 0, 0, 4], ok_values, &[0]]),
            ),
        ];
        for (what, bytes) in &cases {
            assert!(decode(bytes).is_err(), "{what}");
        }
        // The same codes as an entry of another length.
        let mut two = encode(&[
            series("A", &[1, 2], &[1.0, 2.0]),
            series("B", &[1, 2], &[1.0, 2.0]),
        ]);
        assert!(decode(&two).is_ok());
        // A: 7 + codes delta (1 + 4 + 1) + values decimal, e = 0, w = 1 (11 + 2); B's n
        // follows its 3-byte key length and key.
        let b_n = 4 + (7 + 6 + 13) + 3;
        assert_eq!(&two[b_n..b_n + 5], &[2, 0, 0, 0, CODES_SAME]);
        two[b_n] = 1;
        assert!(decode(&two).is_err());
    }

    #[test]
    fn splits_near_the_target_without_splitting_a_series() {
        // 100 series of TARGET_POINTS / 40 points: 40 fit in a chunk, so 40 + 40 + 20.
        let n = (TARGET_POINTS / 40) as u32;
        let entries: Vec<_> = (0..100).map(|i| entry(&format!("S{i:03}"), n)).collect();
        let chunks = split(entries);
        assert_eq!(
            chunks.iter().map(Vec::len).collect::<Vec<_>>(),
            [40, 40, 20]
        );
        assert!(
            chunks
                .iter()
                .all(|c| c.iter().map(|e| e.1.len()).sum::<usize>() <= TARGET_POINTS)
        );
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 100);
    }

    /// Decodes whatever it can; it must never panic.
    fn read_all(bytes: &[u8]) {
        if let Ok(mut r) = Reader::new(bytes) {
            while let Ok(Some(e)) = r.next_entry() {
                assert_eq!(e.codes().count(), e.len());
                assert_eq!(e.values().count(), e.len());
            }
        }
        let _ = decode(bytes);
    }

    fn values() -> impl Strategy<Value = Vec<f64>> {
        let any_finite = any::<u64>()
            .prop_map(f64::from_bits)
            .prop_filter("finite", |v| v.is_finite());
        prop_oneof![
            // Decimals with one exponent, as a metric's values mostly are.
            (
                0..=MAX_EXPONENT,
                prop::collection::vec(-(1i64 << 53) + 1..1i64 << 53, 50)
            )
                .prop_map(|(e, ms)| ms.iter().map(|&m| m as f64 / POW10[e]).collect()),
            prop::collection::vec(-2_000_000i64..2_000_000, 50)
                .prop_map(|ms| ms.iter().map(|&m| m as f64 / 1e6).collect()),
            prop::collection::vec(
                prop_oneof![
                    any_finite,
                    (-1_000_000i64..1_000_000, 0..=MAX_EXPONENT)
                        .prop_map(|(m, e)| m as f64 / POW10[e]),
                ],
                50
            ),
        ]
    }

    fn codes() -> impl Strategy<Value = Vec<u32>> {
        let gap = prop_oneof![4 => 1u32..1500, 1 => 1u32..=u32::MAX];
        let gaps = prop_oneof![
            prop::collection::vec(gap, 0..49),
            // One period kind: every gap a multiple of 4.
            prop::collection::vec(prop_oneof![1u32..400, 1u32..=u32::MAX / 4], 0..49)
                .prop_map(|g| g.into_iter().map(|g| g * 4).collect()),
        ];
        (any::<u32>(), gaps).prop_map(|(first, gaps)| {
            let mut codes = vec![first];
            for g in gaps {
                match codes.last().unwrap().checked_add(g) {
                    Some(c) => codes.push(c),
                    None => break,
                }
            }
            codes
        })
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(
            body in prop::collection::vec(any::<u8>(), 0..300),
            count in 0u32..4,
        ) {
            read_all(&body);
            let mut bytes = count.to_le_bytes().to_vec();
            bytes.extend_from_slice(&body);
            read_all(&bytes);
        }

        #[test]
        fn damaged_chunks_never_panic(
            changes in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            cut in any::<prop::sample::Index>(),
        ) {
            let (entries, _) = every_mode();
            let mut bytes = encode(&entries);
            for (at, b) in changes {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            read_all(&bytes);
            let end = cut.index(bytes.len());
            read_all(&bytes[..end]);
        }

        #[test]
        fn finite_values_and_increasing_codes_round_trip_bit_exactly(
            specs in prop::collection::vec((any::<bool>(), codes(), values()), 0..8),
        ) {
            let mut entries: Vec<(String, Series)> = Vec::new();
            for (i, (same, codes, values)) in specs.into_iter().enumerate() {
                // Often the previous entry's codes, to exercise the `same` mode.
                let codes = match entries.last() {
                    Some(prev) if same => prev.1.points.iter().map(|p| p.0).collect(),
                    _ => codes,
                };
                let n = codes.len().min(values.len());
                entries.push(series(&format!("K{i}"), &codes[..n], &values[..n]));
            }
            let bytes = encode(&entries);
            prop_assert_eq!(exact(&decode(&bytes).unwrap()), exact(&entries));
            let mut b = Builder::new();
            for (k, s) in &entries {
                let codes: Vec<u32> = s.points.iter().map(|p| p.0).collect();
                let values: Vec<f64> = s.points.iter().map(|p| p.1).collect();
                b.push(k, &codes, &values);
            }
            prop_assert_eq!(b.finish(), bytes);
        }
    }

    #[test]
    fn last_reads_the_last_point_as_the_iterators_do() {
        let entries = vec![
            series("A", &[1, 5, 9], &[0.1, 0.290414, -12.684918]),
            series("B", &[1, 5, 9], &[2085452796.0, 1.0, 7.0]),
            series("C", &[2, 3], &[0.1 + 0.2, -0.0]),
            series("D", &[], &[]),
            series("E", &[100, 1_000_000], &[1e300, 5.0]),
        ];
        let bytes = encode(&entries);
        let mut r = Reader::new(&bytes).unwrap();
        while let Some(e) = r.next_entry().unwrap() {
            let all: Vec<(u32, u64)> = e.codes().zip(e.values().map(f64::to_bits)).collect();
            assert_eq!(
                e.last().map(|(c, v)| (c, v.to_bits())),
                all.last().copied(),
                "{}",
                e.key
            );
        }
    }
}
