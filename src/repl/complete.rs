//! Tab completion that knows where the cursor is: a statement keyword at the start, a
//! symbol after `describe`, a quoted industry after `from industry`, a metric, function or
//! clause word inside a `select`, a meta command's argument after it.
//!
//! The words offered come from the registry (statements, clause words, functions,
//! computed columns, meta commands) and from the database ([`Names`]); what may follow
//! which word is decided here, and a test checks it against the registry's syntax lines.

use super::help::HELP_TOPICS;
use super::names::Names;
use crate::query::lexer::{self, Kind, Token, is_bare_name, is_bare_symbol, is_symbol_char};
use crate::query::registry::{self, CLAUSE_WORDS, COLUMNS, FUNCTIONS, META_COMMANDS};
use rustyline::completion::Pair;

/// What may come at the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Statement,
    /// A statement after `explain` (which does not nest).
    Explained,
    Symbol,
    /// A symbol, or the word `metric` (`describe`, `set`).
    SymbolOrMetric,
    /// Any metric of the catalog.
    Metric,
    Industry,
    Sector,
    Screen,
    ComputedMetric,
    Words(&'static [&'static str]),
    File,
    /// The metrics of `series`, then `of`.
    SeriesMetric,
    /// Names, functions and clause words.
    General,
    Nothing,
}

/// Decides what may follow the tokens `prev` of the current statement.
fn want(text: &str, prev: &[Token]) -> Want {
    let word = |t: &Token| t.text(text).to_ascii_lowercase();
    let words: Vec<String> = prev.iter().map(word).collect();
    let n = words.len();
    let Some(last) = words.last() else {
        return Want::Statement;
    };
    let first = words[0].as_str();
    if first == "explain" {
        return match want(text, &prev[1..]) {
            Want::Statement => Want::Explained,
            w => w,
        };
    }
    let before = |k: usize| -> &str { n.checked_sub(k + 1).map_or("", |i| words[i].as_str()) };
    match last.as_str() {
        "industry" if before(1) == "from" => return Want::Industry,
        "sector" if before(1) == "from" => return Want::Sector,
        "=" | "!=" | "<>" | "like" if before(1) == "industry" => return Want::Industry,
        "=" | "!=" | "<>" | "like" if before(1) == "sector" => return Want::Sector,
        "(" if before(1) == "in" && before(2) == "industry" => return Want::Industry,
        "(" if before(1) == "in" && before(2) == "sector" => return Want::Sector,
        "of" => return Want::Symbol,
        "export" if n == 1 => return Want::Words(&["("]),
        "(" if n == 2 && first == "export" => return Want::Words(&["select"]),
        "describe" | "set" if n == 1 => return Want::SymbolOrMetric,
        "score" | "valuation" | "fscore" | "delete" | "compare" if n == 1 => return Want::Symbol,
        "," if first == "compare" && !words.iter().any(|w| w == "on") => return Want::Symbol,
        "on" | "," if first == "compare" => return Want::Metric,
        "using" | "scorecard" => return Want::Nothing,
        "metric" if n == 2 && matches!(first, "describe" | "set") => return Want::Metric,
        "unit" => return Want::Words(&["money", "percent", "ratio", "count", "score"]),
        "direction" => return Want::Words(&["higher", "lower", "none"]),
        "screen" if n == 1 || before(1) == "from" => return Want::Screen,
        "metric" if before(1) == "drop" => return Want::ComputedMetric,
        "screen" | "metric" if before(1) == "define" => return Want::Nothing,
        "peers" if n == 1 || before(1) == "from" => return Want::Words(&["of"]),
        "show" if n == 1 => {
            return Want::Words(&[
                "companies",
                "industries",
                "sectors",
                "metrics",
                "screens",
                "scorecards",
                "currencies",
            ]);
        }
        "drop" | "define" if n == 1 => return Want::Words(&["metric", "screen", "scorecard"]),
        "within" => return Want::Words(&["industry", "sector"]),
        "order" => return Want::Words(&["by"]),
        "rank" if first == "select" => {
            return Want::Words(&["by", "asc", "desc", "within", "order", "limit"]);
        }
        "at" => return Want::Words(&["latest"]),
        "from" if first == "series" => return Want::Nothing,
        "from" => return Want::Words(&["companies", "industry", "sector", "peers", "screen"]),
        "is" => return Want::Words(&["null", "not"]),
        "not" if before(1) == "is" => return Want::Words(&["null"]),
        "import" => return Want::File,
        "limit" | "over" | "to" | "between" => return Want::Nothing,
        _ => {}
    }
    match first {
        "series" if !words.iter().any(|w| w == "of") => Want::SeriesMetric,
        "set" if n == 3 && before(1) == "metric" => Want::Words(&["unit", "direction"]),
        "score" if n == 2 => Want::Words(&["using", "at"]),
        "fscore" if n == 2 => Want::Words(&["at"]),
        "valuation" if n == 2 => Want::Words(&["over"]),
        "valuation" if n == 4 => Want::Words(&["years"]),
        "peers" if n == 3 => Want::Words(&["using", "at", "limit"]),
        "compare" if n >= 3 => Want::Words(&["on", "at"]),
        "describe" | "score" | "fscore" | "valuation" | "peers" | "screen" | "import" | "drop"
        | "compare" => Want::Nothing,
        _ => Want::General,
    }
}

