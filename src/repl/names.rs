//! The names a database holds, for completion: metrics, attributes, symbols, industries,
//! sectors and screens. The language's own words come from the registry instead.

use crate::query::lexer::is_bare_name;
use crate::session::Session;
use std::collections::BTreeMap;

/// What completion offers beyond the language's own words; reloaded after every input, so
/// new companies, metrics and screens appear at once.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// Metric ids and aliases.
    pub metrics: Vec<String>,
    /// Display names that need backticks (`P/E (TTM)`).
    pub displays: Vec<String>,
    /// Metrics made with `define metric`.
    pub computed_metrics: Vec<String>,
    pub attributes: Vec<String>,
    pub symbols: Vec<String>,
    pub industries: Vec<String>,
    pub sectors: Vec<String>,
    pub screens: Vec<String>,
}

impl Names {
    pub fn load(session: &mut Session) -> Names {
        let mut n = Names::default();
        for d in session.database().catalog().defs() {
            n.metrics.push(d.id.clone());
            n.metrics.extend(d.aliases.iter().cloned());
            if !is_bare_name(&d.display) {
                n.displays.push(d.display.clone());
            }
            if d.expr.is_some() {
                n.computed_metrics.push(d.id.clone());
            }
        }
        if let Ok(c) = session.companies() {
            n.attributes = c.attribute_names.iter().cloned().collect();
            let mut industries = BTreeMap::new();
            let mut sectors = BTreeMap::new();
            for (r, row) in c.rows.iter().enumerate() {
                n.symbols.push(row.symbol.to_string());
                if let Some(i) = c.attr(r, "industry") {
                    industries
                        .entry(i.to_lowercase())
                        .or_insert_with(|| i.to_string());
                }
                if let Some(s) = c.attr(r, "sector") {
                    sectors
                        .entry(s.to_lowercase())
                        .or_insert_with(|| s.to_string());
                }
            }
            n.industries = industries.into_values().collect();
            n.sectors = sectors.into_values().collect();
        }
        for a in ["symbol", "name", "industry", "sector"] {
            if !n.attributes.iter().any(|x| x == a) {
                n.attributes.push(a.to_string());
            }
        }
        n.screens = session
            .database()
            .definitions("screen")
            .map(|d| d.into_iter().map(|(name, _)| name).collect())
            .unwrap_or_default();
        n
    }
}
