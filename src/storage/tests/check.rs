//! `check` passes a sound database and names each kind of damage, written straight into the
//! store under finq's layer (as a bug, another program or a bad disk would).

use super::*;
use crate::model::Company;
use crate::storage::{block, chunk, codec};

pub fn a_sound_database_passes(db: &mut Database) {
    sample(db);
    let mut set = WriteSet::new();
    set.define("screen", "cheap", Some("select pe_ttm"));
    set.register(computed("roe2", "roe * 2"));
    db.apply(set).expect("applies");
    let report = db.check().expect("check runs");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let metrics = db.catalog().defs().len();
    assert_eq!(
        report.summary,
        format!("3 companies, 4 series, 7 points, {metrics} metrics in the catalog, format 2")
    );
}

type Damage = fn(&Database);

/// Each case: what is broken, how, and what `check` must say about it.
const CASES: &[(&str, Damage, &[&str])] = &[
    (
        "garbage in a series chunk",
        |db| raw_insert(db, Key::Series("roe", "A").encode(), &[0xde, 0xad, 0x01]),
        &["damaged series chunk", "(chunk roe/A)"],
    ),
    (
        "a chunk cut short",
        |db| {
            let v = raw_get(db, &Key::Series("roe", "A"));
            raw_insert(db, Key::Series("roe", "A").encode(), &v[..v.len() - 3]);
        },
        &["damaged series chunk: truncated (chunk roe/A)"],
    ),
    (
        "a company block under another symbol's key",
        |db| {
            let v = raw_get(db, &Key::Company("A"));
            raw_insert(db, Key::Company("B").encode(), &v);
        },
        &[
            "company block B starts with A",
            "company blocks overlap at B",
        ],
    ),
    (
        "values that are not finite and periods out of order",
        |db| {
            let bad = chunk::encode(&[
                ("A".into(), series(&[(code("2023"), f64::NAN)])),
                (
                    "B".into(),
                    series(&[(code("2024"), 1.0), (code("2023"), 2.0)]),
                ),
                ("C".into(), series(&[(u32::MAX, 1.0)])),
            ]);
            raw_insert(db, Key::Series("roe", "A").encode(), &bad);
        },
        &[
            "series roe of A holds a value that is not a finite number",
            "series roe of B is not ordered by period",
            "series roe of C holds an invalid period",
        ],
    ),
    (
        "a series of no company and of no metric",
        |db| {
            let one = chunk::encode(&[("ZZ".into(), series(&[(code("2023"), 1.0)]))]);
            raw_insert(db, Key::Series("roe", "ZZ").encode(), &one);
            let a = chunk::encode(&[("A".into(), series(&[(code("2023"), 1.0)]))]);
            raw_insert(db, Key::Series("nothing", "A").encode(), &a);
        },
        &[
            "series roe of ZZ: no such company",
            "series nothing of A: metric not in the catalog",
        ],
    ),
    (
        "an index that disagrees with the companies",
        |db| {
            let members = vec!["A".to_string(), "C".to_string()];
            raw_insert(
                db,
                Key::Industry("retail").encode(),
                &codec::encode(&members),
            );
            raw_remove(db, Key::Sector("s2").encode());
        },
        &[
            "industry index entry 'retail' → A does not match the company",
            "company C is missing from the sector index",
        ],
    ),
    (
        "a company dropped from its block",
        |db| {
            let v = raw_get(db, &Key::Company("A"));
            let kept: Vec<Company> = block::decode(&v)
                .expect("decodes")
                .into_iter()
                .filter(|c| c.symbol != "C")
                .collect();
            raw_insert(db, Key::Company("A").encode(), &block::encode(&kept));
        },
        &[
            "industry index entry 'retail' → C does not match the company",
            "series roe of C: no such company",
        ],
    ),
    (
        "keys finq never writes",
        |db| {
            raw_insert(db, vec![0x09, b'x'], &[1]);
            raw_insert(db, Key::Meta("mystery").encode(), &codec::encode(&1u32));
            raw_insert(db, Key::Definition("screen", "bad").encode(), &[0xff; 3]);
        },
        &[
            "unknown key tag 9",
            "unknown meta key 'mystery'",
            "damaged definition",
            "(screen bad)",
        ],
    ),
    (
        "the format version missing",
        |db| raw_remove(db, Key::Meta("format_version").encode()),
        &["the format version key is missing"],
    ),
];

pub fn damage_below_the_layer_is_named(db: &mut Database) {
    sample(db);
    // Every case starts from the same sound state: the keys it may change are put back.
    let sound: Vec<(Vec<u8>, Vec<u8>)> = db
        .kv
        .scan_prefix(&[])
        .map(|item| item.map(|(k, v)| (k.to_vec(), v.to_vec())))
        .collect::<crate::error::Result<_>>()
        .expect("the store reads");
    for (case, damage, expected) in CASES {
        damage(db);
        let report = db.check().expect("check runs on a damaged database");
        for e in *expected {
            assert!(
                report.problems.iter().any(|p| p.contains(e)),
                "{case}: no problem names '{e}': {:?}",
                report.problems
            );
        }
        // Reads that meet the damage fail with an error, never a panic.
        let _ = (db.companies(), db.metric_counts(), db.series("roe", "B"));
        let mut restore = Batch::new();
        for item in db.kv.scan_prefix(&[]) {
            restore.remove(item.expect("the store reads").0.to_vec());
        }
        for (k, v) in &sound {
            restore.insert(k.clone(), v.clone());
        }
        db.kv.apply(restore).expect("restores");
        let report = db.check().expect("check runs");
        assert!(
            report.problems.is_empty(),
            "{case}: not restored: {:?}",
            report.problems
        );
    }
}
