//! Tests of the quote-page reader's parts: tables, front matter, fences, labelled lines and
//! cells (whole pages are tested in tests/quote.rs).

use super::front::name_before_parens;
use super::labels::{after_label, first_word, overview};
use super::tables::{grade, link_target, number, rank};
use super::*;

fn rows(text: &str) -> Vec<Vec<Vec<String>>> {
    tables(text).0.into_iter().map(|t| t.rows).collect()
}

fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn a_one_line_table_is_split_by_its_width_not_by_line_breaks() {
    // An empty last cell and the gap between two rows both read `| |`.
    let t = tables(
        "text | Indicator | Value | Rating | |---|---|---| | ROE | 1% | | | Turnover | 0.5 | C | ## Next",
    );
    assert_eq!(t.0.len(), 1);
    assert_eq!(t.0[0].header, ["Indicator", "Value", "Rating"]);
    assert_eq!(
        t.0[0].rows,
        strings(&[&["ROE", "1%", ""], &["Turnover", "0.5", "C"]])
    );
    assert!(!t.1);
}

#[test]
fn a_missing_value_dash_is_not_a_rule_row() {
    let text =
        "| Metric | Current | High |\n|---|---|---|\n| PE (TTM) | - | - |\n| PB | -- | --- |\n";
    assert_eq!(
        rows(text),
        [strings(&[&["PE (TTM)", "-", "-"], &["PB", "--", "---"]])]
    );
}

#[test]
fn a_row_the_text_ends_inside_is_dropped_and_reported() {
    for text in [
        "| A | B |\n|---|---|\n| x | 1 |\n| y | 2",
        "| A | B |\n|---|---|\n| x | 1 |\n| y |",
        "| A | B | |---|---| | x | 1 | | y | 2",
    ] {
        let (t, cut) = tables(text);
        assert_eq!(t[0].rows, strings(&[&["x", "1"]]), "{text}");
        assert!(cut, "{text}");
    }
}

#[test]
fn rows_with_line_breaks_may_lack_their_last_pipe_or_cells() {
    let text =
        "| A | B | C |\n|---|---|---|\n| x | 1\n| y | 2 | 3 | extra |\n| z |\n| w | 4 | 5 |\n";
    assert_eq!(
        rows(text),
        [strings(&[
            &["x", "1"],
            &["y", "2", "3"],
            &["z"],
            &["w", "4", "5"]
        ])]
    );
}

#[test]
fn a_table_ends_where_the_next_one_begins() {
    let text = "| A | B |\n|---|---|\n| x | 1 |\n\n| C | D | E |\n|---|---|---|\n| y | 2 | 3 |\n";
    let (t, _) = tables(text);
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].rows, strings(&[&["x", "1"]]));
    assert_eq!(t[1].header, ["C", "D", "E"]);
    assert_eq!(t[1].rows, strings(&[&["y", "2", "3"]]));
}

#[test]
fn front_matter_is_read_as_tokens_on_one_line() {
    let text = r#"--- title: "Tern (TRN.L)" type: "Symbol" symbol: "TRN.L" plain: some words here locales: - [en](https://x.example/q/TRN.L.md) name: "Tern \"Harbour\"" --- # Tern"#;
    let fm = front_matter(text);
    assert_eq!(fm.get("title").map(String::as_str), Some("Tern (TRN.L)"));
    assert_eq!(fm.get("symbol").map(String::as_str), Some("TRN.L"));
    assert_eq!(fm.get("plain").map(String::as_str), Some("some words here"));
    assert_eq!(fm.get("name").map(String::as_str), Some("Tern \"Harbour\""));
    assert_eq!(fm.len(), 6, "{fm:?}");
    // A quoted value the text ends inside is left out, with everything after it.
    let cut = front_matter("---\nsymbol: \"TRN.L\"\nname: \"Tern Har");
    assert_eq!(cut.keys().collect::<Vec<_>>(), ["symbol"]);
    assert!(front_matter("symbol: \"TRN.L\"").is_empty());
}