/// Case-insensitive prefix match.
fn starts_with_ci(candidate: &str, typed: &str) -> bool {
    candidate.len() >= typed.len()
        && candidate.is_char_boundary(typed.len())
        && candidate[..typed.len()].eq_ignore_ascii_case(typed)
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Candidates collected for one completion, deduplicated by replacement.
struct Found {
    typed: String,
    /// The user wrote the word in capitals: offer keywords in capitals too.
    upper: bool,
    pairs: Vec<Pair>,
}

impl Found {
    fn new(typed: &str) -> Found {
        Found {
            typed: typed.to_string(),
            upper: typed.chars().any(|c| c.is_ascii_alphabetic())
                && !typed.chars().any(|c| c.is_ascii_lowercase()),
            pairs: Vec::new(),
        }
    }

    fn add(&mut self, display: &str, replacement: String) {
        if !self.pairs.iter().any(|p| p.replacement == replacement) {
            self.pairs.push(Pair {
                display: display.to_string(),
                replacement,
            });
        }
    }

    /// Words of the language, followed by a space.
    fn keywords<'a>(&mut self, words: impl IntoIterator<Item = &'a str>) {
        for w in words {
            if starts_with_ci(w, &self.typed) {
                let w = if self.upper {
                    w.to_ascii_uppercase()
                } else {
                    w.to_string()
                };
                self.add(&w, format!("{w} "));
            }
        }
    }

    /// Names as they are, or in backticks when they are not bare names.
    fn names<'a>(&mut self, names: impl IntoIterator<Item = &'a String>) {
        for n in names {
            if starts_with_ci(n, &self.typed) {
                let r = if is_bare_name(n) {
                    n.clone()
                } else {
                    format!("`{n}`")
                };
                self.add(n, r);
            }
        }
    }

    /// Texts that the grammar takes as strings: always quoted, then a space. The typed
    /// text may start with the opening quote.
    fn quoted<'a>(&mut self, names: impl IntoIterator<Item = &'a String>) {
        let typed = self.typed.trim_start_matches('"').to_string();
        for n in names {
            if starts_with_ci(n, &typed) {
                let q = quote(n);
                self.add(&q, format!("{q} "));
            }
        }
    }

    fn symbols(&mut self, symbols: &[String]) {
        let typed = self.typed.trim_start_matches('"').to_string();
        let quoted = self.typed.starts_with('"');
        for s in symbols {
            if starts_with_ci(s, &typed) {
                let r = if quoted || !is_bare_symbol(s) {
                    quote(s)
                } else {
                    s.clone()
                };
                self.add(s, format!("{r} "));
            }
        }
    }

    /// Names, computed columns, functions (as `name(`) and, once a letter is typed, clause
    /// words: what an expression may hold.
    fn general(&mut self, names: &Names) {
        self.names(&names.metrics);
        self.names(&names.attributes);
        let typed = self.typed.clone();
        for c in COLUMNS {
            if starts_with_ci(c.name, &typed) {
                self.add(c.name, c.name.to_string());
            }
        }
        if typed.is_empty() {
            return;
        }
        for f in FUNCTIONS {
            if starts_with_ci(f.name, &typed) {
                self.add(&f.signature(), format!("{}(", f.name));
            }
        }
        self.keywords(CLAUSE_WORDS.iter().copied());
    }
}

