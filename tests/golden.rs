//! Golden scripts: each `tests/scripts/*.fq` runs against a fresh database and its transcript
//! must equal the `.out` file beside it, on disk (sled) and in memory alike: the language
//! cannot tell its store apart. Regenerate with `UPDATE_GOLDEN=1 cargo test --test golden`
//! (the sled run writes the files) and review the diff.
//!
//! Directives in a script's leading comment lines:
//! - `-- setup: sample` loads the built-in sample dataset first (default: an empty database);
//! - `-- format: csv|json|markdown|table` picks the output format (default: table).

use finq::output::Format;
use finq::{Session, cli, demo};
use std::fmt::Write as _;
use std::path::Path;

/// The stores every script runs against.
#[derive(Clone, Copy, PartialEq)]
enum Backend {
    Sled,
    Memory,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sled => "sled",
            Backend::Memory => "in memory",
        }
    }
}

fn transcript(script: &str, backend: Backend) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut session = match backend {
        Backend::Sled => Session::open(dir.path().join("db")).expect("open"),
        Backend::Memory => Session::in_memory().expect("open"),
    };
    for line in script.lines().take_while(|l| l.starts_with("--")) {
        if let Some(v) = line.strip_prefix("-- setup:") {
            match v.trim() {
                "sample" => demo::load_sample(&mut session).expect("sample loads"),
                "sp500" => demo::load_sp500(&mut session).expect("S&P 500 snapshot loads"),
                other => panic!("unknown setup '{other}'"),
            }
        }
        if let Some(v) = line.strip_prefix("-- format:") {
            session.set_format(Format::parse(v.trim()).expect("known format"));
        }
    }
    let format = session.format();
    let mut out = String::new();
    // Statements run one at a time so each result sits under its own text.
    let statements = match finq::query::parse_script(script) {
        Ok(s) => s,
        Err(e) => return format!("{}\n", cli::render_error(&e, script)),
    };
    for st in statements {
        let _ = writeln!(out, "> {}", st.text.replace('\n', "\n> "));
        let r = session.run(&st.text, false, &mut |r| match r {
            Ok(r) => {
                for o in &r.outputs {
                    if let Some(s) = cli::render_output(o, format) {
                        out.push_str(&mask_timing(&s));
                    }
                }
            }
            Err((_, e)) => {
                let _ = writeln!(out, "{}", cli::render_error(&e, &st.text));
            }
        });
        if let Err(e @ finq::Error::Parse { .. }) = r {
            let _ = writeln!(out, "{}", cli::render_error(&e, &st.text));
        }
        out.push('\n');
    }
    out
}

/// An import's summary line ends with its duration and rate, which vary from run to run:
/// they are shown as `<time>`.
fn mask_timing(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let timed = body.starts_with("imported ")
            && (body.ends_with(" points/s") || body.ends_with(" rates/s"));
        match body.rmatch_indices(", ").nth(1).filter(|_| timed) {
            Some((cut, _)) => {
                out.push_str(&body[..cut]);
                out.push_str(", <time>");
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

#[test]
fn golden_scripts_on_sled() {
    golden_scripts(Backend::Sled);
}

#[test]
fn golden_scripts_in_memory() {
    golden_scripts(Backend::Memory);
}

fn golden_scripts(backend: Backend) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/scripts exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "fq"))
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty(), "no golden scripts found");
    let mut failures = Vec::new();
    for path in scripts {
        let script = std::fs::read_to_string(&path).expect("read script");
        let got = transcript(&script, backend);
        let expected_path = path.with_extension("out");
        if update {
            // The sled run writes the files; the in-memory run meets them on the next run
            // (comparing now would race with the writes).
            if backend == Backend::Sled {
                std::fs::write(&expected_path, &got).expect("write golden");
            }
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{} ({}): transcript differs\n--- expected\n{expected}\n--- got\n{got}",
                path.display(),
                backend.name()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
