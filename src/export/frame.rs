//! A small column-oriented table and the two file formats it is written in: Parquet
//! (through the `parquet` crate's column writers, with row-group and page statistics so
//! engines can skip data) and CSV.

use crate::error::{Error, Result};
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use std::path::Path;
use std::sync::Arc;

/// Rows per row group: small enough that statistics let an engine skip most of a metric's
/// file for one symbol range, large enough to keep the footer small.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// One column's values; `None` is a missing value (a null in Parquet, empty in CSV).
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    Text(Vec<Option<String>>),
    Num(Vec<Option<f64>>),
    /// Days since 1970-01-01.
    Date(Vec<i32>),
}

impl Data {
    pub fn len(&self) -> usize {
        match self {
            Data::Text(v) => v.len(),
            Data::Num(v) => v.len(),
            Data::Date(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Named columns of equal length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    pub columns: Vec<(String, Data)>,
}

impl Frame {
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, d)| d.len())
    }

    pub fn push(&mut self, name: &str, data: Data) {
        self.columns.push((name.to_string(), data));
    }
}

fn io(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io(format!("cannot write {}: {e}", path.display()))
}

fn schema(frame: &Frame) -> Result<Type> {
    use parquet::basic::{LogicalType, Repetition, Type as Physical};
    let mut fields = Vec::new();
    for (name, data) in &frame.columns {
        let (physical, logical, repetition) = match data {
            Data::Text(_) => (
                Physical::BYTE_ARRAY,
                Some(LogicalType::String),
                Repetition::OPTIONAL,
            ),
            Data::Num(_) => (Physical::DOUBLE, None, Repetition::OPTIONAL),
            Data::Date(_) => (
                Physical::INT32,
                Some(LogicalType::Date),
                Repetition::REQUIRED,
            ),
        };
        let field = Type::primitive_type_builder(name, physical)
            .with_logical_type(logical)
            .with_repetition(repetition)
            .build()
            .map_err(|e| Error::Data(format!("column '{name}': {e}")))?;
        fields.push(Arc::new(field));
    }
    Type::group_type_builder("schema")
        .with_fields(fields)
        .build()
        .map_err(|e| Error::Data(format!("parquet schema: {e}")))
}

/// Writes `frame` as one Parquet file (snappy pages, statistics per row group and page).
pub fn write_parquet(path: &Path, frame: &Frame) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| io(path, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("finq {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut writer = SerializedFileWriter::new(file, Arc::new(schema(frame)?), Arc::new(props))
        .map_err(|e| io(path, e))?;
    let rows = frame.rows();
    let mut start = 0;
    // An empty frame still gets one (empty) row group, so readers see the columns' types.
    loop {
        let end = (start + ROW_GROUP_ROWS).min(rows);
        let mut group = writer.next_row_group().map_err(|e| io(path, e))?;
        for (_, data) in &frame.columns {
            let Some(mut col) = group.next_column().map_err(|e| io(path, e))? else {
                return Err(io(path, "the schema has fewer columns than the frame"));
            };
            write_column(&mut col, data, start, end).map_err(|e| io(path, e))?;
            col.close().map_err(|e| io(path, e))?;
        }
        group.close().map_err(|e| io(path, e))?;
        start = end;
        if start >= rows {
            break;
        }
    }
    writer.close().map_err(|e| io(path, e))?;
    Ok(())
}

fn write_column(
    col: &mut parquet::file::writer::SerializedColumnWriter<'_>,
    data: &Data,
    start: usize,
    end: usize,
) -> parquet::errors::Result<()> {
    fn levels<T>(v: &[Option<T>]) -> Vec<i16> {
        v.iter().map(|x| i16::from(x.is_some())).collect()
    }
    match data {
        Data::Text(v) => {
            let v = &v[start..end];
            let values: Vec<ByteArray> = v
                .iter()
                .flatten()
                .map(|s| ByteArray::from(s.as_str()))
                .collect();
            col.typed::<ByteArrayType>()
                .write_batch(&values, Some(&levels(v)), None)?;
        }
        Data::Num(v) => {
            let v = &v[start..end];
            let values: Vec<f64> = v.iter().flatten().copied().collect();
            col.typed::<DoubleType>()
                .write_batch(&values, Some(&levels(v)), None)?;
        }
        Data::Date(v) => {
            col.typed::<Int32Type>()
                .write_batch(&v[start..end], None, None)?;
        }
    }
    Ok(())
}

/// Writes `frame` as CSV with a header row; numbers in Rust's shortest round-trip form,
/// dates as `YYYY-MM-DD`, missing values empty.
pub fn write_csv(path: &Path, frame: &Frame) -> Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(|e| io(path, e))?;
    w.write_record(frame.columns.iter().map(|(n, _)| n.as_str()))
        .map_err(|e| io(path, e))?;
    let mut record: Vec<String> = Vec::with_capacity(frame.columns.len());
    for row in 0..frame.rows() {
        record.clear();
        for (_, data) in &frame.columns {
            record.push(match data {
                Data::Text(v) => v[row].clone().unwrap_or_default(),
                Data::Num(v) => v[row].map(|x| format!("{x:?}")).unwrap_or_default(),
                Data::Date(v) => {
                    crate::model::Date::from_days_since_epoch(i64::from(v[row])).to_string()
                }
            });
        }
        w.write_record(&record).map_err(|e| io(path, e))?;
    }
    w.flush().map_err(|e| io(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    #[test]
    fn parquet_keeps_rows_nulls_and_statistics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut f = Frame::default();
        f.push(
            "s",
            Data::Text(vec![Some("b".into()), None, Some("a".into())]),
        );
        f.push("v", Data::Num(vec![Some(2.5), Some(-1.0), None]));
        f.push("d", Data::Date(vec![0, 19_000, 20_000]));
        write_parquet(&path, &f).unwrap();
        let r = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let meta = r.metadata();
        assert_eq!(meta.file_metadata().num_rows(), 3);
        let group = meta.row_group(0);
        let stats = group.column(1).statistics().unwrap();
        assert_eq!(stats.null_count_opt(), Some(1));
        assert_eq!(stats.min_bytes_opt(), Some(&(-1.0f64).to_le_bytes()[..]));
        assert_eq!(stats.max_bytes_opt(), Some(&2.5f64.to_le_bytes()[..]));
        write_csv(&dir.path().join("t.csv"), &f).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("t.csv")).unwrap(),
            "s,v,d\nb,2.5,1970-01-01\n,-1.0,2022-01-08\na,,2024-10-04\n"
        );
    }
}
