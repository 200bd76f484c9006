//! What a session keeps between statements: loaded columns ([`Columns`]), the columns of
//! derived metrics, and the tables computed from them ([`Tables`]). One value, so a write
//! patches ([`Cache::patch`]) or clears all of it in one place.
//!
//! Every metric is read here as statements see it (DERIVATIONS.md): its stored points,
//! and where a built-in rule derives it ([`derive::rule_for`]) the derived value at every
//! period without a stored one. A metric is derivable when each input of its rule has
//! stored points somewhere or is derivable itself; a metric that is not derivable costs
//! nothing more than its stored column (one key read says an input has no data at all).

use crate::analysis::derive::{self, Rule};
use crate::analysis::fscore::{self, FScore};
use crate::analysis::fx::Fx;
use crate::analysis::score::{ScoreTable, Scorecard};
use crate::analysis::tables::Tables;
use crate::columns::{Columns, Companies, MetricColumn, RowSeries};
use crate::error::Result;
use crate::model::{Period, Series, SeriesRef};
use crate::query::bind::{BExpr, Binder};
use crate::query::eval::Ctx;
use crate::storage::Database;
use std::collections::HashMap;
use std::sync::Arc;

mod indicators;
mod multiples;
mod partial;

/// The basis of each input of a rule (`None`: not money).
type InputBases = Vec<Option<crate::model::currency::Basis>>;

#[derive(Default)]
pub struct Cache {
    columns: Columns,
    tables: Tables,
    /// Whole columns of derived metrics (stored points merged with derived ones).
    derived: HashMap<String, Arc<MetricColumn>>,
    /// The same, one point per company at a period.
    derived_anchored: HashMap<(String, Option<Period>), Arc<MetricColumn>>,
    /// Whole series of a metric (stored or derived) for some rows only, by metric id, each
    /// under its row set ([`Cache::metric_for_rows`]).
    partial: HashMap<String, Vec<partial::Partial>>,
    /// Whether a metric is derivable on this database, by id.
    derivable: HashMap<String, bool>,
    /// One company's derived series, by (metric, symbol key).
    derived_series: HashMap<(String, String), Arc<Series>>,
    /// The currencies and rates, once loaded: `Some(None)` for a database whose companies
    /// name no currency (nothing is converted).
    fx: Option<Option<Arc<Fx>>>,
    /// Every attribute name any company has, once read (without the company list).
    attribute_names: Option<Arc<std::collections::BTreeSet<String>>>,
    /// One company alone as a company list ([`Cache::company_alone`]), by symbol key. Like
    /// the attribute names, kept across writes of points only.
    alone: HashMap<String, Arc<Companies>>,
}

/// A user's formula for a built-in metric (`define metric roe = net_income / total_equity`),
/// bound: arithmetic over the metrics of its slots.
struct Formula {
    text: String,
    expr: BExpr,
    metrics: Vec<String>,
}

impl Cache {
    /// Forgets everything: called after every write.
    pub fn clear(&mut self) {
        self.columns.clear();
        self.tables.clear();
        self.derived.clear();
        self.derived_anchored.clear();
        self.partial.clear();
        self.derivable.clear();
        self.derived_series.clear();
        self.fx = None;
        self.attribute_names = None;
        self.alone.clear();
    }

    /// One company as a company list of one row (its attributes, bound against every
    /// attribute name), read from its own block once; `None` when no company has `symbol`.
    pub fn company_alone(&mut self, db: &Database, symbol: &str) -> Result<Option<Arc<Companies>>> {
        let key = crate::model::symbol_key(symbol);
        if let Some(c) = self.alone.get(&key) {
            return Ok(Some(c.clone()));
        }
        let Some(company) = db.company(symbol)? else {
            return Ok(None);
        };
        let names = self.attribute_names(db)?;
        let one = Arc::new(Companies::one(company, &names));
        // A session that looks at many companies one by one keeps a bounded number.
        if self.alone.len() >= 1024 {
            self.alone.clear();
        }
        self.alone.insert(key, one.clone());
        Ok(Some(one))
    }

