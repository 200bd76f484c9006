//! The interactive REPL (SPEC.md section 2, "REPL"): rustyline line editing with completion
//! that knows where the cursor is, hints, multi-line input while quotes or parentheses are
//! open, highlighting, persistent history in `~/.finq_history`, and the meta commands
//! `.help .format .timer .output .read .stats .check .quit`.
//!
//! Results are drawn for the terminal ([`Style::terminal`]: grades coloured unless
//! `NO_COLOR`, wide tables fitted to the terminal's width, sparklines under `series`), each
//! followed by a footer `N rows (1.2 ms)`; `.output FILE` sends plain results to a file.

use crate::cli::{self, RunOptions};
use crate::error::{Error, Result};
use crate::output::style::{self as st, Style};
use crate::output::{self, Format, Output};
use crate::session::Session;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter, HistoryHinter};
use rustyline::history::FileHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;

// ─── Words of the language ─────────────────────────────────────────────────────────────

/// Words that start a statement, each with the rest of its syntax (shown as a hint).
const STATEMENTS: &[(&str, &str)] = &[
    (
        "select",
        "ITEMS [from …] [where …] [at PERIOD] [by …] [rank [by E]] [order by …] [limit N]",
    ),
    (
        "series",
        "METRIC {, METRIC} of SYMBOL [from PERIOD] [to PERIOD]",
    ),
    ("describe", "SYMBOL"),
    (
        "show",
        "companies [where …] | industries | sectors | metrics | screens",
    ),
    ("import", "\"PATH\""),
    (
        "set",
        "SYMBOL METRIC [at PERIOD] = NUMBER  |  SYMBOL ATTRIBUTE = \"TEXT\"",
    ),
    ("delete", "SYMBOL [METRIC [at PERIOD]]"),
    (
        "define",
        "metric NAME = EXPR [higher|lower]  |  screen NAME as SELECT",
    ),
    ("drop", "metric NAME | screen NAME"),
    ("screen", "NAME"),
    ("score", "SYMBOL [at PERIOD]"),
    ("peers", "of SYMBOL [limit N]"),
    ("valuation", "SYMBOL [over N years]"),
    ("fscore", "SYMBOL [at PERIOD]"),
];

/// Clause and operator words.
const CLAUSE_WORDS: &[&str] = &[
    "from",
    "where",
    "at",
    "latest",
    "by",
    "rank",
    "order",
    "limit",
    "asc",
    "desc",
    "within",
    "as",
    "of",
    "to",
    "and",
    "or",
    "not",
    "in",
    "between",
    "like",
    "is",
    "null",
    "companies",
    "industry",
    "sector",
    "peers",
    "industries",
    "sectors",
    "metrics",
    "screens",
    "metric",
    "higher",
    "lower",
    "over",
    "years",
];

/// Words that cannot be bare names (grammar/finq.pest, `reserved`).
const RESERVED: &[&str] = &[
    "select", "from", "where", "at", "by", "rank", "order", "limit", "asc", "desc", "within", "as",
    "of", "and", "or", "not", "in", "between", "like", "is", "null", "to", "series", "describe",
    "show", "import", "set", "delete", "define", "drop", "screen",
];

/// Functions with their arguments.
const FUNCTIONS: &[(&str, &str)] = &[
    ("yoy", "yoy(x)"),
    ("qoq", "qoq(x)"),
    ("cagr", "cagr(x, years)"),
    ("delta", "delta(x, n)"),
    ("prev", "prev(x [, n])"),
    ("mavg", "mavg(x, n)"),
    ("msum", "msum(x, n)"),
    ("mmin", "mmin(x, n)"),
    ("mmax", "mmax(x, n)"),
    ("mmedian", "mmedian(x, n)"),
    ("mdev", "mdev(x, n)"),
    ("first", "first(x)"),
    ("points", "points(x)"),
    ("pct_rank", "pct_rank(x [, industry|sector])"),
    ("zscore", "zscore(x [, industry|sector])"),
    ("grade", "grade(x)"),
    ("count", "count([x])"),
    ("sum", "sum(x)"),
    ("avg", "avg(x)"),
    ("median", "median(x)"),
    ("min", "min(x)"),
    ("max", "max(x)"),
    ("stddev", "stddev(x)"),
    ("pct", "pct(x, q)"),
];

/// Meta commands with their arguments.
const META: &[(&str, &str)] = &[
    (".help", "[TOPIC]"),
    (".format", "table|csv|json|markdown"),
    (".timer", "on|off"),
    (".output", "FILE|stdout"),
    (".read", "FILE"),
    (".stats", ""),
    (".check", ""),
    (".quit", ""),
];

fn is_keyword(w: &str) -> bool {
    let w = w.to_ascii_lowercase();
    STATEMENTS.iter().any(|(s, _)| *s == w) || CLAUSE_WORDS.contains(&w.as_str())
}

fn is_function(w: &str) -> bool {
    let w = w.to_ascii_lowercase();
    FUNCTIONS.iter().any(|(f, _)| *f == w)
}

