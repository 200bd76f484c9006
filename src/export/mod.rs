//! `finq export DIR`: the whole database as files other engines read (SCALE.md) —
//! `companies`, `points/metric=<id>/part-0000` (hive-partitioned by metric), `catalog`,
//! and `definitions.json`, as Parquet or CSV. The files are written into a temporary folder
//! beside `DIR`, which is renamed to `DIR` at the end, so a reader never sees half an
//! export and a failed export leaves nothing behind.
//!
//! Only stored points are exported: derived values are computed by the query (`finq sql`),
//! as finq computes them. Exchange rates go to `fx` beside `catalog` (columns `date`,
//! `currency`, `usd`: US dollars per unit, as `finq import --kind fx` reads them), and
//! `definitions.json` holds saved screens, metrics and scorecards with the base currency.

pub mod frame;

pub use frame::{Data, Frame, write_csv, write_parquet};

use crate::error::{Error, Result};
use crate::model::{Date, Period, PeriodKind};
use crate::storage::Database;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The file format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Parquet,
    Csv,
}

impl FileFormat {
    pub fn parse(s: &str) -> Option<FileFormat> {
        match s.to_ascii_lowercase().as_str() {
            "parquet" => Some(FileFormat::Parquet),
            "csv" => Some(FileFormat::Csv),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Parquet => "parquet",
            FileFormat::Csv => "csv",
        }
    }

    /// Writes one frame in this format.
    pub fn write(self, path: &Path, frame: &Frame) -> Result<()> {
        match self {
            FileFormat::Parquet => write_parquet(path, frame),
            FileFormat::Csv => write_csv(path, frame),
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportReport {
    pub companies: usize,
    pub metrics: usize,
    pub points: usize,
    pub bytes: u64,
}

/// How a period kind is written in the `period_kind` column (as `series ... kind` takes it).
pub fn kind_name(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::Year => "fy",
        PeriodKind::Half => "h",
        PeriodKind::Quarter => "q",
        PeriodKind::Day => "day",
    }
}

/// Days from 1970-01-01 to a date (Parquet's DATE).
pub fn epoch_days(d: Date) -> i32 {
    d.days_since_epoch() as i32
}

/// Exports the database into `dir`, which must not exist yet. `progress` is called with
/// (metrics done, metrics in all) as the points are written.
pub fn export(
    db: &Database,
    dir: &Path,
    format: FileFormat,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<ExportReport> {
    if dir.exists() {
        return Err(Error::Usage(format!(
            "{} already exists: export writes a new folder (remove it, or name another)",
            dir.display()
        )));
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Usage(format!("{} is not a folder name", dir.display())))?;
    let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let fail = |e: Error| {
        let _ = std::fs::remove_dir_all(&tmp);
        e
    };
    std::fs::create_dir_all(&tmp).map_err(|e| {
        Error::Io(format!(
            "cannot create {}: {e} (does {} exist and is it writable?)",
            tmp.display(),
            parent.display()
        ))
    })?;
    let report = write_all(db, &tmp, format, progress).map_err(fail)?;
    std::fs::rename(&tmp, dir).map_err(|e| {
        fail(Error::Io(format!(
            "cannot rename {} to {}: {e}",
            tmp.display(),
            dir.display()
        )))
    })?;
    Ok(report)
}

fn write_all(
    db: &Database,
    dir: &Path,
    format: FileFormat,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<ExportReport> {
    let ext = format.extension();
    let mut report = ExportReport::default();

    let companies = db.companies()?;
    report.companies = companies.len();
    let symbols: HashMap<String, String> = companies
        .iter()
        .map(|c| (crate::model::symbol_key(&c.symbol), c.symbol.clone()))
        .collect();
    format.write(
        &dir.join(format!("companies.{ext}")),
        &companies_frame(&companies),
    )?;

    let metrics: Vec<String> = db
        .catalog()
        .defs()
        .iter()
        .map(|d| d.id.clone())
        .filter(|id| db.has_series(id).unwrap_or(false))
        .collect();
    format.write(&dir.join(format!("catalog.{ext}")), &catalog_frame(db)?)?;
    format.write(&dir.join(format!("fx.{ext}")), &fx_frame(db)?)?;

    // One metric at a time on each core: reading a metric's chunks and encoding its file
    // are independent of every other metric's.
    let points = dir.join("points");
    let next = AtomicUsize::new(0);
    let done = Mutex::new((0usize, 0usize, progress));
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let one = |id: &str| -> Result<usize> {
        let part = points.join(format!("metric={id}"));
        std::fs::create_dir_all(&part)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", part.display())))?;
        let frame = points_frame(db, id, &symbols)?;
        format.write(&part.join(format!("part-0000.{ext}")), &frame)?;
        Ok(frame.rows())
    };
    let results: Vec<Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(id) = metrics.get(k) else {
                            return Ok(());
                        };
                        let rows = one(id)?;
                        let mut d = done.lock().unwrap_or_else(|e| e.into_inner());
                        d.0 += 1;
                        d.1 += rows;
                        let n = d.0;
                        (d.2)(n, metrics.len());
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Data("an export worker failed".into())))
            })
            .collect()
    });
    results.into_iter().collect::<Result<Vec<()>>>()?;
    report.points = done.lock().unwrap_or_else(|e| e.into_inner()).1;
    report.metrics = metrics.len();

    let mut defs = serde_json::Map::new();
    for kind in ["screen", "metric", "scorecard"] {
        let list: Vec<serde_json::Value> = db
            .definitions(kind)?
            .into_iter()
            .map(|(name, text)| serde_json::json!({ "name": name, "text": text }))
            .collect();
        defs.insert(format!("{kind}s"), serde_json::Value::Array(list));
    }
    defs.insert(
        "base_currency".into(),
        serde_json::Value::String(db.base_currency()?),
    );
    let text = serde_json::to_string_pretty(&serde_json::Value::Object(defs))
        .map_err(|e| Error::Data(format!("definitions: {e}")))?;
    let path = dir.join("definitions.json");
    std::fs::write(&path, text + "\n")
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
    report.bytes = folder_size(dir);
    Ok(report)
}

