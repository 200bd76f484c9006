//! The query language: parse a script ([`parser`]) into statements ([`ast`]), then run each
//! against the database ([`exec`]).

pub mod ast;
pub mod bind;
pub mod cache;
pub mod cards;
pub mod eval;
pub mod exec;
pub mod parser;
pub mod registry;

pub use parser::parse_script;
