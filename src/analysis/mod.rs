//! Peer analytics: the statistics of SCORING.md that queries and scorecards share.

pub mod derive;
pub mod fscore;
pub mod fx;
pub mod peers;
pub mod score;
pub mod stats;
pub mod tables;
pub mod valuation;