    /// Every attribute name any company has: the loaded company list's, else read from the
    /// company blocks' names alone (a statement about one company needs no more).
    pub fn attribute_names(
        &mut self,
        db: &Database,
    ) -> Result<Arc<std::collections::BTreeSet<String>>> {
        if let Some(names) = &self.attribute_names {
            return Ok(names.clone());
        }
        let names = match self.columns.loaded_companies() {
            Some(c) => c.attribute_names.clone(),
            None => db.attribute_names()?,
        };
        let names = Arc::new(names);
        self.attribute_names = Some(names.clone());
        Ok(names)
    }

    /// The company list if an earlier statement loaded it (nothing is read).
    pub fn loaded_companies(&self) -> Option<Arc<Companies>> {
        self.columns.loaded_companies()
    }

    /// The base currency and rates when any company names a currency, else `None`.
    pub fn fx(&mut self, db: &Database) -> Result<Option<Arc<Fx>>> {
        if let Some(fx) = &self.fx {
            return Ok(fx.clone());
        }
        // Whether any company names a currency: the attribute names say it, so the company
        // list is not loaded for it.
        let names = self.attribute_names(db)?;
        let named = names.contains("currency") || names.contains("trading_currency");
        let fx = match named {
            true => Some(Arc::new(Fx {
                base: db.base_currency()?,
                rates: db.rates()?,
            })),
            false => None,
        };
        self.fx = Some(fx.clone());
        Ok(fx)
    }

    /// Brings the cache up to date after a write that changed only the points of
    /// `changes` (metric id, symbol) — see [`crate::storage::WriteSet::point_series`] —
    /// and made no metric appear or vanish from the database (so what is derivable stays
    /// the same). Each kept column of a changed metric, and of every derived metric that
    /// reads it (whole, one point per company, or the part for some rows), gets the
    /// changed companies' rows afresh; scorecards are dropped when an
    /// indicator moved (percentiles are relative to the peer group) and F-scores get the
    /// changed companies' rows. Anything it cannot patch it drops; the next statement
    /// computes it again.
    pub fn patch(&mut self, db: &Database, changes: &[(String, String)]) -> Result<()> {
        let Some(companies) = self.columns.loaded_companies() else {
            self.clear();
            return Ok(());
        };
        let mut rows = Vec::with_capacity(changes.len());
        for (id, symbol) in changes {
            let Some(row) = companies.index_of(symbol) else {
                self.clear();
                return Ok(());
            };
            self.columns.patch(db, id, symbol, row)?;
            rows.push((row, symbol.clone()));
        }
        rows.sort();
        rows.dedup();
        let keys: Vec<String> = rows
            .iter()
            .map(|(_, s)| crate::model::symbol_key(s))
            .collect();
        self.derived_series.retain(|(_, k), _| !keys.contains(k));
        let changed: Vec<&str> = changes.iter().map(|(id, _)| id.as_str()).collect();
        // A user's formula may read anything: its columns, and what reads them, are
        // computed again.
        let catalog = db.catalog();
        let formulas = catalog
            .defs()
            .iter()
            .any(|d| d.expr.is_some() && catalog.is_builtin(&d.id));
        if formulas {
            self.derived.clear();
            self.derived_anchored.clear();
            self.derived_series.clear();
            self.partial.clear();
        }
        let affected: Vec<String> = self
            .derived
            .keys()
            .filter(|d| changed.iter().any(|m| reads(d, m)))
            .cloned()
            .collect();
        let mut done = Vec::new();
        for d in &affected {
            self.patch_derived(db, d, &rows, &changed, &mut done)?;
        }
        self.patch_anchored_only(db, &rows, &changed)?;
        self.patch_partial(db, &rows, &changed)?;
        let mut tables = std::mem::take(&mut self.tables);
        let r = tables.patch_scores(&mut |id, at| self.indicator_values(db, &companies, id, at));
        self.tables = tables;
        r?;
        if fscore::INPUTS
            .iter()
            .any(|id| changed.iter().any(|m| reads(id, m)))
        {
            for at in self.tables.fscore_periods() {
                for (row, symbol) in &rows {
                    let f = self.fscore_of(db, symbol, at)?;
                    self.tables.set_fscore(at, *row, f);
                }
            }
        }
        Ok(())
    }

