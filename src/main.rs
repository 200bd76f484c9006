//! The `finq` command line: parse flags, open the database, hand over, map errors to exit codes.

use clap::{Args, Parser, Subcommand};
use finq::error::Error;
use finq::ingest::{ColumnMap, ImportOptions, Kind};
use finq::model::{Period, PeriodKind};
use finq::output::Format;
use finq::{cli, demo, r#gen as datagen};
use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "finq",
    version,
    about = "An embedded analytics store for company fundamentals",
    long_about = "An embedded analytics store for company fundamentals.\n\n\
        Without a command (and without -c), finq starts an interactive shell (a REPL) on the \
        database when run on a terminal, or reads statements from standard input when piped.",
    after_help = "Examples:\n  \
        finq demo                                      build ./finq-demo.db and take the tour\n  \
        finq --db finq-demo.db                         the REPL on that database (.help inside)\n  \
        finq --db my.db import companies.csv prices.csv\n  \
        finq --db my.db -c 'select roe where industry = \"Semiconductors\" rank limit 10'\n  \
        finq --db my.db --format json run screens.fq\n  \
        echo 'show sectors' | finq --db my.db --format csv\n  \
        finq --db my.db serve --port 8080"
)]
struct Cli {
    #[command(flatten)]
    db: DbArg,
    #[command(flatten)]
    out: OutputArgs,
    /// Run these statements, print the results and exit.
    #[arg(short = 'c', value_name = "STATEMENTS", allow_hyphen_values = true)]
    statements: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

/// `--db`, for the commands that open a database (before or after the command's name).
#[derive(Args, Default)]
struct DbArg {
    /// Database folder (default: $FINQ_DB, else ./finq.db).
    #[arg(long)]
    db: Option<PathBuf>,
}

/// How statements' results are printed: for running statements (no command, -c, `run`).
#[derive(Args, Default)]
struct OutputArgs {
    /// Output format: table, csv, json, jsonl (one object per row with its statement's
    /// number), markdown, or svg (the chart of one series, score, valuation or compare
    /// statement).
    #[arg(long, value_parser = parse_format)]
    format: Option<Shown>,
    /// Write one JSON line per statement to stderr: {"statement", "ms", "rows"}.
    #[arg(long)]
    timings: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run script files of statements.
    Run {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        out: OutputArgs,
        /// Script files, run in order; statements end at `;` or at the end of a line.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Go on after a failing statement (the exit status is still 1).
        #[arg(long)]
        keep_going: bool,
    },
    /// Import CSV, JSON-lines or quote-page files; each file is all or nothing.
    Import(ImportArgs),
    /// Write a synthetic benchmark dataset (companies.csv, metrics.csv).
    Gen {
        /// How many companies to generate (BENCHMARKS.md: 10,000 for the S profile,
        /// 100,000 for L).
        #[arg(long)]
        companies: usize,
        /// Quarters of history per company.
        #[arg(long, default_value_t = 40)]
        periods: usize,
        /// The random seed: the same seed and sizes give the same files, byte for byte.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// The fraction of metric cells left empty (as the reference generator's --missing).
        #[arg(long, default_value_t = 0.02)]
        missing: f64,
        /// The statements profile: statement items instead of indicators, and a price at
        /// each quarter's last day (BENCHMARKS.md).
        #[arg(long)]
        statements: bool,
        /// The folder to write companies.csv and metrics.csv into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Build ./finq-demo.db from the bundled sample data and run a tour.
    Demo,
    /// Write the whole database into a new folder as Parquet (or, with --format csv, CSV)
    /// files for other engines: companies, points/metric=ID/ (hive-partitioned), catalog,
    /// definitions.json. Written into a temporary folder renamed at the end.
    Export {
        #[command(flatten)]
        db: DbArg,
        /// The files' format: parquet (the default) or csv.
        #[arg(long, value_parser = parse_format)]
        format: Option<Shown>,
        /// The folder to create (it must not exist yet).
        dir: PathBuf,
    },
    /// Print one SQL query, over the views of an export, that answers a select as finq does.
    Sql {
        #[command(flatten)]
        db: DbArg,
        /// The SQL dialect: duckdb or spark.
        #[arg(long, default_value = "duckdb", value_parser = parse_dialect)]
        dialect: finq::sql::Dialect,
        /// The select statement to translate.
        #[arg(short = 'c', value_name = "STATEMENT", allow_hyphen_values = true)]
        statement: String,
    },
    /// Verify the database's invariants; exit 0 when sound.
    Check {
        #[command(flatten)]
        db: DbArg,
    },
    /// Serve company pages, a query console and a JSON API over HTTP.
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// Port to listen on; 0 takes any free port (printed on start).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on. Anything but a loopback address opens the server to other
        /// machines.
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// Refuse every statement that writes.
        #[arg(long)]
        read_only: bool,
        /// The longest a request's statements may run, in seconds.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS", value_parser = parse_seconds)]
        timeout: f64,
        /// Sessions reading side by side (each keeps its own cache); default: the cores,
        /// from 2 to 4.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
        sessions: Option<u16>,
    },
}

/// How results are shown: one of the text formats, or a chart.
#[derive(Clone, Copy)]
enum Shown {
    Text(Format),
    Svg,
    /// Only `export` writes Parquet.
    Parquet,
}

#[derive(Args)]
struct ImportArgs {
    #[command(flatten)]
    db: DbArg,
    /// The format of the import summary: table, csv, json, jsonl or markdown.
    #[arg(long, value_parser = parse_format)]
    format: Option<Shown>,
    /// The files to import, in order; each one is imported whole or not at all.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// csv, jsonl, quote, or fx (exchange rates: date,currency,usd); default: by extension
    /// and content.
    #[arg(long, value_parser = parse_kind)]
    kind: Option<Kind>,
    /// The column holding the symbol.
    #[arg(long)]
    symbol_col: Option<String>,
    /// The column holding the period.
    #[arg(long)]
    period_col: Option<String>,
    /// How to read a date in the period column: fy (fiscal year), h (half), q (quarter) or
    /// day. Fiscal labels: a date in a month's first 7 days counts as the month before, so a
    /// 52/53-week year ending 2016-01-02 is 2015 (2015Q4) and 2015-09-26 is 2015 (2015Q3).
    #[arg(long, value_parser = parse_period_kind)]
    period_kind: Option<PeriodKind>,
    /// One period for every row, when the file has no period column.
    #[arg(long, value_parser = parse_period)]
    period: Option<Period>,
    /// COL=METRIC[*FACTOR][:UNIT]: a column's metric (or attribute), a multiplier, and the
    /// unit (money, percent, ratio, count) of a metric the import registers (repeatable).
    #[arg(long = "map", value_parser = parse_map)]
    maps: Vec<ColumnMap>,
    /// COL: leave this column out (repeatable), such as a file's own rounded ratios or the
    /// second of two columns that name one metric.
    #[arg(long = "skip", value_name = "COL")]
    skip: Vec<String>,
    /// The file is a companies file.
    #[arg(long)]
    companies: bool,
}

fn parse_format(s: &str) -> Result<Shown, String> {
    if s.eq_ignore_ascii_case("svg") {
        return Ok(Shown::Svg);
    }
    if s.eq_ignore_ascii_case("parquet") {
        return Ok(Shown::Parquet);
    }
    Format::parse(s)
        .map(Shown::Text)
        .ok_or_else(|| format!("'{s}' is not a format (table, csv, json, jsonl, markdown, svg)"))
}

fn parse_dialect(s: &str) -> Result<finq::sql::Dialect, String> {
    finq::sql::Dialect::parse(s).ok_or_else(|| format!("'{s}' is not a dialect (duckdb, spark)"))
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!(
            "'{s}' is not a number of seconds between 0 and 86400"
        )),
    }
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    Kind::parse(s).ok_or_else(|| format!("'{s}' is not a kind (csv, jsonl, quote, fx)"))
}

