//! The REPL driven through a pseudo-terminal (rexpect), and the terminal output of `-c` and
//! stdin. Every test builds the built-in sample in a temp dir, runs the real binary with
//! `--db` and `HOME` in that dir, and matches on text (escape codes stripped unless the test
//! is about colour), with 10 s timeouts.

use rexpect::process::WaitStatus;
use rexpect::session::{Options, PtySession, spawn_with_options};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

const TIMEOUT_MS: u64 = 10_000;

fn sample_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = finq::Session::open(dir.path().join("db")).expect("open");
    finq::demo::load_sample(&mut s).expect("sample loads");
    std::fs::create_dir(dir.path().join("home")).expect("home");
    dir
}

/// Rows of a statement's table, run in-process on a copy of the sample.
fn rows_of(statement: &str) -> usize {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = finq::Session::open(dir.path().join("db")).expect("open");
    finq::demo::load_sample(&mut s).expect("sample loads");
    s.execute(statement)
        .expect("runs")
        .iter()
        .map(finq::output::Output::rows)
        .sum()
}

fn finq_command(dir: &Path, color: bool) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_finq"));
    cmd.arg("--db")
        .arg(dir.join("db"))
        .current_dir(dir)
        .env("HOME", dir.join("home"))
        .env("TERM", "xterm-256color")
        .env("COLUMNS", "120")
        .env_remove("FINQ_DB");
    if color {
        cmd.env_remove("NO_COLOR");
    } else {
        cmd.env("NO_COLOR", "1");
    }
    cmd
}

/// Starts the REPL on a pseudo-terminal and waits for its first prompt.
fn start(dir: &Path, color: bool) -> PtySession {
    let options = Options::new()
        .timeout_ms(Some(TIMEOUT_MS))
        .strip_ansi_escape_codes(!color);
    let mut p = spawn_with_options(finq_command(dir, color), options).expect("spawn finq");
    p.exp_string("Ctrl-D to exit").expect("banner");
    prompt(&mut p);
    p
}

/// Waits for a fresh prompt: only then is the terminal in raw mode and ready for keys (keys
/// sent earlier may be taken for the answer to rustyline's cursor-position query). A fresh
/// prompt starts a line; the redraws of the line being edited do not.
fn prompt(p: &mut PtySession) -> String {
    p.exp_regex(r"\n(?:\r|\x1b\[[0-9;?]*[A-Za-z])*finq>")
        .expect("prompt")
        .0
}

/// Types `text` (Tab as `\t`) without pressing Enter.
fn keys(p: &mut PtySession, text: &str) {
    p.send(text).expect("send");
    p.flush().expect("flush");
}

/// Types a line and presses Enter.
fn enter(p: &mut PtySession, text: &str) {
    keys(p, &format!("{text}\r"));
}

/// rexpect reads the terminal byte by byte, one `char` per byte: what it returns is UTF-8
/// spelled in Latin-1, and so must a needle be.
fn as_bytes(s: &str) -> String {
    s.bytes().map(char::from).collect()
}

