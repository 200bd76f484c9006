//! Runs statements against the database and builds their result tables.

use super::ast::{ShowWhat, Statement};
use crate::error::{Error, Result, did_you_mean};
use crate::model::{Period, STANDARD_ATTRIBUTES, Unit, symbol_key};
use crate::output::{Column, Output, Table, Value};
use crate::storage::Database;
use std::collections::{BTreeMap, HashMap};

pub fn execute(db: &mut Database, statement: &Statement) -> Result<Vec<Output>> {
    match statement {
        Statement::Describe { symbol } => describe(db, symbol),
        Statement::Show(what) => Ok(vec![Output::Table(show(db, *what)?)]),
    }
}

/// An unknown symbol, with the nearest known one.
pub fn unknown_company(db: &Database, symbol: &str) -> Result<Error> {
    let companies = db.companies()?;
    let known: Vec<&str> = companies.iter().map(|c| c.symbol.as_str()).collect();
    Ok(Error::Name(format!(
        "unknown company '{symbol}'{}",
        did_you_mean(symbol, known.iter().copied())
    )))
}

fn describe(db: &Database, symbol: &str) -> Result<Vec<Output>> {
    let Some(company) = db.company(symbol)? else {
        return Err(unknown_company(db, symbol)?);
    };
    let mut attrs = Table {
        title: Some(format!("{} — {}", company.symbol, company.name())),
        columns: vec![Column::new("attribute", None), Column::new("value", None)],
        rows: vec![vec![Value::text("symbol"), Value::text(&company.symbol)]],
    };
    // Standard attributes first, in a fixed order, then the rest alphabetically.
    let mut names: Vec<&str> = STANDARD_ATTRIBUTES
        .iter()
        .copied()
        .filter(|a| company.attrs.contains_key(*a))
        .collect();
    names.extend(
        company
            .attrs
            .keys()
            .map(String::as_str)
            .filter(|k| !STANDARD_ATTRIBUTES.contains(k)),
    );
    for name in names {
        attrs
            .rows
            .push(vec![Value::text(name), Value::opt_text(company.attr(name))]);
    }
    let mut metrics = Table {
        title: None,
        columns: vec![
            Column::new("metric", None),
            Column::new("name", None),
            Column::new("latest", None),
            Column::new("period", None),
            Column::new("points", Some(Unit::Count)),
            Column::new("first", None),
        ],
        rows: Vec::new(),
    };
    for (def, series) in db.company_series(&company.symbol)? {
        let Some((period, value)) = series.latest() else {
            continue;
        };
        let first = series
            .points
            .first()
            .and_then(|p| Period::from_code(p.0))
            .map(|p| p.to_string());
        metrics.rows.push(vec![
            Value::text(&def.id),
            Value::text(&def.display),
            Value::Quantity(value, def.unit),
            Value::text(period.to_string()),
            Value::count(series.len()),
            Value::opt_text(first.as_deref()),
        ]);
    }
    Ok(vec![Output::Table(attrs), Output::Table(metrics)])
}

fn show(db: &Database, what: ShowWhat) -> Result<Table> {
    match what {
        ShowWhat::Companies => show_companies(db),
        ShowWhat::Industries => show_groups(db, "industry"),
        ShowWhat::Sectors => show_groups(db, "sector"),
        ShowWhat::Metrics => show_metrics(db),
        ShowWhat::Screens => show_screens(db),
    }
}

fn show_companies(db: &Database) -> Result<Table> {
    // Metric and point counts per company come from one pass over the series.
    let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
    for def in db.catalog().defs() {
        for (sym, s) in db.scan_metric(&def.id)? {
            let e = counts.entry(sym).or_default();
            e.0 += 1;
            e.1 += s.len();
        }
    }
    let mut t = Table {
        title: None,
        columns: ["symbol", "name", "industry", "sector", "exchange"]
            .iter()
            .map(|c| Column::new(c, None))
            .chain([
                Column::new("metrics", Some(Unit::Count)),
                Column::new("points", Some(Unit::Count)),
            ])
            .collect(),
        rows: Vec::new(),
    };
    for c in db.companies()? {
        let (m, p) = counts
            .get(&symbol_key(&c.symbol))
            .copied()
            .unwrap_or_default();
        t.rows.push(vec![
            Value::text(&c.symbol),
            Value::opt_text(c.attr("name")),
            Value::opt_text(c.attr("industry")),
            Value::opt_text(c.attr("sector")),
            Value::opt_text(c.attr("exchange")),
            Value::count(m),
            Value::count(p),
        ]);
    }
    Ok(t)
}

/// `show industries` / `show sectors`: each group with its company count; industries also
/// show their sector (the most common one among members).
fn show_groups(db: &Database, attr: &str) -> Result<Table> {
    #[derive(Default)]
    struct Group {
        name: String,
        companies: usize,
        inner: BTreeMap<String, usize>,
    }
    let other = if attr == "industry" {
        "sector"
    } else {
        "industry"
    };
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for c in db.companies()? {
        let Some(g) = c.attr(attr) else { continue };
        let e = groups.entry(g.to_lowercase()).or_insert_with(|| Group {
            name: g.to_string(),
            ..Group::default()
        });
        e.companies += 1;
        if let Some(o) = c.attr(other) {
            *e.inner.entry(o.to_string()).or_default() += 1;
        }
    }
    let mut t = Table {
        title: None,
        columns: vec![Column::new(attr, None)],
        rows: Vec::new(),
    };
    if attr == "industry" {
        t.columns.push(Column::new("sector", None));
    } else {
        t.columns.push(Column::new("industries", Some(Unit::Count)));
    }
    t.columns.push(Column::new("companies", Some(Unit::Count)));
    for g in groups.into_values() {
        let second = if attr == "industry" {
            // Most members' sector; ties go to the alphabetically first.
            let best = g
                .inner
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
            Value::opt_text(best.map(|(k, _)| k.as_str()))
        } else {
            Value::count(g.inner.len())
        };
        t.rows
            .push(vec![Value::text(g.name), second, Value::count(g.companies)]);
    }
    Ok(t)
}

fn show_metrics(db: &Database) -> Result<Table> {
    let counts = db.metric_counts()?;
    let mut t = Table {
        title: None,
        columns: vec![
            Column::new("metric", None),
            Column::new("name", None),
            Column::new("unit", None),
            Column::new("direction", None),
            Column::new("dimension", None),
            Column::new("aliases", None),
            Column::new("companies", Some(Unit::Count)),
            Column::new("points", Some(Unit::Count)),
        ],
        rows: Vec::new(),
    };
    for d in db.catalog().defs() {
        let (c, p) = counts.get(&d.id).copied().unwrap_or_default();
        t.rows.push(vec![
            Value::text(&d.id),
            Value::text(&d.display),
            Value::text(d.unit.name()),
            Value::text(d.direction.name()),
            Value::text(d.dimension.name()),
            Value::text(d.aliases.join(", ")),
            Value::count(c),
            Value::count(p),
        ]);
    }
    Ok(t)
}

fn show_screens(db: &Database) -> Result<Table> {
    let mut t = Table {
        title: None,
        columns: vec![Column::new("screen", None), Column::new("definition", None)],
        rows: Vec::new(),
    };
    for (name, text) in db.definitions("screen")? {
        t.rows.push(vec![Value::text(name), Value::text(text)]);
    }
    Ok(t)
}
