//! Runs statements: the select pipeline (source → where → items → group → rank → order →
//! limit) over columns from the cache, and the other statements against the database.

use super::ast::{DefKind, Item, Order, Select, ShowWhat, Source, Spanned, Statement};
use super::bind::{BExpr, Binder, Bound, Ty, name_error_at};
use super::cache::Cache;
use super::eval::{Col, Ctx, partition};
use crate::analysis::fscore::FScore;
use crate::analysis::score::ScoreTable;
use crate::analysis::stats;
use crate::columns::{Companies, MetricColumn};
use crate::error::{Error, Result, did_you_mean};
use crate::fasthash::FastHash;
use crate::model::catalog::snake_case as snake_case_name;
use crate::model::{Date, Direction, MetricDef, Period, STANDARD_ATTRIBUTES, Unit};
use crate::output::{Column, Output, Table, Value};
use crate::storage::{Database, WriteSet};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// What a statement runs against: the database, the session's cache, and the whole script
/// text (so errors can point into it).
pub struct Env<'a> {
    pub db: &'a mut Database,
    pub cache: &'a mut Cache,
    pub text: &'a str,
}

/// Screens may run other screens; this bounds how deep.
const MAX_SCREEN_DEPTH: usize = 8;

pub fn execute(env: &mut Env, statement: &Statement) -> Result<Vec<Output>> {
    match statement {
        Statement::Select(s) => Ok(vec![Output::Table(run_select(env, s, 0)?.table)]),
        Statement::Explain(_) => Err(Error::Data("explain: the planner is being built".into())),
        Statement::Series {
            metrics,
            symbol,
            from,
            to,
        } => Ok(vec![Output::Table(series(
            env, metrics, symbol, *from, *to,
        )?)]),
        Statement::Describe { symbol } => describe(env, symbol),
        Statement::Show(what) => Ok(vec![Output::Table(show(env, what)?)]),
        Statement::Import { path } => import(env, path),
        Statement::SetPoint {
            symbol,
            metric,
            period,
            value,
        } => set_point(env, symbol, metric, *period, *value),
        Statement::SetAttr {
            symbol,
            attr,
            value,
        } => set_attr(env, symbol, attr, value),
        Statement::Delete {
            symbol,
            metric,
            period,
        } => delete(env, symbol, metric.as_ref(), *period),
        Statement::DefineMetric {
            name,
            expr,
            text,
            direction,
        } => define_metric(env, name, expr, text, *direction),
        Statement::DefineScreen { name, select, text } => define_screen(env, name, select, text),
        Statement::RunScreen { name } => {
            Ok(vec![Output::Table(run_saved_screen(env, name, 1)?.table)])
        }
        Statement::Drop { kind, name } => drop_definition(env, *kind, name),
        Statement::Score { symbol, at } => super::cards::score(env, symbol, *at),
        Statement::Peers { symbol, limit } => super::cards::peers(env, symbol, *limit),
        Statement::Valuation { symbol, years } => super::cards::valuation(env, symbol, *years),
        Statement::FScore { symbol, at } => super::cards::fscore(env, symbol, *at),
    }
}

/// An unknown symbol, with the nearest known one.
pub fn unknown_company(companies: &Companies, symbol: &str) -> Error {
    let known = companies.rows.iter().map(|r| &*r.symbol);
    Error::Name(format!(
        "unknown company '{symbol}'{}",
        did_you_mean(symbol, known)
    ))
}

/// A select's result: the table and the company rows behind it, in output order (empty
/// for grouped results).
pub struct SelectResult {
    pub table: Table,
    pub rows: Vec<usize>,
}

fn source_rows(
    env: &mut Env,
    companies: &Companies,
    from: &Source,
    depth: usize,
) -> Result<Vec<usize>> {
    let group = |map: &HashMap<String, Vec<usize>>, name: &str, what: &str| -> Result<Vec<usize>> {
        map.get(&name.to_lowercase()).cloned().ok_or_else(|| {
            let names: Vec<String> = companies
                .attribute(what)
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_ref().map(|s| s.to_string()))
                .collect();
            Error::Name(format!(
                "unknown {what} \"{name}\"{}",
                did_you_mean(name, names.iter().map(String::as_str))
            ))
        })
    };
    Ok(match from {
        Source::Companies => (0..companies.len()).collect(),
        Source::Industry(name) => group(&companies.industries, name, "industry")?,
        Source::Sector(name) => group(&companies.sectors, name, "sector")?,
        Source::Peers(symbol) => {
            let i = companies
                .index_of(symbol)
                .ok_or_else(|| unknown_company(companies, symbol))?;
            crate::analysis::peers::peer_group(&companies, i).0
        }
        Source::Screen(name) => {
            if depth >= MAX_SCREEN_DEPTH {
                return Err(Error::Data(format!(
                    "screens nest deeper than {MAX_SCREEN_DEPTH} levels"
                )));
            }
            let mut rows = run_saved_screen(env, name, depth + 1)?.rows;
            rows.sort_unstable();
            rows
        }
    })
}

/// Runs a saved screen. Its text is not the script's, so errors name the screen instead of
/// pointing into the script.
fn run_saved_screen(env: &mut Env, name: &Spanned, depth: usize) -> Result<SelectResult> {
    let (select, text) = load_screen(env, name)?;
    let mut inner = Env {
        db: &mut *env.db,
        cache: &mut *env.cache,
        text: &text,
    };
    run_select(&mut inner, &select, depth).map_err(|e| match e {
        Error::NameAt { message, .. } | Error::Parse { message, .. } => {
            Error::Name(format!("in screen '{}': {message}", name.name))
        }
        other => other,
    })
}

