//! What each column of a companies or wide file is ([`plan_columns`]): a metric with its
//! multiplier, an attribute, or nothing; decided once, before any row is read.

use super::header::{Header, PeriodFrom};
use super::metrics::Metrics;
use super::source::Source;
use super::{ImportOptions, is_blank};
use crate::error::Result;
use crate::ingest::ColumnMap;
use crate::model::catalog::snake_case;
use crate::model::number::parse_number;
use crate::model::{Period, PeriodKind, STANDARD_ATTRIBUTES};
use crate::storage::WriteSet;
use csv::ByteRecord;
use std::collections::HashMap;

/// A multiplier from `--map COL=METRIC*FACTOR`. Factors that are 1/10^k divide instead, so
/// `58.0 * 0.01` gives the double nearest 0.58, as `58%` would.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Scale {
    One,
    Times(f64),
    Over(f64),
}

impl Scale {
    pub(super) fn of(factor: f64) -> Scale {
        let inverse = 1.0 / factor;
        if factor == 1.0 {
            Scale::One
        } else if inverse.is_finite() && inverse.abs() >= 2.0 && inverse.fract() == 0.0 {
            Scale::Over(inverse)
        } else {
            Scale::Times(factor)
        }
    }

    #[inline]
    pub(super) fn apply(self, v: f64) -> f64 {
        match self {
            Scale::One => v,
            Scale::Times(f) => v * f,
            Scale::Over(d) => v / d,
        }
    }
}

/// What one column of a companies or wide file is.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Use {
    Skip,
    /// An entry of [`Metrics`] and the multiplier of its values.
    Metric {
        entry: usize,
        scale: Scale,
    },
    /// A company attribute of this name.
    Attr(String),
    /// Undecided until the file is scanned: mostly text → attribute, else a new metric.
    Pending,
}

/// Decides each column of a companies or wide file (DATA_FORMATS.md, "Other people's CSV
/// files"): a `--map` entry first, then a standard attribute name, then a catalog metric;
/// in a wide file what is left becomes an attribute when mostly text and a new metric
/// otherwise, which takes one extra pass over the file (only when such columns exist).
#[allow(clippy::too_many_arguments)]
fn plan_columns(
    src: &Source,
    header: &Header,
    header_record: &ByteRecord,
    symbol: usize,
    period: PeriodFrom,
    opts: &ImportOptions,
    metrics: &mut Metrics,
    set: &mut WriteSet,
) -> Result<Vec<Use>> {
    let companies = matches!(period, PeriodFrom::Nothing);
    let taken: Vec<usize> = match period {
        PeriodFrom::Column(c) => vec![symbol, c],
        PeriodFrom::Fixed(_) | PeriodFrom::Nothing => vec![symbol],
    };
    let maps = header.maps(src, &opts.maps, &taken)?;
    let mut uses = Vec::with_capacity(header.names.len());
    for (i, map) in maps.iter().enumerate() {
        if taken.contains(&i) || header.skipped(i) {
            uses.push(Use::Skip);
            continue;
        }
        let name = header.name(i);
        let key = header.keys.get(i).map_or("", String::as_str);
        let u = if let Some(m) = map {
            let target = snake_case(&m.target);
            if target.is_empty() {
                return Err(src.file_error(format!(
                    "--map target '{}' is not a metric or attribute name",
                    m.target
                )));
            }
            let is_metric = metrics.catalog.get(&m.target).is_some();
            if STANDARD_ATTRIBUTES.contains(&target.as_str()) || (companies && !is_metric) {
                if let Some(unit) = m.unit {
                    return Err(src.file_error(format!(
                        "--map \"{name}={}\" sends the column to attribute '{target}', which is text and has no unit ({})",
                        m.target,
                        unit.name()
                    )));
                }
                Use::Attr(target)
            } else if companies {
                return Err(src.error(
                    header_record,
                    i,
                    format!(
                        "--map sends column '{name}' to metric '{}', but a companies file has no period (give --period)",
                        m.target
                    ),
                ));
            } else {
                let entry = metrics.resolve(set, &m.target).ok_or_else(|| {
                    src.file_error(format!(
                        "--map target '{}' is not a metric or attribute name",
                        m.target
                    ))
                })?;
                let like = metrics.catalog.get(name).map(|d| d.unit);
                if let Err(known) = metrics.set_unit(entry, m.unit, like) {
                    return Err(src.file_error(format!(
                        "--map \"{name}={}\" gives metric '{}' unit {}, but it is {} in the catalog (map the column to a new metric to give it another unit)",
                        m.target,
                        metrics.id(entry),
                        m.unit.map_or("", |u| u.name()),
                        known.name()
                    )));
                }
                Use::Metric {
                    entry,
                    scale: Scale::of(m.factor),
                }
            }
        } else if companies || STANDARD_ATTRIBUTES.contains(&key) {
            Use::Attr(key.to_string())
        } else if metrics.catalog.get(name).is_some() {
            match metrics.resolve(set, name) {
                Some(entry) => Use::Metric {
                    entry,
                    scale: Scale::One,
                },
                None => Use::Skip,
            }
        } else {
            Use::Pending
        };
        uses.push(u);
    }

    let pending: Vec<usize> = (0..uses.len())
        .filter(|&i| uses.get(i) == Some(&Use::Pending))
        .collect();
    if !pending.is_empty() {
        if src.partial {
            // Deciding needs every row; the caller reads the whole file instead.
            return Err(src.file_error("has columns to decide by their contents"));
        }
        for (&i, cells) in pending.iter().zip(scan(src, &pending, false)) {
            let key = header.keys.get(i).map_or("", String::as_str);
            let u = if cells.mostly_text() {
                Use::Attr(key.to_string())
            } else {
                match metrics.resolve(set, header.name(i)) {
                    Some(entry) => Use::Metric {
                        entry,
                        scale: Scale::One,
                    },
                    None => Use::Skip,
                }
            };
            if let Some(slot) = uses.get_mut(i) {
                *slot = u;
            }
        }
    }
    if companies && !opts.companies {
        figures_without_a_period(src, header, &uses, &maps, metrics)?;
    }
    one_column_each(src, header, header_record, &uses, metrics)?;
    Ok(uses)
}

