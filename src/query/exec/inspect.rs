//! The statements that look at data without screening it: `series`, `describe`, `show`.

use super::{Env, num_value, unknown_company};
use crate::columns::MetricColumn;
use crate::error::Result;
use crate::model::SeriesRef;
use crate::model::currency::Basis;
use crate::model::{Period, STANDARD_ATTRIBUTES, Unit};
use crate::output::{Column, Output, Spark, Table, Value};
use crate::query::ast::Spanned;
use crate::query::eval::{Ctx, growth};
use crate::query::plan::{SelectPlan, SeriesPlan, change_column};
use crate::storage::Database;
use std::collections::BTreeMap;
use std::sync::Arc;

/// `series`: one company's series, one row per period, each with its year-on-year change;
/// and the note line for market multiples in the window left out for want of a rate.
pub fn series(env: &mut Env, plan: &SeriesPlan) -> Result<(Table, Option<String>)> {
    let companies = &plan.companies;
    let row = plan.row;
    let symbol = &companies.rows[row].symbol;
    // One company's series: read straight from storage, not whole columns for every company.
    let metrics: Vec<Arc<MetricColumn>> = plan
        .metrics
        .iter()
        .map(|id| {
            let (codes, values) = env.cache.series(env.db, id, symbol)?.unzipped();
            Ok(Arc::new(MetricColumn::single(
                companies.len(),
                row,
                &codes,
                &values,
            )))
        })
        .collect::<Result<_>>()?;
    let ctx = Ctx {
        companies,
        metrics: &metrics,
        at: None,
        items: &[],
        scores: &[],
        fscores: None,
    };
    let (from, to) = (plan.from, plan.to);
    // `from 2024` includes every period that ends on or after 2024-01-01 (2024Q1 too).
    let lo = from.map_or(0, |p| Period::Day(p.start_date()).code() & !3);
    // `to 2024` includes every period that ends by 2024-12-31.
    let hi = to.map_or(u32::MAX, |p| Period::Day(p.end_date()).code() | 3);
    let mut all: Vec<(Vec<u32>, Vec<f64>)> = Vec::new();
    for b in &plan.bound {
        all.push(ctx.series_of(&b.expr, row)?.unwrap_or_default());
    }
    let wanted = |c: u32| (lo..=hi).contains(&c) && plan.kind.is_none_or(|k| c & 3 == k as u32);
    let mut codes: Vec<u32> = all
        .iter()
        .flat_map(|s| s.0.iter().copied())
        .filter(|&c| wanted(c))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let mut left = crate::analysis::fx::LeftOut::default();
    // Values are left out only where companies name currencies; the cache's row of the
    // company is its row in the whole list.
    let full_row = match (plan.whole, env.cache.fx(env.db)?.is_some()) {
        (_, false) => None,
        (true, true) => Some(row),
        (false, true) => env.cache.companies(env.db)?.index_of(symbol),
    };
    if let Some(full_row) = full_row {
        for id in &plan.metrics {
            for (_, code, why) in env.cache.multiple_left_out(env.db, id, &[full_row])? {
                if wanted(code) {
                    left.add(why);
                }
            }
        }
    }
    let mut table = Table {
        title: Some(match companies.attr(row, "name") {
            Some(name) => format!("{} — {name}", companies.rows[row].symbol),
            None => companies.rows[row].symbol.to_string(),
        }),
        columns: vec![Column::new("period", None)],
        rows: Vec::new(),
        card: None,
        sparks: Vec::new(),
    };
    // A percent metric changes in percentage points (`yoy_diff`), any other by its growth.
    let diff: Vec<bool> = plan
        .bound
        .iter()
        .map(|b| b.unit == Some(Unit::Percent))
        .collect();
    // One company's money is shown in its own currency, named when the database names
    // currencies: a market item's in its trading currency, anything else in its reporting one.
    let fx = env.cache.fx(env.db)?;
    let catalog = env.db.shared_catalog();
    for ((n, b), &diff) in plan.names.iter().zip(&plan.bound).zip(&diff) {
        let currency = fx.as_ref().map(|fx| {
            let basis = match &b.expr {
                crate::query::bind::BExpr::Metric(slot) => plan
                    .metrics
                    .get(*slot)
                    .and_then(|id| catalog.get(id))
                    .and_then(crate::model::currency::basis_of),
                _ => None,
            };
            fx.currency_of(companies, row, basis.unwrap_or(Basis::Reporting))
        });
        table
            .columns
            .push(Column::new(n, b.unit).in_currency(currency));
        let change_unit = if diff {
            Unit::PercentPoints
        } else {
            Unit::Percent
        };
        table
            .columns
            .push(Column::new(&change_column(n, b.unit), Some(change_unit)));
    }
    for &c in &codes {
        let mut out = vec![Value::text(
            Period::from_code(c)
                .map(|p| p.to_string())
                .unwrap_or_default(),
        )];
        for ((sc, sv), &diff) in all.iter().zip(&diff) {
            let s = SeriesRef {
                codes: sc,
                values: sv,
            };
            match sc.binary_search(&c) {
                Ok(i) => {
                    out.push(Value::Num(sv[i]));
                    // Against the same kind of period a year before (SPEC.md §1).
                    let change = s.years_before(i, 1).map_or(f64::NAN, |j| {
                        if diff {
                            sv[i] - sv[j]
                        } else {
                            growth(sv[i], sv[j])
                        }
                    });
                    out.push(num_value(change));
                }
                Err(_) => {
                    out.push(Value::Null);
                    out.push(Value::Null);
                }
            }
        }
        table.rows.push(out);
    }
    // One sparkline per metric and kind of period shown: a quarter's line never runs into
    // a fiscal year's.
    for ((n, b), (sc, sv)) in plan.names.iter().zip(&plan.bound).zip(&all) {
        let shown: Vec<(u32, f64)> = sc
            .iter()
            .zip(sv)
            .filter(|(c, _)| wanted(**c))
            .map(|(c, v)| (*c, *v))
            .collect();
        let kinds: Vec<u32> = {
            let mut k: Vec<u32> = shown.iter().map(|(c, _)| c & 3).collect();
            k.sort_unstable();
            k.dedup();
            k.reverse();
            k
        };
        for &kind in &kinds {
            let label = if kinds.len() > 1 {
                format!("{n} ({})", kind_word(kind))
            } else {
                n.clone()
            };
            table.sparks.push(Spark {
                label,
                points: shown
                    .iter()
                    .filter(|(c, _)| c & 3 == kind)
                    .filter_map(|&(c, v)| Some((Period::from_code(c)?.to_string(), v)))
                    .collect(),
                unit: b.unit,
            });
        }
    }
    Ok((table, left.note()))
}

