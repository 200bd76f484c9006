//! The statements of the query language as plain data, free of parser types.

/// One parsed statement, with the 1-based line it starts on (for messages).
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub statement: Statement,
    pub line: usize,
    /// The statement's source text, as written.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Describe { symbol: String },
    Show(ShowWhat),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShowWhat {
    Companies,
    Industries,
    Sectors,
    Metrics,
    Screens,
}
