//! CSV imports: companies, long-point and wide-point files (DATA_FORMATS.md "CSV").
//!
//! A file becomes one [`WriteSet`], so it is stored completely or not at all. The header
//! decides the shape ([`Shape::choose`]); each column of a companies or wide file gets one
//! [`Use`] (metric, attribute or nothing) before any row is read, so the row loop only parses
//! numbers and collects each company's points. A large sorted wide file streams from disk
//! straight into encoded chunks ([`read_streaming`], `csv/fast.rs`); everything else is read
//! whole by the careful reader here. Errors name the physical line and the character column
//! where the offending cell starts ([`locate`]), found again from the raw bytes only when an
//! error happens, so the row loops keep no per-cell bookkeeping.

mod fast;

use super::ImportOptions;
use crate::error::{Error, Result};
use crate::model::catalog::snake_case;
use crate::model::number::parse_number;
use crate::model::{Catalog, MetricDef, Period, PeriodKind, STANDARD_ATTRIBUTES};
use crate::storage::WriteSet;
use csv::ByteRecord;
use std::collections::HashMap;

/// Rows between two progress reports: often enough for a smooth bar, rare enough to cost
/// nothing.
const PROGRESS_ROWS: u64 = 1 << 16;

/// Header names that hold the symbol when `--symbol-col` is not given.
const SYMBOL_NAMES: [&str; 3] = ["symbol", "ticker", "ticker_symbol"];

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
    let header = Header::read(&src, &record)?;
    let mut set = WriteSet::new();
    let mut metrics = Metrics::new(catalog);
    match Shape::choose(&src, &header, opts)? {
        Shape::Long(cols) => read_long(
            &src,
            &mut rdr,
            &header,
            &cols,
            opts,
            &mut metrics,
            &mut set,
            progress,
        )?,
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
            match read_table_in_halves(&src, data_start, &table, &metrics, &set, progress) {
                Some(done) => set = done,
                None => read_table(&src, &mut rdr, &table, &mut metrics, &mut set, progress)?,
            }
        }
    }
    progress(bytes.len() as u64);
    Ok(set)
}

