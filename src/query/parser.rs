//! The pest parser: grammar/finq.pest in, [`ast`](super::ast) out. Pest types stay here.

use super::ast::{Located, ShowWhat, Statement};
use crate::error::{Error, Result};
use pest::Parser;
use pest::iterators::Pair;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "../grammar/finq.pest"]
struct FinqParser;

/// Parses a whole script into statements.
pub fn parse_script(text: &str) -> Result<Vec<Located>> {
    let mut pairs = FinqParser::parse(Rule::script, text).map_err(|e| parse_error(text, e))?;
    let script = pairs.next().into_iter().flat_map(|p| p.into_inner());
    let mut out = Vec::new();
    for pair in script {
        if pair.as_rule() == Rule::EOI {
            break;
        }
        let line = pair.line_col().0;
        let src = pair.as_str().trim().to_string();
        out.push(Located {
            statement: parse_statement(pair)?,
            line,
            text: src,
        });
    }
    Ok(out)
}

fn parse_statement(pair: Pair<Rule>) -> Result<Statement> {
    let rule = pair.as_rule();
    // Keywords are pairs of their own; the parts that carry meaning come after them.
    let mut parts = pair
        .into_inner()
        .filter(|p| !is_keyword(p.as_rule()) || is_show_target(p.as_rule()));
    let mut next = || parts.next().ok_or_else(|| internal(rule));
    match rule {
        Rule::describe => Ok(Statement::Describe {
            symbol: parse_symbol(next()?),
        }),
        Rule::show => {
            let what = match next()?.as_rule() {
                Rule::kw_companies => ShowWhat::Companies,
                Rule::kw_industries => ShowWhat::Industries,
                Rule::kw_sectors => ShowWhat::Sectors,
                Rule::kw_metrics => ShowWhat::Metrics,
                _ => ShowWhat::Screens,
            };
            Ok(Statement::Show(what))
        }
        r => Err(internal(r)),
    }
}

fn parse_symbol(pair: Pair<Rule>) -> String {
    match pair.into_inner().next() {
        Some(p) if p.as_rule() == Rule::string => parse_string(p),
        Some(p) => p.as_str().to_string(),
        None => String::new(),
    }
}

fn parse_string(pair: Pair<Rule>) -> String {
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

fn is_keyword(rule: Rule) -> bool {
    matches!(rule, Rule::kw_describe | Rule::kw_show) || is_show_target(rule)
}

fn is_show_target(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_companies
            | Rule::kw_industries
            | Rule::kw_sectors
            | Rule::kw_metrics
            | Rule::kw_screens
    )
}

fn internal(rule: Rule) -> Error {
    Error::Data(format!("internal parser error near {rule:?}"))
}

/// What a rule is called in a message to a person.
fn rule_name(rule: &Rule) -> &'static str {
    match rule {
        Rule::symbol | Rule::bare_symbol => "a company symbol",
        Rule::string | Rule::string_body => "a quoted string",
        Rule::kw_companies => "'companies'",
        Rule::kw_industries => "'industries'",
        Rule::kw_sectors => "'sectors'",
        Rule::kw_metrics => "'metrics'",
        Rule::kw_screens => "'screens'",
        Rule::describe | Rule::show | Rule::script | Rule::statement => "a statement",
        Rule::kw_describe => "'describe'",
        Rule::kw_show => "'show'",
        Rule::ident_char => "a letter or digit",
        Rule::EOI => "the end of the input",
        Rule::WHITESPACE | Rule::COMMENT => "a space",
    }
}

fn parse_error(text: &str, e: pest::error::Error<Rule>) -> Error {
    use pest::error::{ErrorVariant, LineColLocation};
    let (line, column) = match e.line_col {
        LineColLocation::Pos(p) | LineColLocation::Span(p, _) => p,
    };
    let message = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().map(rule_name).collect();
            names.dedup();
            let found = found_at(text, line, column);
            match names.as_slice() {
                [] => format!("unexpected {found}"),
                [one] => format!("expected {one}, found {found}"),
                many => {
                    let (last, rest) = many.split_last().unwrap_or((&"", &[]));
                    format!("expected {} or {last}, found {found}", rest.join(", "))
                }
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    Error::parse(message, text, line, column)
}

/// Describes the token at a position: `'xyz'` or "the end of the input".
fn found_at(text: &str, line: usize, column: usize) -> String {
    let rest: String = text
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or("")
        .chars()
        .skip(column.saturating_sub(1))
        .collect();
    let word: String = rest
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ';')
        .collect();
    if word.is_empty() {
        if text.lines().count() > line {
            "the end of the line".into()
        } else {
            "the end of the input".into()
        }
    } else {
        format!("'{word}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmts(text: &str) -> Vec<Statement> {
        parse_script(text)
            .unwrap()
            .into_iter()
            .map(|l| l.statement)
            .collect()
    }

    #[test]
    fn statements_split_on_semicolons_and_lines() {
        let s = stmts("describe KC.US; show industries\nSHOW Metrics -- comment\n# another\n;;");
        assert_eq!(
            s,
            [
                Statement::Describe {
                    symbol: "KC.US".into()
                },
                Statement::Show(ShowWhat::Industries),
                Statement::Show(ShowWhat::Metrics)
            ]
        );
        assert!(stmts("").is_empty());
        assert!(stmts("  -- only a comment").is_empty());
    }

    #[test]
    fn symbols_bare_and_quoted() {
        assert_eq!(
            stmts("describe 688316.SH"),
            [Statement::Describe {
                symbol: "688316.SH".into()
            }]
        );
        assert_eq!(
            stmts("describe \"BRK B\""),
            [Statement::Describe {
                symbol: "BRK B".into()
            }]
        );
        assert_eq!(
            stmts("describe\n  KC.US"),
            [Statement::Describe {
                symbol: "KC.US".into()
            }]
        );
    }

    #[test]
    fn keywords_need_a_boundary() {
        assert!(parse_script("showcompanies").is_err());
        assert!(parse_script("show companiesx").is_err());
    }

    #[test]
    fn errors_name_what_was_expected_where() {
        let e = parse_script("show").unwrap_err().to_string();
        assert!(e.contains("line 1, column 5"), "{e}");
        assert!(
            e.contains("expected 'companies', 'industries', 'sectors', 'metrics' or 'screens'"),
            "{e}"
        );
        let e = parse_script("describe KC.US\nshow nothing")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2, column 6"), "{e}");
        assert!(e.contains("found 'nothing'"), "{e}");
        assert!(e.contains("2 | show nothing"), "{e}");
        let e = parse_script("describe").unwrap_err().to_string();
        assert!(
            e.contains("expected a company symbol, found the end of the input"),
            "{e}"
        );
    }
}
