//! The file being read ([`Source`]): building readers, errors that name `file:line:column`
//! ([`locate`] finds the place again from the raw bytes, only when an error happens), and
//! reading one cell of a record as a symbol, a period or a number.

use super::header::Header;
use super::metrics::read_period;
use crate::error::{Error, Result};
use crate::model::number::parse_number;
use crate::model::{Period, PeriodKind};
use crate::storage::WriteSet;
use csv::ByteRecord;

/// The file being read, for building readers and errors.
pub(super) struct Source<'a> {
    pub(super) file: &'a str,
    /// The file's bytes without a byte-order mark; positions count from here.
    pub(super) text: &'a [u8],
    /// Only the head of the file (streaming): what needs every row cannot be decided here.
    pub(super) partial: bool,
}

impl<'a> Source<'a> {
    pub(super) fn reader(&self) -> csv::Reader<&'a [u8]> {
        // Headers are read as an ordinary record so every record, the header included, has a
        // byte position that `locate` understands; row lengths are checked here, with a
        // message that says which row.
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(self.text)
    }

    pub(super) fn file_error(&self, message: impl Into<String>) -> Error {
        Error::File {
            file: self.file.to_string(),
            message: message.into(),
        }
    }

    /// An error at the start of field `field` of `record`.
    pub(super) fn error(
        &self,
        record: &ByteRecord,
        field: usize,
        message: impl Into<String>,
    ) -> Error {
        let start = record.position().map_or(0, |p| p.byte());
        let (line, column) = locate(
            self.text,
            usize::try_from(start).unwrap_or(usize::MAX),
            field,
        );
        Error::Import {
            file: self.file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    pub(super) fn csv_error(&self, e: csv::Error) -> Error {
        // A reader over a byte slice that accepts ragged rows has nothing left to fail on, but
        // the csv crate's error type does not promise that.
        match e.position() {
            Some(p) => {
                let (line, column) = locate(
                    self.text,
                    usize::try_from(p.byte()).unwrap_or(usize::MAX),
                    0,
                );
                Error::Import {
                    file: self.file.to_string(),
                    line,
                    column,
                    message: e.to_string(),
                }
            }
            None => self.file_error(e.to_string()),
        }
    }

    /// A cell as text, or an error at that cell when it is not UTF-8.
    pub(super) fn str<'r>(
        &self,
        record: &ByteRecord,
        field: usize,
        cell: &'r [u8],
        column: &str,
    ) -> Result<&'r str> {
        std::str::from_utf8(cell).map_err(|_| {
            self.error(
                record,
                field,
                format!("column '{column}' holds text that is not UTF-8"),
            )
        })
    }

    /// Checks that a row has as many fields as the header.
    pub(super) fn check_len(&self, record: &ByteRecord, width: usize) -> Result<()> {
        if record.len() == width {
            return Ok(());
        }
        Err(self.error(
            record,
            record.len().min(width),
            format!(
                "this row has {} field{} but the header has {width}",
                record.len(),
                if record.len() == 1 { "" } else { "s" }
            ),
        ))
    }
}

/// The physical line (1-based) and character column (1-based) where field `field` of the
/// record starting at byte `start` begins. Only errors call this, so it may scan: the line
/// number counts every newline before the cell, quoted ones included.
pub(super) fn locate(text: &[u8], start: usize, field: usize) -> (usize, usize) {
    let len = text.len();
    let mut i = start.min(len);
    // The csv reader skips blank lines before a record; its position is before them.
    while i < len && matches!(text.get(i), Some(b'\r' | b'\n')) {
        i += 1;
    }
    let mut f = 0;
    while f < field && i < len {
        if text.get(i) == Some(&b'"') {
            i += 1;
            while i < len {
                match (text.get(i), text.get(i + 1)) {
                    (Some(b'"'), Some(b'"')) => i += 2,
                    (Some(b'"'), _) => {
                        i += 1;
                        break;
                    }
                    _ => i += 1,
                }
            }
        }
        while i < len && !matches!(text.get(i), Some(b',' | b'\r' | b'\n')) {
            i += 1;
        }
        if text.get(i) == Some(&b',') {
            i += 1;
            f += 1;
        } else {
            // The record ended before that field: point just after its last character.
            break;
        }
    }
    let before = text.get(..i).unwrap_or(text);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let in_line = before.get(line_start..).unwrap_or(&[]);
    (line, char_count(in_line) + 1)
}

/// Characters in UTF-8 text (continuation bytes do not start a character).
fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// The company of the last row, so that the many rows of one company in a wide file cost one
/// comparison instead of a symbol lookup each.
#[derive(Default)]
pub(super) struct LastCompany {
    pub(super) cell: Vec<u8>,
    pub(super) company: Option<u32>,
}

impl LastCompany {
    pub(super) fn of(
        &mut self,
        src: &Source,
        record: &ByteRecord,
        col: usize,
        header: &Header,
        set: &mut WriteSet,
    ) -> Result<u32> {
        let cell = record.get(col).unwrap_or(&[]);
        if let Some(c) = self.company
            && cell == self.cell.as_slice()
        {
            return Ok(c);
        }
        let text = src.str(record, col, cell, header.name(col))?.trim();
        if text.is_empty() {
            return Err(src.error(
                record,
                col,
                format!("missing symbol (column '{}')", header.name(col)),
            ));
        }
        let c = set.company(text);
        self.cell.clear();
        self.cell.extend_from_slice(cell);
        self.company = Some(c);
        Ok(c)
    }
}

pub(super) fn row_period(
    src: &Source,
    record: &ByteRecord,
    col: usize,
    header: &Header,
    kind: Option<PeriodKind>,
) -> Result<Period> {
    let cell = record.get(col).unwrap_or(&[]);
    let text = src.str(record, col, cell, header.name(col))?;
    if text.trim().is_empty() {
        return Err(src.error(
            record,
            col,
            format!("missing period (column '{}')", header.name(col)),
        ));
    }
    read_period(text, kind).map_err(|m| src.error(record, col, m))
}

pub(super) fn row_number(
    src: &Source,
    record: &ByteRecord,
    col: usize,
    cell: &[u8],
    header: &Header,
) -> Result<f64> {
    let text = src.str(record, col, cell, header.name(col))?;
    parse_number(text).ok_or_else(|| {
        src.error(
            record,
            col,
            format!(
                "'{}' in column '{}' is not a number (write one such as -12.93, 12.5%, 1.5e9 or 5.18B, or leave the cell empty)",
                text.trim(),
                header.name(col)
            ),
        )
    })
}
