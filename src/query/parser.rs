//! The pest parser: grammar/finq.pest in, [`ast`](super::ast) out. Pest types stay here.
//!
//! Before pest sees a script, [`check_nesting`] bounds its depth and finds unclosed strings
//! and parentheses with the [`lexer`](super::lexer), which pest alone would only report as
//! an unexpected end. After pest succeeds, one function per rule (`statement`, `select`,
//! `expr`, ...) turns its pairs into AST values; pest's failures become messages a person
//! reads in [`errors`].

mod errors;
#[cfg(test)]
mod tests;

use super::ast::*;
use super::lexer::{self, Kind};
pub use crate::error::line_col;
use crate::error::{Error, Result};
use crate::model::number::parse_number;
use crate::model::{Direction, Period, PeriodKind};
use errors::parse_error;
use pest::Parser;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest_derive::Parser;
use std::sync::OnceLock;

#[derive(Parser)]
#[grammar = "../grammar/finq.pest"]
struct FinqParser;

/// Deepest nesting of parentheses and prefix operators a statement may have. Parsing and
/// evaluation recurse on nesting, so it is bounded before pest ever sees the text.
pub const MAX_NESTING: usize = 64;
/// Most operands one expression may have: evaluation recurses on the tree it builds.
pub const MAX_OPERANDS: usize = 1000;

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::or, Assoc::Left))
            .op(Op::infix(Rule::and, Assoc::Left))
            .op(Op::prefix(Rule::not))
            .op(Op::infix(Rule::eq, Assoc::Left)
                | Op::infix(Rule::ne, Assoc::Left)
                | Op::infix(Rule::lt, Assoc::Left)
                | Op::infix(Rule::le, Assoc::Left)
                | Op::infix(Rule::gt, Assoc::Left)
                | Op::infix(Rule::ge, Assoc::Left))
            .op(Op::postfix(Rule::is_null)
                | Op::postfix(Rule::is_not_null)
                | Op::postfix(Rule::in_list)
                | Op::postfix(Rule::not_in_list)
                | Op::postfix(Rule::between)
                | Op::postfix(Rule::not_between)
                | Op::postfix(Rule::like)
                | Op::postfix(Rule::not_like))
            .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
            .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left))
            .op(Op::prefix(Rule::neg))
    })
}

/// Parses a whole script into statements.
pub fn parse_script(text: &str) -> Result<Vec<Located>> {
    check_nesting(text)?;
    let mut pairs = FinqParser::parse(Rule::script, text).map_err(|e| parse_error(text, e))?;
    let script = pairs.next().into_iter().flat_map(|p| p.into_inner());
    let mut out = Vec::new();
    for pair in script {
        if pair.as_rule() == Rule::EOI {
            break;
        }
        let line = pair.line_col().0;
        let src = trimmed(&pair).to_string();
        let pos = pair.as_span().start();
        out.push(Located {
            statement: statement(pair, text)?,
            line,
            pos,
            text: src,
        });
    }
    Ok(out)
}

/// Parses one expression on its own (a computed metric's stored definition).
pub fn parse_expression(text: &str) -> Result<Expr> {
    check_nesting(text)?;
    let mut pairs = FinqParser::parse(Rule::expr, text).map_err(|e| parse_error(text, e))?;
    let pair = pairs.next().ok_or_else(|| internal(Rule::expr))?;
    if pair.as_str().len() != text.trim().len() {
        return Err(Error::parse(
            "unexpected text after the expression",
            1,
            pair.as_str().len() + 1,
        ));
    }
    expr(pair, text)
}