/// Two columns feeding one metric or one attribute would overwrite each other row by row;
/// that is almost always a mistake in the file or the maps, so say which columns clash and
/// how to keep one.
fn one_column_each(
    src: &Source,
    header: &Header,
    header_record: &ByteRecord,
    uses: &[Use],
    metrics: &Metrics,
) -> Result<()> {
    let mut owners: HashMap<String, usize> = HashMap::new();
    for (i, u) in uses.iter().enumerate() {
        let what = match u {
            Use::Metric { entry, .. } => format!("metric '{}'", metrics.id(*entry)),
            Use::Attr(a) => format!("attribute '{a}'"),
            Use::Skip | Use::Pending => continue,
        };
        if let Some(&first) = owners.get(&what) {
            let (a, b) = (header.name(first), header.name(i));
            return Err(src.error(
                header_record,
                i,
                format!(
                    "columns '{a}' and '{b}' both hold {what}: leave one out (--skip \"{a}\" or --skip \"{b}\"), or send one elsewhere with --map"
                ),
            ));
        }
        owners.insert(what, i);
    }
    Ok(())
}

/// A file without a period column and without `--period` is a companies file, whose
/// columns are text attributes. When its columns are plainly figures — one names a catalog
/// metric, or most of them hold numbers — storing them as text is not what was meant
/// (issue 13: the NYSE fundamentals became 448 companies and no points), so it is an error
/// that says how to give the period, unless `--companies` says it is a companies file.
fn figures_without_a_period(
    src: &Source,
    header: &Header,
    uses: &[Use],
    maps: &[Option<&ColumnMap>],
    metrics: &Metrics,
) -> Result<()> {
    let text_columns = uses.iter().filter(|u| matches!(u, Use::Attr(_))).count();
    // Columns a map or a standard name makes attributes were meant to be text.
    let open: Vec<usize> = (0..uses.len())
        .filter(|&i| {
            matches!(uses.get(i), Some(Use::Attr(a)) if !STANDARD_ATTRIBUTES.contains(&a.as_str()))
                && maps.get(i).is_some_and(Option::is_none)
        })
        .collect();
    if open.is_empty() {
        return Ok(());
    }
    if src.partial {
        return Err(src.file_error("has columns to decide by their contents"));
    }
    let cells = scan(src, &open, true);
    let figures: Vec<usize> = open
        .iter()
        .zip(&cells)
        .filter(|(_, c)| c.filled > 0 && !c.mostly_text())
        .map(|(&i, _)| i)
        .collect();
    let named = figures
        .iter()
        .any(|&i| metrics.catalog.get(header.name(i)).is_some());
    if !named && figures.len() * 2 <= text_columns {
        return Ok(());
    }
    // Metric names first: they show best that these are figures.
    let mut shown: Vec<usize> = figures.clone();
    shown.sort_by_key(|&i| metrics.catalog.get(header.name(i)).is_none());
    let mut list: Vec<String> = shown
        .iter()
        .take(3)
        .map(|&i| format!("'{}'", header.name(i)))
        .collect();
    let more = figures.len().saturating_sub(list.len());
    let columns = if more > 0 {
        format!("{} and {more} more columns hold", list.join(", "))
    } else if list.len() > 1 {
        let last = list.pop().unwrap_or_default();
        format!("{} and {last} hold", list.join(", "))
    } else {
        format!("{} holds", list.join(""))
    };
    let period_col = open
        .iter()
        .zip(&cells)
        .find(|(_, c)| c.mostly_text() && c.periods * 2 > c.filled)
        .map_or_else(
            || "--period-col COLUMN".to_string(),
            |(&i, _)| format!("--period-col \"{}\"", header.name(i)),
        );
    Err(src.file_error(format!(
        "has no period column, so its figures would be stored as text: {columns} numbers. Name the period column with {period_col}, or give every row one period with --period (or, to store them as text, say it is a companies file with --companies)"
    )))
}

