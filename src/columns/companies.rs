//! [`Companies`]: every company once, in symbol-key order, with its attributes as shared
//! columns and the industry and sector groups; built block by block from storage by
//! [`CompaniesBuilder`].
//!
//! Loading it is the first cost of most statements (100,000 companies at the L profile), so
//! the builder allocates only what the rows keep: a symbol that is already its own key (upper
//! case, trimmed: nearly all) is one allocation serving as both, lookups go by binary search
//! over the rows (they come sorted by key) instead of a hash map, repeated values share one
//! allocation found without building a `String` to look it up, and group members are
//! gathered in one pass over each block's cells.

use crate::fasthash::FastHash;
use crate::model::{Company, symbol_key};
use crate::storage::block;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// A company as queries see it: its symbol as written and its key (the same allocation
/// when they are equal). Attributes live in the columns of [`Companies`] (one shared value
/// per cell), read with [`Companies::attr`].
#[derive(Debug, Clone)]
pub struct CompanyRow {
    pub symbol: Arc<str>,
    pub key: Arc<str>,
}

/// Every company in symbol order, with lookups by symbol, industry and sector.
#[derive(Debug, Default)]
pub struct Companies {
    pub rows: Vec<CompanyRow>,
    /// The rows in key order, for a list not given in it (built by hand); `None` when the
    /// rows themselves are in strictly increasing key order, as storage holds them.
    order: Option<Vec<u32>>,
    /// Lower-cased industry → member rows, in symbol order.
    pub industries: HashMap<String, Vec<usize>>,
    pub sectors: HashMap<String, Vec<usize>>,
    /// Every attribute name any company has.
    pub attribute_names: BTreeSet<String>,
    /// Each attribute as a column over the rows (`symbol` included), for evaluation.
    columns: HashMap<String, Vec<Option<Arc<str>>>>,
}

impl Companies {
    /// Builds the lookups over companies given in symbol order, the way they load from
    /// storage (block by block).
    pub fn from_list(list: Vec<Company>) -> Companies {
        let mut b = CompaniesBuilder::new(list.len());
        for part in list.chunks(block::TARGET) {
            let bytes = block::encode(part);
            if let Ok(view) = block::view(&bytes) {
                b.push_block(&view);
            }
        }
        b.finish()
    }

    /// A list of one company of a database, for a statement about it alone: its row is 0, and
    /// `attribute_names` are the whole database's, so names bind as they would against every
    /// company (an attribute the company lacks is missing, as it would be).
    pub fn one(company: Company, attribute_names: &BTreeSet<String>) -> Companies {
        let mut c = Companies::from_list(vec![company]);
        c.attribute_names = attribute_names.clone();
        c
    }

    /// One company's attribute (`symbol` included).
    pub fn attr(&self, row: usize, name: &str) -> Option<&Arc<str>> {
        self.columns.get(name)?.get(row)?.as_ref()
    }

