//! finq: an embedded analytics store for company fundamentals.
//!
//! Companies and their metric time series live in a sled database ([`storage`]); files come
//! in through [`ingest`]; statements of the query language ([`query`]) run through one
//! [`Session::execute`], which the REPL, scripts, tests, benchmarks and the web server
//! ([`web`]) all share; [`charts`] draws results as SVG for the pages and `--format svg`.

pub mod analysis;
pub mod charts;
pub mod cli;
pub mod columns;
pub mod demo;
pub mod error;
pub mod export;
pub mod fasthash;
pub mod r#gen;
pub mod ingest;
pub mod model;
pub mod output;
pub mod query;
pub mod repl;
pub mod session;
pub mod sql;
pub mod storage;
pub mod web;

pub use error::{Error, Result};
pub use session::Session;
