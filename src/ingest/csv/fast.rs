//! The bulk path of a wide import: rows go straight into encoded series chunks.
//!
//! A large file without quotes whose companies come in symbol order (as exports and
//! generators write them) is cut in two at a company boundary; each half streams from disk
//! on its own thread through a plain byte loop, and every company's run of rows becomes one
//! chunk entry per metric as soon as the next company starts. No point is ever held as a
//! `(period, value)` pair in a map, so the file costs about its encoded size in memory.
//! Anything this loop is not sure about — a ragged row, a cell that is not a number,
//! symbols out of order, a quote, two rows giving one period different values — makes it
//! give up, and the careful reader reads the file again: it either takes the general path
//! or names the error with its line and column.

use super::conflict::clashing_codes;
use super::metrics::UnitEvidence;
use super::{Metrics, PeriodFrom, Scale, Table, Use, is_blank, read_period};
use crate::model::number::{parse_number, parse_plain};
use crate::model::{Series, symbol_key};
use crate::storage::{PackedChunk, WriteSet, chunk};
use std::collections::HashMap;

/// Rows between two progress reports.
const PROGRESS_ROWS: usize = 1 << 16;

/// One metric column of the file and the chunks built for it so far.
struct Column {
    /// Position of the column in a row.
    at: usize,
    /// Entry in the file's [`super::Metrics`].
    entry: usize,
    scale: Scale,
    builder: chunk::Builder,
    chunks: Vec<PackedChunk>,
    /// The current company's points.
    codes: Vec<u32>,
    values: Vec<f64>,
    /// Cells read whose point a later row replaced: the import's count is of cells read,
    /// whichever path reads them.
    replaced: usize,
    /// For a metric the file registers: what its values say about its unit.
    evidence: Option<UnitEvidence>,
}

impl Column {
    /// Moves the current company's points into the chunk being built, sealing it when full.
    /// `None` when two of its rows give one period different values: the careful reader
    /// then reads the file again and names both rows.
    fn flush(&mut self, key: &str) -> Option<()> {
        if self.codes.is_empty() {
            return Some(());
        }
        if !self.codes.windows(2).all(|w| w[0] < w[1]) {
            // Rows of one company out of period order, or a period twice with the same
            // values (different ones are a mistake in the file).
            let points: Vec<(u32, f64)> = self
                .codes
                .iter()
                .copied()
                .zip(self.values.iter().copied())
                .collect();
            if !clashing_codes(&points).is_empty() {
                return None;
            }
            let s = Series::from_points(points);
            self.replaced += self.codes.len() - s.len();
            self.codes = s.points.iter().map(|p| p.0).collect();
            self.values = s.points.iter().map(|p| p.1).collect();
        }
        self.builder.push(key, &self.codes, &self.values);
        self.codes.clear();
        self.values.clear();
        if self.builder.points() >= chunk::TARGET_POINTS {
            self.seal();
        }
        Some(())
    }

    fn seal(&mut self) {
        let (Some(first), Some(last)) = (self.builder.first_key(), self.builder.last_key()) else {
            return;
        };
        let (first, last) = (first.to_string(), last.to_string());
        let points = self.builder.points() + std::mem::take(&mut self.replaced);
        self.chunks.push(PackedChunk {
            first,
            last,
            points,
            // Copied into the store's buffer type once here, while the chunk is fresh in
            // cache, so storing it later copies nothing.
            bytes: self.builder.finish().into(),
        });
    }
}

/// One half of the file being read: the companies and chunks so far, and what a row needs
/// from the rows before it. Fed whole lines, in as many slices as the caller likes.
struct Half<'t> {
    table: &'t Table<'t>,
    set: WriteSet,
    columns: Vec<Column>,
    attrs: Vec<(usize, &'t str)>,
    first_key: Option<String>,
    last_key: Option<String>,
    /// The symbol cell of the current company, as written.
    symbol_cell: Vec<u8>,
    company: u32,
    periods: HashMap<Vec<u8>, u32>,
    rows: usize,
}

