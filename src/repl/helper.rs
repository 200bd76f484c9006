//! The rustyline helper: completion ([`complete`](super::complete)), hints, multi-line
//! validation and highlighting ([`highlight`](super::highlight)) wired to the editor.

use super::complete::complete;
use super::highlight::highlight_input;
use super::names::Names;
use crate::output::style as st;
use crate::query::{lexer, registry};
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Cmd, ConditionalEventHandler, Context, Event, EventContext, Helper, RepeatCount};
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether an input is complete: no string, backticked name or parenthesis is open. Meta
/// commands are one line, so always complete.
pub fn is_complete(text: &str) -> bool {
    text.trim_start().starts_with('.') || lexer::is_complete(text)
}

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
fn syntax_hint(line: &str) -> Option<String> {
    let word = line.strip_suffix(' ')?;
    if word.contains(char::is_whitespace) || word.is_empty() {
        return None;
    }
    if let Some(syntax) = registry::statement_syntax(word) {
        return Some(syntax);
    }
    registry::META_COMMANDS
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(word) && !m.args.is_empty())
        .map(|m| m.args.to_string())
}

/// Completion, hints, multi-line validation and highlighting for the REPL.
pub struct FinqHelper {
    pub names: Names,
    /// Highlight input (the terminal takes colour and `NO_COLOR` is unset).
    pub color: bool,
    files: FilenameCompleter,
    history: HistoryHinter,
    /// Set by [`CtrlC`]: the line being submitted is abandoned, not run.
    pub abandoned: Arc<AtomicBool>,
}

impl FinqHelper {
    pub fn new(names: Names, color: bool) -> FinqHelper {
        FinqHelper {
            names,
            color,
            files: FilenameCompleter::new(),
            history: HistoryHinter::new(),
            abandoned: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether the line just read was abandoned with Ctrl-C (and forgets it).
    pub fn take_abandoned(&self) -> bool {
        self.abandoned.swap(false, Ordering::Relaxed)
    }
}

/// Ctrl-C while a hint is shown. rustyline's own interrupt leaves the hint on the screen;
/// submitting the line instead makes rustyline redraw it without the hint, and the flag
/// tells the validator to accept it as it is and the REPL to drop it.
pub struct CtrlC(pub Arc<AtomicBool>);

impl ConditionalEventHandler for CtrlC {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext) -> Option<Cmd> {
        if !ctx.has_hint() {
            return None;
        }
        self.0.store(true, Ordering::Relaxed);
        Some(Cmd::AcceptLine)
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
        if let Some(text) = syntax_hint(line) {
            return Some(FinqHint {
                text,
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
        let abandoned = self.abandoned.load(Ordering::Relaxed);
        Ok(if abandoned || is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_continues_while_quotes_or_parentheses_are_open() {
        assert!(is_complete("select roe"));
        assert!(!is_complete("select avg(roe"));
        assert!(!is_complete("select `P/E"));
        assert!(is_complete(".read \"x"), "a meta command is one line");
    }

    #[test]
    fn hints_show_the_syntax_after_the_first_word() {
        assert_eq!(
            syntax_hint("series ").as_deref(),
            Some("METRIC {, METRIC} of SYMBOL [from PERIOD] [to PERIOD] [kind fy|h|q|day]")
        );
        assert_eq!(
            syntax_hint("define ").as_deref(),
            Some(
                "metric NAME = EXPR [higher|lower] [unit U]  |  screen NAME as SELECT  |  scorecard NAME (DIMENSION: METRIC [weight W] {, …}; …)"
            )
        );
        assert_eq!(syntax_hint("explain ").as_deref(), Some("STATEMENT"));
        assert_eq!(
            syntax_hint(".format ").as_deref(),
            Some("table|csv|json|markdown")
        );
        assert_eq!(syntax_hint(".stats "), None);
        assert_eq!(syntax_hint("series"), None);
        assert_eq!(syntax_hint("series x "), None);
    }
}
