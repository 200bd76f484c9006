//! Writing the chunk layout (`mod.rs`): [`Builder`] chooses each block's mode, the smallest
//! that gives every code and value back exactly.

use super::{
    CODES_DELTA, CODES_DELTA4, CODES_RAW, CODES_SAME, EXACT, MAX_EXPONENT, POW10, VALUES_DECIMAL,
    VALUES_RAW,
};

/// Builds a chunk one company at a time, so an importer needs no [`crate::model::Series`]
/// values.
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

    /// Bytes of the chunk so far, for tests that weigh each entry.
    #[cfg(test)]
    pub(super) fn bytes_so_far(&self) -> usize {
        self.out.len()
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

    /// [`Builder::push`] without the key order check, for [`super::encode`].
    pub(super) fn append(&mut self, key: &str, codes: &[u32], values: &[f64]) {
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
