//! The words of the language in one table: statements, clause words, reserved words,
//! functions, computed columns and the REPL's meta commands.
//!
//! The grammar (grammar/finq.pest) says how words combine; this table says which words
//! exist and what each one is for. Everything else reads it: the binder resolves function
//! and column names here (arity, argument types and result shape included), so an unknown
//! name's "did you mean" draws on the same list; the REPL completes, hints, colours and
//! explains (`.help`) from it. A test (`registry/tests.rs`) reads the grammar and fails when
//! its keywords, reserved words or statement rules and this table disagree, and binds every
//! function listed here, so adding a function is one row here plus its evaluation.

use crate::error::did_you_mean;
use crate::model::{Direction, Unit};

// ─── Statements ────────────────────────────────────────────────────────────────────────

/// One form of a statement, as one rule of the grammar spells it.
#[derive(Debug)]
pub struct StatementDef {
    /// The word that starts it. Several forms may share one (`set`, `define`).
    pub keyword: &'static str,
    /// What follows the keyword, in the notation of SPEC.md (the REPL's hint).
    pub syntax: &'static str,
    /// One line on what it does.
    pub help: &'static str,
    /// The grammar rule of this form.
    pub rule: &'static str,
}

/// Every statement form, in the order `.help` lists them; forms of one keyword are adjacent.
pub const STATEMENTS: &[StatementDef] = &[
    StatementDef {
        keyword: "select",
        syntax: "ITEMS [from …] [where …] [at PERIOD] [by …] [rank [by E]] [order by …] [limit N]",
        help: "screen, rank and group companies",
        rule: "select",
    },
    StatementDef {
        keyword: "export",
        syntax: "( SELECT ) to \"FILE\"",
        help: "write a select's result to a .csv, .jsonl or .parquet file, as its extension says",
        rule: "export_select",
    },
    StatementDef {
        keyword: "series",
        syntax: "METRIC {, METRIC} of SYMBOL [from PERIOD] [to PERIOD] [kind fy|h|q|day]",
        help: "a company's metrics period by period, with the change on a year before",
        rule: "series",
    },
    StatementDef {
        keyword: "describe",
        syntax: "SYMBOL",
        help: "a company's attributes and every metric's latest value",
        rule: "describe",
    },
    StatementDef {
        keyword: "describe",
        syntax: "metric NAME",
        help: "a metric's catalog entry, its formula, and how many companies have points",
        rule: "describe_metric",
    },
    StatementDef {
        keyword: "show",
        syntax: "companies [where …] | industries|sectors|metrics|screens|scorecards|currencies",
        help: "listings with counts",
        rule: "show",
    },
    StatementDef {
        keyword: "score",
        syntax: "SYMBOL [using SCORECARD] [at PERIOD]",
        help: "the scorecard: score, grades and industry rank",
        rule: "score_card",
    },
    StatementDef {
        keyword: "peers",
        syntax: "of SYMBOL [using SCORECARD] [at PERIOD] [limit N]",
        help: "the peer group ranked by score",
        rule: "peer_table",
    },
    StatementDef {
        keyword: "valuation",
        syntax: "SYMBOL [over N years]",
        help: "valuation multiples against the industry and their own history",
        rule: "valuation",
    },
    StatementDef {
        keyword: "fscore",
        syntax: "SYMBOL [at PERIOD]",
        help: "the nine Piotroski signals and their total",
        rule: "fscore_card",
    },
    StatementDef {
        keyword: "compare",
        syntax: "SYMBOL, SYMBOL {, SYMBOL} [on METRIC {, METRIC}] [at PERIOD]",
        help: "companies side by side: each metric's value and grade within each one's peer group",
        rule: "compare",
    },
    StatementDef {
        keyword: "import",
        syntax: "\"PATH\"",
        help: "load a CSV or JSON lines file (as `finq import`)",
        rule: "import",
    },
    StatementDef {
        keyword: "set",
        syntax: "SYMBOL METRIC [at PERIOD] = NUMBER",
        help: "write one point (default period: today)",
        rule: "set_point",
    },
    StatementDef {
        keyword: "set",
        syntax: "SYMBOL ATTRIBUTE = \"TEXT\"",
        help: "write an attribute (creates the company)",
        rule: "set_attr",
    },
    StatementDef {
        keyword: "set",
        syntax: "metric NAME {unit U | direction higher|lower|none}",
        help: "change a registered metric's unit or ranking direction",
        rule: "set_metric",
    },
    StatementDef {
        keyword: "set",
        syntax: "base currency \"CODE\"",
        help: "the currency cross-company money is shown in (default USD), persisted",
        rule: "set_base",
    },
    StatementDef {
        keyword: "delete",
        syntax: "SYMBOL [METRIC [at PERIOD]]",
        help: "remove a company, a series or one point",
        rule: "delete",
    },
    StatementDef {
        keyword: "define",
        syntax: "metric NAME = EXPR [higher|lower] [unit U]",
        help: "a computed metric, persisted",
        rule: "define_metric",
    },
    StatementDef {
        keyword: "define",
        syntax: "screen NAME as SELECT",
        help: "a saved screen, persisted",
        rule: "define_screen",
    },
    StatementDef {
        keyword: "define",
        syntax: "scorecard NAME (DIMENSION: METRIC [weight W] {, …}; …)",
        help: "a custom scorecard, persisted (use it with `score X using NAME`, `score(NAME)`)",
        rule: "define_scorecard",
    },
    StatementDef {
        keyword: "screen",
        syntax: "NAME",
        help: "run a saved screen",
        rule: "run_screen",
    },
    StatementDef {
        keyword: "drop",
        syntax: "metric NAME | screen NAME | scorecard NAME",
        help: "remove a definition",
        rule: "drop",
    },
    StatementDef {
        keyword: "explain",
        syntax: "STATEMENT",
        help: "the statement's plan, printed instead of run",
        rule: "explain",
    },
];

