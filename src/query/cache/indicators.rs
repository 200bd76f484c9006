//! A scorecard indicator's value of every company ([`Cache::indicator_values`]), with money
//! brought to the base currency before it is ranked: a stored or derived metric's point
//! through [`Fx::ranked`], a computed one (`define metric`) evaluated from its money inputs
//! in the base currency ([`Fx::column_in_base`], [`Fx::ranked_computed`]).

use super::Cache;
use crate::analysis::tables::Indicated;
use crate::columns::{Companies, MetricColumn};
use crate::error::Result;
use crate::model::currency::{Basis, basis_of};
use crate::model::{Period, Unit};
use crate::query::bind::Binder;
use crate::query::eval::Ctx;
use crate::storage::Database;
use std::sync::Arc;

impl Cache {
    /// Every company's value of a scorecard indicator at `at`: a stored or derived metric's
    /// point, or a user's computed metric (`define metric`) evaluated as a select would.
    pub fn indicator_values(
        &mut self,
        db: &Database,
        companies: &Companies,
        id: &str,
        at: Option<Period>,
    ) -> Result<Indicated> {
        let catalog = db.shared_catalog();
        let def = catalog.get(id);
        let computed =
            def.is_some_and(|d| d.id == id && d.expr.is_some() && !catalog.is_builtin(id));
        if !computed {
            let col = self.anchored(db, id, at)?;
            // Money values of companies in different currencies meet in a ranking: each
            // goes to the base currency first (analysis::fx).
            if let Some(basis) = def.and_then(basis_of)
                && let Some(fx) = self.fx(db)?
            {
                let all = self.companies(db)?;
                let (values, money) = fx.ranked(&all, id, basis, &col, at);
                return Ok((values, Some(Arc::new(money))));
            }
            let values = (0..companies.len())
                .map(|c| col.series(c).value_at(at))
                .collect();
            return Ok((values, None));
        }
        let money = def.is_some_and(|d| d.unit == Unit::Money);
        let mut binder = Binder::new(&catalog, companies);
        let bound = binder.bind(&crate::query::ast::Expr::Name(crate::query::ast::Spanned {
            name: id.to_string(),
            pos: 0,
        }))?;
        let metrics = binder
            .metrics
            .iter()
            .map(|m| self.metric(db, m))
            .collect::<Result<Vec<_>>>()?;
        let rows: Vec<usize> = (0..companies.len()).collect();
        let eval = |metrics: &[Arc<MetricColumn>]| -> Result<Vec<f64>> {
            let ctx = Ctx {
                companies,
                metrics,
                at,
                items: &[],
                scores: &[],
                fscores: None,
            };
            Ok(ctx.eval(&bound.expr, &rows)?.into_num())
        };
        let own = eval(&metrics)?;
        // The money inputs of a computed money metric, with their bases: a company's values
        // are in its currencies for those bases, so they are ranked as money is.
        let bases: Vec<Option<Basis>> = binder
            .metrics
            .iter()
            .map(|m| catalog.get(m).and_then(basis_of))
            .collect();
        let fx = match money && bases.iter().any(Option::is_some) {
            true => self.fx(db)?,
            false => None,
        };
        let Some(fx) = fx else {
            return Ok((own, None));
        };
        let inputs: Vec<(&MetricColumn, Basis)> = metrics
            .iter()
            .zip(&bases)
            .filter_map(|(m, b)| Some((&**m, (*b)?)))
            .collect();
        let read: Vec<Basis> = inputs.iter().map(|i| i.1).collect();
        let converts: Vec<bool> = rows
            .iter()
            .map(|&r| fx.converts_row(companies, r, &read))
            .collect();
        let in_base: Vec<Arc<MetricColumn>> = metrics
            .iter()
            .zip(&bases)
            .map(|(m, b)| match b {
                Some(b) => Arc::new(fx.column_in_base(companies, m, *b, &converts)),
                None => m.clone(),
            })
            .collect();
        let values = eval(&in_base)?;
        let all = self.companies(db)?;
        let ranked = fx.ranked_computed(&all, id, &inputs, at, &values, own);
        Ok((values, Some(Arc::new(ranked))))
    }
}
