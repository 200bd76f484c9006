//! Plans of the analysis statements: `score`, `peers of`, `valuation`, `fscore` (one
//! company within its peer group, with the scorecard they use) and `compare` (several
//! companies side by side).

use super::{Plan, resolve_metric};
use crate::analysis::score::{BUILTIN, INDICATORS, Scorecard};
use crate::analysis::valuation;
use crate::columns::Companies;
use crate::error::{Error, Result};
use crate::model::Period;
use crate::query::ast::{Spanned, Statement};
use crate::query::exec::{Env, company_row};
use crate::query::scorecards;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CardKind {
    Score {
        at: Option<Period>,
    },
    Peers {
        at: Option<Period>,
        limit: Option<usize>,
    },
    Valuation {
        years: usize,
    },
    FScore {
        at: Option<Period>,
    },
}

pub struct CardPlan {
    pub kind: CardKind,
    pub symbol: String,
    pub row: usize,
    pub companies: Arc<Companies>,
    /// The scorecard `score` and `peers of` use (`using NAME`, else the built-in one).
    pub scorecard: Arc<Scorecard>,
}

/// `compare`: the companies' rows, in the order written, and the metrics shown.
pub struct ComparePlan {
    pub companies: Arc<Companies>,
    pub symbols: Vec<(String, usize)>,
    /// Catalog ids; `score` is the built-in scorecard's overall score.
    pub metrics: Vec<String>,
    /// The default list (no `on`): metrics none of the companies has are left out.
    pub default_metrics: bool,
    pub at: Option<Period>,
}

/// The plan of an analysis statement; `None` for any other statement.
pub fn plan(env: &mut Env, statement: &Statement) -> Result<Option<Plan>> {
    Ok(Some(match statement {
        Statement::Score { symbol, at, card } => {
            one(env, symbol, CardKind::Score { at: *at }, card.as_ref())?
        }
        Statement::Peers {
            symbol,
            at,
            limit,
            card,
        } => one(
            env,
            symbol,
            CardKind::Peers {
                at: *at,
                limit: *limit,
            },
            card.as_ref(),
        )?,
        Statement::Valuation { symbol, years } => {
            one(env, symbol, CardKind::Valuation { years: *years }, None)?
        }
        Statement::FScore { symbol, at } => one(env, symbol, CardKind::FScore { at: *at }, None)?,
        Statement::Compare {
            symbols,
            metrics,
            at,
        } => Plan::Compare(compare(env, symbols, metrics, *at)?),
        _ => return Ok(None),
    }))
}

fn one(env: &mut Env, symbol: &Spanned, kind: CardKind, card: Option<&Spanned>) -> Result<Plan> {
    let companies = env.cache.companies(env.db)?;
    let row = company_row(&companies, symbol)?;
    let scorecard = match card {
        Some(name) => scorecards::load(env.db, name)?,
        None => scorecards::builtin(),
    };
    Ok(Plan::Card(CardPlan {
        kind,
        symbol: symbol.name.clone(),
        row,
        companies,
        scorecard,
    }))
}

fn compare(
    env: &mut Env,
    symbols: &[Spanned],
    metrics: &[Spanned],
    at: Option<Period>,
) -> Result<ComparePlan> {
    let companies = env.cache.companies(env.db)?;
    let mut rows: Vec<(String, usize)> = Vec::with_capacity(symbols.len());
    for s in symbols {
        let row = company_row(&companies, s)?;
        if rows.iter().any(|(_, r)| *r == row) {
            return Err(Error::name_at(
                s.pos,
                format!("'{}' is named twice; compare each company once", s.name),
            ));
        }
        rows.push((companies.rows[row].symbol.to_string(), row));
    }
    let ids = if metrics.is_empty() {
        // The overall score, the scorecard's indicators and the valuation multiples.
        std::iter::once(BUILTIN)
            .chain(INDICATORS.iter().map(|(id, _, _)| *id))
            .chain(valuation::METRICS.iter().map(|(id, _)| *id))
            .map(str::to_string)
            .collect()
    } else {
        let mut ids: Vec<String> = Vec::with_capacity(metrics.len());
        for m in metrics {
            let id = match m.name.to_lowercase() {
                n if n == BUILTIN => n,
                _ => resolve_metric(env, m)?,
            };
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    };
    Ok(ComparePlan {
        companies,
        symbols: rows,
        default_metrics: metrics.is_empty(),
        metrics: ids,
        at,
    })
}