fn parse_period_kind(s: &str) -> Result<PeriodKind, String> {
    match s.to_ascii_lowercase().as_str() {
        "fy" | "year" => Ok(PeriodKind::Year),
        "h" | "half" => Ok(PeriodKind::Half),
        "q" | "quarter" => Ok(PeriodKind::Quarter),
        "day" | "date" => Ok(PeriodKind::Day),
        _ => Err(format!("'{s}' is not a period kind (fy, h, q, day)")),
    }
}

fn parse_period(s: &str) -> Result<Period, String> {
    s.parse()
}

fn parse_map(s: &str) -> Result<ColumnMap, String> {
    ColumnMap::parse(s).map_err(|e| e.to_string().trim_start_matches("error: ").to_string())
}

fn main() -> ExitCode {
    let args = Cli::parse();
    let code = match run(args) {
        Ok(code) => code,
        Err(e) => {
            finq::eprint_line!("{e}");
            e.exit_code()
        }
    };
    ExitCode::from(code as u8)
}

/// Options written after a command's name count as if written before it.
fn lift(args: &mut Cli) {
    let (db, out, format) = match &mut args.command {
        Some(Command::Run { db, out, .. }) => (Some(db), Some(out), None),
        Some(Command::Import(a)) => (Some(&mut a.db), None, Some(&mut a.format)),
        Some(Command::Export { db, format, .. }) => (Some(db), None, Some(format)),
        Some(Command::Sql { db, .. } | Command::Check { db } | Command::Serve { db, .. }) => {
            (Some(db), None, None)
        }
        Some(Command::Gen { .. } | Command::Demo) | None => (None, None, None),
    };
    if let Some(path) = db.and_then(|d| d.db.take()) {
        args.db.db = Some(path);
    }
    if let Some(out) = out {
        args.out.timings |= out.timings;
        if out.format.is_some() {
            args.out.format = out.format.take();
        }
    }
    if let Some(f) = format.and_then(|f| f.take()) {
        args.out.format = Some(f);
    }
}

