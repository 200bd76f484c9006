//! One error type for all of finq, grouped by kind so the command line can map each kind to
//! an exit status (SPEC.md section 2) and every message can say where the problem is.

pub mod stop;

use std::fmt;

/// Where in a piece of query text a parse error was found (1-based line and column; the
/// column may be one past the end of a line, where a missing token would go).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A byte range of the text a statement came from: where a name was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Query text that does not parse.
    Parse { message: String, at: Position },
    /// A name that is not known (metric, company, attribute, ...) or cannot be used where it
    /// is, with a suggestion; `span` is where the statement wrote it, when it has a place in
    /// the text being run (a name inside a saved screen or definition has none there).
    Name { message: String, span: Option<Span> },
    /// A well-formed request that the data cannot satisfy.
    Data(String),
    /// A file that cannot be imported: names `file:line:column` and the reason.
    Import {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A file-level import failure with no line (unreadable, not a known format).
    File { file: String, message: String },
    /// Bad command-line usage.
    Usage(String),
    /// The database cannot be opened: locked, damaged or of another format version.
    Open { path: String, reason: String },
    /// An operating-system error outside the database.
    Io(String),
    /// The storage engine failed while the database was open.
    Storage(String),
    /// A statement stopped at its caller's time limit ([`stop`]); it changed nothing.
    Stopped(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Exit status for the command line (SPEC.md section 2).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::Open { .. } => 3,
            _ => 1,
        }
    }

    pub fn parse(message: impl Into<String>, line: usize, column: usize) -> Error {
        Error::Parse {
            message: message.into(),
            at: Position { line, column },
        }
    }

    /// A name error with no place in the text being run.
    pub fn name(message: impl Into<String>) -> Error {
        Error::Name {
            message: message.into(),
            span: None,
        }
    }

    /// A name error about the name written at byte `pos` of the text being run.
    pub fn name_at(pos: usize, message: impl Into<String>) -> Error {
        Error::Name {
            message: message.into(),
            span: Some(Span {
                start: pos,
                end: pos,
            }),
        }
    }

    /// The same error without its place (it is about to be reported against another text).
    pub fn without_place(self) -> Error {
        match self {
            Error::Name { message, .. } | Error::Parse { message, .. } => Error::name(message),
            other => other,
        }
    }

    /// Where the error is in the text being run: its line and column, if it has a place.
    pub fn position(&self, source: &str) -> Option<Position> {
        match self {
            Error::Parse { at, .. } => Some(*at),
            Error::Name {
                span: Some(span), ..
            } => {
                let (line, column) = line_col(source, span.start);
                Some(Position { line, column })
            }
            _ => None,
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = &text[..text.floor_char_boundary(pos)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse { message, .. } | Error::Name { message, .. } => {
                write!(f, "error: {message}")
            }
            Error::Data(m) | Error::Usage(m) | Error::Io(m) => {
                write!(f, "error: {m}")
            }
            Error::Import {
                file,
                line,
                column,
                message,
            } => write!(f, "error: {file}:{line}:{column}: {message}"),
            Error::File { file, message } => write!(f, "error: {file}: {message}"),
            Error::Open { path, reason } => write!(f, "error: database {path} {reason}"),
            Error::Storage(m) => write!(f, "error: storage: {m}"),
            Error::Stopped(m) => write!(f, "error: stopped: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

/// Builds an [`Error::Name`] without a place: `errname!("unknown metric '{m}'")`.
#[macro_export]
macro_rules! errname {
    ($($arg:tt)*) => { $crate::error::Error::name(format!($($arg)*)) };
}

/// Builds an [`Error::Data`].
#[macro_export]
macro_rules! errdata {
    ($($arg:tt)*) => { $crate::error::Error::Data(format!($($arg)*)) };
}

/// Picks the known name closest to `wanted` for a did-you-mean hint, if one is close enough.
/// Ties go to the name whose length is nearest `wanted`'s (`APPL` → `AAPL`, one letter
/// changed, rather than `APP`, one dropped), then the shorter, then the alphabetically
/// first, so hints never vary; a known name that `wanted` begins (`FXTR` → `FXTR.US`) counts
/// as close.
pub fn suggest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = wanted.to_lowercase();
    let wanted_chars = wanted.chars().count();
    let limit = (wanted_chars / 3).max(2);
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        let lower = k.to_lowercase();
        let d = if lower.starts_with(&wanted) && wanted.len() >= 3 {
            1
        } else if wanted_chars.abs_diff(lower.chars().count()) > limit {
            // The distance is at least the difference in length: too far, and a huge name
            // (a 1 MB identifier) must not cost a full distance table per known name.
            continue;
        } else {
            edit_distance(&wanted, &lower)
        };
        if d > limit {
            continue;
        }
        let rank = |d: usize, k: &str| {
            let n = k.chars().count();
            (d, n.abs_diff(wanted_chars), n, k.to_string())
        };
        let better = match best {
            None => true,
            Some((bd, bk)) => rank(d, k) < rank(bd, bk),
        };
        if better {
            best = Some((d, k));
        }
    }
    best.map(|(_, k)| k)
}

/// Appends " — did you mean 'x'?" when a close name exists.
pub fn did_you_mean<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    match suggest(wanted, known) {
        Some(s) => format!(" — did you mean '{s}'?"),
        None => String::new(),
    }
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbouring characters each cost 1 (`reo` is one step from `roe`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_name() {
        assert_eq!(suggest("reo", ["roe", "pb", "revenue"]), Some("roe"));
        assert_eq!(suggest("xyzzy", ["roe", "pb"]), None);
        // A swap is one step, so `roe` beats names two steps away, whatever the order.
        assert_eq!(suggest("reo", ["pe", "cfo", "roe"]), Some("roe"));
        assert_eq!(suggest("reo", ["roe", "cfo", "pe"]), Some("roe"));
        assert_eq!(suggest("FXTR", ["FXTR.US", "ABC.US"]), Some("FXTR.US"));
        assert_eq!(did_you_mean("reo", ["roe"]), " — did you mean 'roe'?");
        // One letter changed beats one dropped: APPL is AAPL mistyped, not APP.
        assert_eq!(suggest("APPL", ["APP", "AAPL", "APPS"]), Some("AAPL"));
    }

    #[test]
    fn errors_with_a_place_say_where_it_is() {
        let e = Error::parse("expected a condition after 'where'", 1, 18);
        assert_eq!(e.to_string(), "error: expected a condition after 'where'");
        assert_eq!(
            e.position("select roe where"),
            Some(Position {
                line: 1,
                column: 18
            })
        );
        let n = Error::name_at(13, "unknown metric 'reo'");
        assert_eq!(
            n.position("select roe,\n  reo"),
            Some(Position { line: 2, column: 2 })
        );
        assert_eq!(n.clone().without_place().position("x"), None);
        assert_eq!(Error::name("x").position("x"), None);
    }

    #[test]
    fn exit_codes_follow_the_spec() {
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
        assert_eq!(
            Error::Open {
                path: "a".into(),
                reason: "b".into()
            }
            .exit_code(),
            3
        );
        assert_eq!(Error::name("x").exit_code(), 1);
    }
}
