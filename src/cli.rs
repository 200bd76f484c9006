//! What the command line does with a session: print results, run scripts, import files with
//! a progress bar, check the database. Returns exit statuses; `main` only maps them.

use crate::error::Error;
use crate::ingest::ImportOptions;
use crate::output::{self, Format, Output};
use crate::session::Session;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    pub format: Format,
    pub timings: bool,
    pub keep_going: bool,
    /// Show progress bars (stderr is a terminal).
    pub progress: bool,
    /// Colours, width and sparklines of the table format (stdout is a terminal).
    pub style: output::Style,
}

/// `eprintln!` that writes the whole line in one call (so a kill never leaves half a
/// `--timings` line) and ignores a closed stderr instead of panicking.
#[macro_export]
macro_rules! eprint_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let line = format!("{}\n", format_args!($($arg)*));
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }};
}

/// Writes to stdout; a closed pipe (`finq ... | head`) ends output quietly, not as an error.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// Renders one output: tables in the session's format; messages on stdout, except in CSV
/// and JSON, where stdout carries only data and messages go to stderr.
pub fn render_output(o: &Output, format: Format) -> Option<String> {
    render_output_styled(o, format, &output::Style::PLAIN)
}

/// [`render_output`] with the table format drawn in `style`.
pub fn render_output_styled(o: &Output, format: Format, style: &output::Style) -> Option<String> {
    match o {
        Output::Table(t) => Some(output::render_styled(t, format, style)),
        Output::Message(m) if matches!(format, Format::Csv | Format::Json | Format::Jsonl) => {
            crate::eprint_line!("{m}");
            None
        }
        Output::Message(m) => Some(format!("{m}\n")),
    }
}