/// The forms a statement keyword starts (none for a word that starts no statement).
pub fn statement_forms(keyword: &str) -> impl Iterator<Item = &'static StatementDef> {
    let keyword = keyword.to_ascii_lowercase();
    STATEMENTS.iter().filter(move |s| s.keyword == keyword)
}

/// The words that start statements, each once, in table order.
pub fn statement_keywords() -> impl Iterator<Item = &'static str> {
    STATEMENTS
        .iter()
        .enumerate()
        .filter(|(i, s)| !STATEMENTS[..*i].iter().any(|p| p.keyword == s.keyword))
        .map(|(_, s)| s.keyword)
}

/// A statement keyword's syntax: its forms' syntax joined with `|` (the REPL's hint).
pub fn statement_syntax(keyword: &str) -> Option<String> {
    let forms: Vec<&str> = statement_forms(keyword).map(|s| s.syntax).collect();
    (!forms.is_empty()).then(|| forms.join("  |  "))
}

// ─── Clause and reserved words ─────────────────────────────────────────────────────────

/// Words inside statements: clauses, operators, and the words that pick a variant
/// (`show industries`, `within sector`). Together with the statement keywords these are the
/// grammar's `kw_*` rules, and nothing else.
pub const CLAUSE_WORDS: &[&str] = &[
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
    "per",
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
    "kind",
    "unit",
    "direction",
    "scorecard",
    "scorecards",
    "using",
    "weight",
    "on",
    "base",
    "currency",
    "currencies",
];

/// Words that cannot be bare names (the grammar's `reserved` rule): clause words that would
/// make clauses ambiguous, and statement words that must be able to start the next
/// statement after a line end. A metric spelled like one is written in backticks.
pub const RESERVED: &[&str] = &[
    "select", "from", "where", "at", "by", "rank", "order", "limit", "asc", "desc", "within", "as",
    "of", "and", "or", "not", "in", "between", "like", "is", "null", "to", "series", "describe",
    "show", "import", "set", "delete", "define", "drop", "screen", "explain",
];

pub fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// Whether a word is a keyword of the language (it starts a statement or a clause).
pub fn is_keyword(word: &str) -> bool {
    STATEMENTS
        .iter()
        .any(|s| s.keyword.eq_ignore_ascii_case(word))
        || CLAUSE_WORDS.iter().any(|c| c.eq_ignore_ascii_case(word))
}

// ─── Functions ─────────────────────────────────────────────────────────────────────────

