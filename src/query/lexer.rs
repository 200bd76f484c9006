//! The one lexer of query text: where words, numbers, strings, backticked names, comments
//! and punctuation begin and end.
//!
//! The grammar (grammar/finq.pest) decides what a statement means; this lexer only knows
//! token boundaries, which is all that the checks before pest (nesting depth, unclosed
//! strings), the trimming of a statement's text and the REPL (is the input complete, what
//! is under the cursor, what colour is a word) need. Keeping one copy of those rules means
//! a `--` inside a string is a string everywhere, never a comment in one place only.
//!
//! It never fails: text the grammar would reject still splits into tokens, and an
//! unclosed string or backticked name runs to the end of the text, marked open.

use super::registry;
use std::iter::Peekable;
use std::str::CharIndices;

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A name, keyword or bare symbol (ASCII letters, digits, `_`, `.`).
    Word,
    /// A number or period: `12`, `2.5B`, `15%`, `1e-3`, `2024Q3`.
    Number,
    /// A double-quoted string, quotes included; `closed` is false while it is still open.
    Str { closed: bool },
    /// A backticked name, backticks included; `closed` is false while it is still open.
    Tick { closed: bool },
    /// From `--` or `#` to the end of the line (the newline not included).
    Comment,
    /// Any other single character: operators, parentheses, `,`, `;`.
    Punct,
}

/// A token: its kind and its byte range in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.start..self.end]
    }

    /// Whether this is the punctuation character `c`.
    pub fn is_punct(&self, source: &str, c: char) -> bool {
        self.kind == Kind::Punct && source[self.start..].starts_with(c)
    }

    /// Whether this is a string or backticked name that never closes.
    pub fn is_open(&self) -> bool {
        matches!(
            self.kind,
            Kind::Str { closed: false } | Kind::Tick { closed: false }
        )
    }
}

/// The tokens of `text`, in order, whitespace skipped.
pub fn tokens(text: &str) -> Lexer<'_> {
    Lexer {
        text,
        chars: text.char_indices().peekable(),
    }
}

/// All tokens of `text` at once.
pub fn lex(text: &str) -> Vec<Token> {
    tokens(text).collect()
}

/// An iterator over the tokens of one text (see [`tokens`]).
pub struct Lexer<'a> {
    text: &'a str,
    chars: Peekable<CharIndices<'a>>,
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let (start, c) = loop {
            let (i, c) = self.chars.next()?;
            if !c.is_whitespace() {
                break (i, c);
            }
        };
        let mut end = start + c.len_utf8();
        let kind = if c == '"' || c == '`' {
            let closed = self.quoted(c, &mut end);
            if c == '"' {
                Kind::Str { closed }
            } else {
                Kind::Tick { closed }
            }
        } else if c == '#' || (c == '-' && self.chars.peek().is_some_and(|&(_, d)| d == '-')) {
            while let Some(&(i, d)) = self.chars.peek() {
                if d == '\n' {
                    break;
                }
                end = i + d.len_utf8();
                self.chars.next();
            }
            Kind::Comment
        } else if is_word_char(c) {
            self.word(c, start, &mut end);
            if c.is_ascii_digit() && is_number(&self.text[start..end]) {
                Kind::Number
            } else {
                Kind::Word
            }
        } else {
            Kind::Punct
        };
        Some(Token { kind, start, end })
    }
}

impl Lexer<'_> {
    /// The rest of a string (`"`, where `\` escapes the next character) or backticked name
    /// (no escapes, as in the grammar). Returns whether it closed.
    fn quoted(&mut self, quote: char, end: &mut usize) -> bool {
        while let Some((i, d)) = self.chars.next() {
            *end = i + d.len_utf8();
            if quote == '"' && d == '\\' {
                if let Some((j, e)) = self.chars.next() {
                    *end = j + e.len_utf8();
                }
            } else if d == quote {
                return true;
            }
        }
        false
    }

    /// The rest of a word or number. A number may carry an exponent sign (`1e-3`) and end
    /// in `%`, neither of which a word may hold.
    fn word(&mut self, first: char, start: usize, end: &mut usize) {
        while let Some(&(i, d)) = self.chars.peek() {
            let sign_of_exponent = matches!(d, '+' | '-')
                && first.is_ascii_digit()
                && self.text[start..i].ends_with(['e', 'E'])
                && is_number(&self.text[start..i - 1]);
            let percent = d == '%' && first.is_ascii_digit();
            if !(is_word_char(d) || sign_of_exponent || percent) {
                break;
            }
            *end = i + d.len_utf8();
            self.chars.next();
            if percent {
                break;
            }
        }
    }
}

/// Characters of a word token. `.` belongs to words so that `KC.US` and `2.5B` stay whole.
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Characters of a bare company symbol (grammar rule `bare_symbol`), which may also hold
/// `-`, `^` and `/` (`BRK-B`, `^GSPC`): the lexer splits those, so the REPL rejoins them.
pub fn is_symbol_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '^' | '/')
}

/// Whether a token that starts with a digit reads as a number or a period (`12`, `2.5B`,
/// `15%`, `1e9`, `2024Q3`) rather than a symbol (`688316.SH`).
pub fn is_number(s: &str) -> bool {
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

/// Whether a name can be written bare (grammar rule `name`): an ASCII letter or `_`, then
/// letters, digits and `_`, and not a reserved word. Other names need backticks.
pub fn is_bare_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !registry::is_reserved(s)
}