// ─── A small lexer for completion, validation and highlighting ─────────────────────────

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A name, keyword or bare symbol (letters, digits, `_`, `.`).
    Word,
    Number,
    /// A double-quoted string; false while it is still open.
    Str(bool),
    /// A backticked name; false while it is still open.
    Tick(bool),
    Comment,
    /// Any other character (operators, parentheses, `,`, `;`).
    Punct,
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

fn is_symbol_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '^' | '/')
}

/// Whether a token that starts with a digit reads as a number or a period (`12`, `2.5B`,
/// `15%`, `1e9`, `2024Q3`) rather than a symbol (`688316.SH`).
fn is_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
        i += 1;
    }
    if i + 1 < b.len() && matches!(b[i], b'e' | b'E') {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            i = j;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    let rest = &s[i..];
    rest.is_empty()
        || matches!(rest, "%" | "k" | "K" | "m" | "M" | "b" | "B" | "t" | "T")
        || (i == 4
            && rest.len() == 2
            && matches!(rest.as_bytes()[0], b'q' | b'Q' | b'h' | b'H')
            && rest.as_bytes()[1].is_ascii_digit())
}

fn lex(text: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let kind;
        let mut end = start + c.len_utf8();
        if c.is_whitespace() {
            continue;
        } else if c == '"' || c == '`' {
            let mut closed = false;
            while let Some((i, d)) = chars.next() {
                end = i + d.len_utf8();
                if c == '"' && d == '\\' {
                    if let Some((j, e)) = chars.next() {
                        end = j + e.len_utf8();
                    }
                } else if d == c {
                    closed = true;
                    break;
                }
            }
            kind = if c == '"' {
                Kind::Str(closed)
            } else {
                Kind::Tick(closed)
            };
        } else if c == '#' || (c == '-' && chars.peek().is_some_and(|&(_, d)| d == '-')) {
            while let Some(&(i, d)) = chars.peek() {
                if d == '\n' {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
            kind = Kind::Comment;
        } else if is_word_char(c) {
            while let Some(&(i, d)) = chars.peek() {
                let sign_of_exponent = matches!(d, '+' | '-')
                    && c.is_ascii_digit()
                    && text[start..i].ends_with(['e', 'E'])
                    && is_number(&text[start..i - 1]);
                let percent = d == '%' && c.is_ascii_digit();
                if !(is_word_char(d) || sign_of_exponent || percent) {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
                if percent {
                    break;
                }
            }
            kind = if c.is_ascii_digit() && is_number(&text[start..end]) {
                Kind::Number
            } else {
                Kind::Word
            };
        } else {
            kind = Kind::Punct;
        }
        toks.push(Tok { kind, start, end });
    }
    toks
}

/// Whether an input is complete: no string, backticked name or parenthesis is open. Meta
/// commands are always complete.
fn is_complete(text: &str) -> bool {
    if text.trim_start().starts_with('.') {
        return true;
    }
    let mut depth = 0i64;
    for t in lex(text) {
        match t.kind {
            Kind::Str(false) | Kind::Tick(false) => return false,
            Kind::Punct if &text[t.start..t.end] == "(" => depth += 1,
            Kind::Punct if &text[t.start..t.end] == ")" => depth -= 1,
            _ => {}
        }
    }
    depth <= 0
}

// ─── Names known to the database, for completion ──────────────────────────────────────

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
        for d in session.db.catalog().defs() {
            n.metrics.push(d.id.clone());
            n.metrics.extend(d.aliases.iter().cloned());
            if !is_bare_name(&d.display) {
                n.displays.push(d.display.clone());
            }
            if d.expr.is_some() {
                n.computed_metrics.push(d.id.clone());
            }
        }
        if let Ok(c) = session.cache.companies(&session.db) {
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
            .db
            .definitions("screen")
            .map(|d| d.into_iter().map(|(name, _)| name).collect())
            .unwrap_or_default();
        n
    }
}

fn is_bare_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

fn is_bare_symbol(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(is_symbol_char)
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

// ─── Completion ────────────────────────────────────────────────────────────────────────

/// What may come at the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Statement,
    Symbol,
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
fn want(text: &str, prev: &[Tok]) -> Want {
    let word = |t: &Tok| text[t.start..t.end].to_ascii_lowercase();
    let words: Vec<String> = prev.iter().map(word).collect();
    let n = words.len();
    let Some(last) = words.last() else {
        return Want::Statement;
    };
    let before = |k: usize| -> &str { n.checked_sub(k + 1).map_or("", |i| words[i].as_str()) };
    let first = words[0].as_str();
    match last.as_str() {
        "industry" if before(1) == "from" => return Want::Industry,
        "sector" if before(1) == "from" => return Want::Sector,
        "=" | "!=" | "<>" | "like" if before(1) == "industry" => return Want::Industry,
        "=" | "!=" | "<>" | "like" if before(1) == "sector" => return Want::Sector,
        "(" if before(1) == "in" && before(2) == "industry" => return Want::Industry,
        "(" if before(1) == "in" && before(2) == "sector" => return Want::Sector,
        "of" => return Want::Symbol,
        "describe" | "score" | "valuation" | "fscore" | "set" | "delete" if n == 1 => {
            return Want::Symbol;
        }
        "screen" if n == 1 || before(1) == "from" => return Want::Screen,
        "metric" if before(1) == "drop" => return Want::ComputedMetric,
        "screen" | "metric" if before(1) == "define" => return Want::Nothing,
        "peers" if n == 1 || before(1) == "from" => return Want::Words(&["of"]),
        "show" if n == 1 => {
            return Want::Words(&["companies", "industries", "sectors", "metrics", "screens"]);
        }
        "drop" | "define" if n == 1 => return Want::Words(&["metric", "screen"]),
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
        "score" | "fscore" if n == 2 => Want::Words(&["at"]),
        "valuation" if n == 2 => Want::Words(&["over"]),
        "valuation" if n == 4 => Want::Words(&["years"]),
        "peers" if n == 3 => Want::Words(&["limit"]),
        "describe" | "score" | "fscore" | "valuation" | "peers" | "screen" | "import" | "drop" => {
            Want::Nothing
        }
        _ => Want::General,
    }
}

/// Case-insensitive prefix match.
fn starts_with_ci(candidate: &str, typed: &str) -> bool {
    candidate.len() >= typed.len()
        && candidate.is_char_boundary(typed.len())
        && candidate[..typed.len()].eq_ignore_ascii_case(typed)
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
}

/// Completion of `line` at byte `pos`: the start of the text to replace and the candidates.
/// (File names are left to the caller: `Want::File` comes back as `None`.)
fn complete(names: &Names, line: &str, pos: usize) -> Option<(usize, Vec<Pair>)> {
    let head = &line[..pos];
    // Meta commands and their arguments.
    if head.trim_start().starts_with('.') {
        let offset = head.len() - head.trim_start().len();
        let meta = &head[offset..];
        let Some(space) = meta.find(char::is_whitespace) else {
            let mut f = Found::new(meta);
            for (m, _) in META {
                if starts_with_ci(m, meta) {
                    f.add(m, format!("{m} "));
                }
            }
            return Some((offset, f.pairs));
        };
        let command = &meta[..space];
        let arg_start = offset + space + (meta[space..].len() - meta[space..].trim_start().len());
        let arg = &head[arg_start..];
        let choices: &[&str] = match command {
            ".format" => &["table", "csv", "json", "markdown"],
            ".timer" => &["on", "off"],
            ".help" => HELP_TOPICS,
            ".output" if "stdout".starts_with(arg) && !arg.is_empty() => &["stdout"],
            ".output" | ".read" => return None,
            _ => &[],
        };
        let mut f = Found::new(arg);
        for c in choices {
            if starts_with_ci(c, arg) {
                f.add(c, c.to_string());
            }
        }
        return Some((arg_start, f.pairs));
    }
    let all = lex(head);
    // Only the statement the cursor is in counts.
    let from = all
        .iter()
        .rposition(|t| t.kind == Kind::Punct && &head[t.start..t.end] == ";")
        .map_or(0, |i| i + 1);
    let toks: Vec<Tok> = all[from..]
        .iter()
        .copied()
        .filter(|t| t.kind != Kind::Comment)
        .collect();
    // The partial word under the cursor, if any.
    let (mut start, prev) = match toks.last() {
        Some(t) if t.end == pos && matches!(t.kind, Kind::Str(false) | Kind::Tick(false)) => {
            (t.start, &toks[..toks.len() - 1])
        }
        Some(t) if t.end == pos && matches!(t.kind, Kind::Word | Kind::Number) => {
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
        let before: Vec<Tok> = toks
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
        Want::Statement => f.keywords(STATEMENTS.iter().map(|(s, _)| *s)),
        Want::Symbol => f.symbols(&names.symbols),
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
        Want::General => {
            f.names(&names.metrics);
            f.names(&names.attributes);
            for c in crate::query::registry::COLUMNS.iter().map(|c| c.name) {
                if starts_with_ci(c, typed) {
                    f.add(c, c.to_string());
                }
            }
            for (name, sig) in FUNCTIONS {
                if starts_with_ci(name, typed) && !typed.is_empty() {
                    f.add(sig, format!("{name}("));
                }
            }
            if !typed.is_empty() {
                f.keywords(CLAUSE_WORDS.iter().copied());
            }
        }
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

// ─── Hints ────────────────────────────────────────────────────────────────────────────

/// A hint: the syntax of the statement just started (shown only), or a line from history
/// (accepted with → like any rustyline hint).
pub struct FinqHint {
    text: String,
    completion: Option<String>,
}

impl Hint for FinqHint {
    fn display(&self) -> &str {
        &self.text
    }
    fn completion(&self) -> Option<&str> {
        self.completion.as_deref()
    }
}

/// The syntax of a statement (or meta command) right after its first word and a space.
fn syntax_hint(line: &str) -> Option<&'static str> {
    let word = line.strip_suffix(' ')?;
    if word.contains(char::is_whitespace) || word.is_empty() {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    STATEMENTS
        .iter()
        .chain(META.iter())
        .find(|(w, syntax)| *w == lower && !syntax.is_empty())
        .map(|(_, syntax)| *syntax)
}

// ─── The rustyline helper ─────────────────────────────────────────────────────────────

/// Completion, hints, multi-line validation and highlighting for the REPL.
pub struct FinqHelper {
    pub names: Names,
    /// Highlight input (the terminal takes colour and `NO_COLOR` is unset).
    pub color: bool,
    files: FilenameCompleter,
    history: HistoryHinter,
}

impl FinqHelper {
    pub fn new(names: Names, color: bool) -> FinqHelper {
        FinqHelper {
            names,
            color,
            files: FilenameCompleter::new(),
            history: HistoryHinter::new(),
        }
    }
}

impl Helper for FinqHelper {}

impl Completer for FinqHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        match complete(&self.names, line, pos) {
            Some(found) => Ok(found),
            None => self.files.complete_path(line, pos),
        }
    }
}

impl Hinter for FinqHelper {
    type Hint = FinqHint;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<FinqHint> {
        if pos < line.len() {
            return None;
        }
        if let Some(s) = syntax_hint(line) {
            return Some(FinqHint {
                text: s.to_string(),
                completion: None,
            });
        }
        self.history.hint(line, pos, ctx).map(|h| FinqHint {
            text: h.clone(),
            completion: Some(h),
        })
    }
}

impl Validator for FinqHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

/// Input with keywords, functions, strings, numbers, backticked names, comments and meta
/// commands coloured (the text itself unchanged).
pub fn highlight_input(line: &str) -> String {
    if line.trim_start().starts_with('.') {
        let offset = line.len() - line.trim_start().len();
        let end = line[offset..]
            .find(char::is_whitespace)
            .map_or(line.len(), |e| e + offset);
        return format!(
            "{}{}{}{}{}",
            &line[..offset],
            st::MAGENTA,
            &line[offset..end],
            st::FG_DEFAULT,
            &line[end..]
        );
    }
    let mut out = String::with_capacity(line.len() * 2);
    let mut at = 0;
    let toks = lex(line);
    for (i, t) in toks.iter().enumerate() {
        out.push_str(&line[at..t.start]);
        let text = &line[t.start..t.end];
        let next_is_paren = toks
            .get(i + 1)
            .is_some_and(|n| &line[n.start..n.end] == "(");
        let code = match t.kind {
            Kind::Word if next_is_paren && is_function(text) => st::CYAN,
            Kind::Word if is_keyword(text) => "\x1b[1m\x1b[34m",
            Kind::Number => st::YELLOW,
            Kind::Str(_) => st::GREEN,
            Kind::Tick(_) => st::MAGENTA,
            Kind::Comment => "\x1b[2m",
            _ => "",
        };
        if code.is_empty() {
            out.push_str(text);
        } else {
            out.push_str(code);
            out.push_str(text);
            out.push_str(st::RESET);
        }
        at = t.end;
    }
    out.push_str(&line[at..]);
    out
}

impl Highlighter for FinqHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.color {
            Cow::Owned(highlight_input(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("{}{hint}{}", st::DIM, st::RESET))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.color && kind != CmdKind::MoveCursor
    }
}

// ─── The loop ─────────────────────────────────────────────────────────────────────────

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".finq_history"))
}

