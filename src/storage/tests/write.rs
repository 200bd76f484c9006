//! The write path: what [`Database::apply`] stores, counts and moves for each kind of write.

use super::*;
use crate::storage::keys::{Tag, prefix};
use crate::storage::{PackedChunk, WriteStats, block, chunk};

/// The stats of a write whose points are all new.
fn stats(companies: usize, added: usize, points: usize) -> WriteStats {
    WriteStats {
        companies,
        companies_added: added,
        points,
        points_new: points,
        ..WriteStats::default()
    }
}

fn assert_sound(db: &Database) {
    let report = db.check().expect("check runs");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

pub fn upserts_create_companies_series_and_indexes(db: &mut Database) {
    let mut set = WriteSet::new();
    let c = set.company(" kc.us ");
    set.set_attr(c, "industry", "Cloud");
    let m = set.metric("roe");
    set.push(c, m, period("2023"), 0.5);
    set.push(c, m, period("2022"), 0.4);
    assert_eq!(db.apply(set).expect("applies"), stats(1, 1, 2));
    let kc = db.company("KC.US").expect("reads").expect("stored");
    assert_eq!(
        (kc.symbol.as_str(), kc.attr("industry")),
        ("kc.us", Some("Cloud"))
    );
    // Points are stored in period order whatever order they came in.
    assert_eq!(
        points(db, "roe", "Kc.Us"),
        [(code("2022"), 0.4), (code("2023"), 0.5)]
    );
    assert_eq!(db.industry_members("CLOUD").expect("reads"), ["KC.US"]);
    assert!(db.sector_members("cloud").expect("reads").is_empty());

    sample(db);
    let symbols: Vec<String> = db
        .companies()
        .expect("reads")
        .into_iter()
        .map(|c| c.symbol)
        .collect();
    assert_eq!(symbols, ["A", "B", "C", "kc.us"]);
    assert_eq!(db.industry_members("tech").expect("reads"), ["A", "B"]);
    assert_eq!(db.sector_members("S2").expect("reads"), ["C"]);
    let counts = db.metric_counts().expect("reads");
    assert_eq!(counts["roe"], (4, 8));
    assert_eq!(counts["pe_ttm"], (1, 1));
    let scanned: Vec<String> = db
        .scan_metric("roe")
        .expect("reads")
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(scanned, ["A", "B", "C", "KC.US"]);
    let in_order: Vec<String> = db
        .series_in_order("roe")
        .map(|e| e.expect("reads").0)
        .collect();
    assert_eq!(in_order, scanned);
    assert_eq!(db.company_series("a").expect("reads").len(), 2);
    assert_sound(db);
}

pub fn an_overwrite_replaces_the_point_and_keeps_the_rest(db: &mut Database) {
    sample(db);
    set_point(db, "b", "roe", "2023", 9.0);
    assert_eq!(
        points(db, "roe", "B"),
        [(code("2022"), 1.1), (code("2023"), 9.0)]
    );
    // The neighbours in the rewritten chunk are untouched.
    assert_eq!(
        points(db, "roe", "A"),
        [(code("2022"), 0.1), (code("2023"), 0.2)]
    );
    assert_eq!(
        points(db, "roe", "C"),
        [(code("2022"), 2.1), (code("2023"), 2.2)]
    );
    // Within one write the later point wins; attributes merge, later values winning.
    let mut set = WriteSet::new();
    let (b, roe) = (set.company("B"), set.metric("roe"));
    set.push(b, roe, period("2024"), 1.0);
    set.push(b, roe, period("2024"), 2.0);
    set.set_attr(b, "name", "First");
    set.set_attr(b, "name", "Second");
    assert_eq!(
        db.apply(set).expect("applies"),
        WriteStats {
            companies_updated: 1,
            points_new: 1,
            attributes_changed: [("name".to_string(), 1)].into(),
            ..stats(1, 0, 2)
        }
    );
    assert_eq!(points(db, "roe", "B").last(), Some(&(code("2024"), 2.0)));
    let company = db.company("B").expect("reads").expect("stored");
    assert_eq!(
        (company.name(), company.attr("industry")),
        ("Second", Some("Tech"))
    );
    assert_eq!(db.metric_counts().expect("reads")["roe"], (3, 7));
    assert_sound(db);
}

/// What a write reports: points new, unchanged or overwritten against what is stored;
/// companies added, and stored ones it changed; attributes whose value it replaced.
pub fn stats_say_what_changed(db: &mut Database) {
    sample(db);
    let mut set = WriteSet::new();
    let (a, b, c, d) = (
        set.company("A"),
        set.company("b"),
        set.company("C"),
        set.company("D"),
    );
    let roe = set.metric("roe");
    set.push(a, roe, period("2022"), 0.1);
    set.push(a, roe, period("2023"), 0.25);
    set.push(a, roe, period("2024"), 0.3);
    // C's point is the one stored, and its industry too: C is not changed.
    set.push(c, roe, period("2023"), 2.2);
    set.set_attr(c, "industry", "Retail");
    set.set_attr(b, "sector", "S9");
    set.set_attr(b, "website", "b.example");
    set.set_attr(d, "sector", "S9");
    let s = db.apply(set).expect("applies");
    assert_eq!(
        s,
        WriteStats {
            companies: 4,
            companies_added: 1,
            companies_updated: 2,
            points: 4,
            points_new: 1,
            points_unchanged: 2,
            points_overwritten: 1,
            // A new attribute (B's website) and a new company's are not changes of a value.
            attributes_changed: [("sector".to_string(), 1)].into(),
            ..WriteStats::default()
        }
    );
    // Chunks a bulk import built are counted the same way when they merge.
    let mut set = WriteSet::new();
    for symbol in ["A", "C"] {
        set.company(symbol);
    }
    let m = set.metric("roe");
    let (y22, y23) = (code("2022"), code("2023"));
    set.push_packed(
        m,
        packed(&[("A", &[(y22, 0.1), (y23, 9.0)]), ("C", &[(y22, 2.1)])]),
    );
    let s = db.apply(set).expect("applies");
    assert_eq!(
        (
            s.points_new,
            s.points_unchanged,
            s.points_overwritten,
            s.companies_updated
        ),
        (0, 2, 1, 1)
    );
    // Stored as built (nothing in their range yet): every point is new, and every company
    // in the chunks is changed.
    let mut set = WriteSet::new();
    for symbol in ["A", "B", "C"] {
        set.company(symbol);
    }
    let m = set.metric("revenue");
    set.push_packed(
        m,
        packed(&[("A", &[(y22, 1.0)]), ("B", &[(y22, 2.0), (y23, 3.0)])]),
    );
    let s = db.apply(set).expect("applies");
    assert_eq!(
        (s.points_new, s.points_unchanged, s.companies_updated),
        (3, 0, 2)
    );
    assert_sound(db);
}

pub fn deletes_remove_a_point_a_series_or_a_company(db: &mut Database) {
    sample(db);
    let mut set = WriteSet::new();
    set.delete_points("A", "roe", Some(period("2022")));
    set.delete_points("A", "roe", Some(period("2019")));
    let s = db.apply(set).expect("applies");
    assert_eq!(s.points_deleted, 1);
    assert_eq!(points(db, "roe", "A"), [(code("2023"), 0.2)]);

    let mut set = WriteSet::new();
    set.delete_points("A", "roe", None);
    assert_eq!(db.apply(set).expect("applies").points_deleted, 1);
    assert!(db.series("roe", "A").expect("reads").is_none());
    assert_eq!(points(db, "pe_ttm", "A"), [(code("2023"), 12.5)]);
    assert_eq!(points(db, "roe", "B").len(), 2);

    let mut set = WriteSet::new();
    set.delete_company("a");
    let s = db.apply(set).expect("applies");
    assert_eq!((s.companies_deleted, s.points_deleted), (1, 1));
    assert_eq!(db.company("A").expect("reads"), None);
    assert!(db.series("pe_ttm", "A").expect("reads").is_none());
    assert_eq!(db.industry_members("tech").expect("reads"), ["B"]);
    assert_eq!(db.sector_members("s1").expect("reads"), ["B"]);
    // Deleting what is not there changes nothing.
    let mut set = WriteSet::new();
    set.delete_company("A");
    assert_eq!(db.apply(set).expect("applies"), WriteStats::default());
    assert_eq!(db.companies().expect("reads").len(), 2);
    assert_sound(db);
}

pub fn a_changed_industry_moves_the_index_entry(db: &mut Database) {
    sample(db);
    let mut set = WriteSet::new();
    let c = set.company("A");
    set.set_attr(c, "industry", "RETAIL");
    db.apply(set).expect("applies");
    assert_eq!(db.industry_members("tech").expect("reads"), ["B"]);
    assert_eq!(db.industry_members("retail").expect("reads"), ["A", "C"]);
    assert_eq!(db.sector_members("s1").expect("reads"), ["A", "B"]);
    // The last member to leave takes the group's key with it.
    let mut set = WriteSet::new();
    let c = set.company("B");
    set.set_attr(c, "industry", "Retail");
    db.apply(set).expect("applies");
    assert!(db.industry_members("tech").expect("reads").is_empty());
    assert!(
        db.kv
            .get(&Key::Industry("tech").encode())
            .expect("reads")
            .is_none()
    );
    assert_sound(db);
}

/// Chunks built the way the bulk import builds them: one per run of symbols.
fn packed(entries: &[(&str, &[(u32, f64)])]) -> PackedChunk {
    let mut b = chunk::Builder::new();
    for (key, points) in entries {
        let (codes, values): (Vec<u32>, Vec<f64>) = points.iter().copied().unzip();
        b.push(key, &codes, &values);
    }
    let (first, last) = (
        entries[0].0.to_string(),
        entries[entries.len() - 1].0.to_string(),
    );
    PackedChunk {
        first,
        last,
        points: b.points(),
        stored: b.points(),
        bytes: b.finish().into(),
    }
}

pub fn packed_chunks_are_stored_as_built_on_a_first_import(db: &mut Database) {
    sample(db);
    let (y22, y23) = (code("2022"), code("2023"));
    let chunks = [
        packed(&[("A", &[(y22, 1.0)]), ("B", &[(y22, 2.0), (y23, 2.5)])]),
        packed(&[("C", &[(y23, 3.0)])]),
    ];
    let mut set = WriteSet::new();
    let m = set.metric("revenue");
    for c in chunks.iter().cloned() {
        set.push_packed(m, c);
    }
    let s = db.apply(set).expect("applies");
    assert_eq!((s.points, s.companies), (4, 0));
    // Nothing was stored in their range, so the chunks are the stored values, byte for byte.
    for c in &chunks {
        assert_eq!(
            raw_get(db, &Key::Series("revenue", &c.first)),
            c.bytes.to_vec()
        );
    }
    assert_eq!(points(db, "revenue", "B"), [(y22, 2.0), (y23, 2.5)]);
    assert_eq!(points(db, "revenue", "C"), [(y23, 3.0)]);
    assert_sound(db);
}

pub fn packed_chunks_merge_with_what_is_stored(db: &mut Database) {
    sample(db);
    let (y22, y23, y24) = (code("2022"), code("2023"), code("2024"));
    let mut set = WriteSet::new();
    let m = set.metric("roe");
    set.push_packed(
        m,
        packed(&[("B", &[(y23, 5.0), (y24, 6.0)]), ("BB", &[(y24, 7.0)])]),
    );
    let s = db.apply(set).expect("applies");
    assert_eq!(s.points, 3);
    // Stored points stay, the chunk's replace theirs at the same period.
    assert_eq!(points(db, "roe", "B"), [(y22, 1.1), (y23, 5.0), (y24, 6.0)]);
    assert_eq!(points(db, "roe", "A"), [(y22, 0.1), (y23, 0.2)]);
    assert_eq!(points(db, "roe", "BB"), [(y24, 7.0)]);
    // One chunk again, keyed by its first symbol.
    let keys: Vec<_> = db
        .kv
        .scan_prefix(&prefix(Tag::Series, &["roe"]))
        .map(|item| item.expect("reads").0.to_vec())
        .collect();
    assert_eq!(keys, [Key::Series("roe", "A").encode()]);
    assert_eq!(db.metric_counts().expect("reads")["roe"], (4, 8));
}

/// Enough companies for several blocks and points for several chunks; later writes in
/// the middle of the range rewrite only what covers them, and everything still reads.
pub fn many_companies_span_blocks_and_chunks(db: &mut Database) {
    let n = 1500;
    let symbols: Vec<String> = (0..n).map(|i| format!("C{i:05}")).collect();
    let quarters: Vec<Period> = (0..30)
        .map(|q| period(&format!("{}Q{}", 2016 + q / 4, q % 4 + 1)))
        .collect();
    let mut set = WriteSet::new();
    let m = set.metric("roe");
    for (i, s) in symbols.iter().enumerate() {
        let c = set.company(s);
        set.set_attr(c, "industry", &format!("Industry {}", i % 7));
        for (q, p) in quarters.iter().enumerate() {
            set.push(c, m, *p, (i * 100 + q) as f64 / 8.0);
        }
    }
    assert_eq!(db.apply(set).expect("applies"), stats(n, n, n * 30));
    let blocks = db.kv.scan_prefix(&prefix(Tag::Company, &[])).count();
    assert_eq!(blocks, n.div_ceil(block::TARGET));
    let chunks = db.kv.scan_prefix(&prefix(Tag::Series, &["roe"])).count();
    assert_eq!(chunks, (n * 30).div_ceil(chunk::TARGET_POINTS));

    // Points only, for companies that all exist: no company is added or rewritten.
    let mut set = WriteSet::new();
    let m = set.metric("roe");
    for s in &symbols[700..705] {
        let c = set.company(s);
        set.push(c, m, period("2030"), -1.0);
    }
    // Each of the five existing companies gets a new point, so each is updated.
    assert_eq!(
        db.apply(set).expect("applies"),
        WriteStats {
            companies_updated: 5,
            ..stats(5, 0, 5)
        }
    );
    // A new company in the middle of the range joins its block.
    set_point(db, "C00700A", "roe", "2030", 4.0);
    assert_eq!(db.companies().expect("reads").len(), n + 1);
    for s in ["C00000", "C00699", "C00700", "C00704", "C00705", "C01499"] {
        let p = points(db, "roe", s);
        let expected = 30 + usize::from(("C00700"..="C00704").contains(&s));
        assert_eq!(p.len(), expected, "{s}");
    }
    assert_eq!(points(db, "roe", "C00700A"), [(code("2030"), 4.0)]);
    assert_eq!(db.industry_members("industry 3").expect("reads").len(), 214);
    assert_sound(db);
}

pub fn metrics_and_definitions_come_and_go(db: &mut Database) {
    let mut set = WriteSet::new();
    set.register(computed("roe2", "roe * 2"));
    set.register(MetricDef::registered("widgets"));
    set.define("screen", "cheap", Some("select pe_ttm where pe_ttm < 10"));
    assert_eq!(db.apply(set).expect("applies").metrics_added, 2);
    assert!(db.catalog().get("roe2").is_some_and(|d| d.expr.is_some()));
    assert_eq!(
        db.definition("screen", "CHEAP").expect("reads").as_deref(),
        Some("select pe_ttm where pe_ttm < 10")
    );
    assert_eq!(db.definitions("screen").expect("reads").len(), 1);
    // A builtin metric is not stored again.
    let mut set = WriteSet::new();
    set.register(MetricDef::registered("roe"));
    assert_eq!(db.apply(set).expect("applies").metrics_added, 0);
    assert!(
        db.kv
            .get(&Key::Metric("roe").encode())
            .expect("reads")
            .is_none()
    );

    let mut set = WriteSet::new();
    set.drop_metric("roe2");
    set.define("screen", "cheap", None);
    db.apply(set).expect("applies");
    assert!(db.catalog().get("roe2").is_none());
    assert!(db.catalog().get("widgets").is_some());
    assert!(db.definitions("screen").expect("reads").is_empty());
    assert_sound(db);
}