fn load_screen(env: &mut Env, name: &Spanned) -> Result<(Select, String)> {
    let Some(text) = env.db.definition("screen", &name.name)? else {
        let known = env.db.definitions("screen")?;
        return Err(name_error_at(
            env.text,
            name.pos,
            format!(
                "unknown screen '{}'{}",
                name.name,
                did_you_mean(&name.name, known.iter().map(|(n, _)| n.as_str()))
            ),
        ));
    };
    match super::parse_script(&text)?
        .into_iter()
        .next()
        .map(|l| l.statement)
    {
        Some(Statement::Select(s)) => Ok((*s, text)),
        _ => Err(Error::Data(format!(
            "screen '{}' is damaged: its text is not a select",
            name.name
        ))),
    }
}

/// Binds and runs a select.
pub fn run_select(env: &mut Env, sel: &Select, depth: usize) -> Result<SelectResult> {
    let companies = env.cache.companies(env.db)?;
    let source = source_rows(env, &companies, &sel.from, depth)?;
    let catalog = env.db.shared_catalog();
    let mut binder = Binder::new(&catalog, &companies, env.text);

    // Bind in scope order: where and by see no aliases; rank and order by do.
    let filter = match &sel.filter {
        Some(f) => {
            let b = binder.bind(f)?;
            if b.ty != Ty::Bool {
                return Err(binder.place(f)(format!(
                    "'where' needs a condition, such as roe > 10% (got {f})"
                )));
            }
            if b.expr.has_aggregate() {
                return Err(Error::Data("'where' cannot use an aggregate".into()));
            }
            Some(b)
        }
        None => None,
    };
    let keys: Vec<Bound> = sel
        .by
        .iter()
        .map(|k| binder.bind(&k.expr))
        .collect::<Result<_>>()?;
    let items: Vec<Bound> = sel
        .items
        .iter()
        .map(|i| binder.bind(&i.expr))
        .collect::<Result<_>>()?;
    binder.items = sel
        .items
        .iter()
        .zip(&items)
        .filter_map(|(i, b)| i.alias.clone().map(|a| (a, b.clone())))
        .collect();
    // Alias references resolve to item positions among all items, not only aliased ones.
    let alias_positions: Vec<usize> = sel
        .items
        .iter()
        .enumerate()
        .filter(|(_, i)| i.alias.is_some())
        .map(|(k, _)| k)
        .collect();
    let fix = |b: Bound| remap_items(b, &alias_positions);
    let rank_by = match &sel.rank {
        Some(r) => match &r.by {
            Some(e) => Some(fix(binder.bind(e)?)),
            None => None,
        },
        None => None,
    };
    let order: Vec<(Bound, Option<Order>)> = sel
        .order
        .iter()
        .map(|(e, d)| Ok((fix(binder.bind(e)?), *d)))
        .collect::<Result<_>>()?;
    let mut all: Vec<&BExpr> = vec![];
    all.extend(filter.iter().map(|b| &b.expr));
    all.extend(
        keys.iter()
            .chain(&items)
            .chain(rank_by.iter())
            .map(|b| &b.expr),
    );
    all.extend(order.iter().map(|(b, _)| &b.expr));
    // A metric read only at the selection's period needs one point per company; one that a
    // time-series function or an `at` of its own reads needs the whole column.
    let whole = whole_series_slots(&all, binder.metrics.len());
    let metrics: Vec<_> = binder
        .metrics
        .iter()
        .zip(&whole)
        .map(|(id, &whole)| {
            if whole {
                env.cache.metric(env.db, id)
            } else {
                env.cache.anchored(env.db, id, sel.at)
            }
        })
        .collect::<Result<_>>()?;
    let (scores, fscores) = prepare(env, &all, sel.at)?;
    let ctx = Ctx {
        companies: &companies,
        metrics: &metrics,
        at: sel.at,
        items: &[],
        scores: scores.as_deref(),
        fscores: fscores.as_deref().map(Vec::as_slice),
    };
    // `industry = "X"` (or sector) anywhere in a top-level `and` chain narrows the rows
    // through the index before anything is evaluated; the full filter still runs after.
    let source = match &filter {
        Some(f) => narrow_by_index(&companies, &f.expr, source),
        None => source,
    };
    let rows = match &filter {
        Some(f) => {
            let keep = ctx.eval(&f.expr, &source)?.into_bool();
            source
                .iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(r, _)| *r)
                .collect()
        }
        None => source,
    };

    let grouped =
        !sel.by.is_empty() || (!items.is_empty() && items.iter().all(|b| b.expr.has_aggregate()));
    if grouped {
        let table = grouped_select(&ctx, sel, &keys, &items, rank_by.as_ref(), &order, &rows)?;
        return Ok(SelectResult {
            table,
            rows: Vec::new(),
        });
    }
    if let Some((i, _)) = items
        .iter()
        .enumerate()
        .find(|(_, b)| b.expr.has_aggregate())
    {
        return Err(Error::Data(format!(
            "'{}' is an aggregate: add 'by', or make every item an aggregate",
            sel.items[i].text
        )));
    }

    let cols: Vec<Col> = items
        .iter()
        .map(|b| ctx.eval(&b.expr, &rows))
        .collect::<Result<_>>()?;
    let ctx = Ctx {
        items: &cols,
        ..ctx
    };
    let symbol_order = |a: usize, b: usize| {
        companies.rows[rows[a]]
            .key
            .cmp(&companies.rows[rows[b]].key)
    };
    let mut positions: Vec<usize> = (0..rows.len()).collect();
    let mut rank_col: Option<Vec<Option<usize>>> = None;

    if let Some(rank) = &sel.rank {
        let (expr, direction) = match &rank_by {
            Some(b) => (b.expr.clone(), b.direction),
            None => {
                // The first selected metric; failing that, the first item.
                let k = items
                    .iter()
                    .position(|b| matches!(b.expr, BExpr::Metric(_) | BExpr::MetricAt(..)))
                    .unwrap_or(0);
                let b = items
                    .get(k)
                    .ok_or_else(|| Error::Data("'rank' needs something to rank by".into()))?;
                (BExpr::Item(k), b.direction)
            }
        };
        let values = match ctx.eval(&expr, &rows)? {
            Col::Num(v) => v,
            _ => return Err(Error::Data("'rank' needs a number to rank by".into())),
        };
        let descending = match rank.order {
            Some(Order::Asc) => false,
            Some(Order::Desc) => true,
            None => direction != Direction::Lower,
        };
        // Scores within EPS are equal (SCORING.md): they tie and go by symbol.
        let is_score = |e: &BExpr| matches!(e, BExpr::Score(super::bind::ScoreCol::Score));
        let tolerance = match &expr {
            BExpr::Item(k) if items.get(*k).is_some_and(|b| is_score(&b.expr)) => stats::EPS,
            e if is_score(e) => stats::EPS,
            _ => 0.0,
        };
        let groups = partition(&companies, &rows, rank.within);
        let mut ranks = vec![None; rows.len()];
        positions.clear();
        for members in groups {
            let mut order: Vec<usize> = members.clone();
            order.sort_by(|&a, &b| {
                by_value(values[a], values[b], descending).then_with(|| symbol_order(a, b))
            });
            if tolerance > 0.0 {
                stats::order_ties_by(&mut order, &values, tolerance, symbol_order);
            }
            let r = stats::competition_ranks(&values, &order, descending, tolerance);
            for &i in &members {
                ranks[i] = r[i];
            }
            positions.extend(order);
        }
        rank_col = Some(ranks);
    }

    if !order.is_empty() {
        let keys: Vec<(Col, bool)> = order
            .iter()
            .map(|(b, d)| Ok((ctx.eval(&b.expr, &rows)?, *d == Some(Order::Desc))))
            .collect::<Result<_>>()?;
        positions.sort_by(|&a, &b| {
            keys.iter()
                .map(|(col, desc)| compare_cells(col, a, b, *desc))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| symbol_order(a, b))
        });
    } else if sel.rank.is_none() {
        positions.sort_by(|&a, &b| symbol_order(a, b));
    }
    if let Some(n) = sel.limit {
        positions.truncate(n);
    }

    let mut table = Table {
        title: None,
        columns: vec![Column::new("symbol", None), Column::new("name", None)],
        rows: Vec::with_capacity(positions.len()),
        card: None,
    };
    // `symbol` and `name` lead every result, so selecting them again adds nothing.
    let shown: Vec<usize> = (0..items.len())
        .filter(|&k| {
            sel.items[k].alias.is_some()
                || !matches!(&items[k].expr, BExpr::Attr(a) if a == "symbol" || a == "name")
        })
        .collect();
    for &k in &shown {
        table
            .columns
            .push(Column::new(sel.items[k].column_name(), items[k].unit));
    }
    if rank_col.is_some() {
        table.columns.push(Column::new("rank", Some(Unit::Count)));
    }
    for &p in &positions {
        let row = &companies.rows[rows[p]];
        let mut out = vec![
            Value::text(&*row.symbol),
            Value::opt_text(companies.attr(rows[p], "name").map(|s| &**s)),
        ];
        for &k in &shown {
            out.push(cell(&cols[k], p));
        }
        if let Some(r) = &rank_col {
            out.push(r[p].map_or(Value::Null, Value::count));
        }
        table.rows.push(out);
    }
    let rows_out = positions.iter().map(|&p| rows[p]).collect();
    Ok(SelectResult {
        table,
        rows: rows_out,
    })
}