/// Time-series functions (SPEC.md section 3): evaluated per company on a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsFn {
    Yoy,
    YoyDiff,
    Qoq,
    Cagr,
    Delta,
    Prev,
    Mavg,
    Msum,
    Mmin,
    Mmax,
    Mmedian,
    Mdev,
    First,
    Points,
    /// Trailing twelve months of a flow.
    Ttm,
    /// The period of the point a row uses.
    PeriodOf,
    /// Days from that period's end to the as-of date.
    Age,
}

/// Cross-sectional functions: each value against the other rows' values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrossFn {
    PctRank,
    Zscore,
    Grade,
}

/// Aggregates: one value per group of rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFn {
    Count,
    Sum,
    Avg,
    Median,
    Min,
    Max,
    Stddev,
    Pct,
}

/// A function of the language; the binder matches on this, never on the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Ts(TsFn),
    Cross(CrossFn),
    Agg(AggFn),
}

/// How a function is evaluated, which decides where it may appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FnKind {
    /// Per company, over the points up to the selected period.
    TimeSeries,
    /// Over the companies in the result, or in the named group.
    CrossSectional,
    /// One value per group (`by`), or over the whole result.
    Aggregate,
}

impl FnKind {
    pub const ALL: [FnKind; 3] = [
        FnKind::TimeSeries,
        FnKind::CrossSectional,
        FnKind::Aggregate,
    ];

    /// The heading `.help functions` lists this kind under.
    pub fn title(self) -> &'static str {
        match self {
            FnKind::TimeSeries => "Time-series functions (per company, up to the selected period)",
            FnKind::CrossSectional => {
                "Cross-sectional (over the result, or within industry|sector)"
            }
            FnKind::Aggregate => "Aggregates (with `by`, or when every item is one)",
        }
    }
}

impl Func {
    pub fn kind(self) -> FnKind {
        match self {
            Func::Ts(_) => FnKind::TimeSeries,
            Func::Cross(_) => FnKind::CrossSectional,
            Func::Agg(_) => FnKind::Aggregate,
        }
    }
}

/// What an argument must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    /// A stored metric, or numbers and arithmetic on metrics: the function looks back
    /// along its series.
    Series,
    /// Any number-valued expression.
    Number,
    /// Any expression, text included (`count(industry)`).
    Any,
    /// A whole number of at least 1 (points, years).
    Count,
    /// The word `industry` or `sector`.
    Group,
    /// A number from 0 to 1.
    Fraction,
}

impl ArgType {
    /// What a wrong argument is told it must be.
    pub fn expected(self) -> &'static str {
        match self {
            ArgType::Series => "a metric or arithmetic on metrics",
            ArgType::Number => "a number",
            ArgType::Any => "an expression",
            ArgType::Count => "a whole number of at least 1",
            ArgType::Group => "industry or sector",
            ArgType::Fraction => "a number from 0 to 1",
        }
    }
}

/// One parameter: its name in the signature and its type.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub ty: ArgType,
}

const fn p(name: &'static str, ty: ArgType) -> Param {
    Param { name, ty }
}

const X_SERIES: Param = p("x", ArgType::Series);
const X_NUMBER: Param = p("x", ArgType::Number);
const N_POINTS: Param = p("n", ArgType::Count);
const GROUP: Param = p("industry|sector", ArgType::Group);

/// What a function or computed column gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Yields {
    /// A number in its argument's unit, ranked in its argument's direction (a moving
    /// average of ROE is a percent, and higher is better).
    Like,
    /// A number in this unit, ranked in this direction.
    Num(Unit, Direction),
    /// A grade letter, A (best) to E: text.
    Grade,
    /// Text (a period as written).
    Text,
    /// A difference of its argument: in percentage points for a percent, else in the
    /// argument's unit; ranked in the argument's direction.
    Change,
}

const PERCENT: Yields = Yields::Num(Unit::Percent, Direction::Higher);
const COUNT: Yields = Yields::Num(Unit::Count, Direction::Higher);

/// One function of the language.
#[derive(Debug)]
pub struct FunctionDef {
    pub name: &'static str,
    pub func: Func,
    /// Its parameters; those from `required` on may be left out.
    pub params: &'static [Param],
    pub required: usize,
    pub yields: Yields,
    /// One line on what it gives.
    pub help: &'static str,
}

