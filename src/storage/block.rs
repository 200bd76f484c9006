//! Company blocks: the companies of a run of symbols stored under one key, attribute by
//! attribute, each attribute's distinct values written once.
//!
//! A key per company made a 100,000-company import 100,000 sled inserts (about a second,
//! and sled keeps a node version per insert until the batch ends); blocks make it a few
//! hundred, and loading every company reads a few hundred values in place. Within a block
//! industries and sectors repeat, so a company's attributes cost a small index each.
//!
//! Layout: bincode of [`Block`] (standard configuration: every length and index a variable-
//! size integer), which [`for_each`] also reads in place without building strings.

use super::codec::{self, Bytes};
use crate::error::{Error, Result};
use crate::model::Company;
use serde::{Deserialize, Serialize};

/// Companies a block holds before a new one starts.
pub const TARGET: usize = 512;

#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
struct Block {
    /// Symbols as written, in symbol-key order.
    symbols: Vec<String>,
    /// Attribute names, sorted.
    names: Vec<String>,
    /// Per name: its distinct values in this block.
    values: Vec<Vec<String>>,
    /// Per name, per company: 0 when the company lacks it, else 1 + the value's index.
    cells: Vec<Vec<u32>>,
}

fn damaged(what: &str) -> Error {
    Error::Storage(format!("damaged company block: {what}"))
}

/// Encodes companies given in symbol-key order.
pub fn encode(companies: &[Company]) -> Vec<u8> {
    let mut b = Block {
        symbols: companies.iter().map(|c| c.symbol.clone()).collect(),
        ..Block::default()
    };
    let names: std::collections::BTreeSet<&String> =
        companies.iter().flat_map(|c| c.attrs.keys()).collect();
    for name in names {
        let mut distinct: Vec<String> = Vec::new();
        let mut index: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        let cells = companies
            .iter()
            .map(|c| match c.attrs.get(name) {
                None => 0,
                Some(v) => *index.entry(v.as_str()).or_insert_with(|| {
                    distinct.push(v.clone());
                    distinct.len() as u32
                }),
            })
            .collect();
        b.names.push(name.clone());
        b.values.push(distinct);
        b.cells.push(cells);
    }
    codec::encode(&b)
}

/// Every company of a block.
pub fn decode(bytes: &[u8]) -> Result<Vec<Company>> {
    let mut out = Vec::new();
    for_each(bytes, |symbol, attrs| {
        let mut c = Company::new(symbol);
        for (k, v) in attrs {
            c.attrs.insert(k.to_string(), v.to_string());
        }
        out.push(c);
    })?;
    Ok(out)
}

/// The symbols of a block, as written, without reading the attributes.
pub fn symbols(bytes: &[u8]) -> Result<Vec<&str>> {
    let mut r = Bytes::new(bytes);
    let n = r.len("company block")?;
    (0..n).map(|_| r.str("company block")).collect()
}

/// The attribute names a block's companies have, without reading their values.
pub fn names(bytes: &[u8]) -> Result<Vec<&str>> {
    let what = "company block";
    let mut r = Bytes::new(bytes);
    let n = r.len(what)?;
    for _ in 0..n {
        r.str(what)?;
    }
    let a = r.len(what)?;
    (0..a).map(|_| r.str(what)).collect()
}

/// A block read in place: symbols, attribute names, each name's distinct values, and per
/// name per company 0 (absent) or 1 + the index of its value. Every index is checked.
pub struct View<'a> {
    pub symbols: Vec<&'a str>,
    pub names: Vec<&'a str>,
    pub values: Vec<Vec<&'a str>>,
    pub cells: Vec<Vec<usize>>,
}

/// Reads a block in place. Damage is an error, never a panic.
pub fn view(bytes: &[u8]) -> Result<View<'_>> {
    let what = "company block";
    let mut r = Bytes::new(bytes);
    let n = r.len(what)?;
    let symbols: Vec<&str> = (0..n).map(|_| r.str(what)).collect::<Result<_>>()?;
    let a = r.len(what)?;
    let names: Vec<&str> = (0..a).map(|_| r.str(what)).collect::<Result<_>>()?;
    if r.len(what)? != a {
        return Err(damaged("value lists do not match the names"));
    }
    let mut values: Vec<Vec<&str>> = Vec::with_capacity(a.min(bytes.len()));
    for _ in 0..a {
        let d = r.len(what)?;
        values.push((0..d).map(|_| r.str(what)).collect::<Result<_>>()?);
    }
    if r.len(what)? != a {
        return Err(damaged("cell lists do not match the names"));
    }
    let mut cells: Vec<Vec<usize>> = Vec::with_capacity(a.min(bytes.len()));
    for list in &values {
        if r.len(what)? != n {
            return Err(damaged("a cell list does not match the symbols"));
        }
        let col: Vec<usize> = (0..n).map(|_| r.len(what)).collect::<Result<_>>()?;
        if col.iter().any(|&c| c > list.len()) {
            return Err(damaged("a cell points past its values"));
        }
        cells.push(col);
    }
    r.end(what)?;
    Ok(View {
        symbols,
        names,
        values,
        cells,
    })
}

/// Calls `f` with each company of a block (symbol as written, attributes in name order),
/// reading the bytes in place. Damage is an error, never a panic.
pub fn for_each(bytes: &[u8], mut f: impl FnMut(&str, &[(&str, &str)])) -> Result<()> {
    let v = view(bytes)?;
    let mut attrs: Vec<(&str, &str)> = Vec::with_capacity(v.names.len());
    for (i, symbol) in v.symbols.iter().enumerate() {
        attrs.clear();
        for (k, name) in v.names.iter().enumerate() {
            let c = v.cells[k][i];
            if c > 0 {
                attrs.push((name, v.values[k][c - 1]));
            }
        }
        f(symbol, &attrs);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company(symbol: &str, attrs: &[(&str, &str)]) -> Company {
        let mut c = Company::new(symbol);
        for (k, v) in attrs {
            c.attrs.insert(k.to_string(), v.to_string());
        }
        c
    }

    #[test]
    fn round_trips_and_shares_repeated_values() {
        let list = vec![
            company("A.US", &[("industry", "Retail"), ("name", "Alpha")]),
            company("B.US", &[]),
            company("C.US", &[("industry", "Retail"), ("sector", "Consumer")]),
        ];
        let bytes = encode(&list);
        assert_eq!(decode(&bytes).unwrap(), list);
        assert_eq!(names(&bytes).unwrap(), ["industry", "name", "sector"]);
        assert!(names(&encode(&[])).unwrap().is_empty());
        let b: Block = codec::decode(&bytes, "block").unwrap();
        assert_eq!(b.names, ["industry", "name", "sector"]);
        // "Retail" is written once; B has no industry (0).
        assert_eq!(b.values[0], ["Retail"]);
        assert_eq!(b.cells[0], [1, 0, 1]);
        assert_eq!(b.cells[2], [0, 0, 1]);
        assert_eq!(decode(&encode(&[])).unwrap(), Vec::<Company>::new());
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let bytes = encode(&[
            company("A", &[("industry", "x"), ("name", "é")]),
            company("B", &[("industry", "y")]),
        ]);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
        // A cell pointing past its value list.
        let mut b: Block = codec::decode(&bytes, "block").unwrap();
        b.cells[0][1] = 9;
        assert!(decode(&codec::encode(&b)).is_err());
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = decode(&bytes);
        }
    }
}