/// Restricts `rows` to the members of an industry or sector that an `and`-chain of the
/// filter requires, using the cache's index instead of comparing every row's text.
fn narrow_by_index(companies: &Companies, filter: &BExpr, rows: Vec<usize>) -> Vec<usize> {
    fn required<'e>(e: &'e BExpr, out: &mut Vec<(&'e str, &'e str)>) {
        match e {
            BExpr::Bin(super::ast::BinOp::And, a, b) => {
                required(a, out);
                required(b, out);
            }
            BExpr::Bin(super::ast::BinOp::Eq, a, b) => match (&**a, &**b) {
                (BExpr::Attr(attr), BExpr::Text(v)) | (BExpr::Text(v), BExpr::Attr(attr))
                    if attr == "industry" || attr == "sector" =>
                {
                    out.push((attr, v))
                }
                _ => {}
            },
            _ => {}
        }
    }
    let mut conds = Vec::new();
    required(filter, &mut conds);
    let mut rows = rows;
    for (attr, value) in conds {
        let index = if attr == "industry" {
            &companies.industries
        } else {
            &companies.sectors
        };
        let members = index
            .get(&value.to_lowercase())
            .map_or(&[][..], Vec::as_slice);
        // Both lists are in row order, so a merge keeps the intersection sorted.
        let mut keep = Vec::with_capacity(members.len().min(rows.len()));
        let (mut i, mut j) = (0, 0);
        while i < rows.len() && j < members.len() {
            match rows[i].cmp(&members[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    keep.push(rows[i]);
                    i += 1;
                    j += 1;
                }
            }
        }
        rows = keep;
    }
    rows
}

/// Scorecards and F-scores, computed (or taken from the cache) only when an expression
/// uses a computed column.
#[allow(clippy::type_complexity)]
fn prepare(
    env: &mut Env,
    exprs: &[&BExpr],
    at: Option<Period>,
) -> Result<(Option<Arc<ScoreTable>>, Option<Arc<Vec<FScore>>>)> {
    let scores = match exprs.iter().any(|e| e.uses(false)) {
        true => Some(env.cache.scores(env.db, at)?),
        false => None,
    };
    let fscores = match exprs.iter().any(|e| e.uses(true)) {
        true => Some(env.cache.fscores(env.db, at)?),
        false => None,
    };
    Ok((scores, fscores))
}