impl FunctionDef {
    pub fn kind(&self) -> FnKind {
        self.func.kind()
    }

    /// How it is called: `cagr(x, years)`, `prev(x [, n])`, `count([x])`.
    pub fn signature(&self) -> String {
        let names = |ps: &[Param]| ps.iter().map(|p| p.name).collect::<Vec<_>>().join(", ");
        let (required, optional) = self.params.split_at(self.required);
        let args = match (required.is_empty(), optional.is_empty()) {
            (_, true) => names(required),
            (true, false) => format!("[{}]", names(optional)),
            (false, false) => format!("{} [, {}]", names(required), names(optional)),
        };
        format!("{}({args})", self.name)
    }

    /// The error for a call with `given` arguments, if that is the wrong number. A function
    /// that may be called empty (`count()`) is described by its form with arguments, the
    /// one a caller who passed too many meant.
    pub fn arity_error(&self, given: usize) -> Option<String> {
        let (lo, hi) = (self.required, self.params.len());
        if (lo..=hi).contains(&given) {
            return None;
        }
        let lo = lo.max(1);
        let want = if lo == hi {
            lo.to_string()
        } else {
            format!("{lo} to {hi}")
        };
        let plural = if hi == 1 { "" } else { "s" };
        Some(format!(
            "{}() takes {want} argument{plural}, not {given}",
            self.name
        ))
    }
}

const fn def(
    name: &'static str,
    func: Func,
    params: &'static [Param],
    required: usize,
    yields: Yields,
    help: &'static str,
) -> FunctionDef {
    FunctionDef {
        name,
        func,
        params,
        required,
        yields,
        help,
    }
}

/// A time-series function; every argument is required unless the row says otherwise.
const fn ts(
    name: &'static str,
    f: TsFn,
    params: &'static [Param],
    yields: Yields,
    help: &'static str,
) -> FunctionDef {
    def(name, Func::Ts(f), params, params.len(), yields, help)
}

/// x against itself n points back, n optional (default 1), in x's unit.
const fn lookback(name: &'static str, f: TsFn, help: &'static str) -> FunctionDef {
    def(
        name,
        Func::Ts(f),
        &[X_SERIES, N_POINTS],
        1,
        Yields::Like,
        help,
    )
}

/// A moving statistic over the last n points, in x's unit.
const fn moving(name: &'static str, f: TsFn, help: &'static str) -> FunctionDef {
    ts(name, f, &[X_SERIES, N_POINTS], Yields::Like, help)
}

/// A cross-sectional function: x, then an optional group.
const fn cross(
    name: &'static str,
    f: CrossFn,
    params: &'static [Param],
    yields: Yields,
    help: &'static str,
) -> FunctionDef {
    def(name, Func::Cross(f), params, 1, yields, help)
}

/// An aggregate of one number-valued argument, in its unit.
const fn agg(name: &'static str, f: AggFn, help: &'static str) -> FunctionDef {
    def(name, Func::Agg(f), &[X_NUMBER], 1, Yields::Like, help)
}

