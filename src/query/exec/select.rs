//! Runs a [`SelectPlan`]: source rows → index → columns → filter → items → rank / order →
//! limit → table. Grouped selects hand over to [`super::group`] after the filter.

use super::{Env, cell};
use crate::analysis::fscore::FScore;
use crate::analysis::fx::{LeftOut, MoneyRead};
use crate::analysis::score::ScoreTable;
use crate::analysis::stats;
use crate::columns::{Companies, MetricColumn};
use crate::error::{Error, Result};
use crate::model::Unit;
use crate::model::currency::{Basis, basis_of};
use crate::output::{Column, Table, Value};
use crate::query::ast::BinOp;
use crate::query::bind::{BExpr, CrossFn};
use crate::query::eval::{Col, Ctx, partition};
use crate::query::plan::{SelectPlan, SourcePlan, in_screen_error};
use std::collections::HashMap;
use std::sync::Arc;

/// A select's result: the table and the company rows behind it, in output order (empty
/// for grouped results).
pub struct SelectResult {
    pub table: Table,
    /// A line saying how many money values were left out for want of an exchange rate.
    pub note: Option<String>,
    pub rows: Vec<usize>,
    /// Rows a `rank ... limit` left out because they have no value to rank by.
    pub unranked: usize,
}

/// What evaluating a plan reads: its columns (by the binder's slots) and, when an
/// expression uses them, every company's scorecard and F-score.
pub struct Inputs {
    metrics: Vec<Arc<MetricColumn>>,
    /// The currency money results are in, when the database's companies name currencies.
    pub currency: Option<String>,
    /// Money values left out of the conversion, in one line.
    pub note: Option<String>,
    /// The same, counted while the rows are narrowed.
    left: LeftOut,
    scores: Vec<Arc<ScoreTable>>,
    fscores: Option<Arc<Vec<FScore>>>,
}

impl Inputs {
    pub fn ctx<'a>(&'a self, plan: &'a SelectPlan) -> Ctx<'a> {
        Ctx {
            companies: &plan.companies,
            metrics: &self.metrics,
            at: plan.at,
            items: &[],
            scores: &self.scores,
            fscores: self.fscores.as_deref().map(Vec::as_slice),
        }
    }
}