/// `Item(k)` in `rank by`/`order by` counts aliased items only; make it count all items.
fn remap_items(b: Bound, positions: &[usize]) -> Bound {
    fn walk(e: BExpr, positions: &[usize]) -> BExpr {
        match e {
            BExpr::Item(k) => BExpr::Item(positions.get(k).copied().unwrap_or(k)),
            BExpr::Neg(a) => BExpr::Neg(Box::new(walk(*a, positions))),
            BExpr::Not(a) => BExpr::Not(Box::new(walk(*a, positions))),
            BExpr::Bin(op, a, c) => BExpr::Bin(
                op,
                Box::new(walk(*a, positions)),
                Box::new(walk(*c, positions)),
            ),
            other => other,
        }
    }
    Bound {
        expr: walk(b.expr, positions),
        ..b
    }
}

/// Orders two numbers best first; missing values last.
fn by_value(a: f64, b: f64, descending: bool) -> std::cmp::Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ if descending => b.total_cmp(&a),
        _ => a.total_cmp(&b),
    }
}

/// Compares two cells of a column for `order by`; missing values last either way.
fn compare_cells(col: &Col, a: usize, b: usize, desc: bool) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match col {
        Col::Num(v) => by_value(v[a], v[b], desc),
        Col::Bool(v) => {
            let o = v[a].cmp(&v[b]);
            if desc { o.reverse() } else { o }
        }
        Col::Text(v) => match (&v[a], &v[b]) {
            (None, None) => Equal,
            (None, Some(_)) => Greater,
            (Some(_), None) => Less,
            (Some(x), Some(y)) => {
                let o = x.to_lowercase().cmp(&y.to_lowercase());
                if desc { o.reverse() } else { o }
            }
        },
    }
}

fn cell(col: &Col, i: usize) -> Value {
    match col {
        Col::Num(v) if v[i].is_nan() => Value::Null,
        Col::Num(v) => Value::Num(v[i]),
        Col::Text(v) => Value::opt_text(v[i].as_deref()),
        Col::Bool(v) => Value::text(if v[i] { "true" } else { "false" }),
    }
}

/// A `by` key's value for one group, compared case-insensitively for text.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
enum KeyVal {
    Num(f64),
    Text(String),
    Null,
}

