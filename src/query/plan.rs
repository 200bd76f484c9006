//! The planner: a parsed [`Statement`] becomes a [`Plan`], a plain value that says what the
//! executor will do — which companies it starts from and which index narrows them, which
//! metric columns it reads and how much of each (whole series, or one point per company),
//! what it filters, groups, ranks, orders and keeps. `explain` prints a plan instead of
//! running it ([`super::explain`]); [`super::exec`] runs it.
//!
//! Planning binds every name (errors about names surface here, before anything is read) and
//! applies one rewrite: `industry = "X"` / `sector = "X"` conditions in the top-level `and`
//! chain of `where` become index lookups, and leave the filter.

use super::ast::{
    BinOp, DefKind, Expr, Group, Order, Select, ShowWhat, Source, Spanned, Statement,
};
use super::bind::{BExpr, Binder, Bound, ScoreCol, Ty};
use super::exec::{Env, company_row};
use super::registry::TsFn;
use crate::analysis::score::Scorecard;
use crate::analysis::stats;
use crate::columns::Companies;
use crate::error::{Error, Result, did_you_mean};
use crate::model::{Direction, Period, PeriodKind};
use std::sync::Arc;

mod cards;
pub use cards::{CardKind, CardPlan, ComparePlan};

/// Screens may run other screens; this bounds how deep.
pub const MAX_SCREEN_DEPTH: usize = 8;

/// What one statement will do.
pub enum Plan {
    Select(Box<SelectPlan>),
    /// `show companies [where ...]`: the select path's rows, shown as a listing.
    ShowCompanies(Box<SelectPlan>),
    Series(SeriesPlan),
    Describe {
        symbol: Spanned,
    },
    /// `describe metric NAME`, resolved to a catalog id.
    DescribeMetric {
        id: String,
    },
    ShowGroups {
        attr: &'static str,
    },
    ShowMetrics,
    ShowScreens,
    ShowScorecards,
    ShowCurrencies,
    /// `score`, `peers of`, `valuation`, `fscore`: one company's figures within its group.
    Card(CardPlan),
    /// `compare`: companies side by side.
    Compare(ComparePlan),
    Import {
        path: String,
    },
    /// `export (SELECT) to "FILE"`: the select, and the file it writes in the format its
    /// extension names.
    Export {
        select: Box<SelectPlan>,
        path: String,
        format: super::exec::export::FileKind,
    },
    /// A write whose changes are known before it runs (`set`, `delete`, definitions).
    Write(Box<super::exec::write::WritePlan>),
    /// `define screen`: the select is run once (so a screen that cannot run is not saved),
    /// then the definition is written.
    DefineScreen {
        name: String,
        text: String,
        select: Box<SelectPlan>,
    },
    Explain(Box<Plan>),
    /// `explain score SYMBOL [at P]`: each indicator's value, period and provenance.
    ExplainScore(CardPlan),
}

/// Where a select's companies come from.
pub enum SourcePlan {
    /// Every company.
    All,
    /// The members of one industry or sector (from the group index), or a peer group.
    Rows { label: String, rows: Vec<usize> },
    /// The rows of a saved screen, run first.
    Screen {
        name: Spanned,
        plan: Box<SelectPlan>,
    },
}

/// How much of one metric a select reads.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnRead {
    pub metric: String,
    /// Whole series (time-series functions, `METRIC at P`), or only the point each
    /// company has at the selection's period.
    pub whole: bool,
}

/// A select item, bound, with its column name.
pub struct ItemPlan {
    pub bound: Bound,
    pub name: String,
    /// As written (collapsed whitespace): group keys repeated as items match on it.
    pub text: String,
    /// `symbol` and `name` lead every row result, so selecting them again adds nothing.
    pub shown: bool,
}

/// `rank`: by what, which way, within which groups, with which tie tolerance.
pub struct RankPlan {
    /// The expression ranked; `Item(k)` ranks by an item's values.
    pub by: BExpr,
    pub label: String,
    pub descending: bool,
    pub within: Option<Group>,
    /// Values this close are equal (scores: SCORING.md's 1e-9).
    pub tolerance: f64,
}

pub struct OrderKey {
    pub bound: Bound,
    pub label: String,
    pub descending: bool,
}

