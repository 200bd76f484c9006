//! `finq demo`: builds a database from the sample data compiled into the binary (figures
//! from the seed documents, see data/sample/README.md) and runs a guided tour.

use crate::cli::{self, RunOptions};
use crate::error::{Error, Result};
use crate::ingest::{ColumnMap, ImportOptions};
use crate::model::Period;
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

/// The S&P 500 snapshot (data/sp500/README.md): valuation figures of 2026-08-22, then the
/// GICS list, which gives each current member its sector and sub-industry.
const SP500_FINANCIALS: &str = include_str!("../data/sp500/constituents-financials.csv");
const SP500_GICS: &str = include_str!("../data/sp500/constituents-gics.csv");

/// The day the S&P 500 figures are stored at: the date of the source's update.
pub const SP500_DAY: &str = "2026-08-22";

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

/// Loads the S&P 500 snapshot into an open session's database, as `finq import` would with
/// the options data/sp500/README.md describes.
pub fn load_sp500(session: &mut Session) -> Result<()> {
    let maps = |specs: &[&str]| -> Result<Vec<ColumnMap>> {
        specs.iter().map(|m| ColumnMap::parse(m)).collect()
    };
    let financials = ImportOptions {
        period: Period::parse(SP500_DAY),
        maps: maps(&[
            "Sector=industry",
            "Price/Earnings=pe_ttm",
            "Earnings/Share=eps",
            "52 Week Low=low_52w:money",
            "52 Week High=high_52w:money",
            "EBITDA=ebitda:money",
        ])?,
        skip: vec!["SEC Filings".to_string()],
        ..ImportOptions::default()
    };
    session.import_bytes(
        "sp500/constituents-financials.csv",
        SP500_FINANCIALS.as_bytes(),
        &financials,
    )?;
    let gics = ImportOptions {
        companies: true,
        maps: maps(&[
            "Security=name",
            "GICS Sector=sector",
            "GICS Sub-Industry=industry",
        ])?,
        ..ImportOptions::default()
    };
    session.import_bytes("sp500/constituents-gics.csv", SP500_GICS.as_bytes(), &gics)?;
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
    let sample = session.companies()?.len();
    load_sp500(&mut session)?;
    let sp500 = session.companies()?.len() - sample;
    cli::print(&format!(
        "finq demo: built {} from the bundled data: the seed sample ({sample} companies) and \
         an S&P 500 snapshot of {SP500_DAY} ({sp500} companies)\n",
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