/// Rejects nesting deeper than [`MAX_NESTING`], and parentheses or strings that are never
/// closed, with the place it happens (pest would only report what it expected instead).
/// Runs of prefix operators (`- - -x`, `not not x`) nest like parentheses and are bounded
/// too; their error comes last, after those of strings and parentheses, wherever it is.
fn check_nesting(text: &str) -> Result<()> {
    let at = |pos: usize, message: String| {
        let (line, column) = line_col(text, pos);
        Err(Error::parse(message, line, column))
    };
    let mut opens: Vec<usize> = Vec::new();
    let mut prefix_run = 0usize;
    let mut too_many_prefixes = None;
    // Inside the parentheses of `define scorecard NAME (...)` a `;` separates dimensions;
    // anywhere else it ends the statement. `last` holds the three tokens before each one.
    let mut last: [&str; 3] = [""; 3];
    let mut in_card = false;
    for t in lexer::tokens(text) {
        if t.kind == Kind::Comment {
            continue;
        }
        let previous = last;
        last = [last[1], last[2], t.text(text)];
        if let Kind::Str { closed: false } = t.kind {
            return at(
                t.start,
                "this string is never closed (a '\"' is missing)".into(),
            );
        }
        let word = t.text(text);
        if word == "-" || (t.kind == Kind::Word && word.eq_ignore_ascii_case("not")) {
            prefix_run += 1;
            if prefix_run > MAX_NESTING && too_many_prefixes.is_none() {
                too_many_prefixes = Some(t.start);
            }
        } else {
            prefix_run = 0;
        }
        if t.kind != Kind::Punct {
            continue;
        }
        match word {
            "(" => {
                if opens.is_empty() {
                    in_card = is_scorecard(&previous);
                }
                opens.push(t.start)
            }
            ")" => {
                opens.pop();
            }
            ";" => match opens.last() {
                Some(_) if in_card => {}
                Some(&open) => return at(open, "this parenthesis is never closed".into()),
                None => {}
            },
            _ => {}
        }
        if opens.len() > MAX_NESTING {
            return at(
                t.start,
                format!("expressions nest deeper than {MAX_NESTING} levels"),
            );
        }
    }
    if let Some(&open) = opens.last() {
        return at(open, "this parenthesis is never closed".into());
    }
    if let Some(pos) = too_many_prefixes {
        return at(
            pos,
            format!("more than {MAX_NESTING} prefix operators in a row"),
        );
    }
    Ok(())
}

/// Whether three tokens are `define scorecard NAME`.
fn is_scorecard(tokens: &[&str; 3]) -> bool {
    tokens[0].eq_ignore_ascii_case("define") && tokens[1].eq_ignore_ascii_case("scorecard")
}

