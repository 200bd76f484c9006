//! The interactive REPL: rustyline line editing with persistent history.

use crate::cli::{self, RunOptions};
use crate::error::{Error, Result};
use crate::output::Format;
use crate::session::Session;
use rustyline::error::ReadlineError;

fn history_path() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".finq_history"))
}

/// Runs the REPL until Ctrl-D or `.quit`. Returns the exit status.
pub fn run(session: &mut Session, opts: &RunOptions) -> Result<i32> {
    let mut editor = rustyline::DefaultEditor::new().map_err(|e| Error::Io(e.to_string()))?;
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!(
        "finq {} — type .help for help, Ctrl-D to exit",
        env!("CARGO_PKG_VERSION")
    );
    let mut opts = *opts;
    loop {
        match editor.readline("finq> ") {
            Ok(line) => {
                let trimmed = line.trim();
                if trimmed.is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(trimmed);
                if let Some(meta) = trimmed.strip_prefix('.') {
                    if !meta_command(session, &mut opts, meta) {
                        break;
                    }
                    continue;
                }
                cli::run_script(session, &line, None, &opts);
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

/// Handles `.command`; returns false to leave the REPL.
fn meta_command(session: &mut Session, opts: &mut RunOptions, meta: &str) -> bool {
    let mut words = meta.split_whitespace();
    match words.next().unwrap_or("") {
        "quit" | "exit" => return false,
        "format" => match words.next().and_then(Format::parse) {
            Some(f) => {
                session.format = f;
                opts.format = f;
            }
            None => eprintln!("error: .format expects table, csv, json or markdown"),
        },
        "help" => println!(
            "statements: describe SYMBOL; show companies | industries | sectors | metrics | screens\n\
             meta: .format table|csv|json|markdown, .quit"
        ),
        other => eprintln!("error: unknown command '.{other}' (try .help)"),
    }
    true
}