/// Every function, grouped by kind in the order `.help functions` lists them.
pub const FUNCTIONS: &[FunctionDef] = &[
    ts(
        "yoy",
        TsFn::Yoy,
        &[X_SERIES],
        PERCENT,
        "change against the same kind of period a year before: (x - b) / |b|",
    ),
    ts(
        "yoy_diff",
        TsFn::YoyDiff,
        &[X_SERIES],
        Yields::Change,
        "x minus x a year before (same kind); percentage points for a percent",
    ),
    ts(
        "qoq",
        TsFn::Qoq,
        &[X_SERIES],
        PERCENT,
        "change against the previous quarter",
    ),
    ts(
        "cagr",
        TsFn::Cagr,
        &[X_SERIES, p("years", ArgType::Count)],
        PERCENT,
        "compound annual growth over that many years",
    ),
    lookback(
        "delta",
        TsFn::Delta,
        "x minus x n points before (default 1)",
    ),
    lookback("prev", TsFn::Prev, "x n points before (default 1)"),
    moving("mavg", TsFn::Mavg, "mean of the last n points"),
    moving("msum", TsFn::Msum, "sum of the last n points"),
    moving("mmin", TsFn::Mmin, "lowest of the last n points"),
    moving("mmax", TsFn::Mmax, "highest of the last n points"),
    moving("mmedian", TsFn::Mmedian, "median of the last n points"),
    moving(
        "mdev",
        TsFn::Mdev,
        "standard deviation of the last n points",
    ),
    ts(
        "first",
        TsFn::First,
        &[X_SERIES],
        Yields::Like,
        "the earliest value",
    ),
    ts(
        "points",
        TsFn::Points,
        &[X_SERIES],
        COUNT,
        "how many points there are up to the selected period",
    ),
    ts(
        "ttm",
        TsFn::Ttm,
        &[X_SERIES],
        Yields::Like,
        "trailing twelve months of a flow: the four quarters ending there, else the year",
    ),
    ts(
        "period",
        TsFn::PeriodOf,
        &[X_SERIES],
        Yields::Text,
        "the period of the point used",
    ),
    ts(
        "age",
        TsFn::Age,
        &[X_SERIES],
        Yields::Num(Unit::Count, Direction::Lower),
        "days from the end of the point's period to the as-of date (the at day, else today)",
    ),
    cross(
        "pct_rank",
        CrossFn::PctRank,
        &[X_NUMBER, GROUP],
        Yields::Num(Unit::Score, Direction::Higher),
        "midrank percentile in [0, 1], 1 the best (SCORING.md)",
    ),
    cross(
        "zscore",
        CrossFn::Zscore,
        &[X_NUMBER, GROUP],
        Yields::Num(Unit::Ratio, Direction::Higher),
        "(x − mean) / standard deviation",
    ),
    cross(
        "grade",
        CrossFn::Grade,
        &[X_NUMBER],
        Yields::Grade,
        "A (best) to E by percentile in the company's peer group",
    ),
    def(
        "count",
        Func::Agg(AggFn::Count),
        &[p("x", ArgType::Any)],
        0,
        COUNT,
        "count() rows; count(x) rows where x has a value",
    ),
    agg("sum", AggFn::Sum, "sum of the values"),
    agg("avg", AggFn::Avg, "mean of the values"),
    agg("median", AggFn::Median, "median of the values"),
    agg("min", AggFn::Min, "lowest value"),
    agg("max", AggFn::Max, "highest value"),
    agg("stddev", AggFn::Stddev, "standard deviation of the values"),
    def(
        "pct",
        Func::Agg(AggFn::Pct),
        &[X_NUMBER, p("q", ArgType::Fraction)],
        2,
        Yields::Like,
        "the q quantile (pct(x, 0.9): the 90th percentile)",
    ),
];

/// The function of this name (case-insensitive).
pub fn function(name: &str) -> Option<&'static FunctionDef> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// The message for a name that is no function, with the nearest function's name.
pub fn unknown_function(name: &str) -> String {
    let known = FUNCTIONS.iter().map(|f| f.name);
    format!(
        "unknown function '{name}'{}",
        did_you_mean(&name.to_lowercase(), known)
    )
}

// ─── Computed columns ──────────────────────────────────────────────────────────────────

/// The computed columns of SCORING.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreCol {
    Score,
    ScoreGrade,
    IndustryRank,
    /// The grade of one dimension (index into `analysis::score::DIMENSIONS`).
    DimGrade(usize),
    FScore,
}

/// A name that selects a computed column.
#[derive(Debug)]
pub struct ColumnDef {
    pub name: &'static str,
    pub column: ScoreCol,
    pub yields: Yields,
    pub help: &'static str,
}

const fn dimension(name: &'static str, index: usize, help: &'static str) -> ColumnDef {
    ColumnDef {
        name,
        column: ScoreCol::DimGrade(index),
        yields: Yields::Grade,
        help,
    }
}

