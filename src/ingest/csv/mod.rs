//! CSV imports: companies, long-point and wide-point files (DATA_FORMATS.md "CSV").
//!
//! A file becomes one [`WriteSet`], so it is stored completely or not at all. The header
//! decides the shape ([`Shape::choose`]); each column of a companies or wide file gets one
//! [`Use`] (metric, attribute or nothing) before any row is read, so the row loop only parses
//! numbers and collects each company's points. A large sorted wide file streams from disk
//! straight into encoded chunks ([`read_streaming`], `csv/fast.rs`); everything else is read
//! whole by the careful reader here. Errors name the physical line and the character column
//! where the offending cell starts (`source.rs`), found again from the raw bytes only when an
//! error happens, so the row loops keep no per-cell bookkeeping.
//!
//! The files: `source.rs` (the file's bytes, errors at a cell, reading one cell),
//! `header.rs` (the header row and the choice of shape), `plan.rs` (what each column of a
//! wide or companies file is), `metrics.rs` (metric names resolved once per file),
//! `wide.rs` and `long.rs` (the careful row loops), `fast.rs` (the bulk path).

mod conflict;
mod fast;
mod header;
mod long;
mod metrics;
mod plan;
mod source;
#[cfg(test)]
mod tests;
mod wide;

use super::ImportOptions;
use crate::error::Result;
use crate::model::Catalog;
use crate::storage::WriteSet;
use csv::ByteRecord;
use header::{Header, PeriodFrom, Shape};
use long::read_long;
use plan::{Scale, Table, Use};
use source::Source;
use wide::{read_table, read_table_in_halves};

pub(super) use metrics::{Metrics, read_period};

/// Rows between two progress reports: often enough for a smooth bar, rare enough to cost
/// nothing.
const PROGRESS_ROWS: u64 = 1 << 16;

/// Reads a CSV file of any of the three shapes into a write set. `file` is the name errors
/// show; `progress` hears the number of bytes read every so often and once at the end.
pub fn read(
    file: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    catalog: &Catalog,
    progress: &mut dyn FnMut(u64),
) -> Result<WriteSet> {
    let src = Source {
        file,
        text: bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes),
        partial: false,
    };
    if src.text.iter().all(u8::is_ascii_whitespace) {
        return Err(src.file_error("is empty"));
    }
    let mut rdr = src.reader();
    let mut record = ByteRecord::new();
    if !rdr
        .read_byte_record(&mut record)
        .map_err(|e| src.csv_error(e))?
    {
        return Err(src.file_error("is empty"));
    }
    let header = Header::read(&src, &record, &opts.skip)?;
    let mut set = WriteSet::new();
    let mut metrics = Metrics::new(catalog);
    match Shape::choose(&src, &header, opts)? {
        Shape::Long(cols) => {
            read_long(
                &src,
                &mut rdr,
                &header,
                &cols,
                opts,
                &mut metrics,
                &mut set,
                progress,
            )?;
            conflict::check_long(&src, &cols, opts.period_kind, &metrics, &set)?;
        }
        Shape::Table { symbol, period } => {
            let table = Table::plan(
                &src,
                &header,
                &record,
                symbol,
                period,
                opts,
                &mut metrics,
                &mut set,
            )?;
            let data_start = usize::try_from(rdr.position().byte()).unwrap_or(usize::MAX);
            match read_table_in_halves(&src, data_start, &table, &mut metrics, &set, progress) {
                Some(done) => set = done,
                None => read_table(&src, &mut rdr, &table, &mut metrics, &mut set, progress)?,
            }
            conflict::check_table(&src, &table, &set)?;
        }
    }
    metrics.register_new(&mut set);
    progress(bytes.len() as u64);
    Ok(set)
}

/// Reads a large wide file without holding it whole: the header is read from the file's
/// head and the rows stream through the bulk path. `Ok(None)` when that path does not apply
/// (small, quoted, unsorted, a column to decide by its contents, anything irregular): the
/// caller then reads the whole file with [`read`], which also names any error.
pub(super) fn read_streaming(
    file: &str,
    path: &std::path::Path,
    opts: &ImportOptions,
    catalog: &Catalog,
    progress: &mut dyn FnMut(u64),
) -> Result<Option<WriteSet>> {
    use std::os::unix::fs::FileExt;
    const HEAD: usize = 1 << 20;
    let Ok(handle) = std::fs::File::open(path) else {
        return Ok(None);
    };
    let Some(len) = handle
        .metadata()
        .ok()
        .and_then(|m| usize::try_from(m.len()).ok())
    else {
        return Ok(None);
    };
    if len < PARALLEL_BYTES {
        return Ok(None);
    }
    let mut head = vec![0u8; HEAD];
    if handle.read_exact_at(&mut head, 0).is_err() {
        return Ok(None);
    }
    let Some(last) = memchr::memrchr(b'\n', &head) else {
        return Ok(None);
    };
    head.truncate(last + 1);
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let src = Source {
        file,
        text: &head[bom..],
        partial: true,
    };
    let mut rdr = src.reader();
    let mut record = ByteRecord::new();
    if !matches!(rdr.read_byte_record(&mut record), Ok(true)) {
        return Ok(None);
    }
    // Any problem with the header is left to the whole-file read, which reports it.
    let Ok(header) = Header::read(&src, &record, &opts.skip) else {
        return Ok(None);
    };
    let Ok(Shape::Table { symbol, period }) = Shape::choose(&src, &header, opts) else {
        return Ok(None);
    };
    let mut set = WriteSet::new();
    let mut metrics = Metrics::new(catalog);
    let Ok(table) = Table::plan(
        &src,
        &header,
        &record,
        symbol,
        period,
        opts,
        &mut metrics,
        &mut set,
    ) else {
        return Ok(None);
    };
    let mut data_start = bom + usize::try_from(rdr.position().byte()).unwrap_or(usize::MAX);
    // After a CRLF header the reader stands between the CR and the LF.
    if head.get(data_start) == Some(&b'\n') {
        data_start += 1;
    }
    let set = fast::read_packed_file(&handle, len, data_start, &table, &metrics, &set, progress);
    if set.is_some() {
        progress(len as u64);
    }
    Ok(set)
}

/// A cell with nothing in it but spaces: no point, no attribute change.
pub(super) fn is_blank(cell: &[u8]) -> bool {
    cell.iter().all(u8::is_ascii_whitespace)
}

/// Files smaller than this are read on one thread (and not streamed): starting a second
/// costs more.
pub(super) const PARALLEL_BYTES: usize = 4 << 20;
