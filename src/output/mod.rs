//! Results and how they are printed: aligned tables, CSV, JSON and markdown (SPEC.md section 4).

pub mod style;

use crate::model::Unit;
use std::fmt::Write as _;
pub use style::Style;
use style::{BOLD, CYAN, DIM, FG_DEFAULT, NOT_BOLD, NOT_DIM};

/// One cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Num(f64),
    /// A number whose unit differs from its column's (e.g. `describe`'s latest values).
    Quantity(f64, Unit),
    Text(String),
    /// A missing `by` key: null in JSON, empty in CSV, `(none)` where people read it.
    NoGroup,
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    pub fn count(n: usize) -> Value {
        Value::Quantity(n as f64, Unit::Count)
    }

    pub fn opt_text(s: Option<&str>) -> Value {
        s.map_or(Value::Null, Value::text)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    /// How numbers in this column are shown in a table.
    pub unit: Option<Unit>,
    /// The currency of a money column, which table and markdown headers name
    /// (`market_cap (USD)`); CSV and JSON keep the bare name.
    pub currency: Option<String>,
}

impl Column {
    pub fn new(name: &str, unit: Option<Unit>) -> Column {
        Column {
            name: name.to_string(),
            unit,
            currency: None,
        }
    }

    /// The column with its currency, when it holds money and a currency is given.
    pub fn in_currency(mut self, currency: Option<&str>) -> Column {
        if self.unit == Some(Unit::Money) {
            self.currency = currency.map(str::to_string);
        }
        self
    }

    /// The header people read: the name, and the currency of a money column.
    pub fn heading(&self) -> String {
        match &self.currency {
            Some(c) => format!("{} ({c})", self.name),
            None => self.name.clone(),
        }
    }
}

/// A result: named columns and rows of cells, with an optional title line above it.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Table {
    pub title: Option<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// A layout for people (the scorecard) that the table format shows instead of the
    /// grid; CSV, JSON and markdown always print the rows.
    pub card: Option<String>,
    /// Sparklines the table format draws under the grid on a terminal (`series`).
    pub sparks: Vec<Spark>,
}

/// One sparkline: a label and the points it draws, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Spark {
    pub label: String,
    /// (period as printed, value).
    pub points: Vec<(String, f64)>,
    pub unit: Option<Unit>,
}

/// What one statement produced.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    Table(Table),
    /// A confirmation such as "imported …" or "set KC.US roe".
    Message(String),
}

impl Output {
    pub fn rows(&self) -> usize {
        match self {
            Output::Table(t) => t.rows.len(),
            Output::Message(_) => 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    /// JSON lines: one object per row, each with the number of the statement it answers.
    Jsonl,
    Markdown,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Some(Format::Table),
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "jsonl" => Some(Format::Jsonl),
            "markdown" | "md" => Some(Format::Markdown),
            _ => None,
        }
    }
}

/// Renders one table in the chosen format, ending with a newline: plain, as for a pipe or a
/// file ([`Style::PLAIN`]).
pub fn render(table: &Table, format: Format) -> String {
    render_styled(table, format, &Style::PLAIN)
}

/// Renders one table in the chosen format; the table format as `style` says (colours,
/// terminal width, sparklines). CSV, JSON and markdown ignore the style.
pub fn render_styled(table: &Table, format: Format, style: &Style) -> String {
    match format {
        Format::Table => match &table.card {
            Some(card) => style::paint_card(card, style),
            None => render_table(table, style),
        },
        Format::Csv => render_csv(table),
        Format::Json => render_json(table),
        Format::Jsonl => render_jsonl(table, 1),
        Format::Markdown => render_markdown(table),
    }
}

/// A number as a person reads it: percents as `12.50%`, money as `1.34B`.
pub fn format_number(v: f64, unit: Option<Unit>) -> String {
    if !v.is_finite() {
        return String::new();
    }
    match unit {
        Some(Unit::Percent) => format!("{:.2}%", v * 100.0),
        Some(Unit::PercentPoints) => format!("{:+.2}pp", v * 100.0),
        Some(Unit::Money) => format_money(v),
        Some(Unit::Count) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(Unit::Ratio) | Some(Unit::Score) => format!("{v:.2}"),
        _ => format_plain(v),
    }
}