/// Whether a symbol can be written bare (grammar rule `bare_symbol`); others are quoted.
pub fn is_bare_symbol(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(is_symbol_char)
}

/// Whether the input can be handed to the parser: no string or backticked name is open and
/// every parenthesis is closed. (Too many `)` is complete: the parser reports that one.)
pub fn is_complete(text: &str) -> bool {
    let mut depth = 0i64;
    for t in tokens(text) {
        if t.is_open() {
            return false;
        }
        if t.is_punct(text, '(') {
            depth += 1;
        } else if t.is_punct(text, ')') {
            depth -= 1;
        }
    }
    depth <= 0
}

/// The text with comments dropped and each run of whitespace between tokens made one
/// space; strings and backticked names are kept exactly (a `--` inside them is text).
pub fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_end = None;
    for t in tokens(text).filter(|t| t.kind != Kind::Comment) {
        if last_end.is_some_and(|e| e < t.start) {
            out.push(' ');
        }
        out.push_str(t.text(text));
        last_end = Some(t.end);
    }
    out
}

/// The end of the last token that is not a comment: where a statement's text stops when
/// whitespace and comments trail it.
pub fn end_of_code(text: &str) -> usize {
    tokens(text)
        .filter(|t| t.kind != Kind::Comment)
        .last()
        .map_or(0, |t| t.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Kind> {
        lex(s).iter().map(|t| t.kind).collect()
    }

    fn texts(s: &str) -> Vec<&str> {
        lex(s).iter().map(|t| t.text(s)).collect()
    }

    #[test]
    fn numbers_and_periods_are_told_from_symbols() {
        use Kind::*;
        assert_eq!(
            kinds("12 2.5B 15% 1e9 1e-3 2024Q3 688316.SH roe"),
            vec![Number, Number, Number, Number, Number, Number, Word, Word]
        );
        // The sign after `e` belongs to an exponent only in a number.
        assert_eq!(texts("1e-3 revenue-1"), ["1e-3", "revenue", "-", "1"]);
        assert_eq!(texts("15%x"), ["15%", "x"]);
    }

    #[test]
    fn strings_ticks_and_comments() {
        use Kind::*;
        assert_eq!(
            kinds("a -- c\n\"s\" `t"),
            vec![Word, Comment, Str { closed: true }, Tick { closed: false }]
        );
        assert_eq!(texts("x # to the end\ny"), ["x", "# to the end", "y"]);
        // An escaped quote does not close a string; a backslash in backticks is text.
        assert_eq!(kinds(r#""a \" b""#), vec![Str { closed: true }]);
        assert_eq!(texts(r"`a\` b"), [r"`a\`", "b"]);
        // Comment markers inside strings are text.
        assert_eq!(kinds("\"a -- b # c\""), vec![Str { closed: true }]);
        // One `-` is an operator, two start a comment.
        assert_eq!(kinds("- -x"), vec![Punct, Punct, Word]);
    }

    #[test]
    fn punctuation_is_one_character_each() {
        assert_eq!(texts("a>=(b);"), ["a", ">", "=", "(", "b", ")", ";"]);
        let t = lex("é(");
        assert_eq!(
            t[0],
            Token {
                kind: Kind::Punct,
                start: 0,
                end: 2
            }
        );
        assert!(t[1].is_punct("é(", '('));
    }

    #[test]
    fn completeness_follows_quotes_and_parentheses() {
        assert!(is_complete("select roe"));
        assert!(!is_complete("select avg(roe"));
        assert!(!is_complete("select roe where industry = \"Sys"));
        assert!(!is_complete("select `P/E"));
        assert!(is_complete("select avg(roe)\n"));
        assert!(is_complete("select roe -- an open ( in a comment"));
        assert!(is_complete("select \"a \\\" b\""));
        assert!(is_complete("select roe)"));
    }

    #[test]
    fn collapse_keeps_strings_and_drops_comments() {
        assert_eq!(collapse("avg( roe )\n  * 2 -- why\n"), "avg( roe ) * 2");
        assert_eq!(collapse("roe--c\n+1"), "roe +1");
        // Comment markers and runs of spaces inside quotes are not touched.
        assert_eq!(collapse("\"a -- b\"  #c"), "\"a -- b\"");
        assert_eq!(collapse("`P/E  #1`"), "`P/E  #1`");
    }

    #[test]
    fn end_of_code_skips_trailing_comments() {
        assert_eq!(end_of_code("select roe   -- why\n-- more\n"), 10);
        assert_eq!(end_of_code("describe \"KC.US\" # x"), 16);
        assert_eq!(end_of_code("-- only"), 0);
    }

    #[test]
    fn bare_names_and_symbols() {
        assert!(is_bare_name("roe") && is_bare_name("_x1"));
        assert!(!is_bare_name("P/E (TTM)") && !is_bare_name("1x") && !is_bare_name(""));
        assert!(
            !is_bare_name("select") && !is_bare_name("Explain"),
            "reserved"
        );
        assert!(
            is_bare_name("score"),
            "a statement word that is not reserved"
        );
        assert!(is_bare_symbol("BRK-B") && is_bare_symbol("688316.SH"));
        assert!(!is_bare_symbol("A B") && !is_bare_symbol("-X"));
    }
}
