//! Grouped selects (`by`, or only aggregates): rows become groups by their key values, each
//! item an aggregate per group; groups rank and order like rows do.

use super::num_value;
use super::select::by_value;
use crate::analysis::stats;
use crate::error::{Error, Result};
use crate::fasthash::FastHash;
use crate::model::Unit;
use crate::output::{Column, Table, Value};
use crate::query::bind::BExpr;
use crate::query::eval::{Col, Ctx};
use crate::query::plan::SelectPlan;
use std::collections::HashMap;
use std::sync::Arc;

/// A `by` key's value for one group, compared case-insensitively for text.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
enum KeyVal {
    Num(f64),
    Text(String),
    Null,
}

/// Runs the grouping part of a select plan over the rows that passed its filter.
/// `currency`: the currency of money columns, when the database names currencies.
pub fn grouped_select(
    ctx: &Ctx,
    plan: &SelectPlan,
    rows: &[usize],
    currency: Option<&str>,
) -> Result<Table> {
    // Assign rows to groups by their key tuple.
    let key_cols: Vec<Col> = plan
        .keys
        .iter()
        .map(|(k, _)| ctx.eval(&k.expr, rows))
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
                        // The group of companies without the attribute says what it is.
                        None => *null_id.get_or_insert_with(|| {
                            new_id(KeyVal::Null, Value::NoGroup, "\0null".into(), &mut vals)
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
    if plan.keys.is_empty() && members.is_empty() {
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
    let key_texts: Vec<String> = plan.keys.iter().map(|(_, t)| t.to_lowercase()).collect();
    let mut cols: Vec<Vec<Value>> = Vec::new();
    let mut inputs = AggInputs {
        rows,
        columns: HashMap::new(),
    };
    for item in &plan.items {
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
                        &item.bound.expr,
                        &g.1,
                        &item.text,
                        &mut inputs,
                    )?))
                })
                .collect::<Result<Vec<_>>>()?,
        };
        cols.push(col);
    }
    let item_nums: Vec<Vec<f64>> = cols
        .iter()
        .map(|c| {
            c.iter()
                .map(|v| if let Value::Num(x) = v { *x } else { f64::NAN })
                .collect()
        })
        .collect();

    let mut positions: Vec<usize> = (0..groups.len()).collect();
    let mut rank_col = None;
    // A rank or order key per group: an item's values, or an expression of aggregates.
    let group_eval = |e: &BExpr| -> Result<Vec<f64>> {
        if let BExpr::Item(k) = e {
            return Ok(item_nums
                .get(*k)
                .cloned()
                .unwrap_or_else(|| vec![f64::NAN; groups.len()]));
        }
        let mut inputs = AggInputs {
            rows,
            columns: HashMap::new(),
        };
        groups
            .iter()
            .map(|g| group_value(ctx, e, &g.1, "rank", &mut inputs))
            .collect()
    };
    if let Some(rank) = &plan.rank {
        let values = group_eval(&rank.by)?;
        positions.sort_by(|&a, &b| by_value(values[a], values[b], rank.descending).then(a.cmp(&b)));
        rank_col = Some(stats::competition_ranks(
            &values,
            &positions,
            rank.descending,
            0.0,
        ));
    }
    if !plan.order.is_empty() {
        let keys: Vec<(Vec<f64>, bool)> = plan
            .order
            .iter()
            .map(|k| Ok((group_eval(&k.bound.expr)?, k.descending)))
            .collect::<Result<_>>()?;
        positions.sort_by(|&a, &b| {
            keys.iter()
                .map(|(v, desc)| by_value(v[a], v[b], *desc))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        });
    }
    if let Some(n) = plan.limit {
        positions.truncate(n);
    }

    let mut table = Table::default();
    let shown_keys: Vec<usize> = (0..plan.keys.len())
        .filter(|k| {
            !plan
                .items
                .iter()
                .any(|i| i.text.to_lowercase() == key_texts[*k])
        })
        .collect();
    for &k in &shown_keys {
        let (bound, text) = &plan.keys[k];
        table
            .columns
            .push(Column::new(text, bound.unit).in_currency(currency));
    }
    for item in &plan.items {
        table
            .columns
            .push(Column::new(&item.name, item.bound.unit).in_currency(currency));
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
    label: &str,
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
            crate::query::eval::aggregate_values(*f, &v, *q)
        }
        BExpr::Num(v) => *v,
        BExpr::Null => f64::NAN,
        BExpr::Neg(a) => -group_value(ctx, a, positions, label, inputs)?,
        BExpr::Bin(op, a, b) => {
            let (x, y) = (
                group_value(ctx, a, positions, label, inputs)?,
                group_value(ctx, b, positions, label, inputs)?,
            );
            match op {
                crate::query::ast::BinOp::Add => x + y,
                crate::query::ast::BinOp::Sub => x - y,
                crate::query::ast::BinOp::Mul => x * y,
                crate::query::ast::BinOp::Div if y == 0.0 => f64::NAN,
                crate::query::ast::BinOp::Div => x / y,
                _ => {
                    return Err(Error::Data(format!(
                        "'{label}' cannot be computed per group"
                    )));
                }
            }
        }
        _ => {
            return Err(Error::Data(format!(
                "'{label}' must be an aggregate (count, sum, avg, ...) or one of the 'by' keys"
            )));
        }
    })
}
