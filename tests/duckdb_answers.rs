//! finq's answers to the benchmark queries equal DuckDB's (BENCHMARKS.md): a generated
//! dataset is imported and `scripts/compare_answers.py` checks q1–q9 row by row. Skipped,
//! with a note, when python3, duckdb or ../shared/bench/ref.py is not available (a failure
//! under CI: tests/support).

mod support;

use std::path::Path;
use std::process::Command;

#[test]
fn benchmark_answers_equal_duckdb() {
    if support::shared_file("bench/ref.py").is_none() || !support::python_with(&["duckdb"]) {
        return;
    }
    let finq = env!("CARGO_BIN_EXE_finq");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = dir.path().join("db");
    let run = |args: &[&str]| {
        let o = Command::new(finq).args(args).output().unwrap();
        assert!(
            o.status.success(),
            "finq {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    run(&[
        "gen",
        "--companies",
        "3000",
        "--seed",
        "11",
        "--out",
        data.to_str().unwrap(),
    ]);
    run(&[
        "--db",
        db.to_str().unwrap(),
        "import",
        data.join("companies.csv").to_str().unwrap(),
        data.join("metrics.csv").to_str().unwrap(),
    ]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/compare_answers.py");
    let o = Command::new("python3")
        .arg(script)
        .arg(&data)
        .args(["--db", db.to_str().unwrap(), "--finq", finq, "--all"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    eprintln!("{out}");
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        out.lines().filter(|l| l.contains("  ok  ")).count(),
        9,
        "{out}"
    );
}