fn grouped_select(
    ctx: &Ctx,
    sel: &Select,
    keys: &[Bound],
    items: &[Bound],
    rank_by: Option<&Bound>,
    order: &[(Bound, Option<Order>)],
    rows: &[usize],
) -> Result<Table> {
    // Assign rows to groups by their key tuple.
    let key_cols: Vec<Col> = keys
        .iter()
        .map(|k| ctx.eval(&k.expr, rows))
        .collect::<Result<_>>()?;
    // Each key column gives every row a small id, equal values (text ignoring case) sharing
    // one; the text is lower-cased once per distinct value, not once per row.
    let mut ids: Vec<Vec<u32>> = Vec::with_capacity(key_cols.len());
    let mut values: Vec<Vec<(KeyOrd, Value)>> = Vec::with_capacity(key_cols.len());
    for c in &key_cols {
        let mut vals: Vec<(KeyOrd, Value)> = Vec::new();
        let mut canon: HashMap<String, u32> = HashMap::new();
        let mut new_id =
            |k: KeyVal, shown: Value, canon_key: String, vals: &mut Vec<(KeyOrd, Value)>| {
                *canon.entry(canon_key).or_insert_with(|| {
                    vals.push((KeyOrd(k), shown));
                    vals.len() as u32 - 1
                })
            };
        let col_ids: Vec<u32> = match c {
            Col::Text(v) => {
                // Attribute values are interned, so one value is one pointer: look the
                // pointer up before hashing any text.
                let mut exact: HashMap<usize, u32, FastHash> = HashMap::default();
                let mut null_id = None;
                v.iter()
                    .map(|s| match s {
                        None => *null_id.get_or_insert_with(|| {
                            new_id(KeyVal::Null, Value::Null, "\0null".into(), &mut vals)
                        }),
                        Some(s) => {
                            let ptr = Arc::as_ptr(s) as *const u8 as usize;
                            *exact.entry(ptr).or_insert_with(|| {
                                let lower = s.to_lowercase();
                                new_id(
                                    KeyVal::Text(lower.clone()),
                                    Value::text(&**s),
                                    format!("t{lower}"),
                                    &mut vals,
                                )
                            })
                        }
                    })
                    .collect()
            }
            Col::Num(v) => v
                .iter()
                .map(|&x| {
                    if x.is_nan() {
                        new_id(KeyVal::Null, Value::Null, "\0null".into(), &mut vals)
                    } else {
                        new_id(
                            KeyVal::Num(x),
                            Value::Num(x),
                            format!("n{}", x.to_bits()),
                            &mut vals,
                        )
                    }
                })
                .collect(),
            Col::Bool(v) => v
                .iter()
                .map(|&b| {
                    new_id(
                        KeyVal::Text(b.to_string()),
                        Value::text(b.to_string()),
                        format!("b{b}"),
                        &mut vals,
                    )
                })
                .collect(),
        };
        ids.push(col_ids);
        values.push(vals);
    }
    // A row's group is its key ids read as one mixed-radix number.
    let radix: Vec<u64> = values.iter().map(|v| v.len().max(1) as u64).collect();
    if radix
        .iter()
        .try_fold(1u64, |acc, n| acc.checked_mul(*n))
        .is_none()
    {
        return Err(Error::Data(
            "too many distinct combinations of the 'by' keys".into(),
        ));
    }
    let mut by_code: HashMap<u64, usize, FastHash> = HashMap::default();
    let mut members: Vec<(Vec<u32>, Vec<usize>)> = Vec::new();
    for p in 0..rows.len() {
        let code = ids.iter().zip(&radix).fold(0u64, |acc, (col, n)| {
            acc.wrapping_mul(*n).wrapping_add(u64::from(col[p]))
        });
        let g = *by_code.entry(code).or_insert_with(|| {
            members.push((ids.iter().map(|col| col[p]).collect(), Vec::new()));
            members.len() - 1
        });
        members[g].1.push(p);
    }
    if keys.is_empty() && members.is_empty() {
        // Aggregates over an empty result still give their one row (count() = 0).
        members.push((Vec::new(), Vec::new()));
    }
    // Groups in key order (missing keys last).
    members.sort_by(|a, b| {
        a.0.iter()
            .zip(&b.0)
            .enumerate()
            .map(|(k, (x, y))| values[k][*x as usize].0.cmp(&values[k][*y as usize].0))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let groups: Vec<(Vec<Value>, Vec<usize>)> = members
        .into_iter()
        .map(|(tuple, rows)| {
            let shown = tuple
                .iter()
                .enumerate()
                .map(|(k, id)| values[k][*id as usize].1.clone())
                .collect();
            (shown, rows)
        })
        .collect();

    // Items: a key repeated, or an expression of aggregates.
    let key_texts: Vec<String> = sel.by.iter().map(|k| k.text.to_lowercase()).collect();
    let mut cols: Vec<Vec<Value>> = Vec::new();
    let mut inputs = AggInputs {
        rows,
        columns: HashMap::new(),
    };
    for (item, b) in sel.items.iter().zip(items) {
        let col = match key_texts
            .iter()
            .position(|k| *k == item.text.to_lowercase())
        {
            Some(k) => groups.iter().map(|g| g.0[k].clone()).collect(),
            None => groups
                .iter()
                .map(|g| {
                    Ok(num_value(group_value(
                        ctx,
                        &b.expr,
                        &g.1,
                        item,
                        &mut inputs,
                    )?))
                })
                .collect::<Result<Vec<_>>>()?,
        };
        cols.push(col);
    }
    let item_nums: Vec<Col> = cols
        .iter()
        .map(|c| {
            Col::Num(
                c.iter()
                    .map(|v| if let Value::Num(x) = v { *x } else { f64::NAN })
                    .collect(),
            )
        })
        .collect();

    let mut positions: Vec<usize> = (0..groups.len()).collect();
    let mut rank_col = None;
    let group_eval = |b: &Bound| -> Result<Vec<f64>> {
        let mut inputs = AggInputs {
            rows,
            columns: HashMap::new(),
        };
        let label = Item {
            expr: super::ast::Expr::Null,
            alias: None,
            text: "rank".into(),
        };
        groups
            .iter()
            .enumerate()
            .map(|(gi, g)| match &b.expr {
                BExpr::Item(k) => Ok(match &item_nums[*k] {
                    Col::Num(v) => v[gi],
                    _ => f64::NAN,
                }),
                e => group_value(ctx, e, &g.1, &label, &mut inputs),
            })
            .collect()
    };
    if let Some(rank) = &sel.rank {
        let (values, direction) = match rank_by {
            Some(b) => (group_eval(b)?, b.direction),
            None => {
                let k = items
                    .iter()
                    .position(|b| b.expr.has_aggregate())
                    .unwrap_or(0);
                let v = match item_nums.get(k) {
                    Some(Col::Num(v)) => v.clone(),
                    _ => return Err(Error::Data("'rank' needs something to rank by".into())),
                };
                (v, items.get(k).map_or(Direction::Higher, |b| b.direction))
            }
        };
        if rank.within.is_some() {
            return Err(Error::Data(
                "'rank within' ranks companies, not groups made with 'by'".into(),
            ));
        }
        let descending = match rank.order {
            Some(Order::Asc) => false,
            Some(Order::Desc) => true,
            None => direction != Direction::Lower,
        };
        positions.sort_by(|&a, &b| by_value(values[a], values[b], descending).then(a.cmp(&b)));
        rank_col = Some(stats::competition_ranks(
            &values, &positions, descending, 0.0,
        ));
    }
    if !order.is_empty() {
        let keys: Vec<(Vec<f64>, bool)> = order
            .iter()
            .map(|(b, d)| Ok((group_eval(b)?, *d == Some(Order::Desc))))
            .collect::<Result<_>>()?;
        positions.sort_by(|&a, &b| {
            keys.iter()
                .map(|(v, desc)| by_value(v[a], v[b], *desc))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        });
    }
    if let Some(n) = sel.limit {
        positions.truncate(n);
    }

    let mut table = Table::default();
    let shown_keys: Vec<usize> = (0..sel.by.len())
        .filter(|k| {
            !sel.items
                .iter()
                .any(|i| i.text.to_lowercase() == key_texts[*k])
        })
        .collect();
    for &k in &shown_keys {
        table
            .columns
            .push(Column::new(&sel.by[k].text, keys[k].unit));
    }
    for (item, b) in sel.items.iter().zip(items) {
        table.columns.push(Column::new(item.column_name(), b.unit));
    }
    if rank_col.is_some() {
        table.columns.push(Column::new("rank", Some(Unit::Count)));
    }
    for &g in &positions {
        let mut row: Vec<Value> = shown_keys.iter().map(|&k| groups[g].0[k].clone()).collect();
        row.extend(cols.iter().map(|c| c[g].clone()));
        if let Some(r) = &rank_col {
            row.push(r[g].map_or(Value::Null, Value::count));
        }
        table.rows.push(row);
    }
    Ok(table)
}

/// For each metric slot of a plan: whether some expression reads more of its series than
/// the value at the selection's period (inside a time-series function, or at a period of
/// its own).
fn whole_series_slots(exprs: &[&BExpr], slots: usize) -> Vec<bool> {
    let mut whole = vec![false; slots];
    for e in exprs {
        e.visit(&mut |x| match x {
            BExpr::MetricAt(slot, _) => {
                if let Some(w) = whole.get_mut(*slot) {
                    *w = true;
                }
            }
            BExpr::Ts(_, arg, _) => arg.visit(&mut |y| {
                if let BExpr::Metric(slot) | BExpr::MetricAt(slot, _) = y
                    && let Some(w) = whole.get_mut(*slot)
                {
                    *w = true;
                }
            }),
            _ => {}
        });
    }
    whole
}

/// Orders key values: numbers, then text, then missing.
#[derive(Clone, Debug, PartialEq)]
struct KeyOrd(KeyVal);

impl Eq for KeyOrd {}

impl PartialOrd for KeyOrd {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyOrd {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        match (&self.0, &other.0) {
            (KeyVal::Num(a), KeyVal::Num(b)) => a.total_cmp(b),
            (KeyVal::Text(a), KeyVal::Text(b)) => a.cmp(b),
            (KeyVal::Null, KeyVal::Null) => Equal,
            (KeyVal::Null, _) => Greater,
            (_, KeyVal::Null) => Less,
            (KeyVal::Num(_), KeyVal::Text(_)) => Less,
            (KeyVal::Text(_), KeyVal::Num(_)) => Greater,
        }
    }
}

fn num_value(v: f64) -> Value {
    if v.is_nan() {
        Value::Null
    } else {
        Value::Num(v)
    }
}

/// Each aggregate's argument evaluated once over all of a grouped select's rows, so a group
/// only gathers its own positions.
struct AggInputs<'r> {
    rows: &'r [usize],
    columns: HashMap<*const BExpr, Vec<f64>>,
}

/// An expression of aggregates, for one group (`positions` index the select's rows).
fn group_value(
    ctx: &Ctx,
    e: &BExpr,
    positions: &[usize],
    item: &Item,
    inputs: &mut AggInputs,
) -> Result<f64> {
    Ok(match e {
        BExpr::Agg(_, None, _) => positions.len() as f64,
        BExpr::Agg(f, Some(arg), q) => {
            let key = &**arg as *const BExpr;
            if !inputs.columns.contains_key(&key) {
                let col = ctx.aggregate_input(arg, inputs.rows)?;
                inputs.columns.insert(key, col);
            }
            let col = &inputs.columns[&key];
            let v: Vec<f64> = positions.iter().map(|&p| col[p]).collect();
            super::eval::aggregate_values(*f, &v, *q)
        }
        BExpr::Num(v) => *v,
        BExpr::Null => f64::NAN,
        BExpr::Neg(a) => -group_value(ctx, a, positions, item, inputs)?,
        BExpr::Bin(op, a, b) => {
            let (x, y) = (
                group_value(ctx, a, positions, item, inputs)?,
                group_value(ctx, b, positions, item, inputs)?,
            );
            match op {
                super::ast::BinOp::Add => x + y,
                super::ast::BinOp::Sub => x - y,
                super::ast::BinOp::Mul => x * y,
                super::ast::BinOp::Div if y == 0.0 => f64::NAN,
                super::ast::BinOp::Div => x / y,
                _ => {
                    return Err(Error::Data(format!(
                        "'{}' cannot be computed per group",
                        item.text
                    )));
                }
            }
        }
        _ => {
            return Err(Error::Data(format!(
                "'{}' must be an aggregate (count, sum, avg, ...) or one of the 'by' keys",
                item.text
            )));
        }
    })
}

fn series(
    env: &mut Env,
    names: &[Spanned],
    symbol: &str,
    from: Option<Period>,
    to: Option<Period>,
) -> Result<Table> {
    let companies = env.cache.companies(env.db)?;
    let row = companies
        .index_of(symbol)
        .ok_or_else(|| unknown_company(&companies, symbol))?;
    let catalog = env.db.shared_catalog();
    let mut binder = Binder::new(&catalog, &companies, env.text);
    let mut bound = Vec::new();
    for n in names {
        let b = binder.bind(&super::ast::Expr::Name(n.clone()))?;
        if b.ty != Ty::Num {
            return Err(name_error_at(
                env.text,
                n.pos,
                format!("'{}' is not a metric", n.name),
            ));
        }
        bound.push(b);
    }
    // One company's series: read straight from storage, not whole columns for every company.
    let metrics: Vec<Arc<MetricColumn>> = binder
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
        companies: &companies,
        metrics: &metrics,
        at: None,
        items: &[],
        scores: None,
        fscores: None,
    };
    // `from 2024` includes every period that ends on or after 2024-01-01 (2024Q1 too).
    let lo = from.map_or(0, |p| Period::Day(p.start_date()).code() & !3);
    // `to 2024` includes every period that ends by 2024-12-31.
    let hi = to.map_or(u32::MAX, |p| Period::Day(p.end_date()).code() | 3);
    let mut all: Vec<(Vec<u32>, Vec<f64>)> = Vec::new();
    for b in &bound {
        all.push(ctx.series_of(&b.expr, row)?.unwrap_or_default());
    }
    let mut codes: Vec<u32> = all
        .iter()
        .flat_map(|s| s.0.iter().copied())
        .filter(|c| (lo..=hi).contains(c))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let mut table = Table {
        title: Some(format!(
            "{} — {}",
            companies.rows[row].symbol,
            companies.attr(row, "name").map_or("", |s| s)
        )),
        columns: vec![Column::new("period", None)],
        rows: Vec::new(),
        card: None,
    };
    for (n, b) in names.iter().zip(&bound) {
        table.columns.push(Column::new(&n.name, b.unit));
        table
            .columns
            .push(Column::new(&format!("{}_yoy", n.name), Some(Unit::Percent)));
    }
    for c in codes {
        let mut out = vec![Value::text(
            Period::from_code(c)
                .map(|p| p.to_string())
                .unwrap_or_default(),
        )];
        for (sc, sv) in &all {
            let s = crate::columns::SeriesRef {
                codes: sc,
                values: sv,
            };
            match sc.binary_search(&c) {
                Ok(i) => {
                    out.push(Value::Num(sv[i]));
                    let yoy = s.years_before(i, 1).map_or(f64::NAN, |j| {
                        if sv[j] == 0.0 {
                            f64::NAN
                        } else {
                            sv[i] / sv[j] - 1.0
                        }
                    });
                    out.push(num_value(yoy));
                }
                Err(_) => {
                    out.push(Value::Null);
                    out.push(Value::Null);
                }
            }
        }
        table.rows.push(out);
    }
    Ok(table)
}