/// The word `series ... kind` uses for a kind of period, by its code's low bits.
fn kind_word(kind: u32) -> &'static str {
    match kind {
        3 => "fy",
        2 => "h",
        1 => "q",
        _ => "day",
    }
}

/// `describe SYMBOL`: the attributes, then each stored metric's latest point.
pub fn describe(env: &mut Env, symbol: &Spanned) -> Result<Vec<Output>> {
    let Some(company) = env.db.company(&symbol.name)? else {
        let companies = env.cache.companies(env.db)?;
        return Err(unknown_company(&companies, symbol));
    };
    let mut attrs = Table {
        title: Some(format!("{} — {}", company.symbol, company.name())),
        columns: vec![Column::new("attribute", None), Column::new("value", None)],
        rows: vec![vec![Value::text("symbol"), Value::text(&company.symbol)]],
        card: None,
        sparks: Vec::new(),
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
            Column::new("source", None),
        ],
        rows: Vec::new(),
        card: None,
        sparks: Vec::new(),
    };
    // Every metric the company has a value of, as statements read it: stored points, and
    // for a derived metric the periods its statements give (`source` says which). Where
    // the database names currencies, a `currency` column says each money value's.
    let catalog = env.db.shared_catalog();
    let fx = env.cache.fx(env.db)?;
    let companies = env.cache.companies(env.db)?;
    let row = companies.index_of(&company.symbol);
    if fx.is_some() {
        metrics.columns.insert(3, Column::new("currency", None));
    }
    for def in catalog.defs() {
        let derived = def.expr.is_none() || catalog.is_builtin(&def.id);
        if !derived {
            continue;
        }
        let effective = env.cache.series(env.db, &def.id, &company.symbol)?;
        let Some((period, value)) = effective.latest() else {
            continue;
        };
        let stored = env.cache.stored_series(env.db, &def.id, &company.symbol)?;
        let is_stored = |c: u32| stored.points.binary_search_by_key(&c, |p| p.0).is_ok();
        let stored_points = effective.points.iter().filter(|p| is_stored(p.0)).count();
        let source = match stored_points {
            n if n == effective.len() => "stored",
            0 => "derived",
            _ if is_stored(period.code()) => "stored (some derived)",
            _ => "derived (some stored)",
        };
        let first = effective
            .points
            .first()
            .and_then(|p| Period::from_code(p.0))
            .map(|p| p.to_string());
        let mut cells = vec![
            Value::text(&def.id),
            Value::text(&def.display),
            Value::Quantity(value, def.unit),
            Value::text(period.to_string()),
            Value::count(effective.len()),
            Value::opt_text(first.as_deref()),
            Value::text(source),
        ];
        if let (Some(fx), Some(row)) = (&fx, row) {
            let code = crate::model::currency::basis_of(def)
                .map(|b| fx.currency_of(&companies, row, b).to_string());
            cells.insert(3, Value::opt_text(code.as_deref()));
        }
        metrics.rows.push(cells);
    }
    Ok(vec![Output::Table(attrs), Output::Table(metrics)])
}

