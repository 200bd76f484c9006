//! The peer group of SCORING.md: the rule every figure computed "within the peer group" uses.

use crate::columns::Companies;
use std::sync::Arc;

/// Fewer members than this and the group falls back to the next wider one.
pub const MIN_GROUP: usize = 5;

/// A company's peer group, borrowed from the companies' group lists: an industry or sector
/// (`attr`, the company's own spelling of it, the members in row order), or every company.
pub enum Peers<'a> {
    Group {
        attr: &'static str,
        value: &'a Arc<str>,
        members: &'a [usize],
    },
    All,
}

impl Peers<'_> {
    /// Identifies the group without comparing text: groups are distinct member lists.
    pub fn id(&self) -> usize {
        match self {
            Peers::Group { members, .. } => members.as_ptr() as usize,
            Peers::All => 0,
        }
    }

    /// `industry Software`, `sector Technology`, `all companies`.
    pub fn label(&self) -> String {
        match self {
            Peers::Group { attr, value, .. } => format!("{attr} {value}"),
            Peers::All => "all companies".into(),
        }
    }

    /// The members, in row order.
    pub fn members(&self, companies: &Companies) -> Vec<usize> {
        match self {
            Peers::Group { members, .. } => members.to_vec(),
            Peers::All => (0..companies.len()).collect(),
        }
    }
}

/// The peer group of company `row`: its industry if that has at least 5 companies, else its
/// sector if that has at least 5, else every company. Nothing is copied.
pub fn peers_of(companies: &Companies, row: usize) -> Peers<'_> {
    for (attr, map) in [
        ("industry", &companies.industries),
        ("sector", &companies.sectors),
    ] {
        if let Some(g) = companies.attr(row, attr)
            && let Some(members) = group_members(map, g)
            && members.len() >= MIN_GROUP
        {
            return Peers::Group {
                attr,
                value: g,
                members,
            };
        }
    }
    Peers::All
}

/// A group's member list by a member's value, lower-cased only when it is not already.
fn group_members<'a>(
    map: &'a std::collections::HashMap<String, Vec<usize>>,
    value: &str,
) -> Option<&'a [usize]> {
    let found = if value.is_ascii() && !value.bytes().any(|b| b.is_ascii_uppercase()) {
        map.get(value)
    } else {
        map.get(&value.to_lowercase())
    };
    found.map(Vec::as_slice)
}

/// The peer group of company `row` as owned values: the members (in row order) and a
/// label (`industry Software`, `sector Technology`, `all companies`).
pub fn peer_group(companies: &Companies, row: usize) -> (Vec<usize>, String) {
    let p = peers_of(companies, row);
    (p.members(companies), p.label())
}