/// Settings of one REPL session beyond the session's format.
struct Repl {
    timer: bool,
    /// `.output FILE`: results go there, plain.
    output: Option<(String, std::fs::File)>,
    color: bool,
    /// Nesting of `.read`, so a file that reads itself stops.
    depth: usize,
}

/// Runs the REPL until Ctrl-D or `.quit`. Returns the exit status (0).
pub fn run(session: &mut Session, opts: &RunOptions) -> Result<i32> {
    let color = st::color_allowed();
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .max_history_size(5000)
        .map_err(|e| Error::Io(e.to_string()))?
        .history_ignore_dups(true)
        .map_err(|e| Error::Io(e.to_string()))?
        .history_ignore_space(true)
        .auto_add_history(false)
        .build();
    let mut editor: Editor<FinqHelper, FileHistory> =
        Editor::with_config(config).map_err(|e| Error::Io(e.to_string()))?;
    editor.set_helper(Some(FinqHelper::new(Names::load(session), color)));
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    session.format = opts.format;
    let companies = session.cache.companies(&session.db).map_or(0, |c| c.len());
    cli::print(&format!(
        "finq {} — {} ({companies} compan{}). Type .help for help, Tab to complete, Ctrl-D to exit.\n",
        env!("CARGO_PKG_VERSION"),
        session.db.path().display(),
        if companies == 1 { "y" } else { "ies" },
    ));
    let mut repl = Repl {
        timer: opts.timings,
        output: None,
        color,
        depth: 0,
    };
    let prompt = (
        "finq> ",
        if color {
            "\x1b[1;32mfinq>\x1b[0m "
        } else {
            "finq> "
        },
    );
    loop {
        match editor.readline(&prompt) {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                if editor.add_history_entry(line.trim_end()).unwrap_or(false)
                    && let Some(h) = &history
                {
                    let _ = editor.append_history(h);
                }
                let trimmed = line.trim();
                if trimmed.starts_with('.') {
                    if !repl.meta(session, trimmed) {
                        break;
                    }
                } else {
                    repl.execute(session, &line, None);
                }
                if let Some(helper) = editor.helper_mut() {
                    helper.names = Names::load(session);
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Error::Io(e.to_string())),
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(0)
}

impl Repl {
    /// The style results are drawn in: the terminal's, or plain into a file.
    fn style(&self) -> Style {
        if self.output.is_some() {
            Style::PLAIN
        } else {
            Style {
                color: self.color,
                width: st::terminal_width(),
                sparklines: true,
            }
        }
    }

    fn write(&mut self, text: &str) {
        match &mut self.output {
            Some((name, file)) => {
                if let Err(e) = file.write_all(text.as_bytes()) {
                    report(self.color, &format!("error: cannot write {name}: {e}"));
                }
            }
            None => cli::print(text),
        }
    }

    fn error(&self, message: &str) {
        report(self.color, message);
    }

    /// Runs statements and prints each result with its footer; errors go to stderr, naming
    /// `file` and the line when the statements come from `.read`. Returns whether all ran.
    fn execute(&mut self, session: &mut Session, text: &str, file: Option<&str>) -> bool {
        let format = session.format;
        let style = self.style();
        // The REPL runs one statement at a time; an import can take a while, so say so.
        if let Ok(statements) = crate::query::parse_script(text) {
            for st in &statements {
                if let crate::query::ast::Statement::Import { path } = &st.statement {
                    eprintln!("importing {path}: finq is busy until the import finishes");
                }
            }
        }
        // Results print as they come, so a long script shows progress.
        let outcome = session.run(text, false, &mut |r| self.show(r, format, &style, file));
        match outcome {
            Ok(()) => true,
            Err(e @ Error::Parse { .. }) => {
                match file {
                    Some(f) => self.error(&format!("{e}\n  in {f}")),
                    None => self.error(&e.to_string()),
                }
                false
            }
            Err(_) => false,
        }
    }

    fn show(
        &mut self,
        r: std::result::Result<crate::session::StatementResult, (usize, Error)>,
        format: Format,
        style: &Style,
        file: Option<&str>,
    ) {
        let r = match r {
            Ok(r) => r,
            Err((line, e)) => {
                match file {
                    Some(f) => self.error(&format!("{e}\n  --> {f}:{line}")),
                    None => self.error(&e.to_string()),
                }
                return;
            }
        };
        let elapsed = self.timer.then_some(r.elapsed);
        let mut tables = 0;
        for (i, o) in r.outputs.iter().enumerate() {
            if i > 0 && format == Format::Table {
                self.write("\n");
            }
            match o {
                Output::Table(t) => {
                    tables += 1;
                    self.write(&output::render_styled(t, format, style));
                }
                Output::Message(m) if matches!(format, Format::Csv | Format::Json) => {
                    eprintln!("{m}");
                }
                Output::Message(m) => self.write(&format!("{m}\n")),
            }
        }
        let rows = (tables > 0).then(|| r.rows());
        let footer_style = Style {
            color: self.color,
            ..Style::PLAIN
        };
        match (&self.output, format) {
            (Some((name, _)), _) => {
                // On the terminal: what went to the file.
                let counts = st::footer(rows, elapsed, &Style::PLAIN);
                let note = format!("{} → {name}", counts.trim_end()).trim().to_string();
                if self.color {
                    cli::print(&format!("{}{note}{}\n", st::DIM, st::NOT_DIM));
                } else {
                    cli::print(&format!("{note}\n"));
                }
            }
            (None, Format::Table) if rows.is_some() || elapsed.is_some() => {
                cli::print(&st::footer(rows, elapsed, &footer_style));
            }
            (None, _) => {
                if let Some(t) = elapsed {
                    eprintln!("({})", st::format_duration(t));
                }
            }
        }
        if format == Format::Table && self.output.is_none() {
            cli::print("\n");
        }
    }

    /// A meta command; false to leave the REPL.
    fn meta(&mut self, session: &mut Session, line: &str) -> bool {
        let (command, arg) = match line.split_once(char::is_whitespace) {
            Some((c, a)) => (c, a.trim()),
            None => (line, ""),
        };
        match command.to_ascii_lowercase().as_str() {
            ".quit" | ".exit" | ".q" => return false,
            ".help" | ".h" => cli::print(&help(arg)),
            ".format" | ".mode" => match Format::parse(arg) {
                Some(f) => session.format = f,
                None if arg.is_empty() => {
                    cli::print(&format!("format: {}\n", format_name(session.format)))
                }
                None => self.error(&format!(
                    "error: unknown format '{arg}': use table, csv, json or markdown"
                )),
            },
            ".timer" => match arg.to_ascii_lowercase().as_str() {
                "on" => self.timer = true,
                "off" => self.timer = false,
                "" => cli::print(&format!(
                    "timer: {}\n",
                    if self.timer { "on" } else { "off" }
                )),
                _ => self.error("error: .timer takes on or off"),
            },
            ".output" | ".out" => {
                if arg.is_empty() || arg == "stdout" || arg == "-" {
                    self.output = None;
                } else {
                    let path = unquote(arg);
                    match std::fs::File::create(&path) {
                        Ok(f) => self.output = Some((path, f)),
                        Err(e) => self.error(&format!("error: cannot write {path}: {e}")),
                    }
                }
            }
            ".read" => {
                if arg.is_empty() {
                    self.error("error: .read takes a file name");
                } else if self.depth >= 16 {
                    self.error("error: .read is nested too deeply");
                } else {
                    let path = unquote(arg);
                    match std::fs::read_to_string(&path) {
                        Ok(text) => {
                            self.depth += 1;
                            self.read_script(session, &text, &path);
                            self.depth -= 1;
                        }
                        Err(e) => self.error(&format!("error: cannot read {path}: {e}")),
                    }
                }
            }
            ".stats" => match stats(session) {
                Ok(s) => cli::print(&s),
                Err(e) => self.error(&e.to_string()),
            },
            ".check" => match session.db.check() {
                Ok(report) if report.problems.is_empty() => {
                    cli::print(&format!("ok: {}\n", report.summary));
                }
                Ok(report) => {
                    for p in &report.problems {
                        self.error(&format!("problem: {p}"));
                    }
                    self.error(&format!(
                        "{} problem(s) found; {}",
                        report.problems.len(),
                        report.summary
                    ));
                }
                Err(e) => self.error(&e.to_string()),
            },
            other => self.error(&format!("error: unknown command '{other}' (try .help)")),
        }
        true
    }

    /// `.read FILE`: meta-command lines run as such; the statements between them run as
    /// scripts, stopping at the first failure.
    fn read_script(&mut self, session: &mut Session, text: &str, path: &str) {
        let mut chunk = String::new();
        let mut chunk_line = 1;
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if l.trim_start().starts_with('.') && is_complete(&chunk) {
                if !chunk.trim().is_empty() && !self.run_chunk(session, &chunk, chunk_line, path) {
                    return;
                }
                chunk.clear();
                chunk_line = i + 2;
                if !self.meta(session, l.trim()) {
                    return;
                }
            } else {
                chunk.push_str(l);
                chunk.push('\n');
            }
        }
        if !chunk.trim().is_empty() {
            self.run_chunk(session, &chunk, chunk_line, path);
        }
    }

    fn run_chunk(
        &mut self,
        session: &mut Session,
        chunk: &str,
        first_line: usize,
        path: &str,
    ) -> bool {
        // Blank lines keep line numbers in errors those of the file.
        let text = format!("{}{chunk}", "\n".repeat(first_line - 1));
        self.execute(session, &text, Some(path))
    }
}

/// An error on stderr, `error` in red on a colour terminal.
fn report(color: bool, message: &str) {
    let message = message.trim_end();
    match message.strip_prefix("error:") {
        Some(rest) if color => eprintln!("\x1b[1;31merror\x1b[0m:{rest}"),
        _ => eprintln!("{message}"),
    }
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(s)
        .to_string()
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Table => "table",
        Format::Csv => "csv",
        Format::Json => "json",
        Format::Markdown => "markdown",
    }
}