fn format_money(v: f64) -> String {
    let a = v.abs();
    let (div, suffix) = if a >= 1e12 {
        (1e12, "T")
    } else if a >= 1e9 {
        (1e9, "B")
    } else if a >= 1e6 {
        (1e6, "M")
    } else if a >= 1e3 {
        (1e3, "K")
    } else {
        return format!("{v:.2}");
    };
    format!("{:.2}{suffix}", v / div)
}

/// Numbers without a unit: integers as integers, others with up to 4 decimals.
fn format_plain(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 1e6 || v.abs() < 1e-4 {
        format!("{v:e}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Text made safe to place in HTML or SVG, as element content or a quoted attribute: the
/// five characters markup gives meaning to become entities, everything else stays as it is.
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The exact stored number, for CSV and JSON (shortest text that reads back the same).
pub fn raw_number(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

fn cell_text(v: &Value, unit: Option<Unit>) -> String {
    match v {
        Value::Null => String::new(),
        Value::NoGroup => "(none)".into(),
        Value::Num(n) => format_number(*n, unit),
        Value::Quantity(n, u) => format_number(*n, Some(*u)),
        Value::Text(s) => s.clone(),
    }
}

fn is_numeric(v: &Value) -> bool {
    matches!(v, Value::Num(_) | Value::Quantity(..))
}

/// Longest text a table cell shows on a terminal; piped tables, CSV and JSON always carry
/// the whole text.
const MAX_CELL: usize = 72;

fn clip(s: String, style: &Style) -> String {
    if style.width.is_none() || s.chars().count() <= MAX_CELL {
        return s;
    }
    let mut out: String = s.chars().take(MAX_CELL - 1).collect();
    out.push('…');
    out
}

/// Narrowest a text column is cut to when a table must fit the terminal.
const MIN_TEXT: usize = 8;

/// Renders the table format: the grid (or the card), coloured and fitted as `style` says.
fn render_table(t: &Table, style: &Style) -> String {
    let mut cells: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&t.columns)
                .map(|(v, c)| clip(cell_text(v, c.unit), style))
                .collect()
        })
        .collect();
    let mut header: Vec<String> = t.columns.iter().map(Column::heading).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| style::width(h)).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(style::width(c));
        }
    }
    // Numbers right-aligned, text left-aligned; a column is numeric if any cell is.
    let numeric: Vec<bool> = (0..t.columns.len())
        .map(|i| t.rows.iter().any(|r| r.get(i).is_some_and(is_numeric)))
        .collect();
    let grades: Vec<bool> = t
        .columns
        .iter()
        .map(|c| style::is_grade_column(&c.name))
        .collect();
    // The peer table marks its subject in a `subject` column; that row is bold.
    let subject = t.columns.iter().position(|c| c.name == "subject");
    let mut out = String::new();
    if let Some(title) = &t.title {
        let title = match style.width {
            Some(w) => style::truncate(title, w),
            None => title.clone(),
        };
        if style.color {
            let _ = writeln!(out, "{BOLD}{title}{NOT_BOLD}");
        } else {
            let _ = writeln!(out, "{title}");
        }
    }
    if let Some(limit) = style.width
        && !fit(&mut widths, &numeric, &header, limit)
    {
        return out + &render_vertical(t, &cells, style, limit);
    }
    // Cut the text cells (and headers) that are wider than their column now.
    for (i, w) in widths.iter().enumerate() {
        if style::width(&header[i]) > *w {
            header[i] = style::truncate(&header[i], *w);
        }
        for row in cells.iter_mut() {
            if style::width(&row[i]) > *w {
                row[i] = style::truncate(&row[i], *w);
            }
        }
    }
    // One line: cells padded to their column, joined by two spaces, trailing blanks cut.
    // `paint` gives the escape codes to wrap a cell in (empty: none).
    let line = |out: &mut String,
                items: &[String],
                paint: &dyn Fn(usize, &str) -> &'static str,
                bold: bool| {
        let mut segments: Vec<(String, &str)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let pad = " ".repeat(widths[i].saturating_sub(style::width(item)));
            if i > 0 {
                segments.push(("  ".into(), ""));
            }
            if numeric[i] {
                segments.push((pad, ""));
                segments.push((item.clone(), paint(i, item)));
            } else {
                segments.push((item.clone(), paint(i, item)));
                segments.push((pad, ""));
            }
        }
        while segments.last().is_some_and(|s| s.0.trim_end().is_empty()) {
            segments.pop();
        }
        if let Some(last) = segments.last_mut() {
            let trimmed = last.0.trim_end().len();
            last.0.truncate(trimmed);
        }
        let mut s = String::new();
        if bold {
            s.push_str(BOLD);
        }
        for (text, code) in segments {
            if code.is_empty() || text.is_empty() {
                s.push_str(&text);
            } else {
                s.push_str(BOLD);
                s.push_str(code);
                s.push_str(&text);
                s.push_str(FG_DEFAULT);
                if !bold {
                    // A grade is bold; a bold row stays bold after it.
                    s.push_str(NOT_BOLD);
                }
            }
        }
        if bold {
            s.push_str(NOT_BOLD);
        }
        let _ = writeln!(out, "{s}");
    };
    let plain = |_: usize, _: &str| -> &'static str { "" };
    let grade_paint = |i: usize, item: &str| -> &'static str {
        if style.color && grades[i] {
            style::grade_color(item).unwrap_or("")
        } else {
            ""
        }
    };
    line(&mut out, &header, &plain, style.color);
    let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
    if style.color {
        out.push_str(DIM);
        line(&mut out, &rule, &plain, false);
        out.insert_str(out.len() - 1, NOT_DIM);
    } else {
        line(&mut out, &rule, &plain, false);
    }
    for (r, row) in cells.iter().enumerate() {
        let bold = style.color
            && subject.is_some_and(
                |s| matches!(&t.rows[r].get(s), Some(Value::Text(x)) if !x.is_empty()),
            );
        line(&mut out, row, &grade_paint, bold);
    }
    if style.sparklines {
        out.push_str(&sparklines(t, style));
    }
    out
}

