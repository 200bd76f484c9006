//! Colours for the line being typed: keywords, functions, strings, numbers, backticked
//! names, comments and meta commands, told apart by the query lexer and the registry.

use crate::output::style as st;
use crate::query::lexer::{self, Kind};
use crate::query::registry;

/// Bold blue (`BOLD` then `BLUE`): a word of the language.
const KEYWORD: &str = "\x1b[1m\x1b[34m";
/// Faint: a comment.
const COMMENT: &str = st::DIM;

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
    let toks = lexer::lex(line);
    for (i, t) in toks.iter().enumerate() {
        out.push_str(&line[at..t.start]);
        let text = t.text(line);
        // A function's name is one only where it is called: `count` alone may be a metric.
        let called = toks.get(i + 1).is_some_and(|n| n.is_punct(line, '('));
        let code = match t.kind {
            Kind::Word if called && registry::function(text).is_some() => st::CYAN,
            Kind::Word if registry::is_keyword(text) => KEYWORD,
            Kind::Number => st::YELLOW,
            Kind::Str { .. } => st::GREEN,
            Kind::Tick { .. } => st::MAGENTA,
            Kind::Comment => COMMENT,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlighting_keeps_the_text() {
        let line = "select avg(roe), \"x\" from industry \"Systems\" where pe > 15% -- note";
        let h = highlight_input(line);
        assert_ne!(h, line);
        assert_eq!(st::strip_ansi(&h), line);
        assert!(h.contains("\x1b[1m\x1b[34mselect"), "{h:?}");
        assert!(h.contains("\x1b[33m15%"), "{h:?}");
        assert!(h.contains("\x1b[32m\"x\""), "{h:?}");
        assert!(h.contains(&format!("{}avg", st::CYAN)), "{h:?}");
        assert_eq!(
            st::strip_ansi(&highlight_input(".format json")),
            ".format json"
        );
    }

    #[test]
    fn explain_is_a_keyword_and_a_name_is_not_a_function_unless_called() {
        let h = highlight_input("explain select avg");
        assert!(h.contains(&format!("{KEYWORD}explain")), "{h:?}");
        assert!(!h.contains(st::CYAN), "{h:?}");
    }
}