impl<'t> Half<'t> {
    /// `None` when a column is still undecided (the careful reader must look at the file).
    fn new(table: &'t Table<'t>, metrics: &Metrics, base: &WriteSet) -> Option<Half<'t>> {
        let mut half = Half {
            table,
            set: base.clone(),
            columns: Vec::new(),
            attrs: Vec::new(),
            first_key: None,
            last_key: None,
            symbol_cell: Vec::new(),
            company: 0,
            periods: HashMap::new(),
            rows: 0,
        };
        for (at, u) in table.uses.iter().enumerate() {
            match u {
                Use::Metric { entry, scale } => half.columns.push(Column {
                    at,
                    entry: *entry,
                    scale: *scale,
                    builder: chunk::Builder::new(),
                    chunks: Vec::new(),
                    codes: Vec::new(),
                    values: Vec::new(),
                    replaced: 0,
                    evidence: metrics
                        .entries
                        .get(*entry)
                        .is_some_and(|e| e.new)
                        .then(UnitEvidence::default),
                }),
                Use::Attr(name) => half.attrs.push((at, name.as_str())),
                Use::Skip => {}
                Use::Pending => return None,
            }
        }
        (!half.columns.is_empty()).then_some(half)
    }

    /// Reads whole lines; `offset` is where `text` starts in the file, for progress reports.
    fn feed(&mut self, text: &[u8], offset: usize, progress: &mut dyn FnMut(u64)) -> Option<()> {
        let table = self.table;
        let width = table.header.names.len();
        let mut cells: Vec<&[u8]> = Vec::with_capacity(width);
        let mut pos = 0usize;
        while pos < text.len() {
            let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i);
            let mut line = &text[pos..end];
            pos = end + 1;
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            // Blank lines hold no record, for the careful reader too.
            if line.is_empty() {
                continue;
            }
            self.rows += 1;
            if self.rows.is_multiple_of(PROGRESS_ROWS) {
                progress((offset + pos) as u64);
            }
            cells.clear();
            let mut start = 0;
            for comma in memchr::memchr_iter(b',', line) {
                cells.push(&line[start..comma]);
                start = comma + 1;
            }
            cells.push(&line[start..]);
            if cells.len() != width {
                return None;
            }
            let cell = cells[table.symbol];
            if self.symbol_cell != cell || self.last_key.is_none() {
                self.start_company(cell)?;
            }
            let code = match table.period {
                PeriodFrom::Fixed(p) => p.code(),
                PeriodFrom::Column(c) => self.period(cells[c])?,
                PeriodFrom::Nothing => return None,
            };
            for c in &mut self.columns {
                let cell = cells[c.at];
                if is_blank(cell) {
                    continue;
                }
                let v = match parse_plain(cell) {
                    Some(v) => v,
                    None => parse_number(std::str::from_utf8(cell).ok()?)?,
                };
                let v = c.scale.apply(v);
                if let Some(evidence) = &mut c.evidence {
                    evidence.add(v);
                }
                if !v.is_finite() {
                    return None;
                }
                c.codes.push(code);
                c.values.push(v);
            }
            for &(at, name) in &self.attrs {
                if !is_blank(cells[at]) {
                    let t = std::str::from_utf8(cells[at]).ok()?;
                    self.set.set_attr(self.company, name, t.trim());
                }
            }
        }
        Some(())
    }

    /// A new company's first row: the previous company's points become chunk entries.
    fn start_company(&mut self, cell: &[u8]) -> Option<()> {
        let symbol = std::str::from_utf8(cell).ok()?.trim();
        if symbol.is_empty() {
            return None;
        }
        let key = symbol_key(symbol);
        if let Some(previous) = &self.last_key {
            // Out of symbol order (or a company seen before): the general path sorts it out.
            if key.as_str() <= previous.as_str() {
                return None;
            }
            for c in &mut self.columns {
                c.flush(previous)?;
            }
        } else {
            self.first_key = Some(key.clone());
        }
        self.last_key = Some(key);
        self.company = self.set.company(symbol);
        self.symbol_cell.clear();
        self.symbol_cell.extend_from_slice(cell);
        Some(())
    }

    fn period(&mut self, cell: &[u8]) -> Option<u32> {
        if let Some(&code) = self.periods.get(cell) {
            return Some(code);
        }
        let t = std::str::from_utf8(cell).ok()?;
        if t.trim().is_empty() {
            return None;
        }
        let code = read_period(t, self.table.period_kind).ok()?.code();
        self.periods.insert(cell.to_vec(), code);
        Some(code)
    }

    /// The last company's points become chunk entries and every chunk is sealed.
    fn finish(mut self) -> Option<Half<'t>> {
        if let Some(last) = self.last_key.clone() {
            for c in &mut self.columns {
                c.flush(&last)?;
                c.seal();
            }
        }
        Some(self)
    }
}

