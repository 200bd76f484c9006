//! Two rows of one file that give one company the same period with different values
//! (DATA_FORMATS.md, "Mistakes are errors"). Imports are upserts, so without this check the
//! later row would silently win: that is how CERN's 52/53-week years once collapsed into one.
//!
//! Finding a clash is cheap and happens on every careful read: a series whose periods
//! ascend (nearly all of them) holds none, and only the others are sorted to look. Saying
//! where it is takes a second pass over the file, made only when there is a clash, which
//! finds the first row that disagrees with an earlier one and names both lines and both
//! periods as written.

use super::header::{LongColumns, PeriodFrom};
use super::is_blank;
use super::metrics::{Metrics, read_period};
use super::plan::{Scale, Table, Use};
use super::source::{Source, locate};
use crate::error::{Error, Result};
use crate::model::number::parse_number;
use crate::model::{Period, PeriodKind, symbol_key};
use crate::storage::WriteSet;
use csv::ByteRecord;
use std::collections::{HashMap, HashSet};

/// The periods (codes) at which one series holds two different values; empty for nearly
/// every series, which arrive in period order without repeats.
pub(super) fn clashing_codes(points: &[(u32, f64)]) -> Vec<u32> {
    if points.windows(2).all(|w| w[0].0 < w[1].0) {
        return Vec::new();
    }
    let mut sorted = points.to_vec();
    // Stable, so equal periods keep their order; any two different values of one period
    // then stand side by side somewhere in its run.
    sorted.sort_by_key(|p| p.0);
    let mut codes: Vec<u32> = sorted
        .windows(2)
        .filter(|w| w[0].0 == w[1].0 && w[0].1 != w[1].1)
        .map(|w| w[0].0)
        .collect();
    codes.dedup();
    codes
}

/// (symbol key, metric id, period code) of every point the set holds two values for.
fn clashes(set: &WriteSet) -> HashSet<(String, String, u32)> {
    let mut out = HashSet::new();
    for (symbol, metric, points) in set.point_runs() {
        for code in clashing_codes(points) {
            out.insert((symbol_key(symbol), metric.to_string(), code));
        }
    }
    out
}

/// The first row seen for a (company, period), for comparing later ones with.
struct FirstRow {
    line: usize,
    period: String,
    /// (column, value) of each value the row gives.
    values: Vec<(usize, f64)>,
}

/// Fails when two rows of a companies or wide file give one company's metric two values
/// for one period.
pub(super) fn check_table(src: &Source, table: &Table, set: &WriteSet) -> Result<()> {
    let clashes = clashes(set);
    if clashes.is_empty() {
        return Ok(());
    }
    let wanted: HashSet<(&str, u32)> = clashes.iter().map(|c| (c.0.as_str(), c.2)).collect();
    let columns: Vec<(usize, Scale)> = table
        .uses
        .iter()
        .enumerate()
        .filter_map(|(i, u)| match u {
            Use::Metric { scale, .. } => Some((i, *scale)),
            _ => None,
        })
        .collect();
    let mut first: HashMap<(String, u32), FirstRow> = HashMap::new();
    let mut rows = Rows::new(src);
    while let Some(record) = rows.next() {
        let Some(symbol) = text(record, table.symbol) else {
            continue;
        };
        let Some((period, code)) = period_of(record, table.period, table.period_kind) else {
            continue;
        };
        let key = symbol_key(symbol);
        if !wanted.contains(&(key.as_str(), code)) {
            continue;
        }
        let values: Vec<(usize, f64)> = columns
            .iter()
            .filter_map(|&(i, scale)| {
                let cell = record.get(i).filter(|c| !is_blank(c))?;
                let v = parse_number(std::str::from_utf8(cell).ok()?)?;
                Some((i, scale.apply(v)))
            })
            .collect();
        let line = line_of(src, record);
        let Some(earlier) = first.get(&(key.clone(), code)) else {
            first.insert(
                (key, code),
                FirstRow {
                    line,
                    period,
                    values,
                },
            );
            continue;
        };
        let differ: Vec<(usize, f64, f64)> = values
            .iter()
            .filter_map(|&(i, v)| {
                let (_, w) = earlier.values.iter().find(|e| e.0 == i)?;
                (*w != v).then_some((i, *w, v))
            })
            .collect();
        let Some(&(column, a, b)) = differ.first() else {
            continue;
        };
        let more = match differ.len() - 1 {
            0 => String::new(),
            1 => " (and 1 more column)".to_string(),
            n => format!(" (and {n} more columns)"),
        };
        let what = format!(
            "'{}' {} and {}{more}",
            table.header.name(column),
            shown(a),
            shown(b)
        );
        let at = period_column(table.period).unwrap_or(table.symbol);
        return Err(src.error(
            record,
            at,
            clash_message(symbol, code, None, earlier, line, &period, &what),
        ));
    }
    Err(unplaced(src, &clashes))
}

