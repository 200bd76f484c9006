//! Quote-page imports (DATA_FORMATS.md "Quote pages"): invented pages in `tests/data/quote`
//! whole, on one line, cut off, renamed and reordered, with a radar block that disagrees or
//! stands alone; the seed pages of `shared/seeds` when they are there; and no input at all
//! makes the reader panic.

mod support;

use finq::error::Error;
use finq::ingest::quote;
use finq::model::Catalog;
use finq::storage::{Database, WriteSet};
use proptest::prelude::*;
use proptest::sample::Index;
use std::collections::BTreeMap;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/quote");
const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/seeds");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}/{name}"))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Reads page text, which must import.
fn read(name: &str, text: &str) -> (WriteSet, Vec<String>) {
    let mut warnings = Vec::new();
    let set = quote::read(name, text.as_bytes(), &Catalog::builtin(), &mut warnings)
        .unwrap_or_else(|e| panic!("{e}"));
    (set, warnings)
}

/// The page as the one-line seed has it: every run of whitespace one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The one value of a company's metric, which must be dated `day`.
fn value(set: &WriteSet, symbol: &str, metric: &str, day: &str) -> Option<f64> {
    let points = set.points_of(symbol, metric);
    assert!(points.len() <= 1, "{symbol} {metric}: {points:?}");
    points.first().map(|(period, v)| {
        assert_eq!(period, day, "{symbol} {metric}");
        *v
    })
}

fn attr(set: &WriteSet, symbol: &str, name: &str) -> Option<String> {
    set.attr_of(symbol, name)
}

/// Everything a set writes, in a form two sets compare by: attributes by company, then
/// points by company and metric, then registrations.
fn summary(set: &WriteSet) -> Vec<String> {
    let mut out = Vec::new();
    for (symbol, attrs) in set.companies() {
        for (k, v) in attrs {
            out.push(format!("{symbol} {k} = {v}"));
        }
    }
    let mut points: Vec<String> = set
        .point_runs()
        .map(|(symbol, metric, pts)| format!("{symbol} {metric} {pts:?}"))
        .collect();
    points.sort();
    out.extend(points);
    out.extend(
        set.new_metrics()
            .iter()
            .map(|d| format!("registers {}", d.id)),
    );
    out
}

/// Attributes and points of one company as maps, for subset checks.
fn company(set: &WriteSet, symbol: &str) -> (BTreeMap<String, String>, BTreeMap<String, f64>) {
    let Some((_, attrs)) = set.companies().find(|(s, _)| *s == symbol) else {
        return Default::default();
    };
    let points = set
        .point_runs()
        .filter(|(s, _, _)| *s == symbol)
        .map(|(_, metric, pts)| (metric.to_string(), pts[0].1))
        .collect();
    (attrs.clone(), points)
}

const ZPH_DAY: &str = "2026-03-02";

/// Every point of the full Zephyr page.
const ZPH_POINTS: &[(&str, f64)] = &[
    ("published_score", 0.72),
    ("published_industry_rank", 7.0),
    ("published_industry_size", 41.0),
    ("revenue_yoy", 0.184),
    ("net_profit_yoy", 0.3125),
    ("market_cap", 4.85e12),
    ("revenue", 912345678.5),
    ("roe", 0.217),
    ("profit_margin", 0.1402),
    ("gross_margin", 0.386),
    ("total_assets_yoy", 0.098),
    ("net_assets_yoy", 0.1215),
    ("cash_flow_margin", -1.6582),
    ("ocf_yoy", -0.041),
    ("turnover", 0.77),
    ("gearing_ratio", 0.4133),
    // The valuation table's Current, not the score table's 5.08 and 1.30%.
    ("pb", 5.12),
    ("dividend_yield", 0.0135),
    ("pe_ttm", 28.41),
    ("pe_ttm_industry_rank", 12.0),
    ("pe_ttm_industry_size", 41.0),
    ("pe_ttm_high", 35.2),
    ("pe_ttm_median", 27.9),
    ("pe_ttm_low", 19.33),
    ("pb_industry_rank", 20.0),
    ("pb_industry_size", 41.0),
    ("pb_high", 6.01),
    ("pb_median", 4.88),
    ("pb_low", 3.95),
    ("ps_ttm", 3.07),
    ("ps_ttm_industry_rank", 9.0),
    ("ps_ttm_industry_size", 41.0),
    ("dividend_yield_industry_rank", 15.0),
    ("dividend_yield_industry_size", 41.0),
    ("dividend_yield_high", 0.021),
    ("dividend_yield_median", 0.014),
    ("dividend_yield_low", 0.0085),
    ("analysts_total", 11.0),
    ("analyst_strong_buy", 2.0),
    ("analyst_buy", 5.0),
    ("analyst_overweight", 1.0),
    ("analyst_hold", 3.0),
    ("price", 47.25),
    ("target_high", 61.5),
    ("target_low", 38.0),
];

const ZPH_OVERVIEW: &str = "Zephyr Widgets Inc. designs and makes precision widgets, sprockets and small gear assemblies for packaging lines and farm equipment. The company sells through distributors in North America and Europe, and runs a repair service for the machines its parts go into.";

