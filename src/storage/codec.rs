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

#[cfg(test)]
mod tests {
    use super::*;
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
