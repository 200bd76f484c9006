//! The query language: parse a script ([`parser`]) into statements ([`ast`]), then run each
//! against the database ([`exec`]). The language's words (statements, clause words,
//! functions, computed columns, meta commands) are listed once, in [`registry`]; the one
//! [`lexer`] splits query text for the parser's pre-checks and for the REPL.

pub mod ast;
pub mod bind;
pub mod cache;
pub mod cards;
pub mod compare;
pub mod eval;
pub mod exec;
pub mod explain;
pub mod lexer;
pub mod parser;
pub mod plan;
pub mod registry;
pub mod scorecards;

pub use parser::parse_script;
