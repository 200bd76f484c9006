//! The storage suite: every test is written once against a [`Database`] and run on each
//! backend by one `suite!` line, so sled and the in-memory store are held to the same
//! contract (GlueSQL runs its storages the same way).
//!
//! - `layout.rs`: keys, chunks and blocks round-trip through the store; the [`Kv`] contract
//!   itself (ranges, the last entry in a range, batches).
//! - `write.rs`: the write path (upserts, overwrites, deletes, index moves, bulk chunks).
//! - `check.rs`: `check` on a sound database and on damage written under finq's layer.

mod check;
mod layout;
mod write;

use super::keys::Key;
use super::{Batch, Database, WriteSet};
use crate::model::{MetricDef, Period, Series};

/// A database on one backend, with the folder that holds it when it has one.
struct Store {
    db: Database,
    _dir: Option<tempfile::TempDir>,
}

impl Store {
    fn sled() -> Store {
        let dir = tempfile::tempdir().expect("a temp folder");
        let db = Database::open(dir.path().join("db")).expect("a new database opens");
        Store {
            db,
            _dir: Some(dir),
        }
    }

    fn memory() -> Store {
        Store {
            db: Database::in_memory().expect("an in-memory database opens"),
            _dir: None,
        }
    }
}

/// Declares one `#[test]` per suite test, on the backend `$open` makes.
macro_rules! suite {
    ($backend:ident, $open:expr) => {
        mod $backend {
            suite!(@tests $open;
                layout::keys_come_back_in_key_order,
                layout::chunks_round_trip_through_the_store,
                layout::blocks_round_trip_through_the_store,
                layout::ranges_and_last_entries_follow_their_bounds,
                layout::long_scans_read_every_entry_once,
                layout::a_batch_applies_its_changes_in_order,
                layout::a_new_database_holds_its_format_version,
                write::upserts_create_companies_series_and_indexes,
                write::an_overwrite_replaces_the_point_and_keeps_the_rest,
                write::stats_say_what_changed,
                write::deletes_remove_a_point_a_series_or_a_company,
                write::a_changed_industry_moves_the_index_entry,
                write::packed_chunks_are_stored_as_built_on_a_first_import,
                write::packed_chunks_merge_with_what_is_stored,
                write::many_companies_span_blocks_and_chunks,
                write::metrics_and_definitions_come_and_go,
                check::a_sound_database_passes,
                check::damage_below_the_layer_is_named,
            );
        }
    };
    (@tests $open:expr; $($group:ident :: $test:ident),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                let mut store = $open;
                super::$group::$test(&mut store.db);
            }
        )*
    };
}

suite!(sled, super::Store::sled());
suite!(memory, super::Store::memory());

fn period(text: &str) -> Period {
    Period::parse(text).expect("a valid period")
}

fn code(text: &str) -> u32 {
    period(text).code()
}

/// Companies A and B (industry Tech, sector S1) and C (Retail, S2); roe for all three in
/// 2022 and 2023, pe_ttm for A in 2023.
fn sample(db: &mut Database) {
    let mut set = WriteSet::new();
    for (symbol, industry, sector) in [
        ("A", "Tech", "S1"),
        ("B", "Tech", "S1"),
        ("C", "Retail", "S2"),
    ] {
        let c = set.company(symbol);
        set.set_attr(c, "industry", industry);
        set.set_attr(c, "sector", sector);
        set.set_attr(c, "name", &format!("Company {symbol}"));
    }
    let roe = set.metric("roe");
    for (symbol, y22, y23) in [("A", 0.1, 0.2), ("B", 1.1, 1.2), ("C", 2.1, 2.2)] {
        let c = set.company(symbol);
        set.push(c, roe, period("2022"), y22);
        set.push(c, roe, period("2023"), y23);
    }
    let (a, pe) = (set.company("A"), set.metric("pe_ttm"));
    set.push(a, pe, period("2023"), 12.5);
    db.apply(set).expect("the sample applies");
}

/// One point, written the way `set` writes it.
fn set_point(db: &mut Database, symbol: &str, metric: &str, at: &str, value: f64) {
    let mut set = WriteSet::new();
    let (c, m) = (set.company(symbol), set.metric(metric));
    set.push(c, m, period(at), value);
    db.apply(set).expect("the point applies");
}

fn points(db: &Database, metric: &str, symbol: &str) -> Vec<(u32, f64)> {
    db.series(metric, symbol)
        .expect("the series reads")
        .map(|s| s.points)
        .unwrap_or_default()
}

/// Writes under finq's layer, as damage or another program would.
fn raw_insert(db: &Database, key: Vec<u8>, value: &[u8]) {
    let mut b = Batch::new();
    b.insert(key, value);
    db.kv.apply(b).expect("a raw write applies");
}

fn raw_remove(db: &Database, key: Vec<u8>) {
    let mut b = Batch::new();
    b.remove(key);
    db.kv.apply(b).expect("a raw write applies");
}

fn raw_get(db: &Database, key: &Key) -> Vec<u8> {
    db.kv
        .get(&key.encode())
        .expect("a raw read")
        .expect("the key is stored")
        .to_vec()
}

fn series(points: &[(u32, f64)]) -> Series {
    Series {
        points: points.to_vec(),
    }
}

fn computed(id: &str, expr: &str) -> MetricDef {
    MetricDef {
        expr: Some(expr.to_string()),
        ..MetricDef::registered(id)
    }
}
