//! JSON-lines imports: one point or one company object per line (DATA_FORMATS.md "JSON lines").
//!
//! A line holding `"metric"` is a point `{"symbol", "metric", "period", "value"}`; any other
//! object is a company: `"symbol"`, text attributes, and optionally `"points"`, a list of
//! `{"metric", "period", "value"}`. The whole file becomes one [`WriteSet`], so a bad line
//! stores nothing.

use super::csv::{Metrics, read_period};
use crate::error::{Error, Result};
use crate::model::catalog::snake_case;
use crate::model::number::parse_number;
use crate::model::{Catalog, Period};
use crate::storage::WriteSet;
use serde_json::{Map, Value};

/// Lines between two progress reports.
const PROGRESS_LINES: usize = 1 << 16;

/// Reads a JSON-lines file into a write set. `file` is the name errors show.
pub fn read(
    file: &str,
    bytes: &[u8],
    catalog: &Catalog,
    progress: &mut dyn FnMut(u64),
) -> Result<WriteSet> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::File {
            file: file.to_string(),
            message: "is empty".into(),
        });
    }
    let mut reader = Reader {
        file,
        set: WriteSet::new(),
        metrics: Metrics::new(catalog),
        line: 0,
    };
    let mut offset = 0usize;
    for (n, raw) in text.split(|&b| b == b'\n').enumerate() {
        reader.line = n + 1;
        if n % PROGRESS_LINES == PROGRESS_LINES - 1 {
            progress(offset as u64);
        }
        offset += raw.len() + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: Value =
            serde_json::from_slice(line).map_err(|e| reader.syntax_error(line, &e))?;
        let Value::Object(object) = value else {
            return Err(reader.error(format!("expected a JSON object, found {}", kind_of(&value))));
        };
        if object.contains_key("metric") {
            reader.point_line(&object)?;
        } else if object.contains_key("period") || object.contains_key("value") {
            // A point with its metric misspelt or left out, not a company with such attributes.
            return Err(reader.error("missing \"metric\""));
        } else {
            reader.company_line(&object)?;
        }
    }
    progress(bytes.len() as u64);
    reader.metrics.register_new(&mut reader.set);
    Ok(reader.set)
}

struct Reader<'a> {
    file: &'a str,
    set: WriteSet,
    metrics: Metrics<'a>,
    /// The line being read, 1-based.
    line: usize,
}

