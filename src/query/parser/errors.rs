//! Parse errors in words a person reads: pest reports the rules it expected at a position;
//! this turns them into "expected a condition after 'where', found the end of the input",
//! pointing at the place (one column past the last word when the input simply ended).

use super::{Rule, line_col};
use crate::error::Error;

/// What a rule is called in a message to a person.
fn rule_name(rule: &Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::kw_select
        | Rule::kw_series
        | Rule::kw_describe
        | Rule::kw_show
        | Rule::kw_import
        | Rule::kw_set
        | Rule::kw_delete
        | Rule::kw_define
        | Rule::kw_drop
        | Rule::kw_score
        | Rule::kw_valuation
        | Rule::kw_fscore
        | Rule::kw_explain => "a statement",
        Rule::symbol | Rule::bare_symbol => "a company symbol",
        Rule::string | Rule::string_body => "a quoted string",
        Rule::number | Rule::signed_number => "a number",
        Rule::period => "a period",
        Rule::name | Rule::bare_name | Rule::backticked | Rule::backticked_body => "a name",
        Rule::expr
        | Rule::item_expr
        | Rule::bound
        | Rule::paren
        | Rule::call
        | Rule::metric_at
        | Rule::null
        | Rule::neg
        | Rule::not => "an expression",
        Rule::add
        | Rule::sub
        | Rule::mul
        | Rule::div
        | Rule::eq
        | Rule::ne
        | Rule::lt
        | Rule::le
        | Rule::gt
        | Rule::ge
        | Rule::and
        | Rule::or => "an operator",
        Rule::select
        | Rule::series
        | Rule::describe
        | Rule::show
        | Rule::import
        | Rule::set_point
        | Rule::set_attr
        | Rule::set_metric
        | Rule::describe_metric
        | Rule::delete
        | Rule::define_metric
        | Rule::define_screen
        | Rule::run_screen
        | Rule::drop
        | Rule::explain
        | Rule::statement
        | Rule::script => "a statement",
        Rule::kw_companies | Rule::show_companies | Rule::from_companies => "'companies'",
        Rule::kw_industries => "'industries'",
        Rule::kw_sectors => "'sectors'",
        Rule::kw_metrics => "'metrics'",
        Rule::kw_screens => "'screens'",
        Rule::kw_latest => "'latest'",
        Rule::kw_of => "'of'",
        Rule::kw_as => "'as'",
        Rule::kw_by => "'by'",
        Rule::kw_and => "'and'",
        Rule::kw_metric => "'metric'",
        Rule::kw_screen | Rule::from_screen => "'screen'",
        Rule::kw_industry | Rule::from_industry => "'industry'",
        Rule::kw_sector | Rule::from_sector => "'sector'",
        Rule::kw_peers => "a statement",
        Rule::from_peers => "'peers of'",
        Rule::kw_asc | Rule::kw_desc | Rule::direction => "'asc' or 'desc'",
        Rule::kw_within | Rule::within => "'within'",
        Rule::kw_higher | Rule::kw_lower => "'higher' or 'lower'",
        Rule::kw_years => "'years'",
        Rule::kw_over => "'over'",
        Rule::kw_kind => "'kind'",
        Rule::kw_unit => "'unit'",
        Rule::kw_direction => "'direction'",
        Rule::word => "a word",
        Rule::series_kind => "a kind of period (fy, h, q or day)",
        Rule::EOI => "the end of the statement",
        Rule::items | Rule::item => "a metric or expression",
        _ => return None,
    })
}

/// What must follow a keyword, for "expected X after 'where'" messages.
fn after_keyword(word: &str) -> Option<&'static str> {
    Some(match word.to_ascii_lowercase().as_str() {
        "where" => "a condition",
        "select" => "a metric or expression to select",
        "by" => "an expression",
        "limit" => "a whole number",
        "at" => "a period (2024, 2024Q3, 2024-06-30) or 'latest'",
        "of" => "a company symbol",
        "kind" => "a kind of period (fy, h, q or day)",
        "unit" => "a unit (money, percent, ratio, count or score)",
        "direction" => "a direction (higher, lower or none)",
        "from" => "companies, industry \"...\", sector \"...\", peers of SYMBOL or screen NAME",
        "describe" => "a company symbol",
        "and" | "or" | "not" => "an expression",
        "import" => "a quoted file path",
        "as" => "a name",
        "show" => "companies, industries, sectors, metrics or screens",
        "score" | "fscore" | "valuation" => "a company symbol",
        "over" => "a whole number of years",
        _ => return None,
    })
}