/// `.stats`: the database's size on disk and what it holds.
fn stats(session: &mut Session) -> Result<String> {
    let size = session.db.size_on_disk()?;
    let companies = session.cache.companies(&session.db)?;
    let counts = session.db.metric_counts()?;
    let points: usize = counts.values().map(|c| c.1).sum();
    let series: usize = counts.values().map(|c| c.0).sum();
    let defs = session.db.catalog().defs();
    let computed = defs.iter().filter(|d| d.expr.is_some()).count();
    let screens = session.db.definitions("screen")?.len();
    Ok(format!(
        "database    {}\n\
         size        {}\n\
         companies   {}\n\
         industries  {}\n\
         sectors     {}\n\
         metrics     {} in the catalog ({computed} computed), {} with data\n\
         series      {series}\n\
         points      {points}\n\
         screens     {screens}\n",
        session.db.path().display(),
        human_bytes(size),
        companies.len(),
        companies.industries.len(),
        companies.sectors.len(),
        defs.len(),
        counts.len(),
    ))
}

fn human_bytes(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {} ({n} bytes)", units[u])
    }
}

// ─── .help ────────────────────────────────────────────────────────────────────────────

/// The topics of `.help TOPIC`.
const HELP_TOPICS: &[&str] = &[
    "select",
    "expressions",
    "functions",
    "series",
    "describe",
    "show",
    "score",
    "peers",
    "valuation",
    "fscore",
    "data",
    "define",
    "formats",
    "meta",
    "keys",
];

