//! Typed keys and their order-preserving byte encoding.
//!
//! Every record lives in one ordered key-value store (`kv.rs`) under a [`Key`]. The encoding
//! keeps the order of the key's fields, so each question the engine asks most is one
//! contiguous range scan:
//!
//! | key | bytes | scan |
//! | --- | --- | --- |
//! | `Meta(name)` | `01` str | — |
//! | `Company(first symbol)` | `02` str | all companies, in symbol order |
//! | `Industry(industry)` | `03` str | one industry's member list |
//! | `Sector(sector)` | `04` str | one sector's member list |
//! | `Metric(id)` | `05` str | the registered catalog entries |
//! | `Series(metric, first symbol)` | `06` str str | one metric across all companies |
//! | `Definition(kind, name)` | `07` str str | saved screens and computed metrics |
//! | `Rate(currency)` | `08` str | every exchange rate, one value per currency |
//!
//! A series value is a chunk (`chunk/`): the series of one metric for a run of companies,
//! keyed by its first symbol, so one company's series is the one chunk at or before its key
//! and a metric across the market is a contiguous scan. An index value is the sorted list of
//! its members' symbol keys: an import touches one key per group, not one per company. A
//! company value is likewise a block of up to 512 companies (`block.rs`) keyed by its first
//! symbol. Strings are written with each
//! `0x00` byte escaped as `0x00 0xff` and a `0x00 0x00` terminator: a prefix sorts before any
//! longer string that extends it, exactly as the strings themselves sort.

use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key<'a> {
    Meta(&'a str),
    Company(&'a str),
    Industry(&'a str),
    Sector(&'a str),
    Metric(&'a str),
    Series(&'a str, &'a str),
    Definition(&'a str, &'a str),
    Rate(&'a str),
}

const META: u8 = 1;
const COMPANY: u8 = 2;
const INDUSTRY: u8 = 3;
const SECTOR: u8 = 4;
const METRIC: u8 = 5;
const SERIES: u8 = 6;
const DEFINITION: u8 = 7;
const RATE: u8 = 8;

impl Key<'_> {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        let (tag, fields): (u8, &[&str]) = match self {
            Key::Meta(a) => (META, &[a]),
            Key::Company(a) => (COMPANY, &[a]),
            Key::Industry(a) => (INDUSTRY, &[a]),
            Key::Sector(a) => (SECTOR, &[a]),
            Key::Metric(a) => (METRIC, &[a]),
            Key::Series(a, b) => (SERIES, &[a, b]),
            Key::Definition(a, b) => (DEFINITION, &[a, b]),
            Key::Rate(a) => (RATE, &[a]),
        };
        out.push(tag);
        for f in fields {
            encode_str(f, &mut out);
        }
        out
    }
}

/// A decoded key, owning its strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedKey {
    Meta(String),
    Company(String),
    Industry(String),
    Sector(String),
    Metric(String),
    Series(String, String),
    Definition(String, String),
    Rate(String),
}

impl OwnedKey {
    pub fn as_key(&self) -> Key<'_> {
        match self {
            OwnedKey::Meta(a) => Key::Meta(a),
            OwnedKey::Company(a) => Key::Company(a),
            OwnedKey::Industry(a) => Key::Industry(a),
            OwnedKey::Sector(a) => Key::Sector(a),
            OwnedKey::Metric(a) => Key::Metric(a),
            OwnedKey::Series(a, b) => Key::Series(a, b),
            OwnedKey::Definition(a, b) => Key::Definition(a, b),
            OwnedKey::Rate(a) => Key::Rate(a),
        }
    }
}

pub fn decode(bytes: &[u8]) -> Result<OwnedKey> {
    let (&tag, mut rest) = bytes.split_first().ok_or_else(|| corrupt("empty key"))?;
    let mut next = || -> Result<String> {
        let (s, r) = decode_str(rest)?;
        rest = r;
        Ok(s)
    };
    let key = match tag {
        META => OwnedKey::Meta(next()?),
        COMPANY => OwnedKey::Company(next()?),
        INDUSTRY => OwnedKey::Industry(next()?),
        SECTOR => OwnedKey::Sector(next()?),
        METRIC => OwnedKey::Metric(next()?),
        SERIES => OwnedKey::Series(next()?, next()?),
        DEFINITION => OwnedKey::Definition(next()?, next()?),
        RATE => OwnedKey::Rate(next()?),
        t => return Err(corrupt(&format!("unknown key tag {t}"))),
    };
    if !rest.is_empty() {
        return Err(corrupt("trailing bytes after key"));
    }
    Ok(key)
}

