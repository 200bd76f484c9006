//! Charts drawn from the sample's own results: each is one SVG document with its title, its
//! labels and one circle per data point; text from the data is escaped.

use super::*;
use crate::model::PeriodKind;
use crate::output::{Output, Table};
use crate::session::Session;

fn sample() -> Session {
    let mut s = Session::in_memory().unwrap();
    crate::demo::load_sample(&mut s).unwrap();
    s
}

fn table(s: &mut Session, text: &str) -> Table {
    match s.execute(text).unwrap().into_iter().next() {
        Some(Output::Table(t)) => t,
        other => panic!("{text}: {other:?}"),
    }
}

fn circles(svg: &str) -> usize {
    svg.matches("<circle").count()
}

/// One SVG document: it opens with its root element and titles itself.
fn assert_document(svg: &str, title: &str) {
    assert!(svg.starts_with("<svg "), "{}", &svg[..80.min(svg.len())]);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<svg").count(), 1);
    assert!(
        svg.contains(&format!("<title>{}</title>", escape_markup(title))),
        "{title}"
    );
}

#[test]
fn the_radar_has_a_point_and_a_label_per_dimension() {
    let mut s = sample();
    let t = table(&mut s, "score KC.US");
    let r = read::score_radar(&t).unwrap();
    let labels: Vec<&str> = r.axes.iter().map(|a| a.label.as_str()).collect();
    assert_eq!(
        labels,
        ["Profit", "Growth", "Operation", "Security", "Cash"]
    );
    assert_eq!(r.axes[1].value, Some(1.0));
    assert_eq!(r.axes[1].grade.as_deref(), Some("A"));
    assert_eq!(r.subtitle, "score 0.63 (B) · industry rank 1 / 2");
    let svg = radar(&r).unwrap();
    assert_document(&svg, "KC.US — Kingsoft Cloud Holdings Limited");
    assert_eq!(circles(&svg), 5);
    for label in [
        "Profit",
        "Growth",
        "Operation",
        "Security",
        "Cash",
        "B · 0.67",
    ] {
        assert!(svg.contains(label), "{label}");
    }
}

#[test]
fn a_dimension_without_a_score_has_no_point() {
    let r = Radar {
        title: "X".into(),
        subtitle: String::new(),
        axes: ["a", "b", "c", "d"]
            .iter()
            .enumerate()
            .map(|(i, l)| RadarAxis {
                label: l.to_string(),
                value: (i != 2).then_some(0.5),
                grade: (i != 2).then(|| "C".to_string()),
            })
            .collect(),
    };
    let svg = radar(&r).unwrap();
    assert_eq!(circles(&svg), 3);
    assert!(svg.contains("n.a."));
}

#[test]
fn the_band_has_a_row_and_a_current_point_per_multiple() {
    let mut s = sample();
    let t = table(&mut s, "valuation KC.US");
    let b = read::valuation_band(&t);
    assert_eq!(b.title, "Valuation of KC.US");
    let labels: Vec<&str> = b.rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["P/E (TTM)", "P/B", "P/S (TTM)", "Dividend Yield"]);
    assert_eq!(b.rows[1].current, Some(3.89));
    assert_eq!(b.rows[0].note, "industry rank 1 / 2");
    let svg = band(&b).unwrap();
    assert_document(&svg, "Valuation of KC.US");
    assert_eq!(circles(&svg), 4);
    // A company without values still gets its chart, with no points.
    let t = table(&mut s, "valuation DAVE.US");
    let svg = band(&read::valuation_band(&t)).unwrap();
    assert_eq!(circles(&svg), 0);
    assert!(svg.contains("no value"));
}

#[test]
fn series_panels_keep_each_kind_of_period_on_its_own_line() {
    let mut s = sample();
    let t = table(&mut s, "series revenue, net_income, roe of 688316.SH");
    let (title, panels) = read::series_panels(&t);
    assert_eq!(title, "688316.SH — QingCloud Technologies Corp.");
    let names: Vec<&str> = panels.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(names, ["Revenue", "Net Income", "ROE"]);
    let kinds: Vec<PeriodKind> = panels[1].lines.iter().map(|l| l.kind).collect();
    // Net income: five fiscal years and two halves, never joined in one line.
    assert_eq!(kinds, [PeriodKind::Year, PeriodKind::Half]);
    assert_eq!(panels[1].lines[0].points.len(), 5);
    assert_eq!(panels[1].lines[1].points.len(), 2);
    let points: usize = panels
        .iter()
        .flat_map(|p| &p.lines)
        .map(|l| l.points.len())
        .sum();
    let svg = lines(&title, &panels).unwrap();
    assert_document(&svg, &title);
    assert_eq!(circles(&svg), points);
    for year in ["2020", "2024", "fiscal year", "half year"] {
        assert!(svg.contains(year), "{year}");
    }
}

#[test]
fn grade_bars_count_each_grade_and_those_without() {
    let mut s = sample();
    let t = table(
        &mut s,
        "select score_grade from industry \"Internet Services and Infrastructure\"",
    );
    let g = read::grade_distribution(&t, "score_grade", "Overall grades");
    let counts: Vec<usize> = g.counts.iter().map(|(_, n)| *n).collect();
    assert_eq!(counts, [0, 1, 0, 1, 0]);
    assert_eq!(g.note, "2 companies with a score, 10 without");
    let svg = grade_bars(&g).unwrap();
    assert_document(&svg, "Overall grades");
    assert_eq!(circles(&svg), 0);
}

#[test]
fn text_from_the_data_is_escaped() {
    let hostile = "<script>alert(\"x\")</script> & co";
    let r = Radar {
        title: hostile.into(),
        subtitle: hostile.into(),
        axes: vec![RadarAxis {
            label: hostile.into(),
            value: Some(0.5),
            grade: Some("<b>".into()),
        }],
    };
    let svg = radar(&r).unwrap();
    assert!(!svg.contains("<script"), "{svg}");
    assert!(!svg.contains("<b>"));
    assert!(svg.contains("&lt;script&gt;"));
    let svg = lines(hostile, &[]).unwrap();
    assert!(!svg.contains("<script"));
}

#[test]
fn ranges_are_never_empty() {
    assert_eq!(padded_range([1.0, 3.0], 0.5), Some((0.0, 4.0)));
    assert_eq!(padded_range([2.0], 0.5), Some((1.8, 2.2)));
    assert_eq!(padded_range([0.0, 0.0], 0.5), Some((-1.0, 1.0)));
    assert_eq!(padded_range([f64::NAN], 0.5), None);
    assert_eq!(padded_range(std::iter::empty(), 0.5), None);
}
