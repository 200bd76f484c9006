//! The row loop of long files (`symbol,metric,period,value`): one point per row.

use super::header::{Header, LongColumns, PeriodFrom};
use super::metrics::Metrics;
use super::source::{LastCompany, Source, row_number, row_period};
use super::{ImportOptions, PROGRESS_ROWS, is_blank};
use crate::error::Result;
use crate::storage::WriteSet;
use csv::ByteRecord;
use std::collections::HashMap;

/// The row loop of long files: one point per row.
#[allow(clippy::too_many_arguments)]
pub(super) fn read_long(
    src: &Source,
    rdr: &mut csv::Reader<&[u8]>,
    header: &Header,
    cols: &LongColumns,
    opts: &ImportOptions,
    metrics: &mut Metrics,
    set: &mut WriteSet,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    let width = header.names.len();
    let mut record = ByteRecord::new();
    let mut last = LastCompany::default();
    // Metric cells as written → entry, so a name is resolved once per file, not per row.
    let mut entries: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut rows = 0u64;
    while rdr
        .read_byte_record(&mut record)
        .map_err(|e| src.csv_error(e))?
    {
        rows += 1;
        if rows.is_multiple_of(PROGRESS_ROWS) {
            progress(record.position().map_or(0, |p| p.byte()));
        }
        src.check_len(&record, width)?;
        let company = last.of(src, &record, cols.symbol, header, set)?;
        let period = match cols.period {
            PeriodFrom::Column(c) => row_period(src, &record, c, header, opts.period_kind)?,
            PeriodFrom::Fixed(p) => p,
            // `Shape::choose` gives a long file a period source or rejects it.
            PeriodFrom::Nothing => continue,
        };
        let cell = record.get(cols.metric).unwrap_or(&[]);
        let entry = match entries.get(cell) {
            Some(&e) => e,
            None => {
                let text = src
                    .str(&record, cols.metric, cell, header.name(cols.metric))?
                    .trim();
                if text.is_empty() {
                    return Err(src.error(&record, cols.metric, "missing metric"));
                }
                let e = metrics.resolve(set, text).ok_or_else(|| {
                    src.error(
                        &record,
                        cols.metric,
                        format!("'{text}' is not a metric name"),
                    )
                })?;
                entries.insert(cell.to_vec(), e);
                e
            }
        };
        let cell = record.get(cols.value).unwrap_or(&[]);
        if is_blank(cell) {
            continue;
        }
        let v = row_number(src, &record, cols.value, cell, header)?;
        metrics.push(set, entry, company, period, v);
    }
    Ok(())
}
