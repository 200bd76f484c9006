//! [`Session::execute`]: the one entry point that the REPL, scripts, tests and benchmarks share.

use crate::error::{Error, Result};
use crate::output::{Format, Output};
use crate::query::cache::Cache;
use crate::query::{self, ast::Located};
use crate::storage::Database;
use std::path::Path;
use std::time::{Duration, Instant};

/// An open database and the settings of one user's session.
pub struct Session {
    pub db: Database,
    pub format: Format,
    /// Columns loaded for earlier statements; every write clears it.
    pub cache: Cache,
}

/// What one statement of a script did.
#[derive(Debug)]
pub struct StatementResult {
    /// 1-based position of the statement in the script.
    pub index: usize,
    pub line: usize,
    /// The statement as written.
    pub text: String,
    pub outputs: Vec<Output>,
    /// Parse, plan and execute time, output excluded.
    pub elapsed: Duration,
}

impl StatementResult {
    pub fn rows(&self) -> usize {
        self.outputs.iter().map(Output::rows).sum()
    }
}

/// Gives a name error without a place (an unknown company, industry or sector) the place
/// where the statement names it, so it is shown with its line, column and caret.
fn place_name(e: Error, script: &str, pos: usize, statement: &str) -> Error {
    let Error::Name(message) = &e else { return e };
    let quoted = ['\'', '"'].iter().find_map(|q| {
        let start = message.find(*q)? + 1;
        let len = message[start..].find(*q)?;
        Some(&message[start..start + len])
    });
    let Some(name) = quoted.filter(|n| !n.is_empty()) else {
        return e;
    };
    let hay = statement.to_lowercase();
    match hay.find(&name.to_lowercase()) {
        Some(offset) => crate::query::bind::name_error_at(script, pos + offset, message.clone()),
        None => e,
    }
}

impl Session {
    pub fn open(path: impl AsRef<Path>) -> Result<Session> {
        Ok(Session {
            db: Database::open(path)?,
            format: Format::Table,
            cache: Cache::default(),
        })
    }

    /// A session over a new database held in memory only (tests, scratch work).
    pub fn in_memory() -> Result<Session> {
        Ok(Session {
            db: Database::in_memory()?,
            format: Format::Table,
            cache: Cache::default(),
        })
    }

    /// Runs every statement of `text` and returns their outputs, stopping at the first error.
    pub fn execute(&mut self, text: &str) -> Result<Vec<Output>> {
        let mut outputs = Vec::new();
        self.run(text, false, &mut |r| {
            if let Ok(r) = r {
                outputs.extend(r.outputs);
            }
        })?;
        Ok(outputs)
    }

    /// Runs a script, handing each statement's result to `sink` as soon as it is done, so
    /// output appears while a long script runs. The whole script is parsed first: a syntax
    /// error anywhere runs nothing. A failing statement stops the script unless
    /// `keep_going`; the first error is returned at the end. Errors reach `sink` with the
    /// line their statement starts on.
    pub fn run(
        &mut self,
        text: &str,
        keep_going: bool,
        sink: &mut dyn FnMut(std::result::Result<StatementResult, (usize, Error)>),
    ) -> Result<()> {
        let start = Instant::now();
        let statements = query::parse_script(text)?;
        let parse_share = start.elapsed() / (statements.len().max(1) as u32);
        let mut first_error = None;
        for (
            i,
            Located {
                statement,
                line,
                pos,
                text: stmt_text,
            },
        ) in statements.iter().enumerate()
        {
            let t = Instant::now();
            let mut env = query::exec::Env {
                db: &mut self.db,
                cache: &mut self.cache,
                text,
            };
            match query::exec::execute(&mut env, statement) {
                Ok(outputs) => sink(Ok(StatementResult {
                    index: i + 1,
                    line: *line,
                    text: stmt_text.clone(),
                    outputs,
                    elapsed: t.elapsed() + parse_share,
                })),
                Err(e) => {
                    let e = place_name(e, text, *pos, stmt_text);
                    sink(Err((*line, e.clone())));
                    first_error.get_or_insert(e);
                    if !keep_going {
                        break;
                    }
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
