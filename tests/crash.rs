//! Crash safety (issue 8, part 1): `finq` is killed with SIGKILL at random moments while it
//! writes, and the database must then open, pass `finq check`, and hold exactly a state that
//! a completed write would have left:
//!
//! - an import of a 2.8-million-point file holds the whole file or none of it, and everything
//!   imported before it is intact — both for a first import and for one that overwrites every
//!   series of an earlier import;
//! - a script of `set` statements holds every statement whose `--timings` line was written
//!   (that line comes after the statement's batch is flushed and fsynced), and nothing from a
//!   statement that had not started.
//!
//! Import kills come at moments spread over the import's measured duration and, as many
//! again, at random moments after sled began writing the batch to its data file (the last
//! ~15% of the run, where a torn write could happen). Kill moments are random; the seed is
//! printed and `FINQ_CRASH_SEED=N` repeats a run. `FINQ_CRASH_ROUNDS=N` (default 5) sets the
//! number of kills of each kind per test, for longer runs.
//! SIGKILL ends the process, not the machine: data the process handed to the kernel survives,
//! so these tests show atomicity and recovery, not behaviour on power loss.

use finq::storage::Database;
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A small PRNG (xorshift64*), so kill moments are random but repeatable from a seed.
struct Rng(u64);

impl Rng {
    fn from_env(test: &str) -> Rng {
        let seed = std::env::var("FINQ_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        eprintln!("{test}: FINQ_CRASH_SEED={seed}");
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }

    /// Uniform in [lo, hi).
    fn float(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

fn rounds() -> usize {
    std::env::var("FINQ_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
}

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

/// Copies a closed database folder (sled's `conf`, `db`, snapshots, blobs).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// `finq check` exits 0 on the database (and says so on stdout).
fn assert_check_passes(dir: &Path, db: &str, context: &str) {
    let o = finq(dir, &["--db", db, "check"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{context}: finq check failed\nstdout: {}\nstderr: {}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert!(text(&o.stdout).starts_with("ok: "), "{}", text(&o.stdout));
}

/// What a database holds, compared between runs: its companies, per-metric (companies,
/// points) counts, and a digest of every stored point (metric, symbol, period, value bits).
#[derive(Debug, PartialEq, Clone)]
struct State {
    companies: Vec<finq::model::Company>,
    counts: BTreeMap<String, (usize, usize)>,
    digest: u64,
}

impl State {
    fn points(&self) -> usize {
        self.counts.values().map(|c| c.1).sum()
    }
}

fn fnv(h: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *h ^= u64::from(*b);
        *h = h.wrapping_mul(0x100_0000_01b3);
    }
}

fn state(path: &Path) -> State {
    let db = Database::open(path).unwrap_or_else(|e| panic!("Database::open: {e}"));
    let counts: BTreeMap<String, (usize, usize)> =
        db.metric_counts().unwrap().into_iter().collect();
    let mut digest = 0xcbf2_9ce4_8422_2325u64;
    for metric in counts.keys() {
        db.for_each_series(metric, |e| {
            fnv(&mut digest, metric.as_bytes());
            fnv(&mut digest, e.key.as_bytes());
            for (c, v) in e.codes().zip(e.values()) {
                fnv(&mut digest, &c.to_le_bytes());
                fnv(&mut digest, &v.to_bits().to_le_bytes());
            }
        })
        .unwrap();
    }
    State {
        companies: db.companies().unwrap(),
        counts,
        digest,
    }
}

/// A temp folder with a 3,000-company dataset in `g/` (and, with `second_seed`, the same
/// companies' metrics with other values in `g2/`), and `base.db` holding `g/companies.csv`,
/// imported by a process that completed.
fn dataset(second_seed: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = finq(d, &["gen", "--companies", "3000", "--out", "g"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    if second_seed {
        let o = finq(
            d,
            &["gen", "--companies", "3000", "--seed", "8", "--out", "g2"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    timed_import(d, "base.db", "g/companies.csv");
    dir
}

fn data_file_len(db: &Path) -> u64 {
    std::fs::metadata(db.join("db")).map_or(0, |m| m.len())
}

/// sled has started writing the import's batch: the data file grew by more than this.
const WRITING: u64 = 1 << 20;

/// Runs `finq --db DB import FILE` to completion, watching the data file, and returns the
/// whole run's duration and how long before the end the batch began to reach the file.
fn timed_import(dir: &Path, db: &str, file: &str) -> (Duration, Duration) {
    let path = dir.join(db);
    let base = data_file_len(&path);
    let t = Instant::now();
    let mut child = finq_cmd(dir, &["--db", db, "import", file])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut writing_from = None;
    while child.try_wait().unwrap().is_none() {
        if writing_from.is_none() && data_file_len(&path) > base + WRITING {
            writing_from = Some(t.elapsed());
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let took = t.elapsed();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    (took, took - writing_from.unwrap_or(took))
}

/// When a kill lands.
#[derive(Clone, Copy, Debug)]
enum Moment {
    /// This long after the start.
    After(Duration),
    /// This long after the data file began to grow (sled writing the batch).
    Writing(Duration),
}

/// How kills ended, to report: the state before the import (and whether the batch had begun
/// to reach the file), or the whole import.
#[derive(Default, Debug)]
struct Outcomes {
    before_untouched: usize,
    before_partly_written: usize,
    whole: usize,
}

/// Kills `finq import FILE` on copies of `before_db`: `rounds()` times at moments spread over
/// the import's measured duration, and `rounds()` times at random moments after sled began
/// writing the batch (the window where a torn write could happen). Each time the database
/// must pass check and hold `before` or `after` exactly, and take the import afterwards.
fn kill_imports(
    dir: &Path,
    rng: &mut Rng,
    before_db: &str,
    file: &str,
    (before, after): (&State, &State),
    (duration, writing): (Duration, Duration),
) -> Outcomes {
    let n = rounds();
    let mut moments = Vec::new();
    for i in 0..n {
        // Slot i of n, at a random place within it.
        let frac = (i as f64 + rng.float(0.0, 1.0)) / n as f64;
        moments.push(Moment::After(duration.mul_f64(frac)));
        moments.push(Moment::Writing(writing.mul_f64(rng.float(0.0, 1.0))));
    }
    let mut out = Outcomes::default();
    for (i, moment) in moments.into_iter().enumerate() {
        let db = format!("kill{i}.db");
        let path = dir.join(&db);
        let _ = std::fs::remove_dir_all(&path);
        copy_dir(&dir.join(before_db), &path);
        let base = data_file_len(&path);
        let mut child = finq_cmd(dir, &["--db", &db, "import", file])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        match moment {
            Moment::After(d) => std::thread::sleep(d),
            Moment::Writing(d) => {
                let t = Instant::now();
                while data_file_len(&path) <= base + WRITING
                    && child.try_wait().unwrap().is_none()
                    && t.elapsed() < Duration::from_secs(60)
                {
                    std::thread::sleep(Duration::from_micros(200));
                }
                std::thread::sleep(d);
            }
        }
        let finished_first = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        let wrote = data_file_len(&path) > base + WRITING;
        let context = format!(
            "kill {i} at {moment:?} (import of {file}: {duration:?}, writing for the last {writing:?})"
        );
        assert_check_passes(dir, &db, &context);
        let got = state(&path);
        assert!(
            !(finished_first && got != *after),
            "{context}: the import had completed, yet its data is not all there"
        );
        if got == *before {
            if wrote {
                out.before_partly_written += 1;
            } else {
                out.before_untouched += 1;
            }
        } else if got == *after {
            out.whole += 1;
        } else {
            panic!(
                "{context}: the database holds neither the state before the import nor after it\n\
                 points: before {}, after {}, got {}\n\
                 companies: before {}, got {}",
                before.points(),
                after.points(),
                got.points(),
                before.companies.len(),
                got.companies.len()
            );
        }
        if matches!(moment, Moment::Writing(_)) {
            // The database stays writable: the import then completes and gives the full state.
            timed_import(dir, &db, file);
            assert_eq!(state(&path), *after, "{context}: re-import after the kill");
        }
        std::fs::remove_dir_all(&path).unwrap();
    }
    out
}

#[test]
fn killed_import_stores_the_whole_file_or_none_of_it() {
    let mut rng = Rng::from_env("killed_import_stores_the_whole_file_or_none_of_it");
    let dir = dataset(false);
    let d = dir.path();
    let before = state(&d.join("base.db"));
    assert_eq!(before.companies.len(), 3000);
    assert_eq!(before.points(), 0);
    // The import run to completion, once: its duration and the state it leaves.
    copy_dir(&d.join("base.db"), &d.join("full.db"));
    let timing = timed_import(d, "full.db", "g/metrics.csv");
    let after = state(&d.join("full.db"));
    assert_eq!(after.points(), 2_822_652);
    assert_eq!(after.companies, before.companies);
    let out = kill_imports(
        d,
        &mut rng,
        "base.db",
        "g/metrics.csv",
        (&before, &after),
        timing,
    );
    eprintln!("first import {timing:?}: {out:?}");
}

#[test]
fn killed_overwriting_import_keeps_the_old_values_or_takes_all_new_ones() {
    let mut rng =
        Rng::from_env("killed_overwriting_import_keeps_the_old_values_or_takes_all_new_ones");
    let dir = dataset(true);
    let d = dir.path();
    // State A: companies and the first metrics file, each imported by a completed process.
    timed_import(d, "base.db", "g/metrics.csv");
    let before = state(&d.join("base.db"));
    assert_eq!(before.points(), 2_822_652);
    // State B: A, then the second file, which rewrites every chunk of every metric.
    copy_dir(&d.join("base.db"), &d.join("full.db"));
    let timing = timed_import(d, "full.db", "g2/metrics.csv");
    let after = state(&d.join("full.db"));
    assert_ne!(after.digest, before.digest);
    assert_eq!(after.companies, before.companies);
    let out = kill_imports(
        d,
        &mut rng,
        "base.db",
        "g2/metrics.csv",
        (&before, &after),
        timing,
    );
    eprintln!("overwriting import {timing:?}: {out:?}");
}

/// Statement `i` of the `set` script: one point, its own (symbol, period).
fn set_statement(i: usize) -> (String, String, String) {
    let symbol = format!("S{:03}.US", i % 200);
    let q = i / 200;
    let period = format!("{}Q{}", 2020 + q / 4, q % 4 + 1);
    (symbol, period, format!("{i}.25%"))
}

fn expected_value(i: usize) -> f64 {
    format!("{i}.25e-2").parse().unwrap()
}

/// The value the database holds for statement `i`'s point, if any.
fn stored(db: &Database, i: usize) -> Option<f64> {
    let (symbol, period, _) = set_statement(i);
    let code = finq::model::Period::parse(&period).unwrap().code();
    let series = db.series("roe", &symbol).unwrap()?;
    series.points.iter().find(|p| p.0 == code).map(|p| p.1)
}

#[test]
fn killed_set_script_keeps_every_statement_that_returned() {
    const STATEMENTS: usize = 2000;
    let mut rng = Rng::from_env("killed_set_script_keeps_every_statement_that_returned");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = rounds();
    // Statements before `start` have all returned in some earlier run.
    let mut start = 0;
    let mut kills = Vec::new();
    let mut torn_lines = 0;
    for round in 0..n {
        let script: String = (start..STATEMENTS)
            .map(|i| {
                let (s, p, v) = set_statement(i);
                format!("set {s} roe at {p} = {v}\n")
            })
            .collect();
        std::fs::write(d.join("sets.fq"), script).unwrap();
        let mut child = finq_cmd(d, &["--db", "s.db", "--timings", "run", "sets.fq"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Kill after a random number of statements returned (spread so that later rounds
        // still have statements to run), at a random moment within the next statement.
        let remaining = STATEMENTS - start;
        let target = rng.range(1, (2 * remaining / (n - round + 1)).max(2) as u64) as usize;
        let mut lines = Vec::new();
        while lines.len() < target {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(l) => lines.push(l),
                Err(_) => break,
            }
        }
        std::thread::sleep(Duration::from_micros(rng.range(0, 5000)));
        child.kill().ok();
        child.wait().unwrap();
        reader.join().unwrap();
        // Lines written before the kill are still in the pipe: they count as returned too.
        lines.extend(rx.try_iter());
        // A kill can land while a line is being written (finq writes it in pieces): the
        // statement had returned by then, so a torn last line counts as its line.
        let torn = lines
            .last()
            .is_some_and(|l| serde_json::from_str::<serde_json::Value>(l).is_err());
        let complete = &lines[..lines.len() - usize::from(torn)];
        let mut reported: Vec<usize> = complete
            .iter()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("not a timings line: {l}: {e}"));
                v["statement"].as_u64().unwrap() as usize
            })
            .collect();
        if torn {
            let last = lines.last().unwrap();
            assert!(last.starts_with('{'), "not a timings line: {last}");
            reported.push(reported.len() + 1);
            torn_lines += 1;
        }
        assert_eq!(
            reported,
            (1..=reported.len()).collect::<Vec<_>>(),
            "timings lines come one per statement, in order"
        );
        let returned = start + reported.len();
        let context = format!("round {round}: killed after statement {returned} of {STATEMENTS}");
        if round == 0 && returned == 0 {
            // Killed before the database existed: nothing to check yet.
            continue;
        }
        assert_check_passes(d, "s.db", &context);
        let db = Database::open(d.join("s.db")).unwrap();
        for i in 0..returned {
            let got = stored(&db, i);
            assert_eq!(
                got,
                Some(expected_value(i)),
                "{context}: statement {} returned but its point is {got:?}",
                i + 1
            );
        }
        // Statement `returned` may have been running; none after it had started.
        for i in (returned + 1).min(STATEMENTS)..STATEMENTS {
            assert_eq!(
                stored(&db, i),
                None,
                "{context}: statement {} had not started",
                i + 1
            );
        }
        drop(db);
        kills.push(returned);
        start = returned;
    }
    // The rest of the script, to completion: every point there, exactly once.
    let script: String = (start..STATEMENTS)
        .map(|i| {
            let (s, p, v) = set_statement(i);
            format!("set {s} roe at {p} = {v}\n")
        })
        .collect();
    std::fs::write(d.join("sets.fq"), script).unwrap();
    let o = finq(d, &["--db", "s.db", "run", "sets.fq"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_check_passes(d, "s.db", "after the whole script");
    let db = Database::open(d.join("s.db")).unwrap();
    for i in 0..STATEMENTS {
        assert_eq!(
            stored(&db, i),
            Some(expected_value(i)),
            "statement {}",
            i + 1
        );
    }
    let counts: HashMap<String, (usize, usize)> = db.metric_counts().unwrap();
    assert_eq!(counts.get("roe"), Some(&(200, STATEMENTS)));
    eprintln!(
        "set script: killed after statements {kills:?} of {STATEMENTS} ({torn_lines} kills tore a timings line)"
    );
}

/// sled writes a snapshot to `snap.<lsn>.generating` and renames it when complete. A process
/// that dies (or a disk that fills) while it is written leaves that file behind, and sled then
/// refused to open the database ("Read corrupted data"); finq removes it and opens.
#[test]
fn a_half_written_snapshot_does_not_make_the_database_unopenable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = finq(
        d,
        &[
            "--db",
            "s.db",
            "-c",
            "set A roe at 2024 = 12%; set B pb at 2024 = 2",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let before = state(&d.join("s.db"));
    for leftover in [&b""[..], &[0xA5u8; 100][..], &[0u8; 13][..]] {
        std::fs::write(d.join("s.db/snap.FFFFFFFFFFFFFFFF.generating"), leftover).unwrap();
        assert_check_passes(d, "s.db", &format!("{} bytes left over", leftover.len()));
        assert_eq!(state(&d.join("s.db")), before);
        assert!(!d.join("s.db/snap.FFFFFFFFFFFFFFFF.generating").exists());
    }
}