fn from_bytes(s: &str) -> String {
    let bytes: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Waits for `needle`; returns the text before it.
fn expect(p: &mut PtySession, needle: &str) -> String {
    match p.exp_string(&as_bytes(needle)) {
        Ok(before) => from_bytes(&before),
        Err(e) => panic!("expected {needle:?}: {e}"),
    }
}

/// Ctrl-D on an empty line: the REPL ends with status 0.
fn quit(mut p: PtySession) {
    p.send_control('d').expect("ctrl-d");
    p.exp_eof().expect("eof");
    match p.process_mut().wait().expect("wait") {
        WaitStatus::Exited(_, code) => assert_eq!(code, 0, "exit status"),
        other => panic!("finq did not exit normally: {other:?}"),
    }
}

#[test]
fn tab_completes_keywords_metrics_and_quoted_industries() {
    let dir = sample_dir();
    let n = rows_of(r#"select gearing_ratio, roe from industry "Systems Software" rank"#);
    let mut p = start(dir.path(), false);
    // A keyword, then a metric.
    keys(&mut p, "sel\t");
    expect(&mut p, "select ");
    keys(&mut p, "gearing_r\t");
    expect(&mut p, "gearing_ratio");
    // After `from industry ` the industries, quoted: the first Tab inserts their common
    // prefix (the quote), the second lists them, and one letter more makes it unique.
    keys(&mut p, ", roe from industry \t\t");
    expect(&mut p, "\"Internet Services and Infrastructure\"");
    expect(&mut p, "\"Systems Software\"");
    keys(&mut p, "S\t");
    expect(&mut p, "industry \"Systems Software\" ");
    enter(&mut p, "rank");
    let out = expect(&mut p, &format!("{n} rows"));
    assert!(out.contains("gearing_ratio"), "{out}");
    assert!(out.contains("600756.SH"), "{out}");
    assert!(out.contains("46.08%"), "{out}");
    prompt(&mut p);
    // Symbols after `describe`.
    keys(&mut p, "describe 6883\t");
    expect(&mut p, "688316.SH");
    enter(&mut p, "");
    expect(&mut p, "QingCloud Technologies Corp.");
    prompt(&mut p);
    // Meta commands.
    keys(&mut p, ".tim\t");
    expect(&mut p, ".timer ");
    enter(&mut p, "on");
    prompt(&mut p);
    enter(&mut p, "show sectors");
    p.exp_regex(r"1 row \(\d+\.\d+ ms\)")
        .expect("a footer with the time");
    prompt(&mut p);
    quit(p);
}

#[test]
fn a_session_of_statements_errors_formats_and_history() {
    let dir = sample_dir();
    let mut p = start(dir.path(), false);

    // An open parenthesis continues the statement on the next line.
    enter(&mut p, "select count(");
    enter(&mut p, "), median(roe) by industry");
    let out = expect(&mut p, "rows");
    assert!(out.contains("median(roe)"), "{out}");
    assert!(out.contains("Systems Software"), "{out}");
    assert!(!out.contains("error"), "{out}");
    prompt(&mut p);

    // So does an open quote: one statement, run once.
    enter(&mut p, r#"select count() as n where name like "%"#);
    enter(&mut p, r#"%""#);
    let out = expect(&mut p, "1 row");
    assert!(!out.contains("error"), "{out}");
    prompt(&mut p);

    // An error is reported and the session goes on.
    enter(&mut p, "select reo");
    expect(&mut p, "did you mean 'roe'?");
    prompt(&mut p);
    enter(&mut p, "describe KC.US");
    expect(&mut p, "Kingsoft Cloud Holdings Limited");
    prompt(&mut p);

    // Ctrl-C cancels the line being typed.
    keys(&mut p, "select nonsense_metric");
    p.send_control('c').expect("ctrl-c");
    prompt(&mut p);
    enter(&mut p, "show sectors");
    let out = expect(&mut p, "Technology");
    assert!(!out.contains("unknown"), "the cancelled line ran: {out}");
    prompt(&mut p);

    // Ctrl-C over a hint redraws the line without it, and the line does not run.
    keys(&mut p, "show ");
    expect(&mut p, "[where");
    p.send_control('c').expect("ctrl-c");
    let redrawn = prompt(&mut p);
    let last = redrawn.rsplit("finq>").next().unwrap_or("");
    assert!(
        redrawn.contains("finq> show") && last.trim() == "show" && !last.contains("[where"),
        "the hint stayed after Ctrl-C: {redrawn:?}"
    );
    enter(&mut p, "show sectors");
    let out = expect(&mut p, "Technology");
    assert!(!out.contains("error"), "the cancelled line ran: {out}");
    prompt(&mut p);

    // .format json says so, then prints raw values.
    enter(&mut p, ".format json");
    expect(&mut p, "format: json");
    prompt(&mut p);
    enter(&mut p, r#"select roe where symbol = "KC.US""#);
    expect(&mut p, r#""roe": -0.1293"#);
    prompt(&mut p);
    enter(&mut p, ".format table");
    prompt(&mut p);
    enter(&mut p, r#"select roe where symbol = "KC.US""#);
    expect(&mut p, "-12.93%");
    prompt(&mut p);

    quit(p);
    let history = std::fs::read_to_string(dir.path().join("home/.finq_history"))
        .expect("the history file is written");
    assert!(history.contains("select reo"), "{history}");
    assert!(history.contains("describe KC.US"), "{history}");
    assert!(history.contains(".format json"), "{history}");
    assert!(
        history.contains(r"select count(\n), median(roe) by industry"),
        "one entry for the two-line statement: {history}"
    );
    assert!(!history.contains("nonsense_metric"), "{history}");
}

#[test]
fn meta_commands_read_output_stats_check_and_help() {
    let dir = sample_dir();
    std::fs::write(
        dir.path().join("script.fq"),
        "-- a script\nselect roe where symbol = \"KC.US\"\n.format csv\ndescribe 688316.SH\n",
    )
    .unwrap();
    let mut p = start(dir.path(), false);

    enter(&mut p, ".read script.fq");
    expect(&mut p, "-12.93%");
    expect(&mut p, "name,QingCloud Technologies Corp.");
    prompt(&mut p);
    enter(&mut p, ".format table");
    prompt(&mut p);

    enter(&mut p, ".output result.txt");
    expect(&mut p, "output: result.txt");
    prompt(&mut p);
    enter(&mut p, "show industries");
    expect(&mut p, "2 rows → result.txt");
    prompt(&mut p);
    enter(&mut p, ".output stdout");
    prompt(&mut p);
    let written = std::fs::read_to_string(dir.path().join("result.txt")).unwrap();
    assert!(written.starts_with("industry"), "{written}");
    assert!(written.contains("Systems Software"), "{written}");

    enter(&mut p, ".stats");
    expect(&mut p, "companies   23");
    expect(&mut p, "points");
    prompt(&mut p);
    enter(&mut p, ".check");
    expect(&mut p, "ok: ");
    prompt(&mut p);
    enter(&mut p, ".help peers");
    expect(
        &mut p,
        "peers of SYMBOL [using SCORECARD] [at PERIOD] [limit N]",
    );
    prompt(&mut p);
    enter(&mut p, ".nonsense");
    expect(&mut p, "unknown command '.nonsense'");
    prompt(&mut p);
    enter(&mut p, ".quit");
    p.exp_eof().expect("eof");
    match p.process_mut().wait().expect("wait") {
        WaitStatus::Exited(_, code) => assert_eq!(code, 0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn grades_are_coloured_on_a_terminal_unless_no_color() {
    let dir = sample_dir();
    let mut p = start(dir.path(), true);
    enter(&mut p, "peers of KC.US limit 3");
    let out = expect(&mut p, "rows");
    assert!(out.contains("\x1b[38;5;"), "grade colours: {out:?}");
    // The subject's row is bold.
    assert!(
        out.contains("\x1b[1m   1  KC.US"),
        "bold subject row: {out:?}"
    );
    enter(&mut p, "score KC.US");
    let out = expect(&mut p, "1 row");
    assert!(out.contains("Score 0."), "{out:?}");
    assert!(
        out.contains("(\x1b[1m\x1b[38;5;"),
        "the score's grade: {out:?}"
    );
    quit(p);

    // NO_COLOR: the same statement with no colour at all (read raw, not stripped).
    let options = Options::new().timeout_ms(Some(TIMEOUT_MS));
    let mut p = spawn_with_options(finq_command(dir.path(), false), options).unwrap();
    prompt(&mut p);
    enter(&mut p, "peers of KC.US limit 3");
    let out = expect(&mut p, "rows");
    assert!(out.contains("KC.US"), "{out:?}");
    assert!(!out.contains("\x1b[38;5;"), "no colour: {out:?}");
    assert!(!out.contains("\x1b[1m"), "no bold: {out:?}");
    quit(p);
}

#[test]
fn dash_c_on_a_terminal_is_coloured_and_fits_its_width() {
    let dir = sample_dir();
    let mut cmd = finq_command(dir.path(), true);
    cmd.env("COLUMNS", "60")
        .args(["-c", "peers of KC.US limit 3; series revenue of 688316.SH"]);
    let options = Options::new().timeout_ms(Some(TIMEOUT_MS));
    let mut p = spawn_with_options(cmd, options).unwrap();
    let out = from_bytes(&p.exp_eof().expect("output"));
    assert!(out.contains("\x1b[38;5;"), "grades coloured: {out:?}");
    assert!(out.contains('…'), "long names cut to 60 columns: {out:?}");
    assert!(
        out.contains('▁') || out.contains('█'),
        "a sparkline: {out:?}"
    );
    let plain = out.replace('\r', "");
    for line in plain.lines() {
        let text = strip(line);
        assert!(
            text.chars().count() <= 60,
            "wider than the terminal: {text:?}"
        );
    }
}

fn strip(s: &str) -> String {
    finq::output::style::strip_ansi(s)
}

#[test]
fn statements_from_stdin_print_as_dash_c_does() {
    let dir = sample_dir();
    let script = "select roe, pb where industry = \"Internet Services and Infrastructure\" rank\n\
                  series revenue of 688316.SH\n\
                  peers of KC.US limit 3\n";
    let run_stdin = |text: &str| {
        let mut child = finq_command(dir.path(), true)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let run_c = |text: &str| {
        finq_command(dir.path(), true)
            .args(["-c", text])
            .output()
            .unwrap()
    };
    let piped = run_stdin(script);
    let dash_c = run_c(script);
    assert_eq!(piped.status.code(), Some(0));
    assert_eq!(dash_c.status.code(), Some(0));
    assert_eq!(piped.stdout, dash_c.stdout);
    let out = String::from_utf8(piped.stdout).unwrap();
    assert!(out.contains("688316.SH"), "{out}");
    // Not a terminal: no colour, no sparkline, even without NO_COLOR.
    assert!(!out.contains('\x1b'), "{out:?}");
    assert!(!out.contains('▁'), "{out}");

    // A failing statement: the same message and status 1 both ways.
    let piped = run_stdin("describe KC.US\nselect reo\n");
    let dash_c = run_c("describe KC.US\nselect reo\n");
    assert_eq!(piped.status.code(), Some(1));
    assert_eq!(dash_c.status.code(), Some(1));
    assert_eq!(piped.stdout, dash_c.stdout);
    assert_eq!(piped.stderr, dash_c.stderr);
    assert!(String::from_utf8_lossy(&piped.stderr).contains("did you mean 'roe'?"));
}

/// Lines typed ahead while a statement runs, or pasted several at once, are kept and run in
/// order: the second statement is sent before the first has answered.
#[test]
fn typed_ahead_and_pasted_lines_run_in_order() {
    let dir = sample_dir();
    let mut p = start(dir.path(), false);
    // Two statements in one write, as a paste or fast typing sends them.
    keys(&mut p, "show sectors\rshow screens\r");
    expect(&mut p, "Technology");
    expect(&mut p, "screen  definition");
    prompt(&mut p);
    // The next line typed right after Enter, before the first statement has answered.
    keys(&mut p, "select roe, gross_margin, yoy(revenue) rank\r");
    keys(&mut p, "show industries\r");
    expect(&mut p, "rank");
    expect(&mut p, "industry ");
    prompt(&mut p);
    quit(p);
}
