//! What several test files share: where the specification folder `../shared` is, and the
//! rule for tests whose prerequisites (files there, python3 with duckdb, root for a tmpfs)
//! may be missing. Such a test prints one `skipped: why` line and passes on a developer's
//! machine, but fails when the `CI` environment variable is set: in CI a test that cannot
//! run must never pass silently.
#![allow(dead_code)]

pub mod server;

use std::path::{Path, PathBuf};
use std::process::Command;

/// `../shared/REL`, beside the project's root (as CI lays it out).
pub fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(rel)
}

/// Reports that a test cannot run: a failure under CI, one `skipped:` line otherwise.
pub fn skip(why: &str) {
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("this test cannot run here, and CI is set: {why}");
    }
    eprintln!("skipped: {why}");
}

/// `../shared/REL` when it exists; otherwise the test is skipped (see [`skip`]).
pub fn shared_file(rel: &str) -> Option<PathBuf> {
    let path = shared(rel);
    if path.exists() {
        Some(path)
    } else {
        skip(&format!("{} is not present", path.display()));
        None
    }
}

/// True when python3 runs and can import every module; otherwise the test is skipped.
pub fn python_with(modules: &[&str]) -> bool {
    let probe = modules
        .iter()
        .map(|m| format!("import {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    match Command::new("python3").args(["-c", &probe]).output() {
        Ok(o) if o.status.success() => true,
        _ => {
            skip(&format!(
                "python3 with {} is not installed (pip install {})",
                modules.join(", "),
                modules.join(" ")
            ));
            false
        }
    }
}

/// The NYSE fundamentals file's own ratio columns: whole-number percents rounded to
/// integers, left out so that finq derives exact ones (README, "Real fundamentals").
pub const NYSE_RATIOS: [&str; 9] = [
    "After Tax ROE",
    "Cash Ratio",
    "Current Ratio",
    "Gross Margin",
    "Operating Margin",
    "Pre-Tax Margin",
    "Pre-Tax ROE",
    "Profit Margin",
    "Quick Ratio",
];

/// `import FILE` with the options that read the NYSE fundamentals file: symbol and period
/// columns, fiscal years, its ratio columns skipped. Its `Liabilities` column is a cash-flow
/// line (the change in liabilities), not the balance `Total Liabilities`: `liabilities`
/// says what to do with it (`["--skip", "Liabilities"]` or a `--map`).
pub fn nyse_import_args<'a>(file: &'a str, liabilities: [&'a str; 2]) -> Vec<&'a str> {
    let mut args = vec![
        "import",
        file,
        "--symbol-col",
        "Ticker Symbol",
        "--period-col",
        "Period Ending",
        "--period-kind",
        "fy",
    ];
    args.extend(liabilities);
    for column in NYSE_RATIOS {
        args.extend(["--skip", column]);
    }
    args
}

/// Runs `python3 -c SCRIPT ARGS...` and fails the test with its output unless it succeeds
/// (the script checks with `assert` and prints what it compared).
pub fn python_check<S: AsRef<std::ffi::OsStr>>(script: &str, args: &[S]) {
    let o = Command::new("python3")
        .args(["-c", script])
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