    /// Recomputes the `rows` of derived metric `d`'s kept columns from its inputs, after
    /// first patching the inputs that are derived and changed themselves.
    fn patch_derived(
        &mut self,
        db: &Database,
        d: &str,
        rows: &[(usize, String)],
        changed: &[&str],
        done: &mut Vec<String>,
    ) -> Result<()> {
        if done.iter().any(|x| x == d) {
            return Ok(());
        }
        done.push(d.to_string());
        let Some(rule) = derive::rule_for(d) else {
            return Ok(());
        };
        for input in rule.inputs {
            if !input.stored_only
                && self.derived.contains_key(input.id)
                && changed.iter().any(|m| reads(input.id, m))
            {
                self.patch_derived(db, input.id, rows, changed, done)?;
            }
        }
        let inputs = self.rule_inputs(db, rule)?;
        let stored = self.columns.metric(db, d)?;
        let periods: Vec<Option<Period>> = self
            .derived_anchored
            .keys()
            .filter(|k| k.0 == d)
            .map(|k| k.1)
            .collect();
        let (mut scratch, mut codes, mut values) = (Vec::new(), Vec::new(), Vec::new());
        for (row, _) in rows {
            let series: Vec<SeriesRef> = inputs.iter().map(|c| c.series(*row)).collect();
            // A market multiple's inputs in one currency, as the whole column has them.
            let converted = self.multiple_row(db, rule, *row, &series)?;
            let series = converted.as_ref().map_or(series, multiples::refs);
            derive::derive_series(
                rule.formula,
                stored.series(*row),
                &series,
                &mut scratch,
                &mut codes,
                &mut values,
            );
            if let Some(col) = self.derived.get_mut(d)
                && !Arc::make_mut(col).set_row(*row, &codes, &values)
            {
                self.derived.remove(d);
            }
            let now = SeriesRef {
                codes: &codes,
                values: &values,
            };
            for at in &periods {
                let key = (d.to_string(), *at);
                if let Some(col) = self.derived_anchored.get_mut(&key)
                    && !crate::columns::patch_anchored(col, *row, now, *at)
                {
                    self.derived_anchored.remove(&key);
                }
            }
        }
        Ok(())
    }

    /// The changed `rows` of derived metrics kept only as one point per company (derived
    /// company by company, see [`Cache::anchored`]): each changed company's series derived
    /// afresh from its own inputs.
    fn patch_anchored_only(
        &mut self,
        db: &Database,
        rows: &[(usize, String)],
        changed: &[&str],
    ) -> Result<()> {
        let kept: Vec<(String, Option<Period>)> = self
            .derived_anchored
            .keys()
            .filter(|(d, _)| !self.derived.contains_key(d) && changed.iter().any(|m| reads(d, m)))
            .cloned()
            .collect();
        for key in kept {
            for (row, symbol) in rows {
                let (codes, values) = self.series(db, &key.0, symbol)?.unzipped();
                let now = SeriesRef {
                    codes: &codes,
                    values: &values,
                };
                if let Some(col) = self.derived_anchored.get_mut(&key)
                    && !crate::columns::patch_anchored(col, *row, now, key.1)
                {
                    self.derived_anchored.remove(&key);
                }
            }
        }
        Ok(())
    }

    /// The whole columns of a rule's inputs, as the rule reads them.
    fn rule_inputs(&mut self, db: &Database, rule: &Rule) -> Result<Vec<Arc<MetricColumn>>> {
        let mut inputs = Vec::with_capacity(rule.inputs.len());
        for input in rule.inputs {
            inputs.push(if input.stored_only {
                self.columns.metric(db, input.id)?
            } else {
                self.effective(db, input.id, &mut Vec::new())?
            });
        }
        Ok(inputs)
    }

    /// One company's F-score at `at`, from its inputs as statements read them.
    fn fscore_of(&mut self, db: &Database, symbol: &str, at: Option<Period>) -> Result<FScore> {
        let mut series = Vec::with_capacity(fscore::INPUTS.len());
        for id in fscore::INPUTS {
            series.push(self.series(db, id, symbol)?.unzipped());
        }
        let refs: [SeriesRef; 9] = std::array::from_fn(|k| SeriesRef {
            codes: &series[k].0,
            values: &series[k].1,
        });
        Ok(fscore::fscore(&refs, at))
    }

    pub fn companies(&mut self, db: &Database) -> Result<Arc<Companies>> {
        self.columns.companies(db)
    }