#[test]
fn a_full_page_brings_every_section() {
    let (set, warnings) = read("zephyr_full.md", &fixture("zephyr_full.md"));
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(set.symbols()[0], "ZPH.US");
    let (_, points) = company(&set, "ZPH.US");
    assert_eq!(points.len(), ZPH_POINTS.len(), "{points:?}");
    for &(metric, v) in ZPH_POINTS {
        assert_eq!(value(&set, "ZPH.US", metric, ZPH_DAY), Some(v), "{metric}");
    }
    // No High/Median/Low where the valuation table has `-`.
    assert_eq!(value(&set, "ZPH.US", "ps_ttm_high", ZPH_DAY), None);

    let expected: BTreeMap<&str, &str> = [
        ("name", "Zephyr Widgets Inc."),
        ("industry", "Industrial Machinery"),
        ("url", "https://quotes.example.com/en/quote/ZPH.US.md"),
        ("overview", ZPH_OVERVIEW),
        ("exchange", "US Market"),
        ("website", "https://www.zephyrwidgets.example"),
        ("published_grade", "B"),
        ("published_industry_median", "C"),
        ("published_industry_average", "B"),
        ("style", "Growth"),
        ("scale", "Large"),
        ("peers", "AGW.US BLT.US CSP.US DMF.US ESV.US"),
        ("published_rating_roe", "A"),
        ("published_rating_profit_margin", "B"),
        ("published_rating_gross_margin", "B"),
        ("published_rating_revenue_yoy", "B"),
        ("published_rating_net_profit_yoy", "A"),
        ("published_rating_total_assets_yoy", "C"),
        ("published_rating_net_assets_yoy", "B"),
        ("published_rating_cash_flow_margin", "E"),
        ("published_rating_ocf_yoy", "D"),
        ("published_rating_turnover", "B"),
        ("published_rating_gearing_ratio", "C"),
    ]
    .into_iter()
    .collect();
    let (attrs, _) = company(&set, "ZPH.US");
    let attrs: BTreeMap<&str, &str> = attrs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(attrs, expected);

    // Peers become companies with their name and published grades.
    assert_eq!(
        attr(&set, "BLT.US", "name").as_deref(),
        Some("Brightline Tools")
    );
    let esv: Vec<Option<String>> = [
        "published_profit",
        "published_growth",
        "published_operation",
        "published_security",
        "published_cash",
        "published_rating",
    ]
    .iter()
    .map(|a| attr(&set, "ESV.US", a))
    .collect();
    let grades = ["C", "C", "B", "A", "D", "C"].map(|g| Some(g.to_string()));
    assert_eq!(esv, grades);
    assert_eq!(set.symbols().len(), 6);
    // A rating the catalog does not know is registered, once.
    let registered: Vec<&str> = set.new_metrics().iter().map(|d| d.id.as_str()).collect();
    assert_eq!(registered, ["analyst_strong_buy"]);
}

#[test]
fn a_one_line_page_reads_like_the_page_with_line_breaks() {
    let full = fixture("zephyr_full.md");
    let (expected, _) = read("zephyr_full.md", &full);
    let (stored, warnings) = read("zephyr_one_line.md", &fixture("zephyr_one_line.md"));
    assert_eq!(summary(&stored), summary(&expected));
    assert!(warnings.is_empty(), "{warnings:?}");
    // Windows line breaks change nothing either.
    let (crlf, _) = read("crlf.md", &full.replace('\n', "\r\n"));
    assert_eq!(summary(&crlf), summary(&expected));
}