/// Narrows text columns until the table fits `limit` columns: always the widest text column
/// first, none below [`MIN_TEXT`] (or its header, when that is narrower). False when even
/// that does not fit.
fn fit(widths: &mut [usize], numeric: &[bool], header: &[String], limit: usize) -> bool {
    let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
    let floor: Vec<usize> = header
        .iter()
        .map(|h| style::width(h).clamp(1, MIN_TEXT))
        .collect();
    while total(widths) > limit {
        let widest = (0..widths.len())
            .filter(|&i| !numeric[i] && widths[i] > floor[i])
            .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)));
        match widest {
            Some(i) => widths[i] -= 1,
            None => return false,
        }
    }
    true
}

/// One block per row, `column  value` a line, for tables too wide for the terminal even with
/// their text cut (psql's expanded display).
fn render_vertical(t: &Table, cells: &[Vec<String>], style: &Style, limit: usize) -> String {
    let name_w = t
        .columns
        .iter()
        .map(|c| style::width(&c.heading()))
        .max()
        .unwrap_or(0)
        .min(limit / 2);
    let value_w = limit.saturating_sub(name_w + 2).max(1);
    let mut out = String::new();
    for (r, row) in cells.iter().enumerate() {
        let label = format!("─[ {} ]", r + 1);
        let rule = format!(
            "{label}{}",
            "─".repeat(
                limit
                    .min(name_w + 2 + 24)
                    .saturating_sub(style::width(&label))
            )
        );
        if style.color {
            let _ = writeln!(out, "{DIM}{rule}{NOT_DIM}");
        } else {
            let _ = writeln!(out, "{rule}");
        }
        for (i, (c, cell)) in t.columns.iter().zip(row).enumerate() {
            let name = style::truncate(&c.heading(), name_w);
            let pad = " ".repeat(name_w - style::width(&name));
            let value = style::truncate(cell, value_w);
            let value = if style::is_grade_column(&t.columns[i].name) {
                style::paint_grade(&value, style)
            } else {
                value
            };
            let text = format!("{name}{pad}  {value}");
            let _ = writeln!(out, "{}", text.trim_end());
        }
    }
    out
}

