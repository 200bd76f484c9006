//! Imports: reading CSV, JSON lines and quote pages into a [`WriteSet`], one file at a time,
//! so each file is applied atomically or not at all (DATA_FORMATS.md).

pub mod csv;
pub mod fx;
pub mod jsonl;
pub mod quote;

use crate::error::{Error, Result};
use crate::model::{Catalog, Period, PeriodKind, Unit};
use crate::storage::{Database, WriteSet, WriteStats};
use std::path::Path;
use std::time::Instant;

/// What kind of file an import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Jsonl,
    Quote,
    /// Exchange rates: `date,currency,usd`.
    Fx,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(Kind::Csv),
            "jsonl" | "json" | "ndjson" => Some(Kind::Jsonl),
            "quote" | "md" => Some(Kind::Quote),
            "fx" | "rates" => Some(Kind::Fx),
            _ => None,
        }
    }
}

/// `--map "COL=METRIC[*FACTOR][:UNIT]"`: a column's metric (or attribute), a multiplier,
/// and the unit of a metric the import registers.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnMap {
    pub column: String,
    pub target: String,
    pub factor: f64,
    pub unit: Option<Unit>,
}

/// The units a `--map` may give a new metric.
const MAP_UNITS: [Unit; 4] = [Unit::Money, Unit::Percent, Unit::Ratio, Unit::Count];

impl ColumnMap {
    pub fn parse(spec: &str) -> Result<ColumnMap> {
        let bad = || {
            Error::Usage(format!(
                "--map expects COL=METRIC[*FACTOR][:UNIT], not '{spec}'"
            ))
        };
        // The last '=' ends the column's name, which may hold any character; the metric
        // part holds no '=' or ':' of its own.
        let (column, rest) = spec.rsplit_once('=').ok_or_else(bad)?;
        let (rest, unit) = match rest.rsplit_once(':') {
            Some((r, u)) => {
                let unit = Unit::parse(u.trim())
                    .filter(|u| MAP_UNITS.contains(u))
                    .ok_or_else(|| {
                        Error::Usage(format!(
                            "--map '{spec}': '{}' is not a unit (money, percent, ratio, count)",
                            u.trim()
                        ))
                    })?;
                (r, Some(unit))
            }
            None => (rest, None),
        };
        let (target, factor) = match rest.rsplit_once('*') {
            Some((t, f)) => (
                t,
                crate::model::number::parse_number(f.trim()).ok_or_else(bad)?,
            ),
            None => (rest, 1.0),
        };
        if column.trim().is_empty() || target.trim().is_empty() {
            return Err(bad());
        }
        Ok(ColumnMap {
            column: column.trim().to_string(),
            target: target.trim().to_string(),
            factor,
            unit,
        })
    }
}

/// The options of `finq import` for other people's files (DATA_FORMATS.md).
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// `--kind`: overrides detection by extension and content.
    pub kind: Option<Kind>,
    pub symbol_col: Option<String>,
    pub period_col: Option<String>,
    /// `--period-kind fy|q|day`: how a date in the period column is read.
    pub period_kind: Option<PeriodKind>,
    /// `--period P`: one period for every row.
    pub period: Option<Period>,
    pub maps: Vec<ColumnMap>,
    /// `--skip COL` (repeatable): columns to leave out.
    pub skip: Vec<String>,
    /// `--companies`: the file is a companies file.
    pub companies: bool,
}

/// What one imported file brought.
#[derive(Clone, Debug)]
pub struct ImportReport {
    pub file: String,
    pub stats: WriteStats,
    /// Metrics this file registered in the catalog, with their units.
    pub registered: Vec<(String, Unit)>,
    /// Things a reader noticed but imported anyway (a quote page's radar block that
    /// disagrees with its tables, a row cut off by the end of the page).
    pub warnings: Vec<String>,
    pub seconds: f64,
}

