//! The metric catalog: every built-in metric with its display name, aliases, unit, direction
//! and dimension, plus the metrics that imports and `define metric` register.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    /// Stored as a fraction (0.125), shown as `12.50%`.
    Percent,
    /// Shown with K/M/B/T suffixes.
    Money,
    Ratio,
    Count,
    Score,
    /// A change of a percent, stored as a fraction (0.08), shown as `+8.00pp`.
    PercentPoints,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    Higher,
    Lower,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dimension {
    Profit,
    Growth,
    Operation,
    Security,
    Cash,
    Valuation,
    Size,
    Other,
}

macro_rules! names {
    ($t:ty { $($v:ident = $s:literal),* $(,)? }) => {
        impl $t {
            pub fn name(self) -> &'static str {
                match self { $(<$t>::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s.to_ascii_lowercase().as_str() { $($s => Some(<$t>::$v),)* _ => None }
            }
        }
    };
}
names!(Unit {
    Percent = "percent", Money = "money", Ratio = "ratio", Count = "count", Score = "score",
    PercentPoints = "pp",
});

impl Unit {
    /// The unit of a difference of two values in this unit: a percent changes in
    /// percentage points, anything else in its own unit.
    pub fn of_difference(self) -> Unit {
        match self {
            Unit::Percent | Unit::PercentPoints => Unit::PercentPoints,
            other => other,
        }
    }
}
names!(Direction { Higher = "higher", Lower = "lower", None = "none" });
names!(Dimension {
    Profit = "profit", Growth = "growth", Operation = "operation", Security = "security",
    Cash = "cash", Valuation = "valuation", Size = "size", Other = "other",
});

/// One catalog entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricDef {
    /// snake_case identifier, the key series are stored under.
    pub id: String,
    pub display: String,
    pub aliases: Vec<String>,
    pub unit: Unit,
    pub direction: Direction,
    pub dimension: Dimension,
    /// Source text of a computed metric (`define metric`); `None` for stored metrics.
    pub expr: Option<String>,
}

impl MetricDef {
    /// The entry an import gives a metric it does not know (DATA_FORMATS.md).
    pub fn registered(id: &str) -> MetricDef {
        MetricDef {
            id: id.to_string(),
            display: id.to_string(),
            aliases: Vec::new(),
            unit: Unit::Ratio,
            direction: Direction::Higher,
            dimension: Dimension::Other,
            expr: None,
        }
    }
}

/// Turns a heading into an identifier: `Long-Term Debt` → `long_term_debt`,
/// `P/E (TTM)` → `p_e_ttm`. Names are compared in this form, so case and punctuation differ
/// freely between files.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.trim().chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// Lowercase letters and digits only: the loosest form two spellings of a name share.
fn compact(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

use Dimension as D;
use Direction as Dir;
use Unit as U;

/// (id, display, aliases, unit, direction, dimension) of every built-in metric.
type Builtin = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Unit,
    Direction,
    Dimension,
);