/// Bytes read from the file at a time by each half when streaming.
const BLOCK: usize = 8 << 20;

/// Reads the data rows (from `data_start`) of a large wide file on disk into chunks on two
/// threads, each streaming its half in blocks, so the file is never held whole. `file_len`
/// is its size. `None`: this path does not apply or gave up (nothing is changed then).
pub(super) fn read_packed_file(
    file: &std::fs::File,
    file_len: usize,
    data_start: usize,
    table: &Table,
    metrics: &Metrics,
    set: &WriteSet,
    progress: &mut dyn FnMut(u64),
) -> Option<WriteSet> {
    use std::os::unix::fs::FileExt;
    if matches!(table.period, PeriodFrom::Nothing) || file_len < data_start + super::PARALLEL_BYTES
    {
        return None;
    }
    let read_at = |offset: usize, len: usize| -> Option<Vec<u8>> {
        let mut buf = vec![0u8; len];
        file.read_exact_at(&mut buf, offset as u64).ok()?;
        Some(buf)
    };
    // The split: the first company boundary after the middle, found in a window around it.
    const WINDOW: usize = 1 << 20;
    let mid = data_start + (file_len - data_start) / 2;
    let w_start = mid.saturating_sub(WINDOW).max(data_start);
    let w_end = (mid + WINDOW).min(file_len);
    let window = read_at(w_start, w_end - w_start)?;
    let at = mid - w_start;
    let at = at + memchr::memchr(b'\n', &window[at..])? + 1;
    // The line before the split must start inside the window.
    memchr::memrchr(b'\n', &window[..at - 1])?;
    let split = company_boundary(&window, 0, at, table.symbol)?;
    if split >= window.len() && w_end < file_len {
        return None;
    }
    let split = w_start + split;
    let read = |from: usize, to: usize, progress: &mut dyn FnMut(u64)| -> Option<Half> {
        let mut half = Half::new(table, metrics, set)?;
        let mut carry: Vec<u8> = Vec::new();
        let mut offset = from;
        while offset < to {
            let n = BLOCK.min(to - offset);
            let mut buf = std::mem::take(&mut carry);
            let kept = buf.len();
            buf.resize(kept + n, 0);
            file.read_exact_at(&mut buf[kept..], offset as u64).ok()?;
            if memchr::memchr(b'"', &buf[kept..]).is_some() {
                return None;
            }
            offset += n;
            // Whole lines now; the rest waits for the next block.
            let cut = if offset == to {
                buf.len()
            } else {
                memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1)
            };
            half.feed(&buf[..cut], offset - buf.len(), progress)?;
            carry = buf[cut..].to_vec();
        }
        if !carry.is_empty() {
            half.feed(&carry, to - carry.len(), progress)?;
        }
        half.finish()
    };
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| read(split, file_len, &mut |_| {}));
        let first = read(data_start, split, progress);
        (first, second.join().ok().flatten())
    });
    join(first?, second?, metrics)
}

/// Puts two halves together into one write set, if the second starts after the first ends.
fn join(first: Half, second: Half, metrics: &Metrics) -> Option<WriteSet> {
    if let (Some(a), Some(b)) = (&first.last_key, &second.first_key)
        && a >= b
    {
        return None;
    }
    let mut out = first.set;
    out.absorb(second.set);
    for (a, b) in first.columns.into_iter().zip(second.columns) {
        let e = metrics.entries.get(a.entry)?;
        for c in a.chunks.into_iter().chain(b.chunks) {
            out.push_packed(e.index, c);
        }
        if e.new && out.has_packed(e.index) {
            let mut evidence = a.evidence.unwrap_or_default();
            evidence.join(b.evidence.unwrap_or_default());
            out.register(e.def(evidence));
        }
    }
    Some(out)
}