impl Reader<'_> {
    /// An error about the meaning of the current line; serde_json keeps no positions for
    /// the fields of a parsed value, so it points at the line's start.
    fn error(&self, message: impl Into<String>) -> Error {
        Error::Import {
            file: self.file.to_string(),
            line: self.line,
            column: 1,
            message: message.into(),
        }
    }

    fn syntax_error(&self, line: &[u8], e: &serde_json::Error) -> Error {
        // serde_json counts columns in bytes; people count characters.
        let byte_column = e.column().min(line.len());
        let column = line
            .get(..byte_column)
            .map_or(1, |b| b.iter().filter(|&&c| c & 0xC0 != 0x80).count())
            .max(1);
        let text = e.to_string();
        // Its message ends with its own " at line 1 column N", which ours replaces.
        let message = match text.rfind(" at line ") {
            Some(i) => text.get(..i).unwrap_or(&text).to_string(),
            None => text,
        };
        Error::Import {
            file: self.file.to_string(),
            line: self.line,
            column,
            message: format!("invalid JSON: {message}"),
        }
    }

    /// `{"symbol", "metric", "period", "value"}`.
    fn point_line(&mut self, object: &Map<String, Value>) -> Result<()> {
        if let Some(extra) = object
            .keys()
            .find(|k| !["symbol", "metric", "period", "value"].contains(&k.as_str()))
        {
            return Err(self.error(format!(
                "unexpected field \"{extra}\" in a point (a point has symbol, metric, period, value)"
            )));
        }
        let symbol = self.symbol(object)?;
        let company = self.set.company(&symbol);
        self.point(company, object)
    }

    /// `{"symbol", attribute: text..., "points": [...]}`.
    fn company_line(&mut self, object: &Map<String, Value>) -> Result<()> {
        let symbol = self.symbol(object)?;
        let company = self.set.company(&symbol);
        for (key, value) in object {
            if key == "symbol" {
                continue;
            }
            if key == "points" {
                let Value::Array(points) = value else {
                    return Err(
                        self.error(format!("\"points\" must be a list, not {}", kind_of(value)))
                    );
                };
                for p in points {
                    let Value::Object(p) = p else {
                        return Err(self.error(format!(
                            "each of \"points\" must be an object, not {}",
                            kind_of(p)
                        )));
                    };
                    if let Some(extra) = p
                        .keys()
                        .find(|k| !["metric", "period", "value"].contains(&k.as_str()))
                    {
                        return Err(self.error(format!(
                            "unexpected field \"{extra}\" in a point of \"points\" (a point has metric, period, value)"
                        )));
                    }
                    self.point(company, p)?;
                }
                continue;
            }
            let text = match value {
                // Like an empty CSV cell: the attribute stays as it is.
                Value::Null => continue,
                Value::String(s) if s.trim().is_empty() => continue,
                Value::String(s) => s.trim().to_string(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(self.error(format!(
                        "attribute \"{key}\" holds {}; attributes are text (only \"points\" may hold a list)",
                        kind_of(value)
                    )));
                }
            };
            let name = snake_case(key);
            if name.is_empty() {
                return Err(self.error(format!("\"{key}\" is not an attribute name")));
            }
            self.set.set_attr(company, &name, &text);
        }
        Ok(())
    }

    fn symbol(&self, object: &Map<String, Value>) -> Result<String> {
        let symbol = match object.get("symbol") {
            Some(Value::String(s)) => s.trim().to_string(),
            // Some exchanges' symbols are all digits and get written as numbers.
            Some(Value::Number(n)) => n.to_string(),
            None | Some(Value::Null) => String::new(),
            Some(other) => {
                return Err(self.error(format!("\"symbol\" must be text, not {}", kind_of(other))));
            }
        };
        if symbol.is_empty() {
            return Err(self.error("missing \"symbol\""));
        }
        Ok(symbol)
    }

    /// One point of `company` from an object with metric, period and value.
    fn point(&mut self, company: u32, object: &Map<String, Value>) -> Result<()> {
        let metric = match object.get("metric") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim(),
            None | Some(Value::Null) | Some(Value::String(_)) => {
                return Err(self.error("missing \"metric\""));
            }
            Some(other) => {
                return Err(self.error(format!("\"metric\" must be text, not {}", kind_of(other))));
            }
        };
        let period = self.period(object.get("period"))?;
        let value = match object.get("value") {
            None => return Err(self.error("missing \"value\" (write null for no value)")),
            Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_f64().filter(|v| v.is_finite()) {
                Some(v) => Some(v),
                None => return Err(self.error(format!("{n} is not a number finq can store"))),
            },
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => match parse_number(s) {
                Some(v) => Some(v),
                None => return Err(self.error(format!("'{}' is not a number", s.trim()))),
            },
            Some(other) => {
                return Err(self.error(format!(
                    "\"value\" must be a number, not {}",
                    kind_of(other)
                )));
            }
        };
        let entry = self
            .metrics
            .resolve(&mut self.set, metric)
            .ok_or_else(|| self.error(format!("'{metric}' is not a metric name")))?;
        if let Some(v) = value {
            self.metrics.push(&mut self.set, entry, company, period, v);
        }
        Ok(())
    }

    fn period(&self, value: Option<&Value>) -> Result<Period> {
        let text = match value {
            Some(Value::String(s)) => s.clone(),
            // A year written as a number: `"period": 2024`.
            Some(Value::Number(n)) => n.to_string(),
            None | Some(Value::Null) => return Err(self.error("missing \"period\"")),
            Some(other) => {
                return Err(self.error(format!("\"period\" must be text, not {}", kind_of(other))));
            }
        };
        read_period(&text, None).map_err(|m| self.error(m))
    }
}

