//! `compare SYMBOL, SYMBOL, ... [on METRIC, ...] [at PERIOD]`: one row per metric, one
//! column per company; each cell is the company's value and its grade within its own peer
//! group (SCORING.md's percentile and grade, the metric's direction deciding which way is
//! better). CSV and JSON get one row per metric with a value and a grade column per company;
//! people get a grid that fits a terminal for up to six companies.

use super::exec::Env;
use super::plan::ComparePlan;
use super::scorecards;
use crate::analysis::fx::{LeftOut, RankedMoney};
use crate::analysis::peers::peer_group;
use crate::analysis::score::BUILTIN;
use crate::analysis::{stats, valuation};
use crate::error::Result;
use crate::model::{Direction, Unit};
use crate::output::{Column, Output, Table, Value, format_number};
use std::fmt::Write as _;

/// One metric's row: per compared company, its value and grade.
struct Line {
    metric: String,
    unit: Option<Unit>,
    cells: Vec<(f64, Option<char>)>,
}

pub fn compare(env: &mut Env, plan: &ComparePlan) -> Result<Vec<Output>> {
    let companies = &plan.companies;
    let groups: Vec<(Vec<usize>, String)> = plan
        .symbols
        .iter()
        .map(|(_, row)| peer_group(companies, *row))
        .collect();
    let catalog = env.db.shared_catalog();
    let mut lines = Vec::with_capacity(plan.metrics.len());
    let mut left = LeftOut::default();
    for id in &plan.metrics {
        let line = if id == BUILTIN {
            let table = env.cache.scores(env.db, &scorecards::builtin(), plan.at)?;
            let cells = plan
                .symbols
                .iter()
                .map(|(_, row)| {
                    let s = table.own(*row).map_or(f64::NAN, |(_, m)| m.score);
                    (s, stats::grade(s))
                })
                .collect();
            Line {
                metric: id.clone(),
                unit: Some(Unit::Score),
                cells,
            }
        } else {
            let (values, money) = env.cache.indicator_values(env.db, companies, id, plan.at)?;
            // A money metric's values are in the base currency where rates allow; the
            // companies side by side, and each one's peer group, must meet in one currency.
            let currency = match &money {
                Some(m) => Some(money_meets(m, &values, plan, &groups, &mut left)?),
                None => None,
            };
            // Graded as the valuation band ranks: a negative multiple is never "cheap".
            let keys: Vec<f64> = values
                .iter()
                .map(|&v| valuation::ranking_key(id, v))
                .collect();
            let def = catalog.get(id);
            let direction = def.map_or(Direction::None, |d| d.direction);
            let cells = plan
                .symbols
                .iter()
                .zip(&groups)
                .map(|((_, row), (members, _))| {
                    (
                        values[*row],
                        grade_in_group(&keys, members, *row, direction),
                    )
                })
                .collect();
            Line {
                metric: match currency {
                    Some(c) => format!("{id} ({c})"),
                    None => id.clone(),
                },
                unit: def.map(|d| d.unit),
                cells,
            }
        };
        lines.push(line);
    }
    let before = lines.len();
    if plan.default_metrics {
        lines.retain(|l| l.cells.iter().any(|(v, _)| !v.is_nan()));
    }
    let mut table = machine_table(plan, &lines);
    table.card = Some(grid(plan, &lines, &groups));
    let mut out = vec![Output::Table(table)];
    if let Some(note) = left.note() {
        out.push(Output::Message(note));
    }
    if lines.len() < before {
        let n = before - lines.len();
        out.push(Output::Message(format!(
            "{n} metric{} not shown: none of these companies has a value",
            if n == 1 { "" } else { "s" }
        )));
    }
    Ok(out)
}

