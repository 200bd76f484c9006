//! One error type for all of finq, grouped by kind so the command line can map each kind to
//! an exit status (SPEC.md section 2) and every message can say where the problem is.

use std::fmt;

/// Where in a piece of query text an error was found (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    /// The whole source line, so the message can show it with a caret.
    pub source_line: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Query text that does not parse.
    Parse { message: String, at: Position },
    /// A name that is not known (metric, company, attribute, ...), with a suggestion.
    Name(String),
    /// The same, where the name has a place in the query text.
    NameAt { message: String, at: Position },
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

    pub fn parse(message: impl Into<String>, text: &str, line: usize, column: usize) -> Error {
        let source_line = text
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .to_string();
        Error::Parse {
            message: message.into(),
            at: Position {
                line,
                column,
                source_line,
            },
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse { message, at } | Error::NameAt { message, at } => {
                let gutter = at.line.to_string();
                let pad = " ".repeat(gutter.len());
                writeln!(f, "error: {message}")?;
                writeln!(f, "{pad}--> line {}, column {}", at.line, at.column)?;
                writeln!(f, "{pad} |")?;
                writeln!(f, "{gutter} | {}", at.source_line)?;
                // Tabs keep their width so the caret lines up under the offending character.
                let mut lead: String = at
                    .source_line
                    .chars()
                    .take(at.column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                // A column past the end of the line (a missing token) still gets its caret.
                while lead.chars().count() < at.column.saturating_sub(1) {
                    lead.push(' ');
                }
                write!(f, "{pad} | {lead}^")
            }
            Error::Name(m) | Error::Data(m) | Error::Usage(m) | Error::Io(m) => {
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
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

/// Builds an [`Error::Name`]: `errname!("unknown metric '{m}'")`.
#[macro_export]
macro_rules! errname {
    ($($arg:tt)*) => { $crate::error::Error::Name(format!($($arg)*)) };
}

/// Builds an [`Error::Data`].
#[macro_export]
macro_rules! errdata {
    ($($arg:tt)*) => { $crate::error::Error::Data(format!($($arg)*)) };
}

/// Picks the known name closest to `wanted` for a did-you-mean hint, if one is close enough.
/// Ties go to the shorter name, then the alphabetically first, so hints never vary; a known
/// name that `wanted` begins (`FXTR` → `FXTR.US`) counts as close.
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
        let better = match best {
            None => true,
            Some((bd, bk)) => (d, k.len(), k) < (bd, bk.len(), bk),
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
    }

    #[test]
    fn parse_error_shows_line_and_caret() {
        let e = Error::parse(
            "expected a condition after 'where'",
            "select roe where",
            1,
            18,
        );
        let text = e.to_string();
        assert!(text.contains("--> line 1, column 18"));
        assert!(text.ends_with("|                  ^"), "{text}");
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
        assert_eq!(Error::Name("x".into()).exit_code(), 1);
    }
}
