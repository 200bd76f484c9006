//! [`Database::check`]: reads every key and value and verifies the invariants the rest of
//! finq relies on, naming each problem it finds (`finq check`).

use super::index::{INDEXED, groups_of};
use super::keys::{self, OwnedKey, Tag};
use super::{Database, FORMAT_KEY, FORMAT_VERSION, block, chunk, codec};
use crate::error::Result;
use crate::model::currency::normalize_code;
use crate::model::{Company, MetricDef, Period, Series, symbol_key};
use std::collections::HashMap;

/// What `finq check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub problems: Vec<String>,
    pub summary: String,
}

impl Database {
    /// Verifies the invariants: every key and value decodes, every series belongs to a known
    /// company and metric and is strictly ordered by valid periods, the industry and sector
    /// indexes match the companies, and the format version is this build's.
    pub fn check(&self) -> Result<CheckReport> {
        let mut r = CheckReport::default();
        let mut companies: HashMap<String, Company> = HashMap::new();
        let mut index: Vec<(usize, String, String)> = Vec::new();
        let (mut series_count, mut points) = (0usize, 0usize);
        let mut series_keys: Vec<(String, String, Series)> = Vec::new();
        let mut format_seen = false;
        let mut rate_count = 0usize;
        let mut last_chunk: Option<(String, String)> = None;
        let mut last_company: Option<String> = None;
        for item in self.kv.scan_prefix(&[]) {
            let (k, v) = item?;
            let key = match keys::decode(&k) {
                Ok(key) => key,
                Err(e) => {
                    r.problems.push(format!("{e} ({} bytes)", k.len()));
                    continue;
                }
            };
            match key {
                OwnedKey::Meta(name) if name == FORMAT_KEY => {
                    format_seen = true;
                    match codec::decode::<u32>(&v, "format version") {
                        Ok(FORMAT_VERSION) => {}
                        Ok(other) => r
                            .problems
                            .push(format!("format version {other}, expected {FORMAT_VERSION}")),
                        Err(e) => r.problems.push(e.to_string()),
                    }
                }
                OwnedKey::Meta(name) => r.problems.push(format!("unknown meta key '{name}'")),
                OwnedKey::Company(first) => match block::decode(&v) {
                    Ok(list) => {
                        let keys: Vec<String> =
                            list.iter().map(|c| symbol_key(&c.symbol)).collect();
                        if keys.first() != Some(&first) {
                            r.problems.push(format!(
                                "company block {first} starts with {}",
                                keys.first().map_or("nothing", String::as_str)
                            ));
                        }
                        if keys.windows(2).any(|w| w[0] >= w[1]) {
                            r.problems
                                .push(format!("company block {first} is not in symbol order"));
                        }
                        if let (Some(prev), Some(head)) = (&last_company, keys.first())
                            && prev >= head
                        {
                            r.problems
                                .push(format!("company blocks overlap at {first}"));
                        }
                        last_company = keys.last().cloned().or(last_company);
                        companies.extend(keys.into_iter().zip(list));
                    }
                    Err(e) => r.problems.push(format!("{e} (company block {first})")),
                },
                OwnedKey::Industry(g) | OwnedKey::Sector(g) => {
                    // Which of the indexed attributes, as a position in `INDEXED`.
                    let which = usize::from(k.first() != Some(&(Tag::Industry as u8)));
                    match codec::decode::<Vec<String>>(&v, "index entry") {
                        Ok(members) => {
                            if members.windows(2).any(|w| w[0] >= w[1]) {
                                r.problems
                                    .push(format!("index entry '{g}' is not in symbol order"));
                            }
                            index.extend(members.into_iter().map(|m| (which, g.clone(), m)));
                        }
                        Err(e) => r.problems.push(format!("{e} (index entry '{g}')")),
                    }
                }
                OwnedKey::Metric(id) => match codec::decode::<MetricDef>(&v, "metric definition") {
                    Ok(d) if d.id == id => {}
                    Ok(d) => r
                        .problems
                        .push(format!("metric key {id} holds metric {}", d.id)),
                    Err(e) => r.problems.push(e.to_string()),
                },
                OwnedKey::Series(m, first) => match chunk::decode(&v) {
                    Ok(entries) => {
                        if entries.first().is_none_or(|e| e.0 != first) {
                            r.problems
                                .push(format!("chunk {m}/{first} does not start with {first}"));
                        }
                        if entries.windows(2).any(|w| w[0].0 >= w[1].0) {
                            r.problems
                                .push(format!("chunk {m}/{first} is not in symbol order"));
                        }
                        if let Some((prev, last)) = &last_chunk
                            && prev == &m
                            && last.as_str() >= first.as_str()
                        {
                            r.problems.push(format!("chunks of {m} overlap at {first}"));
                        }
                        last_chunk = entries.last().map(|e| (m.clone(), e.0.clone()));
                        series_keys.extend(entries.into_iter().map(|(sym, s)| (m.clone(), sym, s)));
                    }
                    Err(e) => r.problems.push(format!("{e} (chunk {m}/{first})")),
                },
                OwnedKey::Definition(kind, name) => {
                    if let Err(e) = codec::decode::<String>(&v, "definition") {
                        r.problems.push(format!("{e} ({kind} {name})"));
                    }
                }
                OwnedKey::Rate(code) => rate_count += check_rates(&code, &v, &mut r.problems),
            }
        }
        if !format_seen {
            r.problems.push("the format version key is missing".into());
        }
        for (metric, sym, s) in &series_keys {
            series_count += 1;
            points += s.len();
            if self.catalog.get(metric).is_none_or(|d| &d.id != metric) {
                r.problems.push(format!(
                    "series {metric} of {sym}: metric not in the catalog"
                ));
            }
            if !companies.contains_key(sym) {
                r.problems
                    .push(format!("series {metric} of {sym}: no such company"));
            }
            if s.is_empty() {
                r.problems
                    .push(format!("series {metric} of {sym} is empty"));
            }
            if s.points.windows(2).any(|w| w[0].0 >= w[1].0) {
                r.problems
                    .push(format!("series {metric} of {sym} is not ordered by period"));
            }
            if s.points
                .iter()
                .any(|p| crate::model::Period::from_code(p.0).is_none())
            {
                r.problems
                    .push(format!("series {metric} of {sym} holds an invalid period"));
            }
            if s.points.iter().any(|p| !p.1.is_finite()) {
                r.problems.push(format!(
                    "series {metric} of {sym} holds a value that is not a finite number"
                ));
            }
        }
        for (which, group, sym) in &index {
            let attr = INDEXED[*which].1;
            let ok = companies
                .get(sym)
                .is_some_and(|c| groups_of(c)[*which].as_ref() == Some(group));
            if !ok {
                r.problems.push(format!(
                    "{attr} index entry '{group}' → {sym} does not match the company"
                ));
            }
        }
        let indexed: std::collections::HashSet<(usize, &str, &str)> = index
            .iter()
            .map(|(w, g, s)| (*w, g.as_str(), s.as_str()))
            .collect();
        for (sym, c) in &companies {
            for attr in ["currency", "trading_currency"] {
                if let Some(v) = c.attr(attr)
                    && normalize_code(v).as_deref() != Some(v)
                {
                    r.problems.push(format!(
                        "company {sym}: {attr} '{v}' is not an ISO 4217 code such as CNY"
                    ));
                }
            }
            for (which, group) in groups_of(c).into_iter().enumerate() {
                if let Some(g) = group
                    && !indexed.contains(&(which, g.as_str(), sym.as_str()))
                {
                    let attr = INDEXED[which].1;
                    r.problems
                        .push(format!("company {sym} is missing from the {attr} index"));
                }
            }
        }
        r.summary = format!(
            "{} companies, {} series, {} points, {} metrics in the catalog, format {}",
            companies.len(),
            series_count,
            points,
            self.catalog.defs().len(),
            FORMAT_VERSION
        );
        if rate_count > 0 {
            r.summary
                .push_str(&format!(", {rate_count} exchange rates"));
        }
        Ok(r)
    }
}

/// One currency's stored rates: a code, day periods in order, positive finite values.
/// Returns how many rates it holds.
fn check_rates(code: &str, bytes: &[u8], problems: &mut Vec<String>) -> usize {
    if normalize_code(code).as_deref() != Some(code) {
        problems.push(format!("rates key '{code}' is not an ISO 4217 code"));
    }
    let rates = match codec::decode::<Vec<(u32, f64)>>(bytes, "exchange rates") {
        Ok(r) => r,
        Err(e) => {
            problems.push(format!("{e} ({code} rates)"));
            return 0;
        }
    };
    if rates.is_empty() {
        problems.push(format!("{code} rates are empty"));
    }
    if rates.windows(2).any(|w| w[0].0 >= w[1].0) {
        problems.push(format!("{code} rates are not ordered by day"));
    }
    if rates
        .iter()
        .any(|p| !matches!(Period::from_code(p.0), Some(Period::Day(_))))
    {
        problems.push(format!("{code} rates hold a period that is not a day"));
    }
    if rates.iter().any(|p| !(p.1.is_finite() && p.1 > 0.0)) {
        problems.push(format!(
            "{code} rates hold a value that is not a positive number"
        ));
    }
    rates.len()
}
