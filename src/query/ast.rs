//! The statements of the query language as plain data, free of parser types.

use crate::model::Period;

/// One parsed statement, with where it starts (for messages).
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub statement: Statement,
    pub line: usize,
    /// Byte offset of the statement in the script.
    pub pos: usize,
    /// The statement's source text, as written.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Select(Box<Select>),
    /// `explain STATEMENT`: print the statement's plan instead of running it.
    Explain(Box<Statement>),
    Series {
        metrics: Vec<Spanned>,
        symbol: Spanned,
        from: Option<Period>,
        to: Option<Period>,
        /// `kind fy|h|q|day`: only periods of that kind.
        kind: Option<crate::model::PeriodKind>,
    },
    Describe {
        symbol: Spanned,
    },
    Show(ShowWhat),
    Import {
        path: String,
    },
    /// `export (SELECT) to "FILE"`.
    Export {
        select: Box<Select>,
        path: String,
    },
    SetPoint {
        symbol: Spanned,
        metric: Spanned,
        period: Option<Period>,
        value: f64,
    },
    SetAttr {
        symbol: Spanned,
        attr: Spanned,
        value: String,
    },
    Delete {
        symbol: Spanned,
        metric: Option<Spanned>,
        period: Option<Period>,
    },
    DefineMetric {
        name: Spanned,
        expr: Expr,
        /// The expression's source text, stored with the definition.
        text: String,
        direction: Option<crate::model::Direction>,
        /// `unit U`, as written.
        unit: Option<Spanned>,
    },
    /// `describe metric NAME`.
    DescribeMetric {
        name: Spanned,
    },
    /// `set base currency "CODE"`, the code as written.
    SetBase {
        code: Spanned,
    },
    /// `set metric NAME unit U` / `set metric NAME direction D`.
    SetMetric {
        name: Spanned,
        change: MetricChange,
    },
    DefineScreen {
        name: Spanned,
        select: Box<Select>,
        text: String,
    },
    RunScreen {
        name: Spanned,
    },
    Drop {
        kind: DefKind,
        name: Spanned,
    },
    /// `define scorecard NAME (DIMENSION: METRIC [weight W] {, ...}; ...)`.
    DefineScorecard {
        name: Spanned,
        dimensions: Vec<CardDimensionSpec>,
        /// The statement's text, stored with the definition.
        text: String,
    },
    Score {
        symbol: Spanned,
        at: Option<Period>,
        /// `using NAME`: a custom scorecard instead of the built-in one.
        card: Option<Spanned>,
    },
    Peers {
        symbol: Spanned,
        at: Option<Period>,
        limit: Option<usize>,
        card: Option<Spanned>,
    },
    /// `compare SYMBOL, SYMBOL {, SYMBOL} [on METRIC {, METRIC}] [at PERIOD]`.
    Compare {
        symbols: Vec<Spanned>,
        metrics: Vec<Spanned>,
        at: Option<Period>,
    },
    Valuation {
        symbol: Spanned,
        years: usize,
    },
    FScore {
        symbol: Spanned,
        at: Option<Period>,
    },
}

/// What `set metric` changes, with the word as written.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricChange {
    Unit(Spanned),
    Direction(Spanned),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefKind {
    Metric,
    Screen,
    Scorecard,
}

/// One dimension of a `define scorecard`: its name and its indicators with their weights
/// as written.
#[derive(Clone, Debug, PartialEq)]
pub struct CardDimensionSpec {
    pub name: Spanned,
    pub indicators: Vec<(Spanned, Option<f64>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ShowWhat {
    Companies(Option<Expr>),
    Industries,
    Sectors,
    Metrics,
    Screens,
    Scorecards,
    Currencies,
}

/// A name with the byte offset where it was written, so errors can point at it.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned {
    pub name: String,
    pub pos: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Select {
    pub items: Vec<Item>,
    pub from: Source,
    pub filter: Option<Expr>,
    pub at: Option<Period>,
    pub by: Vec<Item>,
    pub rank: Option<Rank>,
    pub order: Vec<(Expr, Option<Order>)>,
    pub limit: Option<usize>,
    /// `limit N per industry|sector`: N rows of each group.
    pub limit_per: Option<Group>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub expr: Expr,
    pub alias: Option<String>,
    /// The item as written, whitespace collapsed: the column name without an alias.
    pub text: String,
}

impl Item {
    /// The result column's name: the alias, else the item as written, without the
    /// backticks that quote names (`` `After Tax ROE` `` is the column `After Tax ROE`).
    pub fn column_name(&self) -> std::borrow::Cow<'_, str> {
        match &self.alias {
            Some(a) => a.as_str().into(),
            None if self.text.contains('`') => self.text.replace('`', "").into(),
            None => self.text.as_str().into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Companies,
    Industry(Spanned),
    Sector(Spanned),
    Peers(Spanned),
    Screen(Spanned),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Industry,
    Sector,
}

impl Group {
    /// The company attribute that names the group.
    pub fn attr(self) -> &'static str {
        match self {
            Group::Industry => "industry",
            Group::Sector => "sector",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rank {
    pub by: Option<Expr>,
    pub order: Option<Order>,
    pub within: Option<Group>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Number(f64),
    Text(String),
    Null,
    /// A metric, computed metric, attribute or (in `rank by`/`order by`) an item's alias.
    Name(Spanned),
    /// `METRIC at PERIOD`.
    At(Spanned, Period),
    Call(Spanned, Vec<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    IsNull(Box<Expr>, bool),
    InList(Box<Expr>, Vec<Expr>, bool),
    Between(Box<Expr>, Box<Expr>, Box<Expr>, bool),
    Like(Box<Expr>, String, bool),
}

impl std::fmt::Display for Expr {
    /// Prints an expression so that parsing the text gives the same expression back.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let not = |n: &bool| if *n { "not " } else { "" };
        match self {
            Expr::Number(v) => write!(f, "{v:?}"),
            Expr::Text(s) => write!(f, "\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
            Expr::Null => write!(f, "null"),
            Expr::Name(n) => write_name(f, &n.name),
            Expr::At(n, p) => {
                write_name(f, &n.name)?;
                write!(f, " at {p}")
            }
            Expr::Call(n, args) => {
                write_name(f, &n.name)?;
                write!(f, "(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, ")")
            }
            Expr::Neg(e) => write!(f, "-({e})"),
            Expr::Not(e) => write!(f, "(not ({e}))"),
            Expr::Binary(op, a, b) => write!(f, "({a} {} {b})", op.symbol()),
            Expr::IsNull(e, n) => write!(f, "({e} is {}null)", not(n)),
            Expr::InList(e, list, n) => {
                write!(f, "({e} {}in (", not(n))?;
                for (i, a) in list.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, "))")
            }
            Expr::Between(e, a, b, n) => write!(f, "({e} {}between ({a}) and ({b}))", not(n)),
            Expr::Like(e, p, n) => write!(f, "({e} {}like {})", not(n), Expr::Text(p.clone())),
        }
    }
}

fn write_name(f: &mut std::fmt::Formatter<'_>, name: &str) -> std::fmt::Result {
    if super::lexer::is_bare_name(name) {
        write!(f, "{name}")
    } else {
        write!(f, "`{name}`")
    }
}
