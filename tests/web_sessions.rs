//! `finq serve`'s sessions over a generated database of 3,000 companies, where a cold
//! scorecard and F-score take a few hundred milliseconds: a statement past the time limit
//! is stopped by its own check (and the session is free at once), two slow reads run side
//! by side on two sessions, and a write is read back through every session.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::server::{Server, agent, answered_at_once, enc, generated_db, get, post};

/// A statement that is slow on a cold cache: every company's scorecard and F-score.
const SLOW: &str = "select score, fscore rank limit 3";

fn generated() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = generated_db(dir.path(), 3000);
    (dir, db)
}

fn slow_read(server: &Server) -> Duration {
    let start = Instant::now();
    let r = get(
        &agent(),
        &server.url(&format!("/api/query?q={}", enc(SLOW))),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json().as_array().unwrap().len(), 3);
    start.elapsed()
}

#[test]
fn a_statement_past_the_limit_is_stopped_where_it_runs() {
    let (_dir, db) = generated();
    // One session: if the stopped statement went on running, nothing else could.
    let server = Server::start(&db, &["--timeout", "0.05", "--sessions", "1"]);
    let a = agent();
    let start = Instant::now();
    let r = post(&a, &server.url("/api/query"), &[], SLOW);
    let took = start.elapsed();
    assert_eq!(r.status, 503, "{}", r.body);
    // The statement's own error (the request would otherwise say it "did not stop").
    assert_eq!(
        r.json()["error"],
        "stopped: the statement ran longer than 0.05 s",
        "{}",
        r.body
    );
    assert_eq!(r.json()["statement"], 1);
    assert!(took < Duration::from_secs(2), "{took:?}");
    // The session is free: a small read is answered at once.
    answered_at_once(&a, &server, "select name limit 1");
    // A company page stopped at the limit is a 503 page, not a page with holes.
    let r = get(&a, &server.url("/company/C000000.US"), &[]);
    assert!(r.status == 503 || r.status == 200, "{}", r.status);
    if r.status == 503 {
        assert!(
            r.body
                .contains("stopped: the statement ran longer than 0.05 s")
        );
    }
}

/// Two cold slow reads sent at once, on a fresh server: the wall time.
fn pair(db: &Path) -> (Duration, Duration) {
    let alone = {
        let server = Server::start(db, &["--sessions", "2"]);
        slow_read(&server)
    };
    let server = Server::start(db, &["--sessions", "2"]);
    let start = Instant::now();
    std::thread::scope(|s| {
        let one = s.spawn(|| slow_read(&server));
        let two = s.spawn(|| slow_read(&server));
        one.join().unwrap();
        two.join().unwrap();
    });
    (alone, start.elapsed())
}

#[test]
fn two_slow_reads_run_side_by_side() {
    let (_dir, db) = generated();
    // Timing on a shared machine: the best of three tries, each against a fresh server so
    // every read is cold.
    let mut tries = Vec::new();
    for _ in 0..3 {
        let (alone, both) = pair(&db);
        tries.push((alone, both));
        if both.as_secs_f64() < 1.6 * alone.as_secs_f64() {
            return;
        }
    }
    panic!("two reads took as long as one after the other: (alone, both) = {tries:?}");
}

#[test]
fn a_write_is_read_back_through_every_session() {
    let (_dir, db) = generated();
    let server = Server::start(&db, &["--sessions", "3"]);
    let q = enc(r#"select name, roe where symbol = "C000000.US" at 2024Q4"#);
    let read = || {
        let r = get(&agent(), &server.url(&format!("/api/query?q={q}")), &[]);
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()[0].clone()
    };
    // Every session reads (and caches) the company, several times over.
    let reads = |n: usize| -> Vec<serde_json::Value> {
        std::thread::scope(|s| {
            let hs: Vec<_> = (0..n).map(|_| s.spawn(read)).collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        })
    };
    let before = reads(9);
    assert!(before.iter().all(|v| v == &before[0]), "{before:?}");
    for (write, name, roe) in [
        // A point: the other sessions patch their cached roe column.
        ("set C000000.US roe at 2024Q4 = 0.4321", None, 0.4321),
        // An attribute: their caches start afresh.
        (
            r#"set C000000.US name = "Renamed Co""#,
            Some("Renamed Co"),
            0.4321,
        ),
    ] {
        let token = [("x-finq-token", server.token.as_str())];
        let r = post(&agent(), &server.url("/api/query"), &token, write);
        assert_eq!(r.status, 200, "{write}: {}", r.body);
        for v in reads(9) {
            assert_eq!(v["roe"].as_f64(), Some(roe), "after {write}: {v}");
            if let Some(name) = name {
                assert_eq!(v["name"], name, "after {write}: {v}");
            }
        }
    }
}
