//! The careful row loop of companies and wide files ([`read_table`]), on one thread or, for
//! a large file held in memory, on two ([`read_table_in_halves`]).

use super::header::PeriodFrom;
use super::metrics::Metrics;
use super::plan::{Table, Use};
use super::source::{LastCompany, Source, row_number, row_period};
use super::{PARALLEL_BYTES, PROGRESS_ROWS, is_blank};
use crate::error::Result;
use crate::storage::WriteSet;
use csv::ByteRecord;

/// Reads the rows after the header on two threads, each half into its own write set, then
/// joins them in file order. Only for files without quotes, where every newline ends a row,
/// so the halves can be cut at a newline. `None` means "read it on one thread": the file is
/// small or quoted, or a half failed — the single-threaded read then reports the error with
/// its exact line and column.
pub(super) fn read_table_in_halves(
    src: &Source,
    data_start: usize,
    table: &Table,
    metrics: &mut Metrics,
    set: &WriteSet,
    progress: &mut dyn FnMut(u64),
) -> Option<WriteSet> {
    let data = src.text.get(data_start..)?;
    if data.len() < PARALLEL_BYTES || data.contains(&b'"') {
        return None;
    }
    let split = data_start + data.len() / 2;
    let split = split + src.text[split..].iter().position(|&b| b == b'\n')? + 1;
    // The first half keeps the file's offsets (its reader starts at the header), so its
    // progress reports are true; the second half reports none.
    let first_src = Source {
        file: src.file,
        text: &src.text[..split],
        partial: false,
    };
    let second_src = Source {
        file: src.file,
        text: &src.text[split..],
        partial: false,
    };
    let (mut first_set, mut first_metrics) = (set.clone(), metrics.clone());
    let (mut second_set, mut second_metrics) = (set.clone(), metrics.clone());
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| {
            let mut rdr = second_src.reader();
            read_table(
                &second_src,
                &mut rdr,
                table,
                &mut second_metrics,
                &mut second_set,
                &mut |_| {},
            )
        });
        let mut rdr = first_src.reader();
        let mut header = ByteRecord::new();
        let first = match rdr.read_byte_record(&mut header) {
            Ok(true) => read_table(
                &first_src,
                &mut rdr,
                table,
                &mut first_metrics,
                &mut first_set,
                progress,
            ),
            _ => Err(src.file_error("lost its header")),
        };
        (first, second.join())
    });
    match (first, second) {
        (Ok(()), Ok(Ok(()))) => {
            first_set.absorb(second_set);
            metrics.absorb(&first_metrics);
            metrics.absorb(&second_metrics);
            Some(first_set)
        }
        _ => None,
    }
}

/// The row loop of companies and wide files: the hot path of a bulk import.
pub(super) fn read_table(
    src: &Source,
    rdr: &mut csv::Reader<&[u8]>,
    table: &Table,
    metrics: &mut Metrics,
    set: &mut WriteSet,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    let width = table.header.names.len();
    let mut record = ByteRecord::new();
    let mut last = LastCompany::default();
    // The points of the current company, by column, moved into the set when the company
    // changes (wide files hold a company's periods on consecutive rows).
    let mut runs: Vec<Vec<(u32, f64)>> = vec![Vec::new(); width];
    let mut run_company = None;
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
        let company = last.of(src, &record, table.symbol, table.header, set)?;
        if run_company != Some(company) {
            if let Some(previous) = run_company {
                flush_runs(&table.uses, &mut runs, previous, metrics, set);
            }
            run_company = Some(company);
        }
        let code = match table.period {
            PeriodFrom::Nothing => None,
            PeriodFrom::Fixed(p) => Some(p.code()),
            PeriodFrom::Column(c) => {
                Some(row_period(src, &record, c, table.header, table.period_kind)?.code())
            }
        };
        for (i, ((cell, u), run)) in record
            .iter()
            .zip(&table.uses)
            .zip(runs.iter_mut())
            .enumerate()
        {
            match u {
                Use::Metric { scale, .. } => {
                    if is_blank(cell) {
                        continue;
                    }
                    let v = scale.apply(row_number(src, &record, i, cell, table.header)?);
                    // A --map factor can take a finite number out of range (1e308 * 10).
                    if !v.is_finite() {
                        return Err(src.error(
                            &record,
                            i,
                            format!(
                                "'{}' in column '{}' times its --map factor is not a number finq can hold",
                                String::from_utf8_lossy(cell).trim(),
                                table.header.name(i)
                            ),
                        ));
                    }
                    if let Some(code) = code {
                        run.push((code, v));
                    }
                }
                Use::Attr(name) => {
                    if is_blank(cell) {
                        continue;
                    }
                    let text = src.str(&record, i, cell, table.header.name(i))?;
                    set.set_attr(company, name, text.trim());
                }
                Use::Skip | Use::Pending => {}
            }
        }
    }
    if let Some(company) = run_company {
        flush_runs(&table.uses, &mut runs, company, metrics, set);
    }
    Ok(())
}

fn flush_runs(
    uses: &[Use],
    runs: &mut [Vec<(u32, f64)>],
    company: u32,
    metrics: &mut Metrics,
    set: &mut WriteSet,
) {
    for (u, run) in uses.iter().zip(runs.iter_mut()) {
        if let Use::Metric { entry, .. } = u {
            metrics.append(set, *entry, company, run);
        }
    }
}
