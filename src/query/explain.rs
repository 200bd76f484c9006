//! `explain STATEMENT`: a [`Plan`] printed as a tree, one step a line, data flowing from the
//! bottom (where companies come from) to the top (what is shown), each step with the rows
//! it is expected to give. Nothing is read but the company list the plan was bound against.
//!
//! Estimates: a source, an index lookup and a group count are exact (they come from the
//! company list); a filter condition the index cannot answer keeps a third of its rows (the
//! default selectivity PostgreSQL gives an inequality), so those figures start with `~`;
//! `limit` caps them.

use super::ast::{BinOp, Expr, Group};
use super::plan::{CardKind, Plan, SelectPlan, SourcePlan};
use crate::output::{Column, Table, Value};

/// One line of a plan: its depth in the tree, what it does, and its estimated rows.
struct Step {
    text: String,
    rows: Estimate,
}

#[derive(Clone, Copy)]
enum Estimate {
    Exact(usize),
    About(usize),
    None,
}

impl Estimate {
    fn value(self) -> Value {
        match self {
            Estimate::Exact(n) => Value::text(n.to_string()),
            Estimate::About(n) => Value::text(format!("~{n}")),
            Estimate::None => Value::Null,
        }
    }

    fn count(self) -> usize {
        match self {
            Estimate::Exact(n) | Estimate::About(n) => n,
            Estimate::None => 0,
        }
    }

    fn about(self, n: usize) -> Estimate {
        match self {
            Estimate::Exact(_) | Estimate::About(_) => Estimate::About(n),
            Estimate::None => Estimate::None,
        }
    }
}

/// The plan as a table: `plan` (the tree) and `rows` (the estimate of each step).
pub fn render(plan: &Plan) -> Table {
    // Steps are collected from the top of the tree down.
    let mut steps = Vec::new();
    describe(plan, &mut steps);
    let mut t = Table {
        title: None,
        columns: vec![Column::new("plan", None), Column::new("rows", None)],
        rows: Vec::new(),
        card: None,
        sparks: Vec::new(),
    };
    for (depth, step) in steps.iter().enumerate() {
        let lead = match depth {
            0 => String::new(),
            d => format!("{}└─ ", "   ".repeat(d - 1)),
        };
        t.rows.push(vec![
            Value::text(format!("{lead}{}", step.text)),
            step.rows.value(),
        ]);
    }
    t
}

fn one(text: impl Into<String>, rows: Estimate) -> Step {
    Step {
        text: text.into(),
        rows,
    }
}