fn statement(pair: Pair<Rule>, text: &str) -> Result<Statement> {
    let rule = pair.as_rule();
    let source = trimmed(&pair);
    let mut parts = Parts::new(pair);
    Ok(match rule {
        Rule::select => Statement::Select(Box::new(select(parts.inner, text)?)),
        Rule::explain => {
            parts.next(rule)?; // `explain`
            Statement::Explain(Box::new(statement(parts.next(rule)?, text)?))
        }
        Rule::series => {
            let mut metrics = Vec::new();
            let mut symbol_text = Spanned {
                name: String::new(),
                pos: 0,
            };
            let (mut from, mut to, mut kind) = (None, None, None);
            // Periods follow `from` or `to`; the keyword pairs say which.
            let mut after_from = false;
            for p in parts.inner {
                match p.as_rule() {
                    Rule::name => metrics.push(spanned(p)),
                    Rule::symbol => {
                        symbol_text = symbol(p);
                        after_from = true;
                    }
                    Rule::kw_to => after_from = false,
                    Rule::period if after_from => from = Some(period(&p, text)?),
                    Rule::period => to = Some(period(&p, text)?),
                    Rule::series_kind => {
                        kind = Some(match p.as_str().to_ascii_lowercase().as_str() {
                            "fy" => PeriodKind::Year,
                            "h" => PeriodKind::Half,
                            "q" => PeriodKind::Quarter,
                            _ => PeriodKind::Day,
                        })
                    }
                    _ => {}
                }
            }
            Statement::Series {
                metrics,
                symbol: symbol_text,
                from,
                to,
                kind,
            }
        }
        Rule::describe => Statement::Describe {
            symbol: symbol(parts.next(rule)?),
        },
        Rule::show => {
            let what = parts.next(rule)?;
            Statement::Show(match what.as_rule() {
                Rule::show_companies => {
                    let filter = match what
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::where_clause)
                    {
                        Some(w) => Some(expr(Parts::new(w).next(Rule::where_clause)?, text)?),
                        None => None,
                    };
                    ShowWhat::Companies(filter)
                }
                Rule::kw_industries => ShowWhat::Industries,
                Rule::kw_sectors => ShowWhat::Sectors,
                Rule::kw_metrics => ShowWhat::Metrics,
                Rule::kw_scorecards => ShowWhat::Scorecards,
                Rule::kw_currencies => ShowWhat::Currencies,
                _ => ShowWhat::Screens,
            })
        }
        Rule::import => Statement::Import {
            path: string(parts.next(rule)?),
        },
        Rule::export_select => {
            parts.next(rule)?; // `export`
            let select = select(Parts::new(parts.next(rule)?).inner, text)?;
            parts.next(rule)?; // `to`
            Statement::Export {
                select: Box::new(select),
                path: string(parts.next(rule)?),
            }
        }
        Rule::set_point => {
            let symbol_text = symbol(parts.next(rule)?);
            let metric = spanned(parts.next(rule)?);
            let mut period_value = None;
            let mut value = 0.0;
            for p in parts.inner {
                match p.as_rule() {
                    Rule::period => period_value = Some(period(&p, text)?),
                    Rule::signed_number => value = signed_number(&p, text)?,
                    _ => {}
                }
            }
            Statement::SetPoint {
                symbol: symbol_text,
                metric,
                period: period_value,
                value,
            }
        }
        Rule::set_attr => Statement::SetAttr {
            symbol: symbol(parts.next(rule)?),
            attr: spanned(parts.next(rule)?),
            value: string(parts.next(rule)?),
        },
        Rule::delete => {
            let symbol_text = symbol(parts.next(rule)?);
            let metric = parts.inner.next().map(spanned);
            let period_value = match parts.inner.next() {
                Some(p) => Some(period(&p, text)?),
                None => None,
            };
            Statement::Delete {
                symbol: symbol_text,
                metric,
                period: period_value,
            }
        }
        Rule::define_metric => {
            parts.next(rule)?; // `metric`
            let name = spanned(parts.next(rule)?);
            let e = parts.next(rule)?;
            let src = trimmed(&e).to_string();
            let e = expr(e, text)?;
            let (mut direction, mut unit) = (None, None);
            for p in parts.inner {
                match p.as_rule() {
                    Rule::kw_lower => direction = Some(Direction::Lower),
                    Rule::kw_higher => direction = Some(Direction::Higher),
                    Rule::word => unit = Some(word(p)),
                    _ => {}
                }
            }
            Statement::DefineMetric {
                name,
                expr: e,
                text: src,
                direction,
                unit,
            }
        }
        Rule::describe_metric => {
            parts.next(rule)?; // `metric`
            Statement::DescribeMetric {
                name: spanned(parts.next(rule)?),
            }
        }
        Rule::set_base => {
            parts.next(rule)?; // `base`
            parts.next(rule)?; // `currency`
            let p = parts.next(rule)?;
            let pos = p.as_span().start();
            Statement::SetBase {
                code: Spanned {
                    name: string(p),
                    pos,
                },
            }
        }
        Rule::set_metric => {
            parts.next(rule)?; // `metric`
            let name = spanned(parts.next(rule)?);
            let what = parts.next(rule)?.as_rule();
            let value = word(parts.next(rule)?);
            Statement::SetMetric {
                name,
                change: match what {
                    Rule::kw_unit => MetricChange::Unit(value),
                    _ => MetricChange::Direction(value),
                },
            }
        }
        Rule::define_screen => {
            parts.next(rule)?; // `screen`
            let name = spanned(parts.next(rule)?);
            let s = parts.next(rule)?;
            let src = trimmed(&s).to_string();
            Statement::DefineScreen {
                name,
                select: Box::new(select(Parts::new(s).inner, text)?),
                text: src,
            }
        }
        Rule::run_screen => {
            parts.next(rule)?; // `screen`
            Statement::RunScreen {
                name: spanned(parts.next(rule)?),
            }
        }
        Rule::define_scorecard => {
            parts.next(rule)?; // `scorecard`
            let name = spanned(parts.next(rule)?);
            let mut dimensions = Vec::new();
            for d in parts.inner.by_ref() {
                let mut inner = Parts::new(d);
                let dim_name = spanned(inner.next(rule)?);
                let mut indicators = Vec::new();
                for ind in inner.inner {
                    let mut p = Parts::new(ind);
                    let metric = spanned(p.next(rule)?);
                    let weight = match p.inner.next() {
                        Some(w) => Some(number(&w, text)?),
                        None => None,
                    };
                    indicators.push((metric, weight));
                }
                dimensions.push(CardDimensionSpec {
                    name: dim_name,
                    indicators,
                });
            }
            Statement::DefineScorecard {
                name,
                dimensions,
                text: source.to_string(),
            }
        }
        Rule::compare => {
            let (mut symbols, mut metrics, mut at) = (Vec::new(), Vec::new(), None);
            for p in parts.inner.by_ref() {
                match p.as_rule() {
                    Rule::symbol => symbols.push(symbol(p)),
                    Rule::period => at = Some(period(&p, text)?),
                    _ => metrics.push(spanned(p)),
                }
            }
            Statement::Compare {
                symbols,
                metrics,
                at,
            }
        }
        Rule::drop => {
            let kind = match parts.next(rule)?.as_rule() {
                Rule::kw_metric => DefKind::Metric,
                Rule::kw_scorecard => DefKind::Scorecard,
                _ => DefKind::Screen,
            };
            Statement::Drop {
                kind,
                name: spanned(parts.next(rule)?),
            }
        }
        Rule::score_card | Rule::fscore_card => {
            let symbol_text = symbol(parts.next(rule)?);
            let (mut at, mut card) = (None, None);
            for p in parts.inner.by_ref() {
                match p.as_rule() {
                    Rule::using => card = Some(using(p, rule)?),
                    _ => at = Some(period(&p, text)?),
                }
            }
            if rule == Rule::score_card {
                Statement::Score {
                    symbol: symbol_text,
                    at,
                    card,
                }
            } else {
                Statement::FScore {
                    symbol: symbol_text,
                    at,
                }
            }
        }
        Rule::peer_table => {
            let symbol_text = symbol(parts.next(rule)?);
            let (mut at, mut limit, mut card) = (None, None, None);
            for p in parts.inner.by_ref() {
                match p.as_rule() {
                    Rule::period => at = Some(period(&p, text)?),
                    Rule::using => card = Some(using(p, rule)?),
                    _ => limit = Some(whole(&p, text, "limit")?),
                }
            }
            Statement::Peers {
                symbol: symbol_text,
                at,
                limit,
                card,
            }
        }
        Rule::valuation => {
            let symbol_text = symbol(parts.next(rule)?);
            let years = match parts.inner.next() {
                Some(p) => whole(&p, text, "over")?.max(1),
                None => 5,
            };
            Statement::Valuation {
                symbol: symbol_text,
                years,
            }
        }
        r => return Err(internal(r)),
    })
}