/// `describe metric NAME`: the catalog entry, how the metric is computed, and who has
/// values — for a stored metric its companies, points and period range, for a computed one
/// how many companies its formula gives a latest value.
pub fn describe_metric(env: &mut Env, id: &str) -> Result<Table> {
    let catalog = env.db.shared_catalog();
    let def = catalog
        .get(id)
        .ok_or_else(|| crate::errdata!("metric '{id}' vanished from the catalog"))?;
    let mut rows: Vec<(&str, Value)> = vec![
        ("metric", Value::text(&def.id)),
        ("name", Value::text(&def.display)),
        ("aliases", Value::text(def.aliases.join(", "))),
        ("unit", Value::text(def.unit.name())),
        ("direction", Value::text(def.direction.name())),
        ("dimension", Value::text(def.dimension.name())),
    ];
    if let Some(basis) = crate::model::currency::basis_of(def) {
        rows.push(("basis", Value::text(basis.name())));
    }
    let origin = if catalog.is_builtin(&def.id) {
        "built in"
    } else if def.expr.is_some() {
        "defined (define metric)"
    } else {
        "registered by an import or set"
    };
    rows.push(("catalog", Value::text(origin)));
    let builtin = catalog.is_builtin(&def.id);
    match def.expr.as_ref().filter(|_| !builtin) {
        Some(formula) => {
            rows.push(("computed", Value::text(format!("= {formula}"))));
            let companies = env.cache.companies(env.db)?;
            let select = crate::query::parse_script(&format!("select {formula}"))?
                .into_iter()
                .next()
                .and_then(|l| match l.statement {
                    crate::query::ast::Statement::Select(s) => Some(s),
                    _ => None,
                })
                .ok_or_else(|| crate::errdata!("the definition of '{id}' no longer parses"))?;
            let plan = crate::query::plan::plan_select(env, &select, 0)?;
            let table = super::select::run_select(env, &plan)?.table;
            let with_value = table
                .rows
                .iter()
                .filter(|r| r.get(2).is_some_and(|v| *v != Value::Null))
                .count();
            rows.push((
                "companies",
                Value::text(format!(
                    "{with_value} of {} have a latest value",
                    companies.len()
                )),
            ));
        }
        None => {
            let (mut companies, mut points) = (0usize, 0usize);
            let (mut first, mut last) = (u32::MAX, 0u32);
            env.db.for_each_series(&def.id, |e| {
                companies += 1;
                points += e.len();
                if let Some(c) = e.codes().next() {
                    first = first.min(c);
                }
                if let Some((c, _)) = e.last() {
                    last = last.max(c);
                }
            })?;
            rows.push(("stored", Value::text("points, as imported or set")));
            // Text, so the value column reads as one left-aligned list.
            rows.push(("companies", Value::text(companies.to_string())));
            rows.push(("points", Value::text(points.to_string())));
            let period = |c: u32| Period::from_code(c).map(|p| p.to_string());
            rows.push(("first period", Value::opt_text(period(first).as_deref())));
            rows.push(("last period", Value::opt_text(period(last).as_deref())));
            derivation_rows(env, def, &mut rows)?;
        }
    }
    Ok(Table {
        title: Some(format!("metric {} — {}", def.id, def.display)),
        columns: vec![Column::new("field", None), Column::new("value", None)],
        rows: rows
            .into_iter()
            .map(|(k, v)| vec![Value::text(k), v])
            .collect(),
        card: None,
        sparks: Vec::new(),
    })
}