impl ImportReport {
    /// The one-line summary DATA_FORMATS.md asks for: what changed, then the time it took.
    pub fn summary(&self) -> String {
        let s = &self.stats;
        let rates = s.rates_new + s.rates_unchanged + s.rates_overwritten;
        // An exchange-rate file is measured in rates, any other in points.
        let (n, what) = match self.points_written() {
            0 if rates > 0 => (rates, "rates"),
            n => (n, "points"),
        };
        let speed = if self.seconds > 0.0 {
            n as f64 / self.seconds
        } else {
            0.0
        };
        format!(
            "{}, {:.2} s, {:.0} {what}/s",
            self.counts(),
            self.seconds,
            speed
        )
    }

    /// Points stored: new, unchanged or overwritten (a row the file repeats counts once).
    pub fn points_written(&self) -> usize {
        let s = &self.stats;
        s.points_new + s.points_unchanged + s.points_overwritten
    }

    /// The summary without timings, for results that must read the same every run:
    /// `imported f.csv: 448 companies (0 added, 448 updated), 1756 points (1756 new, 0
    /// unchanged, 0 overwritten), sector changed for 120 companies, 2 metrics registered
    /// (money: gross_profit; ratio: for_year)`.
    pub fn counts(&self) -> String {
        let s = &self.stats;
        let mut parts = vec![format!(
            "{} ({} added, {} updated)",
            plural(s.companies, "company", "companies"),
            s.companies_added,
            s.companies_updated
        )];
        parts.push(match self.points_written() {
            0 => "0 points".to_string(),
            n => format!(
                "{} ({} new, {} unchanged, {} overwritten)",
                plural(n, "point", "points"),
                s.points_new,
                s.points_unchanged,
                s.points_overwritten
            ),
        });
        let rates = s.rates_new + s.rates_unchanged + s.rates_overwritten;
        if rates > 0 {
            // An fx file touches no company and no point: its rates are the whole summary.
            if s.companies == 0 && self.points_written() == 0 {
                parts.clear();
            }
            parts.push(format!(
                "{} ({} new, {} unchanged, {} overwritten)",
                plural(rates, "exchange rate", "exchange rates"),
                s.rates_new,
                s.rates_unchanged,
                s.rates_overwritten
            ));
        }
        for (attribute, n) in &s.attributes_changed {
            parts.push(format!(
                "{attribute} changed for {}",
                plural(*n, "company", "companies")
            ));
        }
        if !self.registered.is_empty() {
            // Grouped by unit, so a file that brings fifty statement items stays readable.
            let units = [
                Unit::Money,
                Unit::Percent,
                Unit::Ratio,
                Unit::Count,
                Unit::Score,
                Unit::PercentPoints,
            ];
            let groups: Vec<String> = units
                .iter()
                .filter_map(|unit| {
                    let ids: Vec<&str> = self
                        .registered
                        .iter()
                        .filter(|r| r.1 == *unit)
                        .map(|r| r.0.as_str())
                        .collect();
                    (!ids.is_empty()).then(|| format!("{}: {}", unit.name(), ids.join(", ")))
                })
                .collect();
            parts.push(format!(
                "{} registered ({})",
                plural(self.registered.len(), "metric", "metrics"),
                groups.join("; ")
            ));
        }
        format!("imported {}: {}", self.file, parts.join(", "))
    }
}

/// `1 company`, `2 companies`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Chooses the reader for a file: `--kind`, else the extension, else a look at its content.
pub fn detect_kind(path: &Path, head: &[u8], opts: &ImportOptions) -> Kind {
    if let Some(k) = opts.kind {
        return k;
    }
    // An exchange-rate file is a CSV whose header is exactly its three columns.
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let header: Vec<String> = String::from_utf8_lossy(first_line)
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(crate::model::catalog::snake_case)
        .collect();
    if header == ["date", "currency", "usd"] {
        return Kind::Fx;
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" | "tsv" => return Kind::Csv,
        "jsonl" | "ndjson" | "json" => return Kind::Jsonl,
        "md" | "markdown" => return Kind::Quote,
        _ => {}
    }
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('{') {
        Kind::Jsonl
    } else if t.starts_with("---") || t.contains("Financial Score") {
        Kind::Quote
    } else {
        Kind::Csv
    }
}

