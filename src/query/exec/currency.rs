//! The currency statements: `set base currency "CODE"` and `show currencies`. The
//! conversions themselves live in [`crate::analysis::fx`].

use super::Env;
use super::write::{Done, WritePlan};
use crate::error::{Error, Result};
use crate::model::currency::normalize_code;
use crate::output::{Column, Table, Value};
use crate::query::ast::Spanned;
use crate::storage::{BASE_CURRENCY, WriteSet};
use std::collections::BTreeMap;

/// A currency's first and last rate day and its number of rates.
type RateSpan = (String, String, usize);

/// `set base currency "CODE"`: persisted as a setting.
pub fn plan_set_base(code: &Spanned) -> Result<WritePlan> {
    let normal = normalize_code(&code.name).ok_or_else(|| {
        Error::name_at(
            code.pos,
            format!(
                "'{}' is not an ISO 4217 currency code: write three letters, such as \"USD\" or \"CNY\"",
                code.name
            ),
        )
    })?;
    let mut set = WriteSet::new();
    set.define(BASE_CURRENCY.0, BASE_CURRENCY.1, Some(&normal));
    Ok(WritePlan {
        set,
        done: Done::Said(format!("base currency set to {normal}")),
    })
}

/// `show currencies`: every currency a company is in or that has rates, with the number of
/// companies in it (reporting or trading), its first and last rate day and its rate count.
/// The title names the base currency.
pub fn show_currencies(env: &mut Env) -> Result<Table> {
    let companies = env.cache.companies(env.db)?;
    let base = env.db.base_currency()?;
    let rates = env.db.rates()?;
    let mut rows: BTreeMap<String, (usize, Option<RateSpan>)> = BTreeMap::new();
    for row in 0..companies.len() {
        let mut own: Vec<&str> = ["currency", "trading_currency"]
            .iter()
            .filter_map(|a| companies.attr(row, a).map(|s| &**s))
            .collect();
        own.dedup();
        for code in own {
            rows.entry(code.to_string()).or_default().0 += 1;
        }
    }
    for (code, first, last, n) in rates.summary() {
        rows.entry(code.to_string()).or_default().1 =
            Some((first.to_string(), last.to_string(), n));
    }
    let mut t = Table {
        title: Some(format!("base currency: {base}")),
        columns: vec![
            Column::new("currency", None),
            Column::new("companies", Some(crate::model::Unit::Count)),
            Column::new("first rate", None),
            Column::new("last rate", None),
            Column::new("rates", Some(crate::model::Unit::Count)),
        ],
        ..Table::default()
    };
    for (code, (n, r)) in rows {
        let (first, last, count) = match r {
            Some((f, l, c)) => (Value::text(f), Value::text(l), Value::count(c)),
            None => (Value::Null, Value::Null, Value::count(0)),
        };
        t.rows
            .push(vec![Value::text(code), Value::count(n), first, last, count]);
    }
    Ok(t)
}