/// What the cells of one column hold, over the data rows.
#[derive(Clone, Copy, Default)]
struct Cells {
    /// Cells that are not blank.
    filled: u64,
    /// Cells that are not numbers.
    text: u64,
    /// Cells that are periods (counted only when asked).
    periods: u64,
}

impl Cells {
    fn mostly_text(&self) -> bool {
        self.text * 2 > self.filled
    }
}

/// What the cells of each of `cols` hold, over the data rows.
fn scan(src: &Source, cols: &[usize], periods: bool) -> Vec<Cells> {
    let mut counts = vec![Cells::default(); cols.len()];
    let mut rdr = src.reader();
    let mut record = ByteRecord::new();
    let mut header = true;
    while let Ok(true) = rdr.read_byte_record(&mut record) {
        if std::mem::take(&mut header) {
            continue;
        }
        for (&c, count) in cols.iter().zip(counts.iter_mut()) {
            let Some(cell) = record.get(c) else { continue };
            if is_blank(cell) {
                continue;
            }
            count.filled += 1;
            let text = std::str::from_utf8(cell).ok();
            if text.and_then(parse_number).is_none() {
                count.text += 1;
            }
            if periods && text.and_then(|t| Period::parse(t.trim())).is_some() {
                count.periods += 1;
            }
        }
    }
    counts
}

/// A companies or wide file, planned.
pub(super) struct Table<'h> {
    pub(super) header: &'h Header,
    pub(super) symbol: usize,
    pub(super) period: PeriodFrom,
    pub(super) period_kind: Option<PeriodKind>,
    pub(super) uses: Vec<Use>,
}

impl<'h> Table<'h> {
    /// Decides every column's use ([`plan_columns`]) for a file of the table shape.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn plan(
        src: &Source,
        header: &'h Header,
        header_record: &ByteRecord,
        symbol: usize,
        period: PeriodFrom,
        opts: &ImportOptions,
        metrics: &mut Metrics,
        set: &mut WriteSet,
    ) -> Result<Table<'h>> {
        let uses = plan_columns(
            src,
            header,
            header_record,
            symbol,
            period,
            opts,
            metrics,
            set,
        )?;
        Ok(Table {
            header,
            symbol,
            period,
            period_kind: opts.period_kind,
            uses,
        })
    }
}
