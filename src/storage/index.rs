//! The industry and sector indexes. Each group (an industry or a sector, lower-cased) has
//! one key whose value is the sorted list of its members' symbol keys: reading a group is
//! one get, and a write touches one key per group it changes, not one per company.

use super::keys::{Key, Tag};
use super::kv::{Batch, Kv};
use super::{Database, codec};
use crate::error::Result;
use crate::model::Company;
use std::collections::{BTreeMap, BTreeSet};

/// The indexed attributes, with the key tag of each.
pub(super) const INDEXED: [(Tag, &str); 2] = [(Tag::Industry, "industry"), (Tag::Sector, "sector")];

pub(super) fn index_key(tag: Tag, group: &str) -> Vec<u8> {
    match tag {
        Tag::Industry => Key::Industry(group).encode(),
        _ => Key::Sector(group).encode(),
    }
}

/// The groups a company is in, in the order of [`INDEXED`], as the index spells them.
pub(super) fn groups_of(c: &Company) -> [Option<String>; 2] {
    INDEXED.map(|(_, attr)| c.attr(attr).map(str::to_lowercase))
}

impl Database {
    /// Symbol keys of one industry's companies (one range scan of the industry index).
    pub fn industry_members(&self, industry: &str) -> Result<Vec<String>> {
        self.index_members(Tag::Industry, industry)
    }

    pub fn sector_members(&self, sector: &str) -> Result<Vec<String>> {
        self.index_members(Tag::Sector, sector)
    }

    fn index_members(&self, tag: Tag, group: &str) -> Result<Vec<String>> {
        match self.kv.get(&index_key(tag, &group.to_lowercase()))? {
            Some(v) => codec::decode(&v, "index entry"),
            None => Ok(Vec::new()),
        }
    }
}

/// Companies joining and leaving groups within one write, in the order they happen, by
/// (tag, group).
#[derive(Default)]
pub(super) struct IndexMoves {
    moves: BTreeMap<(u8, String), Vec<(String, bool)>>,
}

impl IndexMoves {
    fn add(&mut self, tag: Tag, group: &str, key: &str, joins: bool) {
        self.moves
            .entry((tag as u8, group.to_string()))
            .or_default()
            .push((key.to_string(), joins));
    }

    /// A company's attributes changed, and with them its groups from `before` to `after`
    /// ([`groups_of`]): it leaves the groups it was in and joins the ones it is in now.
    pub(super) fn changed(
        &mut self,
        key: &str,
        before: &[Option<String>; 2],
        after: &[Option<String>; 2],
    ) {
        for (i, (tag, _)) in INDEXED.into_iter().enumerate() {
            if before[i] != after[i] {
                if let Some(b) = &before[i] {
                    self.add(tag, b, key, false);
                }
                if let Some(a) = &after[i] {
                    self.add(tag, a, key, true);
                }
            }
        }
    }

    /// A deleted company leaves every group it was in.
    pub(super) fn deleted(&mut self, key: &str, company: &Company) {
        for (tag, group) in INDEXED.iter().zip(groups_of(company)) {
            if let Some(g) = group {
                self.add(tag.0, &g, key, false);
            }
        }
    }

    /// Each group's member list is read once, changed and written back (removed when no
    /// member is left).
    pub(super) fn write(self, kv: &dyn Kv, batch: &mut Batch) -> Result<()> {
        for ((tag, group), moves) in self.moves {
            let tag = if tag == Tag::Industry as u8 {
                Tag::Industry
            } else {
                Tag::Sector
            };
            let k = index_key(tag, &group);
            let mut members: BTreeSet<String> = match kv.get(&k)? {
                Some(v) => codec::decode::<Vec<String>>(&v, "index entry")?
                    .into_iter()
                    .collect(),
                None => BTreeSet::new(),
            };
            for (symbol, joins) in moves {
                if joins {
                    members.insert(symbol);
                } else {
                    members.remove(&symbol);
                }
            }
            if members.is_empty() {
                batch.remove(k);
            } else {
                let list: Vec<String> = members.into_iter().collect();
                batch.insert(k, codec::encode(&list));
            }
        }
        Ok(())
    }
}
