//! The one place values are turned into bytes and back (bincode 2, standard config).

use crate::error::{Error, Result};
use serde::{Serialize, de::DeserializeOwned};

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising plain data into a Vec cannot fail; an error here is a bug in a type.
    bincode::serde::encode_to_vec(value, bincode::config::standard())
        .expect("plain data always encodes")
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    match bincode::serde::decode_from_slice(bytes, bincode::config::standard()) {
        Ok((v, used)) if used == bytes.len() => Ok(v),
        Ok(_) => Err(Error::Storage(format!("damaged {what}: trailing bytes"))),
        Err(e) => Err(Error::Storage(format!("damaged {what}: {e}"))),
    }
}

/// Reads bincode's standard encoding in place, for the one hot path that cannot afford
/// owned values (loading every company): lengths are variable-size integers (below 251 one
/// byte; 251, 252, 253 announce a u16, u32, u64), strings are a length and UTF-8 bytes.
pub struct Bytes<'a> {
    bytes: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(bytes: &'a [u8]) -> Bytes<'a> {
        Bytes { bytes }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.bytes.len() {
            return Err(Error::Storage(format!("damaged {what}: truncated")));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub fn len(&mut self, what: &str) -> Result<usize> {
        let first = self.take(1, what)?[0];
        let v = match first {
            0..=250 => u64::from(first),
            251 => u64::from(u16::from_le_bytes(
                self.take(2, what)?.try_into().unwrap_or([0; 2]),
            )),
            252 => u64::from(u32::from_le_bytes(
                self.take(4, what)?.try_into().unwrap_or([0; 4]),
            )),
            253 => u64::from_le_bytes(self.take(8, what)?.try_into().unwrap_or([0; 8])),
            _ => return Err(Error::Storage(format!("damaged {what}: bad length"))),
        };
        usize::try_from(v).map_err(|_| Error::Storage(format!("damaged {what}: bad length")))
    }

    pub fn str(&mut self, what: &str) -> Result<&'a str> {
        let n = self.len(what)?;
        std::str::from_utf8(self.take(n, what)?)
            .map_err(|_| Error::Storage(format!("damaged {what}: text is not UTF-8")))
    }

    pub fn end(&self, what: &str) -> Result<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(Error::Storage(format!("damaged {what}: trailing bytes")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_in_place_gives_what_serde_wrote() {
        let mut c = Company::new("KC.US");
        c.attrs.insert("name".into(), "Kingsoft Cloud".into());
        c.attrs.insert("industry".into(), "x".repeat(300));
        c.attrs.insert("z".into(), "é".repeat(40_000));
        let bytes = encode(&c);
        let mut r = Bytes::new(&bytes);
        assert_eq!(r.str("c").unwrap(), "KC.US");
        assert_eq!(r.len("c").unwrap(), 3);
        let mut attrs = Vec::new();
        for _ in 0..3 {
            attrs.push((
                r.str("c").unwrap().to_string(),
                r.str("c").unwrap().to_string(),
            ));
        }
        r.end("c").unwrap();
        assert_eq!(attrs, c.attrs.into_iter().collect::<Vec<_>>());
        for cut in 0..bytes.len() {
            let mut r = Bytes::new(&bytes[..cut]);
            let whole = r
                .str("c")
                .and_then(|_| r.len("c"))
                .and_then(|n| (0..n * 2).try_for_each(|_| r.str("c").map(|_| ())));
            assert!(
                whole.is_err() || r.end("c").is_err() || cut == bytes.len(),
                "cut {cut}"
            );
        }
    }
    use crate::model::{Company, Series};

    #[test]
    fn round_trips_model_values() {
        let s = Series {
            points: vec![(1, 0.5), (7, -1e300), (9, f64::NAN)],
        };
        let back: Series = decode(&encode(&s), "series").unwrap();
        assert_eq!(back.points[..2], s.points[..2]);
        assert!(back.points[2].1.is_nan());
        let mut c = Company::new("KC.US");
        c.attrs.insert("name".into(), "Kingsoft Cloud".into());
        assert_eq!(decode::<Company>(&encode(&c), "company").unwrap(), c);
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        assert!(decode::<Series>(&[0xff, 0xff, 0xff], "series").is_err());
        assert!(decode::<Company>(&[], "company").is_err());
        let mut ok = encode(&Company::new("A"));
        ok.push(0);
        assert!(decode::<Company>(&ok, "company").is_err());
    }
}
