//! What each column of a companies or wide file is ([`plan_columns`]): a metric with its
//! multiplier, an attribute, or nothing; decided once, before any row is read.

use super::header::{Header, PeriodFrom};
use super::metrics::Metrics;
use super::source::Source;
use super::{ImportOptions, is_blank};
use crate::error::Result;
use crate::model::catalog::snake_case;
use crate::model::number::parse_number;
use crate::model::{PeriodKind, STANDARD_ATTRIBUTES};
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
    let mut uses = Vec::with_capacity(header.names.len());
    for i in 0..header.names.len() {
        let is_period = matches!(period, PeriodFrom::Column(c) if c == i);
        if i == symbol || is_period || header.skipped(i) {
            uses.push(Use::Skip);
            continue;
        }
        let name = header.name(i);
        let key = header.keys.get(i).map_or("", String::as_str);
        let map = opts
            .maps
            .iter()
            .find(|m| m.column.trim() == name)
            .or_else(|| opts.maps.iter().find(|m| snake_case(&m.column) == key));
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
        for (i, (filled, text)) in pending.iter().copied().zip(scan_text(src, &pending)) {
            let key = header.keys.get(i).map_or("", String::as_str);
            let u = if text * 2 > filled {
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

    // Two columns feeding one metric or one attribute would overwrite each other row by row;
    // that is almost always a mistake in the file or the maps, so say which columns clash.
    let mut owners: HashMap<String, usize> = HashMap::new();
    for (i, u) in uses.iter().enumerate() {
        let what = match u {
            Use::Metric { entry, .. } => format!("metric '{}'", metrics.id(*entry)),
            Use::Attr(a) => format!("attribute '{a}'"),
            Use::Skip | Use::Pending => continue,
        };
        if let Some(&first) = owners.get(&what) {
            return Err(src.error(
                header_record,
                i,
                format!(
                    "columns '{}' and '{}' both hold {what} (use --map to send one elsewhere)",
                    header.name(first),
                    header.name(i)
                ),
            ));
        }
        owners.insert(what, i);
    }
    Ok(uses)
}

/// For each of `cols`: (non-empty cells, cells that are not numbers), over the data rows.
fn scan_text(src: &Source, cols: &[usize]) -> Vec<(u64, u64)> {
    let mut counts = vec![(0u64, 0u64); cols.len()];
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
            count.0 += 1;
            if std::str::from_utf8(cell)
                .ok()
                .and_then(parse_number)
                .is_none()
            {
                count.1 += 1;
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
