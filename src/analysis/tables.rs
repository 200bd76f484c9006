//! Scorecards and F-scores of every company at one period, computed from the columns layer
//! and kept until the next write (a session holds one [`Tables`] beside its columns).

use super::derive::Rows;
use super::fscore::{self, FScore};
use super::fx::RankedMoney;
use super::score::{ScoreTable, Scorecard};
use crate::columns::{Companies, SeriesRef};
use crate::error::Result;
use crate::model::Period;
use std::collections::HashMap;
use std::sync::Arc;

/// Every company's value of an indicator, and for a money one on a database whose
/// companies name currencies, how it was brought to the base currency.
pub type Indicated = (Vec<f64>, Option<Arc<RankedMoney>>);

/// Every company's value of an indicator metric at a period, as statements read it.
pub type IndicatorAt<'a> = dyn FnMut(&str, Option<Period>) -> Result<Indicated> + 'a;

/// Every company's scorecard and F-score, by the period they were taken at.
#[derive(Default)]
pub struct Tables {
    /// By scorecard name and period.
    scores: HashMap<(String, Option<Period>), Arc<ScoreTable>>,
    fscores: HashMap<Option<Period>, Arc<Vec<FScore>>>,
}

impl Tables {
    /// Forgets everything; called after every write.
    pub fn clear(&mut self) {
        self.scores.clear();
        self.fscores.clear();
    }

    /// Brings the kept scorecards up to date after a write: `indicator` gives every
    /// company's value of an indicator metric at a period as statements now read it (as in
    /// [`Tables::scores`]), and only the peer groups holding a company whose value moved
    /// are scored again.
    pub fn patch_scores(&mut self, indicator: &mut IndicatorAt) -> Result<()> {
        let keys: Vec<(String, Option<Period>)> = self.scores.keys().cloned().collect();
        for key in keys {
            let Some(card) = self.scores.get(&key).map(|t| t.card.clone()) else {
                continue;
            };
            let (values, money) = card
                .indicators()
                .map(|(_, ind)| indicator(&ind.metric, key.1))
                .collect::<Result<(Vec<_>, Vec<_>)>>()?;
            if let Some(t) = self.scores.get_mut(&key) {
                let t = Arc::make_mut(t);
                t.rescore(values);
                t.money = money_of(money);
            }
        }
        Ok(())
    }

    /// The periods F-scores are kept for.
    pub fn fscore_periods(&self) -> Vec<Option<Period>> {
        self.fscores.keys().copied().collect()
    }

    /// Replaces company `row`'s F-score at `at` (a write changed its inputs; an F-score
    /// reads one company's series only, so no other row moves).
    pub fn set_fscore(&mut self, at: Option<Period>, row: usize, f: FScore) {
        if let Some(t) = self.fscores.get_mut(&at)
            && let Some(slot) = Arc::make_mut(t).get_mut(row)
        {
            *slot = f;
        }
    }

    /// Every company's scorecard `card` within its peer group (SCORING.md), at `at`.
    /// `indicator` gives one indicator's value of every company at `at`, as statements
    /// read it (stored points, and derived ones where none is stored).
    pub fn scores(
        &mut self,
        companies: &Companies,
        card: &Arc<Scorecard>,
        at: Option<Period>,
        indicator: &mut dyn FnMut(&str) -> Result<Indicated>,
    ) -> Result<Arc<ScoreTable>> {
        let key = (card.name.clone(), at);
        if let Some(t) = self.scores.get(&key)
            && t.card == *card
        {
            return Ok(t.clone());
        }
        let (values, money) = card
            .indicators()
            .map(|(_, ind)| indicator(&ind.metric))
            .collect::<Result<(Vec<_>, Vec<_>)>>()?;
        crate::error::stop::check()?;
        let mut t = ScoreTable::build(companies, card.clone(), values);
        t.money = money_of(money);
        let t = Arc::new(t);
        self.scores.insert(key, t.clone());
        Ok(t)
    }

    /// Every company's F-score at `at` (SCORING.md). `input` gives an input as statements
    /// read it, company by company (from a column in memory, or straight from its chunks and
    /// derived as it goes), so no whole column is built for one score per company.
    pub fn fscores<'a>(
        &mut self,
        companies: &Companies,
        at: Option<Period>,
        input: &mut dyn FnMut(&str) -> Result<Rows<'a>>,
    ) -> Result<Arc<Vec<FScore>>> {
        if let Some(t) = self.fscores.get(&at) {
            return Ok(t.clone());
        }
        let mut inputs: Vec<Rows> = Vec::with_capacity(fscore::INPUTS.len());
        for id in fscore::INPUTS {
            inputs.push(input(id)?);
        }
        let mut out = Vec::with_capacity(companies.len());
        for (r, row) in companies.rows.iter().enumerate() {
            let mut series = [SeriesRef::EMPTY; 9];
            for (k, rows) in inputs.iter_mut().enumerate() {
                series[k] = rows.at(r, &row.key)?;
            }
            out.push(fscore::fscore(&series, at));
        }
        let t = Arc::new(out);
        self.fscores.insert(at, t.clone());
        Ok(t)
    }
}

/// The money part of a table's indicators: empty when none is money.
fn money_of(money: Vec<Option<Arc<RankedMoney>>>) -> Vec<Option<Arc<RankedMoney>>> {
    match money.iter().all(Option::is_none) {
        true => Vec::new(),
        false => money,
    }
}
