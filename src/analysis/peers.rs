//! The peer group of SCORING.md: the rule every figure computed "within the peer group" uses.

use crate::columns::Companies;

/// Fewer members than this and the group falls back to the next wider one.
pub const MIN_GROUP: usize = 5;

/// The peer group of company `row`: its industry if that has at least 5 companies, else its
/// sector if that has at least 5, else every company. Returns the members (in row order) and
/// a label (`industry Software`, `sector Technology`, `all companies`).
pub fn peer_group(companies: &Companies, row: usize) -> (Vec<usize>, String) {
    for (attr, map) in [
        ("industry", &companies.industries),
        ("sector", &companies.sectors),
    ] {
        if let Some(g) = companies.attr(row, attr)
            && let Some(members) = map.get(&g.to_lowercase())
            && members.len() >= MIN_GROUP
        {
            return (members.clone(), format!("{attr} {g}"));
        }
    }
    ((0..companies.len()).collect(), "all companies".into())
}