const HELP_OVERVIEW: &str = "\
Statements end with ; or Enter, and go on over lines while a quote or parenthesis is open:

  select ITEMS [from …] [where …] [at PERIOD] [by …] [rank …] [order by …] [limit N]
  series METRIC {, METRIC} of SYMBOL [from PERIOD] [to PERIOD]
  describe SYMBOL
  show companies [where …] | industries | sectors | metrics | screens
  score SYMBOL [at PERIOD]          peers of SYMBOL [limit N]
  valuation SYMBOL [over N years]   fscore SYMBOL [at PERIOD]
  import \"PATH\"                     set … = …            delete SYMBOL [METRIC [at PERIOD]]
  define metric NAME = EXPR         define screen NAME as SELECT     screen NAME    drop …

meta commands:
  .help [TOPIC]   .format table|csv|json|markdown   .timer on|off   .output FILE|stdout
  .read FILE      .stats   .check   .quit

examples:
  select roe, pb where industry = \"Internet Services and Infrastructure\" rank
  select count(), median(roe) by industry
  series revenue, net_income of 688316.SH from 2019
  score KC.US

Tab completes keywords, metrics, symbols, industries, sectors, screens and meta commands.
.help TOPIC for more: select expressions functions series describe show score peers
valuation fscore data define formats meta keys
";

