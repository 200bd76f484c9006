//! How a table looks on a terminal: colours, fitting to the terminal's width, sparklines.
//!
//! [`Style`] is chosen by the caller — the REPL, or `main` for `-c` and stdin — and passed to
//! [`super::render_styled`]; the renderer itself never looks at the terminal, so tests and
//! pipes get the plain output of [`Style::PLAIN`].

use std::time::Duration;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// What the table format may add to the plain layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours: grades A (green) to E (red), a bold header, title and peer-table
    /// subject row, dim rules and footers, coloured sparklines.
    pub color: bool,
    /// Fit tables into this many terminal columns: long text cells are shortened with `…`,
    /// and a table whose numbers alone do not fit is shown one record per block.
    pub width: Option<usize>,
    /// Draw a sparkline per metric under a `series` table.
    pub sparklines: bool,
}

impl Style {
    /// Exactly the layout of [`super::render`]: no colour, no width limit, no sparklines.
    pub const PLAIN: Style = Style {
        color: false,
        width: None,
        sparklines: false,
    };

    /// For a terminal `width` columns wide: colour unless `NO_COLOR` is set, sparklines.
    pub fn terminal(width: Option<usize>) -> Style {
        Style {
            color: color_allowed(),
            width,
            sparklines: true,
        }
    }

    /// [`Style::terminal`] with the terminal's width when stdout is a terminal, else
    /// [`Style::PLAIN`].
    pub fn for_stdout() -> Style {
        if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            Style::terminal(terminal_width())
        } else {
            Style::PLAIN
        }
    }
}

/// False when `NO_COLOR` is set to anything non-empty (<https://no-color.org>).
pub fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The width of the terminal on stdout, else `$COLUMNS`, else none.
pub fn terminal_width() -> Option<usize> {
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we own; on failure it is
    // left as it was and the return value says so.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_col > 0 {
        return Some(ws.ws_col as usize);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&c: &usize| c > 0)
}

// ─── ANSI pieces ───────────────────────────────────────────────────────────────────────

pub const BOLD: &str = "\x1b[1m";
pub const NOT_BOLD: &str = "\x1b[22m";
pub const DIM: &str = "\x1b[2m";
pub const NOT_DIM: &str = "\x1b[22m";
/// Back to the default foreground colour (bold and dim stay as they are).
pub const FG_DEFAULT: &str = "\x1b[39m";
pub const RESET: &str = "\x1b[0m";
pub const GREEN: &str = "\x1b[32m";
pub const YELLOW: &str = "\x1b[33m";
pub const BLUE: &str = "\x1b[34m";
pub const MAGENTA: &str = "\x1b[35m";
pub const CYAN: &str = "\x1b[36m";

/// The foreground colour of a grade: A green, B light green, C yellow, D orange, E red.
pub fn grade_color(grade: &str) -> Option<&'static str> {
    Some(match grade {
        "A" => "\x1b[38;5;34m",
        "B" => "\x1b[38;5;112m",
        "C" => "\x1b[38;5;178m",
        "D" => "\x1b[38;5;208m",
        "E" => "\x1b[38;5;196m",
        _ => return None,
    })
}

/// `text` in a grade's colour when it is a grade and colour is on.
pub fn paint_grade(text: &str, style: &Style) -> String {
    match grade_color(text).filter(|_| style.color) {
        Some(c) => format!("{BOLD}{c}{text}{FG_DEFAULT}{NOT_BOLD}"),
        None => text.to_string(),
    }
}

/// Whether a column holds grades: its name ends in `grade` or is one of the peer table's
/// dimension columns or `Rating`.
pub fn is_grade_column(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with("grade")
        || lower.starts_with("grade(")
        || matches!(
            lower.as_str(),
            "profit" | "growth" | "operation" | "security" | "cash" | "rating"
        )
}

