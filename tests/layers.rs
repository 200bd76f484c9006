//! The layers point one way (docs/ARCHITECTURE.md): each module below may only use the
//! modules listed for it, and `sled::` appears in one file. Read from the sources, so a
//! `use` that breaks the rule fails here before it tangles the code. Test modules inside a
//! layer (`tests.rs`, `tests/`) may use anything.

use std::path::{Path, PathBuf};

/// (module, the `crate::` modules its code may use).
const RULES: &[(&str, &[&str])] = &[
    ("model", &["error"]),
    ("error", &[]),
    ("output", &["model", "error"]),
    ("charts", &["output", "model", "error"]),
    ("storage", &["model", "error", "fasthash"]),
    ("columns", &["storage", "model", "error", "fasthash"]),
    (
        "analysis",
        &["columns", "storage", "model", "error", "fasthash"],
    ),
    ("ingest", &["storage", "model", "error", "fasthash"]),
    // Files for other engines: the stored data, and the rules' text for the catalog.
    (
        "export",
        &["analysis", "storage", "model", "error", "fasthash"],
    ),
    // A front end: statements go through the session, never around it to the store.
    (
        "web",
        &[
            "session", "query", "charts", "cli", "output", "model", "error",
        ],
    ),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "tests" || name == "tests.rs" {
            continue;
        }
        if p.is_dir() {
            sources(&p, out);
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

/// The files of a module: `src/NAME/` or `src/NAME.rs`.
fn module_files(name: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src.join(name), &mut files);
    let single = src.join(format!("{name}.rs"));
    if single.exists() {
        files.push(single);
    }
    files
}

/// `crate::x` paths used in code (not in comments, and not in a `#[cfg(test)]` module at
/// the end of a file).
fn used_modules(text: &str) -> Vec<String> {
    let code = match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = Vec::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '#')
                .collect();
            out.push(name.trim_start_matches("r#").to_string());
            rest = after;
        }
    }
    out
}

#[test]
fn each_layer_uses_only_the_layers_below_it() {
    let mut broken = Vec::new();
    for (module, allowed) in RULES {
        let files = module_files(module);
        assert!(!files.is_empty(), "no sources for {module}");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for used in used_modules(&text) {
                // Macros exported at the crate root (errdata!, errname!) are the error module's.
                let used = match used.as_str() {
                    "errdata" | "errname" => "error".to_string(),
                    _ => used,
                };
                if used != *module && !allowed.contains(&used.as_str()) {
                    broken.push(format!("{} uses crate::{used}", f.display()));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "layers point the wrong way:\n{}",
        broken.join("\n")
    );
}

#[test]
fn sled_appears_in_one_file() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let naming: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .any(|l| !l.trim_start().starts_with("//") && l.contains("sled::"))
        })
        .map(|f| f.display().to_string())
        .collect();
    assert_eq!(naming.len(), 1, "{naming:?}");
    assert!(naming[0].ends_with("sled_kv.rs"), "{naming:?}");
}

#[test]
fn no_source_file_is_too_long_to_hold_in_your_head() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let long: Vec<String> = files
        .iter()
        .map(|f| (f, std::fs::read_to_string(f).unwrap().lines().count()))
        .filter(|(_, n)| *n > 1000)
        .map(|(f, n)| format!("{} ({n} lines)", f.display()))
        .collect();
    assert!(long.is_empty(), "files over 1,000 lines: {long:?}");
}