/// `using NAME`: the scorecard's name.
fn using(p: Pair<Rule>, rule: Rule) -> Result<Spanned> {
    let mut inner = p.into_inner().filter(|p| p.as_rule() == Rule::name);
    inner.next().map(spanned).ok_or_else(|| internal(rule))
}

/// A pair's text without the whitespace and comments that optional clauses which did not
/// match may have skipped after its last token.
fn trimmed<'a>(pair: &Pair<'a, Rule>) -> &'a str {
    let s = pair.as_str();
    &s[..lexer::end_of_code(s)]
}

/// A whole number after a keyword (`limit 10`, `over 3 years`).
fn whole(p: &Pair<Rule>, text: &str, after: &str) -> Result<usize> {
    let v = parse_number(p.as_str()).unwrap_or(-1.0);
    if v < 0.0 || v.fract() != 0.0 || v > 1e12 {
        let (line, column) = line_col(text, p.as_span().start());
        return Err(Error::parse(
            format!("expected a whole number after '{after}'"),
            line,
            column,
        ));
    }
    Ok(v as usize)
}

/// The meaningful children of a pair: keywords are pairs of their own in this grammar, but
/// only those that select a variant carry meaning, so the others are skipped.
type KeptPairs<'a> = std::iter::Filter<Pairs<'a, Rule>, fn(&Pair<'a, Rule>) -> bool>;

struct Parts<'a> {
    inner: KeptPairs<'a>,
}

