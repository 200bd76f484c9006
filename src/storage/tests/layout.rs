//! Keys, chunks and blocks round-trip through the store, and the [`Kv`] contract the rest
//! of storage relies on: key order, range bounds, the last entry in a range, batches.

use super::*;
use crate::model::Company;
use crate::storage::keys::{self, OwnedKey, Tag, prefix};
use crate::storage::{FORMAT_KEY, FORMAT_VERSION, block, chunk, codec};
use std::ops::Bound;

fn keys_of(iter: crate::storage::kv::Iter<'_>) -> Vec<Vec<u8>> {
    iter.map(|item| item.expect("the scan reads").0.to_vec())
        .collect()
}

/// Keys of every kind, with the strings that stress the encoding (empty, `\0`, a prefix of
/// another), stored in scrambled order, scan back in key order and decode to themselves.
pub fn keys_come_back_in_key_order(db: &mut Database) {
    let mut keys = vec![
        OwnedKey::Company("AB".into()),
        OwnedKey::Company("A".into()),
        OwnedKey::Company("A\0".into()),
        OwnedKey::Industry("".into()),
        OwnedKey::Sector("retail".into()),
        OwnedKey::Metric("roe".into()),
        OwnedKey::Series("roe".into(), "B".into()),
        OwnedKey::Series("ro".into(), "eB".into()),
        OwnedKey::Series("roe_ttm".into(), "A".into()),
        OwnedKey::Series("roe".into(), "A".into()),
        OwnedKey::Definition("screen".into(), "cheap".into()),
    ];
    for k in &keys {
        raw_insert(db, k.as_key().encode(), b"x");
    }
    keys.sort_by(|a, b| a.as_key().cmp(&b.as_key()));
    let stored: Vec<OwnedKey> = keys_of(db.kv.scan_prefix(&[]))
        .iter()
        .map(|k| keys::decode(k).expect("a stored key decodes"))
        .filter(|k| !matches!(k, OwnedKey::Meta(_)))
        .collect();
    assert_eq!(stored, keys);
    // One metric's chunks are one contiguous scan: `ro` and `roe_ttm` stay out of it.
    let roe: Vec<Vec<u8>> = keys_of(db.kv.scan_prefix(&prefix(Tag::Series, &["roe"])));
    assert_eq!(
        roe,
        [
            Key::Series("roe", "A").encode(),
            Key::Series("roe", "B").encode()
        ]
    );
}

pub fn chunks_round_trip_through_the_store(db: &mut Database) {
    let entries = vec![
        (
            "A".to_string(),
            series(&[(code("2022"), 0.25), (code("2023"), -1.5)]),
        ),
        ("B".to_string(), series(&[(code("2023"), 1e300)])),
        (
            "C\u{e9}".to_string(),
            series(&[(code("2021Q4"), f64::MIN_POSITIVE)]),
        ),
    ];
    let bytes = chunk::encode(&entries);
    raw_insert(db, Key::Series("roe", "A").encode(), &bytes);
    let back = raw_get(db, &Key::Series("roe", "A"));
    assert_eq!(back, bytes);
    let decoded = chunk::decode(&back).expect("the chunk decodes");
    assert_eq!(decoded.len(), entries.len());
    for ((k, s), (k2, s2)) in decoded.iter().zip(&entries) {
        assert_eq!(k, k2);
        let bits = |s: &Series| -> Vec<(u32, u64)> {
            s.points.iter().map(|p| (p.0, p.1.to_bits())).collect()
        };
        assert_eq!(bits(s), bits(s2));
    }
    // The typed reads find each series in the chunk keyed by the first symbol.
    assert_eq!(points(db, "roe", "b"), [(code("2023"), 1e300)]);
    assert!(db.series("roe", "BB").expect("reads").is_none());
    assert!(db.series("roe", "0").expect("reads").is_none());
}

pub fn blocks_round_trip_through_the_store(db: &mut Database) {
    let mut companies: Vec<Company> = ["A", "B", "C"].iter().map(|s| Company::new(s)).collect();
    companies[0].attrs.insert("industry".into(), "Tech".into());
    companies[1].attrs.insert("industry".into(), "Tech".into());
    companies[2]
        .attrs
        .insert("name".into(), "Café \0 Co".into());
    raw_insert(db, Key::Company("A").encode(), &block::encode(&companies));
    let back = raw_get(db, &Key::Company("A"));
    assert_eq!(block::decode(&back).expect("the block decodes"), companies);
    assert_eq!(
        block::symbols(&back).expect("symbols read"),
        ["A", "B", "C"]
    );
    assert_eq!(db.companies().expect("companies read"), companies);
    assert_eq!(db.company("c").expect("reads"), Some(companies[2].clone()));
    assert_eq!(db.company("D").expect("reads"), None);
}

