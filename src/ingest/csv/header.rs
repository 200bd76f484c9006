//! The header row ([`Header`]) and the shape it gives a file ([`Shape::choose`]): long
//! points, or a table (wide points or companies), with the symbol and period columns that
//! the options or the header's names pick.

use super::source::{Source, locate};
use crate::error::{Error, Result, suggest};
use crate::ingest::{ColumnMap, ImportOptions};
use crate::model::Period;
use crate::model::catalog::snake_case;
use csv::ByteRecord;
use std::collections::HashMap;

/// Header names that hold the symbol when `--symbol-col` is not given.
const SYMBOL_NAMES: [&str; 3] = ["symbol", "ticker", "ticker_symbol"];

/// The header row: names as written (trimmed) and their snake_case keys, which is how
/// columns are compared.
pub(super) struct Header {
    pub(super) names: Vec<String>,
    pub(super) keys: Vec<String>,
    /// Columns that `--skip` leaves out.
    left_out: Vec<bool>,
}

impl Header {
    /// Reads the header row and marks the columns `skip` names as left out (each must be
    /// there: a misspelt `--skip` would otherwise leave in what it meant to leave out).
    pub(super) fn read(src: &Source, record: &ByteRecord, skip: &[String]) -> Result<Header> {
        let mut names = Vec::with_capacity(record.len());
        let mut keys = Vec::with_capacity(record.len());
        for (i, cell) in record.iter().enumerate() {
            let name = std::str::from_utf8(cell)
                .map_err(|_| src.error(record, i, "this column name is not UTF-8"))?
                .trim();
            keys.push(snake_case(name));
            names.push(name.to_string());
        }
        let mut header = Header {
            left_out: vec![false; names.len()],
            names,
            keys,
        };
        for wanted in skip {
            let i = header.column(src, wanted, &format!("--skip \"{wanted}\""))?;
            if let Some(slot) = header.left_out.get_mut(i) {
                *slot = true;
            }
        }
        // A repeated name is checked after --skip, which is how a file that repeats one
        // can still be imported: leave one of the two out.
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
                        "column '{0}' repeats column '{1}' (leave one out with --skip \"{0}\")",
                        header.name(i),
                        header.name(first)
                    ),
                ));
            }
            seen.insert(key, i);
        }
        Ok(header)
    }

    pub(super) fn name(&self, i: usize) -> &str {
        self.names.get(i).map_or("", String::as_str)
    }

    /// A column left out: one whose name has no letter or digit (empty, `#`: a saved row
    /// index), or one that `--skip` names.
    pub(super) fn skipped(&self, i: usize) -> bool {
        self.keys.get(i).is_none_or(|k| k.is_empty()) || self.left_out.get(i) == Some(&true)
    }

    /// The column a command-line option names: exactly as written first, then by snake_case.
    pub(super) fn find(&self, wanted: &str) -> Option<usize> {
        let wanted = wanted.trim();
        self.names.iter().position(|n| n == wanted).or_else(|| {
            let key = snake_case(wanted);
            (!key.is_empty())
                .then(|| self.keys.iter().position(|k| *k == key))
                .flatten()
        })
    }

    /// The column an option (`--map "Gross Margn=..."`, shown as `option`) names, or an
    /// error that lists the header's columns and the nearest name: an option that names
    /// no column would otherwise be ignored and the import would store the wrong thing.
    pub(super) fn column(&self, src: &Source, wanted: &str, option: &str) -> Result<usize> {
        if let Some(i) = self.find(wanted) {
            return Ok(i);
        }
        let names = (0..self.names.len())
            .filter(|&i| self.keys.get(i).is_some_and(|k| !k.is_empty()))
            .map(|i| self.name(i));
        let wanted = wanted.trim();
        Err(src.file_error(match suggest(wanted, names) {
            Some(near) => format!(
                "has no column '{wanted}' ({option}) — did you mean '{near}'? Its columns are {}",
                self.list()
            ),
            None => format!(
                "has no column '{wanted}' ({option}); its columns are {}",
                self.list()
            ),
        }))
    }

    /// The column an option names, which must not be one `--skip` leaves out.
    fn kept_column(&self, src: &Source, wanted: &str, option: &str) -> Result<usize> {
        let i = self.column(src, wanted, option)?;
        if self.skipped(i) {
            return Err(src.file_error(format!(
                "{option} names column '{}', which --skip leaves out",
                self.name(i)
            )));
        }
        Ok(i)
    }

    fn key_position(&self, key: &str, except: &[usize]) -> Option<usize> {
        self.keys
            .iter()
            .enumerate()
            .position(|(i, k)| k == key && !except.contains(&i) && !self.skipped(i))
    }

    pub(super) fn list(&self) -> String {
        let shown: Vec<String> = (0..self.names.len())
            .filter(|&i| self.keys.get(i).is_some_and(|k| !k.is_empty()))
            .map(|i| format!("'{}'", self.name(i)))
            .collect();
        shown.join(", ")
    }

    /// The column of each `--map`, by position (`None` where no map names the column); a
    /// map of a column the header lacks, of one `--skip` leaves out, of the symbol or period
    /// column, or two maps of one column, are errors.
    pub(super) fn maps<'o>(
        &self,
        src: &Source,
        maps: &'o [ColumnMap],
        taken: &[usize],
    ) -> Result<Vec<Option<&'o ColumnMap>>> {
        let mut by_column: Vec<Option<&ColumnMap>> = vec![None; self.names.len()];
        for m in maps {
            let option = format!("--map \"{}={}\"", m.column, m.target);
            let i = self.kept_column(src, &m.column, &option)?;
            if taken.contains(&i) {
                return Err(src.file_error(format!(
                    "{option} names column '{}', which holds the symbol or the period",
                    self.name(i)
                )));
            }
            match by_column.get_mut(i) {
                Some(Some(first)) => {
                    return Err(src.file_error(format!(
                        "--map names column '{}' twice ('{}' and '{}'): give it one map",
                        self.name(i),
                        first.target,
                        m.target
                    )));
                }
                Some(slot) => *slot = Some(m),
                None => {}
            }
        }
        Ok(by_column)
    }
}

/// Where the period of a row comes from.
#[derive(Clone, Copy, Debug)]
pub(super) enum PeriodFrom {
    /// A companies file: rows carry no period.
    Nothing,
    /// `--period P` for every row.
    Fixed(Period),
    /// This column.
    Column(usize),
}

/// Column positions of a long file.
pub(super) struct LongColumns {
    pub(super) symbol: usize,
    pub(super) metric: usize,
    pub(super) value: usize,
    pub(super) period: PeriodFrom,
}

/// The three shapes of DATA_FORMATS.md; companies and wide files share one reader, the
/// companies shape being a wide one without periods or metrics.
pub(super) enum Shape {
    Long(LongColumns),
    Table { symbol: usize, period: PeriodFrom },
}

impl Shape {
    pub(super) fn choose(src: &Source, header: &Header, opts: &ImportOptions) -> Result<Shape> {
        let symbol = match &opts.symbol_col {
            Some(c) => header.kept_column(src, c, "--symbol-col")?,
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
                let i = header.kept_column(src, c, "--period-col")?;
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
                        "column '{0}' does not belong in a long file (its columns are symbol, metric, period, value; leave it out with --skip \"{0}\")",
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