/// Display width of a text on a terminal (wide characters count two).
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` display columns, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// The footer under a result: `3 rows`, `1 row (1.2 ms)`, or just `(1.2 ms)` for a
/// statement without rows; dim on a colour terminal. Ends with a newline.
pub fn footer(rows: Option<usize>, elapsed: Option<Duration>, style: &Style) -> String {
    let mut parts = Vec::new();
    if let Some(n) = rows {
        parts.push(format!("{n} row{}", if n == 1 { "" } else { "s" }));
    }
    if let Some(t) = elapsed {
        parts.push(format!("({})", format_duration(t)));
    }
    let text = parts.join(" ");
    if style.color {
        format!("{DIM}{text}{NOT_DIM}\n")
    } else {
        format!("{text}\n")
    }
}

/// `0.35 ms`, `12.3 ms`, `1.24 s`.
pub fn format_duration(t: Duration) -> String {
    let ms = t.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// Eight block heights, lowest first.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One bar per value, scaled from the smallest (▁) to the largest (█); a flat series is a
/// row of middle bars. Values that are not finite are gaps.
pub fn sparkline(values: &[f64]) -> String {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                ' '
            } else if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
                BARS[3]
            } else {
                let i = ((v - lo) / (hi - lo) * 7.0).round() as usize;
                BARS[i.min(7)]
            }
        })
        .collect()
}

/// The scorecard with its grades coloured: the `(B)` after the score, the industry median,
/// and the dimension and indicator grade columns. The title and peer-group lines, which
/// hold free text, are left alone.
pub fn paint_card(card: &str, style: &Style) -> String {
    if !style.color {
        return card.to_string();
    }
    let mut out = String::with_capacity(card.len() + 256);
    for (i, line) in card.split_inclusive('\n').enumerate() {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if i == 0 {
            out.push_str(&format!("{BOLD}{body}{NOT_BOLD}{nl}"));
            continue;
        }
        if body.starts_with("peer group:") {
            out.push_str(line);
            continue;
        }
        if body.starts_with("dimension") {
            out.push_str(&format!("{BOLD}{body}{NOT_BOLD}{nl}"));
            continue;
        }
        out.push_str(&paint_grade_tokens(body));
        out.push_str(nl);
    }
    out
}

/// Colours every whitespace-separated token that is a grade, or a grade in parentheses.
fn paint_grade_tokens(line: &str) -> String {
    let style = Style {
        color: true,
        ..Style::PLAIN
    };
    let mut out = String::with_capacity(line.len() + 64);
    let mut rest = line;
    while !rest.is_empty() {
        let ws = rest.len() - rest.trim_start().len();
        out.push_str(&rest[..ws]);
        rest = &rest[ws..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let token = &rest[..end];
        if let Some(inner) = token.strip_prefix('(').and_then(|t| t.strip_suffix(')'))
            && grade_color(inner).is_some()
        {
            out.push('(');
            out.push_str(&paint_grade(inner, &style));
            out.push(')');
        } else {
            out.push_str(&paint_grade(token, &style));
        }
        rest = &rest[end..];
    }
    out
}

/// Removes ANSI escape sequences (CSI `ESC [ ... letter`), for tests and width checks.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_between_min_and_max() {
        assert_eq!(
            sparkline(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
            "▁▂▃▄▅▆▇█"
        );
        assert_eq!(sparkline(&[5.0, 5.0, 5.0]), "▄▄▄");
        assert_eq!(sparkline(&[0.0, f64::NAN, 10.0]), "▁ █");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn truncate_counts_display_columns() {
        assert_eq!(truncate("Internet Services", 8), "Interne…");
        assert_eq!(truncate("short", 8), "short");
        assert_eq!(width("浪潮软件"), 8);
        assert_eq!(truncate("浪潮软件", 5), "浪潮…");
    }

    #[test]
    fn grades_are_coloured_only_with_colour() {
        let on = Style {
            color: true,
            ..Style::PLAIN
        };
        let painted = paint_grade("A", &on);
        assert!(painted.contains("\x1b[38;5;34m"), "{painted:?}");
        assert_eq!(strip_ansi(&painted), "A");
        assert_eq!(paint_grade("A", &Style::PLAIN), "A");
        assert_eq!(paint_grade("F", &on), "F");
        assert!(is_grade_column("score_grade"));
        assert!(is_grade_column("Profit"));
        assert!(is_grade_column("Rating"));
        assert!(is_grade_column("grade(roe)"));
        assert!(!is_grade_column("name"));
    }

    #[test]
    fn card_grades_are_coloured_and_text_lines_left_alone() {
        let card = "KC.US — Class A   (latest values)\nScore 0.42 (C)   industry rank 2 / 2   industry median B\npeer group: Sector A (3 companies)\n\ndimension  grade   indicator               value percentile grade\nProfit         E   ROE                   -12.93%       0.00     E\n";
        let on = Style {
            color: true,
            ..Style::PLAIN
        };
        let painted = paint_card(card, &on);
        assert_eq!(strip_ansi(&painted), card);
        let lines: Vec<&str> = painted.lines().collect();
        assert!(
            !lines[0].contains("38;5"),
            "title untouched: {:?}",
            lines[0]
        );
        assert!(
            lines[1].contains("(\x1b[1m\x1b[38;5;178mC"),
            "{:?}",
            lines[1]
        );
        assert!(lines[1].contains("\x1b[38;5;112mB"), "{:?}", lines[1]);
        assert!(!lines[2].contains("38;5"), "peer group untouched");
        assert_eq!(lines[5].matches("\x1b[38;5;196mE").count(), 2);
        assert_eq!(paint_card(card, &Style::PLAIN), card);
    }

    #[test]
    fn footer_counts_rows_and_time() {
        assert_eq!(footer(Some(3), None, &Style::PLAIN), "3 rows\n");
        assert_eq!(footer(Some(1), None, &Style::PLAIN), "1 row\n");
        assert_eq!(
            footer(Some(0), Some(Duration::from_micros(1234)), &Style::PLAIN),
            "0 rows (1.23 ms)\n"
        );
        assert_eq!(
            footer(None, Some(Duration::from_millis(1500)), &Style::PLAIN),
            "(1.50 s)\n"
        );
        let dim = footer(
            Some(2),
            None,
            &Style {
                color: true,
                ..Style::PLAIN
            },
        );
        assert_eq!(dim, "\x1b[2m2 rows\x1b[22m\n");
    }
}
