//! The executor: runs a statement's [`Plan`] against the columns and the database.
//!
//! - [`select`]: the select pipeline (source → index → columns → filter → items → rank /
//!   order → limit), shared by `show companies where`;
//! - [`group`]: `by` and aggregates;
//! - [`inspect`]: `series`, `describe`, `show`;
//! - [`write`]: every statement that changes the database;
//! - the scorecard statements live in [`super::cards`].

pub mod currency;
pub mod export;
pub mod group;
pub mod inspect;
pub mod select;
pub mod write;

use super::ast::{Spanned, Statement};
use super::cache::Cache;
use super::eval::Col;
use super::plan::{CardKind, Plan};
use crate::columns::Companies;
use crate::error::{Error, Result, did_you_mean};
use crate::output::{Output, Value};
use crate::storage::Database;

/// What a statement runs against: the database and the session's cache. (Errors carry the
/// byte offsets of the names they are about; whoever shows them draws the place.)
pub struct Env<'a> {
    pub db: &'a mut Database,
    pub cache: &'a mut Cache,
}

/// Plans and runs one statement.
pub fn execute(env: &mut Env, statement: &Statement) -> Result<Vec<Output>> {
    let plan = super::plan::plan(env, statement)?;
    run(env, &plan)
}

/// Runs a plan.
pub fn run(env: &mut Env, plan: &Plan) -> Result<Vec<Output>> {
    let table = |t| Ok(vec![Output::Table(t)]);
    match plan {
        Plan::Select(s) => {
            let r = select::run_select(env, s)?;
            let mut out = vec![Output::Table(r.table)];
            if let Some(note) = r.note {
                out.push(Output::Message(note));
            }
            if r.unranked > 0 {
                let s = if r.unranked == 1 { "" } else { "s" };
                out.push(Output::Message(format!(
                    "{} row{s} without a value to rank by not listed",
                    r.unranked
                )));
            }
            Ok(out)
        }
        Plan::ShowCompanies(s) => table(inspect::show_companies(env, s)?),
        Plan::Explain(inner) => table(super::explain::render(inner)),
        Plan::ExplainScore(c) => match c.kind {
            CardKind::Score { at } => super::cards::explain_score(env, c, at),
            _ => Err(Error::Data("explain: only a scorecard is explained".into())),
        },
        Plan::Series(s) => {
            let (t, note) = inspect::series(env, s)?;
            let mut out = vec![Output::Table(t)];
            out.extend(note.map(Output::Message));
            Ok(out)
        }
        Plan::Describe { symbol } => inspect::describe(env, symbol),
        Plan::DescribeMetric { id } => table(inspect::describe_metric(env, id)?),
        Plan::ShowGroups { attr } => table(inspect::show_groups(env, attr)?),
        Plan::ShowMetrics => table(inspect::show_metrics(env.db)?),
        Plan::ShowScreens => table(inspect::show_screens(env.db)?),
        Plan::ShowScorecards => table(super::scorecards::show(env.db)?),
        Plan::Compare(c) => super::compare::compare(env, c),
        Plan::ShowCurrencies => table(currency::show_currencies(env)?),
        Plan::Card(c) => match c.kind {
            CardKind::Score { at } => super::cards::score(env, c, at),
            CardKind::Peers { at, limit } => super::cards::peers(env, c, at, limit),
            CardKind::Valuation { years } => super::cards::valuation(env, c, years),
            CardKind::FScore { at } => super::cards::fscore(env, c, at),
        },
        Plan::Import { path } => write::import(env, path),
        Plan::Export {
            select,
            path,
            format,
        } => export::run(env, select, path, *format),
        Plan::Write(w) => write::apply(env, w),
        Plan::DefineScreen { name, text, select } => write::define_screen(env, name, text, select),
    }
}

/// An unknown symbol, with the nearest known one, at the place it was written.
pub fn unknown_company(companies: &Companies, symbol: &Spanned) -> Error {
    let known = companies.rows.iter().map(|r| &*r.symbol);
    Error::name_at(
        symbol.pos,
        format!(
            "unknown company '{}'{}",
            symbol.name,
            did_you_mean(&symbol.name, known)
        ),
    )
}

/// The row of a company named in a statement.
pub fn company_row(companies: &Companies, symbol: &Spanned) -> Result<usize> {
    companies
        .index_of(&symbol.name)
        .ok_or_else(|| unknown_company(companies, symbol))
}

/// One cell of an evaluated column.
fn cell(col: &Col, i: usize) -> Value {
    match col {
        Col::Num(v) if v[i].is_nan() => Value::Null,
        Col::Num(v) => Value::Num(v[i]),
        Col::Text(v) => Value::opt_text(v[i].as_deref()),
        Col::Bool(v) => Value::text(if v[i] { "true" } else { "false" }),
    }
}

/// A number as a value: NaN is missing.
fn num_value(v: f64) -> Value {
    if v.is_nan() {
        Value::Null
    } else {
        Value::Num(v)
    }
}