fn describe(env: &mut Env, symbol: &str) -> Result<Vec<Output>> {
    let Some(company) = env.db.company(symbol)? else {
        let companies = env.cache.companies(env.db)?;
        return Err(unknown_company(&companies, symbol));
    };
    let mut attrs = Table {
        title: Some(format!("{} — {}", company.symbol, company.name())),
        columns: vec![Column::new("attribute", None), Column::new("value", None)],
        rows: vec![vec![Value::text("symbol"), Value::text(&company.symbol)]],
        card: None,
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
        card: None,
    };
    for (def, series) in env.db.company_series(&company.symbol)? {
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

fn show(env: &mut Env, what: &ShowWhat) -> Result<Table> {
    match what {
        ShowWhat::Companies(filter) => show_companies(env, filter.as_ref()),
        ShowWhat::Industries => show_groups(env, "industry"),
        ShowWhat::Sectors => show_groups(env, "sector"),
        ShowWhat::Metrics => show_metrics(env.db),
        ShowWhat::Screens => {
            let mut t = Table {
                title: None,
                columns: vec![Column::new("screen", None), Column::new("definition", None)],
                rows: Vec::new(),
                card: None,
            };
            for (name, text) in env.db.definitions("screen")? {
                t.rows.push(vec![Value::text(name), Value::text(text)]);
            }
            Ok(t)
        }
    }
}

fn show_companies(env: &mut Env, filter: Option<&super::ast::Expr>) -> Result<Table> {
    let companies = env.cache.companies(env.db)?;
    let mut rows: Vec<usize> = (0..companies.len()).collect();
    if let Some(f) = filter {
        let catalog = env.db.shared_catalog();
        let mut binder = Binder::new(&catalog, &companies, env.text);
        let b = binder.bind(f)?;
        if b.ty != Ty::Bool {
            return Err(binder.place(f)(format!(
                "'where' needs a condition, such as roe > 10% (got {f})"
            )));
        }
        let metrics: Vec<_> = binder
            .metrics
            .iter()
            .map(|id| env.cache.metric(env.db, id))
            .collect::<Result<_>>()?;
        let (scores, fscores) = prepare(env, &[&b.expr], None)?;
        let ctx = Ctx {
            companies: &companies,
            metrics: &metrics,
            at: None,
            items: &[],
            scores: scores.as_deref(),
            fscores: fscores.as_deref().map(Vec::as_slice),
        };
        let keep = ctx.eval(&b.expr, &rows)?.into_bool();
        rows = rows
            .into_iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|(r, _)| r)
            .collect();
    }
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
        let m = env.cache.metric(env.db, &id)?;
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
fn show_groups(env: &mut Env, attr: &str) -> Result<Table> {
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
        card: None,
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

/// Applies a write and forgets cached columns, which it may have changed.
fn write(env: &mut Env, set: WriteSet) -> Result<crate::storage::WriteStats> {
    let r = env.db.apply(set);
    env.cache.clear();
    r
}

fn import(env: &mut Env, path: &str) -> Result<Vec<Output>> {
    let opts = crate::ingest::ImportOptions::default();
    let r = crate::ingest::import_file(env.db, std::path::Path::new(path), &opts, &mut |_| {});
    env.cache.clear();
    let report = r?;
    let mut out = Vec::new();
    if !report.registered.is_empty() {
        out.push(Output::Message(format!(
            "note: registered new metrics (ratio, higher, other): {}",
            report.registered.join(", ")
        )));
    }
    out.extend(
        report
            .warnings
            .iter()
            .map(|w| Output::Message(format!("warning: {w}"))),
    );
    // The statement's result reads the same every run; --timings reports the time.
    out.push(Output::Message(report.counts()));
    Ok(out)
}

/// Today's date (UTC), the default period of `set`.
fn today() -> Period {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Period::Day(Date::from_days_since_epoch((secs / 86_400) as i64))
}

fn set_point(
    env: &mut Env,
    symbol: &str,
    metric: &Spanned,
    period: Option<Period>,
    value: f64,
) -> Result<Vec<Output>> {
    let companies = env.cache.companies(env.db)?;
    let lower = metric.name.to_lowercase();
    if env.db.catalog().get(&metric.name).is_none()
        && (companies.attribute_names.contains(&lower)
            || STANDARD_ATTRIBUTES.contains(&lower.as_str())
            || lower == "symbol")
    {
        return Err(name_error_at(
            env.text,
            metric.pos,
            format!(
                "'{}' is an attribute: set it to text, such as set {symbol} {lower} = \"...\"",
                metric.name
            ),
        ));
    }
    let mut set = WriteSet::new();
    let mut note = String::new();
    let id = match env.db.catalog().get(&metric.name) {
        Some(d) if d.expr.is_some() => {
            return Err(name_error_at(
                env.text,
                metric.pos,
                format!("'{}' is a computed metric: it cannot be set", d.id),
            ));
        }
        Some(d) => d.id.clone(),
        None => {
            let id = snake_case_name(&metric.name);
            if id.is_empty() {
                return Err(name_error_at(
                    env.text,
                    metric.pos,
                    "a metric needs a name with letters or digits".into(),
                ));
            }
            note = format!(" (registered new metric '{id}': ratio, higher, other)");
            set.register(MetricDef::registered(&id));
            id
        }
    };
    let period = period.unwrap_or_else(today);
    let c = set.company(symbol);
    let m = set.metric(&id);
    set.push(c, m, period, value);
    write(env, set)?;
    Ok(vec![Output::Message(format!(
        "set {symbol} {id} at {period} = {value}{note}"
    ))])
}

fn set_attr(env: &mut Env, symbol: &str, attr: &Spanned, value: &str) -> Result<Vec<Output>> {
    let name = snake_case_name(&attr.name);
    if name.is_empty() || name == "symbol" {
        return Err(name_error_at(
            env.text,
            attr.pos,
            format!("'{}' cannot be set as an attribute", attr.name),
        ));
    }
    if let Some(d) = env.db.catalog().get(&attr.name) {
        return Err(name_error_at(
            env.text,
            attr.pos,
            format!("'{}' is a metric: set it to a number, not text", d.id),
        ));
    }
    let mut set = WriteSet::new();
    let c = set.company(symbol);
    set.set_attr(c, &name, value);
    let stats = write(env, set)?;
    let created = if stats.companies_added > 0 {
        " (new company)"
    } else {
        ""
    };
    Ok(vec![Output::Message(format!(
        "set {symbol} {name} = \"{value}\"{created}"
    ))])
}

fn delete(
    env: &mut Env,
    symbol: &str,
    metric: Option<&Spanned>,
    period: Option<Period>,
) -> Result<Vec<Output>> {
    let Some(company) = env.db.company(symbol)? else {
        let companies = env.cache.companies(env.db)?;
        return Err(unknown_company(&companies, symbol));
    };
    let symbol = company.symbol.as_str();
    let mut set = WriteSet::new();
    let what = match metric {
        None => {
            set.delete_company(symbol);
            format!("company {symbol}")
        }
        Some(m) => {
            let Some(def) = env.db.catalog().get(&m.name).filter(|d| d.expr.is_none()) else {
                let names: Vec<&str> = env.db.catalog().names().collect();
                return Err(name_error_at(
                    env.text,
                    m.pos,
                    format!(
                        "unknown metric '{}'{}",
                        m.name,
                        did_you_mean(&m.name, names)
                    ),
                ));
            };
            set.delete_points(symbol, &def.id, period);
            match period {
                Some(p) => format!("{symbol} {} at {p}", def.id),
                None => format!("{symbol} {}", def.id),
            }
        }
    };
    let stats = write(env, set)?;
    let n = stats.points_deleted;
    let plural = if n == 1 { "" } else { "s" };
    Ok(vec![Output::Message(format!(
        "deleted {what}: {n} point{plural}"
    ))])
}

fn define_metric(
    env: &mut Env,
    name: &Spanned,
    expr: &super::ast::Expr,
    text: &str,
    direction: Option<Direction>,
) -> Result<Vec<Output>> {
    let id = snake_case_name(&name.name);
    let companies = env.cache.companies(env.db)?;
    if id.is_empty()
        || env.db.catalog().get(&name.name).is_some()
        || companies.attribute_names.contains(&id)
    {
        return Err(name_error_at(
            env.text,
            name.pos,
            format!(
                "'{}' is already a metric or attribute name (drop metric first to redefine)",
                name.name
            ),
        ));
    }
    let catalog = env.db.shared_catalog();
    let b = Binder::new(&catalog, &companies, env.text).bind(expr)?;
    if b.ty != Ty::Num || b.expr.has_aggregate() || b.expr.has_cross() {
        return Err(Error::Data(format!(
            "a computed metric must be a number for each company, such as revenue / shares_outstanding (got {expr})"
        )));
    }
    let def = MetricDef {
        id: id.clone(),
        display: name.name.clone(),
        aliases: Vec::new(),
        unit: b.unit.unwrap_or(Unit::Ratio),
        direction: direction.unwrap_or(Direction::Higher),
        dimension: crate::model::Dimension::Other,
        expr: Some(text.trim().to_string()),
    };
    let mut set = WriteSet::new();
    set.register(def);
    write(env, set)?;
    Ok(vec![Output::Message(format!(
        "defined metric {id} = {}",
        text.trim()
    ))])
}

fn define_screen(
    env: &mut Env,
    name: &Spanned,
    select: &Select,
    text: &str,
) -> Result<Vec<Output>> {
    if env.db.definition("screen", &name.name)?.is_some() {
        return Err(name_error_at(
            env.text,
            name.pos,
            format!(
                "screen '{}' already exists (drop screen first to redefine)",
                name.name
            ),
        ));
    }
    // Run it once so a screen that cannot run is not saved.
    let rows = run_select(env, select, 1)?.table.rows.len();
    let mut set = WriteSet::new();
    set.define("screen", &name.name.to_lowercase(), Some(text.trim()));
    write(env, set)?;
    let plural = if rows == 1 { "" } else { "s" };
    Ok(vec![Output::Message(format!(
        "defined screen {} ({rows} row{plural} now)",
        name.name.to_lowercase()
    ))])
}

fn drop_definition(env: &mut Env, kind: DefKind, name: &Spanned) -> Result<Vec<Output>> {
    let mut set = WriteSet::new();
    match kind {
        DefKind::Metric => match env.db.catalog().get(&name.name) {
            Some(d) if d.expr.is_some() => set.drop_metric(&d.id),
            Some(d) => {
                return Err(name_error_at(
                    env.text,
                    name.pos,
                    format!(
                        "'{}' is a stored metric, not a computed one; only computed metrics can be dropped",
                        d.id
                    ),
                ));
            }
            None => {
                return Err(name_error_at(
                    env.text,
                    name.pos,
                    format!("unknown metric '{}'", name.name),
                ));
            }
        },
        DefKind::Screen => {
            if env.db.definition("screen", &name.name)?.is_none() {
                return Err(name_error_at(
                    env.text,
                    name.pos,
                    format!("unknown screen '{}'", name.name),
                ));
            }
            set.define("screen", &name.name.to_lowercase(), None);
        }
    }
    write(env, set)?;
    let kind = if kind == DefKind::Metric {
        "metric"
    } else {
        "screen"
    };
    Ok(vec![Output::Message(format!(
        "dropped {kind} {}",
        name.name
    ))])
}