/// Fails when two rows of a long file give one point two values.
pub(super) fn check_long(
    src: &Source,
    cols: &LongColumns,
    period_kind: Option<PeriodKind>,
    metrics: &Metrics,
    set: &WriteSet,
) -> Result<()> {
    let clashes = clashes(set);
    if clashes.is_empty() {
        return Ok(());
    }
    let mut first: HashMap<(String, String, u32), FirstRow> = HashMap::new();
    let mut rows = Rows::new(src);
    while let Some(record) = rows.next() {
        let (Some(symbol), Some(metric)) = (text(record, cols.symbol), text(record, cols.metric))
        else {
            continue;
        };
        let Some(id) = metrics.id_of(metric) else {
            continue;
        };
        let Some((period, code)) = period_of(record, cols.period, period_kind) else {
            continue;
        };
        let key = (symbol_key(symbol), id.to_string(), code);
        if !clashes.contains(&key) {
            continue;
        }
        let Some(value) = text(record, cols.value).and_then(parse_number) else {
            continue;
        };
        let line = line_of(src, record);
        match first.get(&key) {
            None => {
                first.insert(
                    key,
                    FirstRow {
                        line,
                        period,
                        values: vec![(cols.value, value)],
                    },
                );
            }
            Some(earlier) => {
                let Some(&(_, before)) = earlier.values.first().filter(|e| e.1 != value) else {
                    continue;
                };
                let what = format!("{} and {}", shown(before), shown(value));
                let at = period_column(cols.period).unwrap_or(cols.symbol);
                return Err(src.error(
                    record,
                    at,
                    clash_message(symbol, code, Some(id), earlier, line, &period, &what),
                ));
            }
        }
    }
    Err(unplaced(src, &clashes))
}

/// `CERN has two rows for 2015 (2015-01-03 on line 289, 2016-01-02 on line 290) with
/// different values: ...`, and what to do about it.
fn clash_message(
    symbol: &str,
    code: u32,
    metric: Option<&str>,
    earlier: &FirstRow,
    line: usize,
    period: &str,
    what: &str,
) -> String {
    let label = Period::from_code(code).map_or_else(|| period.to_string(), |p| p.to_string());
    let label = match metric {
        Some(m) => format!("{m} at {label}"),
        None => label,
    };
    // Two different dates that the fiscal-label rule (or --period-kind) made one period are
    // kept apart by reading them as days; the same period written twice is a mistake in the
    // file.
    let advice = if earlier.period == period {
        "keep one of them".to_string()
    } else {
        "keep one of them, or read the periods as written with --period-kind day".to_string()
    };
    format!(
        "{symbol} has two rows for {label} ({} on line {}, {period} on line {line}) with different values: {what}; {advice}",
        earlier.period, earlier.line
    )
}

/// The error when the second pass did not find the rows again (it reads them as the first
/// did, so this should not happen): still an error, naming the point.
fn unplaced(src: &Source, clashes: &HashSet<(String, String, u32)>) -> Error {
    let mut list: Vec<&(String, String, u32)> = clashes.iter().collect();
    list.sort();
    let what = list.first().map_or_else(String::new, |(s, m, c)| {
        let p = Period::from_code(*c).map_or_else(|| c.to_string(), |p| p.to_string());
        format!(": {s} {m} at {p}")
    });
    src.file_error(format!(
        "gives one company two different values for one period{what}"
    ))
}

/// A number as the message shows it: as Rust prints it, which round-trips.
fn shown(v: f64) -> String {
    format!("{v}")
}

/// The column a period is written in, when it is.
fn period_column(period: PeriodFrom) -> Option<usize> {
    match period {
        PeriodFrom::Column(c) => Some(c),
        PeriodFrom::Fixed(_) | PeriodFrom::Nothing => None,
    }
}

/// A row's period as written and as read; `None` for a row the first pass rejected (it
/// never gets here then) or a file without periods.
fn period_of(
    record: &ByteRecord,
    period: PeriodFrom,
    kind: Option<PeriodKind>,
) -> Option<(String, u32)> {
    match period {
        PeriodFrom::Column(c) => {
            let written = text(record, c)?;
            let p = read_period(written, kind).ok()?;
            Some((written.to_string(), p.code()))
        }
        PeriodFrom::Fixed(p) => Some((format!("--period {p}"), p.code())),
        PeriodFrom::Nothing => None,
    }
}

/// A cell as trimmed text.
fn text(record: &ByteRecord, col: usize) -> Option<&str> {
    record
        .get(col)
        .and_then(|c| std::str::from_utf8(c).ok())
        .map(str::trim)
}

fn line_of(src: &Source, record: &ByteRecord) -> usize {
    let start = record.position().map_or(0, |p| p.byte());
    locate(src.text, usize::try_from(start).unwrap_or(usize::MAX), 0).0
}

/// The data rows of the file, one record at a time.
struct Rows<'a> {
    rdr: csv::Reader<&'a [u8]>,
    record: ByteRecord,
    started: bool,
}

impl<'a> Rows<'a> {
    fn new(src: &Source<'a>) -> Rows<'a> {
        Rows {
            rdr: src.reader(),
            record: ByteRecord::new(),
            started: false,
        }
    }

    fn next(&mut self) -> Option<&ByteRecord> {
        if !self.started {
            self.started = true;
            // The header.
            if !matches!(self.rdr.read_byte_record(&mut self.record), Ok(true)) {
                return None;
            }
        }
        match self.rdr.read_byte_record(&mut self.record) {
            Ok(true) => Some(&self.record),
            _ => None,
        }
    }
}