fn describe(plan: &Plan, out: &mut Vec<Step>) {
    match plan {
        Plan::Select(s) => select_steps(s, "Project", out),
        Plan::ShowCompanies(s) => {
            select_steps(s, "List companies with metric and point counts", out)
        }
        Plan::ExplainScore(c) => {
            out.push(one(
                format!(
                    "Explain the scorecard of {}: each indicator's value, period and source",
                    c.symbol
                ),
                Estimate::Exact(c.scorecard.indicator_count()),
            ));
        }
        Plan::Explain(inner) => {
            out.push(one("Explain (print the plan, run nothing)", Estimate::None));
            describe(inner, out);
        }
        Plan::Series(s) => {
            let symbol = &s.companies.rows[s.row].symbol;
            out.push(one(
                format!(
                    "Series {} of {symbol}: one row per period{}{}, with year-on-year change",
                    s.names.join(", "),
                    s.from.map_or(String::new(), |p| format!(" from {p}")),
                    s.to.map_or(String::new(), |p| format!(" to {p}")),
                ),
                Estimate::None,
            ));
            out.push(one(
                format!("Read {}: one company's whole series", s.metrics.join(", ")),
                Estimate::Exact(1),
            ));
            out.push(one(format!("Lookup company {symbol}"), Estimate::Exact(1)));
        }
        Plan::Describe { symbol } => {
            let symbol = &symbol.name;
            out.push(one(
                format!("Describe {symbol}: attributes, and each stored metric's latest point"),
                Estimate::None,
            ));
            out.push(one(
                format!("Read every metric's series of {symbol}"),
                Estimate::Exact(1),
            ));
            out.push(one(format!("Lookup company {symbol}"), Estimate::Exact(1)));
        }
        Plan::DescribeMetric { id } => {
            out.push(one(
                format!("Describe metric {id}: its catalog entry and who has points"),
                Estimate::Exact(1),
            ));
            out.push(one(format!("Scan {id}'s chunks"), Estimate::None));
        }
        Plan::ShowGroups { attr } => {
            out.push(one(
                format!("List each {attr} with its companies"),
                Estimate::None,
            ));
            out.push(one("Scan companies", Estimate::None));
        }
        Plan::ShowMetrics => {
            out.push(one(
                "List the catalog with company and point counts",
                Estimate::None,
            ));
            out.push(one("Scan every metric's chunks", Estimate::None));
        }
        Plan::ShowScreens => out.push(one("List saved screens", Estimate::None)),
        Plan::ShowCurrencies => {
            out.push(one(
                "List currencies with their companies and rates",
                Estimate::None,
            ));
            out.push(one("Scan companies and exchange rates", Estimate::None));
        }
        Plan::ShowScorecards => out.push(one("List scorecards", Estimate::None)),
        Plan::Compare(c) => {
            let names: Vec<&str> = c.symbols.iter().map(|(s, _)| s.as_str()).collect();
            out.push(one(
                format!(
                    "Compare {} on {} metrics{}",
                    names.join(", "),
                    c.metrics.len(),
                    at_text(c.at)
                ),
                Estimate::Exact(c.metrics.len()),
            ));
            out.push(one(
                "Read each metric for every company; grade within each company's peer group",
                Estimate::Exact(c.companies.len()),
            ));
        }
        Plan::Card(c) => {
            let symbol = &c.companies.rows[c.row].symbol;
            let using = match c.scorecard.is_builtin() {
                true => String::new(),
                false => format!(" with scorecard {}", c.scorecard.name),
            };
            let (what, needs) = match c.kind {
                CardKind::Score { at } => (
                    format!("Scorecard of {symbol}"),
                    format!(
                        "Score every company within its peer group{using}{}",
                        at_text(at)
                    ),
                ),
                CardKind::Peers { at, limit } => (
                    format!(
                        "Peer table of {symbol}{}",
                        limit.map_or(String::new(), |n| format!(", first {n}"))
                    ),
                    format!(
                        "Score every company within its peer group{using}{}",
                        at_text(at)
                    ),
                ),
                CardKind::Valuation { years } => (
                    format!("Valuation band of {symbol} over {years} years"),
                    "Read pe_ttm, pb, ps_ttm, dividend_yield: whole series".to_string(),
                ),
                CardKind::FScore { at } => (
                    format!("F-score of {symbol}"),
                    format!("F-score every company{}", at_text(at)),
                ),
            };
            out.push(one(what, Estimate::Exact(1)));
            out.push(one(needs, Estimate::Exact(c.companies.len())));
            out.push(one(format!("Lookup company {symbol}"), Estimate::Exact(1)));
        }
        Plan::Export { select, path, .. } => {
            out.push(one(
                format!("Export to \"{path}\" (written whole, then renamed into place)"),
                Estimate::None,
            ));
            select_steps(select, "Project", out);
        }
        Plan::Import { path } => out.push(one(
            format!("Import \"{path}\" (one atomic write)"),
            Estimate::None,
        )),
        Plan::Write(w) => out.push(one(format!("Write: {}", w.describe()), Estimate::None)),
        Plan::DefineScreen { name, select, .. } => {
            out.push(one(
                format!("Write: define screen {name} (after running it once)"),
                Estimate::None,
            ));
            select_steps(select, "Project", out);
        }
    }
}

fn at_text(at: Option<crate::model::Period>) -> String {
    match at {
        Some(p) => format!(" at {p}"),
        None => " (latest)".into(),
    }
}

