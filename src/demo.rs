//! `finq demo`: builds a database from the sample data compiled into the binary (figures
//! from the seed documents, see data/sample/README.md) and runs a guided tour.

use crate::cli::{self, RunOptions};
use crate::error::{Error, Result};
use crate::ingest::ImportOptions;
use crate::session::Session;
use std::path::Path;

/// The bundled sample files, in the order they are imported.
pub const SAMPLE_FILES: [(&str, &str); 3] = [
    (
        "companies.csv",
        include_str!("../data/sample/companies.csv"),
    ),
    (
        "attributes.csv",
        include_str!("../data/sample/attributes.csv"),
    ),
    ("points.csv", include_str!("../data/sample/points.csv")),
];

/// The tour: statements with `--` comments that are printed as narration.
pub const TOUR: &str = include_str!("../data/sample/tour.fq");

/// Loads the sample data into an open session's database.
pub fn load_sample(session: &mut Session) -> Result<()> {
    for (name, text) in SAMPLE_FILES {
        session.import_bytes(
            &format!("sample/{name}"),
            text.as_bytes(),
            &ImportOptions::default(),
        )?;
    }
    Ok(())
}

/// Builds `path` afresh from the sample data and runs the tour, printing as it goes.
pub fn run(path: &Path, opts: &RunOptions) -> Result<i32> {
    if path.exists() {
        // Only ever remove something that is a finq database built by a previous demo.
        if !path.join("conf").exists() {
            return Err(Error::Usage(format!(
                "{} exists and is not a finq database; move it away to run the demo",
                path.display()
            )));
        }
        std::fs::remove_dir_all(path)?;
    }
    let mut session = Session::open(path)?;
    session.set_format(opts.format);
    load_sample(&mut session)?;
    let companies = session.companies()?.len();
    cli::print(&format!(
        "finq demo: built {} from the bundled sample ({companies} companies)\n",
        path.display()
    ));
    let mut code = 0;
    // Each paragraph of the tour is a narration comment followed by statements; each
    // statement is echoed, then its result.
    for chunk in TOUR.split("\n\n").filter(|c| !c.trim().is_empty()) {
        let narration: String = chunk
            .lines()
            .filter_map(|l| l.strip_prefix("--"))
            .map(|n| format!("# {}\n", n.trim()))
            .collect();
        cli::print(&format!("\n{narration}"));
        for statement in crate::query::parse_script(chunk)? {
            cli::print(&format!("finq> {}\n", statement.text));
            let status = cli::run_script(&mut session, &statement.text, Some("tour"), opts);
            code = code.max(status);
        }
    }
    cli::print(&format!(
        "\nThe demo database stays in {}: try  finq --db {} -c \"describe KC.US\"\n",
        path.display(),
        path.display()
    ));
    Ok(code)
}