    /// The rule that derives `id` here, if any: a built-in rule all of whose inputs have
    /// data (stored, or derivable in turn). `stack` holds the metrics being resolved, so a
    /// rule never uses itself.
    fn rule(
        &mut self,
        db: &Database,
        id: &str,
        stack: &mut Vec<String>,
    ) -> Result<Option<&'static Rule>> {
        let Some(rule) = derive::rule_for(id) else {
            return Ok(None);
        };
        if user_formula_text(db, id).is_some() {
            return Ok(None);
        }
        if let Some(&known) = self.derivable.get(id) {
            return Ok(known.then_some(rule));
        }
        if stack.iter().any(|s| s == id) {
            return Ok(None);
        }
        stack.push(id.to_string());
        let mut ok = true;
        for input in rule.inputs {
            let has = db.has_series(input.id)?
                || (!input.stored_only && self.rule(db, input.id, stack)?.is_some());
            if !has {
                ok = false;
                break;
            }
        }
        stack.pop();
        self.derivable.insert(id.to_string(), ok);
        Ok(ok.then_some(rule))
    }

    /// Whether statements read `id` through a derivation on this database: a built-in rule
    /// whose inputs have data, or a user's formula.
    pub fn is_derived(&mut self, db: &Database, id: &str) -> Result<bool> {
        Ok(user_formula_text(db, id).is_some() || self.rule(db, id, &mut Vec::new())?.is_some())
    }

    /// The user's formula replacing `id`'s built-in one, bound against the companies.
    fn formula(&mut self, db: &Database, id: &str) -> Result<Option<Formula>> {
        let Some(text) = user_formula_text(db, id) else {
            return Ok(None);
        };
        let catalog = db.shared_catalog();
        let companies = self.columns.companies(db)?;
        let parsed = crate::query::parser::parse_expression(&text)?;
        let mut binder = Binder::new(&catalog, &companies);
        let bound = binder.bind(&parsed)?;
        Ok(Some(Formula {
            text,
            expr: bound.expr,
            metrics: binder.metrics,
        }))
    }

    /// A column from a user's formula: each company's stored points, and the formula's value
    /// at every other period where all its metrics have a point.
    fn formula_column(
        &mut self,
        db: &Database,
        id: &str,
        f: &Formula,
        stack: &mut Vec<String>,
    ) -> Result<MetricColumn> {
        stack.push(id.to_string());
        let mut inputs = Vec::with_capacity(f.metrics.len());
        for m in &f.metrics {
            // The formula may read the metric it replaces: its stored points, then.
            inputs.push(if stack.iter().any(|s| s == m) {
                self.columns.metric(db, m)?
            } else {
                self.effective(db, m, stack)?
            });
        }
        stack.pop();
        let companies = self.columns.companies(db)?;
        let stored = self.columns.metric(db, id)?;
        let ctx = Ctx {
            companies: &companies,
            metrics: &inputs,
            at: None,
            items: &[],
            scores: &[],
            fscores: None,
        };
        let mut b = crate::columns::ColumnBuilder::new(companies.len());
        let (mut codes, mut values) = (Vec::new(), Vec::new());
        for row in 0..companies.len() {
            let own = stored.series(row);
            let (fc, fv) = ctx.series_of(&f.expr, row)?.unwrap_or_default();
            merge_stored_first(own, &fc, &fv, &mut codes, &mut values);
            if !codes.is_empty() {
                b.push(row, &codes, &values);
            }
        }
        Ok(b.finish())
    }

    /// A metric's stored points only, whole (what `show companies` counts).
    pub fn stored(&mut self, db: &Database, id: &str) -> Result<Arc<MetricColumn>> {
        self.columns.metric(db, id)
    }

    /// One company's stored points of a metric, nothing derived.
    pub fn stored_series(&mut self, db: &Database, id: &str, symbol: &str) -> Result<Arc<Series>> {
        self.columns.series(db, id, symbol)
    }

    /// A metric's whole column as statements read it.
    pub fn metric(&mut self, db: &Database, id: &str) -> Result<Arc<MetricColumn>> {
        self.effective(db, id, &mut Vec::new())
    }

    fn effective(
        &mut self,
        db: &Database,
        id: &str,
        stack: &mut Vec<String>,
    ) -> Result<Arc<MetricColumn>> {
        if let Some(c) = self.derived.get(id) {
            return Ok(c.clone());
        }
        if let Some(f) = self.formula(db, id)? {
            if stack.iter().any(|s| s == id) {
                return self.columns.metric(db, id);
            }
            let col = Arc::new(self.formula_column(db, id, &f, stack)?);
            self.derived.insert(id.to_string(), col.clone());
            return Ok(col);
        }
        let Some(rule) = self.rule(db, id, stack)? else {
            return self.columns.metric(db, id);
        };
        stack.push(id.to_string());
        let mut inputs = Vec::with_capacity(rule.inputs.len());
        for input in rule.inputs {
            inputs.push(if input.stored_only {
                self.columns.metric(db, input.id)?
            } else {
                self.effective(db, input.id, stack)?
            });
        }
        stack.pop();
        if let Some(aligned) = self.multiple_inputs(db, rule, &inputs)? {
            inputs = aligned;
        }
        let stored = self.columns.metric(db, id)?;
        let rows = self.columns.companies(db)?.len();
        let refs: Vec<&MetricColumn> = inputs.iter().map(|c| &**c).collect();
        crate::error::stop::check()?;
        let col = Arc::new(derive::derive_column(rule, &stored, &refs, rows));
        self.derived.insert(id.to_string(), col.clone());
        Ok(col)
    }

    /// A market multiple's inputs in one currency for the companies whose market and
    /// statement items are in different ones (`None`: nothing to convert).
    fn multiple_inputs(
        &mut self,
        db: &Database,
        rule: &Rule,
        inputs: &[Arc<MetricColumn>],
    ) -> Result<Option<Vec<Arc<MetricColumn>>>> {
        let Some((fx, bases)) = self.multiple_bases(db, rule)? else {
            return Ok(None);
        };
        let companies = self.columns.companies(db)?;
        Ok(fx.align_multiple_inputs(&companies, &bases, inputs))
    }

    /// [`Cache::multiple_inputs`] for one company's input series (`series`, provenance).
    fn multiple_series(
        &mut self,
        db: &Database,
        rule: &Rule,
        symbol: &str,
        inputs: &mut multiples::Owned,
    ) -> Result<()> {
        let companies = self.columns.companies(db)?;
        let Some(row) = companies.index_of(symbol) else {
            return Ok(());
        };
        if let Some(converted) = self.multiple_row(db, rule, row, &multiples::refs(inputs))? {
            *inputs = converted;
        }
        Ok(())
    }

    /// The conversion state and the bases of a market multiple's inputs, when the rule is
    /// one and the database names currencies.
    fn multiple_bases(
        &mut self,
        db: &Database,
        rule: &Rule,
    ) -> Result<Option<(Arc<Fx>, InputBases)>> {
        use crate::analysis::derive::Formula;
        if !matches!(rule.formula, Formula::PriceMultiple { .. } | Formula::Yield) {
            return Ok(None);
        }
        let Some(fx) = self.fx(db)? else {
            return Ok(None);
        };
        let catalog = db.shared_catalog();
        let bases = rule
            .inputs
            .iter()
            .map(|i| catalog.get(i.id).and_then(crate::model::currency::basis_of))
            .collect();
        Ok(Some((fx, bases)))
    }

    /// A metric as one point per company at `at` (what a statement reading nothing else of
    /// it needs). A stored-only metric reads just those points from storage; a derived one
    /// is taken from its whole column when that is in memory, and is otherwise derived
    /// company by company from its inputs' chunks, keeping nothing whole.
    pub fn anchored(
        &mut self,
        db: &Database,
        id: &str,
        at: Option<Period>,
    ) -> Result<Arc<MetricColumn>> {
        if !self.is_derived(db, id)? {
            return self.columns.anchored(db, id, at);
        }
        let key = (id.to_string(), at);
        if let Some(c) = self.derived_anchored.get(&key) {
            return Ok(c.clone());
        }
        let companies = self.columns.companies(db)?;
        let mut rows = self.rows(db, id)?;
        let col = Arc::new(anchored_rows(&companies, &mut rows, at)?);
        self.derived_anchored.insert(key, col.clone());
        Ok(col)
    }

    /// A metric as statements read it, company by company: from its whole column when that
    /// is in memory or something on the way needs one, else derived from its inputs' chunks
    /// ([`Cache::streamed`]).
    pub fn rows<'a>(&mut self, db: &'a Database, id: &str) -> Result<derive::Rows<'a>> {
        Ok(match self.streamed(db, id, &mut Vec::new())? {
            Some(rows) => rows,
            None => derive::Rows::Plain(RowSeries::whole(self.metric(db, id)?)),
        })
    }

    /// `id` read company by company as [`Cache::effective`] would derive it, its inputs
    /// streamed from their chunks; `None` when something on the way needs whole columns (a
    /// user's formula, or a market multiple on a database with exchange rates).
    fn streamed<'a>(
        &mut self,
        db: &'a Database,
        id: &str,
        stack: &mut Vec<String>,
    ) -> Result<Option<derive::Rows<'a>>> {
        if let Some(c) = self.derived.get(id) {
            return Ok(Some(derive::Rows::Plain(RowSeries::whole(c.clone()))));
        }
        if user_formula_text(db, id).is_some() {
            return Ok(match stack.iter().any(|s| s == id) {
                true => Some(derive::Rows::Plain(self.columns.rows(db, id))),
                false => None,
            });
        }
        let Some(rule) = self.rule(db, id, stack)? else {
            return Ok(Some(derive::Rows::Plain(self.columns.rows(db, id))));
        };
        if self.multiple_bases(db, rule)?.is_some() {
            return Ok(None);
        }
        stack.push(id.to_string());
        let mut inputs = Vec::with_capacity(rule.inputs.len());
        for input in rule.inputs {
            let rows = match input.stored_only {
                true => Some(derive::Rows::Plain(self.columns.rows(db, input.id))),
                false => self.streamed(db, input.id, stack)?,
            };
            let Some(rows) = rows else {
                stack.pop();
                return Ok(None);
            };
            inputs.push(rows);
        }
        stack.pop();
        Ok(Some(derive::Rows::derived(
            rule,
            self.columns.rows(db, id),
            inputs,
        )))
    }

    /// One company's series of a metric as statements read it, derived from that company's
    /// inputs alone when the metric is derived (no whole column is built for `series`).
    pub fn series(&mut self, db: &Database, id: &str, symbol: &str) -> Result<Arc<Series>> {
        self.company_series(db, id, symbol, &mut Vec::new())
    }

    fn company_series(
        &mut self,
        db: &Database,
        id: &str,
        symbol: &str,
        stack: &mut Vec<String>,
    ) -> Result<Arc<Series>> {
        let user = user_formula_text(db, id).is_some();
        let rule = self.rule(db, id, stack)?;
        if !user && rule.is_none() {
            return self.columns.series(db, id, symbol);
        }
        let key = (id.to_string(), crate::model::symbol_key(symbol));
        if let Some(s) = self.derived_series.get(&key) {
            return Ok(s.clone());
        }
        // A whole column already built serves as well; a user's formula is always read
        // from its whole column.
        if user && !stack.iter().any(|s| s == id) {
            self.effective(db, id, stack)?;
        }
        if let Some(col) = self.derived.get(id).cloned() {
            let companies = self.columns.companies(db)?;
            let s = match companies.index_of(symbol) {
                Some(row) => {
                    let r = col.series(row);
                    Series {
                        points: r
                            .codes
                            .iter()
                            .copied()
                            .zip(r.values.iter().copied())
                            .collect(),
                    }
                }
                None => Series::default(),
            };
            let s = Arc::new(s);
            self.derived_series.insert(key, s.clone());
            return Ok(s);
        }
        let Some(rule) = rule else {
            return self.columns.series(db, id, symbol);
        };
        stack.push(id.to_string());
        let mut inputs = Vec::with_capacity(rule.inputs.len());
        for input in rule.inputs {
            inputs.push(if input.stored_only {
                self.columns.series(db, input.id, symbol)?
            } else {
                self.company_series(db, input.id, symbol, stack)?
            });
        }
        stack.pop();
        let stored = self.columns.series(db, id, symbol)?;
        let mut unzipped: Vec<(Vec<u32>, Vec<f64>)> = inputs.iter().map(|s| s.unzipped()).collect();
        self.multiple_series(db, rule, symbol, &mut unzipped)?;
        let refs = multiples::refs(&unzipped);
        let (sc, sv) = stored.unzipped();
        let (mut scratch, mut codes, mut values) = (Vec::new(), Vec::new(), Vec::new());
        derive::derive_series(
            rule.formula,
            SeriesRef {
                codes: &sc,
                values: &sv,
            },
            &refs,
            &mut scratch,
            &mut codes,
            &mut values,
        );
        let s = Arc::new(Series {
            points: codes.into_iter().zip(values).collect(),
        });
        self.derived_series.insert(key, s.clone());
        Ok(s)
    }

    /// Where one company's value of `id` at `at` comes from (DERIVATIONS.md, provenance): the
    /// value a statement reads, its period, and `stored`, `derived from net_income 2015,
    /// total_equity 2015, total_equity 2014`, or `missing: no total_equity at 2015`.
    pub fn provenance(
        &mut self,
        db: &Database,
        id: &str,
        symbol: &str,
        at: Option<Period>,
    ) -> Result<(f64, Option<Period>, String)> {
        let effective = self.series(db, id, symbol)?;
        let (codes, values) = effective.unzipped();
        let s = SeriesRef {
            codes: &codes,
            values: &values,
        };
        let rule = self.rule(db, id, &mut Vec::new())?;
        if let Some(i) = s.anchor(at) {
            let code = codes[i];
            let period = Period::from_code(code);
            let stored = self.columns.series(db, id, symbol)?;
            if stored.points.binary_search_by_key(&code, |p| p.0).is_ok() {
                return Ok((values[i], period, "stored".into()));
            }
            if let Some(f) = self.formula(db, id)? {
                return Ok((
                    values[i],
                    period,
                    format!("derived by your formula: {}", f.text),
                ));
            }
            if let Some(rule) = rule {
                let (_, how) = self.explain_rule(db, rule, symbol, code)?;
                return Ok((values[i], period, how));
            }
            return Ok((values[i], period, "stored".into()));
        }
        // Nothing to read: say why, at the period asked for or the latest an input has.
        if let Some(f) = self.formula(db, id)? {
            return Ok((
                f64::NAN,
                at,
                format!(
                    "missing: no stored point, and your formula ({}) gives none",
                    f.text
                ),
            ));
        }
        let derivable = rule.is_some();
        let why = match derive::rule_for(id) {
            None => format!("missing: no {id} point"),
            Some(r) if !derivable => {
                let mut absent: Vec<&str> = Vec::new();
                for input in r.inputs {
                    let has = db.has_series(input.id)?
                        || (!input.stored_only && self.is_derived(db, input.id)?);
                    if !has {
                        absent.push(input.id);
                    }
                }
                format!(
                    "missing: no {id} point, and no {} in the database to derive it from",
                    absent.join(" or ")
                )
            }
            Some(r) => {
                let first = self.company_series(db, r.inputs[0].id, symbol, &mut Vec::new())?;
                let code = match at {
                    Some(p) => Some(p.code()),
                    None => first.points.last().map(|p| p.0),
                };
                match code {
                    Some(code) => self.explain_rule(db, r, symbol, code)?.1,
                    None => format!("missing: no {} for this company", r.inputs[0].id),
                }
            }
        };
        Ok((f64::NAN, at, why))
    }

    /// `derived from ...` or `missing: ...` for one company's value of a rule at `code`.
    fn explain_rule(
        &mut self,
        db: &Database,
        rule: &'static Rule,
        symbol: &str,
        code: u32,
    ) -> Result<(f64, String)> {
        let mut inputs = Vec::with_capacity(rule.inputs.len());
        for input in rule.inputs {
            inputs.push(if input.stored_only {
                self.columns.series(db, input.id, symbol)?
            } else {
                self.company_series(db, input.id, symbol, &mut Vec::new())?
            });
        }
        let mut unzipped: Vec<(Vec<u32>, Vec<f64>)> = inputs.iter().map(|s| s.unzipped()).collect();
        self.multiple_series(db, rule, symbol, &mut unzipped)?;
        let refs = multiples::refs(&unzipped);
        Ok(match derive::explain(rule, &refs, code) {
            (v, derive::Provenance::Derived(used)) => {
                let mut parts = Vec::with_capacity(used.len());
                for (input, c) in used {
                    let stored = self.columns.series(db, input, symbol)?;
                    let derived = stored.points.binary_search_by_key(&c, |p| p.0).is_err();
                    let period = Period::from_code(c).map_or("?".into(), |p| p.to_string());
                    parts.push(if derived {
                        format!("{input} {period} (derived)")
                    } else {
                        format!("{input} {period}")
                    });
                }
                (v, format!("derived from {}", parts.join(", ")))
            }
            (_, derive::Provenance::Missing(why)) => (f64::NAN, format!("missing: {why}")),
            (v, derive::Provenance::Stored) => (v, "stored".into()),
        })
    }

    /// Every company's scorecard `card` at `at`, from the indicators as statements read them.
    pub fn scores(
        &mut self,
        db: &Database,
        card: &Arc<Scorecard>,
        at: Option<Period>,
    ) -> Result<Arc<ScoreTable>> {
        let companies = self.companies(db)?;
        let mut tables = std::mem::take(&mut self.tables);
        let r = tables.scores(&companies, card, at, &mut |id| {
            self.indicator_values(db, &companies, id, at)
        });
        self.tables = tables;
        r
    }

    /// Every company's F-score at `at`. Inputs that are derived (gross margin from
    /// statements) or already loaded whole come from memory; the rest stream from storage.
    pub fn fscores(&mut self, db: &Database, at: Option<Period>) -> Result<Arc<Vec<FScore>>> {
        let companies = self.companies(db)?;
        let mut tables = std::mem::take(&mut self.tables);
        let r = tables.fscores(&companies, at, &mut |id| self.rows(db, id));
        self.tables = tables;
        r
    }
}