/// An error as people read it: the message, and for an error with a place in `source` (the
/// text that was run) its line and column, that line, and a caret under the place.
pub fn render_error(e: &Error, source: &str) -> String {
    let Some(at) = e.position(source) else {
        return e.to_string();
    };
    let source_line = source.lines().nth(at.line.saturating_sub(1)).unwrap_or("");
    let gutter = at.line.to_string();
    let pad = " ".repeat(gutter.len());
    // Tabs keep their width so the caret lines up under the offending character; a column
    // past the end of the line (a missing token) still gets its caret.
    let mut lead: String = source_line
        .chars()
        .take(at.column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    while lead.chars().count() < at.column.saturating_sub(1) {
        lead.push(' ');
    }
    format!(
        "{e}\n{pad}--> line {}, column {}\n{pad} |\n{gutter} | {source_line}\n{pad} | {lead}^",
        at.line, at.column
    )
}

/// Runs a script and prints as it goes. Errors name the script and line when there is one.
pub fn run_script(session: &mut Session, text: &str, file: Option<&str>, opts: &RunOptions) -> i32 {
    let format = session.format();
    let mut printed_any = false;
    let result = session.run(text, opts.keep_going, &mut |r| match r {
        Ok(r) => {
            if opts.timings {
                crate::eprint_line!(
                    "{{\"statement\": {}, \"ms\": {:.3}, \"rows\": {}}}",
                    r.index,
                    r.elapsed.as_secs_f64() * 1000.0,
                    r.rows()
                );
            }
            for o in &r.outputs {
                // JSON lines carry the statement's number in the script.
                let rendered = match o {
                    Output::Table(t) if format == Format::Jsonl => {
                        Some(output::render_jsonl(t, r.index))
                    }
                    _ => render_output_styled(o, format, &opts.style),
                };
                if let Some(s) = rendered {
                    // A blank line between results keeps table output readable.
                    if printed_any && format == Format::Table {
                        print("\n");
                    }
                    print(&s);
                    printed_any = true;
                }
            }
        }
        Err((line, e)) => {
            let shown = render_error(&e, text);
            match file {
                Some(f) => crate::eprint_line!("{shown}\n  --> {f}:{line}"),
                None => crate::eprint_line!("{shown}"),
            }
        }
    });
    match result {
        Ok(()) => 0,
        // A syntax error stops the script before it runs, so `sink` never saw it.
        Err(e @ Error::Parse { .. }) => {
            let shown = render_error(&e, text);
            match file {
                Some(f) => crate::eprint_line!("{shown}\n  in {f}"),
                None => crate::eprint_line!("{shown}"),
            }
            1
        }
        Err(e) => e.exit_code(),
    }
}

/// `finq import`: each file atomically; a failing file is reported and the others still
/// import. Exit status 1 when any file failed.
pub fn import(
    session: &mut Session,
    files: &[PathBuf],
    opts: &ImportOptions,
    run: &RunOptions,
) -> i32 {
    let mut code = 0;
    for path in files {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let bar = (run.progress && size > 1 << 20).then(|| {
            let bar = indicatif::ProgressBar::new(size);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(path.display().to_string());
            bar
        });
        let mut progress = |n: u64| {
            if let Some(b) = &bar {
                b.set_position(n);
            }
        };
        let result = session.import(path, opts, &mut progress);
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        match result {
            Ok(report) => {
                for o in crate::query::exec::write::import_outputs(&report) {
                    if let Some(s) = render_output(&o, run.format) {
                        print(&s);
                    }
                }
            }
            Err(e) => {
                crate::eprint_line!("{e}");
                crate::eprint_line!("note: nothing from {} was stored", path.display());
                code = 1;
            }
        }
    }
    code
}

/// `finq check`: verify the database's invariants.
pub fn check(session: &Session) -> i32 {
    match session.check() {
        Ok(report) if report.problems.is_empty() => {
            print(&format!("ok: {}\n", report.summary));
            0
        }
        Ok(report) => {
            for p in &report.problems {
                crate::eprint_line!("problem: {p}");
            }
            crate::eprint_line!(
                "{} problem(s) found; {}",
                report.problems.len(),
                report.summary
            );
            1
        }
        Err(e) => {
            crate::eprint_line!("{e}");
            1
        }
    }
}

/// `--format svg`: runs a script whose one statement is a `series`, `score` or `valuation`
/// and prints its chart as a standalone SVG document, for a file or a browser. Returns the
/// exit status: 2 when the script is not one such statement, 1 when it fails.
pub fn run_svg(session: &mut Session, text: &str) -> i32 {
    use crate::query::ast::Statement;
    let statements = match crate::query::parse_script(text) {
        Ok(s) => s,
        Err(e) => {
            crate::eprint_line!("{}", render_error(&e, text));
            return 1;
        }
    };
    let kind = match statements.as_slice() {
        [one] => match &one.statement {
            Statement::Series { .. } => Some(Chart::Lines),
            Statement::Score { .. } => Some(Chart::Radar),
            Statement::Valuation { .. } => Some(Chart::Band),
            Statement::Compare { .. } => Some(Chart::Compare),
            _ => None,
        },
        _ => None,
    };
    let Some(kind) = kind else {
        crate::eprint_line!(
            "error: --format svg draws the chart of one series, score, valuation or compare \
             statement"
        );
        return 2;
    };
    let outputs = match session.execute(text) {
        Ok(o) => o,
        Err(e) => {
            crate::eprint_line!("{}", render_error(&e, text));
            return 1;
        }
    };
    let Some(table) = outputs.iter().find_map(|o| match o {
        Output::Table(t) => Some(t),
        Output::Message(_) => None,
    }) else {
        crate::eprint_line!("error: the statement gave no table to draw");
        return 1;
    };
    match chart(kind, table) {
        Ok(svg) => {
            print(&svg);
            0
        }
        Err(e) => {
            crate::eprint_line!("{e}");
            1
        }
    }
}

/// The chart each chartable statement gets.
#[derive(Clone, Copy)]
enum Chart {
    Lines,
    Radar,
    Band,
    Compare,
}

fn chart(kind: Chart, t: &output::Table) -> crate::Result<String> {
    use crate::charts::{self, read};
    match kind {
        Chart::Lines => {
            let (title, panels) = read::series_panels(t);
            charts::lines(&title, &panels)
        }
        Chart::Radar => match read::score_radar(t) {
            Some(r) => charts::radar(&r),
            None => Err(Error::Data(
                "the scorecard has no dimensions to draw".into(),
            )),
        },
        Chart::Band => charts::band(&read::valuation_band(t)),
        Chart::Compare => charts::compare(&read::compare_grades(t)),
    }
}

/// `finq export DIR`: the database as files for other engines, with a progress bar over
/// the metrics on a terminal; one line says what was written.
pub fn export(
    session: &Session,
    dir: &Path,
    format: crate::export::FileFormat,
    progress: bool,
) -> Result<i32, Error> {
    let start = std::time::Instant::now();
    let bar = progress.then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("export [{bar:30}] {pos}/{len} metrics {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    });
    let mut step = |done: usize, all: usize| {
        if let Some(b) = &bar {
            b.set_length(all as u64);
            b.set_position(done as u64);
        }
    };
    let result = crate::export::export(session.database(), dir, format, &mut step);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let r = result?;
    println!(
        "exported {} companies, {} metrics, {} points ({:.1} MB of {}) to {} in {:.2} s",
        r.companies,
        r.metrics,
        r.points,
        r.bytes as f64 / 1e6,
        format.extension(),
        dir.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(0)
}