/// A meta command, or its argument: the start of the text to replace and the candidates,
/// or `None` where a file name goes.
fn complete_meta(head: &str) -> Option<(usize, Vec<Pair>)> {
    let offset = head.len() - head.trim_start().len();
    let meta = &head[offset..];
    let Some(space) = meta.find(char::is_whitespace) else {
        let mut f = Found::new(meta);
        for m in META_COMMANDS {
            if starts_with_ci(m.name, meta) {
                f.add(m.name, format!("{} ", m.name));
            }
        }
        return Some((offset, f.pairs));
    };
    let arg_start = offset + space + (meta[space..].len() - meta[space..].trim_start().len());
    let arg = &head[arg_start..];
    let def = registry::meta_command(&meta[..space]);
    let choices = match def {
        Some(d) if d.command == registry::Meta::Help => HELP_TOPICS,
        Some(d) => d.choices,
        None => &[],
    };
    let mut f = Found::new(arg);
    for c in choices {
        if starts_with_ci(c, arg) {
            f.add(c, c.to_string());
        }
    }
    // A file argument: the choices only once they are being typed, else file names.
    if def.is_some_and(|d| d.takes_file) && (arg.is_empty() || f.pairs.is_empty()) {
        return None;
    }
    Some((arg_start, f.pairs))
}