#[rustfmt::skip]
const BUILTINS: &[Builtin] = &[
    // The scorecard indicators of SCORING.md.
    ("roe", "ROE", &["return_on_equity", "after_tax_roe"], U::Percent, Dir::Higher, D::Profit),
    ("profit_margin", "Profit Margin", &["net_margin", "net_profit_margin"], U::Percent, Dir::Higher, D::Profit),
    ("gross_margin", "Gross Margin", &[], U::Percent, Dir::Higher, D::Profit),
    ("revenue_yoy", "Revenue YoY", &["revenue_growth"], U::Percent, Dir::Higher, D::Growth),
    ("net_profit_yoy", "Net Profit YoY", &["net_income_yoy", "earnings_growth"], U::Percent, Dir::Higher, D::Growth),
    ("total_assets_yoy", "Total Assets YoY", &["assets_growth"], U::Percent, Dir::Higher, D::Growth),
    ("net_assets_yoy", "Net Assets YoY", &["equity_growth"], U::Percent, Dir::Higher, D::Growth),
    ("turnover", "Turnover", &["asset_turnover"], U::Ratio, Dir::Higher, D::Operation),
    ("gearing_ratio", "Gearing Ratio", &["gearing"], U::Percent, Dir::Lower, D::Security),
    ("cash_flow_margin", "Cash Flow Margin", &["ocf_margin"], U::Percent, Dir::Higher, D::Cash),
    ("ocf_yoy", "OCF YoY", &["operating_cash_flow_yoy"], U::Percent, Dir::Higher, D::Cash),
    // Valuation multiples (quote pages, BENCHMARKS.md).
    ("pe_ttm", "P/E (TTM)", &["pe", "pe_ratio", "price_earnings", "p_e"], U::Ratio, Dir::Lower, D::Valuation),
    ("pb", "P/B", &["pb_ratio", "price_book", "p_b"], U::Ratio, Dir::Lower, D::Valuation),
    ("ps_ttm", "P/S (TTM)", &["ps", "ps_ratio", "price_sales", "p_s"], U::Ratio, Dir::Lower, D::Valuation),
    ("dividend_yield", "Dividend Yield", &["dividend_ratio", "div_yield"], U::Percent, Dir::Higher, D::Valuation),
    // Size.
    ("market_cap", "Market Cap", &["market_capitalization", "mkt_cap"], U::Money, Dir::Higher, D::Size),
    // Statement items (DERIVATIONS.md), with the names real files give them: NYSE
    // fundamentals column headings and US-GAAP tags (in snake case: `NetIncomeLoss` is
    // `net_income_loss`). Flows are summed over their period, stocks are balances at its end.
    ("revenue", "Revenue", &["total_revenue", "sales", "revenues", "sales_revenue_net"], U::Money, Dir::Higher, D::Size),
    ("cost_of_revenue", "Cost of Revenue", &["cost_of_goods_sold", "cost_of_sales"], U::Money, Dir::Lower, D::Profit),
    ("gross_profit", "Gross Profit", &[], U::Money, Dir::Higher, D::Profit),
    ("operating_income", "Operating Income", &["operating_income_loss", "operating_profit"], U::Money, Dir::Higher, D::Profit),
    ("net_income", "Net Income", &["net_profit", "earnings", "net_income_loss", "profit_loss"], U::Money, Dir::Higher, D::Profit),
    ("operating_cash_flow", "Operating Cash Flow", &["cfo", "ocf", "net_cash_flow_operating", "net_cash_provided_by_used_in_operating_activities"], U::Money, Dir::Higher, D::Cash),
    ("capital_expenditure", "Capital Expenditure", &["capital_expenditures", "capex", "payments_to_acquire_property_plant_and_equipment"], U::Money, Dir::None, D::Cash),
    ("free_cash_flow", "Free Cash Flow", &["fcf"], U::Money, Dir::Higher, D::Cash),
    ("dividends_paid", "Dividends Paid", &["payments_of_dividends", "payments_of_dividends_common_stock"], U::Money, Dir::None, D::Cash),
    ("rd_expense", "R&D Expense", &["research_and_development", "research_and_development_expense"], U::Money, Dir::None, D::Other),
    ("eps", "EPS", &["earnings_per_share", "earnings_share", "earnings_per_share_basic"], U::Money, Dir::Higher, D::Profit),
    ("total_assets", "Total Assets", &["assets"], U::Money, Dir::None, D::Size),
    ("total_liabilities", "Total Liabilities", &["liabilities"], U::Money, Dir::None, D::Security),
    ("total_equity", "Total Equity", &["stockholders_equity", "shareholders_equity", "net_assets"], U::Money, Dir::None, D::Security),
    ("current_assets", "Current Assets", &["total_current_assets", "assets_current"], U::Money, Dir::None, D::Security),
    ("current_liabilities", "Current Liabilities", &["total_current_liabilities", "liabilities_current"], U::Money, Dir::None, D::Security),
    ("long_term_debt", "Long-Term Debt", &["ltd", "long_term_debt_noncurrent"], U::Money, Dir::Lower, D::Security),
    ("cash", "Cash", &["cash_and_cash_equivalents", "cash_and_cash_equivalents_at_carrying_value"], U::Money, Dir::None, D::Security),
    ("shares_outstanding", "Shares Outstanding", &["shares", "estimated_shares_outstanding"], U::Count, Dir::None, D::Other),
    // Indicators derived from them besides the scorecard's.
    ("roa", "ROA", &["return_on_assets"], U::Percent, Dir::Higher, D::Profit),
    ("current_ratio", "Current Ratio", &[], U::Ratio, Dir::Higher, D::Security),
    ("rd_personnel", "R&D Personnel", &[], U::Count, Dir::None, D::Other),
    ("debt_to_assets", "Debt to Assets", &[], U::Percent, Dir::Lower, D::Security),
    // What a quote page publishes about itself (DATA_FORMATS.md, quote pages).
    ("published_score", "Published Score", &[], U::Score, Dir::Higher, D::Other),
    ("published_industry_rank", "Published Industry Rank", &[], U::Count, Dir::Lower, D::Other),
    ("published_industry_size", "Published Industry Size", &[], U::Count, Dir::None, D::Other),
    ("pe_ttm_high", "P/E (TTM) High", &[], U::Ratio, Dir::None, D::Valuation),
    ("pe_ttm_median", "P/E (TTM) Median", &[], U::Ratio, Dir::None, D::Valuation),
    ("pe_ttm_low", "P/E (TTM) Low", &[], U::Ratio, Dir::None, D::Valuation),
    ("pe_ttm_industry_rank", "P/E (TTM) Industry Rank", &[], U::Count, Dir::Lower, D::Valuation),
    ("pe_ttm_industry_size", "P/E (TTM) Industry Size", &[], U::Count, Dir::None, D::Valuation),
    ("pb_high", "P/B High", &[], U::Ratio, Dir::None, D::Valuation),
    ("pb_median", "P/B Median", &[], U::Ratio, Dir::None, D::Valuation),
    ("pb_low", "P/B Low", &[], U::Ratio, Dir::None, D::Valuation),
    ("pb_industry_rank", "P/B Industry Rank", &[], U::Count, Dir::Lower, D::Valuation),
    ("pb_industry_size", "P/B Industry Size", &[], U::Count, Dir::None, D::Valuation),
    ("ps_ttm_high", "P/S (TTM) High", &[], U::Ratio, Dir::None, D::Valuation),
    ("ps_ttm_median", "P/S (TTM) Median", &[], U::Ratio, Dir::None, D::Valuation),
    ("ps_ttm_low", "P/S (TTM) Low", &[], U::Ratio, Dir::None, D::Valuation),
    ("ps_ttm_industry_rank", "P/S (TTM) Industry Rank", &[], U::Count, Dir::Lower, D::Valuation),
    ("ps_ttm_industry_size", "P/S (TTM) Industry Size", &[], U::Count, Dir::None, D::Valuation),
    ("dividend_yield_high", "Dividend Yield High", &[], U::Percent, Dir::None, D::Valuation),
    ("dividend_yield_median", "Dividend Yield Median", &[], U::Percent, Dir::None, D::Valuation),
    ("dividend_yield_low", "Dividend Yield Low", &[], U::Percent, Dir::None, D::Valuation),
    ("dividend_yield_industry_rank", "Dividend Yield Industry Rank", &[], U::Count, Dir::Lower, D::Valuation),
    ("dividend_yield_industry_size", "Dividend Yield Industry Size", &[], U::Count, Dir::None, D::Valuation),
    ("analysts_total", "Analysts", &["total_analysts"], U::Count, Dir::None, D::Other),
    ("analyst_buy", "Analysts: Buy", &[], U::Count, Dir::None, D::Other),
    ("analyst_overweight", "Analysts: Overweight", &[], U::Count, Dir::None, D::Other),
    ("analyst_hold", "Analysts: Hold", &[], U::Count, Dir::None, D::Other),
    ("analyst_underweight", "Analysts: Underweight", &[], U::Count, Dir::None, D::Other),
    ("analyst_sell", "Analysts: Sell", &[], U::Count, Dir::None, D::Other),
    ("price", "Price", &["current_price", "last_price"], U::Money, Dir::None, D::Other),
    ("target_high", "Target High", &["highest_target"], U::Money, Dir::None, D::Other),
    ("target_low", "Target Low", &["lowest_target"], U::Money, Dir::None, D::Other),
];

