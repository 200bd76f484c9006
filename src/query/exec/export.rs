//! `export (SELECT) to "FILE"`: a select's result written to a file — CSV, JSON lines (one
//! object per row) or Parquet (through the same writer as `finq export`) — whole, into a
//! temporary file beside it that is renamed into place.

use super::Env;
use crate::error::{Error, Result};
use crate::export::{Data, Frame, write_parquet};
use crate::output::{self, Format, Output, Table, Value};
use crate::query::plan::SelectPlan;
use std::path::Path;

/// The file formats `export ... to` writes, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    JsonLines,
    Parquet,
}

impl FileKind {
    /// The format a file's extension names.
    pub fn of(path: &str) -> Result<FileKind> {
        let ext = Path::new(path)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" => Ok(FileKind::Csv),
            "jsonl" | "ndjson" => Ok(FileKind::JsonLines),
            "parquet" => Ok(FileKind::Parquet),
            _ => Err(Error::Data(format!(
                "export writes .csv, .jsonl or .parquet files: \"{path}\" has {}",
                if ext.is_empty() {
                    "no extension".to_string()
                } else {
                    format!("the extension .{ext}")
                }
            ))),
        }
    }
}

/// Runs the select and writes its table.
pub fn run(env: &mut Env, select: &SelectPlan, path: &str, kind: FileKind) -> Result<Vec<Output>> {
    let table = super::select::run_select(env, select)?.table;
    let target = Path::new(path);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Data(format!("\"{path}\" names no file")))?;
    let tmp = target.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let written = match kind {
        FileKind::Csv => write_text(&tmp, &output::render(&table, Format::Csv)),
        FileKind::JsonLines => write_text(&tmp, &output::render_objects(&table)),
        FileKind::Parquet => write_parquet(&tmp, &frame(&table)),
    }
    .and_then(|()| {
        std::fs::rename(&tmp, target).map_err(|e| Error::Io(format!("cannot write {path}: {e}")))
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    let s = if table.rows.len() == 1 { "" } else { "s" };
    Ok(vec![Output::Message(format!(
        "exported {} row{s} to {path}",
        table.rows.len()
    ))])
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| {
        Error::Io(format!(
            "cannot write {}: {e} (does its folder exist and is it writable?)",
            path.display()
        ))
    })
}

/// A result table as columns: a column whose every value is a number (or missing) is a
/// DOUBLE column, any other a string column (numbers in it written as CSV writes them).
pub fn frame(table: &Table) -> Frame {
    let mut frame = Frame::default();
    for (j, column) in table.columns.iter().enumerate() {
        let cells = table.rows.iter().map(|r| r.get(j).unwrap_or(&Value::Null));
        let numeric = cells.clone().all(|v| {
            matches!(
                v,
                Value::Num(_) | Value::Quantity(..) | Value::Null | Value::NoGroup
            )
        });
        let data = if numeric {
            Data::Num(
                cells
                    .map(|v| match v {
                        Value::Num(x) | Value::Quantity(x, _) if !x.is_nan() => Some(*x),
                        _ => None,
                    })
                    .collect(),
            )
        } else {
            Data::Text(
                cells
                    .map(|v| match v {
                        Value::Text(s) => Some(s.clone()),
                        Value::Num(x) | Value::Quantity(x, _) => Some(format!("{x}")),
                        Value::Null | Value::NoGroup => None,
                    })
                    .collect(),
            )
        };
        frame.push(&column.name, data);
    }
    frame
}