#[test]
fn a_cut_radar_block_keeps_its_complete_indicators() {
    let body = r#"{"dimensions": [{"name": "Multi", "indicators": [
        {"name": "ROE", "value": "-1.5%", "rating": "D"},
        {"name": "Turn}over {", "value": 0.4},
        {"name": "Gearing Ratio", "value": "12"#;
    let (found, cut) = radar_indicators(body);
    assert!(cut);
    let names: Vec<&str> = found.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["ROE", "Turn}over {"]);
    assert_eq!(found[1].value, "0.4");
    assert_eq!(found[1].rating, "");
}

#[test]
fn fences_are_cut_out_and_radar_bodies_kept() {
    let (text, radar) =
        cut_fences("a | x | ```chart-data:radar {\"a\": \"|\"} ``` b ```js\nlet y = 1 | 2;\n``` c");
    assert_eq!(text, "a | x | \n b \n c");
    assert_eq!(radar, [" {\"a\": \"|\"} "]);
}

#[test]
fn labelled_lines_need_their_labels_and_whole_values() {
    let text = "**Overall: C (0.55)** - **Style**: Growth - stage. **Scale:** Mid - x";
    let lower = text.to_ascii_lowercase();
    assert_eq!(overall(text, &lower), Some(("C".into(), Some(0.55))));
    assert_eq!(
        after_label(text, &lower, "style").and_then(first_word),
        Some("Growth".into())
    );
    assert_eq!(
        after_label(text, &lower, "scale").and_then(first_word),
        Some("Mid".into())
    );
    // Cut short: no closing parenthesis, no word end.
    let cut = "Overall: B (0.7";
    assert_eq!(overall(cut, &cut.to_lowercase()), Some(("B".into(), None)));
    assert_eq!(first_word(" Gro"), None);
    // Prose is not a label.
    let prose = "The overall: plan stands. Lifestyle: fine.";
    let lower = prose.to_lowercase();
    assert_eq!(overall(prose, &lower), None);
    assert_eq!(after_label(prose, &lower, "style"), None);
}

#[test]
fn cells_read_ranks_grades_numbers_and_links() {
    assert_eq!(rank("20 / 32"), Some((20.0, Some(32.0))));
    assert_eq!(rank("0 / 4"), Some((0.0, Some(4.0))));
    assert_eq!(rank("23/32"), Some((23.0, Some(32.0))));
    assert_eq!(rank("-"), None);
    assert_eq!(number("4.85T"), Some(4.85e12));
    assert_eq!(number("-165.82%"), Some(-1.6582));
    assert_eq!(number("undefined"), None);
    assert_eq!(number("-"), None);
    assert_eq!(grade(" d "), Some("D".into()));
    assert_eq!(grade("B+"), Some("B+".into()));
    assert_eq!(grade("F"), None);
    assert_eq!(grade(""), None);
    assert_eq!(
        link_target("[www.a.example](https://www.a.example)"),
        "https://www.a.example"
    );
    assert_eq!(link_target("www.a.example"), "www.a.example");
    assert_eq!(
        symbol_in_parens("Shopify  (SHOP.US)"),
        Some("SHOP.US".into())
    );
    assert_eq!(
        name_before_parens("Shopify  (SHOP.US)"),
        Some("Shopify".into())
    );
    assert_eq!(symbol_in_parens("Team meeting (week 12)"), None);
}

#[test]
fn the_overview_ends_at_the_next_table_or_blank_line_and_not_at_the_page_end() {
    let one_line = "# X ## Company Overview Makes things. Sells them. | Item | Detail |";
    assert_eq!(
        overview(one_line, &one_line.to_lowercase()),
        Some("Makes things. Sells them.".into())
    );
    let lines = "## Company Overview\n\nMakes things.\nSells them.\n\n## Next\n";
    assert_eq!(
        overview(lines, &lines.to_lowercase()),
        Some("Makes things. Sells them.".into())
    );
    let cut = "## Company Overview\n\nMakes thi";
    assert_eq!(overview(cut, &cut.to_lowercase()), None);
    let link = "- [Company Overview — Profile](https://x.example/overview.md)\n";
    assert_eq!(overview(link, &link.to_lowercase()), None);
}