/// The prefix shared by every key of one kind, with the given leading fields.
/// `prefix(SERIES_TAG, &["roe"])` covers every company's roe series.
pub fn prefix(tag: Tag, fields: &[&str]) -> Vec<u8> {
    let mut out = vec![tag as u8];
    for f in fields {
        encode_str(f, &mut out);
    }
    out
}

#[derive(Clone, Copy, Debug)]
pub enum Tag {
    Meta = META as isize,
    Company = COMPANY as isize,
    Industry = INDUSTRY as isize,
    Sector = SECTOR as isize,
    Metric = METRIC as isize,
    Series = SERIES as isize,
    Definition = DEFINITION as isize,
    Rate = RATE as isize,
}

fn encode_str(s: &str, out: &mut Vec<u8>) {
    for &b in s.as_bytes() {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

fn decode_str(bytes: &[u8]) -> Result<(String, &[u8])> {
    let mut s = Vec::new();
    let mut i = 0;
    loop {
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(0), Some(0)) => break,
            (Some(0), Some(0xff)) => {
                s.push(0);
                i += 2;
            }
            (Some(&b), _) if b != 0 => {
                s.push(b);
                i += 1;
            }
            _ => return Err(corrupt("bad string in key")),
        }
    }
    let s = String::from_utf8(s).map_err(|_| corrupt("key is not UTF-8"))?;
    Ok((s, &bytes[i + 2..]))
}

fn corrupt(what: &str) -> Error {
    Error::Storage(format!("damaged key: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips() {
        let keys = [
            OwnedKey::Meta("format".into()),
            OwnedKey::Company("KC.US".into()),
            OwnedKey::Industry("internet".into()),
            OwnedKey::Sector("".into()),
            OwnedKey::Metric("roe".into()),
            OwnedKey::Series("roe".into(), "a\0b".into()),
            OwnedKey::Definition("screen".into(), "cheap".into()),
            OwnedKey::Rate("CNY".into()),
        ];
        for k in keys {
            assert_eq!(decode(&k.as_key().encode()).unwrap(), k);
        }
    }

    #[test]
    fn encodings_by_hand() {
        assert_eq!(Key::Company("AB").encode(), [2, b'A', b'B', 0, 0]);
        assert_eq!(
            Key::Series("a", "\0").encode(),
            [6, b'a', 0, 0, 0, 0xff, 0, 0]
        );
    }

    #[test]
    fn a_prefix_covers_exactly_its_range() {
        let p = prefix(Tag::Series, &["roe"]);
        assert!(Key::Series("roe", "KC.US").encode().starts_with(&p));
        assert!(!Key::Series("roe_ttm", "KC.US").encode().starts_with(&p));
        assert!(!Key::Series("ro", "eKC.US").encode().starts_with(&p));
    }

    #[test]
    fn rejects_damaged_keys() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[99, 0, 0]).is_err());
        assert!(decode(&[2, b'a']).is_err());
        assert!(decode(&[2, b'a', 0, 0, 7]).is_err());
    }

    fn owned() -> impl Strategy<Value = OwnedKey> {
        let s = || proptest::string::string_regex("[a-c\\x00\\xff.]{0,4}").unwrap();
        prop_oneof![
            s().prop_map(OwnedKey::Company),
            s().prop_map(OwnedKey::Industry),
            (s(), s()).prop_map(|(a, b)| OwnedKey::Series(a, b)),
            s().prop_map(OwnedKey::Metric),
        ]
    }

    proptest! {
        #[test]
        fn encoded_order_is_key_order(a in owned(), b in owned()) {
            let (ea, eb) = (a.as_key().encode(), b.as_key().encode());
            prop_assert_eq!(ea.cmp(&eb), a.as_key().cmp(&b.as_key()));
            prop_assert_eq!(decode(&ea).unwrap(), a);
        }
    }
}