/// Every computed column, in the order `.help functions` lists them.
pub const COLUMNS: &[ColumnDef] = &[
    ColumnDef {
        name: "score",
        column: ScoreCol::Score,
        yields: Yields::Num(Unit::Score, Direction::Higher),
        help: "the overall score within the peer group, 0 to 1; score(NAME) with a custom scorecard",
    },
    ColumnDef {
        name: "score_grade",
        column: ScoreCol::ScoreGrade,
        yields: Yields::Grade,
        help: "the overall grade, A to E; score_grade(NAME) with a custom scorecard",
    },
    ColumnDef {
        name: "industry_rank",
        column: ScoreCol::IndustryRank,
        yields: Yields::Num(Unit::Count, Direction::Lower),
        help: "rank by score within the peer group (1 is best); industry_rank(NAME) with a custom scorecard",
    },
    dimension("profit_grade", 0, "the profitability grade"),
    dimension("growth_grade", 1, "the growth grade"),
    dimension("operation_grade", 2, "the operating-efficiency grade"),
    dimension("security_grade", 3, "the balance-sheet safety grade"),
    dimension("cash_grade", 4, "the cash-flow grade"),
    ColumnDef {
        name: "fscore",
        column: ScoreCol::FScore,
        yields: COUNT,
        help: "the Piotroski F-score, 0 to 9",
    },
];

/// The computed column of this name (already lower-case, as the binder has it).
pub fn column(name: &str) -> Option<&'static ColumnDef> {
    COLUMNS.iter().find(|c| c.name == name)
}

// ─── Meta commands ─────────────────────────────────────────────────────────────────────

/// A REPL meta command; the REPL matches on this, never on the spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meta {
    Help,
    Format,
    Timer,
    Output,
    Read,
    Stats,
    Check,
    Quit,
}

#[derive(Debug)]
pub struct MetaDef {
    pub name: &'static str,
    /// Other spellings that run it (`.q`, `.mode`), not completed or listed.
    pub aliases: &'static [&'static str],
    pub command: Meta,
    /// Its argument, as the hint and `.help` show it ("" for none).
    pub args: &'static str,
    /// The words its argument may be, for completion.
    pub choices: &'static [&'static str],
    /// Its argument may be a file name (completed from the file system).
    pub takes_file: bool,
    pub help: &'static str,
}

pub const META_COMMANDS: &[MetaDef] = &[
    MetaDef {
        name: ".help",
        aliases: &[".h"],
        command: Meta::Help,
        args: "[TOPIC]",
        choices: &[],
        takes_file: false,
        help: "this help, or help on a topic or any word",
    },
    MetaDef {
        name: ".format",
        aliases: &[".mode"],
        command: Meta::Format,
        args: "table|csv|json|markdown",
        choices: &["table", "csv", "json", "markdown"],
        takes_file: false,
        help: "output format (no argument: show it)",
    },
    MetaDef {
        name: ".timer",
        aliases: &[],
        command: Meta::Timer,
        args: "on|off",
        choices: &["on", "off"],
        takes_file: false,
        help: "time each statement in the footer",
    },
    MetaDef {
        name: ".output",
        aliases: &[".out"],
        command: Meta::Output,
        args: "FILE|stdout",
        choices: &["stdout"],
        takes_file: true,
        help: "write results to a file, or back to the terminal",
    },
    MetaDef {
        name: ".read",
        aliases: &[],
        command: Meta::Read,
        args: "FILE",
        choices: &[],
        takes_file: true,
        help: "run a script file (statements and meta commands)",
    },
    MetaDef {
        name: ".stats",
        aliases: &[],
        command: Meta::Stats,
        args: "",
        choices: &[],
        takes_file: false,
        help: "database size on disk and counts",
    },
    MetaDef {
        name: ".check",
        aliases: &[],
        command: Meta::Check,
        args: "",
        choices: &[],
        takes_file: false,
        help: "verify the database's invariants",
    },
    MetaDef {
        name: ".quit",
        aliases: &[".exit", ".q"],
        command: Meta::Quit,
        args: "",
        choices: &[],
        takes_file: false,
        help: "leave (so does Ctrl-D)",
    },
];

/// The meta command of this name or alias (case-insensitive, with its leading `.`).
pub fn meta_command(word: &str) -> Option<&'static MetaDef> {
    META_COMMANDS.iter().find(|m| {
        m.name.eq_ignore_ascii_case(word) || m.aliases.iter().any(|a| a.eq_ignore_ascii_case(word))
    })
}

/// The message for a word that is no meta command, with the nearest command's name.
pub fn unknown_meta_command(word: &str) -> String {
    let known = META_COMMANDS.iter().map(|m| m.name);
    format!(
        "error: unknown command '{word}'{} (try .help)",
        did_you_mean(word, known)
    )
}

#[cfg(test)]
mod tests;