/// The file being read, for building readers and errors.
struct Source<'a> {
    file: &'a str,
    /// The file's bytes without a byte-order mark; positions count from here.
    text: &'a [u8],
    /// Only the head of the file (streaming): what needs every row cannot be decided here.
    partial: bool,
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
    let Ok(header) = Header::read(&src, &record) else {
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

impl<'a> Source<'a> {
    fn reader(&self) -> csv::Reader<&'a [u8]> {
        // Headers are read as an ordinary record so every record, the header included, has a
        // byte position that `locate` understands; row lengths are checked here, with a
        // message that says which row.
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(self.text)
    }

    fn file_error(&self, message: impl Into<String>) -> Error {
        Error::File {
            file: self.file.to_string(),
            message: message.into(),
        }
    }

    /// An error at the start of field `field` of `record`.
    fn error(&self, record: &ByteRecord, field: usize, message: impl Into<String>) -> Error {
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

    fn csv_error(&self, e: csv::Error) -> Error {
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
    fn str<'r>(
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
    fn check_len(&self, record: &ByteRecord, width: usize) -> Result<()> {
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
fn locate(text: &[u8], start: usize, field: usize) -> (usize, usize) {
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

/// A cell with nothing in it but spaces: no point, no attribute change.
fn is_blank(cell: &[u8]) -> bool {
    cell.iter().all(u8::is_ascii_whitespace)
}

/// The header row: names as written (trimmed) and their snake_case keys, which is how
/// columns are compared.
struct Header {
    names: Vec<String>,
    keys: Vec<String>,
}

impl Header {
    fn read(src: &Source, record: &ByteRecord) -> Result<Header> {
        let mut names = Vec::with_capacity(record.len());
        let mut keys = Vec::with_capacity(record.len());
        for (i, cell) in record.iter().enumerate() {
            let name = std::str::from_utf8(cell)
                .map_err(|_| src.error(record, i, "this column name is not UTF-8"))?
                .trim();
            keys.push(snake_case(name));
            names.push(name.to_string());
        }
        let header = Header { names, keys };
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, key) in header.keys.iter().enumerate() {
            if header.skipped(i) {
                continue;
            }
            if let Some(&first) = seen.get(key.as_str()) {
                return Err(src.error(
                    record,
                    i,
                    format!(
                        "column '{}' repeats column '{}'",
                        header.name(i),
                        header.name(first)
                    ),
                ));
            }
            seen.insert(key, i);
        }
        Ok(header)
    }

    fn name(&self, i: usize) -> &str {
        self.names.get(i).map_or("", String::as_str)
    }

    /// A column whose name has no letter or digit (empty, `#`) is a saved row index: skipped.
    fn skipped(&self, i: usize) -> bool {
        self.keys.get(i).is_none_or(|k| k.is_empty())
    }

    /// The column a command-line option names: exactly as written first, then by snake_case.
    fn find(&self, wanted: &str) -> Option<usize> {
        let wanted = wanted.trim();
        self.names.iter().position(|n| n == wanted).or_else(|| {
            let key = snake_case(wanted);
            (!key.is_empty())
                .then(|| self.keys.iter().position(|k| *k == key))
                .flatten()
        })
    }

    fn key_position(&self, key: &str, except: &[usize]) -> Option<usize> {
        self.keys
            .iter()
            .enumerate()
            .position(|(i, k)| k == key && !except.contains(&i))
    }

    fn list(&self) -> String {
        let shown: Vec<String> = (0..self.names.len())
            .filter(|&i| !self.skipped(i))
            .map(|i| format!("'{}'", self.name(i)))
            .collect();
        shown.join(", ")
    }
}

/// Where the period of a row comes from.
#[derive(Clone, Copy, Debug)]
enum PeriodFrom {
    /// A companies file: rows carry no period.
    Nothing,
    /// `--period P` for every row.
    Fixed(Period),
    /// This column.
    Column(usize),
}

/// Column positions of a long file.
struct LongColumns {
    symbol: usize,
    metric: usize,
    value: usize,
    period: PeriodFrom,
}

/// The three shapes of DATA_FORMATS.md; companies and wide files share one reader, the
/// companies shape being a wide one without periods or metrics.
enum Shape {
    Long(LongColumns),
    Table { symbol: usize, period: PeriodFrom },
}

impl Shape {
    fn choose(src: &Source, header: &Header, opts: &ImportOptions) -> Result<Shape> {
        let symbol = match &opts.symbol_col {
            Some(c) => header.find(c).ok_or_else(|| {
                src.file_error(format!(
                    "has no column '{c}' (--symbol-col); its columns are {}",
                    header.list()
                ))
            })?,
            None => SYMBOL_NAMES
                .iter()
                .find_map(|n| header.key_position(n, &[]))
                .ok_or_else(|| {
                    src.file_error(format!(
                        "has no symbol column (name it with --symbol-col); its columns are {}",
                        header.list()
                    ))
                })?,
        };
        let period_col = match &opts.period_col {
            Some(c) => {
                let i = header.find(c).ok_or_else(|| {
                    src.file_error(format!(
                        "has no column '{c}' (--period-col); its columns are {}",
                        header.list()
                    ))
                })?;
                if i == symbol {
                    return Err(src.file_error(format!(
                        "column '{c}' cannot hold both the symbol and the period"
                    )));
                }
                Some(i)
            }
            None => header.key_position("period", &[symbol]),
        };
        if opts.companies {
            return Ok(Shape::Table {
                symbol,
                period: PeriodFrom::Nothing,
            });
        }
        let period = match (period_col, opts.period) {
            (Some(c), _) => PeriodFrom::Column(c),
            (None, Some(p)) => PeriodFrom::Fixed(p),
            (None, None) => PeriodFrom::Nothing,
        };
        let taken: Vec<usize> = [Some(symbol), period_col].into_iter().flatten().collect();
        let metric = header.key_position("metric", &taken);
        let value = header.key_position("value", &taken);
        if let (Some(metric), Some(value)) = (metric, value) {
            if let PeriodFrom::Nothing = period {
                return Err(src.file_error(
                    "has symbol, metric and value columns but no period column (add one, or give --period)",
                ));
            }
            let known = [symbol, metric, value];
            if let Some(extra) = (0..header.names.len())
                .find(|i| !header.skipped(*i) && !known.contains(i) && Some(*i) != period_col)
            {
                let (line, column) = locate(src.text, 0, extra);
                return Err(Error::Import {
                    file: src.file.to_string(),
                    line,
                    column,
                    message: format!(
                        "column '{}' does not belong in a long file (its columns are symbol, metric, period, value)",
                        header.name(extra)
                    ),
                });
            }
            return Ok(Shape::Long(LongColumns {
                symbol,
                metric,
                value,
                period,
            }));
        }
        Ok(Shape::Table { symbol, period })
    }
}

/// A multiplier from `--map COL=METRIC*FACTOR`. Factors that are 1/10^k divide instead, so
/// `58.0 * 0.01` gives the double nearest 0.58, as `58%` would.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scale {
    One,
    Times(f64),
    Over(f64),
}

impl Scale {
    fn of(factor: f64) -> Scale {
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
    fn apply(self, v: f64) -> f64 {
        match self {
            Scale::One => v,
            Scale::Times(f) => v * f,
            Scale::Over(d) => v / d,
        }
    }
}

/// What one column of a companies or wide file is.
#[derive(Clone, Debug, PartialEq)]
enum Use {
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

/// Metric names resolved through the catalog once per file. A metric the catalog does not
/// know is registered with the file's write set when its first point arrives, so a column
/// that brings no numbers registers nothing.
#[derive(Clone)]
pub(super) struct Metrics<'c> {
    catalog: &'c Catalog,
    by_name: HashMap<String, usize>,
    entries: Vec<MetricEntry>,
}

#[derive(Clone)]
struct MetricEntry {
    id: String,
    index: u32,
    /// Still to be registered (an unknown metric with no point yet).
    unregistered: bool,
}

impl<'c> Metrics<'c> {
    pub(super) fn new(catalog: &'c Catalog) -> Metrics<'c> {
        Metrics {
            catalog,
            by_name: HashMap::new(),
            entries: Vec::new(),
        }
    }

    /// The entry of a metric name as a file writes it (id, alias or display name, any case);
    /// `None` when the name has no letter or digit to make an id from.
    pub(super) fn resolve(&mut self, set: &mut WriteSet, name: &str) -> Option<usize> {
        if let Some(&e) = self.by_name.get(name) {
            return Some(e);
        }
        let (id, unregistered) = match self.catalog.get(name) {
            Some(def) => (def.id.clone(), false),
            None => (snake_case(name), true),
        };
        if id.is_empty() {
            return None;
        }
        // Two spellings of one metric share an entry, so "registered once" holds per id.
        let entry = match self.entries.iter().position(|e| e.id == id) {
            Some(e) => e,
            None => {
                self.entries.push(MetricEntry {
                    index: set.metric(&id),
                    id,
                    unregistered,
                });
                self.entries.len() - 1
            }
        };
        self.by_name.insert(name.to_string(), entry);
        Some(entry)
    }

    pub(super) fn id(&self, entry: usize) -> &str {
        self.entries.get(entry).map_or("", |e| e.id.as_str())
    }

    #[inline]
    pub(super) fn push(
        &mut self,
        set: &mut WriteSet,
        entry: usize,
        company: u32,
        period: Period,
        value: f64,
    ) {
        let Some(e) = self.entries.get_mut(entry) else {
            return;
        };
        if e.unregistered {
            e.unregistered = false;
            set.register(MetricDef::registered(&e.id));
        }
        set.push(company, e.index, period, value);
    }

    /// Moves a run of points of one company into the set, as [`Metrics::push`] would one at
    /// a time but with one series lookup for the run: the wide reader collects a company's
    /// rows this way, which spares a hash lookup per cell of a large file.
    fn append(
        &mut self,
        set: &mut WriteSet,
        entry: usize,
        company: u32,
        points: &mut Vec<(u32, f64)>,
    ) {
        let Some(e) = self.entries.get_mut(entry) else {
            points.clear();
            return;
        };
        if points.is_empty() {
            return;
        }
        if e.unregistered {
            e.unregistered = false;
            set.register(MetricDef::registered(&e.id));
        }
        // The next company's run will be about as long: keep that much room.
        let room = points.len();
        set.append(company, e.index, points);
        points.reserve(room);
    }
}

/// Reads a period cell: as written, or with `--period-kind` the period of that kind that
/// holds the written date (`2015-09-26` → `2015` for `fy`, `2015Q3` for `q`).
pub(super) fn read_period(
    text: &str,
    kind: Option<PeriodKind>,
) -> std::result::Result<Period, String> {
    let text = text.trim();
    let Some(p) = Period::parse(text) else {
        return Err(format!(
            "'{text}' is not a period (write 2024, 2024H1, 2024Q3 or 2024-06-30)"
        ));
    };
    let Some(kind) = kind else { return Ok(p) };
    if p.kind() > kind {
        return Err(format!(
            "'{text}' spans more than the {} that --period-kind asks for",
            kind_name(kind)
        ));
    }
    let end = p.end_date();
    Ok(match kind {
        PeriodKind::Year => Period::Year(end.year),
        PeriodKind::Half => Period::Half(end.year, if end.month <= 6 { 1 } else { 2 }),
        PeriodKind::Quarter => Period::Quarter(end.year, end.month.div_ceil(3)),
        PeriodKind::Day => Period::Day(end),
    })
}

fn kind_name(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::Year => "year",
        PeriodKind::Half => "half",
        PeriodKind::Quarter => "quarter",
        PeriodKind::Day => "day",
    }
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
struct Table<'h> {
    header: &'h Header,
    symbol: usize,
    period: PeriodFrom,
    period_kind: Option<PeriodKind>,
    uses: Vec<Use>,
}

impl<'h> Table<'h> {
    /// Decides every column's use ([`plan_columns`]) for a file of the table shape.
    #[allow(clippy::too_many_arguments)]
    fn plan(
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

/// The company of the last row, so that the many rows of one company in a wide file cost one
/// comparison instead of a symbol lookup each.
#[derive(Default)]
struct LastCompany {
    cell: Vec<u8>,
    company: Option<u32>,
}

impl LastCompany {
    fn of(
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

fn row_period(
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

fn row_number(
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
                "'{}' in column '{}' is not a number",
                text.trim(),
                header.name(col)
            ),
        )
    })
}

/// Files smaller than this are read on one thread (and not streamed): starting a second
/// costs more.
const PARALLEL_BYTES: usize = 4 << 20;

/// Reads the rows after the header on two threads, each half into its own write set, then
/// joins them in file order. Only for files without quotes, where every newline ends a row,
/// so the halves can be cut at a newline. `None` means "read it on one thread": the file is
/// small or quoted, or a half failed — the single-threaded read then reports the error with
/// its exact line and column.
fn read_table_in_halves(
    src: &Source,
    data_start: usize,
    table: &Table,
    metrics: &Metrics,
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
            Some(first_set)
        }
        _ => None,
    }
}

/// The row loop of companies and wide files: the hot path of a bulk import.
fn read_table(
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

/// The row loop of long files: one point per row.
#[allow(clippy::too_many_arguments)]
fn read_long(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ColumnMap;

    fn read_opts(text: &str, opts: &ImportOptions) -> Result<WriteSet> {
        read(
            "t.csv",
            text.as_bytes(),
            opts,
            &Catalog::builtin(),
            &mut |_| {},
        )
    }

    fn ok_opts(text: &str, opts: &ImportOptions) -> WriteSet {
        read_opts(text, opts).unwrap_or_else(|e| panic!("{e}"))
    }

    fn ok(text: &str) -> WriteSet {
        ok_opts(text, &ImportOptions::default())
    }

    fn err_opts(text: &str, opts: &ImportOptions) -> String {
        match read_opts(text, opts) {
            Ok(_) => panic!("expected an error from {text:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn err(text: &str) -> String {
        err_opts(text, &ImportOptions::default())
    }

    fn points(set: &WriteSet, symbol: &str, metric: &str) -> Vec<(String, f64)> {
        set.points_of(symbol, metric)
    }

    fn attr(set: &WriteSet, symbol: &str, name: &str) -> Option<String> {
        set.attr_of(symbol, name)
    }

    fn pts(list: &[(&str, f64)]) -> Vec<(String, f64)> {
        list.iter().map(|&(p, v)| (p.to_string(), v)).collect()
    }

    fn map(spec: &str) -> ColumnMap {
        ColumnMap::parse(spec).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn companies_shape_sets_attributes_and_leaves_empty_cells_alone() {
        let set = ok(
            "symbol,name,industry,Head Office\nKC.US,Kingsoft Cloud,Software,\n688316.SH,,Chips,Shanghai\n",
        );
        assert_eq!(set.symbols(), ["KC.US", "688316.SH"]);
        assert_eq!(
            attr(&set, "KC.US", "name").as_deref(),
            Some("Kingsoft Cloud")
        );
        assert_eq!(attr(&set, "kc.us", "industry").as_deref(), Some("Software"));
        assert_eq!(attr(&set, "688316.SH", "name"), None);
        assert_eq!(
            attr(&set, "688316.SH", "head_office").as_deref(),
            Some("Shanghai")
        );
        assert_eq!(attr(&set, "KC.US", "head_office"), None);
        assert!(set.point_runs().next().is_none() && set.new_metrics().is_empty());
    }

    #[test]
    fn long_shape_reads_columns_in_any_order() {
        let set = ok(
            "value,period,Metric,SYMBOL\n-12.93%,2025Q3,roe,KC.US\n0.5,2025Q2,return_on_equity,KC.US\n,2025Q1,roe,KC.US\n",
        );
        assert_eq!(
            points(&set, "KC.US", "roe"),
            pts(&[("2025Q3", -0.1293), ("2025Q2", 0.5)])
        );
        assert_eq!(set.point_count(), 2);
    }

    #[test]
    fn wide_shape_gives_a_point_per_non_empty_cell() {
        let set = ok(
            "symbol,period,roe,P/B,revenue\nA,2024Q1,0.1,1.5,\nA,2024Q2,0.2,,5.18B\nB,2024,,2,\n",
        );
        assert_eq!(
            points(&set, "A", "roe"),
            pts(&[("2024Q1", 0.1), ("2024Q2", 0.2)])
        );
        assert_eq!(points(&set, "A", "pb"), pts(&[("2024Q1", 1.5)]));
        assert_eq!(points(&set, "A", "revenue"), pts(&[("2024Q2", 5.18e9)]));
        assert_eq!(points(&set, "B", "pb"), pts(&[("2024", 2.0)]));
        assert_eq!(set.point_count(), 5);
        assert!(set.new_metrics().is_empty());
    }

    #[test]
    fn header_names_compare_in_snake_case() {
        // `Symbol`, `SYMBOL` and `symbol` are one column name; so are `Return on Equity` and roe.
        let set = ok("SYMBOL,Period,Return on Equity,Gross Margin\nA,2024,0.1,0.4\n");
        assert_eq!(points(&set, "A", "roe"), pts(&[("2024", 0.1)]));
        assert_eq!(points(&set, "A", "gross_margin"), pts(&[("2024", 0.4)]));
        let set = ok("Symbol,Name\nA,Alpha\n");
        assert_eq!(attr(&set, "A", "name").as_deref(), Some("Alpha"));
        let set = ok("Ticker,Name\nA,Alpha\n");
        assert_eq!(set.symbols(), ["A"]);
    }

    #[test]
    fn byte_order_mark_and_crlf_are_accepted() {
        let set = ok("\u{feff}symbol,period,roe\r\nA,2024,0.1\r\nB,2024,0.2\r\n");
        assert_eq!(points(&set, "A", "roe"), pts(&[("2024", 0.1)]));
        assert_eq!(points(&set, "B", "roe"), pts(&[("2024", 0.2)]));
        assert_eq!(
            err("\u{feff}symbol,period,roe\r\nA,2024,0.1\r\nB,2024,x\r\n"),
            "error: t.csv:3:8: 'x' in column 'roe' is not a number"
        );
    }

    #[test]
    fn quoted_fields_keep_commas_and_newlines_and_line_numbers_stay_physical() {
        let text = "symbol,name,overview\nA,\"Alpha, Inc.\",\"line one\nline \"\"two\"\"\"\nB,Beta,plain\n";
        let set = ok(text);
        assert_eq!(attr(&set, "A", "name").as_deref(), Some("Alpha, Inc."));
        assert_eq!(
            attr(&set, "A", "overview").as_deref(),
            Some("line one\nline \"two\"")
        );
        // The row after a quoted newline starts on physical line 4.
        let bad = "symbol,period,overview,roe\nA,2024,\"one\ntwo\",0.1\nB,2024,\"x, y\",zz\n";
        assert_eq!(
            err(bad),
            "error: t.csv:4:15: 'zz' in column 'roe' is not a number"
        );
        // A cell after a quoted newline in its own row is found on the next line.
        let bad = "symbol,period,overview,roe\nA,2024,\"one\ntwo\",bad\n";
        assert_eq!(
            err(bad),
            "error: t.csv:3:6: 'bad' in column 'roe' is not a number"
        );
    }

    #[test]
    fn percents_and_magnitudes() {
        let set = ok(
            "symbol,period,roe,market_cap,revenue,net_income,total_assets\nA,2024,-12.93%,5.18B,250K,3M,1.2T\n",
        );
        assert_eq!(points(&set, "A", "roe"), pts(&[("2024", -0.1293)]));
        assert_eq!(points(&set, "A", "market_cap"), pts(&[("2024", 5.18e9)]));
        assert_eq!(points(&set, "A", "revenue"), pts(&[("2024", 250_000.0)]));
        assert_eq!(points(&set, "A", "net_income"), pts(&[("2024", 3e6)]));
        assert_eq!(points(&set, "A", "total_assets"), pts(&[("2024", 1.2e12)]));
    }

    #[test]
    fn maps_set_metric_and_factor_or_an_attribute() {
        let opts = ImportOptions {
            symbol_col: Some("Ticker Symbol".into()),
            maps: vec![
                map("Gross Margin=gross_margin*0.01"),
                map("Sector=industry"),
                map("Earn=net_income*1000"),
            ],
            ..ImportOptions::default()
        };
        let set = ok_opts(
            "Ticker Symbol,period,Gross Margin,Sector,Earn\nAAPL,2015,58.0,Hardware,2.5\n",
            &opts,
        );
        // Dividing by 100 rather than multiplying by 0.01 gives the double nearest 0.58.
        assert_eq!(points(&set, "AAPL", "gross_margin"), pts(&[("2015", 0.58)]));
        assert_eq!(points(&set, "AAPL", "net_income"), pts(&[("2015", 2500.0)]));
        assert_eq!(attr(&set, "AAPL", "industry").as_deref(), Some("Hardware"));
        assert_eq!(attr(&set, "AAPL", "sector"), None);
        // Maps match the column by snake_case too, and apply to companies files.
        let opts = ImportOptions {
            maps: vec![map("gics sector=sector"), map("Security=name")],
            ..ImportOptions::default()
        };
        let set = ok_opts("Symbol,Security,GICS Sector\nMMM,3M,Industrials\n", &opts);
        assert_eq!(attr(&set, "MMM", "name").as_deref(), Some("3M"));
        assert_eq!(attr(&set, "MMM", "sector").as_deref(), Some("Industrials"));
    }

    #[test]
    fn map_to_an_unknown_metric_registers_it() {
        let opts = ImportOptions {
            maps: vec![map("EBITDA=ebitda_usd")],
            ..ImportOptions::default()
        };
        let set = ok_opts("symbol,period,EBITDA\nA,2024,5\n", &opts);
        assert_eq!(points(&set, "A", "ebitda_usd"), pts(&[("2024", 5.0)]));
        assert_eq!(set.new_metrics().len(), 1);
        assert_eq!(
            set.new_metrics().first().map(|d| d.id.as_str()),
            Some("ebitda_usd")
        );
    }

    #[test]
    fn mostly_text_columns_become_attributes_and_the_last_value_wins() {
        let text = "symbol,period,Name,Sec Filings,52 Week Low\nA,2024Q1,Alpha,http://x/a,1.5\nA,2024Q2,Alpha Corp,,2\nB,2024Q1,123,n/a,\n";
        let set = ok(text);
        assert_eq!(attr(&set, "A", "name").as_deref(), Some("Alpha Corp"));
        // Mostly text: one number among the cells does not make it a metric.
        assert_eq!(attr(&set, "B", "name").as_deref(), Some("123"));
        assert_eq!(
            attr(&set, "A", "sec_filings").as_deref(),
            Some("http://x/a")
        );
        assert_eq!(attr(&set, "B", "sec_filings").as_deref(), Some("n/a"));
        assert_eq!(
            points(&set, "A", "52_week_low"),
            pts(&[("2024Q1", 1.5), ("2024Q2", 2.0)])
        );
        // A numeric column with a stray word is a metric, and the word is an error.
        let text = "symbol,period,score\nA,2024,1\nB,2024,2\nC,2024,n/a\n";
        assert_eq!(
            err(text),
            "error: t.csv:4:8: 'n/a' in column 'score' is not a number"
        );
    }

    #[test]
    fn unknown_metrics_are_registered_once() {
        let set = ok(
            "symbol,metric,period,value\nA,EBITDA,2024,1\nB,ebitda,2024,2\nC,Ebitda,2023,3\nA,roe,2024,0.1\nD,Empty Metric,2024,\n",
        );
        assert_eq!(set.new_metrics().len(), 1, "{:?}", set.new_metrics());
        let def = set
            .new_metrics()
            .first()
            .map(|d| (d.id.as_str(), d.unit, d.direction, d.dimension));
        assert_eq!(
            def,
            Some((
                "ebitda",
                crate::model::Unit::Ratio,
                crate::model::Direction::Higher,
                crate::model::Dimension::Other
            ))
        );
        assert_eq!(points(&set, "B", "ebitda"), pts(&[("2024", 2.0)]));
        let set = ok("symbol,period,Long Term Thing,Other\nA,2024,1,\nB,2024,2,\n");
        let ids: Vec<&str> = set.new_metrics().iter().map(|d| d.id.as_str()).collect();
        // A column with no numbers at all brings nothing to register.
        assert_eq!(ids, ["long_term_thing"]);
    }

    #[test]
    fn period_kind_reads_dates_as_years_quarters_or_days() {
        let text = "symbol,Period Ending,roe\nA,2015-09-26,0.1\nA,2016-09-24 00:00:00,0.2\nA,2017-01-31T00:00:00Z,0.3\n";
        let with = |kind| ImportOptions {
            period_col: Some("Period Ending".into()),
            period_kind: Some(kind),
            ..ImportOptions::default()
        };
        let set = ok_opts(text, &with(PeriodKind::Year));
        assert_eq!(
            points(&set, "A", "roe"),
            pts(&[("2015", 0.1), ("2016", 0.2), ("2017", 0.3)])
        );
        let set = ok_opts(text, &with(PeriodKind::Quarter));
        assert_eq!(
            points(&set, "A", "roe"),
            pts(&[("2015Q3", 0.1), ("2016Q3", 0.2), ("2017Q1", 0.3)])
        );
        let set = ok_opts(text, &with(PeriodKind::Day));
        assert_eq!(
            points(&set, "A", "roe"),
            pts(&[
                ("2015-09-26", 0.1),
                ("2016-09-24", 0.2),
                ("2017-01-31", 0.3)
            ])
        );
        // A year cannot become a quarter.
        assert_eq!(
            err_opts(
                "symbol,Period Ending,roe\nA,2015,0.1\n",
                &with(PeriodKind::Quarter)
            ),
            "error: t.csv:2:3: '2015' spans more than the quarter that --period-kind asks for"
        );
        // Without a kind, dates stay dates.
        let set = ok("symbol,period,roe\nA,2015-09-26,0.1\n");
        assert_eq!(points(&set, "A", "roe"), pts(&[("2015-09-26", 0.1)]));
    }

    #[test]
    fn period_option_gives_every_row_a_period_unless_a_column_has_one() {
        let opts = ImportOptions {
            period: Period::parse("2026-08-22"),
            ..ImportOptions::default()
        };
        let set = ok_opts("Symbol,Name,Price/Book\nABBV,AbbVie,-78.88\n", &opts);
        assert_eq!(points(&set, "ABBV", "pb"), pts(&[("2026-08-22", -78.88)]));
        assert_eq!(attr(&set, "ABBV", "name").as_deref(), Some("AbbVie"));
        let set = ok_opts("symbol,period,pb\nA,2024Q1,1\n", &opts);
        assert_eq!(points(&set, "A", "pb"), pts(&[("2024Q1", 1.0)]));
        // Without --period the same file is a companies file.
        let set = ok("Symbol,Name,Price/Book\nABBV,AbbVie,-78.88\n");
        assert_eq!(attr(&set, "ABBV", "price_book").as_deref(), Some("-78.88"));
        assert!(set.point_runs().next().is_none());
    }

    #[test]
    fn companies_option_forces_the_companies_shape() {
        let opts = ImportOptions {
            companies: true,
            ..ImportOptions::default()
        };
        let set = ok_opts("symbol,period,name\nA,2024,Alpha\n", &opts);
        assert_eq!(attr(&set, "A", "period").as_deref(), Some("2024"));
        assert!(set.point_runs().next().is_none());
        let opts = ImportOptions {
            companies: true,
            maps: vec![map("Price/Book=pb")],
            ..ImportOptions::default()
        };
        assert_eq!(
            err_opts("Symbol,Price/Book\nA,1\n", &opts),
            "error: t.csv:1:8: --map sends column 'Price/Book' to metric 'pb', but a companies file has no period (give --period)"
        );
    }

    #[test]
    fn bad_number_on_line_3_names_file_line_and_column() {
        let text = "symbol,period,roe,pb\nA,2024,0.1,1.2\nB,2024,0.5,x1\n";
        assert_eq!(
            err(text),
            "error: t.csv:3:12: 'x1' in column 'pb' is not a number"
        );
        // Columns count characters, not bytes.
        let text = "symbol,period,name,pb\nA,2024,Zürich AG,1\nB,2024,Köln,x1\n";
        assert_eq!(
            err(text),
            "error: t.csv:3:13: 'x1' in column 'pb' is not a number"
        );
        let e = read_opts(
            "symbol,period,roe,pb\nA,2024,0.1,1.2\nB,2024,0.5,x1\n",
            &ImportOptions::default(),
        );
        assert!(
            matches!(
                e,
                Err(Error::Import {
                    line: 3,
                    column: 12,
                    ..
                })
            ),
            "{e:?}"
        );
    }

    #[test]
    fn bad_period_names_the_cell_and_the_text() {
        assert_eq!(
            err("symbol,period,roe\nA,2024Q1,1\nB,2024Q5,2\n"),
            "error: t.csv:3:3: '2024Q5' is not a period (write 2024, 2024H1, 2024Q3 or 2024-06-30)"
        );
        assert_eq!(
            err("symbol,period,roe\nA,,1\n"),
            "error: t.csv:2:3: missing period (column 'period')"
        );
    }

    #[test]
    fn missing_symbol_is_an_error() {
        assert_eq!(
            err("name,symbol\nAlpha,A\nBeta,  \n"),
            "error: t.csv:3:6: missing symbol (column 'symbol')"
        );
        assert_eq!(
            err("name,industry\nAlpha,x\n"),
            "error: t.csv: has no symbol column (name it with --symbol-col); its columns are 'name', 'industry'"
        );
        let opts = ImportOptions {
            symbol_col: Some("Ticker Symbol".into()),
            ..ImportOptions::default()
        };
        assert!(
            err_opts("symbol,name\nA,x\n", &opts)
                .starts_with("error: t.csv: has no column 'Ticker Symbol'")
        );
    }

    #[test]
    fn long_shape_rejects_extra_columns() {
        assert_eq!(
            err("symbol,metric,period,value,note\nA,roe,2024,1,x\n"),
            "error: t.csv:1:28: column 'note' does not belong in a long file (its columns are symbol, metric, period, value)"
        );
        assert_eq!(
            err("symbol,metric,period,value\nA,roe,2024,abc\n"),
            "error: t.csv:2:12: 'abc' in column 'value' is not a number"
        );
        assert_eq!(
            err("symbol,metric,period,value\nA,,2024,1\n"),
            "error: t.csv:2:3: missing metric"
        );
    }

    #[test]
    fn empty_and_header_only_files() {
        assert_eq!(err(""), "error: t.csv: is empty");
        assert_eq!(err("\u{feff}\r\n"), "error: t.csv: is empty");
        let set = ok("symbol,period,roe,Some New Metric\n");
        assert!(set.is_empty() && set.point_count() == 0, "{set:?}");
    }

    #[test]
    fn duplicate_and_clashing_columns_are_errors() {
        assert_eq!(
            err("symbol,roe,ROE\nA,1,2\n"),
            "error: t.csv:1:12: column 'ROE' repeats column 'roe'"
        );
        assert_eq!(
            err("symbol,period,pe,P/E (TTM)\nA,2024,1,2\n"),
            "error: t.csv:1:18: columns 'pe' and 'P/E (TTM)' both hold metric 'pe_ttm' (use --map to send one elsewhere)"
        );
    }

    #[test]
    fn a_column_without_a_name_is_skipped() {
        let set = ok(",symbol,period,roe\r\n0,A,2024,0.1\r\n1,B,2024,0.2\r\n");
        assert_eq!(points(&set, "B", "roe"), pts(&[("2024", 0.2)]));
        assert!(set.new_metrics().is_empty());
        assert!(set.companies().all(|(_, attrs)| attrs.is_empty()));
    }

    #[test]
    fn ragged_rows_and_bad_utf8_are_errors_at_their_place() {
        assert_eq!(
            err("symbol,period,roe\nA,2024,1\n  \n"),
            "error: t.csv:3:3: this row has 1 field but the header has 3"
        );
        assert_eq!(
            err("symbol,period,roe\nA,2024\n"),
            "error: t.csv:2:7: this row has 2 fields but the header has 3"
        );
        assert_eq!(
            err("symbol,period,roe\nA,2024,1,2\n   \n"),
            "error: t.csv:2:10: this row has 4 fields but the header has 3"
        );
        let bytes = b"symbol,name\nA,ok\nB,\xff\xfe\n";
        let e = read(
            "t.csv",
            bytes,
            &ImportOptions::default(),
            &Catalog::builtin(),
            &mut |_| {},
        );
        assert_eq!(
            e.map(|_| ()).map_err(|e| e.to_string()),
            Err("error: t.csv:3:3: column 'name' holds text that is not UTF-8".to_string())
        );
    }

    #[test]
    fn progress_ends_at_the_file_size() {
        let text = "symbol,period,roe\nA,2024,1\n";
        let mut seen = Vec::new();
        let r = read(
            "t.csv",
            text.as_bytes(),
            &ImportOptions::default(),
            &Catalog::builtin(),
            &mut |b| seen.push(b),
        );
        assert!(r.is_ok());
        assert_eq!(seen.last().copied(), Some(text.len() as u64));
    }

    #[test]
    fn locate_finds_fields_past_quotes() {
        let text = b"a,b\n\"x\"\"\ny\",z\n";
        assert_eq!(locate(text, 4, 0), (2, 1));
        assert_eq!(locate(text, 4, 1), (3, 4));
        // A field past the end of the record points just after its last character.
        assert_eq!(locate(text, 4, 5), (3, 5));
        assert_eq!(locate(text, 999, 3), (4, 1));
    }

    proptest::proptest! {
        #[test]
        fn no_input_panics(text in "[a-z0-9,\"\n\r.%-]{0,80}", period in proptest::bool::ANY) {
            let opts = ImportOptions {
                period: period.then_some(Period::Year(2024)),
                ..ImportOptions::default()
            };
            for head in ["symbol,period,roe,name\n", "symbol,metric,period,value\n", "symbol,x\n", ""] {
                let _ = read_opts(&format!("{head}{text}"), &opts);
            }
        }
    }
}
