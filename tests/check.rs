//! `finq check` reports real damage (issue 8, part 2): a small database is built, one thing in
//! it is broken with raw writes to the store under finq's layer, and `finq check` must exit 1 naming the problem. Queries
//! on the damaged database must fail with an error, never panic. Damage that `Database::open`
//! itself meets (the format key, catalog entries) is exit 3 with one line.

use finq::model::{Period, Series};
use finq::storage::keys::Key;
use finq::storage::{Batch, Kv, SledKv, block, chunk, codec};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/reliability")
        .join(name)
}

fn finq(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_finq"))
        .current_dir(dir)
        .env_remove("FINQ_DB")
        .args(args)
        .output()
        .expect("finq runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A temp folder with `d.db`: companies A, B (industry Tech) and C (Retail), roe and pe_ttm
/// points, a saved screen. Every roe point is in one chunk, keyed by its first symbol, A.
fn small_db() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    let mut s = finq::Session::open(&path).unwrap();
    let opts = finq::ingest::ImportOptions::default();
    for f in ["companies.csv", "points.csv"] {
        s.import(&fixture(f), &opts, &mut |_| {}).unwrap();
    }
    s.execute("define screen cheap as select pe_ttm where pe_ttm < 20")
        .unwrap();
    drop(s);
    let o = finq(dir.path(), &["--db", "d.db", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout).trim(),
        "ok: 3 companies, 6 series, 8 points, 71 metrics in the catalog, format 2"
    );
    dir
}

/// The store under a database, changed key by key as damage would, below every check
/// finq's own writes make.
struct Raw(SledKv);

impl Raw {
    fn get(&self, key: Vec<u8>) -> Vec<u8> {
        self.0
            .get(&key)
            .unwrap()
            .expect("the key is stored")
            .to_vec()
    }

    fn insert(&self, key: impl Into<Vec<u8>>, value: impl AsRef<[u8]>) {
        let mut b = Batch::new();
        b.insert(key, value.as_ref().to_vec());
        self.0.apply(b).unwrap();
    }

    fn remove(&self, key: Vec<u8>) -> Vec<u8> {
        let old = self.get(key.clone());
        let mut b = Batch::new();
        b.remove(key);
        self.0.apply(b).unwrap();
        old
    }
}

/// Changes the database through the raw store, as damage would.
fn damage(dir: &Path, f: impl FnOnce(&Raw)) {
    let db = Raw(SledKv::open(dir.join("d.db")).unwrap());
    f(&db);
    db.0.flush().unwrap();
}

fn year(y: i32) -> u32 {
    Period::parse(&y.to_string()).unwrap().code()
}

fn chunk_of(entries: &[(&str, Vec<(u32, f64)>)]) -> Vec<u8> {
    let owned: Vec<(String, Series)> = entries
        .iter()
        .map(|(k, p)| (k.to_string(), Series { points: p.clone() }))
        .collect();
    chunk::encode(&owned)
}

/// Statements that read everything; on a damaged database each must end with exit 0 or 1,
/// never a panic.
const READERS: &[&str] = &[
    "select roe, pe_ttm",
    "select count(), median(roe) by industry",
    "select roe rank",
    "select score, score_grade rank by score",
    "describe A",
    "series roe of A",
    "show companies",
    "show industries",
    "show metrics",
    "show screens",
    "screen cheap",
    "score A",
    "peers of A",
    "valuation A",
    "fscore A",
];

fn assert_no_panic(dir: &Path, case: &str) {
    for q in READERS {
        let o = finq(dir, &["--db", "d.db", "-c", q]);
        let err = text(&o.stderr);
        assert!(
            matches!(o.status.code(), Some(0 | 1)) && !err.contains("panicked"),
            "{case}: `{q}` exited {:?}\n{err}",
            o.status.code()
        );
    }
}

/// `finq check` exits 1, and each expected text is in one of its `problem:` lines.
fn assert_check_finds(dir: &Path, case: &str, expected: &[&str]) {
    let o = finq(dir, &["--db", "d.db", "check"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{case}: {err}");
    assert!(text(&o.stdout).is_empty(), "{case}: {}", text(&o.stdout));
    assert!(err.contains("problem(s) found; "), "{case}: {err}");
    for e in expected {
        assert!(
            err.lines()
                .any(|l| l.starts_with("problem: ") && l.contains(e)),
            "{case}: no problem line names '{e}'\n{err}"
        );
    }
}

type Damage = fn(&Raw);

/// Each case: what is broken, how, and what `finq check` must say.
const CASES: &[(&str, Damage, &[&str])] = &[
    (
        "garbage bytes in a series chunk",
        |db| {
            db.insert(
                Key::Series("roe", "A").encode(),
                &[0xde, 0xad, 0xbe, 0xef, 0x01][..],
            );
        },
        &["damaged series chunk", "(chunk roe/A)"],
    ),
    (
        "a series chunk cut short",
        |db| {
            let v = db.get(Key::Series("roe", "A").encode());
            db.insert(Key::Series("roe", "A").encode(), &v[..v.len() - 3]);
        },
        &["damaged series chunk: truncated (chunk roe/A)"],
    ),
    (
        "an empty series value",
        |db| {
            db.insert(Key::Series("roe", "A").encode(), &[][..]);
        },
        &["damaged series chunk: too short (chunk roe/A)"],
    ),
    (
        "garbage bytes in a company block",
        |db| {
            db.insert(Key::Company("B").encode(), &[0xff; 7][..]);
        },
        &["damaged company block", "(company block B)"],
    ),
    (
        "a company block stored under another symbol's key",
        |db| {
            let c = db.get(Key::Company("A").encode());
            db.insert(Key::Company("B").encode(), c);
        },
        &[
            "company block B starts with A",
            "company blocks overlap at B",
        ],
    ),
    (
        "a NaN and an infinity among the values",
        |db| {
            db.insert(
                Key::Series("roe", "A").encode(),
                chunk_of(&[
                    ("A", vec![(year(2023), f64::NAN)]),
                    ("B", vec![(year(2024), f64::INFINITY)]),
                ]),
            );
        },
        &[
            "series roe of A holds a value that is not a finite number",
            "series roe of B holds a value that is not a finite number",
        ],
    ),
    (
        "periods out of order",
        |db| {
            db.insert(
                Key::Series("roe", "A").encode(),
                chunk_of(&[("A", vec![(year(2024), 0.1), (year(2023), 0.2)])]),
            );
        },
        &["series roe of A is not ordered by period"],
    ),
    (
        "a period code that is no period",
        |db| {
            db.insert(
                Key::Series("roe", "A").encode(),
                chunk_of(&[("A", vec![(u32::MAX, 0.1)])]),
            );
        },
        &["series roe of A holds an invalid period"],
    ),
    (
        "a series with no points",
        |db| {
            db.insert(
                Key::Series("roe", "A").encode(),
                chunk_of(&[("A", vec![]), ("B", vec![(year(2024), 0.1)])]),
            );
        },
        &["series roe of A is empty"],
    ),
    (
        "a series of a company that does not exist",
        |db| {
            db.insert(
                Key::Series("roe", "ZZZ").encode(),
                chunk_of(&[("ZZZ", vec![(year(2024), 0.1)])]),
            );
        },
        &["series roe of ZZZ: no such company"],
    ),
    (
        "a series of a metric not in the catalog",
        |db| {
            db.insert(
                Key::Series("no_such_metric", "A").encode(),
                chunk_of(&[("A", vec![(year(2024), 0.1)])]),
            );
        },
        &["series no_such_metric of A: metric not in the catalog"],
    ),
    (
        "a chunk whose key is not its first symbol",
        |db| {
            let v = db.remove(Key::Series("roe", "A").encode());
            db.insert(Key::Series("roe", "AA").encode(), v);
        },
        &["chunk roe/AA does not start with AA"],
    ),
    (
        "chunks that overlap",
        |db| {
            db.insert(
                Key::Series("roe", "B").encode(),
                chunk_of(&[("B", vec![(year(2022), 0.1)])]),
            );
        },
        &["chunks of roe overlap at B"],
    ),
    (
        "a chunk out of symbol order",
        |db| {
            db.insert(
                Key::Series("roe", "A").encode(),
                chunk_of(&[
                    ("A", vec![(year(2024), 0.1)]),
                    ("A", vec![(year(2023), 0.1)]),
                ]),
            );
        },
        &["chunk roe/A is not in symbol order"],
    ),
    (
        "an industry index entry for the wrong industry",
        |db| {
            let members = vec!["A".to_string(), "C".to_string()];
            db.insert(Key::Industry("retail").encode(), codec::encode(&members));
        },
        &["industry index entry 'retail' → A does not match the company"],
    ),
    (
        "a company missing from the sector index",
        |db| {
            db.remove(Key::Sector("sector 2").encode());
        },
        &["company C is missing from the sector index"],
    ),
    (
        "an index entry of a deleted company",
        |db| {
            // Every company of the small database is in the block keyed by its first, A.
            let v = db.get(Key::Company("A").encode());
            let kept: Vec<_> = block::decode(&v)
                .unwrap()
                .into_iter()
                .filter(|c| c.symbol != "C")
                .collect();
            db.insert(Key::Company("A").encode(), block::encode(&kept));
        },
        &[
            "industry index entry 'retail' → C does not match the company",
            "series roe of C: no such company",
        ],
    ),
    (
        "a key with an unknown tag",
        |db| {
            db.insert(&[0x09, b'x'][..], &[1u8][..]);
        },
        &["unknown key tag 9"],
    ),
    (
        "a key with trailing bytes",
        |db| {
            let mut k = Key::Company("A").encode();
            k.push(7);
            db.insert(k, &[1u8][..]);
        },
        &["trailing bytes after key"],
    ),
    (
        "an unknown meta key",
        |db| {
            db.insert(Key::Meta("mystery").encode(), codec::encode(&1u32));
        },
        &["unknown meta key 'mystery'"],
    ),
    (
        "garbage in a saved definition",
        |db| {
            db.insert(Key::Definition("screen", "cheap").encode(), &[0xff; 3][..]);
        },
        &["damaged definition", "(screen cheap)"],
    ),
];

#[test]
fn check_names_each_kind_of_damage_and_queries_do_not_panic() {
    for (case, f, expected) in CASES {
        let dir = small_db();
        damage(dir.path(), f);
        assert_check_finds(dir.path(), case, expected);
        assert_no_panic(dir.path(), case);
    }
}

#[test]
fn check_through_the_library_reports_the_same() {
    let dir = small_db();
    damage(dir.path(), |db| {
        db.insert(Key::Series("roe", "A").encode(), &[0x13; 9][..]);
    });
    let db = finq::storage::Database::open(dir.path().join("d.db")).unwrap();
    let report = db.check().unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].contains("(chunk roe/A)"));
    // The damaged chunk is an error for the reads that meet it.
    assert!(db.metric_counts().is_err());
    assert!(db.series("roe", "A").is_err());
    assert!(db.series("pe_ttm", "A").unwrap().is_some());
}

/// Damage that opening meets: exit 3, one line naming the database, no panic.
#[test]
fn damage_seen_on_open_is_exit_3() {
    let cases: &[(&str, Damage, &str)] = &[
        (
            "garbage format version",
            |db| {
                db.insert(Key::Meta("format_version").encode(), &[0xff; 9][..]);
            },
            "is damaged: damaged format version",
        ),
        (
            "format version key removed",
            |db| {
                db.remove(Key::Meta("format_version").encode());
            },
            "is damaged: its format version key is missing",
        ),
        (
            "garbage catalog entry",
            |db| {
                db.insert(Key::Metric("upside").encode(), &[0xff; 5][..]);
            },
            "is damaged: damaged metric definition",
        ),
    ];
    for (case, f, expected) in cases {
        let dir = small_db();
        damage(dir.path(), f);
        for args in [
            &["--db", "d.db", "check"][..],
            &["--db", "d.db", "-c", "show companies"],
        ] {
            let o = finq(dir.path(), args);
            let err = text(&o.stderr);
            assert_eq!(o.status.code(), Some(3), "{case}: {err}");
            assert!(err.starts_with("error: database d.db "), "{case}: {err}");
            assert!(err.contains(expected), "{case}: {err}");
            assert_eq!(err.trim().lines().count(), 1, "{case}: {err}");
        }
    }
}

/// A database whose data file was cut short (a disk that lost its tail) opens as damaged
/// or as an older state, never panics, and what opens passes or fails check cleanly.
#[test]
fn truncated_data_file_is_an_error_or_an_older_state_never_a_panic() {
    let dir = small_db();
    let original = dir.path().join("original.db");
    std::fs::rename(dir.path().join("d.db"), &original).unwrap();
    let len = std::fs::metadata(original.join("db")).unwrap().len() as usize;
    for cut in [0, len / 4, len / 2, len * 3 / 4, len - 1] {
        let case = format!("data file cut to {cut} of {len} bytes");
        let _ = std::fs::remove_dir_all(dir.path().join("d.db"));
        copy_dir(&original, &dir.path().join("d.db"));
        let data = std::fs::read(original.join("db")).unwrap();
        std::fs::write(dir.path().join("d.db/db"), &data[..cut]).unwrap();
        for args in [
            &["--db", "d.db", "check"][..],
            &["--db", "d.db", "-c", "select roe"],
        ] {
            let o = finq(dir.path(), args);
            let err = text(&o.stderr);
            assert!(
                matches!(o.status.code(), Some(0 | 1 | 3)) && !err.contains("panicked"),
                "{case}: {args:?} exited {:?}\n{err}",
                o.status.code()
            );
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}
