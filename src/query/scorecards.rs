//! Custom scorecards (SCORING.md): `define scorecard` checked against the catalog and saved
//! as its statement text, saved cards loaded by name (`score X using NAME`, `score(NAME)`),
//! `show scorecards`, and the built-in card under the name `score`.

use super::ast::{CardDimensionSpec, Spanned, Statement};
use super::bind::Binder;
use super::exec::Env;
use super::exec::write::{Done, WritePlan};
use crate::analysis::score::{BUILTIN, CardDimension, Indicator, Scorecard};
use crate::error::{Error, Result, did_you_mean};
use crate::model::Direction;
use crate::output::{Column, Table, Value};
use crate::storage::{Database, WriteSet};
use std::sync::{Arc, OnceLock};

/// The definitions' kind in storage.
const KIND: &str = "scorecard";

/// The built-in scorecard of SCORING.md.
pub fn builtin() -> Arc<Scorecard> {
    static CARD: OnceLock<Arc<Scorecard>> = OnceLock::new();
    CARD.get_or_init(|| Arc::new(Scorecard::builtin())).clone()
}

/// A card from its definition: every metric known, with a direction, named once; weights
/// positive; dimension names distinct.
pub fn build(db: &Database, name: &Spanned, dims: &[CardDimensionSpec]) -> Result<Scorecard> {
    let catalog = db.shared_catalog();
    let mut seen_dims: Vec<String> = Vec::new();
    let mut seen_metrics: Vec<String> = Vec::new();
    let mut dimensions = Vec::with_capacity(dims.len());
    for d in dims {
        let dim = d.name.name.to_lowercase();
        if seen_dims.contains(&dim) {
            return Err(Error::name_at(
                d.name.pos,
                format!(
                    "dimension '{dim}' appears twice in scorecard '{}'",
                    name.name
                ),
            ));
        }
        seen_dims.push(dim.clone());
        let mut indicators = Vec::with_capacity(d.indicators.len());
        for (metric, weight) in &d.indicators {
            let def = super::plan::metric_def(db, metric)?;
            let lower = match def.direction {
                Direction::Higher => false,
                Direction::Lower => true,
                Direction::None => {
                    let fix = match catalog.is_builtin(&def.id) {
                        true => String::new(),
                        false => format!(
                            "; say which way is better with `set metric {} direction higher` \
                             (or lower)",
                            def.id
                        ),
                    };
                    return Err(Error::name_at(
                        metric.pos,
                        format!(
                            "metric '{}' has no direction (neither higher nor lower is \
                             better), so a scorecard cannot grade it{fix}",
                            def.id
                        ),
                    ));
                }
            };
            if seen_metrics.contains(&def.id) {
                return Err(Error::name_at(
                    metric.pos,
                    format!(
                        "metric '{}' appears twice in scorecard '{}'",
                        def.id, name.name
                    ),
                ));
            }
            seen_metrics.push(def.id.clone());
            let weight = weight.unwrap_or(1.0);
            if !(weight.is_finite() && weight > 0.0) {
                return Err(Error::name_at(
                    metric.pos,
                    format!("the weight of '{}' must be a positive number", def.id),
                ));
            }
            if def.expr.is_some() && !catalog.is_builtin(&def.id) {
                check_computed(db, metric)?;
            }
            indicators.push(Indicator {
                metric: def.id.clone(),
                weight,
                lower,
            });
        }
        dimensions.push(CardDimension {
            name: dim,
            indicators,
        });
    }
    Ok(Scorecard {
        name: name.name.to_lowercase(),
        dimensions,
    })
}

/// A computed metric used as an indicator must not read scores itself.
fn check_computed(db: &Database, metric: &Spanned) -> Result<()> {
    let catalog = db.shared_catalog();
    let companies = crate::columns::Companies::from_list(Vec::new());
    let mut binder = Binder::new(&catalog, &companies);
    let bound = binder.bind(&super::ast::Expr::Name(metric.clone()))?;
    if !binder.cards.is_empty() || bound.expr.uses_fscore() {
        return Err(Error::name_at(
            metric.pos,
            format!(
                "metric '{}' is computed from scores, so it cannot grade a scorecard",
                metric.name
            ),
        ));
    }
    Ok(())
}