/// The built-in entries followed by the registered ones, with one lookup table over ids,
/// aliases and display names (all in snake_case form).
#[derive(Clone, Debug)]
pub struct Catalog {
    defs: Vec<MetricDef>,
    lookup: HashMap<String, usize>,
    /// The same names with every separator removed, so `P/B Ratio` finds `pb_ratio`.
    compact: HashMap<String, usize>,
    builtin_count: usize,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::builtin()
    }
}

impl Catalog {
    pub fn builtin() -> Catalog {
        let mut c = Catalog {
            defs: Vec::new(),
            lookup: HashMap::new(),
            compact: HashMap::new(),
            builtin_count: 0,
        };
        for &(id, display, aliases, unit, direction, dimension) in BUILTINS {
            c.add(MetricDef {
                id: id.into(),
                display: display.into(),
                aliases: aliases.iter().map(|a| a.to_string()).collect(),
                unit,
                direction,
                dimension,
                expr: None,
            });
        }
        c.builtin_count = c.defs.len();
        c
    }

    /// Adds or replaces an entry. Ids always win over aliases of other metrics.
    pub fn add(&mut self, def: MetricDef) -> usize {
        let idx = match self.lookup.get(&def.id) {
            Some(&i) if self.defs[i].id == def.id => {
                self.defs[i] = def;
                i
            }
            _ => {
                self.defs.push(def);
                self.defs.len() - 1
            }
        };
        let d = &self.defs[idx];
        for name in d.aliases.iter().chain([&d.display]) {
            self.lookup.entry(snake_case(name)).or_insert(idx);
        }
        for name in d.aliases.iter().chain([&d.display, &d.id]) {
            self.compact.entry(compact(name)).or_insert(idx);
        }
        self.lookup.insert(d.id.clone(), idx);
        self.compact.insert(compact(&d.id), idx);
        idx
    }