/// Completion of `line` at byte `pos`: the start of the text to replace and the candidates.
/// (File names are left to the caller: where one goes this returns `None`.)
pub fn complete(names: &Names, line: &str, pos: usize) -> Option<(usize, Vec<Pair>)> {
    let head = &line[..pos];
    if head.trim_start().starts_with('.') {
        return complete_meta(head);
    }
    let all = lexer::lex(head);
    // Only the statement the cursor is in counts.
    let from = all
        .iter()
        .rposition(|t| t.is_punct(head, ';'))
        .map_or(0, |i| i + 1);
    let toks: Vec<Token> = all[from..]
        .iter()
        .copied()
        .filter(|t| t.kind != Kind::Comment)
        .collect();
    // The partial word under the cursor, if any.
    let (mut start, prev) = match toks.last() {
        Some(t) if t.end == pos && (t.is_open() || matches!(t.kind, Kind::Word | Kind::Number)) => {
            (t.start, &toks[..toks.len() - 1])
        }
        _ => (pos, &toks[..]),
    };
    let mut w = want(head, prev);
    // Symbols may hold `-`, `^` and `/`, which the lexer splits on.
    let sym_start = head
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_symbol_char(c))
        .last()
        .map_or(pos, |(i, _)| i);
    if sym_start < start {
        let before: Vec<Token> = toks
            .iter()
            .copied()
            .filter(|t| t.end <= sym_start)
            .collect();
        if want(head, &before) == Want::Symbol {
            start = sym_start;
            w = Want::Symbol;
        }
    }
    let typed = &head[start..];
    let mut f = Found::new(typed);
    if let Some(inner) = typed.strip_prefix('`') {
        // A backticked name: metrics by display name or id.
        for n in names.displays.iter().chain(&names.metrics) {
            if starts_with_ci(n, inner) {
                f.add(n, format!("`{n}`"));
            }
        }
        return Some((start, f.pairs));
    }
    match w {
        Want::Statement => f.keywords(registry::statement_keywords()),
        Want::Explained => f.keywords(registry::statement_keywords().filter(|k| *k != "explain")),
        Want::Symbol => f.symbols(&names.symbols),
        Want::SymbolOrMetric => {
            f.symbols(&names.symbols);
            f.keywords(["metric"]);
        }
        Want::Metric => f.names(&names.metrics),
        Want::Industry => f.quoted(&names.industries),
        Want::Sector => f.quoted(&names.sectors),
        Want::Screen => f.names(&names.screens),
        Want::ComputedMetric => f.names(&names.computed_metrics),
        Want::Words(words) => f.keywords(words.iter().copied()),
        Want::File => return None,
        Want::SeriesMetric => {
            f.names(&names.metrics);
            f.keywords(["of"]);
        }
        Want::General => f.general(names),
        Want::Nothing => {}
    }
    if typed.starts_with('"') && !matches!(w, Want::Symbol | Want::Industry | Want::Sector) {
        return Some((start, Vec::new()));
    }
    f.pairs.sort_by(|a, b| {
        a.display
            .to_lowercase()
            .cmp(&b.display.to_lowercase())
            .then(a.display.cmp(&b.display))
    });
    Some((start, f.pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            metrics: vec![
                "roe".into(),
                "gearing_ratio".into(),
                "gearing".into(),
                "revenue".into(),
                "pe_ttm".into(),
                "pe".into(),
            ],
            displays: vec!["P/E (TTM)".into()],
            computed_metrics: vec!["upside".into()],
            attributes: vec!["industry".into(), "name".into(), "symbol".into()],
            symbols: vec!["KC.US".into(), "688316.SH".into(), "BRK-B".into()],
            industries: vec![
                "Internet Services and Infrastructure".into(),
                "Systems Software".into(),
            ],
            sectors: vec!["Technology".into()],
            screens: vec!["covered".into()],
        }
    }

    fn replacements(line: &str) -> (usize, Vec<String>) {
        let (start, pairs) = complete(&names(), line, line.len()).expect("not a file");
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn completes_statement_keywords_at_the_start() {
        assert_eq!(replacements("sel"), (0, vec!["select ".to_string()]));
        assert_eq!(replacements("SE").1, vec!["SELECT ", "SERIES ", "SET "]);
        assert_eq!(replacements("x; des"), (3, vec!["describe ".to_string()]));
        assert_eq!(replacements("exp").1, vec!["explain ", "export "]);
        // After `explain`, any statement but another explain.
        assert_eq!(replacements("explain e").1, vec!["export "]);
        assert_eq!(replacements("explain sel").1, vec!["select "]);
        assert_eq!(replacements("explain describe k").1, vec!["KC.US "]);
    }

    #[test]
    fn completes_metrics_functions_and_clause_words_in_a_select() {
        assert_eq!(
            replacements("select gea").1,
            vec!["gearing", "gearing_ratio"]
        );
        assert_eq!(replacements("select roe wh").1, vec!["where "]);
        assert_eq!(replacements("select cag").1, vec!["cagr("]);
        assert_eq!(replacements("select `P/").1, vec!["`P/E (TTM)`"]);
        assert!(
            replacements("select roe where ind")
                .1
                .contains(&"industry".to_string())
        );
        let (_, pairs) = complete(&names(), "select pre", 10).unwrap();
        assert_eq!(pairs[0].display, "prev(x [, n])", "signatures are shown");
        assert_eq!(replacements("select industry_r").1, vec!["industry_rank"]);
    }

    #[test]
    fn completes_industries_quoted_after_from_industry() {
        let (start, r) = replacements("select roe from industry ");
        assert_eq!(start, 25);
        assert_eq!(
            r,
            vec![
                "\"Internet Services and Infrastructure\" ",
                "\"Systems Software\" "
            ]
        );
        assert_eq!(
            replacements("select roe from industry \"sys").1,
            vec!["\"Systems Software\" "]
        );
        assert_eq!(
            replacements("select roe where industry = \"Int").1,
            vec!["\"Internet Services and Infrastructure\" "]
        );
        assert_eq!(
            replacements("select roe from sector t").1,
            vec!["\"Technology\" "]
        );
    }

    #[test]
    fn completes_symbols_where_a_symbol_goes() {
        assert_eq!(replacements("describe k").1, vec!["KC.US "]);
        assert_eq!(replacements("score 688").1, vec!["688316.SH "]);
        assert_eq!(replacements("peers of kc").1, vec!["KC.US "]);
        assert_eq!(replacements("series revenue of 6").1, vec!["688316.SH "]);
        assert_eq!(replacements("valuation BRK-").1, vec!["BRK-B "]);
        assert_eq!(replacements("fscore \"k").1, vec!["\"KC.US\" "]);
        assert_eq!(replacements("peers ").1, vec!["of "]);
    }

    #[test]
    fn completes_screens_words_and_meta_commands() {
        assert_eq!(replacements("screen c").1, vec!["covered"]);
        assert_eq!(replacements("select roe from screen ").1, vec!["covered"]);
        assert_eq!(replacements("drop metric u").1, vec!["upside"]);
        assert_eq!(replacements("show i").1, vec!["industries "]);
        assert_eq!(replacements(".fo"), (0, vec![".format ".to_string()]));
        assert_eq!(replacements(".format j"), (8, vec!["json".to_string()]));
        assert_eq!(replacements(".timer o").1, vec!["on", "off"]);
        assert_eq!(replacements(".help fu").1, vec!["functions"]);
        assert_eq!(replacements(".output st").1, vec!["stdout"]);
        assert!(complete(&names(), ".output ", 8).is_none(), "files");
        assert!(complete(&names(), ".read x", 7).is_none(), "files");
        assert!(complete(&names(), "import \"/t", 10).is_none(), "files");
    }

    /// The first words of a syntax line's top-level alternatives: `a X | b [c | d]` gives
    /// `a`, `b`.
    fn first_words(syntax: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let (mut depth, mut start) = (0, 0);
        for (i, c) in syntax.char_indices().chain([(syntax.len(), '|')]) {
            match c {
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                '|' if depth == 0 => {
                    out.extend(
                        syntax[start..i]
                            .split_whitespace()
                            .next()
                            .map(|w| w.trim_end_matches(',')),
                    );
                    start = i + 1;
                }
                _ => {}
            }
        }
        out
    }

    /// What comes right after each statement keyword agrees with the registry's syntax:
    /// a placeholder gets its kind of completion, literal words are offered as they are.
    #[test]
    fn follow_sets_agree_with_the_registrys_syntax() {
        for kw in registry::statement_keywords() {
            let line = format!("{kw} ");
            let got = want(&line, &lexer::lex(&line));
            let mut words: Vec<&str> = registry::statement_forms(kw)
                .flat_map(|s| first_words(s.syntax))
                .collect();
            words.dedup();
            let expected = match words.as_slice() {
                ["SYMBOL"] => Want::Symbol,
                ["SYMBOL", "metric"] | ["SYMBOL", "metric", "base"] => Want::SymbolOrMetric,
                ["ITEMS"] => Want::General,
                ["METRIC"] => Want::SeriesMetric,
                ["NAME"] => Want::Screen,
                ["\"PATH\""] => Want::File,
                ["STATEMENT"] => Want::Explained,
                literal => {
                    let Want::Words(offered) = got else {
                        panic!("'{kw}': {got:?}, but the registry says {literal:?}");
                    };
                    assert_eq!(offered, literal, "after '{kw}'");
                    continue;
                }
            };
            assert_eq!(got, expected, "after '{kw}'");
        }
        // Every word completion offers anywhere is a keyword of the language.
        for line in [
            "show ",
            "drop ",
            "select roe from ",
            "select roe rank ",
            "x within ",
        ] {
            if let Want::Words(words) = want(line, &lexer::lex(line)) {
                for w in words {
                    assert!(registry::is_keyword(w), "'{w}' after '{line}'");
                }
            }
        }
    }
}