/// `attribute = "value"` for `industry` or `sector`: members from the group index.
pub type IndexCondition = (&'static str, String);

/// A filter, bound, and its text as a person would write it.
pub type Filter = (Bound, String);

/// A select, bound against one snapshot of the companies.
pub struct SelectPlan {
    pub companies: Arc<Companies>,
    pub at: Option<Period>,
    pub source: SourcePlan,
    /// Conditions of `where` answered by the group index.
    pub index: Vec<IndexCondition>,
    pub reads: Vec<ColumnRead>,
    /// The scorecards expressions read, by the binder's card index.
    pub cards: Vec<Arc<Scorecard>>,
    pub fscores: bool,
    /// What is left of `where` after the index conditions.
    pub filter: Option<Filter>,
    pub items: Vec<ItemPlan>,
    /// `by` keys: bound, with their text. Empty and `grouped` means aggregates over all rows.
    pub keys: Vec<(Bound, String)>,
    pub grouped: bool,
    pub rank: Option<RankPlan>,
    pub order: Vec<OrderKey>,
    pub limit: Option<usize>,
    /// `limit N per industry|sector`.
    pub limit_per: Option<Group>,
}

/// `series METRIC, ... of SYMBOL`.
pub struct SeriesPlan {
    pub companies: Arc<Companies>,
    pub row: usize,
    pub names: Vec<String>,
    pub bound: Vec<Bound>,
    /// Metric ids by the binder's slots, each read as one company's series.
    pub metrics: Vec<String>,
    pub from: Option<Period>,
    pub to: Option<Period>,
    /// Only periods of this kind (`kind fy|h|q|day`).
    pub kind: Option<PeriodKind>,
    /// `companies` is the whole company list (else it holds only this company, at row 0).
    pub whole: bool,
}

/// Plans one statement.
pub fn plan(env: &mut Env, statement: &Statement) -> Result<Plan> {
    Ok(match statement {
        Statement::Select(s) => Plan::Select(Box::new(plan_select(env, s, 0)?)),
        // `explain score` explains the scorecard's inputs (DERIVATIONS.md, provenance);
        // any other statement's explanation is its plan.
        Statement::Explain(inner) => match &**inner {
            Statement::Score { .. } => match cards::plan(env, inner)? {
                Some(Plan::Card(c)) => Plan::ExplainScore(c),
                _ => Plan::Explain(Box::new(plan(env, inner)?)),
            },
            _ => Plan::Explain(Box::new(plan(env, inner)?)),
        },
        Statement::Series {
            metrics,
            symbol,
            from,
            to,
            kind,
        } => Plan::Series(plan_series(env, metrics, symbol, (*from, *to), *kind)?),
        Statement::Describe { symbol } => Plan::Describe {
            symbol: symbol.clone(),
        },
        Statement::Show(what) => match what {
            ShowWhat::Companies(filter) => {
                Plan::ShowCompanies(Box::new(plan_show_companies(env, filter.as_ref())?))
            }
            ShowWhat::Industries => Plan::ShowGroups { attr: "industry" },
            ShowWhat::Sectors => Plan::ShowGroups { attr: "sector" },
            ShowWhat::Metrics => Plan::ShowMetrics,
            ShowWhat::Screens => Plan::ShowScreens,
            ShowWhat::Scorecards => Plan::ShowScorecards,
            ShowWhat::Currencies => Plan::ShowCurrencies,
        },
        Statement::Import { path } => Plan::Import { path: path.clone() },
        Statement::Export { select, path } => Plan::Export {
            format: super::exec::export::FileKind::of(path)?,
            select: Box::new(plan_select(env, select, 0)?),
            path: path.clone(),
        },
        Statement::Score { .. }
        | Statement::Peers { .. }
        | Statement::Valuation { .. }
        | Statement::FScore { .. }
        | Statement::Compare { .. } => cards::plan(env, statement)?
            .ok_or_else(|| Error::Data("internal error: not an analysis statement".into()))?,
        Statement::DefineScorecard {
            name,
            dimensions,
            text,
        } => write_plan(super::scorecards::plan_define(env, name, dimensions, text)?),
        Statement::RunScreen { name } => {
            let select = load_screen(env, name)?;
            Plan::Select(Box::new(in_screen(env, name, &select, 1)?))
        }
        Statement::DefineScreen { name, select, text } => {
            if env.db.definition("screen", &name.name)?.is_some() {
                return Err(Error::name_at(
                    name.pos,
                    format!(
                        "screen '{}' already exists (drop screen first to redefine)",
                        name.name
                    ),
                ));
            }
            Plan::DefineScreen {
                name: name.name.to_lowercase(),
                text: text.trim().to_string(),
                select: Box::new(plan_select(env, select, 1)?),
            }
        }
        Statement::SetPoint {
            symbol,
            metric,
            period,
            value,
        } => write_plan(super::exec::write::plan_set_point(
            env,
            &symbol.name,
            metric,
            *period,
            *value,
        )?),
        Statement::SetAttr {
            symbol,
            attr,
            value,
        } => write_plan(super::exec::write::plan_set_attr(
            env,
            &symbol.name,
            attr,
            value,
        )?),
        Statement::Delete {
            symbol,
            metric,
            period,
        } => write_plan(super::exec::write::plan_delete(
            env,
            symbol,
            metric.as_ref(),
            *period,
        )?),
        Statement::DefineMetric {
            name,
            expr,
            text,
            direction,
            unit,
        } => write_plan(super::exec::write::plan_define_metric(
            env,
            name,
            (expr, text),
            *direction,
            unit.as_ref(),
        )?),
        Statement::SetBase { code } => write_plan(super::exec::currency::plan_set_base(code)?),
        Statement::SetMetric { name, change } => {
            write_plan(super::exec::write::plan_set_metric(env, name, change)?)
        }
        Statement::DescribeMetric { name } => Plan::DescribeMetric {
            id: resolve_metric(env, name)?,
        },
        Statement::Drop { kind, name } => {
            write_plan(super::exec::write::plan_drop(env, *kind, name)?)
        }
    })
}

/// A metric named in a statement, by its catalog id (an unknown name is an error that
/// suggests the nearest).
pub fn resolve_metric(env: &Env, name: &Spanned) -> Result<String> {
    Ok(metric_def(env.db, name)?.id)
}

/// The catalog entry of a metric named in a statement; an unknown name is an error that
/// suggests the nearest.
pub fn metric_def(
    db: &crate::storage::Database,
    name: &Spanned,
) -> Result<crate::model::MetricDef> {
    let catalog = db.catalog();
    match catalog.get(&name.name) {
        Some(d) => Ok(d.clone()),
        None => {
            let names: Vec<&str> = catalog.names().collect();
            Err(Error::name_at(
                name.pos,
                format!(
                    "unknown metric '{}'{}",
                    name.name,
                    did_you_mean(&name.name, names)
                ),
            ))
        }
    }
}

fn write_plan(w: super::exec::write::WritePlan) -> Plan {
    Plan::Write(Box::new(w))
}

/// The companies a select starts from.
fn plan_source(
    env: &mut Env,
    companies: &Companies,
    from: &Source,
    depth: usize,
) -> Result<SourcePlan> {
    let group = |name: &Spanned, what: &'static str| -> Result<SourcePlan> {
        let map = if what == "industry" {
            &companies.industries
        } else {
            &companies.sectors
        };
        match map.get(&name.name.to_lowercase()) {
            Some(rows) => Ok(SourcePlan::Rows {
                label: format!("{what} \"{}\"", name.name),
                rows: rows.clone(),
            }),
            None => {
                let names: Vec<String> = companies
                    .attribute(what)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|v| v.as_ref().map(|s| s.to_string()))
                    .collect();
                Err(Error::name_at(
                    name.pos,
                    format!(
                        "unknown {what} \"{}\"{}",
                        name.name,
                        did_you_mean(&name.name, names.iter().map(String::as_str))
                    ),
                ))
            }
        }
    };
    Ok(match from {
        Source::Companies => SourcePlan::All,
        Source::Industry(name) => group(name, "industry")?,
        Source::Sector(name) => group(name, "sector")?,
        Source::Peers(symbol) => {
            let i = company_row(companies, symbol)?;
            let (rows, label) = crate::analysis::peers::peer_group(companies, i);
            SourcePlan::Rows {
                label: format!("peers of {} ({label})", companies.rows[i].symbol),
                rows,
            }
        }
        Source::Screen(name) => {
            if depth >= MAX_SCREEN_DEPTH {
                return Err(Error::Data(format!(
                    "screens nest deeper than {MAX_SCREEN_DEPTH} levels"
                )));
            }
            let select = load_screen(env, name)?;
            SourcePlan::Screen {
                name: name.clone(),
                plan: Box::new(in_screen(env, name, &select, depth + 1)?),
            }
        }
    })
}

