//! The interactive REPL (SPEC.md section 2, "REPL"): rustyline line editing with completion
//! that knows where the cursor is, hints, multi-line input while quotes or parentheses are
//! open, highlighting, persistent history in `~/.finq_history`, and the meta commands
//! `.help .format .timer .output .read .stats .check .quit`.
//!
//! Results are drawn for the terminal ([`Style::terminal`]: grades coloured unless
//! `NO_COLOR`, wide tables fitted to the terminal's width, sparklines under `series`), each
//! followed by a footer `N rows (1.2 ms)`; `.output FILE` sends plain results to a file.
//!
//! The language's words (statements and their syntax, clause words, functions, computed
//! columns, meta commands) all come from [`crate::query::registry`], and input is split by
//! [`crate::query::lexer`]:
//! - [`complete`]: what Tab offers where the cursor is;
//! - [`helper`]: the rustyline helper (hints, multi-line validation, wiring);
//! - [`highlight`]: colours for the line being typed;
//! - [`help`]: `.help [TOPIC]`;
//! - [`meta`]: the meta commands;
//! - [`names`]: what the database holds, for completion.

mod complete;
mod help;
mod helper;
mod highlight;
mod meta;
mod names;

pub use helper::{CtrlC, FinqHelper, FinqHint};
pub use highlight::highlight_input;
pub use names::Names;

use crate::cli::{self, RunOptions};
use crate::error::{Error, Result};
use crate::output::style::{self as st, Style};
use crate::output::{self, Format, Output};
use crate::session::Session;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Editor, EventHandler, KeyEvent};
use std::io::Write as _;
use std::path::PathBuf;

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
    /// Lines from `-c` or a pipe: no row-count footers (output stays what scripts print).
    piped: bool,
    /// Whether an error was reported (the exit status of piped input).
    failed: std::cell::Cell<bool>,
}

/// Statements and meta commands (`.format csv`, `.stats`, `.output FILE`, …) from `-c` or
/// from standard input that is not a terminal: meta-command lines run as in the REPL, the
/// statements between them as a script. Returns the exit status (1 after any error).
pub fn run_lines(session: &mut Session, text: &str, opts: &RunOptions) -> i32 {
    session.set_format(opts.format);
    let mut repl = Repl {
        timer: false,
        output: None,
        color: false,
        depth: 0,
        piped: true,
        failed: std::cell::Cell::new(false),
    };
    repl.read_script(session, text, None);
    i32::from(repl.failed.get())
}

/// Whether a text has a meta-command line (one starting with `.`).
pub fn has_meta_lines(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with('.') && l[1..].starts_with(|c: char| c.is_ascii_alphabetic())
    })
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
    let helper = FinqHelper::new(Names::load(session), color);
    editor.bind_sequence(
        KeyEvent::ctrl('C'),
        EventHandler::Conditional(Box::new(CtrlC(helper.abandoned.clone()))),
    );
    editor.set_helper(Some(helper));
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    session.set_format(opts.format);
    let companies = session.companies().map_or(0, |c| c.len());
    cli::print(&format!(
        "finq {} — {} ({companies} compan{}). Type .help for help, Tab to complete, Ctrl-D to exit.\n",
        env!("CARGO_PKG_VERSION"),
        session.database().path().display(),
        if companies == 1 { "y" } else { "ies" },
    ));
    let mut repl = Repl {
        timer: opts.timings,
        output: None,
        color,
        depth: 0,
        piped: false,
        failed: std::cell::Cell::new(false),
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
            // Ctrl-C over a hint (see `CtrlC`): the line was redrawn without it; drop it.
            Ok(_) if editor.helper().is_some_and(FinqHelper::take_abandoned) => {}
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
        self.failed.set(true);
        report(self.color, message);
    }

    /// Runs statements and prints each result with its footer; errors go to stderr, naming
    /// `file` and the line when the statements come from `.read`. Returns whether all ran.
    fn execute(&mut self, session: &mut Session, text: &str, file: Option<&str>) -> bool {
        let format = session.format();
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
        let outcome = session.run(text, false, &mut |r| {
            self.show(r, format, &style, (text, file))
        });
        match outcome {
            Ok(()) => true,
            Err(e @ Error::Parse { .. }) => {
                let shown = cli::render_error(&e, text);
                match file {
                    Some(f) => self.error(&format!("{shown}\n  in {f}")),
                    None => self.error(&shown),
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
        (text, file): (&str, Option<&str>),
    ) {
        let r = match r {
            Ok(r) => r,
            Err((line, e)) => {
                let shown = cli::render_error(&e, text);
                match file {
                    Some(f) => self.error(&format!("{shown}\n  --> {f}:{line}")),
                    None => self.error(&shown),
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
                Output::Message(m)
                    if matches!(format, Format::Csv | Format::Json | Format::Jsonl) =>
                {
                    eprintln!("{m}");
                }
                Output::Message(m) => self.write(&format!("{m}\n")),
            }
        }
        let rows = (tables > 0 && !self.piped).then(|| r.rows());
        let footer_style = Style {
            color: self.color,
            ..Style::PLAIN
        };
        match (&self.output, format) {
            // Piped: the confirmation of `.output` said where results go.
            (Some(_), _) if self.piped => {}
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
        if format == Format::Table && self.output.is_none() && !self.piped {
            cli::print("\n");
        }
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