/// For a metric with a built-in rule (DERIVATIONS.md) or a user's formula replacing it: the
/// formula in force, whether this database can derive it, and how many companies have
/// derived values (periods without a stored point).
fn derivation_rows(
    env: &mut Env,
    def: &crate::model::MetricDef,
    rows: &mut Vec<(&'static str, Value)>,
) -> Result<()> {
    let rule = crate::analysis::derive::rule_for(&def.id);
    let formula = match (&def.expr, rule) {
        (Some(own), Some(r)) => format!("= {own} (your formula; the built-in one is {})", r.text()),
        (Some(own), None) => format!("= {own} (your formula)"),
        (None, Some(r)) => format!("= {} (built in; stored points win)", r.text()),
        (None, None) => return Ok(()),
    };
    rows.push(("derived", Value::text(formula)));
    if !env.cache.is_derived(env.db, &def.id)? {
        let absent: Vec<&str> = rule
            .map(|r| r.inputs.iter().map(|i| i.id).collect())
            .unwrap_or_default();
        rows.push((
            "derivable",
            Value::text(format!(
                "no: this database lacks some of {}",
                absent.join(", ")
            )),
        ));
        return Ok(());
    }
    let effective = env.cache.metric(env.db, &def.id)?;
    let stored = env.cache.stored(env.db, &def.id)?;
    let rows_n = env.cache.companies(env.db)?.len();
    let (mut companies, mut points) = (0usize, 0usize);
    for row in 0..rows_n {
        let own = stored.series(row);
        let extra = effective
            .series(row)
            .codes
            .iter()
            .filter(|c| own.codes.binary_search(c).is_err())
            .count();
        if extra > 0 {
            companies += 1;
            points += extra;
        }
    }
    rows.push((
        "derived values",
        Value::text(format!("{points} points of {companies} companies")),
    ));
    Ok(())
}

/// `show screens`: each saved screen with its text.
pub fn show_screens(db: &Database) -> Result<Table> {
    let mut t = Table {
        title: None,
        columns: vec![Column::new("screen", None), Column::new("definition", None)],
        rows: Vec::new(),
        card: None,
        sparks: Vec::new(),
    };
    for (name, text) in db.definitions("screen")? {
        t.rows.push(vec![Value::text(name), Value::text(text)]);
    }
    Ok(t)
}

/// `show companies [where ...]`: the rows of the select path, each with how many metrics
/// and points it holds.
pub fn show_companies(env: &mut Env, plan: &SelectPlan) -> Result<Table> {
    let (_, rows) = super::select::filtered_rows(env, plan)?;
    let companies = &plan.companies;
    // Metric and point counts per company come from one pass over each metric.
    let mut counts = vec![(0usize, 0usize); companies.len()];
    let ids: Vec<String> = env
        .db
        .catalog()
        .defs()
        .iter()
        .filter(|d| d.expr.is_none())
        .map(|d| d.id.clone())
        .collect();
    for id in ids {
        let m = env.cache.stored(env.db, &id)?;
        for &r in &rows {
            let n = m.series(r).len();
            if n > 0 {
                counts[r].0 += 1;
                counts[r].1 += n;
            }
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
        card: None,
        sparks: Vec::new(),
    };
    for r in rows {
        let c = &companies.rows[r];
        let attr = |a: &str| Value::opt_text(companies.attr(r, a).map(|s| &**s));
        t.rows.push(vec![
            Value::text(&*c.symbol),
            attr("name"),
            attr("industry"),
            attr("sector"),
            attr("exchange"),
            Value::count(counts[r].0),
            Value::count(counts[r].1),
        ]);
    }
    Ok(t)
}

/// `show industries` / `show sectors`: each group with its company count; industries also
/// show their sector (the most common one among members).
pub fn show_groups(env: &mut Env, attr: &str) -> Result<Table> {
    let companies = env.cache.companies(env.db)?;
    let other = if attr == "industry" {
        "sector"
    } else {
        "industry"
    };
    let mut groups: BTreeMap<String, (String, usize, BTreeMap<String, usize>)> = BTreeMap::new();
    for r in 0..companies.len() {
        let Some(g) = companies.attr(r, attr) else {
            continue;
        };
        let e = groups
            .entry(g.to_lowercase())
            .or_insert_with(|| (g.to_string(), 0, BTreeMap::new()));
        e.1 += 1;
        if let Some(o) = companies.attr(r, other) {
            *e.2.entry(o.to_string()).or_default() += 1;
        }
    }
    let mut t = Table {
        title: None,
        columns: vec![Column::new(attr, None)],
        rows: Vec::new(),
        card: None,
        sparks: Vec::new(),
    };
    if attr == "industry" {
        t.columns.push(Column::new("sector", None));
    } else {
        t.columns.push(Column::new("industries", Some(Unit::Count)));
    }
    t.columns.push(Column::new("companies", Some(Unit::Count)));
    for (name, count, inner) in groups.into_values() {
        let second = if attr == "industry" {
            // Most members' sector; ties go to the alphabetically first.
            let best = inner.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
            Value::opt_text(best.map(|(k, _)| k.as_str()))
        } else {
            Value::count(inner.len())
        };
        t.rows
            .push(vec![Value::text(name), second, Value::count(count)]);
    }
    Ok(t)
}

pub fn show_metrics(db: &Database) -> Result<Table> {
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
        card: None,
        sparks: Vec::new(),
    };
    for d in db.catalog().defs() {
        let (c, p) = counts.get(&d.id).copied().unwrap_or_default();
        let aliases = match &d.expr {
            Some(e) => format!("= {e}"),
            None => d.aliases.join(", "),
        };
        t.rows.push(vec![
            Value::text(&d.id),
            Value::text(&d.display),
            Value::text(d.unit.name()),
            Value::text(d.direction.name()),
            Value::text(d.dimension.name()),
            Value::text(aliases),
            Value::count(c),
            Value::count(p),
        ]);
    }
    Ok(t)
}