/// The rows that pass the plan's source, index and filter, and what evaluating them read.
/// `show companies where` and `select` share it.
pub fn filtered_rows(env: &mut Env, plan: &SelectPlan) -> Result<(Inputs, Vec<usize>)> {
    let source = source_rows(env, plan)?;
    let rows = narrow_by_index(&plan.companies, &plan.index, source);
    // Whole series are read for the rows kept so far only (a sector's companies need a
    // tenth of every company's series): the filter and items look at no other row, except
    // `grade(x)`, which ranks x within whole peer groups.
    let every = plan_exprs(plan).iter().any(|e| {
        let mut found = false;
        e.visit(&mut |x| found |= matches!(x, BExpr::Cross(CrossFn::Grade, ..)));
        found
    });
    let metrics = plan
        .reads
        .iter()
        .map(|r| {
            if r.whole && every {
                env.cache.metric(env.db, &r.metric)
            } else if r.whole {
                env.cache.metric_for_rows(env.db, &r.metric, &rows)
            } else {
                env.cache.anchored(env.db, &r.metric, plan.at)
            }
        })
        .collect::<Result<_>>()?;
    let scores: Vec<Arc<ScoreTable>> = plan
        .cards
        .iter()
        .map(|card| env.cache.scores(env.db, card, plan.at))
        .collect::<Result<_>>()?;
    let fscores = match plan.fscores {
        true => Some(env.cache.fscores(env.db, plan.at)?),
        false => None,
    };
    // A custom scorecard's money indicators are ranked within peer groups: the groups whose
    // scores the answer reads must meet in one currency (else the error naming the fix).
    // A filter that reads a card's scores reads them for every row it tests; otherwise only
    // the rows it keeps are read (checked after it).
    let filter_cards = plan.filter.as_ref().map_or(Vec::new(), |f| {
        let mut cards = Vec::new();
        f.0.expr.scorecards(&mut cards);
        cards
    });
    let mut score_notes: Vec<String> = Vec::new();
    for (k, t) in scores.iter().enumerate() {
        if filter_cards.contains(&k) {
            score_notes.extend(t.meet_rows(&rows)?);
        }
    }
    let mut inputs = Inputs {
        metrics,
        scores,
        fscores,
        currency: None,
        note: None,
        left: LeftOut::default(),
    };
    // Money meets money in a condition that reads it (`where market_cap > 1e9`): the money
    // columns are converted before it, over the rows the other conditions keep (each
    // condition of a top-level `and` is a row test of its own unless one compares rows,
    // with pct_rank or an aggregate). Otherwise the rows the filter keeps are the ones whose
    // currencies meet.
    let money = match env.cache.fx(env.db)? {
        Some(_) => uncancelled(plan, money_slots(env, plan)),
        // No company names a currency: the filter runs whole, as it always did.
        None => Vec::new(),
    };
    let reads_money = |e: &BExpr| {
        let mut reads = false;
        e.visit(&mut |x| {
            if let BExpr::Metric(s) | BExpr::MetricAt(s, _) = x {
                reads |= money.iter().any(|m| m.0 == *s);
            }
        });
        reads
    };
    let (plain, with_money): (Vec<&BExpr>, Vec<&BExpr>) = match &plan.filter {
        Some((f, _)) => {
            let mut parts = Vec::new();
            f.expr.conjuncts(&mut parts);
            let compares_rows = parts.iter().any(|p| {
                let mut found = false;
                p.visit(&mut |x| found |= matches!(x, BExpr::Cross(..) | BExpr::Agg(..)));
                found
            });
            if money.is_empty() {
                (vec![&f.expr], Vec::new())
            } else if compares_rows && parts.iter().any(|p| reads_money(p)) {
                (Vec::new(), vec![&f.expr])
            } else {
                parts.into_iter().partition(|p| !reads_money(p))
            }
        }
        None => (Vec::new(), Vec::new()),
    };
    let keep = |inputs: &Inputs, conds: &[&BExpr], rows: Vec<usize>| -> Result<Vec<usize>> {
        let mut rows = rows;
        for c in conds {
            let pass = inputs.ctx(plan).eval(c, &rows)?.into_bool();
            rows = rows
                .iter()
                .zip(pass)
                .filter(|(_, k)| *k)
                .map(|(r, _)| *r)
                .collect();
        }
        Ok(rows)
    };
    let rows = keep(&inputs, &plain, rows)?;
    align_currencies(env, plan, &money, &mut inputs, &rows)?;
    let rows = keep(&inputs, &with_money, rows)?;
    for (k, t) in inputs.scores.iter().enumerate() {
        if !filter_cards.contains(&k) {
            score_notes.extend(t.meet_rows(&rows)?);
        }
    }
    if env.cache.fx(env.db)?.is_some() {
        multiples_left_out(env, plan, &inputs.metrics, &rows, &mut inputs.left)?;
    }
    score_notes.extend(inputs.left.note());
    if !score_notes.is_empty() {
        inputs.note = Some(score_notes.join("; "));
    }
    Ok((inputs, rows))
}

/// Counts in `left` the values of market multiples (pe_ttm, pb, ...) the answer's `rows`
/// would have read but that are missing for want of a rate.
fn multiples_left_out(
    env: &mut Env,
    plan: &SelectPlan,
    columns: &[Arc<MetricColumn>],
    rows: &[usize],
    left: &mut LeftOut,
) -> Result<()> {
    for (read, column) in plan.reads.iter().zip(columns) {
        env.cache.count_left_out(
            env.db,
            &read.metric,
            rows,
            column,
            plan.at,
            read.whole,
            left,
        )?;
    }
    Ok(())
}