/// Plans a saved screen's select. Its text is not the script's, so errors name the screen
/// instead of pointing into the script.
fn in_screen(env: &mut Env, name: &Spanned, select: &Select, depth: usize) -> Result<SelectPlan> {
    plan_select(env, select, depth).map_err(|e| in_screen_error(name, e))
}

/// An error met inside a saved screen, named by the screen (its places are in the screen's
/// own text, not the script's).
/// The error points at the screen's name where the statement wrote it.
pub fn in_screen_error(name: &Spanned, e: Error) -> Error {
    in_saved_error("screen", name, e)
}

/// An error met inside a saved definition (a screen, a scorecard), named by it.
pub fn in_saved_error(kind: &str, name: &Spanned, e: Error) -> Error {
    match e {
        Error::Name {
            message,
            span: Some(_),
        }
        | Error::Parse { message, .. } => {
            Error::name_at(name.pos, format!("in {kind} '{}': {message}", name.name))
        }
        other => other,
    }
}

fn load_screen(env: &mut Env, name: &Spanned) -> Result<Select> {
    let Some(text) = env.db.definition("screen", &name.name)? else {
        let known = env.db.definitions("screen")?;
        return Err(Error::name_at(
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
        Some(Statement::Select(s)) => Ok(*s),
        _ => Err(Error::Data(format!(
            "screen '{}' is damaged: its text is not a select",
            name.name
        ))),
    }
}

/// Binds a select and decides how it runs.
pub fn plan_select(env: &mut Env, sel: &Select, depth: usize) -> Result<SelectPlan> {
    let companies = env.cache.companies(env.db)?;
    let source = plan_source(env, &companies, &sel.from, depth)?;
    let catalog = env.db.shared_catalog();
    let mut binder = Binder::new(&catalog, &companies);

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
    let rank_by = match sel.rank.as_ref().and_then(|r| r.by.as_ref()) {
        Some(e) => Some(fix(binder.bind(e)?)),
        None => None,
    };
    let order: Vec<(Bound, Option<Order>)> = sel
        .order
        .iter()
        .map(|(e, d)| Ok((fix(binder.bind(e)?), *d)))
        .collect::<Result<_>>()?;

    let grouped =
        !sel.by.is_empty() || (!items.is_empty() && items.iter().all(|b| b.expr.has_aggregate()));
    if !grouped
        && let Some((i, _)) = items
            .iter()
            .enumerate()
            .find(|(_, b)| b.expr.has_aggregate())
    {
        return Err(Error::Data(format!(
            "'{}' is an aggregate: add 'by', or make every item an aggregate",
            sel.items[i].text
        )));
    }

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
    let reads = binder
        .metrics
        .iter()
        .zip(&whole)
        .map(|(id, &whole)| ColumnRead {
            metric: id.clone(),
            whole,
        })
        .collect();
    let cards = super::scorecards::load_all(env.db, &binder.cards)?;
    let fscores = all.iter().any(|e| e.uses_fscore());

    if let Some(e) = &sel.filter {
        check_attribute_values(&companies, e)?;
    }
    let (index, filter) = match (filter, &sel.filter) {
        (Some(b), Some(e)) => split_index_conditions(b, e),
        _ => (Vec::new(), None),
    };

    let rank = match &sel.rank {
        None => None,
        Some(r) => {
            if grouped && r.within.is_some() {
                return Err(Error::Data(
                    "'rank within' ranks companies, not groups made with 'by'".into(),
                ));
            }
            let (by, direction, label) = match (&rank_by, &r.by) {
                (Some(b), Some(e)) => (b.expr.clone(), b.direction, super::explain::show_expr(e)),
                _ => default_rank(sel, &items, grouped)?,
            };
            let descending = match r.order {
                Some(Order::Asc) => false,
                Some(Order::Desc) => true,
                None => direction != Direction::Lower,
            };
            // Scores within EPS are equal (SCORING.md): they tie and go by symbol.
            let is_score = |e: &BExpr| matches!(e, BExpr::Score(ScoreCol::Score, _));
            let tolerance = match &by {
                _ if grouped => 0.0,
                BExpr::Item(k) if items.get(*k).is_some_and(|b| is_score(&b.expr)) => stats::EPS,
                e if is_score(e) => stats::EPS,
                _ => 0.0,
            };
            Some(RankPlan {
                by,
                label,
                descending,
                within: r.within,
                tolerance,
            })
        }
    };
    let order = order
        .into_iter()
        .zip(&sel.order)
        .map(|((bound, d), (e, _))| OrderKey {
            bound,
            label: super::explain::show_expr(e),
            descending: d == Some(Order::Desc),
        })
        .collect();
    unique_columns(sel, &items, grouped)?;
    if grouped && sel.limit_per.is_some() {
        return Err(Error::Data(
            "'limit ... per' keeps rows of companies within each group; with 'by' the rows \
             are groups already (write 'limit N' to keep the first N groups)"
                .into(),
        ));
    }
    let items = sel
        .items
        .iter()
        .zip(items)
        .map(|(item, bound)| ItemPlan {
            shown: item.alias.is_some()
                || !matches!(&bound.expr, BExpr::Attr(a) if a == "symbol" || a == "name"),
            bound,
            name: item.column_name().to_string(),
            text: item.text.clone(),
        })
        .collect();
    Ok(SelectPlan {
        companies,
        at: sel.at,
        source,
        index,
        reads,
        cards,
        fscores,
        filter,
        items,
        keys: keys
            .into_iter()
            .zip(&sel.by)
            .map(|(b, k)| (b, k.text.clone()))
            .collect(),
        grouped,
        rank,
        order,
        limit: sel.limit,
        limit_per: sel.limit_per,
    })
}

/// Every result's column names are unique (SPEC.md §3): an item that would repeat a name
/// already taken (`symbol`, `name`, a `by` key, `rank`, another item) is an error asking
/// for `as`. Names compare ignoring case, as names do everywhere in the language.
fn unique_columns(sel: &Select, items: &[Bound], grouped: bool) -> Result<()> {
    let mut taken: Vec<String> = Vec::new();
    if grouped {
        let written: Vec<String> = sel.items.iter().map(|i| i.text.to_lowercase()).collect();
        taken.extend(
            sel.by
                .iter()
                .map(|k| k.text.to_lowercase())
                .filter(|k| !written.contains(k)),
        );
    } else {
        taken.extend(["symbol".to_string(), "name".to_string()]);
    }
    for (item, b) in sel.items.iter().zip(items) {
        let hidden = !grouped
            && item.alias.is_none()
            && matches!(&b.expr, BExpr::Attr(a) if a == "symbol" || a == "name");
        if hidden {
            continue;
        }
        let name = item.column_name().to_lowercase();
        if taken.contains(&name) {
            let message = format!(
                "two columns would be named '{}': give one another name with 'as' ({} as ...)",
                item.column_name(),
                item.text
            );
            return Err(match super::bind::first_name_pos(&item.expr) {
                Some(pos) => Error::name_at(pos, message),
                None => Error::Data(message),
            });
        }
        taken.push(name);
    }
    if sel.rank.is_some() && taken.iter().any(|t| t == "rank") {
        return Err(Error::Data(
            "an item is named 'rank', as is the column 'rank' adds: give it another name with 'as'"
                .into(),
        ));
    }
    Ok(())
}

/// `rank` without `by`: rows rank by the first selected metric (failing that, the first
/// item); groups by their first aggregate.
fn default_rank(
    sel: &Select,
    items: &[Bound],
    grouped: bool,
) -> Result<(BExpr, Direction, String)> {
    let k = if grouped {
        items.iter().position(|b| b.expr.has_aggregate())
    } else {
        items
            .iter()
            .position(|b| matches!(b.expr, BExpr::Metric(_) | BExpr::MetricAt(..)))
    }
    .unwrap_or(0);
    let b = items
        .get(k)
        .ok_or_else(|| Error::Data("'rank' needs something to rank by".into()))?;
    Ok((
        BExpr::Item(k),
        b.direction,
        sel.items[k].column_name().to_string(),
    ))
}

/// `show companies [where ...]`: the select path with no items.
fn plan_show_companies(env: &mut Env, filter: Option<&Expr>) -> Result<SelectPlan> {
    let select = Select {
        items: Vec::new(),
        from: Source::Companies,
        filter: filter.cloned(),
        at: None,
        by: Vec::new(),
        rank: None,
        order: Vec::new(),
        limit: None,
        limit_per: None,
    };
    let mut plan = plan_select(env, &select, 0)?;
    // The listing counts every metric's points per company: whole columns.
    for r in &mut plan.reads {
        r.whole = true;
    }
    Ok(plan)
}

fn plan_series(
    env: &mut Env,
    names: &[Spanned],
    symbol: &Spanned,
    (from, to): (Option<Period>, Option<Period>),
    kind: Option<PeriodKind>,
) -> Result<SeriesPlan> {
    // One company's series needs its own block and the attribute names (to bind as against
    // every company), not the whole company list, unless an earlier statement loaded it. An
    // unknown symbol loads the list, for the error's did-you-mean.
    let (companies, row, whole) = match env.cache.loaded_companies() {
        Some(c) => (c.clone(), company_row(&c, symbol)?, true),
        None => match env.cache.company_alone(env.db, &symbol.name)? {
            Some(one) => (one, 0, false),
            None => {
                let c = env.cache.companies(env.db)?;
                (c.clone(), company_row(&c, symbol)?, true)
            }
        },
    };
    let catalog = env.db.shared_catalog();
    let mut binder = Binder::new(&catalog, &companies);
    let mut bound = Vec::new();
    for n in names {
        let b = binder.bind(&Expr::Name(n.clone()))?;
        if b.ty != Ty::Num {
            return Err(Error::name_at(
                n.pos,
                format!("'{}' is not a metric", n.name),
            ));
        }
        bound.push(b);
    }
    // Each metric gives two columns, its value and its change: every name must be unique.
    let mut columns: Vec<String> = vec!["period".into()];
    for (n, b) in names.iter().zip(&bound) {
        for column in [n.name.clone(), change_column(&n.name, b.unit)] {
            if columns.iter().any(|c| c.eq_ignore_ascii_case(&column)) {
                return Err(Error::name_at(
                    n.pos,
                    format!("the column '{column}' would appear twice: name each metric once"),
                ));
            }
            columns.push(column);
        }
    }
    Ok(SeriesPlan {
        row,
        names: names.iter().map(|n| n.name.clone()).collect(),
        bound,
        metrics: binder.metrics,
        from,
        to,
        kind,
        companies,
        whole,
    })
}

/// The name of a `series` change column: `yoy(revenue)`, or `yoy_diff(roe)` for a percent
/// metric, whose change is shown in percentage points.
pub fn change_column(name: &str, unit: Option<crate::model::Unit>) -> String {
    if unit == Some(crate::model::Unit::Percent) {
        format!("yoy_diff({name})")
    } else {
        format!("yoy({name})")
    }
}

/// Splits a bound filter into the `industry = "X"` / `sector = "X"` conditions of its
/// top-level `and` chain (answered by the group index) and the rest, with the rest's text.
/// The index holds exactly the companies whose attribute equals the value ignoring case,
/// which is what `=` on text means, so those conditions need no second check.
/// A `where` condition `ATTRIBUTE = "text"` (at the top level of `and`) that no company
/// matches, while a company has a value one typing slip away, is a mistake: the same
/// did-you-mean as `from sector "Enrgy"` (a value nothing is close to just selects no rows).
fn check_attribute_values(companies: &Companies, filter: &Expr) -> Result<()> {
    match filter {
        Expr::Binary(BinOp::And, a, b) => {
            check_attribute_values(companies, a)?;
            check_attribute_values(companies, b)
        }
        Expr::Binary(BinOp::Eq, a, b) => {
            let ((Expr::Name(name), Expr::Text(value)) | (Expr::Text(value), Expr::Name(name))) =
                (&**a, &**b)
            else {
                return Ok(());
            };
            let attr = name.name.to_lowercase();
            let wanted = value.to_lowercase();
            // Selects run this on every `where`: answer from the group indexes and the
            // symbol map where there is one, and scan an attribute only until a match.
            let found = match attr.as_str() {
                "industry" => companies.industries.contains_key(&wanted),
                "sector" => companies.sectors.contains_key(&wanted),
                "symbol" => companies.index_of(value).is_some(),
                _ => match companies.attribute(&attr) {
                    None => return Ok(()),
                    Some(values) => values.iter().flatten().any(|v| {
                        v.eq_ignore_ascii_case(value)
                            || (!v.is_ascii() && v.to_lowercase() == wanted)
                    }),
                },
            };
            if found {
                return Ok(());
            }
            let Some(values) = companies.attribute(&attr) else {
                return Ok(());
            };
            let mut known: Vec<&str> = values.iter().flatten().map(|v| &**v).collect();
            known.sort_unstable();
            known.dedup();
            match crate::error::suggest(value, known) {
                Some(near) => Err(Error::name_at(
                    name.pos,
                    format!(
                        "no company has {} \"{value}\" — did you mean '{near}'?",
                        name.name
                    ),
                )),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

fn split_index_conditions(filter: Bound, source: &Expr) -> (Vec<IndexCondition>, Option<Filter>) {
    fn expr_leaves<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
        match e {
            Expr::Binary(BinOp::And, a, b) => {
                expr_leaves(a, out);
                expr_leaves(b, out);
            }
            other => out.push(other),
        }
    }
    fn index_condition(e: &BExpr) -> Option<(&'static str, String)> {
        let BExpr::Bin(BinOp::Eq, a, b) = e else {
            return None;
        };
        match (&**a, &**b) {
            (BExpr::Attr(attr), BExpr::Text(v)) | (BExpr::Text(v), BExpr::Attr(attr)) => {
                match attr.as_str() {
                    "industry" => Some(("industry", v.to_string())),
                    "sector" => Some(("sector", v.to_string())),
                    _ => None,
                }
            }
            _ => None,
        }
    }
    let (mut bound, mut written) = (Vec::new(), Vec::new());
    filter.expr.conjuncts(&mut bound);
    expr_leaves(source, &mut written);
    // Binding keeps `and` as it is written, so the two lists line up; if they ever did not,
    // the filter is kept whole (correct, only without the rewrite).
    if bound.len() != written.len() {
        let text = super::explain::show_expr(source);
        return (Vec::new(), Some((filter, text)));
    }
    let mut index = Vec::new();
    let mut rest: Vec<(BExpr, &Expr)> = Vec::new();
    for (b, w) in bound.into_iter().zip(written) {
        match index_condition(b) {
            Some(c) => index.push(c),
            None => rest.push((b.clone(), w)),
        }
    }
    if index.is_empty() {
        let text = super::explain::show_expr(source);
        return (index, Some((filter, text)));
    }
    let text = rest
        .iter()
        .map(|(_, w)| super::explain::show_expr_in(w, super::explain::AND_PREC))
        .collect::<Vec<_>>()
        .join(" and ");
    let residual = rest
        .into_iter()
        .map(|(b, _)| b)
        .reduce(|a, b| BExpr::Bin(BinOp::And, Box::new(a), Box::new(b)));
    (
        index,
        residual.map(|expr| {
            (
                Bound {
                    expr,
                    ..filter.clone()
                },
                text,
            )
        }),
    )
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

/// For each metric slot: whether some expression reads more of its series than the value
/// at the selection's period (inside a time-series function, or at a period of its own).
fn whole_series_slots(exprs: &[&BExpr], slots: usize) -> Vec<bool> {
    let mut whole = vec![false; slots];
    for e in exprs {
        e.visit(&mut |x| match x {
            BExpr::MetricAt(slot, _) => {
                if let Some(w) = whole.get_mut(*slot) {
                    *w = true;
                }
            }
            // `period(x)` and `age(x)` look only at the point a row uses.
            BExpr::Ts(f, arg, _) if !matches!(f, TsFn::PeriodOf | TsFn::Age) => {
                arg.visit(&mut |y| {
                    if let BExpr::Metric(slot) | BExpr::MetricAt(slot, _) = y
                        && let Some(w) = whole.get_mut(*slot)
                    {
                        *w = true;
                    }
                })
            }
            _ => {}
        });
    }
    whole
}

impl DefKind {
    pub fn name(self) -> &'static str {
        match self {
            DefKind::Metric => "metric",
            DefKind::Screen => "screen",
            DefKind::Scorecard => "scorecard",
        }
    }
}