/// Reads one file into a write set without touching the database. `progress` is told how
/// many bytes have been read so far.
pub fn read_file(
    path: &Path,
    opts: &ImportOptions,
    catalog: &Catalog,
    progress: &mut dyn FnMut(u64),
    warnings: &mut Vec<String>,
) -> Result<WriteSet> {
    let shown = path.display().to_string();
    let cannot = |e: std::io::Error| Error::File {
        file: shown.clone(),
        message: format!("cannot be read: {e}"),
    };
    // A large CSV file streams from disk when it can; everything else is read whole.
    let mut head = Vec::with_capacity(4096);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(path).map_err(cannot)?, 4096),
        &mut head,
    )
    .map_err(cannot)?;
    let kind = detect_kind(path, &head, opts);
    if kind == Kind::Csv
        && let Some(set) = csv::read_streaming(&shown, path, opts, catalog, progress)?
    {
        return Ok(set);
    }
    let bytes = std::fs::read(path).map_err(cannot)?;
    read_bytes(&shown, &bytes, kind, opts, catalog, progress, warnings)
}

/// Reads a file's bytes, of a known kind, into a write set.
fn read_bytes(
    name: &str,
    bytes: &[u8],
    kind: Kind,
    opts: &ImportOptions,
    catalog: &Catalog,
    progress: &mut dyn FnMut(u64),
    warnings: &mut Vec<String>,
) -> Result<WriteSet> {
    match kind {
        Kind::Csv => csv::read(name, bytes, opts, catalog, progress),
        Kind::Jsonl => jsonl::read(name, bytes, catalog, progress),
        Kind::Fx => {
            let set = fx::read(name, bytes, opts)?;
            progress(bytes.len() as u64);
            Ok(set)
        }
        Kind::Quote => {
            let set = quote::read(name, bytes, catalog, warnings)?;
            // Pages are small: the whole file is read at once.
            progress(bytes.len() as u64);
            Ok(set)
        }
    }
}

/// Imports one file atomically: it is read (or streamed) into one write set, then applied as
/// one batch.
pub fn import_file(
    db: &mut Database,
    path: &Path,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport> {
    let start = Instant::now();
    let mut warnings = Vec::new();
    let set = read_file(path, opts, db.catalog(), progress, &mut warnings)?;
    store(db, path.display().to_string(), set, warnings, start)
}

/// Imports bytes read elsewhere (the demo's compiled-in sample) as the file `name`, of the
/// kind its name and content say.
pub fn import_bytes(
    db: &mut Database,
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<ImportReport> {
    let start = Instant::now();
    let mut warnings = Vec::new();
    let kind = detect_kind(Path::new(name), bytes, opts);
    let set = read_bytes(
        name,
        bytes,
        kind,
        opts,
        db.catalog(),
        &mut |_| {},
        &mut warnings,
    )?;
    store(db, name.to_string(), set, warnings, start)
}

/// Applies what one file brought as one write.
fn store(
    db: &mut Database,
    file: String,
    set: WriteSet,
    warnings: Vec<String>,
    start: Instant,
) -> Result<ImportReport> {
    let registered: Vec<(String, Unit)> = set
        .new_metrics()
        .iter()
        .filter(|d| db.catalog().get(&d.id).is_none())
        .map(|d| (d.id.clone(), d.unit))
        .collect();
    // Past its time limit an import stops here, before anything is written; once applying
    // begins, it finishes (a file is all or nothing).
    crate::error::stop::check()?;
    let stats = crate::error::stop::shielded(|| db.apply(set))?;
    Ok(ImportReport {
        file,
        stats,
        registered,
        warnings,
        seconds: start.elapsed().as_secs_f64(),
    })
}