/// The estimated rows after each step of a select, from the source up.
fn select_steps(s: &SelectPlan, top: &str, out: &mut Vec<Step>) {
    // Bottom-up first: source, index, reads, filter, group, rank/order, limit.
    let mut up: Vec<Step> = Vec::new();
    let mut rows = match &s.source {
        SourcePlan::All => {
            let n = s.companies.len();
            up.push(one("Scan companies", Estimate::Exact(n)));
            Estimate::Exact(n)
        }
        SourcePlan::Rows { label, rows } => {
            let n = rows.len();
            let how = if label.starts_with("peers") {
                "Peer group"
            } else {
                "Index"
            };
            up.push(one(format!("{how} {label}"), Estimate::Exact(n)));
            Estimate::Exact(n)
        }
        SourcePlan::Screen { name, plan } => {
            let mut inner = Vec::new();
            select_steps(
                plan,
                &format!("Screen {}", name.name.to_lowercase()),
                &mut inner,
            );
            let n = inner.first().map_or(Estimate::None, |s| s.rows);
            inner.reverse();
            up.extend(inner);
            n
        }
    };
    for (attr, value) in &s.index {
        let map = if *attr == "industry" {
            &s.companies.industries
        } else {
            &s.companies.sectors
        };
        let members = map.get(&value.to_lowercase()).map_or(0, Vec::len);
        rows = match (&s.source, rows) {
            (SourcePlan::All, Estimate::Exact(_)) => Estimate::Exact(members),
            (_, r) => r.about(members.min(r.count())),
        };
        up.push(one(format!("Index {attr} = \"{value}\""), rows));
    }
    if !s.reads.is_empty() {
        let at = match s.at {
            Some(p) => format!("at {p}"),
            None => "latest".into(),
        };
        let mut parts = Vec::new();
        let (whole, point): (Vec<_>, Vec<_>) = s.reads.iter().partition(|r| r.whole);
        if !point.is_empty() {
            parts.push(format!(
                "{}: one point per company ({at})",
                names(point.iter().map(|r| r.metric.as_str()))
            ));
        }
        if !whole.is_empty() {
            parts.push(format!(
                "{}: whole series",
                names(whole.iter().map(|r| r.metric.as_str()))
            ));
        }
        up.push(one(format!("Read {}", parts.join("; ")), rows));
    }
    for card in &s.cards {
        let which = match card.is_builtin() {
            true => String::new(),
            false => format!(" with scorecard {}", card.name),
        };
        up.push(one(
            format!(
                "Score every company within its peer group{which}{}",
                at_text(s.at)
            ),
            rows,
        ));
    }
    if s.fscores {
        up.push(one(format!("F-score every company{}", at_text(s.at)), rows));
    }
    if let Some((_, text)) = &s.filter {
        let conditions = text.matches(" and ").count() + 1;
        let mut n = rows.count();
        for _ in 0..conditions {
            n = n.div_ceil(3);
        }
        rows = rows.about(n);
        up.push(one(format!("Filter {text}"), rows));
    }
    if s.grouped {
        let groups = match s.keys.as_slice() {
            [] => Estimate::Exact(1),
            keys => {
                // An industry or sector key has as many groups as the index has entries,
                // and one more when some company has none.
                let groups_of = |map: &std::collections::HashMap<String, Vec<usize>>| {
                    let members: usize = map.values().map(Vec::len).sum();
                    map.len() + usize::from(members < s.companies.len())
                };
                let distinct: Option<usize> = keys
                    .iter()
                    .map(|(b, _)| match &b.expr {
                        super::bind::BExpr::Attr(a) if a == "industry" => {
                            Some(groups_of(&s.companies.industries))
                        }
                        super::bind::BExpr::Attr(a) if a == "sector" => {
                            Some(groups_of(&s.companies.sectors))
                        }
                        _ => None,
                    })
                    .try_fold(1usize, |acc, n| n.map(|n| acc.saturating_mul(n)));
                match (distinct, rows) {
                    (Some(n), Estimate::Exact(r)) if keys.len() == 1 && r == s.companies.len() => {
                        Estimate::Exact(n)
                    }
                    (Some(n), r) => r.about(n.min(r.count())),
                    (None, r) => r.about(r.count()),
                }
            }
        };
        let keys: Vec<&str> = s.keys.iter().map(|(_, t)| t.as_str()).collect();
        let aggregates: Vec<&str> = s
            .items
            .iter()
            .filter(|i| i.bound.expr.has_aggregate())
            .map(|i| i.text.as_str())
            .collect();
        let text = if keys.is_empty() {
            format!("Aggregate {} over all rows", aggregates.join(", "))
        } else {
            format!("Group by {}: {}", keys.join(", "), aggregates.join(", "))
        };
        rows = groups;
        up.push(one(text, rows));
    }
    if let Some(r) = &s.rank {
        let within = match r.within {
            Some(Group::Industry) => " within industry",
            Some(Group::Sector) => " within sector",
            None => "",
        };
        let dir = if r.descending { "desc" } else { "asc" };
        up.push(one(
            format!("Rank by {} {dir}{within} (competition ranks)", r.label),
            rows,
        ));
    }
    if !s.order.is_empty() {
        let keys: Vec<String> = s
            .order
            .iter()
            .map(|k| format!("{} {}", k.label, if k.descending { "desc" } else { "asc" }))
            .collect();
        up.push(one(format!("Order by {}", keys.join(", ")), rows));
    }
    if let Some(n) = s.limit {
        rows = match rows {
            Estimate::Exact(r) => Estimate::Exact(r.min(n)),
            Estimate::About(r) => Estimate::About(r.min(n)),
            Estimate::None => Estimate::None,
        };
        let per = s
            .limit_per
            .map_or(String::new(), |g| format!(" per {}", g.attr()));
        up.push(one(format!("Limit {n}{per}"), rows));
    }
    let shown: Vec<&str> = s
        .items
        .iter()
        .filter(|i| i.shown)
        .map(|i| i.name.as_str())
        .collect();
    let columns = if s.grouped {
        // Keys not repeated among the items lead, as the executor shows them.
        let items: Vec<String> = s.items.iter().map(|i| i.text.to_lowercase()).collect();
        let keys = s
            .keys
            .iter()
            .map(|(_, t)| t.as_str())
            .filter(|t| !items.contains(&t.to_lowercase()));
        keys.chain(shown.iter().copied())
            .collect::<Vec<_>>()
            .join(", ")
    } else if shown.is_empty() {
        "symbol, name".to_string()
    } else {
        format!("symbol, name, {}", shown.join(", "))
    };
    let rank = if s.rank.is_some() { ", rank" } else { "" };
    let head = if top == "Project" {
        format!("Project {columns}{rank}")
    } else {
        top.to_string()
    };
    up.push(one(head, rows));
    up.reverse();
    out.extend(up);
}