    pub fn is_builtin(&self, id: &str) -> bool {
        self.lookup
            .get(id)
            .is_some_and(|&i| i < self.builtin_count && self.defs[i].id == id)
    }

    /// Finds a metric by id, alias or display name, ignoring case and punctuation.
    pub fn get(&self, name: &str) -> Option<&MetricDef> {
        self.index_of(name).map(|i| &self.defs[i])
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.lookup
            .get(name)
            .or_else(|| self.lookup.get(&snake_case(name)))
            .or_else(|| self.compact.get(&compact(name)))
            .copied()
    }

    pub fn defs(&self) -> &[MetricDef] {
        &self.defs
    }

    /// Every id and alias, for suggestions and completion.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.lookup.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_cases_headings() {
        assert_eq!(snake_case("Long-Term Debt"), "long_term_debt");
        assert_eq!(snake_case("P/E (TTM)"), "p_e_ttm");
        assert_eq!(
            snake_case("  Net Cash Flow-Operating "),
            "net_cash_flow_operating"
        );
        assert_eq!(snake_case("ROE"), "roe");
        assert_eq!(
            snake_case("Add'l income/expense items"),
            "add_l_income_expense_items"
        );
    }

    #[test]
    fn finds_by_id_alias_and_display_name() {
        let c = Catalog::builtin();
        assert_eq!(c.get("roe").unwrap().id, "roe");
        assert_eq!(c.get("ROE").unwrap().id, "roe");
        assert_eq!(c.get("return_on_equity").unwrap().id, "roe");
        assert_eq!(c.get("P/E (TTM)").unwrap().id, "pe_ttm");
        assert_eq!(c.get("PE (TTM)").unwrap().id, "pe_ttm");
        assert_eq!(c.get("P/B Ratio").unwrap().id, "pb");
        assert_eq!(c.get("Dividend Ratio").unwrap().id, "dividend_yield");
        assert_eq!(c.get("Net Income").unwrap().id, "net_income");
        assert_eq!(c.get("Total Revenue").unwrap().id, "revenue");
        assert!(c.get("nonsense").is_none());
    }

    #[test]
    fn every_benchmark_and_scoring_metric_is_built_in() {
        let c = Catalog::builtin();
        for id in crate::r#gen::GEN_METRICS {
            assert!(c.is_builtin(id), "{id}");
        }
        assert_eq!(c.get("gearing_ratio").unwrap().direction, Direction::Lower);
        assert_eq!(c.get("roe").unwrap().unit, Unit::Percent);
        assert_eq!(c.get("turnover").unwrap().dimension, Dimension::Operation);
    }

    #[test]
    fn no_alias_shadows_another_metric() {
        let c = Catalog::builtin();
        for d in c.defs() {
            for a in d.aliases.iter().chain([&d.display]) {
                assert_eq!(c.get(a).unwrap().id, d.id, "{a} of {}", d.id);
            }
        }
    }

    #[test]
    fn registered_metrics_are_ratios_of_dimension_other() {
        let mut c = Catalog::builtin();
        c.add(MetricDef::registered("cash_ratio"));
        let d = c.get("Cash Ratio").unwrap();
        assert_eq!(
            (d.unit, d.direction, d.dimension),
            (Unit::Ratio, Direction::Higher, Dimension::Other)
        );
        assert!(!c.is_builtin("cash_ratio"));
    }
}