/// Checks that a money metric's values meet in one currency, both for the compared
/// companies side by side and within each one's peer group, and returns the currency of
/// the compared values. Values left out for want of a rate, among the companies graded,
/// are added to `left`.
fn money_meets(
    money: &RankedMoney,
    values: &[f64],
    plan: &ComparePlan,
    groups: &[(Vec<usize>, String)],
    left: &mut LeftOut,
) -> Result<String> {
    let mut counted = LeftOut::default();
    let mut all: Vec<usize> = Vec::new();
    for (members, _) in groups {
        money.meet(values, members, &mut counted)?;
        all.extend(members);
    }
    all.sort_unstable();
    all.dedup();
    // Each group meets on its own; the union only counts what was left out, once.
    let _ = money.meet(values, &all, left);
    let rows: Vec<usize> = plan.symbols.iter().map(|(_, r)| *r).collect();
    money.meet(values, &rows, &mut counted)
}

/// The grade of company `row`'s value among its peer group's values; none without a value
/// or for a metric with no direction.
fn grade_in_group(
    values: &[f64],
    members: &[usize],
    row: usize,
    direction: Direction,
) -> Option<char> {
    if direction == Direction::None || values[row].is_nan() {
        return None;
    }
    let group: Vec<f64> = members.iter().map(|&m| values[m]).collect();
    let pct = stats::midrank_percentiles(&group, direction == Direction::Lower);
    let me = members.iter().position(|&m| m == row)?;
    stats::grade(pct[me])
}

/// CSV and JSON: one row per metric, a value and a grade column per company.
fn machine_table(plan: &ComparePlan, lines: &[Line]) -> Table {
    let mut columns = vec![Column::new("metric", None)];
    for (symbol, _) in &plan.symbols {
        columns.push(Column::new(symbol, None));
        columns.push(Column::new(&format!("{symbol}_grade"), None));
    }
    let rows = lines
        .iter()
        .map(|l| {
            let mut row = vec![Value::text(&l.metric)];
            for (v, g) in &l.cells {
                row.push(match (v.is_nan(), l.unit) {
                    (true, _) => Value::Null,
                    (false, Some(u)) => Value::Quantity(*v, u),
                    (false, None) => Value::Num(*v),
                });
                row.push(g.map_or(Value::Null, |g| Value::text(g.to_string())));
            }
            row
        })
        .collect();
    Table {
        title: None,
        columns,
        rows,
        card: None,
        sparks: Vec::new(),
    }
}

/// The layout for people: metrics down, companies across, `value grade` in each cell, and
/// each company's peer group underneath.
fn grid(plan: &ComparePlan, lines: &[Line], groups: &[(Vec<usize>, String)]) -> String {
    let texts: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            l.cells
                .iter()
                .map(|(v, _)| match format_number(*v, l.unit) {
                    s if s.is_empty() => "-".to_string(),
                    s => s,
                })
                .collect()
        })
        .collect();
    let label_width = lines
        .iter()
        .map(|l| l.metric.len())
        .max()
        .unwrap_or(6)
        .max(6);
    // Each company's column: its values right-aligned, then a space and the grade.
    let widths: Vec<usize> = plan
        .symbols
        .iter()
        .enumerate()
        .map(|(c, (symbol, _))| {
            let values = texts.iter().map(|t| t[c].chars().count()).max();
            values
                .unwrap_or(1)
                .max(symbol.chars().count().saturating_sub(2))
        })
        .collect();
    let mut out = String::new();
    let when = plan
        .at
        .map_or("latest values".to_string(), |p| format!("at {p}"));
    let _ = writeln!(
        out,
        "Compare ({when}) — grades within each company's peer group"
    );
    let _ = write!(out, "{:<label_width$}", "metric");
    for ((symbol, _), w) in plan.symbols.iter().zip(&widths) {
        let _ = write!(out, " {:>width$}", symbol, width = w + 2);
    }
    out.push('\n');
    for (l, t) in lines.iter().zip(&texts) {
        let _ = write!(out, "{:<label_width$}", l.metric);
        for ((text, (_, grade)), w) in t.iter().zip(&l.cells).zip(&widths) {
            let g = match grade {
                Some(g) => *g,
                None => ' ',
            };
            let _ = write!(out, " {text:>w$} {g}");
        }
        out.push('\n');
    }
    out.push('\n');
    for ((symbol, _), (members, label)) in plan.symbols.iter().zip(groups) {
        let _ = writeln!(
            out,
            "peer group: {symbol} {label} ({} companies)",
            members.len()
        );
    }
    out
}