/// Each company's point at `at` of a metric read company by company.
fn anchored_rows(
    companies: &Companies,
    rows: &mut derive::Rows,
    at: Option<Period>,
) -> Result<MetricColumn> {
    let mut b = crate::columns::ColumnBuilder::new(companies.len());
    for (r, company) in companies.rows.iter().enumerate() {
        if r % 4096 == 0 {
            crate::error::stop::check()?;
        }
        let s = rows.at(r, &company.key)?;
        if let Some(i) = s.anchor(at) {
            b.push(r, &s.codes[i..=i], &s.values[i..=i]);
        }
    }
    Ok(b.finish())
}

/// Whether metric `d`, as statements read it, can change when `m`'s stored points do: it
/// is `m`, or a built-in rule derives it from `m` (directly or through derived inputs).
fn reads(d: &str, m: &str) -> bool {
    fn go(d: &str, m: &str, depth: usize) -> bool {
        d == m
            || (depth < 16
                && derive::rule_for(d).is_some_and(|r| {
                    r.inputs
                        .iter()
                        .any(|i| i.id == m || (!i.stored_only && go(i.id, m, depth + 1)))
                }))
    }
    go(d, m, 0)
}

/// The text of a user's formula replacing a built-in metric's, if there is one.
fn user_formula_text(db: &Database, id: &str) -> Option<String> {
    let catalog = db.catalog();
    let def = catalog.get(id).filter(|d| d.id == id)?;
    if !catalog.is_builtin(id) {
        return None;
    }
    def.expr.clone()
}

/// `own` (stored points) merged with a computed series: a stored point wins at its period.
fn merge_stored_first(
    own: SeriesRef,
    codes_in: &[u32],
    values_in: &[f64],
    codes: &mut Vec<u32>,
    values: &mut Vec<f64>,
) {
    codes.clear();
    values.clear();
    let (mut i, mut j) = (0, 0);
    while i < own.codes.len() || j < codes_in.len() {
        let take_own = match (own.codes.get(i), codes_in.get(j)) {
            (Some(a), Some(b)) => a <= b,
            (Some(_), None) => true,
            _ => false,
        };
        if take_own {
            if codes_in.get(j) == own.codes.get(i) {
                j += 1;
            }
            codes.push(own.codes[i]);
            values.push(own.values[i]);
            i += 1;
        } else {
            if values_in[j].is_finite() {
                codes.push(codes_in[j]);
                values.push(values_in[j]);
            }
            j += 1;
        }
    }
}