/// `symbol`, then `name`, `industry`, `sector`, then every other attribute by name.
fn companies_frame(companies: &[crate::model::Company]) -> Frame {
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for c in companies {
        names.extend(c.attrs.keys().map(String::as_str));
    }
    let lead = ["name", "industry", "sector"];
    let order: Vec<&str> = lead
        .iter()
        .copied()
        .chain(names.iter().copied().filter(|n| !lead.contains(n)))
        .collect();
    let mut frame = Frame::default();
    frame.push(
        "symbol",
        Data::Text(companies.iter().map(|c| Some(c.symbol.clone())).collect()),
    );
    for attr in order {
        frame.push(
            attr,
            Data::Text(
                companies
                    .iter()
                    .map(|c| c.attrs.get(attr).cloned())
                    .collect(),
            ),
        );
    }
    frame
}

/// Every exchange rate: `date`, `currency`, `usd` (US dollars per unit), by currency and
/// date. Empty (with its columns) when the database has none.
fn fx_frame(db: &Database) -> Result<Frame> {
    let rates = db.rates()?;
    let (mut date, mut code, mut usd) = (Vec::new(), Vec::new(), Vec::new());
    for (c, d, v) in rates.points() {
        date.push(epoch_days(d));
        code.push(Some(c.to_string()));
        usd.push(Some(v));
    }
    let mut frame = Frame::default();
    frame.push("date", Data::Date(date));
    frame.push("currency", Data::Text(code));
    frame.push("usd", Data::Num(usd));
    Ok(frame)
}

/// One metric's stored points, by symbol and period.
fn points_frame(db: &Database, id: &str, symbols: &HashMap<String, String>) -> Result<Frame> {
    let (mut sym, mut period, mut kind, mut end, mut value) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for entry in db.series_in_order(id) {
        let (key, codes, values) = entry?;
        let symbol = symbols.get(&key).cloned().unwrap_or(key);
        for (c, v) in codes.into_iter().zip(values) {
            let Some(p) = Period::from_code(c) else {
                return Err(Error::Storage(format!(
                    "{id} of {symbol}: a period code {c} no period has"
                )));
            };
            sym.push(Some(symbol.clone()));
            period.push(Some(p.to_string()));
            kind.push(Some(kind_name(p.kind()).to_string()));
            end.push(epoch_days(p.end_date()));
            value.push((!v.is_nan()).then_some(v));
        }
    }
    let mut frame = Frame::default();
    frame.push("symbol", Data::Text(sym));
    frame.push("period", Data::Text(period));
    frame.push("period_kind", Data::Text(kind));
    frame.push("period_end", Data::Date(end));
    frame.push("value", Data::Num(value));
    Ok(frame)
}

/// Every metric of the catalog: `kind` says where it comes from (`builtin`, `imported`,
/// `computed`), `basis` how this database gets its values (`stored`, `derived` from
/// statement items by DERIVATIONS.md's rule, `formula` for a computed metric, or `none`),
/// `formula` the rule or the definition.
fn catalog_frame(db: &Database) -> Result<Frame> {
    let catalog = db.catalog();
    let mut cols: [Vec<Option<String>>; 8] = Default::default();
    for d in catalog.defs() {
        let builtin = catalog.is_builtin(&d.id);
        let stored = db.has_series(&d.id)?;
        let rule = crate::analysis::derive::rule_for(&d.id).map(|r| r.text());
        let kind = match (&d.expr, builtin) {
            (Some(_), false) => "computed",
            (_, true) => "builtin",
            _ => "imported",
        };
        let basis = match (&d.expr, stored, &rule) {
            (Some(_), _, _) => "formula",
            (None, true, _) => "stored",
            (None, false, Some(_)) => "derived",
            _ => "none",
        };
        let formula = d.expr.clone().or(rule);
        let row = [
            Some(d.id.clone()),
            Some(d.display.clone()),
            Some(d.unit.name().to_string()),
            Some(d.direction.name().to_string()),
            Some(d.dimension.name().to_string()),
            Some(basis.to_string()),
            Some(kind.to_string()),
            formula,
        ];
        for (c, v) in cols.iter_mut().zip(row) {
            c.push(v);
        }
    }
    let names = [
        "metric",
        "name",
        "unit",
        "direction",
        "dimension",
        "basis",
        "kind",
        "formula",
    ];
    let mut frame = Frame::default();
    for (n, c) in names.iter().zip(cols) {
        frame.push(n, Data::Text(c));
    }
    Ok(frame)
}

fn folder_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => folder_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