pub fn ranges_and_last_entries_follow_their_bounds(db: &mut Database) {
    let k = |s: &str| Key::Company(s).encode();
    for s in ["B", "D", "F"] {
        raw_insert(db, k(s), s.as_bytes());
    }
    let kv = db.kv.as_ref();
    assert_eq!(
        keys_of(kv.range(&k("B"), Bound::Excluded(&k("F")))),
        [k("B"), k("D")]
    );
    assert_eq!(
        keys_of(kv.range(&k("C"), Bound::Included(&k("F")))),
        [k("D"), k("F")]
    );
    assert_eq!(
        keys_of(kv.range(&k("G"), Bound::Included(&k("A")))),
        Vec::<Vec<u8>>::new()
    );
    assert_eq!(
        keys_of(kv.range(&k("D"), Bound::Excluded(&k("D")))),
        Vec::<Vec<u8>>::new()
    );
    let companies = prefix(Tag::Company, &[]);
    let last = |hi: &str| {
        kv.last_in(&companies, &k(hi))
            .expect("reads")
            .map(|(key, v)| (key.to_vec(), v.to_vec()))
    };
    assert_eq!(last("E"), Some((k("D"), b"D".to_vec())));
    assert_eq!(last("D"), Some((k("D"), b"D".to_vec())));
    assert_eq!(last("A"), None);
    assert_eq!(kv.get(&k("C")).expect("reads"), None);
    // A scan is lazy and sees whole batches: one stopped early leaves the store as it was.
    let mut scan = kv.scan_prefix(&companies);
    assert!(scan.next().is_some());
    drop(scan);
    assert_eq!(keys_of(kv.scan_prefix(&companies)).len(), 3);
}

/// Hundreds of entries, more than a backend may read at one go, scan once each, in order.
pub fn long_scans_read_every_entry_once(db: &mut Database) {
    let key = |i: usize| Key::Definition("screen", &format!("s{i:04}")).encode();
    let mut b = Batch::new();
    for i in (0..300).rev() {
        b.insert(key(i), codec::encode(&format!("select {i}")));
    }
    db.kv.apply(b).expect("the batch applies");
    let all = keys_of(db.kv.scan_prefix(&prefix(Tag::Definition, &["screen"])));
    assert_eq!(all, (0..300).map(key).collect::<Vec<_>>());
    let some = keys_of(db.kv.range(&key(10), Bound::Excluded(&key(290))));
    assert_eq!(some, (10..290).map(key).collect::<Vec<_>>());
    assert_eq!(db.definitions("screen").expect("reads").len(), 300);
}

pub fn a_batch_applies_its_changes_in_order(db: &mut Database) {
    let k = |s: &str| Key::Company(s).encode();
    let mut b = Batch::new();
    b.insert(k("A"), &b"first"[..]);
    b.remove(k("A"));
    b.insert(k("A"), &b"second"[..]);
    b.insert(k("B"), &b"gone"[..]);
    b.remove(k("B"));
    assert_eq!((b.len(), b.inserted_bytes()), (5, 4 + 5 + 4 + 6 + 4 + 4));
    db.kv.apply(b).expect("the batch applies");
    assert_eq!(raw_get(db, &Key::Company("A")), b"second");
    assert_eq!(db.kv.get(&k("B")).expect("reads"), None);
    assert!(db.size_on_disk().expect("a size") > 0);
    db.sync().expect("flushes");
}

/// A new database holds exactly its format version, which `check` expects.
pub fn a_new_database_holds_its_format_version(db: &mut Database) {
    assert!(!db.kv.is_empty().expect("reads"));
    let stored = raw_get(db, &Key::Meta(FORMAT_KEY));
    assert_eq!(
        codec::decode::<u32>(&stored, "format").expect("decodes"),
        FORMAT_VERSION
    );
    assert_eq!(keys_of(db.kv.scan_prefix(&[])).len(), 1);
    let report = db.check().expect("check runs");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
