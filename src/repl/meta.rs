//! The REPL's meta commands (`.help`, `.format`, `.timer`, `.output`, `.read`, `.stats`,
//! `.check`, `.quit`), found by name in the registry and dispatched on its [`Meta`] enum.

use super::Repl;
use super::help::help;
use super::helper::is_complete;
use crate::cli;
use crate::error::Result;
use crate::output::Format;
use crate::query::registry::{self, Meta};
use crate::session::Session;

impl Repl {
    /// A meta command; false to leave the REPL.
    pub(super) fn meta(&mut self, session: &mut Session, line: &str) -> bool {
        let (command, arg) = match line.split_once(char::is_whitespace) {
            Some((c, a)) => (c, a.trim()),
            None => (line, ""),
        };
        let Some(def) = registry::meta_command(command) else {
            self.error(&registry::unknown_meta_command(
                &command.to_ascii_lowercase(),
            ));
            return true;
        };
        match def.command {
            Meta::Quit => return false,
            Meta::Help => cli::print(&help(arg)),
            // Each setting says what it is now, set or asked.
            Meta::Format => match Format::parse(arg) {
                Some(f) => {
                    session.set_format(f);
                    self.note(&format!("format: {}", format_name(f)));
                }
                None if arg.is_empty() => {
                    cli::print(&format!("format: {}\n", format_name(session.format())))
                }
                None => self.error(&format!(
                    "error: unknown format '{arg}': use table, csv, json, jsonl or markdown"
                )),
            },
            Meta::Timer => match arg.to_ascii_lowercase().as_str() {
                "on" => {
                    self.timer = true;
                    self.note("timer: on");
                }
                "off" => {
                    self.timer = false;
                    self.note("timer: off");
                }
                "" => cli::print(&format!(
                    "timer: {}\n",
                    if self.timer { "on" } else { "off" }
                )),
                _ => self.error("error: .timer takes on or off"),
            },
            Meta::Output => {
                if arg.is_empty() || arg == "stdout" || arg == "-" {
                    self.output = None;
                    self.note("output: stdout");
                } else {
                    let path = unquote(arg);
                    match std::fs::File::create(&path) {
                        Ok(f) => {
                            self.note(&format!("output: {path}"));
                            self.output = Some((path, f));
                        }
                        Err(e) => self.error(&format!("error: cannot write {path}: {e}")),
                    }
                }
            }
            Meta::Read => {
                if arg.is_empty() {
                    self.error("error: .read takes a file name");
                } else if self.depth >= 16 {
                    self.error("error: .read is nested too deeply");
                } else {
                    let path = unquote(arg);
                    match std::fs::read_to_string(&path) {
                        Ok(text) => {
                            self.depth += 1;
                            self.read_script(session, &text, Some(&path));
                            self.depth -= 1;
                        }
                        Err(e) => self.error(&format!("error: cannot read {path}: {e}")),
                    }
                }
            }
            Meta::Stats => match stats(session) {
                Ok(s) => cli::print(&s),
                Err(e) => self.error(&e.to_string()),
            },
            Meta::Check => match session.check() {
                Ok(report) if report.problems.is_empty() => {
                    cli::print(&format!("ok: {}\n", report.summary));
                }
                Ok(report) => {
                    for p in &report.problems {
                        self.error(&format!("problem: {p}"));
                    }
                    self.error(&format!(
                        "{} problem(s) found; {}",
                        report.problems.len(),
                        report.summary
                    ));
                }
                Err(e) => self.error(&e.to_string()),
            },
        }
        true
    }

    /// `.read FILE`: meta-command lines run as such; the statements between them run as
    /// scripts, stopping at the first failure.
    pub(super) fn read_script(&mut self, session: &mut Session, text: &str, path: Option<&str>) {
        let mut chunk = String::new();
        let mut chunk_line = 1;
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if l.trim_start().starts_with('.') && is_complete(&chunk) {
                if !chunk.trim().is_empty() && !self.run_chunk(session, &chunk, chunk_line, path) {
                    return;
                }
                chunk.clear();
                chunk_line = i + 2;
                if !self.meta(session, l.trim()) {
                    return;
                }
            } else {
                chunk.push_str(l);
                chunk.push('\n');
            }
        }
        if !chunk.trim().is_empty() {
            self.run_chunk(session, &chunk, chunk_line, path);
        }
    }

    fn run_chunk(
        &mut self,
        session: &mut Session,
        chunk: &str,
        first_line: usize,
        path: Option<&str>,
    ) -> bool {
        // Blank lines keep line numbers in errors those of the file.
        let text = format!("{}{chunk}", "\n".repeat(first_line - 1));
        let ok = self.execute(session, &text, path);
        if !ok {
            self.failed.set(true);
        }
        ok
    }
}

impl Repl {
    /// A setting's confirmation: on the terminal, or on stderr for piped input so that
    /// standard output holds only results.
    fn note(&self, message: &str) {
        if self.piped {
            eprintln!("{message}");
        } else {
            cli::print(&format!("{message}\n"));
        }
    }
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(s)
        .to_string()
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Table => "table",
        Format::Csv => "csv",
        Format::Json => "json",
        Format::Jsonl => "jsonl",
        Format::Markdown => "markdown",
    }
}

/// `.stats`: the database's size on disk and what it holds.
fn stats(session: &mut Session) -> Result<String> {
    let size = session.database().size_on_disk()?;
    let companies = session.companies()?;
    let counts = session.database().metric_counts()?;
    let points: usize = counts.values().map(|c| c.1).sum();
    let series: usize = counts.values().map(|c| c.0).sum();
    let defs = session.database().catalog().defs();
    let computed = defs.iter().filter(|d| d.expr.is_some()).count();
    let screens = session.database().definitions("screen")?.len();
    Ok(format!(
        "database    {}\n\
         size        {}\n\
         companies   {}\n\
         industries  {}\n\
         sectors     {}\n\
         metrics     {} in the catalog ({computed} computed), {} with data\n\
         series      {series}\n\
         points      {points}\n\
         screens     {screens}\n",
        session.database().path().display(),
        human_bytes(size),
        companies.len(),
        companies.industries.len(),
        companies.sectors.len(),
        defs.len(),
        counts.len(),
    ))
}

fn human_bytes(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {} ({n} bytes)", units[u])
    }
}
