//! Chart data read from the tables statements return, by column name: `score` gives the
//! radar, `valuation` the band, `series` the line panels, a column of grades the grade
//! bars, `compare` its companies' grades. Columns a chart does not know are left alone, so results may grow new columns
//! without breaking a chart.

use super::{Band, BandRow, CompareGrades, GradeBars, Line, LinePanel, Radar, RadarAxis};
use crate::model::{Catalog, Period, PeriodKind, Unit};
use crate::output::{Table, Value, format_number};
use std::sync::OnceLock;

/// The position of the column called `name`.
pub fn column(t: &Table, name: &str) -> Option<usize> {
    t.columns.iter().position(|c| c.name == name)
}

/// The cell of row `row` in column `name`.
pub fn cell<'a>(t: &'a Table, row: usize, name: &str) -> Option<&'a Value> {
    t.rows.get(row)?.get(column(t, name)?)
}

/// A cell's number, when it holds a finite one.
pub fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Num(n) | Value::Quantity(n, _) if n.is_finite() => Some(*n),
        _ => None,
    }
}

/// A cell's text, when it holds some that is not empty.
pub fn text(v: Option<&Value>) -> Option<&str> {
    match v? {
        Value::Text(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// A cell as a person reads it: numbers in the unit of the cell or its column.
pub fn shown(t: &Table, row: usize, name: &str) -> Option<String> {
    let i = column(t, name)?;
    match t.rows.get(row)?.get(i)? {
        Value::Null => None,
        Value::NoGroup => Some("(none)".into()),
        Value::Num(n) => Some(format_number(*n, t.columns[i].unit)),
        Value::Quantity(n, u) => Some(format_number(*n, Some(*u))),
        Value::Text(s) => Some(s.clone()),
    }
}

/// The unit a cell's number is in: its own, else its column's.
fn unit_of(t: &Table, row: usize, name: &str) -> Option<Unit> {
    match cell(t, row, name)? {
        Value::Quantity(_, u) => Some(*u),
        _ => t.columns[column(t, name)?].unit,
    }
}

/// The built-in catalog, for metrics' display names.
fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::builtin)
}

/// A metric's display name (`pe_ttm` → `P/E (TTM)`), or the id itself.
pub fn display_name(id: &str) -> String {
    catalog()
        .get(id)
        .filter(|d| d.id == id)
        .map_or_else(|| id.to_string(), |d| d.display.clone())
}

/// `profit` → `Profit`.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A title such as `Valuation of KC.US — over 5 years; …` split at its dash into a title and
/// the line under it.
fn split_title(t: &Table, fallback: &str) -> (String, String) {
    match t.title.as_deref() {
        Some(title) => match title.split_once(" — ") {
            Some((head, rest)) => (head.to_string(), rest.to_string()),
            None => (title.to_string(), String::new()),
        },
        None => (fallback.to_string(), String::new()),
    }
}

/// The radar of a `score` result: one spoke per dimension, a dimension being a column
/// `D_score` beside a column `D_grade`. `None` when the table has no dimensions.
pub fn score_radar(t: &Table) -> Option<Radar> {
    let axes: Vec<RadarAxis> = t
        .columns
        .iter()
        .filter_map(|c| c.name.strip_suffix("_score"))
        .filter(|dim| !dim.is_empty() && column(t, &format!("{dim}_grade")).is_some())
        .map(|dim| RadarAxis {
            label: capitalised(dim),
            value: number(cell(t, 0, &format!("{dim}_score"))),
            grade: text(cell(t, 0, &format!("{dim}_grade"))).map(str::to_string),
        })
        .collect();
    if axes.is_empty() || t.rows.is_empty() {
        return None;
    }
    let symbol = text(cell(t, 0, "symbol")).unwrap_or("");
    let title = match text(cell(t, 0, "name")) {
        Some(name) => format!("{symbol} — {name}"),
        None => symbol.to_string(),
    };
    let rank = match (
        number(cell(t, 0, "industry_rank")),
        number(cell(t, 0, "group_size")),
    ) {
        (Some(k), Some(n)) => format!(" · industry rank {k} / {n}"),
        _ => String::new(),
    };
    let subtitle = match (number(cell(t, 0, "score")), text(cell(t, 0, "score_grade"))) {
        (Some(s), Some(g)) => format!("score {s:.2} ({g}){rank}"),
        _ => "no overall score: fewer than 3 dimensions have values".to_string(),
    };
    Some(Radar {
        title,
        subtitle,
        axes,
    })
}

/// The band of a `valuation` result: one row per multiple, from its `current`, `low`,
/// `median` and `high` cells; other text cells (the industry ranking, a published band's
/// mark) become the row's note.
pub fn valuation_band(t: &Table) -> Band {
    let (title, subtitle) = split_title(t, "Valuation");
    let rows = (0..t.rows.len())
        .map(|r| {
            let id = text(cell(t, r, "metric")).unwrap_or("");
            let mut notes: Vec<String> = Vec::new();
            if let Some(rank) = text(cell(t, r, "industry_ranking")) {
                notes.push(format!("industry rank {rank}"));
            }
            for (i, c) in t.columns.iter().enumerate() {
                if matches!(c.name.as_str(), "metric" | "industry_ranking") {
                    continue;
                }
                if let Some(Value::Text(s)) = t.rows[r].get(i)
                    && !s.is_empty()
                {
                    notes.push(s.clone());
                }
            }
            BandRow {
                label: display_name(id),
                unit: unit_of(t, r, "current").or_else(|| unit_of(t, r, "high")),
                current: number(cell(t, r, "current")),
                low: number(cell(t, r, "low")),
                median: number(cell(t, r, "median")),
                high: number(cell(t, r, "high")),
                note: notes.join(" · "),
            }
        })
        .collect();
    Band {
        title,
        subtitle,
        rows,
    }
}

/// The panels of a `series` result: one per metric column (a column whose name is not a
/// function of another, such as `yoy(revenue)`), one line per kind of period.
pub fn series_panels(t: &Table) -> (String, Vec<LinePanel>) {
    let title = t.title.clone().unwrap_or_else(|| "series".to_string());
    let Some(period_col) = column(t, "period") else {
        return (title, Vec::new());
    };
    let periods: Vec<Option<Period>> = t
        .rows
        .iter()
        .map(|r| match r.get(period_col) {
            Some(Value::Text(s)) => Period::parse(s),
            _ => None,
        })
        .collect();
    let mut panels = Vec::new();
    for (i, c) in t.columns.iter().enumerate() {
        // A text column (none today) is not a metric to draw; a metric without points
        // still gets its panel, which says so.
        if i == period_col
            || c.name.contains('(')
            || t.rows
                .iter()
                .any(|r| matches!(r.get(i), Some(Value::Text(_))))
        {
            continue;
        }
        let mut lines: Vec<Line> = Vec::new();
        for kind in [
            PeriodKind::Year,
            PeriodKind::Half,
            PeriodKind::Quarter,
            PeriodKind::Day,
        ] {
            let points: Vec<(Period, f64)> = t
                .rows
                .iter()
                .zip(&periods)
                .filter_map(|(row, p)| {
                    let p = (*p)?;
                    let v = number(row.get(i))?;
                    (p.kind() == kind).then_some((p, v))
                })
                .collect();
            if !points.is_empty() {
                lines.push(Line { kind, points });
            }
        }
        panels.push(LinePanel {
            label: display_name(&c.name),
            unit: c.unit,
            lines,
        });
    }
    (title, panels)
}

/// How many rows have each grade A–E in column `name`, and a note counting those without.
pub fn grade_distribution(t: &Table, name: &str, title: &str) -> GradeBars {
    let mut counts: Vec<(String, usize)> = ["A", "B", "C", "D", "E"]
        .iter()
        .map(|g| (g.to_string(), 0))
        .collect();
    let mut without = 0;
    for r in 0..t.rows.len() {
        match text(cell(t, r, name)).and_then(|g| counts.iter_mut().find(|(k, _)| k == g)) {
            Some((_, n)) => *n += 1,
            None => without += 1,
        }
    }
    let graded = t.rows.len() - without;
    let note = match without {
        0 => format!("{graded} companies with a score"),
        _ => format!("{graded} companies with a score, {without} without"),
    };
    GradeBars {
        title: title.to_string(),
        note,
        counts,
    }
}

/// `compare`'s table (a `metric` column, then a value and a `_grade` column per company)
/// as each company's grade per metric.
pub fn compare_grades(t: &Table) -> CompareGrades {
    let companies: Vec<String> = t
        .columns
        .iter()
        .map(|c| c.name.clone())
        .filter(|n| n != "metric" && !n.ends_with("_grade"))
        .collect();
    let metrics = (0..t.rows.len())
        .map(|r| {
            let metric = text(cell(t, r, "metric")).unwrap_or("").to_string();
            let grades = companies
                .iter()
                .map(|c| text(cell(t, r, &format!("{c}_grade"))).and_then(|g| g.chars().next()))
                .collect();
            (display_name(&metric), grades)
        })
        .collect();
    CompareGrades {
        title: format!(
            "{}: grades within each company's peer group",
            companies.join(" vs ")
        ),
        companies,
        metrics,
    }
}

/// The scorecard dimension a metric belongs to in the built-in catalog (`profit`, ...).
pub fn dimension_of(id: &str) -> Option<&'static str> {
    catalog()
        .get(id)
        .filter(|d| d.id == id)
        .map(|d| d.dimension.name())
}
