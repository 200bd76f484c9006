//! Peer analytics: the statistics of SCORING.md that queries and scorecards share.

pub mod stats;