    /// One attribute for every row, or `None` when no company has it.
    pub fn attribute(&self, name: &str) -> Option<&[Option<Arc<str>>]> {
        self.columns.get(name).map(Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row of a symbol as written (any case, surrounding spaces ignored).
    pub fn index_of(&self, symbol: &str) -> Option<usize> {
        self.row_of_key(&symbol_key(symbol))
    }

    /// The row of a symbol key (as [`symbol_key`] makes it).
    pub fn row_of_key(&self, key: &str) -> Option<usize> {
        match &self.order {
            None => self.rows.binary_search_by(|r| (*r.key).cmp(key)).ok(),
            Some(order) => order
                .binary_search_by(|&i| (*self.rows[i as usize].key).cmp(key))
                .ok()
                .map(|p| order[p] as usize),
        }
    }
}

/// An attribute as a column over the rows: each cell the company's shared value, if any.
type AttrColumn = Vec<Option<Arc<str>>>;

/// True when `symbol` is its own key ([`symbol_key`] would return it unchanged).
fn is_own_key(symbol: &str) -> bool {
    symbol.is_ascii() && !symbol.bytes().any(|b| b.is_ascii_lowercase()) && symbol.trim() == symbol
}

/// Builds [`Companies`] one block at a time from borrowed text, so loading from storage
/// allocates only what the rows keep.
pub struct CompaniesBuilder {
    c: Companies,
    // Equal attribute values share one allocation, so grouping and comparing can go by
    // pointer first (thousands of companies share a hundred industries).
    values: HashSet<Arc<str>, FastHash>,
    /// Attribute name → its column's place in `columns`.
    names: HashMap<Arc<str>, usize, FastHash>,
    columns: Vec<(Arc<str>, AttrColumn)>,
    symbols: AttrColumn,
    /// Every key so far came after the one before it.
    sorted: bool,
}

impl CompaniesBuilder {
    /// `expected`: about how many companies will come (only a capacity hint).
    pub fn new(expected: usize) -> CompaniesBuilder {
        let mut c = Companies::default();
        c.rows.reserve(expected);
        CompaniesBuilder {
            c,
            values: HashSet::default(),
            names: HashMap::default(),
            columns: Vec::new(),
            symbols: Vec::with_capacity(expected),
            sorted: true,
        }
    }

    /// Adds a stored block's companies (next in symbol order). Values are shared across
    /// blocks only for attributes whose values repeat (industries, sectors, exchanges), so
    /// a hundred thousand distinct names are not looked up one by one.
    pub fn push_block(&mut self, v: &block::View) {
        let base = self.c.rows.len();
        let n = v.symbols.len();
        for (k, &name) in v.names.iter().enumerate() {
            let col = match self.names.get(name) {
                Some(&col) => col,
                None => {
                    let name: Arc<str> = Arc::from(name);
                    self.columns.push((name.clone(), Vec::new()));
                    self.names.insert(name, self.columns.len() - 1);
                    self.columns.len() - 1
                }
            };
            let repeats = v.values[k].len() * 2 <= n;
            let shared: Vec<Arc<str>> = v.values[k]
                .iter()
                .map(|&val| {
                    if !repeats {
                        return Arc::<str>::from(val);
                    }
                    match self.values.get(val) {
                        Some(a) => a.clone(),
                        None => {
                            let a = Arc::<str>::from(val);
                            self.values.insert(a.clone());
                            a
                        }
                    }
                })
                .collect();
            let groups = match name {
                "industry" => Some(&mut self.c.industries),
                "sector" => Some(&mut self.c.sectors),
                _ => None,
            };
            if let Some(map) = groups {
                add_members(map, &shared, &v.cells[k], base);
            }
            let column = &mut self.columns[col].1;
            column.resize(base, None);
            column.extend(
                v.cells[k]
                    .iter()
                    .map(|&c| (c > 0).then(|| shared[c - 1].clone())),
            );
        }
        self.c.rows.reserve(n);
        self.symbols.reserve(n);
        for &written in &v.symbols {
            let symbol: Arc<str> = Arc::from(written);
            let key = match is_own_key(written) {
                true => symbol.clone(),
                false => Arc::from(symbol_key(written)),
            };
            if let Some(last) = self.c.rows.last()
                && *last.key >= *key
            {
                self.sorted = false;
            }
            self.symbols.push(Some(symbol.clone()));
            self.c.rows.push(CompanyRow { symbol, key });
        }
    }

    pub fn finish(mut self) -> Companies {
        let n = self.c.rows.len();
        let mut by_name: HashMap<String, Vec<Option<Arc<str>>>> = HashMap::new();
        self.symbols.shrink_to_fit();
        by_name.insert("symbol".into(), self.symbols);
        for (name, mut column) in self.columns {
            column.resize(n, None);
            column.shrink_to_fit();
            self.c.attribute_names.insert(name.to_string());
            by_name.insert(name.to_string(), column);
        }
        self.c.columns = by_name;
        self.c.rows.shrink_to_fit();
        if !self.sorted {
            let rows = &self.c.rows;
            let mut order: Vec<u32> = (0..n as u32).collect();
            order.sort_by(|&a, &b| rows[a as usize].key.cmp(&rows[b as usize].key));
            self.c.order = Some(order);
        }
        self.c
    }
}

/// Adds one block's members of an attribute to its groups (`values`: the block's distinct
/// values; `cells`: per company 0 or 1 + its value's index; `base`: the block's first row).
/// Values differing only in case are one group, keyed by the lower-cased value, and members
/// stay in row order: one pass over the cells.
fn add_members(
    map: &mut HashMap<String, Vec<usize>>,
    values: &[Arc<str>],
    cells: &[usize],
    base: usize,
) {
    let mut lowers: Vec<String> = Vec::new();
    let mut group_of: Vec<usize> = Vec::with_capacity(values.len());
    let mut seen: HashMap<String, usize, FastHash> = HashMap::default();
    for value in values {
        let lower = value.to_lowercase();
        let g = *seen.entry(lower.clone()).or_insert_with(|| {
            lowers.push(lower);
            lowers.len() - 1
        });
        group_of.push(g);
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); lowers.len()];
    for (i, &c) in cells.iter().enumerate() {
        if c > 0 {
            members[group_of[c - 1]].push(base + i);
        }
    }
    for (lower, rows) in lowers.into_iter().zip(members) {
        if rows.is_empty() {
            continue;
        }
        match map.get_mut(lower.as_str()) {
            Some(list) => list.extend(rows),
            None => {
                map.insert(lower, rows);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companies_load_block_by_block_with_shared_values_and_groups() {
        let mut list = Vec::new();
        for i in 0..1200 {
            let mut c = Company::new(&format!("c{i:04}.us"));
            c.attrs.insert("name".into(), format!("Company {i}"));
            if i % 7 != 0 {
                let industry = ["Retail", "retail", "Banks", "Software"][i % 4];
                c.attrs.insert("industry".into(), industry.into());
            }
            c.attrs.insert("sector".into(), format!("Sector {}", i % 3));
            if i > 1000 {
                c.attrs.insert("exchange".into(), "HK".into());
            }
            list.push(c);
        }
        // 1200 companies: three blocks of up to 512.
        let c = Companies::from_list(list.clone());
        assert_eq!(c.len(), 1200);
        for (i, company) in list.iter().enumerate() {
            assert_eq!(&*c.rows[i].symbol, company.symbol);
            assert_eq!(&*c.rows[i].key, company.symbol.to_uppercase());
            for name in ["name", "industry", "sector", "exchange"] {
                let want = company.attrs.get(name).map(String::as_str);
                assert_eq!(c.attr(i, name).map(|v| &**v), want, "{i} {name}");
            }
            assert_eq!(
                c.attr(i, "symbol").map(|v| &**v),
                Some(company.symbol.as_str())
            );
        }
        // Groups ignore case and list members in row order, across blocks.
        let members = |f: &dyn Fn(usize) -> bool| (0..1200).filter(|&i| f(i)).collect::<Vec<_>>();
        assert_eq!(
            c.industries["retail"],
            members(&|i| i % 4 < 2 && i % 7 != 0)
        );
        assert_eq!(
            c.industries["banks"],
            members(&|i| i % 4 == 2 && i % 7 != 0)
        );
        assert_eq!(c.industries.len(), 3);
        assert_eq!(c.sectors["sector 1"], members(&|i| i % 3 == 1));
        // A value repeated within a block is one allocation, shared across blocks too.
        let banks = c.attr(2, "industry").unwrap();
        assert!(Arc::ptr_eq(banks, c.attr(1198, "industry").unwrap()));
        assert!(Arc::ptr_eq(
            c.attr(1001, "exchange").unwrap(),
            c.attr(1199, "exchange").unwrap()
        ));
        let names: Vec<&str> = c.attribute_names.iter().map(String::as_str).collect();
        assert_eq!(names, ["exchange", "industry", "name", "sector"]);
        assert_eq!(
            c.attribute("exchange")
                .map(|col| col.iter().flatten().count()),
            Some(199)
        );
        assert_eq!(c.index_of("C0005.US"), Some(5));
    }

    #[test]
    fn keys_share_the_symbol_and_lookups_work_in_any_order() {
        // As storage holds them: sorted by key; a symbol that is its own key is one
        // allocation, a lower-case one gets its own key.
        let list: Vec<Company> = ["A.US", "b.us", "C.US"].map(Company::new).into();
        let c = Companies::from_list(list);
        assert!(c.order.is_none());
        assert!(Arc::ptr_eq(&c.rows[0].symbol, &c.rows[0].key));
        assert!(!Arc::ptr_eq(&c.rows[1].symbol, &c.rows[1].key));
        assert_eq!(&*c.rows[1].key, "B.US");
        for (i, s) in ["a.us", " B.US ", "C.us"].iter().enumerate() {
            assert_eq!(c.index_of(s), Some(i));
        }
        assert_eq!(c.index_of("D.US"), None);
        assert_eq!(c.row_of_key("C.US"), Some(2));
        // A list built by hand out of order keeps its rows and still finds each one.
        let list: Vec<Company> = ["Z.US", "A.US", "M.US", "B.US"].map(Company::new).into();
        let c = Companies::from_list(list);
        assert!(c.order.is_some());
        for (i, s) in ["z.us", "a.us", "m.us", "b.us"].iter().enumerate() {
            assert_eq!(c.index_of(s), Some(i));
        }
        assert_eq!(c.index_of("C.US"), None);
        assert_eq!(Companies::from_list(Vec::new()).index_of("A"), None);
    }
}