pub(super) fn parse_error(text: &str, e: pest::error::Error<Rule>) -> Error {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) | InputLocation::Span((p, _)) => p,
    };
    let (mut line, mut column) = line_col(text, pos);
    if text[text.floor_char_boundary(pos)..].trim().is_empty() {
        // At the end of the input, point one column past the last word (where the missing
        // token would go), not at an empty last line.
        let end = text[..text.floor_char_boundary(pos)].trim_end().len();
        (line, column) = line_col(text, end);
        column += 1;
    }
    let found = found_at(text, pos);
    let previous = previous_word(text, pos);
    if let Some(message) = clause_out_of_order(text, pos) {
        return Error::parse(message, line, column);
    }
    let message = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            // `screen NAME` may start the next statement, but offering it mid-statement
            // only confuses.
            let mut names: Vec<&str> = positives
                .iter()
                .filter(|r| **r != Rule::kw_screen)
                .filter_map(rule_name)
                .collect();
            names.sort_unstable();
            names.dedup();
            // Where a new statement may start, that is what is missing.
            if names.contains(&"a statement") {
                names = vec!["a statement"];
            }
            match (
                previous.as_deref().and_then(after_keyword),
                names.as_slice(),
            ) {
                (Some(what), _) if !names.contains(&"an operator") || names.len() == 1 => {
                    format!(
                        "expected {what} after '{}', found {found}",
                        previous.unwrap_or_default()
                    )
                }
                (_, []) => format!("unexpected {found}"),
                (_, [one]) => format!("expected {one}, found {found}"),
                (_, many) => {
                    let (last, rest) = many.split_last().unwrap_or((&"", &[]));
                    format!("expected {} or {last}, found {found}", rest.join(", "))
                }
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    Error::parse(message, line, column)
}

/// A select's clauses, in the order the grammar takes them.
const CLAUSE_ORDER: [&str; 7] = ["from", "where", "at", "by", "rank", "order", "limit"];

/// "'where' must come before 'at'" when the word at `pos` starts a select clause that
/// belongs before one the statement already has (`select roe at 2014 where ...`).
fn clause_out_of_order(text: &str, pos: usize) -> Option<String> {
    let pos = text.floor_char_boundary(pos);
    let word = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<String>()
            .to_lowercase()
    };
    let here = word(&text[pos..]);
    let here_index = CLAUSE_ORDER.iter().position(|c| *c == here)?;
    // The words of this statement so far, outside strings and backticks.
    let before = &text[..pos];
    let statement = before.rfind(';').map_or(0, |i| i + 1);
    let start = statement + before[statement..].to_lowercase().rfind("select")?;
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in before[start..].chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '`' => {
                quote = Some(c);
                words.push(std::mem::take(&mut current));
            }
            None if c.is_alphanumeric() || c == '_' => current.push(c.to_ascii_lowercase()),
            None => words.push(std::mem::take(&mut current)),
        }
    }
    words.push(current);
    words.retain(|w| !w.is_empty());
    let mut later: Option<usize> = None;
    for (i, w) in words.iter().enumerate() {
        // `rank by` and `order by` are one clause.
        if w == "by" && i > 0 && (words[i - 1] == "rank" || words[i - 1] == "order") {
            continue;
        }
        if let Some(j) = CLAUSE_ORDER.iter().position(|c| c == w)
            && j > here_index
        {
            later = Some(later.map_or(j, |l: usize| l.min(j)));
        }
    }
    later.map(|j| format!("'{here}' must come before '{}'", CLAUSE_ORDER[j]))
}

/// The word just before a byte offset, skipping whitespace.
fn previous_word(text: &str, pos: usize) -> Option<String> {
    let before = text[..text.floor_char_boundary(pos)].trim_end();
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Describes the token at a byte offset: `'xyz'` or "the end of the input".
fn found_at(text: &str, pos: usize) -> String {
    let rest = &text[text.floor_char_boundary(pos)..];
    let word: String = rest
        .trim_start_matches([' ', '\t', '\r'])
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ';')
        .take(24)
        .collect();
    if word.is_empty() {
        if rest.trim().is_empty() {
            "the end of the input".into()
        } else {
            "the end of the line".into()
        }
    } else {
        format!("'{word}'")
    }
}