/// `define scorecard NAME (...)`: checked now, saved as written.
pub fn plan_define(
    env: &mut Env,
    name: &Spanned,
    dims: &[CardDimensionSpec],
    text: &str,
) -> Result<WritePlan> {
    let lower = name.name.to_lowercase();
    if lower == BUILTIN {
        return Err(Error::name_at(
            name.pos,
            "'score' is the built-in scorecard; give yours another name".to_string(),
        ));
    }
    if env.db.definition(KIND, &lower)?.is_some() {
        return Err(Error::name_at(
            name.pos,
            format!(
                "scorecard '{lower}' already exists (drop scorecard {lower} first to redefine)"
            ),
        ));
    }
    let card = build(env.db, name, dims)?;
    let mut set = WriteSet::new();
    set.define(KIND, &lower, Some(text.trim()));
    let n = card.indicator_count();
    Ok(WritePlan {
        set,
        done: Done::Said(format!(
            "defined scorecard {lower} ({} dimension{}, {n} indicator{})",
            card.dimensions.len(),
            if card.dimensions.len() == 1 { "" } else { "s" },
            if n == 1 { "" } else { "s" },
        )),
    })
}

/// The scorecard called `name`: `score` is the built-in one, any other a saved definition.
pub fn load(db: &Database, name: &Spanned) -> Result<Arc<Scorecard>> {
    let lower = name.name.to_lowercase();
    if lower == BUILTIN {
        return Ok(builtin());
    }
    let Some(text) = db.definition(KIND, &lower)? else {
        let saved = db.definitions(KIND)?;
        let mut names: Vec<&str> = saved.iter().map(|(n, _)| n.as_str()).collect();
        names.push(BUILTIN);
        let hint = match did_you_mean(&name.name, names) {
            h if !h.is_empty() => h,
            _ => " (define one with `define scorecard NAME (DIMENSION: METRIC, ...; ...)`; \
                  `show scorecards` lists them)"
                .into(),
        };
        return Err(Error::name_at(
            name.pos,
            format!("unknown scorecard '{}'{hint}", name.name),
        ));
    };
    let damaged = || Error::Data(format!("scorecard '{lower}' is damaged: {text}"));
    let statements = super::parser::parse_script(&text).map_err(|_| damaged())?;
    let Some(Statement::DefineScorecard {
        name: saved,
        dimensions,
        ..
    }) = statements.into_iter().next().map(|l| l.statement)
    else {
        return Err(damaged());
    };
    // The catalog may have changed since (a metric dropped, a direction changed).
    let card =
        build(db, &saved, &dimensions).map_err(|e| super::plan::in_saved_error(KIND, name, e))?;
    Ok(Arc::new(card))
}

/// Every card an expression reads, in the binder's order.
pub fn load_all(db: &Database, names: &[Spanned]) -> Result<Vec<Arc<Scorecard>>> {
    names.iter().map(|n| load(db, n)).collect()
}

/// `show scorecards`: the built-in card and every saved one, with dimensions and weights.
pub fn show(db: &Database) -> Result<Table> {
    let mut t = Table {
        title: None,
        columns: vec![
            Column::new("scorecard", None),
            Column::new("dimensions", None),
            Column::new("definition", None),
        ],
        rows: Vec::new(),
        card: None,
        sparks: Vec::new(),
    };
    let row = |card: &Scorecard, text: String| {
        vec![
            Value::text(&card.name),
            Value::count(card.dimensions.len()),
            Value::text(text),
        ]
    };
    let b = builtin();
    t.rows.push(row(&b, format!("built-in: {}", describe(&b))));
    for (name, _) in db.definitions(KIND)? {
        let spanned = Spanned { name, pos: 0 };
        match load(db, &spanned) {
            Ok(card) => t.rows.push(row(&card, describe(&card))),
            Err(e) => t.rows.push(vec![
                Value::text(&spanned.name),
                Value::Null,
                Value::text(format!("cannot be used: {e}")),
            ]),
        }
    }
    Ok(t)
}

/// A card as one line: `profit: roe ×2, gross_margin; safety: gearing_ratio ↓`.
pub fn describe(card: &Scorecard) -> String {
    card.dimensions
        .iter()
        .map(|d| {
            let list: Vec<String> = d
                .indicators
                .iter()
                .map(|i| {
                    let mut s = i.metric.clone();
                    if i.weight != 1.0 {
                        s.push_str(&format!(" weight {}", i.weight));
                    }
                    if i.lower {
                        s.push_str(" (lower is better)");
                    }
                    s
                })
                .collect();
            format!("{}: {}", d.name, list.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}
