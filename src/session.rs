//! [`Session`]: the one façade that the command line, the REPL, scripts, tests and benchmarks
//! share. It owns the open database and what is cached from it; every write goes through a
//! statement or [`Session::import`], both of which patch or clear the cache, so no caller
//! can leave stale columns behind. Sessions made with [`Session::share`] read one open
//! database side by side; each takes in what the others wrote before its next statement.

use crate::columns::Companies;
use crate::error::{Error, Result};
use crate::ingest::{ImportOptions, ImportReport};
use crate::output::{Format, Output};
use crate::query::ast::Located;
use crate::query::cache::Cache;
use crate::query::exec::{self, Env};
use crate::query::plan::Plan;
use crate::storage::{Changes, CheckReport, Database};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An open database and the settings of one user's session.
pub struct Session {
    db: Database,
    format: Format,
    /// Columns and tables loaded for earlier statements; every write clears it.
    cache: Cache,
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

/// A parsed script, to be planned and run any number of times (the benchmarks time parsing,
/// planning and execution apart).
pub struct Prepared {
    statements: Vec<Located>,
}

impl Prepared {
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
}

impl Session {
    pub fn open(path: impl AsRef<Path>) -> Result<Session> {
        Ok(Session::over(Database::open(path)?))
    }

    fn over(db: Database) -> Session {
        Session {
            db,
            format: Format::Table,
            cache: Cache::default(),
        }
    }

    /// The output format statements are shown in (`--format`, `.format`).
    pub fn format(&self) -> Format {
        self.format
    }

    pub fn set_format(&mut self, format: Format) {
        self.format = format;
    }

    /// The database, for reading (its path, catalog, sizes, definitions).
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Another session over the same open database, with its own cache and this one's
    /// format: the web server's readers. Writes through either are seen by both.
    pub fn share(&self) -> Session {
        Session {
            format: self.format,
            ..Session::over(self.db.share())
        }
    }

    /// Takes in what other sessions on this database wrote since this one last looked: a
    /// few series' points are patched into the cache, anything else clears it.
    fn catch_up(&mut self) -> Result<()> {
        match self.db.catch_up()? {
            Changes::Nothing => {}
            Changes::Points(series) => {
                let patched = crate::error::stop::shielded(|| self.cache.patch(&self.db, &series));
                if patched.is_err() {
                    self.cache.clear();
                }
            }
            Changes::Everything => self.cache.clear(),
        }
        Ok(())
    }

    /// Every company, as queries see them (loaded once until the next write).
    pub fn companies(&mut self) -> Result<Arc<Companies>> {
        self.catch_up()?;
        self.cache.companies(&self.db)
    }

    /// `finq check`: the database's invariants.
    pub fn check(&self) -> Result<CheckReport> {
        self.db.check()
    }

    /// Imports one file atomically, exactly as the `import` statement does; `progress` is
    /// told how many bytes have been read.
    pub fn import(
        &mut self,
        path: &Path,
        opts: &ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport> {
        self.catch_up()?;
        exec::write::import_path(&mut self.db, &mut self.cache, path, opts, progress)
    }

    /// Imports a file's bytes (the demo's compiled-in sample) as if read from `name`.
    pub fn import_bytes(
        &mut self,
        name: &str,
        bytes: &[u8],
        opts: &ImportOptions,
    ) -> Result<ImportReport> {
        self.catch_up()?;
        exec::write::import_bytes(&mut self.db, &mut self.cache, name, bytes, opts)
    }

    /// Forgets what is cached, so the next statement reads everything afresh (benchmarks of
    /// cold statements use it; writes patch or clear the cache themselves).
    pub fn clear_cache(&mut self) {
        self.cache.clear();
    }

    /// Ends a one-shot session without freeing its cache: the process exits next, and
    /// freeing a hundred thousand companies' rows one by one costs more than a query. The
    /// database itself is closed (flushed) as usual.
    pub fn close_for_exit(mut self) {
        std::mem::forget(std::mem::take(&mut self.cache));
    }

    /// Parses a script once (nothing is read: any session may run the result).
    pub fn prepare(text: &str) -> Result<Prepared> {
        Ok(Prepared {
            statements: crate::query::parse_script(text)?,
        })
    }

    /// Plans every statement of a prepared script without running it.
    pub fn plan(&mut self, prepared: &Prepared) -> Result<Vec<Plan>> {
        self.catch_up()?;
        let mut env = Env {
            db: &mut self.db,
            cache: &mut self.cache,
        };
        prepared
            .statements
            .iter()
            .map(|s| crate::query::plan::plan(&mut env, &s.statement))
            .collect()
    }

    /// Plans and runs every statement of a prepared script, stopping at the first error.
    pub fn execute_prepared(&mut self, prepared: &Prepared) -> Result<Vec<Output>> {
        let mut outputs = Vec::new();
        for s in &prepared.statements {
            crate::error::stop::check()?;
            self.catch_up()?;
            let mut env = Env {
                db: &mut self.db,
                cache: &mut self.cache,
            };
            outputs.extend(exec::execute(&mut env, &s.statement)?);
        }
        Ok(outputs)
    }

    /// `finq sql`: one select written as one SQL query of `dialect` over an export's views,
    /// bound and planned against this database (its names, metrics and derivations).
    pub fn sql(&mut self, text: &str, dialect: crate::sql::Dialect) -> Result<String> {
        self.catch_up()?;
        let mut env = Env {
            db: &mut self.db,
            cache: &mut self.cache,
        };
        crate::sql::translate(&mut env, text, dialect)
    }

    /// A session over a new database held in memory only (tests, scratch work).
    pub fn in_memory() -> Result<Session> {
        Ok(Session::over(Database::in_memory()?))
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
        let statements = crate::query::parse_script(text)?;
        let parse_share = start.elapsed() / (statements.len().max(1) as u32);
        let mut first_error = None;
        for (i, located) in statements.iter().enumerate() {
            let t = Instant::now();
            let r = crate::error::stop::check()
                .and_then(|()| self.catch_up())
                .and_then(|()| {
                    let mut env = Env {
                        db: &mut self.db,
                        cache: &mut self.cache,
                    };
                    exec::execute(&mut env, &located.statement)
                });
            match r {
                Ok(outputs) => sink(Ok(StatementResult {
                    index: i + 1,
                    line: located.line,
                    text: located.text.clone(),
                    outputs,
                    elapsed: t.elapsed() + parse_share,
                })),
                Err(e) => {
                    sink(Err((located.line, e.clone())));
                    // Past the time limit every later statement would stop too.
                    let stopped = matches!(e, Error::Stopped(_));
                    first_error.get_or_insert(e);
                    if !keep_going || stopped {
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