/// The first line start at or after `at` whose symbol differs from the line before it, so
/// that no company's rows are cut in two.
fn company_boundary(text: &[u8], data_start: usize, mut at: usize, symbol: usize) -> Option<usize> {
    fn cell(line: &[u8], symbol: usize) -> Option<&[u8]> {
        line.split(|&b| b == b',')
            .nth(symbol)
            .map(<[u8]>::trim_ascii)
    }
    let line_at = |start: usize| {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        (&text[start..end], end + 1)
    };
    let before_start = memchr::memrchr(b'\n', &text[data_start..at - 1])
        .map_or(data_start, |i| data_start + i + 1);
    let previous = cell(line_at(before_start).0, symbol)?.to_vec();
    while at < text.len() {
        let (line, next) = line_at(at);
        if cell(line, symbol)? != previous.as_slice() {
            return Some(at);
        }
        at = next;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use crate::ingest::ImportOptions;
    use crate::ingest::csv::read;
    use crate::model::{Catalog, Period};
    use crate::storage::{WriteSet, chunk};
    use std::collections::BTreeMap;

    /// Every point of a set, whichever way it holds them: (symbol key, metric) → points.
    fn points(set: &WriteSet) -> BTreeMap<(String, String), Vec<(u32, u64)>> {
        let mut out: BTreeMap<(String, String), Vec<(u32, u64)>> = BTreeMap::new();
        for (symbol, metric, list) in set.point_runs() {
            let s = crate::model::Series::from_points(list.to_vec());
            let key = (symbol.to_uppercase(), metric.to_string());
            out.entry(key)
                .or_default()
                .extend(s.points.iter().map(|p| (p.0, p.1.to_bits())));
        }
        for (metric, c) in set.packed_chunks() {
            for (key, s) in chunk::decode(&c.bytes).unwrap() {
                out.entry((key, metric.to_string()))
                    .or_default()
                    .extend(s.points.iter().map(|p| (p.0, p.1.to_bits())));
            }
        }
        out
    }

    /// The careful reader: a file held in memory never takes the bulk path.
    fn read_text(text: &str) -> crate::error::Result<WriteSet> {
        read_text_with(text, &ImportOptions::default())
    }

    fn read_text_with(text: &str, opts: &ImportOptions) -> crate::error::Result<WriteSet> {
        read(
            "big.csv",
            text.as_bytes(),
            opts,
            &Catalog::builtin(),
            &mut |_| {},
        )
    }

    /// `text` written to big.csv in a temp folder and imported as a file (streamed when the
    /// bulk path takes it).
    fn read_file(text: &str) -> crate::error::Result<WriteSet> {
        read_file_with(text, &ImportOptions::default())
    }

    fn read_file_with(text: &str, opts: &ImportOptions) -> crate::error::Result<WriteSet> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, text).unwrap();
        crate::ingest::read_file(
            &path,
            opts,
            &Catalog::builtin(),
            &mut |_| {},
            &mut Vec::new(),
        )
    }

    /// A wide file over 4 MB: `companies` symbols in order, 12 quarters each, blanks, a
    /// percent, a magnitude, an attribute column, one company's rows out of period order and
    /// one row given twice (the same values, which is no mistake).
    fn big_file(companies: usize) -> String {
        let mut t = String::from("symbol,period,roe,pe_ttm,market_cap,name\n");
        let mut first_row = String::new();
        for c in 0..companies {
            let quarters: Vec<usize> = if c == 7 {
                (0..12).rev().collect()
            } else {
                (0..12).collect()
            };
            for q in quarters {
                let period = format!("{}Q{}", 2020 + q / 4, q % 4 + 1);
                let roe = if (c + q) % 17 == 0 {
                    String::new()
                } else {
                    format!("{:.6}", (c * 31 + q) as f64 / 997.0 - 0.4)
                };
                let pe = if c % 5 == 0 {
                    format!("{}%", c % 90)
                } else {
                    format!("{}.{:02}", c % 40, q)
                };
                let row = format!("C{c:06}.US,{period},{roe},{pe},{}.5B,Name {c}\n", c % 300);
                if q == 0 {
                    first_row.clone_from(&row);
                }
                t.push_str(&row);
            }
            if c == 9 {
                t.push_str(&first_row);
            }
        }
        t
    }

    #[test]
    fn the_bulk_path_reads_what_the_careful_reader_reads() {
        let text = big_file(10_000);
        assert!(text.len() > super::super::PARALLEL_BYTES);
        let careful = read_text(&text).unwrap();
        assert!(careful.packed_chunks().next().is_none());
        // A byte-order mark and CRLF line ends change nothing.
        for variant in [
            text.clone(),
            format!("\u{feff}{}", text.replace('\n', "\r\n")),
        ] {
            let fast = read_file(&variant).unwrap();
            assert!(
                fast.packed_chunks().next().is_some(),
                "the bulk path was taken"
            );
            assert!(fast.point_runs().next().is_none());
            assert_eq!(points(&fast), points(&careful));
            assert_eq!(fast.point_count(), careful.point_count());
            assert_eq!(
                fast.attr_of("C009999.US", "name").as_deref(),
                Some("Name 9999")
            );
        }
        // Company 9's repeated row is one point; company 7 comes back in period order.
        let p = points(&careful);
        let nine = &p[&("C000009.US".to_string(), "roe".to_string())];
        let q1 = Period::parse("2020Q1").unwrap().code();
        assert_eq!(nine.iter().filter(|x| x.0 == q1).count(), 1);
        let seven = &p[&("C000007.US".to_string(), "pe_ttm".to_string())];
        assert!(seven.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(
            p[&("C000010.US".to_string(), "pe_ttm".to_string())][0].1,
            0.1f64.to_bits()
        );
    }

    #[test]
    fn irregular_files_take_the_careful_reader_and_lose_nothing() {
        let text = big_file(10_000);
        let careful = points(&read_text(&text).unwrap());
        // Company 0's rows moved to the end: symbols no longer ascend.
        let mut lines: Vec<&str> = text.lines().collect();
        let first: Vec<&str> = lines.drain(1..13).collect();
        lines.extend(first);
        let moved = lines.join("\n") + "\n";
        // A quote late in the file.
        let quoted = text.replacen("C009998.US,2020Q1", "\"C009998.US\",2020Q1", 1);
        for variant in [moved, quoted] {
            let set = read_file(&variant).unwrap();
            assert!(set.packed_chunks().next().is_none());
            assert_eq!(points(&set), careful);
        }
    }

    #[test]
    fn errors_in_a_big_file_name_their_line_and_column() {
        let text = big_file(10_000).replacen(
            ",Name 4000\n",
            ",Name 4000\nC004000.US,2021Q1,x1,2,3,N\n",
            1,
        );
        let e = read_file(&text).unwrap_err().to_string();
        assert!(
            e.contains("big.csv:") && e.contains("'x1' in column 'roe' is not a number"),
            "{e}"
        );
        let line = text.lines().position(|l| l.contains(",x1,")).unwrap() + 1;
        assert!(e.contains(&format!("big.csv:{line}:")), "{e}");
    }

    #[test]
    fn blank_lines_are_skipped_as_the_careful_reader_skips_them() {
        let text = big_file(10_000);
        let blanks = text.replacen(",Name 5000\n", ",Name 5000\n\n\r\n", 1) + "\n\n";
        let careful = read_text(&blanks).unwrap();
        assert_eq!(points(&careful), points(&read_text(&text).unwrap()));
        let fast = read_file(&blanks).unwrap();
        assert!(
            fast.packed_chunks().next().is_some(),
            "the bulk path was taken"
        );
        assert_eq!(points(&fast), points(&careful));
    }

    /// The bulk path reads dates by the fiscal-label rule too: 52/53-week years ending in the
    /// first days of January are the year before.
    #[test]
    fn the_bulk_path_reads_fiscal_labels() {
        let mut text = String::from("symbol,Period Ending,revenue,net_income\n");
        let ends = ["2014-01-04", "2015-01-03", "2016-01-02", "2016-12-31"];
        for c in 0..40_000 {
            for (i, end) in ends.iter().enumerate() {
                text.push_str(&format!("C{c:06}.US,{end},{}.5,{i}\n", c % 1000));
            }
        }
        assert!(text.len() > super::super::PARALLEL_BYTES);
        let opts = ImportOptions {
            period_col: Some("Period Ending".into()),
            period_kind: Some(crate::model::PeriodKind::Year),
            ..ImportOptions::default()
        };
        let fast = read_file_with(&text, &opts).unwrap();
        assert!(
            fast.packed_chunks().next().is_some(),
            "the bulk path was taken"
        );
        let careful = read_text_with(&text, &opts).unwrap();
        assert_eq!(points(&fast), points(&careful));
        let years: Vec<String> = points(&fast)
            [&("C000001.US".to_string(), "net_income".to_string())]
            .iter()
            .map(|p| Period::from_code(p.0).unwrap().to_string())
            .collect();
        assert_eq!(years, ["2013", "2014", "2015", "2016"]);
    }

    /// A row that gives a period another value than an earlier row: the bulk path gives up
    /// and the careful reader names both rows.
    #[test]
    fn two_rows_for_one_period_with_different_values_name_both_lines() {
        let extra = "C004000.US,2020Q2,0.5,1,1B,Name 4000";
        // After company 4000's first row, before its own 2020Q2 row.
        let text = big_file(10_000).replacen(",Name 4000\n", &format!(",Name 4000\n{extra}\n"), 1);
        let first = text.lines().position(|l| l == extra).unwrap() + 1;
        let e = read_file(&text).unwrap_err().to_string();
        let second = first + 1;
        assert!(
            e.ends_with(&format!(
                "big.csv:{second}:12: C004000.US has two rows for 2020Q2 (2020Q2 on line {first}, 2020Q2 on line {second}) with different values: 'roe' 0.5 and 123.974122 (and 2 more columns); keep one of them"
            )),
            "{e}"
        );
    }

    /// The bulk path gives the metrics it registers their units from all their values, as
    /// the careful reader does. (Columns named after no metric are decided by their contents
    /// first, which the careful reader does: here maps name them.)
    #[test]
    fn the_bulk_path_registers_new_metrics_with_their_units() {
        let mut text = String::from("symbol,period,Lease Obligations,Cash Ratio\n");
        for c in 0..60_000 {
            for y in 2013..2016 {
                text.push_str(&format!("C{c:06}.US,{y},{}000000.0,0.{c}\n", c % 700 + 1));
            }
        }
        assert!(text.len() > super::super::PARALLEL_BYTES);
        let units = |set: &WriteSet| {
            let mut u: Vec<(String, crate::model::Unit)> = set
                .new_metrics()
                .iter()
                .map(|d| (d.id.clone(), d.unit))
                .collect();
            u.sort_by(|a, b| a.0.cmp(&b.0));
            u
        };
        let opts = ImportOptions {
            maps: [
                "Lease Obligations=lease_obligations",
                "Cash Ratio=cash_ratio",
            ]
            .iter()
            .map(|m| crate::ingest::ColumnMap::parse(m).unwrap())
            .collect(),
            ..ImportOptions::default()
        };
        let fast = read_file_with(&text, &opts).unwrap();
        assert!(
            fast.packed_chunks().next().is_some(),
            "the bulk path was taken"
        );
        let expected = [
            ("cash_ratio".to_string(), crate::model::Unit::Ratio),
            ("lease_obligations".to_string(), crate::model::Unit::Money),
        ];
        assert_eq!(units(&fast), expected);
        assert_eq!(units(&read_text_with(&text, &opts).unwrap()), expected);
    }
}