fn help(topic: &str) -> String {
    let text = match topic.trim().to_ascii_lowercase().as_str() {
        "" => HELP_OVERVIEW,
        "select" | "rank" | "where" | "by" => {
            "\
select ITEM [as NAME] {, ITEM [as NAME]}
  [from companies | from industry \"X\" | from sector \"X\"
   | from peers of SYMBOL | from screen NAME]
  [where CONDITION] [at PERIOD | at latest] [by KEY {, KEY}]
  [rank [by EXPR] [asc | desc] [within industry | within sector]]
  [order by EXPR [asc | desc] {, …}] [limit N]

  One row per company (symbol and name lead), or per group with `by`. Without `at` every
  metric is its latest point; `at 2024Q3` takes that period, `at 2024-06-30` the latest
  point on or before the day. `rank` orders best first by the metric's direction and adds
  a rank column (1, 2, 2, 4); rows without a value come last.

  select ROE where industry = \"Internet Services and Infrastructure\" rank
  select pe_ttm, roe where pe_ttm between 0 and 15 and roe > 15% rank by roe limit 50
  select count(), median(roe), avg(pe_ttm) by industry
  select cagr(revenue, 5) as growth from sector \"Technology\" rank by growth limit 20
  select score, score_grade, industry_rank rank by score within industry
"
        }
        "expressions" | "expression" | "expr" => {
            "\
Expressions
  literals   12  -3.5  1e9  15%  250K  300M  2.5B  1T  \"text\"  null
  periods    2024  2024H1  2024Q3  2024-06-30
  names      metric ids or aliases (roe, pe), attributes (symbol, name, industry, sector, …),
             any name in backticks (`P/E (TTM)`); case does not matter
  operators  + - * /   = != < <= > >=   and or not   in (\"a\", \"b\")   between A and B
             like \"Cloud%\"   is null   is not null   ( … )
  points     revenue at 2023        (select items: write (revenue at 2023))
  Arithmetic with a missing value is missing; a comparison with one is false.
"
        }
        "functions" | "function" => {
            "\
Time-series functions (per company, up to the selected period)
  yoy(x)  qoq(x)  cagr(x, years)  delta(x, n)  prev(x [, n])  first(x)  points(x)
  mavg(x, n)  msum(x, n)  mmin(x, n)  mmax(x, n)  mmedian(x, n)  mdev(x, n)
Cross-sectional
  pct_rank(x [, industry|sector])  zscore(x [, industry|sector])  grade(x)  (A best … E)
Aggregates (with `by`, or when every item is one)
  count()  count(x)  sum  avg  median  min  max  stddev  pct(x, q)
Scoring columns
  score  score_grade  industry_rank  profit_grade  growth_grade  operation_grade
  security_grade  cash_grade  fscore

  select yoy(revenue) as growth, mavg(roe, 4) rank by growth
  select roe, pct_rank(roe, industry), zscore(roe), grade(roe) at 2024Q4
"
        }
        "series" => {
            "\
series METRIC {, METRIC} of SYMBOL [from PERIOD] [to PERIOD]
  One row per period: each metric and its year-on-year change; on a terminal a sparkline
  per metric follows the table.

  series revenue, net_income of 688316.SH from 2019 to 2024
"
        }
        "describe" => {
            "\
describe SYMBOL
  The company's attributes, then every metric with its latest value, period, point count
  and first period.

  describe KC.US
"
        }
        "show" => {
            "\
show companies [where CONDITION] | show industries | show sectors | show metrics | show screens
  Listings with counts.

  show companies where industry = \"Systems Software\"
  show metrics
"
        }
        "score" | "scorecard" => {
            "\
score SYMBOL [at PERIOD]
  The scorecard: score and grade, industry rank k / n, industry median grade, peer group,
  each dimension's grade and each indicator's value, percentile and grade (SCORING.md).
  Grades are coloured A (green) to E (red) on a terminal.

  score KC.US
"
        }
        "peers" => {
            "\
peers of SYMBOL [limit N]
  The peer group ranked by score with Profit, Growth, Operation, Security, Cash grades
  and the rating; the subject is marked ◀ (bold on a terminal) and kept beyond N.

  peers of KC.US limit 5
"
        }
        "valuation" => {
            "\
valuation SYMBOL [over N years]
  P/E, P/B, P/S and dividend yield: current value, industry ranking k / n, and the high,
  median and low over N years (default 5).

  valuation KC.US over 3 years
"
        }
        "fscore" | "piotroski" => {
            "\
fscore SYMBOL [at PERIOD]
  The nine Piotroski signals with the two sides each compares, pass / fail / n.a., and
  the total.

  fscore 688316.SH at 2023
"
        }
        "data" | "import" | "set" | "delete" => {
            "\
import \"PATH\"                                 as `finq import PATH` (CSV, JSON lines)
set SYMBOL METRIC [at PERIOD] = NUMBER         write one point (default period: today)
set SYMBOL ATTRIBUTE = \"TEXT\"                  write an attribute (creates the company)
delete SYMBOL                                  remove a company
delete SYMBOL METRIC [at PERIOD]               remove a series or one point
  Every write is atomic and durable when it returns.

  set KC.US roe at 2026-04-15 = -12.93%
  set KC.US industry = \"Internet Services and Infrastructure\"
"
        }
        "define" | "screen" | "drop" | "screens" => {
            "\
define metric NAME = EXPR [higher|lower]       a computed metric, persisted
define screen NAME as SELECT                   a saved screen, persisted
screen NAME                                    run a saved screen (or: from screen NAME)
drop metric NAME | drop screen NAME            remove a definition

  define metric upside = target_high / price - 1 higher
  define screen cheap as select pe_ttm, pb where pe_ttm between 0 and 10 and pb < 1
  select upside from screen cheap rank
"
        }
        "formats" | "format" | "output" => {
            "\
.format table      aligned columns: percents as 12.50%, money as 1.34B, grades coloured,
                   wide tables fitted to the terminal (long text cut with …, or one block
                   per row when even that is too wide), a footer `N rows (1.2 ms)`
.format csv        raw stored numbers (fractions for percents), empty for missing
.format json       one array of row objects per result, null for missing
.format markdown   a GitHub table
.output FILE       send results to FILE (plain, no colour); .output stdout to stop
"
        }
        "meta" | "commands" => {
            "\
.help [TOPIC]                     this help; topics: select expressions functions series …
.format table|csv|json|markdown   output format (no argument: show it)
.timer on|off                     time each statement in the footer
.output FILE|stdout               write results to a file, or back to the terminal
.read FILE                        run a script file (statements and meta commands)
.stats                            database size on disk and counts
.check                            verify the database's invariants
.quit                             leave (so does Ctrl-D)
"
        }
        "keys" | "keyboard" | "editing" => {
            "\
Tab        complete keywords, metrics, symbols, industries, sectors, screens, meta commands
→ or End   accept the grey hint (a line from history)
Enter      run; inside an open quote or parenthesis it starts a new line instead
Ctrl-C     cancel the line          Ctrl-D  leave
Ctrl-R     search history (kept in ~/.finq_history)
"
        }
        other => {
            return format!("no help on '{other}'; topics: {}\n", HELP_TOPICS.join(" "));
        }
    };
    text.to_string()
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
        assert!(complete(&names(), "import \"/t", 10).is_none(), "files");
    }

    #[test]
    fn input_continues_while_quotes_or_parentheses_are_open() {
        assert!(is_complete("select roe"));
        assert!(!is_complete("select avg(roe"));
        assert!(!is_complete("select roe where industry = \"Sys"));
        assert!(!is_complete("select `P/E"));
        assert!(is_complete("select avg(roe)\n"));
        assert!(is_complete("select roe -- an open ( in a comment"));
        assert!(is_complete("select \"a \\\" b\""));
        assert!(is_complete(".read \"x"));
        assert!(is_complete("select roe)"), "the parser reports that one");
    }

    #[test]
    fn lexer_tells_numbers_from_symbols() {
        let kinds = |s: &str| -> Vec<Kind> { lex(s).iter().map(|t| t.kind).collect() };
        assert_eq!(
            kinds("12 2.5B 15% 1e9 1e-3 2024Q3 688316.SH roe"),
            vec![
                Kind::Number,
                Kind::Number,
                Kind::Number,
                Kind::Number,
                Kind::Number,
                Kind::Number,
                Kind::Word,
                Kind::Word
            ]
        );
        assert_eq!(
            kinds("a -- c\n\"s\" `t"),
            vec![
                Kind::Word,
                Kind::Comment,
                Kind::Str(true),
                Kind::Tick(false)
            ]
        );
    }

    #[test]
    fn highlighting_keeps_the_text() {
        let line = "select avg(roe), \"x\" from industry \"Systems\" where pe > 15% -- note";
        let h = highlight_input(line);
        assert_ne!(h, line);
        assert_eq!(st::strip_ansi(&h), line);
        assert!(h.contains("\x1b[1m\x1b[34mselect"), "{h:?}");
        assert!(h.contains("\x1b[33m15%"), "{h:?}");
        assert!(h.contains("\x1b[32m\"x\""), "{h:?}");
        assert_eq!(
            st::strip_ansi(&highlight_input(".format json")),
            ".format json"
        );
    }

    #[test]
    fn hints_show_the_syntax_after_the_first_word() {
        assert_eq!(
            syntax_hint("series "),
            Some("METRIC {, METRIC} of SYMBOL [from PERIOD] [to PERIOD]")
        );
        assert_eq!(syntax_hint(".format "), Some("table|csv|json|markdown"));
        assert_eq!(syntax_hint("series"), None);
        assert_eq!(syntax_hint("series x "), None);
    }

    #[test]
    fn help_covers_every_topic() {
        for t in HELP_TOPICS {
            assert!(!help(t).starts_with("no help"), "{t}");
        }
        assert!(help("").contains(".format"));
        assert!(help("nonsense").starts_with("no help on 'nonsense'"));
    }
}
