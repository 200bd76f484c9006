//! Concurrency (issue 8, part 4). A finq database belongs to one process at a time: sled
//! takes an exclusive lock on it for as long as the process has it open, so a second process
//! gets the clear "in use" error with exit status 3 — while an import or a long script runs,
//! and for the whole of a REPL session — and gets in as soon as the first ends, even by
//! SIGKILL. Within one process the REPL is single-threaded: a statement (a long import
//! included) runs to completion before the next prompt.

use rexpect::process::WaitStatus;
use rexpect::session::{Options, PtySession, spawn_with_options};
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn finq_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_finq"));
    c.current_dir(dir).env_remove("FINQ_DB").args(args);
    c
}

fn finq(dir: &Path, args: &[&str]) -> Output {
    finq_cmd(dir, args).output().expect("finq runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const IN_USE: &str = "error: database x.db is in use by another finq process";

/// A temp folder with a 3,000-company dataset in `g/` (2.8 million points in metrics.csv).
fn dataset() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let o = finq(dir.path(), &["gen", "--companies", "3000", "--out", "g"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    dir
}

/// Starts commands that each need the database, all at once, and checks that every one
/// is turned away with exit 3 and the one-line "in use" message.
fn assert_all_turned_away(dir: &Path, holder: &mut Child, commands: &[&[&str]]) {
    let children: Vec<(String, Child)> = commands
        .iter()
        .map(|args| {
            let child = finq_cmd(dir, args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (args.join(" "), child)
        })
        .collect();
    for (shown, child) in children {
        let o = child.wait_with_output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(3),
            "`finq {shown}`: {}",
            text(&o.stderr)
        );
        assert_eq!(text(&o.stderr).trim(), IN_USE, "`finq {shown}`");
        assert!(o.stdout.is_empty(), "`finq {shown}`: {}", text(&o.stdout));
    }
    assert!(
        holder.try_wait().unwrap().is_none(),
        "the first process ended before the others were turned away: the test proved nothing"
    );
}

fn show_metrics_points(dir: &Path) -> u64 {
    let o = finq(
        dir,
        &["--db", "x.db", "--format", "json", "-c", "show metrics"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| m["points"].as_u64().unwrap_or(0))
        .sum()
}

#[test]
fn a_second_process_during_an_import_gets_in_use_exit_3() {
    let dir = dataset();
    let d = dir.path();
    // Companies, then 2.8 million points, then the same points again (an overwrite): about
    // two seconds in all on the reference machine.
    let mut import = finq_cmd(
        d,
        &[
            "--db",
            "x.db",
            "import",
            "g/companies.csv",
            "g/metrics.csv",
            "g/metrics.csv",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // The importer holds the database once sled has written to its data file (sled creates
    // the file, then locks it, then writes).
    let t = Instant::now();
    while std::fs::metadata(d.join("x.db/db")).map_or(0, |m| m.len()) == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the import never opened x.db"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    // A library user is turned away the same way, at the same time.
    let library = {
        let path = d.join("x.db");
        std::thread::spawn(move || match finq::storage::Database::open(path) {
            Err(finq::Error::Open { reason, .. }) => {
                assert_eq!(reason, "is in use by another finq process")
            }
            Err(e) => panic!("expected the in-use error, got {e}"),
            Ok(_) => panic!("opened a database another process holds"),
        })
    };
    assert_all_turned_away(
        d,
        &mut import,
        &[
            &["--db", "x.db", "-c", "show companies"],
            &["--db", "x.db", "check"],
            &["--db", "x.db", "import", "g/companies.csv"],
        ],
    );
    library.join().unwrap();
    // The import was not disturbed, and afterwards the database is everyone's again.
    let o = import.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("imported g/metrics.csv: 3000 companies (0 added, 3000 updated), 2822652 points (2822652 new,"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(show_metrics_points(d), 2_822_652);
    let o = finq(d, &["--db", "x.db", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn a_long_script_holds_the_database_until_it_ends_even_by_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let script: String = (0..3000)
        .map(|i| {
            format!(
                "set S{:03} roe at {}Q{} = {i}\n",
                i % 100,
                2000 + i / 400,
                i / 100 % 4 + 1
            )
        })
        .collect();
    std::fs::write(d.join("sets.fq"), script).unwrap();
    let mut run = finq_cmd(d, &["--db", "x.db", "--timings", "run", "sets.fq"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the first statement has returned, the script certainly has the database.
    let mut lines = std::io::BufReader::new(run.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("{\"statement\": 1,"), "{first}");
    assert_all_turned_away(d, &mut run, &[&["--db", "x.db", "-c", "show companies"]]);
    // SIGKILL: the kernel drops the lock with the process, so the next one gets in at once.
    run.kill().unwrap();
    run.wait().unwrap();
    let t = Instant::now();
    let o = finq(d, &["--db", "x.db", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn one_process_cannot_open_a_database_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let first = finq::storage::Database::open(&path).unwrap();
    let second = finq::storage::Database::open(&path);
    assert!(
        matches!(&second, Err(finq::Error::Open { reason, .. }) if reason == "is in use by another finq process"),
        "{:?}",
        second.err()
    );
    drop(first);
    // Closing the first lets the next open in (after sled's background thread lets go).
    finq::storage::Database::open(&path).unwrap();
}

/// The REPL on a pseudo-terminal (see tests/repl.rs for the conventions).
fn start_repl(dir: &Path) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_finq"));
    cmd.args(["--db", "x.db"])
        .current_dir(dir)
        .env("HOME", dir)
        .env("TERM", "xterm-256color")
        .env("COLUMNS", "160")
        .env("NO_COLOR", "1")
        .env_remove("FINQ_DB");
    let options = Options::new()
        .timeout_ms(Some(30_000))
        .strip_ansi_escape_codes(true);
    let mut p = spawn_with_options(cmd, options).expect("spawn finq");
    p.exp_string("Ctrl-D to exit").expect("banner");
    prompt(&mut p);
    p
}

fn prompt(p: &mut PtySession) -> String {
    p.exp_regex(r"\n(?:\r|\x1b\[[0-9;?]*[A-Za-z])*finq>")
        .expect("prompt")
        .0
}

fn enter(p: &mut PtySession, line: &str) {
    p.send(&format!("{line}\r")).expect("send");
    p.flush().expect("flush");
}

#[test]
fn the_repl_runs_a_long_import_to_completion_before_the_next_prompt() {
    let dir = dataset();
    let d = dir.path();
    std::fs::write(
        d.join("load.fq"),
        "import \"g/companies.csv\"\nimport \"g/metrics.csv\"\nselect count() where roe is not null\n",
    )
    .unwrap();
    let mut p = start_repl(d);
    enter(&mut p, ".read load.fq");
    // The next prompt comes only after the whole script: both imports and the count, which
    // already sees every company's roe.
    let out = prompt(&mut p);
    let a = out
        .find("imported g/companies.csv: 3000 companies")
        .expect(&out);
    let b = out
        .find("imported g/metrics.csv: 3000 companies (0 added, 3000 updated), 2822652 points (2822652 new,")
        .expect(&out);
    assert!(a < b, "{out}");
    let after = &out[b..];
    let after = &after[after.find('\n').unwrap_or(after.len())..];
    assert!(after.contains("count()") && after.contains("3000"), "{out}");
    // The session holds the database the whole time it is open.
    let o = finq(d, &["--db", "x.db", "-c", "show companies"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr).trim(), IN_USE);
    // Ctrl-D ends the session and releases the database.
    p.send_control('d').expect("ctrl-d");
    p.exp_eof().expect("eof");
    match p.process_mut().wait().expect("wait") {
        WaitStatus::Exited(_, code) => assert_eq!(code, 0),
        other => panic!("finq did not exit normally: {other:?}"),
    }
    assert_eq!(show_metrics_points(d), 2_822_652);
}

/// Two processes that start together on a database that does not exist yet: one creates it,
/// the other waits for it or is turned away as "in use" — never told that the new database
/// is damaged (it was, 1 time in 200, before finq told a database being created from an old
/// one by its still-empty data file).
#[test]
fn two_processes_creating_one_database_do_not_call_it_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 0..40 {
        let db = format!("r{i}.db");
        let children: Vec<Child> = (0..2)
            .map(|_| {
                finq_cmd(d, &["--db", &db, "-c", "show sectors"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            let err = text(&o.stderr);
            assert!(
                o.status.code() == Some(0)
                    || (o.status.code() == Some(3)
                        && err.contains("is in use by another finq process")),
                "round {i}: exit {:?}: {err}",
                o.status.code()
            );
        }
        let o = finq(d, &["--db", &db, "check"]);
        assert_eq!(o.status.code(), Some(0), "round {i}: {}", text(&o.stderr));
    }
}