impl<'a> Parts<'a> {
    fn new(pair: Pair<'a, Rule>) -> Parts<'a> {
        fn keep(p: &Pair<Rule>) -> bool {
            !matches!(
                p.as_rule(),
                Rule::kw_select
                    | Rule::kw_from
                    | Rule::kw_where
                    | Rule::kw_at
                    | Rule::kw_by
                    | Rule::kw_rank
                    | Rule::kw_order
                    | Rule::kw_limit
                    | Rule::kw_within
                    | Rule::kw_as
                    | Rule::kw_of
                    | Rule::kw_describe
                    | Rule::kw_show
                    | Rule::kw_series
                    | Rule::kw_import
                    | Rule::kw_set
                    | Rule::kw_delete
                    | Rule::kw_define
                    | Rule::kw_drop
                    | Rule::kw_peers
                    | Rule::kw_in
                    | Rule::kw_is
                    | Rule::kw_between
                    | Rule::kw_like
                    | Rule::kw_and
                    | Rule::kw_score
                    | Rule::kw_valuation
                    | Rule::kw_fscore
                    | Rule::kw_over
                    | Rule::kw_years
                    | Rule::kw_compare
                    | Rule::kw_on
                    | Rule::kw_weight
            )
        }
        Parts {
            inner: pair
                .into_inner()
                .filter(keep as fn(&Pair<'a, Rule>) -> bool),
        }
    }

    fn next(&mut self, rule: Rule) -> Result<Pair<'a, Rule>> {
        self.inner.next().ok_or_else(|| internal(rule))
    }
}

fn select<'a>(parts: impl Iterator<Item = Pair<'a, Rule>>, text: &str) -> Result<Select> {
    let mut s = Select {
        items: Vec::new(),
        from: Source::Companies,
        filter: None,
        at: None,
        by: Vec::new(),
        rank: None,
        order: Vec::new(),
        limit: None,
        limit_per: None,
    };
    for clause in parts {
        let rule = clause.as_rule();
        match rule {
            Rule::kw_select => {}
            Rule::items => {
                for item_pair in clause.into_inner() {
                    s.items.push(item(item_pair, text)?);
                }
            }
            Rule::from_clause => {
                let src = Parts::new(clause).next(rule)?;
                s.from = match src.as_rule() {
                    Rule::from_companies => Source::Companies,
                    Rule::from_industry => Source::Industry(quoted_part(src, rule)?),
                    Rule::from_sector => Source::Sector(quoted_part(src, rule)?),
                    Rule::from_peers => Source::Peers(symbol(Parts::new(src).next(rule)?)),
                    _ => {
                        let mut p = Parts::new(src);
                        let mut n = p.next(rule)?;
                        if n.as_rule() == Rule::kw_screen {
                            n = p.next(rule)?;
                        }
                        Source::Screen(spanned(n))
                    }
                };
            }
            Rule::where_clause => s.filter = Some(expr(Parts::new(clause).next(rule)?, text)?),
            Rule::at_clause => {
                let p = Parts::new(clause).next(rule)?;
                s.at = match p.as_rule() {
                    Rule::period => Some(period(&p, text)?),
                    _ => None,
                };
            }
            Rule::by_clause => {
                for e in Parts::new(clause).inner {
                    let t = lexer::collapse(e.as_str());
                    s.by.push(Item {
                        expr: expr(e, text)?,
                        alias: None,
                        text: t,
                    });
                }
            }
            Rule::rank_clause => {
                let mut rank = Rank {
                    by: None,
                    order: None,
                    within: None,
                };
                for p in Parts::new(clause).inner {
                    match p.as_rule() {
                        Rule::expr => rank.by = Some(expr(p, text)?),
                        Rule::direction => rank.order = Some(direction(p)),
                        Rule::within => {
                            rank.within = Some(match Parts::new(p).next(rule)?.as_rule() {
                                Rule::kw_sector => Group::Sector,
                                _ => Group::Industry,
                            })
                        }
                        _ => {}
                    }
                }
                s.rank = Some(rank);
            }
            Rule::order_clause => {
                for key in Parts::new(clause).inner {
                    let mut kp = Parts::new(key);
                    let e = expr(kp.next(rule)?, text)?;
                    let d = kp.inner.next().map(direction);
                    s.order.push((e, d));
                }
            }
            Rule::limit_clause => {
                let mut parts = Parts::new(clause);
                s.limit = Some(whole(&parts.next(rule)?, text, "limit")?);
                if let Some(per) = parts.inner.next() {
                    let sector = per.into_inner().any(|p| p.as_rule() == Rule::kw_sector);
                    s.limit_per = Some(if sector {
                        Group::Sector
                    } else {
                        Group::Industry
                    });
                }
            }
            r => return Err(internal(r)),
        }
    }
    Ok(s)
}

/// The string inside a clause such as `industry "X"`.
/// The string inside a clause (`industry "X"`), with where it starts.
fn quoted_part(pair: Pair<Rule>, rule: Rule) -> Result<Spanned> {
    let p = pair.into_inner().find(|p| p.as_rule() == Rule::string);
    p.map(|p| Spanned {
        pos: p.as_span().start(),
        name: string(p),
    })
    .ok_or_else(|| internal(rule))
}

fn direction(p: Pair<Rule>) -> Order {
    match p.into_inner().next().map(|k| k.as_rule()) {
        Some(Rule::kw_desc) => Order::Desc,
        _ => Order::Asc,
    }
}

fn item(pair: Pair<Rule>, text: &str) -> Result<Item> {
    let mut parts = Parts::new(pair);
    let e = parts.next(Rule::item)?;
    let t = lexer::collapse(e.as_str());
    let e = expr(e, text)?;
    let alias = parts.inner.next().map(|n| spanned(n).name);
    Ok(Item {
        expr: e,
        alias,
        text: t,
    })
}

/// Builds an expression from an `expr`, `item_expr` or `bound` pair with the Pratt parser.
fn expr(pair: Pair<Rule>, text: &str) -> Result<Expr> {
    let inner = pair.into_inner();
    if inner.clone().count() > 2 * MAX_OPERANDS {
        let p = inner.clone().next().map_or(0, |p| p.as_span().start());
        let (line, column) = line_col(text, p);
        return Err(Error::parse(
            format!("expression has more than {MAX_OPERANDS} operands"),
            line,
            column,
        ));
    }
    pratt()
        .map_primary(|p| primary(p, text))
        .map_prefix(|op, rhs| {
            let rhs = Box::new(rhs?);
            Ok(match op.as_rule() {
                Rule::neg => Expr::Neg(rhs),
                _ => Expr::Not(rhs),
            })
        })
        .map_postfix(|lhs, op| {
            let lhs = Box::new(lhs?);
            let rule = op.as_rule();
            let mut args = Parts::new(op).inner.filter(|p| p.as_rule() != Rule::kw_not);
            Ok(match rule {
                Rule::is_null => Expr::IsNull(lhs, false),
                Rule::is_not_null => Expr::IsNull(lhs, true),
                Rule::in_list | Rule::not_in_list => {
                    let list = args.map(|p| expr(p, text)).collect::<Result<Vec<_>>>()?;
                    Expr::InList(lhs, list, rule == Rule::not_in_list)
                }
                Rule::between | Rule::not_between => {
                    let lo = expr(args.next().ok_or_else(|| internal(rule))?, text)?;
                    let hi = expr(args.next().ok_or_else(|| internal(rule))?, text)?;
                    Expr::Between(lhs, Box::new(lo), Box::new(hi), rule == Rule::not_between)
                }
                _ => {
                    let pattern = string(args.next().ok_or_else(|| internal(rule))?);
                    Expr::Like(lhs, pattern, rule == Rule::not_like)
                }
            })
        })
        .map_infix(|lhs, op, rhs| {
            let op = match op.as_rule() {
                Rule::add => BinOp::Add,
                Rule::sub => BinOp::Sub,
                Rule::mul => BinOp::Mul,
                Rule::div => BinOp::Div,
                Rule::eq => BinOp::Eq,
                Rule::ne => BinOp::Ne,
                Rule::lt => BinOp::Lt,
                Rule::le => BinOp::Le,
                Rule::gt => BinOp::Gt,
                Rule::ge => BinOp::Ge,
                Rule::and => BinOp::And,
                _ => BinOp::Or,
            };
            Ok(Expr::Binary(op, Box::new(lhs?), Box::new(rhs?)))
        })
        .parse(inner)
}

fn primary(p: Pair<Rule>, text: &str) -> Result<Expr> {
    let rule = p.as_rule();
    Ok(match rule {
        Rule::number => Expr::Number(number(&p, text)?),
        Rule::string => Expr::Text(string(p)),
        Rule::null => Expr::Null,
        Rule::name => Expr::Name(spanned(p)),
        Rule::paren => expr(Parts::new(p).next(rule)?, text)?,
        Rule::metric_at => {
            let mut parts = Parts::new(p);
            let n = spanned(parts.next(rule)?);
            let per = period(&parts.next(rule)?, text)?;
            Expr::At(n, per)
        }
        Rule::call => {
            let mut parts = Parts::new(p);
            let n = spanned(parts.next(rule)?);
            let args = parts
                .inner
                .map(|a| expr(a, text))
                .collect::<Result<Vec<_>>>()?;
            Expr::Call(n, args)
        }
        Rule::expr | Rule::item_expr | Rule::bound => expr(p, text)?,
        r => return Err(internal(r)),
    })
}

fn number(p: &Pair<Rule>, text: &str) -> Result<f64> {
    parse_number(p.as_str()).ok_or_else(|| {
        let (line, column) = line_col(text, p.as_span().start());
        Error::parse(
            format!("'{}' is not a number finq can hold", p.as_str()),
            line,
            column,
        )
    })
}

fn signed_number(p: &Pair<Rule>, text: &str) -> Result<f64> {
    let n = p
        .clone()
        .into_inner()
        .next()
        .ok_or_else(|| internal(Rule::signed_number))?;
    let v = number(&n, text)?;
    Ok(if p.as_str().trim_start().starts_with('-') {
        -v
    } else {
        v
    })
}

fn period(p: &Pair<Rule>, text: &str) -> Result<Period> {
    Period::parse(p.as_str()).ok_or_else(|| {
        let (line, column) = line_col(text, p.as_span().start());
        Error::parse(
            format!(
                "'{}' is not a period (write 2024, 2024H1, 2024Q3 or 2024-06-30)",
                p.as_str()
            ),
            line,
            column,
        )
    })
}

fn spanned(p: Pair<Rule>) -> Spanned {
    let pos = p.as_span().start();
    let name = match p.clone().into_inner().next() {
        Some(b) if b.as_rule() == Rule::backticked => b
            .into_inner()
            .next()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default(),
        Some(b) => b.as_str().to_string(),
        None => p.as_str().to_string(),
    };
    Spanned { name, pos }
}

/// A bare word, with where it starts.
fn word(p: Pair<Rule>) -> Spanned {
    Spanned {
        pos: p.as_span().start(),
        name: p.as_str().to_string(),
    }
}

/// A company symbol as written (quotes removed), with where it starts.
fn symbol(pair: Pair<Rule>) -> Spanned {
    let pos = pair.as_span().start();
    let name = match pair.into_inner().next() {
        Some(p) if p.as_rule() == Rule::string => string(p),
        Some(p) => p.as_str().to_string(),
        None => String::new(),
    };
    Spanned { name, pos }
}

fn string(pair: Pair<Rule>) -> String {
    let body = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn internal(rule: Rule) -> Error {
    Error::Data(format!("internal parser error near {rule:?}"))
}
