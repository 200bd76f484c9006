//! Exchange-rate files (`--kind fx`, DATA_FORMATS.md "Exchange rates"): a CSV with the
//! columns `date,currency,usd`, one row per currency and day, the value of one unit of the
//! currency in US dollars. `--map` renames columns (`--map "Rate=usd"`). A bad row fails the
//! whole file at its line and column.

use super::ImportOptions;
use crate::error::{Error, Result};
use crate::model::currency::{USD, normalize_code};
use crate::model::{Date, Period, catalog::snake_case};
use crate::storage::WriteSet;

const COLUMNS: [&str; 3] = ["date", "currency", "usd"];

/// Reads an fx file into a write set of rates.
pub fn read(name: &str, bytes: &[u8], opts: &ImportOptions) -> Result<WriteSet> {
    let at = |line: usize, column: usize, message: String| Error::Import {
        file: name.to_string(),
        line,
        column,
        message,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|_| at(1, 1, "an fx file must be UTF-8 text".into()))?
        .trim_start_matches('\u{feff}');
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| at(1, 1, format!("unreadable header: {e}")))?
        .clone();
    // Each needed column's position, after --map renames.
    let mut pos = [None; 3];
    for (i, h) in header.iter().enumerate() {
        let mapped = opts
            .maps
            .iter()
            .find(|m| snake_case(&m.column) == snake_case(h))
            .map_or(h, |m| m.target.as_str());
        if let Some(k) = COLUMNS.iter().position(|c| *c == snake_case(mapped)) {
            pos[k] = Some(i);
        }
    }
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(&pos)
        .filter(|(_, p)| p.is_none())
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        return Err(at(
            1,
            1,
            format!(
                "an fx file needs the columns date,currency,usd; {} missing (rename others with --map \"COLUMN=usd\")",
                missing.join(", ")
            ),
        ));
    }
    let [Some(d), Some(c), Some(u)] = pos else {
        unreachable!("every column was found above")
    };
    let mut set = WriteSet::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = record.map_err(|e| at(line, 1, format!("unreadable row: {e}")))?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let field = |k: usize| record.get(k).unwrap_or("").trim();
        let day = Date::parse(field(d)).ok_or_else(|| {
            at(
                line,
                d + 1,
                format!("'{}' is not a date (write 2016-12-30)", field(d)),
            )
        })?;
        let code = normalize_code(field(c)).ok_or_else(|| {
            at(
                line,
                c + 1,
                format!(
                    "'{}' is not an ISO 4217 currency code (three letters, such as CNY)",
                    field(c)
                ),
            )
        })?;
        let usd = crate::model::number::parse_number(field(u))
            .filter(|v| v.is_finite() && *v > 0.0)
            .ok_or_else(|| {
                at(
                    line,
                    u + 1,
                    format!(
                        "'{}' is not a rate: one {code} in US dollars, a number above 0",
                        field(u)
                    ),
                )
            })?;
        if code == USD {
            if usd != 1.0 {
                return Err(at(
                    line,
                    u + 1,
                    format!("one USD is worth 1 US dollar, not {}", field(u)),
                ));
            }
            continue;
        }
        set.push_rate(&code, Period::Day(day).code(), usd);
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ColumnMap;

    #[test]
    fn reads_rates_and_maps_columns() {
        let opts = ImportOptions {
            maps: vec![ColumnMap::parse("Rate=usd").unwrap()],
            ..ImportOptions::default()
        };
        let set = read(
            "r.csv",
            b"Date,Currency,Rate\n2016-12-30,cny,0.1440\n\n2016-12-30,USD,1\n",
            &opts,
        )
        .unwrap();
        let day = Period::Day(Date::parse("2016-12-30").unwrap()).code();
        assert_eq!(set.rates()["CNY"], vec![(day, 0.1440)]);
        assert_eq!(set.rates().len(), 1);
    }

    #[test]
    fn bad_rows_name_line_and_column() {
        let opts = ImportOptions::default();
        let e = |text: &str| {
            read("r.csv", text.as_bytes(), &opts)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e("date,currency,usd\n2016-12-30,CNY,0.144\n2016-13-01,CNY,0.1\n"),
            "error: r.csv:3:1: '2016-13-01' is not a date (write 2016-12-30)"
        );
        assert!(e("date,currency,usd\n2016-12-30,yuan,0.1\n").contains("r.csv:2:2:"));
        assert!(e("date,currency,usd\n2016-12-30,CNY,-1\n").contains("r.csv:2:3:"));
        assert!(e("date,currency,rate\n").contains("usd missing"));
        assert!(e("date,currency,usd\n2016-12-30,USD,2\n").contains("not 2"));
    }
}