/// The money slots that some expression of the plan reads as an amount. A ratio of two
/// amounts of the same basis (`target_high / price`, `(a - b) / b`) is in no currency: the
/// company's currency cancels, so slots read only inside such ratios need no rate.
fn uncancelled(plan: &SelectPlan, money: Vec<(usize, Basis)>) -> Vec<(usize, Basis)> {
    if money.is_empty() {
        return money;
    }
    let basis = |s: usize| money.iter().find(|m| m.0 == s).map(|m| m.1);
    // The basis of an expression that is an amount of one basis, if it is one.
    fn amount(e: &BExpr, basis: &dyn Fn(usize) -> Option<Basis>) -> Option<Basis> {
        match e {
            BExpr::Metric(s) | BExpr::MetricAt(s, _) => basis(*s),
            BExpr::Neg(a) => amount(a, basis),
            BExpr::Bin(BinOp::Add | BinOp::Sub, a, b) => {
                let (x, y) = (amount(a, basis)?, amount(b, basis)?);
                (x == y).then_some(x)
            }
            BExpr::Bin(BinOp::Mul | BinOp::Div, a, b) => match (&**a, &**b) {
                (x, BExpr::Num(_)) | (BExpr::Num(_), x) => amount(x, basis),
                _ => None,
            },
            _ => None,
        }
    }
    fn walk(e: &BExpr, basis: &dyn Fn(usize) -> Option<Basis>, out: &mut Vec<usize>) {
        if let BExpr::Bin(BinOp::Div, a, b) = e
            && let (Some(x), Some(y)) = (amount(a, basis), amount(b, basis))
            && x == y
        {
            return;
        }
        match e {
            BExpr::Metric(s) | BExpr::MetricAt(s, _) => {
                if basis(*s).is_some() && !out.contains(s) {
                    out.push(*s);
                }
            }
            _ => e.children(&mut |c| walk(c, basis, out)),
        }
    }
    let mut out = Vec::new();
    for e in plan_exprs(plan) {
        walk(e, &basis, &mut out);
    }
    money.into_iter().filter(|m| out.contains(&m.0)).collect()
}

/// Every expression a select evaluates: items, filter, group keys, rank and order.
fn plan_exprs(plan: &SelectPlan) -> Vec<&BExpr> {
    let mut exprs: Vec<&BExpr> = plan.items.iter().map(|i| &i.bound.expr).collect();
    exprs.extend(plan.filter.iter().map(|f| &f.0.expr));
    exprs.extend(plan.keys.iter().map(|k| &k.0.expr));
    exprs.extend(plan.rank.iter().map(|r| &r.by));
    exprs.extend(plan.order.iter().map(|o| &o.bound.expr));
    exprs
}

/// The metric slots a select reads that hold money, with their basis.
fn money_slots(env: &Env, plan: &SelectPlan) -> Vec<(usize, Basis)> {
    let catalog = env.db.catalog();
    plan.reads
        .iter()
        .enumerate()
        .filter_map(|(k, r)| Some((k, catalog.get(&r.metric).and_then(basis_of)?)))
        .collect()
}

/// Brings the money columns of a select to one currency over its rows (before the filter,
/// so a comparison meets converted values too), when the database names currencies.
fn align_currencies(
    env: &mut Env,
    plan: &SelectPlan,
    slots: &[(usize, Basis)],
    inputs: &mut Inputs,
    rows: &[usize],
) -> Result<()> {
    let Some(fx) = env.cache.fx(env.db)? else {
        return Ok(());
    };
    let reads: Vec<MoneyRead> = slots
        .iter()
        .map(|&(k, basis)| MoneyRead {
            id: &plan.reads[k].metric,
            basis,
            column: &inputs.metrics[k],
        })
        .collect();
    let aligned = fx.align(&plan.companies, &reads, rows)?;
    for (&(k, _), col) in slots.iter().zip(aligned.columns) {
        if let Some(c) = col {
            inputs.metrics[k] = c;
        }
    }
    inputs.currency = Some(aligned.currency);
    inputs.left = aligned.left;
    Ok(())
}

fn source_rows(env: &mut Env, plan: &SelectPlan) -> Result<Vec<usize>> {
    Ok(match &plan.source {
        SourcePlan::All => (0..plan.companies.len()).collect(),
        SourcePlan::Rows { rows, .. } => rows.clone(),
        SourcePlan::Screen { name, plan: inner } => {
            let mut rows = run_select(env, inner)
                .map_err(|e| in_screen_error(name, e))?
                .rows;
            rows.sort_unstable();
            rows
        }
    })
}

