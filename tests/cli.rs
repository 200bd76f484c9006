//! Command-line tests: run the `finq` binary as a user would and check output and exit codes.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn finq(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_finq"))
        .current_dir(dir)
        .env_remove("FINQ_DB")
        .args(args)
        .output()
        .expect("finq runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A temp folder holding a database built from the sample, as `demo.db`.
fn sample_db() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut s = finq::Session::open(dir.path().join("demo.db")).unwrap();
    finq::demo::load_sample(&mut s).unwrap();
    dir
}

#[test]
fn demo_builds_its_database_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let o = finq(dir.path(), &["demo"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.path().join("finq-demo.db").is_dir());
    let out = stdout(&o);
    assert!(out.contains("Kingsoft Cloud Holdings Limited"), "{out}");
    assert!(out.contains("-12.93%"), "{out}");
    // Running it again rebuilds the same database rather than failing or doubling data.
    let again = finq(dir.path(), &["demo"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(stdout(&again), out);
}

#[test]
fn dash_c_runs_statements_in_every_format() {
    let dir = sample_db();
    let o = finq(dir.path(), &["--db", "demo.db", "-c", "describe KC.US"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("-12.93%"));
    let o = finq(
        dir.path(),
        &["--db", "demo.db", "--format", "json", "-c", "show sectors"],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON array");
    assert!(v.as_array().is_some_and(|a| !a.is_empty()));
    let o = finq(
        dir.path(),
        &["--db", "demo.db", "--format", "csv", "-c", "describe KC.US"],
    );
    assert!(
        stdout(&o).contains("roe,ROE,-0.1293,,2026-04-15,"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn finq_db_variable_and_default_path() {
    let dir = sample_db();
    let o = Command::new(env!("CARGO_BIN_EXE_finq"))
        .current_dir(dir.path())
        .env("FINQ_DB", "demo.db")
        .args(["-c", "describe KC.US"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Without --db or $FINQ_DB the database is ./finq.db, created on first use.
    let o = finq(dir.path(), &["-c", "show companies"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(dir.path().join("finq.db").is_dir());
}

#[test]
fn timings_are_json_lines_on_stderr() {
    let dir = sample_db();
    let o = finq(
        dir.path(),
        &[
            "--db",
            "demo.db",
            "--timings",
            "-c",
            "show sectors; show industries",
        ],
    );
    let lines: Vec<serde_json::Value> = stderr(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["statement"], 2);
    assert!(lines[0]["ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert!(lines[0]["rows"].as_u64().is_some());
}

#[test]
fn statements_from_stdin_when_it_is_not_a_terminal() {
    let dir = sample_db();
    let mut child = Command::new(env!("CARGO_BIN_EXE_finq"))
        .current_dir(dir.path())
        .args(["--db", "demo.db"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"describe 688316.SH\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("QingCloud"));
}

#[test]
fn exit_codes() {
    let dir = sample_db();
    // 1: a statement failed, with a did-you-mean.
    let o = finq(dir.path(), &["--db", "demo.db", "-c", "describe KC.UX"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unknown company 'KC.UX' — did you mean 'KC.US'?"),
        "{}",
        stderr(&o)
    );
    // 1: a parse error, with line, column and caret.
    let o = finq(dir.path(), &["--db", "demo.db", "-c", "show\n  bogus"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("--> line 2, column 3"),
        "{}",
        stderr(&o)
    );
    // 2: bad usage.
    let o = finq(dir.path(), &["--format", "xml", "-c", "show sectors"]);
    assert_eq!(o.status.code(), Some(2));
    let o = finq(dir.path(), &["gen", "--companies", "0", "--out", "g"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn scripts_stop_at_the_first_failure_unless_keep_going() {
    let dir = sample_db();
    std::fs::write(
        dir.path().join("s.fq"),
        "show sectors\ndescribe NOPE\nshow industries\n",
    )
    .unwrap();
    let o = finq(
        dir.path(),
        &["--db", "demo.db", "--format", "csv", "run", "s.fq"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("s.fq:2"), "{}", stderr(&o));
    assert!(!stdout(&o).contains("industry,sector"));
    let o = finq(
        dir.path(),
        &[
            "--db",
            "demo.db",
            "--format",
            "csv",
            "run",
            "s.fq",
            "--keep-going",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("industry,sector"), "{}", stdout(&o));
}

#[test]
fn a_database_in_use_is_exit_3_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let _held = finq::storage::Database::open(dir.path().join("x.db")).unwrap();
    let o = finq(dir.path(), &["--db", "x.db", "-c", "show companies"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stderr(&o).trim(),
        "error: database x.db is in use by another finq process"
    );
}

#[test]
fn a_newer_format_is_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    drop(finq::storage::Database::open(&path).unwrap());
    {
        use finq::storage::{Batch, Kv, SledKv};
        let raw = SledKv::open(&path).unwrap();
        let mut b = Batch::new();
        let key = finq::storage::keys::Key::Meta("format_version").encode();
        b.insert(key, finq::storage::codec::encode(&99u32));
        raw.apply(b).unwrap();
        raw.flush().unwrap();
    }
    let o = finq(dir.path(), &["--db", "new.db", "-c", "show companies"]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("was written by a newer finq (format 99"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1);
}

#[test]
fn a_damaged_database_is_exit_3_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.db");
    drop(finq::storage::Database::open(&path).unwrap());
    // Overwrite the data file with garbage.
    std::fs::write(path.join("db"), vec![0xA5u8; 4096]).unwrap();
    let o = finq(dir.path(), &["--db", "bad.db", "-c", "show companies"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.starts_with("error: database bad.db"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // A folder that is not a finq database at all.
    std::fs::create_dir(dir.path().join("other")).unwrap();
    std::fs::write(dir.path().join("other/notes.txt"), "hello").unwrap();
    let o = finq(dir.path(), &["--db", "other", "-c", "show companies"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("is not a finq database"));
}

#[test]
fn gen_is_deterministic_and_imports() {
    let dir = tempfile::tempdir().unwrap();
    let o = finq(
        dir.path(),
        &[
            "gen",
            "--companies",
            "50",
            "--periods",
            "8",
            "--seed",
            "3",
            "--out",
            "a",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    finq(
        dir.path(),
        &[
            "gen",
            "--companies",
            "50",
            "--periods",
            "8",
            "--seed",
            "3",
            "--out",
            "b",
        ],
    );
    for f in ["companies.csv", "metrics.csv"] {
        assert_eq!(
            std::fs::read(dir.path().join("a").join(f)).unwrap(),
            std::fs::read(dir.path().join("b").join(f)).unwrap()
        );
    }
    let o = finq(
        dir.path(),
        &["--db", "g.db", "import", "a/companies.csv", "a/metrics.csv"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("imported a/companies.csv: 50 companies (50 added, 0 updated)"),
        "{out}"
    );
    let o = finq(
        dir.path(),
        &[
            "--db",
            "g.db",
            "--format",
            "json",
            "-c",
            "describe C000008.US",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(
        stdout(&o)
            .split("]\n")
            .nth(1)
            .map(|s| format!("{s}]"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    // 24 stored metrics, and the built-in derivations their statement items allow.
    let rows = v.as_array().unwrap();
    let stored = rows.iter().filter(|r| r["source"] == "stored").count();
    assert_eq!(stored, 24, "{v}");
    assert!(rows.iter().any(|r| r["source"] == "derived"), "{v}");
    let o = finq(dir.path(), &["--db", "g.db", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn import_failure_names_the_place_and_keeps_other_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.csv"), "symbol,name\nAAA,Alpha\n").unwrap();
    std::fs::write(
        dir.path().join("bad.csv"),
        "symbol,period,roe\nAAA,2024,1%\nBBB,2024,x1\n",
    )
    .unwrap();
    let o = finq(
        dir.path(),
        &["--db", "d.db", "import", "bad.csv", "good.csv"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("bad.csv:3:10"), "{err}");
    let o = finq(
        dir.path(),
        &["--db", "d.db", "--format", "csv", "-c", "show companies"],
    );
    let out = stdout(&o);
    assert!(out.contains("AAA,Alpha"), "{out}");
    assert!(!out.contains("BBB"), "{out}");
}

#[test]
fn seed_quote_pages_import_and_the_other_seeds_fail_by_name() {
    let Some(seeds) = support::shared_file("seeds") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<String> = std::fs::read_dir(&seeds)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    let mut args = vec!["--db", "q.db", "import"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--kind", "quote"]);
    let o = finq(dir.path(), &args);
    assert_eq!(o.status.code(), Some(1));
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("imported ")).count(),
        3,
        "{out}"
    );
    for bad in ["002_01c96a01316018ef.txt", "003_12d22aa60451a452.txt"] {
        assert!(
            err.contains(&format!("{bad}: is not a quote page")),
            "{err}"
        );
    }
    let o = finq(
        dir.path(),
        &[
            "--db",
            "q.db",
            "--format",
            "csv",
            "-c",
            "select published_score, published_grade, published_industry_rank, roe where published_score is not null",
        ],
    );
    let out = stdout(&o);
    assert!(
        out.contains("KC.US,Kingsoft Cloud Holdings Limited,0.55,C,20,-0.1293"),
        "{out}"
    );
    assert!(
        out.contains("688316.SH,QingCloud Technologies Corp.,0.69,D,17,-0.9804"),
        "{out}"
    );
}

#[test]
fn definitions_and_writes_persist_across_processes() {
    let dir = sample_db();
    let run = |stmts: &str| {
        finq(
            dir.path(),
            &["--db", "demo.db", "--format", "csv", "-c", stmts],
        )
    };
    let o = run("define metric upside = target_high / price - 1 higher; \
                 define screen covered as select analysts_total where analysts_total > 0; \
                 set KC.US roe at 2027 = 5%");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A new process sees all three.
    let o = run("select upside from screen covered rank");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("symbol,name,upside,rank\nKC.US,"), "{out}");
    let o = run("select (roe at 2027) as r where symbol = \"KC.US\"");
    assert!(
        stdout(&o).contains("KC.US,Kingsoft Cloud Holdings Limited,0.05"),
        "{}",
        stdout(&o)
    );
    // A custom scorecard, one of whose indicators is the computed metric, persists too.
    let o = run("define scorecard mine (profit: roe weight 2, gross_margin; value: upside)");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run("show scorecards");
    assert!(
        stdout(&o).contains("mine,2,\"profit: roe weight 2, gross_margin; value: upside\""),
        "{}",
        stdout(&o)
    );
    let o = run("select score(mine) where symbol = \"KC.US\"");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("symbol,name,score(mine)\nKC.US,"),
        "{}",
        stdout(&o)
    );
    let o = run("drop scorecard mine; drop screen covered; drop metric upside");
    assert_eq!(o.status.code(), Some(0));
    let o = run("screen covered");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unknown screen 'covered'"),
        "{}",
        stderr(&o)
    );
}

/// Regression: names in the second and later statements of a script were placed relative
/// to their own statement, not the script, so the caret pointed at the wrong line.
#[test]
fn errors_in_later_statements_point_into_the_script() {
    let dir = sample_db();
    std::fs::write(dir.path().join("e.fq"), "show sectors\n\nselect reo\n").unwrap();
    let o = finq(dir.path(), &["--db", "demo.db", "run", "e.fq"]);
    let err = stderr(&o);
    assert!(err.contains("--> line 3, column 8"), "{err}");
    assert!(err.contains("3 | select reo"), "{err}");
    // Unknown companies are placed too.
    let o = finq(
        dir.path(),
        &["--db", "demo.db", "-c", "show sectors; describe KC.UX"],
    );
    assert!(
        stderr(&o).contains("--> line 1, column 24"),
        "{}",
        stderr(&o)
    );
}

/// Help says that no command starts the REPL, shows examples, and describes every option of
/// `gen` (issue 16).
#[test]
fn help_names_the_repl_shows_examples_and_describes_options() {
    let dir = tempfile::tempdir().unwrap();
    let o = finq(dir.path(), &["--help"]);
    let out = stdout(&o);
    assert!(out.contains("interactive shell (a REPL)"), "{out}");
    assert!(
        out.contains("Examples:") && out.contains("finq demo"),
        "{out}"
    );
    let o = finq(dir.path(), &["gen", "--help"]);
    let out = stdout(&o);
    for (option, words) in [
        ("--companies", "How many companies"),
        ("--periods", "Quarters of history"),
        ("--seed", "random seed"),
        ("--missing", "empty"),
        ("--out", "folder to write"),
    ] {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(option))
            .unwrap_or_else(|| panic!("{option} in {out}"));
        assert!(line.contains(words), "{option}: {line}");
    }
}

/// Each command's help lists only the options that command reads, each with a description;
/// `--db` works before or after the command's name (issue 16).
#[test]
fn each_command_lists_only_its_own_options() {
    let dir = tempfile::tempdir().unwrap();
    let own: [(&str, &[&str]); 8] = [
        (
            "gen",
            &[
                "--companies",
                "--periods",
                "--seed",
                "--missing",
                "--statements",
                "--out",
            ],
        ),
        (
            "import",
            &[
                "--db",
                "--format",
                "--kind",
                "--symbol-col",
                "--period-col",
                "--period-kind",
                "--period",
                "--map",
                "--skip",
                "--companies",
            ],
        ),
        ("run", &["--db", "--format", "--timings", "--keep-going"]),
        ("export", &["--db", "--format"]),
        ("sql", &["--db", "--dialect"]),
        ("check", &["--db"]),
        (
            "serve",
            &[
                "--db",
                "--port",
                "--bind",
                "--read-only",
                "--timeout",
                "--sessions",
            ],
        ),
        ("demo", &[]),
    ];
    for (command, options) in own {
        let o = finq(dir.path(), &[command, "--help"]);
        let out = stdout(&o);
        let listed: Vec<&str> = out
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with("--") || l.starts_with("-c "))
            .collect();
        for option in options {
            assert!(
                listed.iter().any(|l| l.starts_with(option)),
                "{command} --help lacks {option}:\n{out}"
            );
        }
        for line in &listed {
            let name = line.split_whitespace().next().unwrap_or("");
            assert!(
                name == "--help" || options.contains(&name) || name == "-c",
                "{command} --help lists {name}, which {command} does not read:\n{out}"
            );
            // A description follows the option's name and value placeholder.
            let rest = line.trim_start_matches(name).trim_start();
            let rest = rest.strip_prefix('<').map_or(rest, |r| {
                r.split_once('>')
                    .map_or("", |(_, after)| after)
                    .trim_start()
            });
            assert!(!rest.is_empty(), "{command}: {line} has no description");
        }
    }
    // `--db` after the command's name is the same as before it.
    std::fs::write(
        dir.path().join("c.csv"),
        "symbol,name,industry\nAB.US,Ab,Tools\n",
    )
    .unwrap();
    let o = finq(
        dir.path(),
        &["import", "--db", "after.db", "--companies", "c.csv"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = finq(
        dir.path(),
        &[
            "--db",
            "after.db",
            "--format",
            "csv",
            "-c",
            "show companies",
        ],
    );
    assert!(stdout(&o).contains("AB.US"), "{}", stdout(&o));
    let o = finq(
        dir.path(),
        &["gen", "--db", "x.db", "--companies", "1", "--out", "g"],
    );
    assert_eq!(o.status.code(), Some(2), "gen takes no --db");
}

/// Meta commands work in `-c` and in piped input as in the REPL (issue 16): settings confirm
/// on stderr, so standard output holds only results; an unknown one is exit 1.
#[test]
fn meta_commands_in_c_and_piped_input() {
    let dir = sample_db();
    let o = finq(dir.path(), &["--db", "demo.db", "-c", ".stats"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("companies   23"), "{}", stdout(&o));

    let mut child = Command::new(env!("CARGO_BIN_EXE_finq"))
        .current_dir(dir.path())
        .args(["--db", "demo.db"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b".format csv\nselect roe where symbol = \"KC.US\"\n.output out.csv\nshow sectors\n.output stdout\n",
        )
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "symbol,name,roe\nKC.US,Kingsoft Cloud Holdings Limited,-0.1293\n"
    );
    assert!(stderr(&o).contains("format: csv"), "{}", stderr(&o));
    assert!(stderr(&o).contains("output: out.csv"), "{}", stderr(&o));
    let written = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert!(written.starts_with("sector,"), "{written}");

    let o = finq(dir.path(), &["--db", "demo.db", "-c", ".nosuch"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unknown command '.nosuch'"),
        "{}",
        stderr(&o)
    );
}

/// `--format jsonl`: one JSON object per row, numbered by the statement it answers, so a
/// script's several results can be read from one stream (issue 16).
#[test]
fn jsonl_numbers_each_row_by_its_statement() {
    let dir = sample_db();
    let o = finq(
        dir.path(),
        &[
            "--db",
            "demo.db",
            "--format",
            "jsonl",
            "-c",
            "select roe where symbol = \"KC.US\"; select count() as n by sector",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(rows[0]["statement"], 1);
    assert_eq!(rows[0]["symbol"], "KC.US");
    assert_eq!(rows[0]["roe"], -0.1293);
    assert!(rows.len() > 2, "{rows:?}");
    assert!(
        rows[1..]
            .iter()
            .all(|r| r["statement"] == 2 && r["n"].is_number())
    );
}

/// Issue 15's "done when": on the seed sample (KC.US reports in CNY and trades in USD, the
/// SH companies are CNY) `select market_cap rank` fails with the clear error until rates are
/// imported, then ranks every market cap in the base currency and says which; a database
/// whose companies name no currency is unchanged by rates.
#[test]
fn market_cap_ranks_the_sample_in_one_currency() {
    let dir = sample_db();
    let run = |args: &[&str]| {
        let mut all = vec!["--db", "demo.db"];
        all.extend(args);
        finq(dir.path(), &all)
    };
    let o = run(&["-c", "select market_cap rank"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "market_cap mixes CNY and USD, and there are no CNY rates: import them with \
             finq import rates.csv --kind fx"
        ),
        "{}",
        stderr(&o)
    );
    let rates = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fx/sample_rates.csv");
    let o = run(&["import", rates.to_str().unwrap(), "--kind", "fx"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // KC.US 5,175,298,230.18 USD as it is; 600756.SH 5,588,718,205.12 CNY and 688316.SH
    // 3,520,978,888.20 CNY, dated 2026-05-19, at the CNY rate of 2026-05-15 (0.1385):
    // 774,037,471.41 and 487,655,576.02 USD.
    let o = run(&["-c", "select market_cap rank"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.contains("market_cap (USD)"), "{table}");
    let order: Vec<&str> = table
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|s| s.contains('.'))
        .take(3)
        .collect();
    // The ranked rows come first (companies without a market cap follow, unranked).
    assert_eq!(order, ["KC.US", "600756.SH", "688316.SH"], "{table}");
    let json = support::server::cli_json(&dir.path().join("demo.db"), "select market_cap rank");
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cap = |i: usize| rows[i]["market_cap"].as_f64().unwrap();
    assert_eq!(cap(0), 5_175_298_230.18);
    assert!((cap(1) / 774_037_471.409_12 - 1.0).abs() < 1e-12, "{json}");
    assert!((cap(2) / 487_655_576.015_7 - 1.0).abs() < 1e-12, "{json}");
    // Compare puts KC.US and QingCloud side by side in USD.
    let o = run(&["-c", "compare KC.US, 688316.SH on market_cap"]);
    assert!(stdout(&o).contains("market_cap (USD)"), "{}", stdout(&o));
    // In CNY: KC.US's quote of 2026-04-15 takes the rate of 2026-04-10 (0.1380):
    // 5,175,298,230.18 / 0.1380 = 37.50B CNY; the SH companies' caps as they are.
    let o = run(&["-c", "set base currency \"CNY\"\nselect market_cap rank"]);
    let table = stdout(&o);
    assert!(table.contains("market_cap (CNY)"), "{table}");
    assert!(table.contains("37.50B"), "{table}");

    // finq sql has no exchange rates: money on this database is refused by name.
    let o = run(&["sql", "-c", "select market_cap rank"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "finq sql cannot translate market_cap on a database whose companies name currencies"
        ),
        "{}",
        stderr(&o)
    );

    // Companies without a currency: rates change nothing.
    let plain = tempfile::tempdir().unwrap();
    let set = "set A.US market_cap at 2025-01-06 = 300\nset B.US market_cap at 2025-01-06 = 200";
    let o = finq(plain.path(), &["--db", "p.db", "-c", set]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = finq(
        plain.path(),
        &["--db", "p.db", "-c", "select market_cap rank"],
    );
    assert!(
        stdout(&before).contains("market_cap  rank"),
        "{}",
        stdout(&before)
    );
    let o = finq(
        plain.path(),
        &[
            "--db",
            "p.db",
            "import",
            rates.to_str().unwrap(),
            "--kind",
            "fx",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let after = finq(
        plain.path(),
        &["--db", "p.db", "-c", "select market_cap rank"],
    );
    assert_eq!(stdout(&after), stdout(&before));
}