/// The table's sparklines (a `series` table has one per metric and kind of period):
/// `revenue  ▁▃▅▇█  2019 98.00M → 2024 1.20B`. Those with fewer than two points are left out.
fn sparklines(t: &Table, style: &Style) -> String {
    let drawn: Vec<&Spark> = t.sparks.iter().filter(|s| s.points.len() >= 2).collect();
    let name_w = drawn
        .iter()
        .map(|s| style::width(&s.label))
        .max()
        .unwrap_or(0);
    // (name, sparkline, range) per spark.
    let mut lines = Vec::new();
    for spark in drawn {
        let points = &spark.points;
        let unit = spark.unit;
        let (first, last) = (&points[0], &points[points.len() - 1]);
        let range = format!(
            "{} {} → {} {}",
            first.0,
            format_number(first.1, unit),
            last.0,
            format_number(last.1, unit)
        );
        // The newest points when the terminal is too narrow for all of them.
        let room = style
            .width
            .map_or(usize::MAX, |w| {
                w.saturating_sub(name_w + 4 + style::width(&range))
            })
            .max(8);
        let values: Vec<f64> = points.iter().map(|p| p.1).collect();
        let shown = &values[values.len().saturating_sub(room)..];
        lines.push((&spark.label, style::sparkline(shown), range));
    }
    let spark_w = lines.iter().map(|l| l.1.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (name, spark, range) in lines {
        let pad = " ".repeat(name_w - style::width(name));
        let spark_pad = " ".repeat(spark_w - spark.chars().count());
        if style.color {
            let _ = writeln!(
                out,
                "{name}{pad}  {CYAN}{spark}{FG_DEFAULT}{spark_pad}  {DIM}{range}{NOT_DIM}"
            );
        } else {
            let _ = writeln!(out, "{name}{pad}  {spark}{spark_pad}  {range}");
        }
    }
    if out.is_empty() {
        out
    } else {
        format!("\n{out}")
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn raw_cell(v: &Value) -> String {
    match v {
        Value::Null | Value::NoGroup => String::new(),
        Value::Num(n) | Value::Quantity(n, _) => raw_number(*n),
        Value::Text(s) => s.clone(),
    }
}

fn render_csv(t: &Table) -> String {
    let mut out = String::new();
    let header: Vec<String> = t.columns.iter().map(|c| csv_field(&c.name)).collect();
    let _ = writeln!(out, "{}", header.join(","));
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(|v| csv_field(&raw_cell(v))).collect();
        let _ = writeln!(out, "{}", cells.join(","));
    }
    out
}

fn json_value(v: &Value) -> String {
    match v {
        Value::Null | Value::NoGroup => "null".into(),
        Value::Num(n) | Value::Quantity(n, _) if n.is_finite() => raw_number(*n),
        Value::Num(_) | Value::Quantity(..) => "null".into(),
        Value::Text(s) => serde_json::Value::String(s.clone()).to_string(),
    }
}

/// One JSON array of row objects keyed by column name, in column order.
/// JSON lines: one object per row, `statement` (1-based, in the script) first, so that the
/// answers of several statements can be told apart in one stream.
pub fn render_jsonl(t: &Table, statement: usize) -> String {
    let mut out = String::new();
    for row in &t.rows {
        let _ = write!(out, "{{\"statement\": {statement}, ");
        json_fields(&mut out, t, row);
        out.push_str("}\n");
    }
    out
}

/// One JSON object per row, one row per line (the rows alone: what a file holds).
pub fn render_objects(t: &Table) -> String {
    let mut out = String::new();
    for row in &t.rows {
        out.push('{');
        json_fields(&mut out, t, row);
        out.push_str("}\n");
    }
    out
}

/// A row's `"column": value` pairs, comma-separated.
fn json_fields(out: &mut String, t: &Table, row: &[Value]) {
    for (j, (c, v)) in t.columns.iter().zip(row).enumerate() {
        if j > 0 {
            out.push_str(", ");
        }
        let name = serde_json::Value::String(c.name.clone());
        let _ = write!(out, "{name}: {}", json_value(v));
    }
}

fn render_json(t: &Table) -> String {
    let mut out = String::from("[");
    for (i, row) in t.rows.iter().enumerate() {
        out.push_str(if i == 0 { "\n  {" } else { ",\n  {" });
        json_fields(&mut out, t, row);
        out.push('}');
    }
    out.push_str(if t.rows.is_empty() { "]\n" } else { "\n]\n" });
    out
}

fn render_markdown(t: &Table) -> String {
    let esc = |s: &str| s.replace('|', "\\|");
    let mut out = String::new();
    if let Some(title) = &t.title {
        let _ = writeln!(out, "**{}**\n", esc(title));
    }
    let header: Vec<String> = t.columns.iter().map(|c| esc(&c.heading())).collect();
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let numeric: Vec<bool> = (0..t.columns.len())
        .map(|i| t.rows.iter().any(|r| r.get(i).is_some_and(is_numeric)))
        .collect();
    let rule: Vec<&str> = numeric
        .iter()
        .map(|&n| if n { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "| {} |", rule.join(" | "));
    for row in &t.rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&t.columns)
            .map(|(v, c)| esc(&cell_text(v, c.unit)))
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table {
            title: None,
            columns: vec![
                Column::new("symbol", None),
                Column::new("roe", Some(Unit::Percent)),
                Column::new("cap", Some(Unit::Money)),
            ],
            rows: vec![
                vec![
                    Value::text("KC.US"),
                    Value::Num(-0.1293),
                    Value::Num(5_175_298_230.18),
                ],
                vec![Value::text("A,\"B\""), Value::Null, Value::Num(950.0)],
            ],
            card: None,
            sparks: Vec::new(),
        }
    }

    #[test]
    fn formats_numbers_by_unit() {
        assert_eq!(format_number(0.125, Some(Unit::Percent)), "12.50%");
        assert_eq!(format_number(1.34e9, Some(Unit::Money)), "1.34B");
        assert_eq!(format_number(-2.5e6, Some(Unit::Money)), "-2.50M");
        assert_eq!(format_number(4.85e12, Some(Unit::Money)), "4.85T");
        assert_eq!(format_number(950.0, Some(Unit::Money)), "950.00");
        assert_eq!(format_number(13.0, Some(Unit::Count)), "13");
        assert_eq!(format_number(0.4321, Some(Unit::Ratio)), "0.43");
        assert_eq!(format_number(3.0, None), "3");
        assert_eq!(format_number(0.12345678, None), "0.1235");
        assert_eq!(format_number(f64::NAN, None), "");
    }

    #[test]
    fn table_aligns_numbers_right() {
        let s = render(&sample(), Format::Table);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "symbol      roe     cap");
        assert_eq!(lines[2], "KC.US   -12.93%   5.18B");
        assert_eq!(lines[3], "A,\"B\"            950.00");
    }

    #[test]
    fn csv_and_json_print_raw_values() {
        assert_eq!(
            render(&sample(), Format::Csv),
            "symbol,roe,cap\nKC.US,-0.1293,5175298230.18\n\"A,\"\"B\"\"\",,950\n"
        );
        assert_eq!(
            render(&sample(), Format::Json),
            "[\n  {\"symbol\": \"KC.US\", \"roe\": -0.1293, \"cap\": 5175298230.18},\n  {\"symbol\": \"A,\\\"B\\\"\", \"roe\": null, \"cap\": 950}\n]\n"
        );
        let empty = Table {
            title: None,
            columns: vec![Column::new("a", None)],
            rows: vec![],
            card: None,
            sparks: Vec::new(),
        };
        assert_eq!(render(&empty, Format::Json), "[]\n");
    }

    #[test]
    fn markdown_is_a_github_table() {
        let s = render(&sample(), Format::Markdown);
        assert!(
            s.starts_with(
                "| symbol | roe | cap |\n| --- | ---: | ---: |\n| KC.US | -12.93% | 5.18B |\n"
            ),
            "{s}"
        );
    }

    fn color() -> Style {
        Style {
            color: true,
            ..Style::PLAIN
        }
    }

    #[test]
    fn every_unit_and_missing_values_in_a_table() {
        let t = Table {
            title: Some("units".into()),
            columns: vec![
                Column::new("symbol", None),
                Column::new("pct", Some(Unit::Percent)),
                Column::new("money", Some(Unit::Money)),
                Column::new("ratio", Some(Unit::Ratio)),
                Column::new("count", Some(Unit::Count)),
                Column::new("score", Some(Unit::Score)),
                Column::new("plain", None),
                Column::new("mixed", None),
            ],
            rows: vec![
                vec![
                    Value::text("A"),
                    Value::Num(0.1234),
                    Value::Num(2.5e9),
                    Value::Num(1.0 / 3.0),
                    Value::Num(12.0),
                    Value::Num(0.625),
                    Value::Num(1.5),
                    Value::Quantity(0.05, Unit::Percent),
                ],
                vec![
                    Value::text("B"),
                    Value::Null,
                    Value::Num(-750_000.0),
                    Value::Null,
                    Value::Null,
                    Value::Num(f64::NAN),
                    Value::Null,
                    Value::count(3),
                ],
            ],
            card: None,
            sparks: Vec::new(),
        };
        let s = render(&t, Format::Table);
        assert_eq!(
            s,
            "units\n\
             symbol     pct     money  ratio  count  score  plain  mixed\n\
             ──────  ──────  ────────  ─────  ─────  ─────  ─────  ─────\n\
             A       12.34%     2.50B   0.33     12   0.62    1.5  5.00%\n\
             B               -750.00K                                  3\n"
        );
        // Missing values are empty in every format but JSON, where they are null.
        assert_eq!(
            render(&t, Format::Csv).lines().nth(2),
            Some("B,,-750000,,,,,3")
        );
        assert!(render(&t, Format::Json).contains("\"pct\": null"));
        assert!(render(&t, Format::Markdown).contains("| B |  | -750.00K |"));
    }

    fn peers() -> Table {
        Table {
            title: Some("Peers of KC.US".into()),
            columns: vec![
                Column::new("symbol", None),
                Column::new("Profit", None),
                Column::new("Rating", None),
                Column::new("score_grade", None),
                Column::new("note", None),
                Column::new("subject", None),
            ],
            rows: vec![
                vec![
                    Value::text("KC.US"),
                    Value::text("A"),
                    Value::text("E"),
                    Value::text("C"),
                    Value::text("A"),
                    Value::text("◀"),
                ],
                vec![
                    Value::text("QC.SH"),
                    Value::text("B"),
                    Value::text("D"),
                    Value::Null,
                    Value::text("B"),
                    Value::Null,
                ],
            ],
            card: None,
            sparks: Vec::new(),
        }
    }

    #[test]
    fn colours_only_when_the_style_says_so() {
        let t = peers();
        let plain = render_styled(&t, Format::Table, &Style::PLAIN);
        assert_eq!(plain, render(&t, Format::Table));
        assert!(!plain.contains('\x1b'), "{plain}");
        let coloured = render_styled(&t, Format::Table, &color());
        assert_eq!(
            style::strip_ansi(&coloured),
            plain,
            "same text, only colour added"
        );
        let lines: Vec<&str> = coloured.lines().collect();
        // Grade columns: A green, E red, D orange; a grade-looking text column is left alone.
        assert!(lines[3].contains("\x1b[38;5;34mA"), "{:?}", lines[3]);
        assert!(lines[3].contains("\x1b[38;5;196mE"), "{:?}", lines[3]);
        assert!(lines[4].contains("\x1b[38;5;208mD"), "{:?}", lines[4]);
        assert_eq!(
            lines[3].matches("38;5").count(),
            3,
            "note is not a grade column"
        );
        // The subject row is bold from start to end; the other row is not.
        assert!(lines[3].starts_with(style::BOLD) && lines[3].ends_with(style::NOT_BOLD));
        assert!(!lines[4].starts_with(style::BOLD));
        // Other formats never colour.
        assert_eq!(
            render_styled(&t, Format::Csv, &color()),
            render(&t, Format::Csv)
        );
    }

    #[test]
    fn the_scorecard_grades_are_coloured() {
        let mut t = peers();
        t.card = Some("KC.US — X   (latest values)\nScore 0.63 (B)   industry rank 1 / 2   industry median C\n".into());
        assert_eq!(render(&t, Format::Table), t.card.clone().unwrap());
        let c = render_styled(&t, Format::Table, &color());
        assert!(c.contains("\x1b[38;5;112mB"), "{c:?}");
        assert_eq!(style::strip_ansi(&c), t.card.unwrap());
    }

    fn wide() -> Table {
        Table {
            title: None,
            columns: vec![
                Column::new("symbol", None),
                Column::new("name", None),
                Column::new("industry", None),
                Column::new("roe", Some(Unit::Percent)),
            ],
            rows: vec![vec![
                Value::text("KC.US"),
                Value::text("Kingsoft Cloud Holdings Limited"),
                Value::text("Internet Services and Infrastructure"),
                Value::Num(-0.1293),
            ]],
            card: None,
            sparks: Vec::new(),
        }
    }

    #[test]
    fn wide_tables_cut_text_to_the_terminal_width() {
        let t = wide();
        let natural = render(&t, Format::Table);
        assert_eq!(natural.lines().map(style::width).max(), Some(86));
        let narrow = Style {
            width: Some(50),
            ..Style::PLAIN
        };
        let s = render_styled(&t, Format::Table, &narrow);
        assert_eq!(
            s,
            "symbol  name             industry              roe\n\
             ──────  ───────────────  ────────────────  ───────\n\
             KC.US   Kingsoft Cloud…  Internet Servic…  -12.93%\n"
        );
        assert!(s.lines().all(|l| style::width(l) <= 50), "{s}");
        // A table that fits is unchanged.
        let roomy = Style {
            width: Some(200),
            ..Style::PLAIN
        };
        assert_eq!(render_styled(&t, Format::Table, &roomy), natural);
    }

    #[test]
    fn too_wide_even_when_cut_shows_one_block_per_row() {
        let t = wide();
        let s = render_styled(
            &t,
            Format::Table,
            &Style {
                width: Some(30),
                ..Style::PLAIN
            },
        );
        assert_eq!(
            s,
            "─[ 1 ]────────────────────────\n\
             symbol    KC.US\n\
             name      Kingsoft Cloud Hold…\n\
             industry  Internet Services a…\n\
             roe       -12.93%\n"
        );
        assert!(s.lines().all(|l| style::width(l) <= 30), "{s}");
    }

    #[test]
    fn series_tables_get_a_sparkline_per_metric() {
        let t = Table {
            title: Some("KC.US — Kingsoft Cloud".into()),
            columns: vec![
                Column::new("period", None),
                Column::new("revenue", Some(Unit::Money)),
                Column::new("yoy(revenue)", Some(Unit::Percent)),
            ],
            rows: (0..5)
                .map(|i| {
                    vec![
                        Value::text(format!("{}", 2020 + i)),
                        Value::Num(1e9 * (1.0 + i as f64)),
                        Value::Null,
                    ]
                })
                .collect(),
            card: None,
            sparks: vec![
                Spark {
                    label: "revenue".into(),
                    points: (0..5)
                        .map(|i| (format!("{}", 2020 + i), 1e9 * (1.0 + i as f64)))
                        .collect(),
                    unit: Some(Unit::Money),
                },
                Spark {
                    label: "roe".into(),
                    points: [2020, 2021, 2023, 2024]
                        .iter()
                        .map(|y| (y.to_string(), 0.1))
                        .collect(),
                    unit: Some(Unit::Percent),
                },
                // A single point draws nothing.
                Spark {
                    label: "pb".into(),
                    points: vec![("2024".into(), 1.0)],
                    unit: Some(Unit::Ratio),
                },
            ],
        };
        let spark = Style {
            sparklines: true,
            ..Style::PLAIN
        };
        let s = render_styled(&t, Format::Table, &spark);
        assert!(s.starts_with(&render(&t, Format::Table)), "{s}");
        assert!(
            s.ends_with(
                "\nrevenue  ▁▃▅▆█  2020 1.00B → 2024 5.00B\nroe      ▄▄▄▄   2020 10.00% → 2024 10.00%\n"
            ),
            "{s}"
        );
        assert!(!render(&t, Format::Table).contains('▁'), "plain has none");
        // Other tables get none.
        assert_eq!(
            render_styled(&wide(), Format::Table, &spark),
            render(&wide(), Format::Table)
        );
    }
}