/// Keeps the rows that are members of every `(attribute, value)` group of the plan's index
/// conditions. Both lists are in row order, so a merge keeps the intersection sorted.
fn narrow_by_index(
    companies: &Companies,
    index: &[(&'static str, String)],
    mut rows: Vec<usize>,
) -> Vec<usize> {
    for (attr, value) in index {
        let map = if *attr == "industry" {
            &companies.industries
        } else {
            &companies.sectors
        };
        let members = map
            .get(&value.to_lowercase())
            .map_or(&[][..], Vec::as_slice);
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

/// Runs a select plan.
pub fn run_select(env: &mut Env, plan: &SelectPlan) -> Result<SelectResult> {
    let (inputs, rows) = filtered_rows(env, plan)?;
    let ctx = inputs.ctx(plan);
    if plan.grouped {
        return Ok(SelectResult {
            table: super::group::grouped_select(&ctx, plan, &rows, inputs.currency.as_deref())?,
            note: inputs.note.clone(),
            rows: Vec::new(),
            unranked: 0,
        });
    }
    let companies = &plan.companies;
    let cols: Vec<Col> = plan
        .items
        .iter()
        .map(|i| ctx.eval(&i.bound.expr, &rows))
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

    if let Some(rank) = &plan.rank {
        let values = match ctx.eval(&rank.by, &rows)? {
            Col::Num(v) => v,
            _ => return Err(Error::Data("'rank' needs a number to rank by".into())),
        };
        let groups = partition(companies, &rows, rank.within);
        let mut ranks = vec![None; rows.len()];
        positions.clear();
        for members in groups {
            let mut order: Vec<usize> = members.clone();
            order.sort_by(|&a, &b| {
                by_value(values[a], values[b], rank.descending).then_with(|| symbol_order(a, b))
            });
            if rank.tolerance > 0.0 {
                stats::order_ties_by(&mut order, &values, rank.tolerance, symbol_order);
            }
            let r = stats::competition_ranks(&values, &order, rank.descending, rank.tolerance);
            for &i in &members {
                ranks[i] = r[i];
            }
            positions.extend(order);
        }
        rank_col = Some(ranks);
    }

    if !plan.order.is_empty() {
        let keys: Vec<(Col, bool)> = plan
            .order
            .iter()
            .map(|k| Ok((ctx.eval(&k.bound.expr, &rows)?, k.descending)))
            .collect::<Result<_>>()?;
        positions.sort_by(|&a, &b| {
            keys.iter()
                .map(|(col, desc)| compare_cells(col, a, b, *desc))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| symbol_order(a, b))
        });
    } else if plan.rank.is_none() {
        positions.sort_by(|&a, &b| symbol_order(a, b));
    }
    // Under a limit, rows that `rank` leaves unranked (no value) are not listed; a footer
    // counts them.
    let mut unranked = 0;
    if let (Some(_), Some(ranks)) = (plan.limit, &rank_col) {
        let before = positions.len();
        positions.retain(|&p| ranks[p].is_some());
        unranked = before - positions.len();
    }
    if let Some(n) = plan.limit {
        match plan.limit_per {
            None => positions.truncate(n),
            // The first N of each group, in the order already made (QUALIFY row_number()
            // over (partition by the group) <= N).
            Some(group) => {
                let attr = group.attr();
                let mut seen: HashMap<Option<String>, usize> = HashMap::new();
                positions.retain(|&p| {
                    let key = companies.attr(rows[p], attr).map(|s| s.to_lowercase());
                    let count = seen.entry(key).or_default();
                    *count += 1;
                    *count <= n
                });
            }
        }
    }

    let mut table = Table {
        title: None,
        columns: vec![Column::new("symbol", None), Column::new("name", None)],
        rows: Vec::with_capacity(positions.len()),
        card: None,
        sparks: Vec::new(),
    };
    let shown: Vec<usize> = (0..plan.items.len())
        .filter(|&k| plan.items[k].shown)
        .collect();
    for &k in &shown {
        let item = &plan.items[k];
        table
            .columns
            .push(Column::new(&item.name, item.bound.unit).in_currency(inputs.currency.as_deref()));
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
        note: inputs.note.clone(),
        rows: rows_out,
        unranked,
    })
}

/// Orders two numbers best first; missing values last.
pub fn by_value(a: f64, b: f64, descending: bool) -> std::cmp::Ordering {
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