fn run(mut args: Cli) -> Result<i32, Error> {
    lift(&mut args);
    let db_path = args
        .db
        .db
        .clone()
        .or_else(|| std::env::var_os("FINQ_DB").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("finq.db"));
    if args.statements.is_some() && args.command.is_some() {
        return Err(Error::Usage(
            "-c cannot be combined with a subcommand".into(),
        ));
    }
    let stdout_tty = std::io::stdout().is_terminal();
    let exporting = matches!(args.command, Some(Command::Export { .. }));
    if matches!(args.out.format, Some(Shown::Parquet)) && !exporting {
        return Err(Error::Usage(
            "--format parquet is the format of `finq export`; statements print table, csv, \
             json, jsonl, markdown or svg (a statement writes Parquet with export (...) to \
             \"FILE.parquet\")"
                .into(),
        ));
    }
    let svg = matches!(args.out.format, Some(Shown::Svg));
    let format = match args.out.format {
        Some(Shown::Text(f)) => f,
        _ => Format::Table,
    };
    let statements_run =
        args.statements.is_some() || matches!(args.command, None | Some(Command::Run { .. }));
    if svg && !statements_run {
        return Err(Error::Usage(
            "--format svg draws the result of a statement: use it with -c, run or standard input"
                .into(),
        ));
    }
    let opts = cli::RunOptions {
        format,
        timings: args.out.timings,
        keep_going: false,
        progress: std::io::stderr().is_terminal(),
        style: finq::output::Style::for_stdout(),
    };
    match args.command {
        Some(Command::Gen {
            companies,
            periods,
            seed,
            missing,
            statements,
            out,
        }) => {
            let o = datagen::GenOptions {
                companies,
                periods,
                seed,
                missing,
                statements,
                out: out.clone(),
            };
            let start = std::time::Instant::now();
            let s = datagen::generate(&o).map_err(|e| match e.kind() {
                std::io::ErrorKind::InvalidInput => Error::Usage(e.to_string()),
                _ => Error::Io(format!("{}: {e}", out.display())),
            })?;
            println!(
                "wrote {} companies, {} rows, {} points ({:.1} MB) to {} in {:.2} s",
                s.companies,
                s.rows,
                s.cells,
                s.bytes as f64 / 1e6,
                out.display(),
                start.elapsed().as_secs_f64()
            );
            Ok(0)
        }
        Some(Command::Export { dir, .. }) => {
            let format = match args.out.format {
                None | Some(Shown::Parquet) => finq::export::FileFormat::Parquet,
                Some(Shown::Text(Format::Csv)) => finq::export::FileFormat::Csv,
                Some(_) => {
                    return Err(Error::Usage(
                        "export writes parquet (the default) or csv: --format parquet|csv".into(),
                    ));
                }
            };
            let session = finq::Session::open(&db_path)?;
            cli::export(&session, &dir, format, opts.progress)
        }
        Some(Command::Sql {
            dialect, statement, ..
        }) => {
            let mut session = finq::Session::open(&db_path)?;
            match session.sql(&statement, dialect) {
                Ok(text) => {
                    println!("{text}");
                    Ok(0)
                }
                Err(e) => {
                    finq::eprint_line!("{}", cli::render_error(&e, &statement));
                    Ok(e.exit_code())
                }
            }
        }
        Some(Command::Demo) => demo::run(std::path::Path::new("finq-demo.db"), &opts),
        Some(Command::Import(a)) => {
            let import = ImportOptions {
                kind: a.kind,
                symbol_col: a.symbol_col,
                period_col: a.period_col,
                period_kind: a.period_kind,
                period: a.period,
                maps: a.maps,
                skip: a.skip,
                companies: a.companies,
            };
            let mut session = finq::Session::open(&db_path)?;
            Ok(cli::import(&mut session, &a.files, &import, &opts))
        }
        Some(Command::Check { .. }) => {
            let session = finq::Session::open(&db_path)?;
            Ok(cli::check(&session))
        }
        Some(Command::Serve {
            port,
            bind,
            read_only,
            timeout,
            sessions,
            ..
        }) => finq::web::serve(
            &db_path,
            &finq::web::ServeOptions {
                bind,
                port,
                read_only,
                timeout: std::time::Duration::from_secs_f64(timeout),
                sessions: sessions.map_or_else(finq::web::default_sessions, usize::from),
            },
        ),
        Some(Command::Run {
            files, keep_going, ..
        }) => {
            let mut session = finq::Session::open(&db_path)?;
            session.set_format(format);
            let opts = cli::RunOptions { keep_going, ..opts };
            let mut code = 0;
            for f in files {
                let text = std::fs::read_to_string(&f)
                    .map_err(|e| Error::Io(format!("cannot read {}: {e}", f.display())))?;
                code = if svg {
                    cli::run_svg(&mut session, &text)
                } else {
                    cli::run_script(&mut session, &text, Some(&f.display().to_string()), &opts)
                };
                if code != 0 && !keep_going {
                    break;
                }
            }
            Ok(leave_cache(session, code))
        }
        None => {
            let mut session = finq::Session::open(&db_path)?;
            session.set_format(format);
            let interactive = std::io::stdin().is_terminal() && stdout_tty;
            if args.statements.is_none() && interactive {
                if svg {
                    return Err(Error::Usage(
                        "--format svg draws the result of a statement: use it with -c, run or \
                         standard input"
                            .into(),
                    ));
                }
                return finq::repl::run(&mut session, &opts);
            }
            let text = match args.statements {
                Some(text) => text,
                None => {
                    let mut text = String::new();
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                        .map_err(|e| Error::Io(format!("cannot read standard input: {e}")))?;
                    text
                }
            };
            let code = if svg {
                cli::run_svg(&mut session, &text)
            } else if finq::repl::has_meta_lines(&text) {
                finq::repl::run_lines(&mut session, &text, &opts)
            } else {
                cli::run_script(&mut session, &text, None, &opts)
            };
            Ok(leave_cache(session, code))
        }
    }
}

/// Ends a one-shot session without freeing its cache ([`finq::Session::close_for_exit`]).
fn leave_cache(session: finq::Session, code: i32) -> i32 {
    session.close_for_exit();
    code
}
