//! Reading the chunk layout (`mod.rs`) in place: [`Reader`] validates an entry's blocks as
//! it reaches them, and an [`Entry`] decodes its points only when asked.

use super::{
    CODES_DELTA, CODES_DELTA4, CODES_RAW, CODES_SAME, MAX_EXPONENT, POW10, VALUES_DECIMAL,
    VALUES_RAW, damaged,
};
use crate::error::Result;
use crate::model::Series;

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