fn names<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    ids.collect::<Vec<_>>().join(", ")
}

/// Precedence levels for printing: a sub-expression binding more loosely than its context
/// gets parentheses.
const OR_PREC: u8 = 1;
pub const AND_PREC: u8 = 2;
const NOT_PREC: u8 = 3;
const CMP_PREC: u8 = 4;
const ADD_PREC: u8 = 5;
const MUL_PREC: u8 = 6;
const NEG_PREC: u8 = 7;

/// An expression as a person would write it: the fewest parentheses that keep its meaning.
pub fn show_expr(e: &Expr) -> String {
    show_expr_in(e, 0)
}

/// [`show_expr`] inside a context of precedence `outer`.
pub fn show_expr_in(e: &Expr, outer: u8) -> String {
    let not = |n: &bool| if *n { "not " } else { "" };
    let (text, prec) = match e {
        Expr::Number(v) => (format!("{v}"), 9),
        Expr::Text(_) | Expr::Null | Expr::Name(_) | Expr::At(..) | Expr::Call(..) => {
            (e.to_string(), 9)
        }
        Expr::Neg(a) => (format!("-{}", show_expr_in(a, NEG_PREC)), NEG_PREC),
        Expr::Not(a) => (format!("not {}", show_expr_in(a, NOT_PREC)), NOT_PREC),
        Expr::Binary(op, a, b) => {
            let p = match op {
                BinOp::Or => OR_PREC,
                BinOp::And => AND_PREC,
                BinOp::Add | BinOp::Sub => ADD_PREC,
                BinOp::Mul | BinOp::Div => MUL_PREC,
                _ => CMP_PREC,
            };
            // Left-associative: the right operand of `a - (b - c)` keeps its parentheses.
            (
                format!(
                    "{} {} {}",
                    show_expr_in(a, p),
                    op.symbol(),
                    show_expr_in(b, p + 1)
                ),
                p,
            )
        }
        Expr::IsNull(a, n) => (
            format!("{} is {}null", show_expr_in(a, CMP_PREC + 1), not(n)),
            CMP_PREC,
        ),
        Expr::InList(a, list, n) => (
            format!(
                "{} {}in ({})",
                show_expr_in(a, CMP_PREC + 1),
                not(n),
                list.iter().map(show_expr).collect::<Vec<_>>().join(", ")
            ),
            CMP_PREC,
        ),
        Expr::Between(a, lo, hi, n) => (
            format!(
                "{} {}between {} and {}",
                show_expr_in(a, CMP_PREC + 1),
                not(n),
                show_expr_in(lo, ADD_PREC),
                show_expr_in(hi, ADD_PREC)
            ),
            CMP_PREC,
        ),
        Expr::Like(a, p, n) => (
            format!(
                "{} {}like {}",
                show_expr_in(a, CMP_PREC + 1),
                not(n),
                Expr::Text(p.clone())
            ),
            CMP_PREC,
        ),
    };
    if prec < outer {
        format!("({text})")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> String {
        show_expr(&crate::query::parser::parse_expression(text).unwrap())
    }

    #[test]
    fn expressions_print_with_the_fewest_parentheses() {
        assert_eq!(shown("roe > 15% and pb < 1"), "roe > 0.15 and pb < 1");
        assert_eq!(shown("(a or b) and c"), "(a or b) and c");
        assert_eq!(shown("a - (b - c)"), "a - (b - c)");
        assert_eq!(shown("(a - b) - c"), "a - b - c");
        assert_eq!(shown("-(a + b) * 2"), "-(a + b) * 2");
        assert_eq!(
            shown("pe_ttm between 0 and 15 and industry = \"X\""),
            "pe_ttm between 0 and 15 and industry = \"X\""
        );
        assert_eq!(shown("not (a = 1 or b = 2)"), "not (a = 1 or b = 2)");
        assert_eq!(
            shown("yoy(revenue) is not null"),
            "yoy(revenue) is not null"
        );
    }
}