#[test]
fn a_page_cut_after_its_front_matter_brings_the_company() {
    for text in [
        fixture("zephyr_cut_after_front_matter.md"),
        one_line(&fixture("zephyr_cut_after_front_matter.md")),
    ] {
        let (set, warnings) = read("cut.md", &text);
        assert_eq!(
            summary(&set),
            [
                "ZPH.US industry = Industrial Machinery",
                "ZPH.US name = Zephyr Widgets Inc.",
                "ZPH.US url = https://quotes.example.com/en/quote/ZPH.US.md",
            ]
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}

const CUT_ROW: &str = "ZPH.US: the page ends inside a table row; that row is skipped";

#[test]
fn a_page_cut_in_the_multi_score_table_keeps_the_rows_before_the_cut() {
    let file = fixture("zephyr_cut_in_multi_score.md");
    let (set, warnings) = read("cut.md", &file);
    assert_eq!(warnings, [CUT_ROW]);
    let v = |m: &str| value(&set, "ZPH.US", m, ZPH_DAY);
    assert_eq!(v("roe"), Some(0.217));
    assert_eq!(v("net_assets_yoy"), Some(0.1215));
    assert_eq!(v("market_cap"), Some(4.85e12));
    assert_eq!(v("published_score"), Some(0.72));
    // The row the page ends inside, and everything after it, is missing.
    for m in ["cash_flow_margin", "ocf_yoy", "turnover", "gearing_ratio"] {
        assert_eq!(v(m), None, "{m}");
    }
    assert_eq!(
        attr(&set, "ZPH.US", "published_rating_cash_flow_margin"),
        None
    );
    assert_eq!(
        attr(&set, "ZPH.US", "published_rating_net_assets_yoy").as_deref(),
        Some("B")
    );
    // Without a valuation table, P/B and the dividend come from the Style table.
    assert_eq!(v("pb"), Some(5.08));
    assert_eq!(v("dividend_yield"), Some(0.013));
    assert_eq!(v("pb_high"), None);
    assert_eq!(attr(&set, "ZPH.US", "style").as_deref(), Some("Growth"));
    assert_eq!(attr(&set, "ZPH.US", "peers"), None);
    let (same, _) = read("cut.md", &one_line(&file));
    assert_eq!(summary(&same), summary(&set));
}

#[test]
fn a_page_cut_in_the_valuation_table_keeps_its_whole_rows() {
    let file = fixture("zephyr_cut_in_valuation.md");
    let (set, warnings) = read("cut.md", &file);
    assert_eq!(warnings, [CUT_ROW]);
    let v = |m: &str| value(&set, "ZPH.US", m, ZPH_DAY);
    assert_eq!(v("pe_ttm"), Some(28.41));
    assert_eq!(v("pe_ttm_low"), Some(19.33));
    assert_eq!(v("pe_ttm_industry_rank"), Some(12.0));
    // The PB row was cut: its Current is not there to beat the score table's value.
    assert_eq!(v("pb"), Some(5.08));
    for m in [
        "pb_high",
        "pb_industry_rank",
        "ps_ttm",
        "price",
        "analysts_total",
    ] {
        assert_eq!(v(m), None, "{m}");
    }
    assert_eq!(v("turnover"), Some(0.77));
    assert_eq!(set.symbols(), ["ZPH.US"]);
    let (same, _) = read("cut.md", &one_line(&file));
    assert_eq!(summary(&same), summary(&set));
}

#[test]
fn a_page_cut_in_the_peer_table_lists_the_whole_peer_rows() {
    let file = fixture("zephyr_cut_in_peers.md");
    let (set, warnings) = read("cut.md", &file);
    assert_eq!(warnings, [CUT_ROW]);
    assert_eq!(
        attr(&set, "ZPH.US", "peers").as_deref(),
        Some("AGW.US BLT.US")
    );
    assert_eq!(set.symbols(), ["ZPH.US", "AGW.US", "BLT.US"]);
    assert_eq!(attr(&set, "AGW.US", "published_cash").as_deref(), Some("B"));
    let v = |m: &str| value(&set, "ZPH.US", m, ZPH_DAY);
    assert_eq!(v("pb"), Some(5.12));
    assert_eq!(v("dividend_yield_low"), Some(0.0085));
    assert_eq!(v("analysts_total"), None);
    let (same, _) = read("cut.md", &one_line(&file));
    assert_eq!(summary(&same), summary(&set));
}

#[test]
fn a_page_cut_in_the_radar_block_keeps_the_tables() {
    let file = fixture("zephyr_cut_in_radar.md");
    let (set, warnings) = read("cut.md", &file);
    assert_eq!(
        warnings,
        ["ZPH.US: the radar block is cut off; its complete indicators are read"]
    );
    let v = |m: &str| value(&set, "ZPH.US", m, ZPH_DAY);
    assert_eq!(v("gearing_ratio"), Some(0.4133));
    assert_eq!(v("turnover"), Some(0.77));
    assert_eq!(v("pb"), Some(5.08));
    assert_eq!(v("pe_ttm"), None);
    let (same, _) = read("cut.md", &one_line(&file));
    assert_eq!(summary(&same), summary(&set));
}

#[test]
fn renamed_reordered_and_split_sections_are_read_by_their_labels() {
    let text = fixture("quillon_renamed.md");
    let (set, warnings) = read("quillon_renamed.md", &text);
    assert!(warnings.is_empty(), "{warnings:?}");
    let day = "2025-11-30";
    let v = |m: &str| value(&set, "QBK.SG", m, day);
    // The valuation table comes first, as "## Valuation", with its columns in another order.
    assert_eq!(v("pe_ttm"), Some(14.2));
    assert_eq!(v("pe_ttm_high"), Some(18.75));
    assert_eq!(v("pe_ttm_median"), Some(15.1));
    assert_eq!(v("pe_ttm_low"), Some(11.4));
    assert_eq!(v("pe_ttm_industry_rank"), Some(2.0));
    assert_eq!(v("pb"), Some(1.96));
    assert_eq!(v("dividend_yield"), Some(0.0315));
    assert_eq!(v("dividend_yield_industry_rank"), None);
    // "Financial Health Score", an industry rank of 0 / 4, no Industry Median row.
    assert_eq!(v("published_score"), Some(0.81));
    assert_eq!(v("published_industry_rank"), Some(0.0));
    assert_eq!(v("published_industry_size"), Some(4.0));
    assert_eq!(
        attr(&set, "QBK.SG", "published_grade").as_deref(),
        Some("B")
    );
    assert_eq!(
        attr(&set, "QBK.SG", "published_industry_average").as_deref(),
        Some("C")
    );
    assert_eq!(attr(&set, "QBK.SG", "published_industry_median"), None);
    assert_eq!(attr(&set, "QBK.SG", "style").as_deref(), Some("Value"));
    assert_eq!(attr(&set, "QBK.SG", "scale").as_deref(), Some("Small"));
    // The Multi Score table split in two, its Rating and Value columns swapped.
    assert_eq!(v("roe"), Some(0.1905));
    assert_eq!(
        attr(&set, "QBK.SG", "published_rating_roe").as_deref(),
        Some("A")
    );
    assert_eq!(v("gearing_ratio"), Some(0.337));
    assert_eq!(
        attr(&set, "QBK.SG", "published_rating_gearing_ratio").as_deref(),
        Some("B")
    );
    assert_eq!(v("market_cap"), Some(1.25e9));
    assert_eq!(attr(&set, "QBK.SG", "published_rating_market_cap"), None);
    // An indicator no table of names knows becomes a registered metric.
    assert_eq!(v("ebitda_margin"), Some(0.138));
    let registered: Vec<&str> = set.new_metrics().iter().map(|d| d.id.as_str()).collect();
    assert_eq!(registered, ["ebitda_margin"]);
    // Item rows under another header and in another order.
    assert_eq!(
        attr(&set, "QBK.SG", "website").as_deref(),
        Some("https://quillon.example")
    );
    assert_eq!(
        attr(&set, "QBK.SG", "sector").as_deref(),
        Some("Consumer Staples")
    );
    assert_eq!(
        attr(&set, "QBK.SG", "exchange").as_deref(),
        Some("SG Market")
    );
    assert_eq!(
        attr(&set, "QBK.SG", "overview").as_deref(),
        Some(
            "Quillon Bakeries Ltd. bakes bread, buns and frozen pastry for supermarkets across Southeast Asia, and supplies dough to cafe chains."
        )
    );
    // Analysts, and an `undefined` target.
    assert_eq!(v("analysts_total"), Some(4.0));
    assert_eq!(v("analyst_hold"), Some(2.0));
    assert_eq!(v("analyst_sell"), Some(2.0));
    assert_eq!(v("price"), Some(3.42));
    assert_eq!(v("target_high"), None);
    assert_eq!(v("target_low"), Some(2.9));
    // Peers listed out of order, under other headers: the attribute follows their rank.
    assert_eq!(
        attr(&set, "QBK.SG", "peers").as_deref(),
        Some("SFM.SG TMF.SG RYE.SG")
    );
    assert_eq!(attr(&set, "RYE.SG", "name").as_deref(), Some("Rye & Co."));
    assert_eq!(
        attr(&set, "SFM.SG", "published_rating").as_deref(),
        Some("A")
    );

    for variant in [one_line(&text), text.replace('\n', "\r\n")] {
        let (same, _) = read("quillon_renamed.md", &variant);
        assert_eq!(summary(&same), summary(&set));
    }
}

#[test]
fn a_radar_block_that_disagrees_with_the_table_is_a_warning_and_the_table_stands() {
    let text = fixture("orchard_radar_disagrees.md");
    let (set, warnings) = read("orchard.md", &text);
    assert_eq!(
        warnings,
        [
            "OLF.US: radar says ROE -10.00% (D), table says -12.50% (D); the table's value is kept",
            "OLF.US: radar says Gross Margin 22.00% (C), table says 22.00% (B); the table's value is kept",
        ]
    );
    let day = "2026-01-09";
    assert_eq!(value(&set, "OLF.US", "roe", day), Some(-0.125));
    assert_eq!(
        attr(&set, "OLF.US", "published_rating_gross_margin").as_deref(),
        Some("B")
    );
    assert_eq!(value(&set, "OLF.US", "turnover", day), Some(0.65));
    // What only the radar gives is taken from it.
    assert_eq!(value(&set, "OLF.US", "ocf_yoy", day), Some(0.075));
    assert_eq!(
        attr(&set, "OLF.US", "published_rating_ocf_yoy").as_deref(),
        Some("B")
    );
    let (same, again) = read("orchard.md", &one_line(&text));
    assert_eq!(summary(&same), summary(&set));
    assert_eq!(again, warnings);
}

#[test]
fn a_page_with_only_the_radar_block_takes_the_indicators_from_it() {
    let text = fixture("pebble_radar_only.md");
    let (set, warnings) = read("pebble.md", &text);
    assert!(warnings.is_empty(), "{warnings:?}");
    let day = "2025-07-14";
    let v = |m: &str| value(&set, "PCM.AX", m, day);
    assert_eq!(v("revenue_yoy"), Some(-0.0325));
    assert_eq!(v("pb"), Some(0.84));
    assert_eq!(v("market_cap"), Some(312.5e6));
    assert_eq!(v("roe"), Some(0.046));
    assert_eq!(v("gearing_ratio"), Some(0.581));
    // A value the JSON writes as a number rather than a string.
    assert_eq!(v("turnover"), Some(0.31));
    assert_eq!(v("published_score"), Some(0.48));
    // Revenue YoY is in two dimensions; the rating comes from the one that has it.
    assert_eq!(
        attr(&set, "PCM.AX", "published_rating_revenue_yoy").as_deref(),
        Some("D")
    );
    assert_eq!(
        attr(&set, "PCM.AX", "published_rating_turnover").as_deref(),
        Some("E")
    );
    assert_eq!(attr(&set, "PCM.AX", "published_rating_pb"), None);
    let (_, points) = company(&set, "PCM.AX");
    assert_eq!(points.len(), 7, "{points:?}");
    let (same, _) = read("pebble.md", &one_line(&text));
    assert_eq!(summary(&same), summary(&set));
}

#[test]
fn a_file_that_is_not_a_quote_page_is_an_error_naming_it() {
    let notes = fixture("meeting_notes.md");
    for (name, bytes) in [
        ("notes/meeting_notes.md", notes.as_bytes()),
        ("empty.md", b"".as_slice()),
        ("binary.md", b"\x00\xff\xfe|---|\n".as_slice()),
    ] {
        let mut warnings = Vec::new();
        match quote::read(name, bytes, &Catalog::builtin(), &mut warnings) {
            Err(Error::File { file, message }) => {
                assert_eq!(file, name);
                assert_eq!(
                    message,
                    "is not a quote page: no front-matter symbol and no Financial Score section"
                );
                assert!(Error::File { file, message }.to_string().contains(name));
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn without_front_matter_the_title_names_the_company_of_a_scored_page() {
    let page = "# Tern Harbour Ports (TRN.L)\n\n## Financial Score: D\n\n**Overall: D (0.31)**\n\nUpdated: 2025-02-03T04:00:00Z\n";
    let (set, warnings) = read("tern.md", page);
    assert_eq!(
        value(&set, "TRN.L", "published_score", "2025-02-03"),
        Some(0.31)
    );
    assert_eq!(
        attr(&set, "TRN.L", "name").as_deref(),
        Some("Tern Harbour Ports")
    );
    assert_eq!(
        warnings,
        [
            "TRN.L: the page has no front-matter datetime; its values are dated 2025-02-03, the score's Updated date"
        ]
    );
    let mut warnings = Vec::new();
    let untitled = "## Financial Score: D\n\n**Overall: D (0.31)**\n";
    match quote::read(
        "untitled.md",
        untitled.as_bytes(),
        &Catalog::builtin(),
        &mut warnings,
    ) {
        Err(Error::File { file, message }) => {
            assert_eq!(file, "untitled.md");
            assert!(
                message.starts_with("is a quote page without a symbol"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_utf8_is_read_lossily() {
    let mut bytes = fixture("zephyr_full.md").into_bytes();
    let at = bytes
        .windows(8)
        .position(|w| w == b"precisio")
        .unwrap_or_else(|| panic!("the overview"));
    bytes[at] = 0xff;
    let mut warnings = Vec::new();
    let set = quote::read("bad.md", &bytes, &Catalog::builtin(), &mut warnings)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(attr(&set, "ZPH.US", "overview").is_some_and(|o| o.contains("\u{fffd}recision")));
    assert_eq!(value(&set, "ZPH.US", "roe", ZPH_DAY), Some(0.217));
}

#[test]
fn a_page_applies_to_a_database_in_one_batch() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut db = Database::open(dir.path().join("db")).unwrap_or_else(|e| panic!("{e}"));
    let (set, _) = read("zephyr_full.md", &fixture("zephyr_full.md"));
    let stats = db.apply(set).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stats.companies_added, 6);
    assert_eq!(stats.points, ZPH_POINTS.len());
    assert_eq!(stats.metrics_added, 1);
    assert!(db.catalog().get("analyst_strong_buy").is_some());
    let roe = db.series("roe", "ZPH.US").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        roe.and_then(|s| s.latest())
            .map(|(p, v)| (p.to_string(), v)),
        Some((ZPH_DAY.into(), 0.217))
    );
    let peer = db.company("esv.us").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        peer.as_ref().and_then(|c| c.attr("name")),
        Some("Elm Street Valves")
    );
}

// ---------------------------------------------------------------------------------------
// The seed pages.

/// One expected value: a text the page must hold, and the company, field and value read
/// from it (a metric's value, or an attribute's text).
enum Want {
    Point(&'static str, &'static str, Option<f64>),
    Attr(&'static str, &'static str, &'static str),
}

fn check_seed(file: &str, day: &str, wants: &[(&str, Want)]) {
    let path = format!("{SEEDS}/{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (set, warnings) = read(&path, &text);
    assert!(warnings.is_empty(), "{warnings:?}");
    for (source, want) in wants {
        assert!(text.contains(source), "{file} no longer holds {source:?}");
        match want {
            Want::Point(symbol, metric, v) => {
                assert_eq!(value(&set, symbol, metric, day), *v, "{file}: {metric}");
            }
            Want::Attr(symbol, name, v) => {
                assert_eq!(
                    attr(&set, symbol, name).as_deref(),
                    Some(*v),
                    "{file}: {name}"
                );
            }
        }
    }
    // Without its line breaks a page reads the same.
    let (flat, _) = read(&path, &one_line(&text));
    assert_eq!(summary(&flat), summary(&set), "{file} on one line");
}

fn seeds_present() -> bool {
    support::shared_file("seeds").is_some()
}

use Want::{Attr, Point};

#[rustfmt::skip]
const KINGSOFT: &[(&str, Want)] = &[
    ("| ROE | -12.93% | D |", Point("KC.US", "roe", Some(-0.1293))),
    ("| ROE | -12.93% | D |", Attr("KC.US", "published_rating_roe", "D")),
    ("| Industry Ranking | 20 / 32 |", Point("KC.US", "published_industry_rank", Some(20.0))),
    ("| Industry Ranking | 20 / 32 |", Point("KC.US", "published_industry_size", Some(32.0))),
    ("Total Analysts: **13**", Point("KC.US", "analysts_total", Some(13.0))),
    ("| Highest Target | 23.00 |", Point("KC.US", "target_high", Some(23.0))),
    ("| Lowest Target | 17.45 |", Point("KC.US", "target_low", Some(17.45))),
    ("| Current Price | 16.44 |", Point("KC.US", "price", Some(16.44))),
    ("| Buy | 9 | 69% |", Point("KC.US", "analyst_buy", Some(9.0))),
    ("| Overweight | 3 | 23% |", Point("KC.US", "analyst_overweight", Some(3.0))),
    ("| 05 | Okta (OKTA.US)", Attr("KC.US", "peers", "MGRT.US SHOP.US TWLO.US MDB.US OKTA.US")),
    ("| 02 | Shopify  (SHOP.US)", Attr("SHOP.US", "name", "Shopify")),
    ("| 01 | Mega Fortune (MGRT.US) | A | A | A | A | C | A |", Attr("MGRT.US", "published_cash", "C")),
    ("**Overall: C (0.55)**", Point("KC.US", "published_score", Some(0.55))),
    ("**Overall: C (0.55)**", Attr("KC.US", "published_grade", "C")),
    ("| PB | 3.89 | 13/32 | 4.89 | 4.30 | 3.77 |", Point("KC.US", "pb", Some(3.89))),
    ("| PB | 3.89 | 13/32 | 4.89 | 4.30 | 3.77 |", Point("KC.US", "pb_high", Some(4.89))),
    ("| PB | 3.89 | 13/32 | 4.89 | 4.30 | 3.77 |", Point("KC.US", "pb_industry_rank", Some(13.0))),
    ("| PE (TTM) | -39.44 | 23/32 | - | - | - |", Point("KC.US", "pe_ttm", Some(-39.44))),
    ("| PE (TTM) | -39.44 | 23/32 | - | - | - |", Point("KC.US", "pe_ttm_high", None)),
    ("| Cash Flow Margin | -405.98% | E |", Point("KC.US", "cash_flow_margin", Some(-4.0598))),
    ("| Market Cap | 5175298230.18 |", Point("KC.US", "market_cap", Some(5175298230.18))),
    ("**Style**: Growth - ", Attr("KC.US", "style", "Growth")),
    ("**Scale**: Mid - ", Attr("KC.US", "scale", "Mid")),
    ("| Website | [www.ksyun.com](https://www.ksyun.com) |", Attr("KC.US", "website", "https://www.ksyun.com")),
    ("| Exchange | US Market |", Attr("KC.US", "exchange", "US Market")),
    ("| Industry Median | C |", Attr("KC.US", "published_industry_median", "C")),
    ("industry: \"Internet Services and Infrastructure\"", Attr("KC.US", "industry", "Internet Services and Infrastructure")),
    ("name: \"Kingsoft Cloud Holdings Limited\"", Attr("KC.US", "name", "Kingsoft Cloud Holdings Limited")),
];

#[rustfmt::skip]
const QINGCLOUD: &[(&str, Want)] = &[
    ("| ROE | -98.04% | E |", Point("688316.SH", "roe", Some(-0.9804))),
    ("| ROE | -98.04% | E |", Attr("688316.SH", "published_rating_roe", "E")),
    ("| Net Assets YoY | 18.39% | A |", Point("688316.SH", "net_assets_yoy", Some(0.1839))),
    ("| Net Assets YoY | 18.39% | A |", Attr("688316.SH", "published_rating_net_assets_yoy", "A")),
    ("| Industry Ranking | 17 / 19 |", Point("688316.SH", "published_industry_rank", Some(17.0))),
    ("| Industry Ranking | 17 / 19 |", Point("688316.SH", "published_industry_size", Some(19.0))),
    ("**Overall: D (0.69)**", Point("688316.SH", "published_score", Some(0.69))),
    ("**Overall: D (0.69)**", Attr("688316.SH", "published_grade", "D")),
    ("**Style**: Blend - ", Attr("688316.SH", "style", "Blend")),
    ("**Scale**: Small - ", Attr("688316.SH", "scale", "Small")),
    // The valuation table's Current, not the Style table's 66.32.
    ("| P/B Ratio | 66.32 |", Point("688316.SH", "pb", Some(72.29))),
    ("| PB | 72.29 | 19/19 | 90.76 | 72.36 | 55.63 |", Point("688316.SH", "pb_high", Some(90.76))),
    ("| PB | 72.29 | 19/19 | 90.76 | 72.36 | 55.63 |", Point("688316.SH", "pb_low", Some(55.63))),
    ("| PS (TTM) | 16.80 | 12/19 |", Point("688316.SH", "ps_ttm", Some(16.8))),
    ("| PE (TTM) | -66.83 | 14/19 |", Point("688316.SH", "pe_ttm_industry_rank", Some(14.0))),
    ("| Market Cap | 3520978888.20 |", Point("688316.SH", "market_cap", Some(3520978888.2))),
    ("Total Analysts: **1**", Point("688316.SH", "analysts_total", Some(1.0))),
    ("| Overweight | 1 | 100% |", Point("688316.SH", "analyst_overweight", Some(1.0))),
    ("| Current Price | 80.20 |", Point("688316.SH", "price", Some(80.2))),
    ("| Highest Target | undefined |", Point("688316.SH", "target_high", None)),
    ("| Lowest Target | undefined |", Point("688316.SH", "target_low", None)),
    ("| 05 | WANGSU (300017.SZ)", Attr("688316.SH", "peers", "600602.SH 300541.SZ 900901.SH 300442.SZ 300017.SZ")),
    ("| 04 | Range Technology (300442.SZ) | A | A | D | D | B | C |", Attr("300442.SZ", "published_operation", "D")),
    ("| 04 | Range Technology (300442.SZ)", Attr("300442.SZ", "name", "Range Technology")),
    ("| Exchange | CN Market |", Attr("688316.SH", "exchange", "CN Market")),
    ("| Website | [www.qingcloud.com](https://www.qingcloud.com) |", Attr("688316.SH", "website", "https://www.qingcloud.com")),
    ("name: \"QingCloud Technologies Corp.\"", Attr("688316.SH", "name", "QingCloud Technologies Corp.")),
];

#[rustfmt::skip]
const INSPUR: &[(&str, Want)] = &[
    ("| ROE | -11.83% | D |", Point("600756.SH", "roe", Some(-0.1183))),
    ("| ROE | -11.83% | D |", Attr("600756.SH", "published_rating_roe", "D")),
    ("| Net Profit YoY | -471.93% | E |", Point("600756.SH", "net_profit_yoy", Some(-4.7193))),
    ("| Net Profit YoY | -471.93% | E |", Attr("600756.SH", "published_rating_net_profit_yoy", "E")),
    ("| Industry Ranking | 30 / 37 |", Point("600756.SH", "published_industry_rank", Some(30.0))),
    ("| Industry Ranking | 30 / 37 |", Point("600756.SH", "published_industry_size", Some(37.0))),
    ("**Overall: D (0.70)**", Point("600756.SH", "published_score", Some(0.7))),
    ("**Overall: D (0.70)**", Attr("600756.SH", "published_grade", "D")),
    ("**Style**: Value - ", Attr("600756.SH", "style", "Value")),
    ("**Scale**: Small - ", Attr("600756.SH", "scale", "Small")),
    // The valuation table's Current, not the Style table's 2.50.
    ("| P/B Ratio | 2.50 |", Point("600756.SH", "pb", Some(2.55))),
    ("| PB | 2.55 | 9/37 | 2.67 | 2.44 | 2.24 |", Point("600756.SH", "pb_high", Some(2.67))),
    ("| PB | 2.55 | 9/37 | 2.67 | 2.44 | 2.24 |", Point("600756.SH", "pb_median", Some(2.44))),
    ("| Dividend Yield | 0.00% | - | - | - | - |", Point("600756.SH", "dividend_yield", Some(0.0))),
    ("| Dividend Yield | 0.00% | - | - | - | - |", Point("600756.SH", "dividend_yield_industry_rank", None)),
    ("| Gearing Ratio | 46.08% | C |", Point("600756.SH", "gearing_ratio", Some(0.4608))),
    ("Total Analysts: **1**", Point("600756.SH", "analysts_total", Some(1.0))),
    ("| Buy | 1 | 100% |", Point("600756.SH", "analyst_buy", Some(1.0))),
    ("| Current Price | 16.30 |", Point("600756.SH", "price", Some(16.3))),
    ("| Highest Target | undefined |", Point("600756.SH", "target_high", None)),
    ("| 05 | Infosec (688201.SH)", Attr("600756.SH", "peers", "300454.SZ 300339.SZ 688692.SH 002380.SZ 688201.SH")),
    ("| 03 | Dameng Database (688692.SH) | A | A | C | A | B | B |", Attr("688692.SH", "published_profit", "A")),
    ("| Exchange | CN Market |", Attr("600756.SH", "exchange", "CN Market")),
    ("| Website | [www.inspur.com](https://www.inspur.com) |", Attr("600756.SH", "website", "https://www.inspur.com")),
    ("| Industry | Systems Software |", Attr("600756.SH", "industry", "Systems Software")),
    ("name: \"Inspur Software Co.,Ltd.\"", Attr("600756.SH", "name", "Inspur Software Co.,Ltd.")),
];

#[test]
fn the_kingsoft_cloud_seed_page() {
    if seeds_present() {
        check_seed("001_f54d6cedec80a755.txt", "2026-04-15", KINGSOFT);
    }
}

#[test]
fn the_qingcloud_seed_page_on_one_line() {
    if !seeds_present() {
        return;
    }
    check_seed("000_132dd2b24e0a21c4.txt", "2026-05-19", QINGCLOUD);
    // The page is the one without line breaks, and its overview still ends where it does.
    let text = std::fs::read_to_string(format!("{SEEDS}/000_132dd2b24e0a21c4.txt"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text.trim_end().lines().count(), 1);
    let (set, _) = read("000", &text);
    let overview = attr(&set, "688316.SH", "overview").unwrap_or_default();
    assert!(overview.starts_with("QingCloud Technologies Corp. provides enterprise-class"));
    assert!(overview.ends_with("and KubeSphere, an open source container platform."));
}

#[test]
fn the_inspur_software_seed_page() {
    if seeds_present() {
        check_seed("004_c665be6507626961.txt", "2026-05-19", INSPUR);
    }
}

#[test]
fn the_seed_article_and_profile_page_are_not_quote_pages() {
    if !seeds_present() {
        return;
    }
    for file in ["002_01c96a01316018ef.txt", "003_12d22aa60451a452.txt"] {
        let path = format!("{SEEDS}/{file}");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut warnings = Vec::new();
        match quote::read(&path, &bytes, &Catalog::builtin(), &mut warnings) {
            Err(Error::File { file, message }) => {
                assert_eq!(file, path);
                assert!(message.starts_with("is not a quote page"), "{message}");
            }
            other => panic!("{file}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// No input makes the reader panic, and a cut-off page never says anything the whole page
// does not.

/// The whole fixture pages and their companies.
const PAGES: &[(&str, &str)] = &[
    ("zephyr_full.md", "ZPH.US"),
    ("quillon_renamed.md", "QBK.SG"),
    ("orchard_radar_disagrees.md", "OLF.US"),
    ("pebble_radar_only.md", "PCM.AX"),
];

fn read_any(bytes: &[u8]) -> Result<(WriteSet, Vec<String>), Error> {
    let mut warnings = Vec::new();
    quote::read("any.md", bytes, &Catalog::builtin(), &mut warnings).map(|s| (s, warnings))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let _ = read_any(&bytes);
    }

    #[test]
    fn markdown_like_noise_never_panics(text in "[-|#*`{}\\[\\]():\"/%. a-zA-Z0-9\n™]{0,600}") {
        let _ = read_any(text.as_bytes());
        let _ = read_any(format!("---\nsymbol: \"X.US\"\n---\n{text}").as_bytes());
    }

    #[test]
    fn slices_of_pages_never_panic(page in 0..PAGES.len(), flat in any::<bool>(), a in any::<Index>(), b in any::<Index>()) {
        let text = fixture(PAGES[page].0);
        let text = if flat { one_line(&text) } else { text };
        let bytes = text.as_bytes();
        let (from, to) = (a.index(bytes.len() + 1), b.index(bytes.len() + 1));
        let _ = read_any(&bytes[from.min(to)..from.max(to)]);
    }

    #[test]
    fn a_cut_off_page_brings_only_what_the_whole_page_says(page in 0..PAGES.len(), flat in any::<bool>(), at in any::<Index>()) {
        let (name, symbol) = PAGES[page];
        let text = fixture(name);
        let text = if flat { one_line(&text) } else { text };
        let (whole, _) = read(name, &text);
        let (whole_attrs, whole_points) = company(&whole, symbol);
        let cut = &text.as_bytes()[..at.index(text.len() + 1)];
        // Before its symbol the page is not yet a quote page.
        let Ok((set, _)) = read_any(cut) else { return Ok(()) };
        let (attrs, points) = company(&set, symbol);
        for (k, v) in &attrs {
            if k == "peers" {
                // Some of the peers, in the same order.
                let mut all = whole_attrs[k].split(' ');
                prop_assert!(v.split(' ').all(|p| all.any(|q| q == p)), "peers {}", v);
            } else {
                prop_assert_eq!(Some(v), whole_attrs.get(k), "{}", k);
            }
        }
        for (m, v) in &points {
            // Without the valuation table, P/B and the dividend are the score table's.
            if m != "pb" && m != "dividend_yield" {
                prop_assert_eq!(Some(v), whole_points.get(m), "{}", m);
            }
        }
    }

    #[test]
    fn a_page_that_lost_some_line_breaks_reads_the_same(page in 0..PAGES.len(), lost in proptest::collection::vec(any::<bool>(), 300)) {
        let (name, _) = PAGES[page];
        let text = fixture(name);
        let mut breaks = 0;
        let damaged: String = text
            .chars()
            .map(|c| {
                if c != '\n' {
                    return c;
                }
                breaks += 1;
                if lost[breaks % lost.len()] { ' ' } else { c }
            })
            .collect();
        let (whole, _) = read(name, &text);
        let (same, _) = read(name, &damaged);
        prop_assert_eq!(summary(&same), summary(&whole));
    }
}