/// How a JSON value is named in messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<WriteSet> {
        read("t.jsonl", text.as_bytes(), &Catalog::builtin(), &mut |_| {})
    }

    fn ok(text: &str) -> WriteSet {
        run(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn err(text: &str) -> String {
        match run(text) {
            Ok(_) => panic!("expected an error from {text:?}"),
            Err(e) => e.to_string(),
        }
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

    #[test]
    fn point_lines() {
        let set = ok(concat!(
            "{\"symbol\": \"KC.US\", \"metric\": \"roe\", \"period\": \"2025Q3\", \"value\": -0.1293}\n",
            "\n",
            "{\"symbol\": \"KC.US\", \"metric\": \"Return on Equity\", \"period\": \"2025Q2\", \"value\": \"-12.93%\"}\r\n",
            "{\"symbol\": \"KC.US\", \"metric\": \"revenue\", \"period\": 2024, \"value\": \"5.18B\"}\n",
            "{\"symbol\": \"KC.US\", \"metric\": \"roe\", \"period\": \"2025Q1\", \"value\": null}\n",
        ));
        assert_eq!(
            points(&set, "KC.US", "roe"),
            pts(&[("2025Q3", -0.1293), ("2025Q2", -0.1293)])
        );
        assert_eq!(points(&set, "KC.US", "revenue"), pts(&[("2024", 5.18e9)]));
        assert_eq!(set.point_count(), 3);
    }

    #[test]
    fn new_metrics_get_units_from_their_values() {
        let set = ok(concat!(
            "{\"symbol\": \"A\", \"metric\": \"Goodwill\", \"period\": \"2024\", \"value\": 2500000000}\n",
            "{\"symbol\": \"B\", \"metric\": \"goodwill\", \"period\": \"2024\", \"value\": \"1.2B\"}\n",
            "{\"symbol\": \"A\", \"metric\": \"beta\", \"period\": \"2024\", \"value\": 1.1}\n",
        ));
        let units: Vec<(&str, crate::model::Unit)> = set
            .new_metrics()
            .iter()
            .map(|d| (d.id.as_str(), d.unit))
            .collect();
        assert_eq!(
            units,
            [
                ("goodwill", crate::model::Unit::Money),
                ("beta", crate::model::Unit::Ratio)
            ]
        );
    }

    #[test]
    fn company_lines_with_attributes_and_points() {
        let set = ok(concat!(
            "\u{feff}{\"symbol\": \"688316.SH\", \"name\": \"Qingdao\", \"Industry\": \"Chips\", \"employees\": 1200,",
            " \"listed\": true, \"website\": \"\", \"country\": null,",
            " \"points\": [{\"metric\": \"pb\", \"period\": \"2026-05-19\", \"value\": 3.5},",
            " {\"metric\": \"EBITDA\", \"period\": \"2025\", \"value\": 7}]}\n",
            "{\"symbol\": \"AAA\", \"metric\": \"ebitda\", \"period\": \"2024\", \"value\": 1}\n",
        ));
        assert_eq!(attr(&set, "688316.sh", "name").as_deref(), Some("Qingdao"));
        assert_eq!(
            attr(&set, "688316.SH", "industry").as_deref(),
            Some("Chips")
        );
        assert_eq!(
            attr(&set, "688316.SH", "employees").as_deref(),
            Some("1200")
        );
        assert_eq!(attr(&set, "688316.SH", "listed").as_deref(), Some("true"));
        assert_eq!(attr(&set, "688316.SH", "website"), None);
        assert_eq!(attr(&set, "688316.SH", "country"), None);
        assert_eq!(points(&set, "688316.SH", "pb"), pts(&[("2026-05-19", 3.5)]));
        assert_eq!(points(&set, "688316.SH", "ebitda"), pts(&[("2025", 7.0)]));
        let ids: Vec<&str> = set.new_metrics().iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["ebitda"]);
        // A company without attributes or points is still a company.
        let set = ok("{\"symbol\": \"ZZ\"}\n");
        assert_eq!(set.symbols(), ["ZZ"]);
    }

    #[test]
    fn errors_name_line_column_and_reason() {
        let good = "{\"symbol\": \"A\", \"metric\": \"roe\", \"period\": \"2024\", \"value\": 1}\n";
        assert_eq!(
            err(&format!(
                "{good}{good}{{\"symbol\": \"A\", \"metric\": \"roe\", \"period\": \"2024Q5\", \"value\": 1}}\n"
            )),
            "error: t.jsonl:3:1: '2024Q5' is not a period (write 2024, 2024H1, 2024Q3 or 2024-06-30)"
        );
        assert_eq!(
            err(&format!(
                "{good}{{\"metric\": \"roe\", \"period\": \"2024\", \"value\": 1}}\n"
            )),
            "error: t.jsonl:2:1: missing \"symbol\""
        );
        assert_eq!(
            err(&format!(
                "{good}{{\"symbol\": \"A\", \"metric\": \"roe\", \"period\": \"2024\" \"value\": 1}}\n"
            )),
            "error: t.jsonl:2:51: invalid JSON: expected `,` or `}`"
        );
        assert_eq!(
            err("{\"symbol\": \"A\", \"name\": {\"first\": \"x\"}}\n"),
            "error: t.jsonl:1:1: attribute \"name\" holds an object; attributes are text (only \"points\" may hold a list)"
        );
        assert_eq!(
            err("[1, 2]\n"),
            "error: t.jsonl:1:1: expected a JSON object, found a list"
        );
        assert_eq!(
            err(
                "{\"symbol\": \"A\", \"metric\": \"roe\", \"period\": \"2024\", \"value\": \"lots\"}\n"
            ),
            "error: t.jsonl:1:1: 'lots' is not a number"
        );
        assert_eq!(
            err("{\"symbol\": \"A\", \"metric\": \"roe\", \"period\": \"2024\"}\n"),
            "error: t.jsonl:1:1: missing \"value\" (write null for no value)"
        );
        assert_eq!(
            err(
                "{\"symbol\": \"A\", \"metric\": \"roe\", \"period\": \"2024\", \"value\": 1, \"unit\": \"x\"}\n"
            ),
            "error: t.jsonl:1:1: unexpected field \"unit\" in a point (a point has symbol, metric, period, value)"
        );
        assert_eq!(
            err("{\"symbol\": \"A\", \"points\": [{\"metric\": \"roe\", \"value\": 1}]}\n"),
            "error: t.jsonl:1:1: missing \"period\""
        );
        assert_eq!(
            err("{\"symbol\": \"Zürich\", \"name\": \"Zürich\" x}\n"),
            "error: t.jsonl:1:39: invalid JSON: expected `,` or `}`"
        );
        assert_eq!(
            err("{\"symbol\": \"A\", \"metrc\": \"roe\", \"period\": \"2024\", \"value\": 1}\n"),
            "error: t.jsonl:1:1: missing \"metric\""
        );
        assert_eq!(err(""), "error: t.jsonl: is empty");
    }

    proptest::proptest! {
        #[test]
        fn no_input_panics(text in "[a-z0-9{}:,\\[\\]\"\n .-]{0,80}") {
            let _ = run(&text);
            let _ = run(&format!("{{\"symbol\": \"A\", {text}"));
        }
    }
}
