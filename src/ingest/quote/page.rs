//! What one page says ([`Page`]): every table row and labelled line read by its label, the
//! radar block merged in, and the whole turned into one write set.

use super::fences::Indicator;
use super::front::{h1, name_before_parens, symbol_in_parens};
use super::labels::{after_label, first_word, overall, overview, score_heading};
use super::tables::{Table, grade, link_target, number, rank, text_cell};
use super::{INDICATORS, ITEM_ATTRIBUTES, PEER_GRADES, VALUATIONS, compact, lookup};
use crate::model::catalog::snake_case;
use crate::model::{Catalog, Date, MetricDef, Period};
use crate::storage::WriteSet;
use std::collections::BTreeMap;

/// Which value wins when two places give one metric: the valuation table's Current beats
/// the score tables (DATA_FORMATS.md). The radar block never competes here: it is merged
/// with the score tables first (see [`Page::radar`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Page,
    Valuation,
}

#[derive(Clone, Debug)]
struct Peer {
    rank: Option<f64>,
    symbol: String,
    name: Option<String>,
    grades: Vec<(&'static str, String)>,
}

/// Everything read from one page, before it becomes a write set.
pub(super) struct Page<'c> {
    catalog: &'c Catalog,
    symbol: String,
    attrs: BTreeMap<String, String>,
    points: BTreeMap<String, (f64, Source)>,
    /// Indicators of the score tables by metric id, in the order first seen.
    indicators: Vec<(String, Indicator)>,
    peers: Vec<Peer>,
    warnings: Vec<String>,
}

impl<'c> Page<'c> {
    pub(super) fn new(catalog: &'c Catalog, symbol: String) -> Page<'c> {
        Page {
            catalog,
            symbol,
            attrs: BTreeMap::new(),
            points: BTreeMap::new(),
            indicators: Vec::new(),
            peers: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub(super) fn warn(&mut self, message: String) {
        self.warnings.push(format!("{}: {message}", self.symbol));
    }

    pub(super) fn has_points(&self) -> bool {
        !self.points.is_empty() || !self.indicators.is_empty()
    }

    /// An attribute, unless an earlier place on the page gave it already.
    fn attr(&mut self, name: &str, value: String) {
        self.attrs.entry(name.to_string()).or_insert(value);
    }

    fn point(&mut self, id: &str, value: f64, source: Source) {
        match self.points.get(id) {
            Some(&(_, old)) if old >= source => {}
            _ => {
                self.points.insert(id.to_string(), (value, source));
            }
        }
    }

    /// A metric id for a name the fixed tables do not know: the catalog's, else the name in
    /// snake_case (registered when the set is built).
    fn resolve(&self, name: &str) -> String {
        self.catalog
            .get(name)
            .map_or_else(|| snake_case(name), |d| d.id.clone())
    }

    pub(super) fn front_matter(&mut self, front: &BTreeMap<String, String>, text: &str) {
        let title = front.get("title").map(String::as_str).or_else(|| h1(text));
        let name = front
            .get("name")
            .and_then(|n| text_cell(n))
            .or_else(|| title.and_then(name_before_parens));
        if let Some(name) = name {
            self.attr("name", name);
        }
        for key in ["industry", "url"] {
            if let Some(v) = front.get(key).and_then(|v| text_cell(v)) {
                self.attr(key, v);
            }
        }
    }

    /// The lines read by their labels wherever they stand: the overall grade and score,
    /// style and scale, the number of analysts, and the overview paragraph.
    pub(super) fn labelled_lines(&mut self, text: &str, lower: &str) {
        if let Some(p) = overview(text, lower) {
            self.attr("overview", p);
        }
        match overall(text, lower) {
            Some((g, score)) => {
                self.attr("published_grade", g);
                if let Some(s) = score {
                    self.point("published_score", s, Source::Page);
                }
            }
            None => {
                if let Some(Some(g)) = score_heading(lower) {
                    self.attr("published_grade", g);
                }
            }
        }
        for (label, attr) in [("style", "style"), ("scale", "scale")] {
            if let Some(word) = after_label(text, lower, label).and_then(first_word) {
                self.attr(attr, word);
            }
        }
        if let Some(v) = after_label(text, lower, "total analysts") {
            let v = v.trim_start();
            let (bold, v) = match v.strip_prefix("**") {
                Some(rest) => (true, rest),
                None => (false, v),
            };
            let end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
            // The count must be closed (by `**` or a space) or it may have been cut short.
            let closed = if bold {
                v[end..].starts_with("**")
            } else {
                v[end..].starts_with(char::is_whitespace)
            };
            if closed && let Some(n) = number(&v[..end]) {
                self.point("analysts_total", n, Source::Page);
            }
        }
    }

    pub(super) fn table(&mut self, t: &Table) {
        let header: Vec<String> = t.header.iter().map(|h| compact(h)).collect();
        let has = |w: &str| header.iter().any(|h| h == w);
        let grade_columns = PEER_GRADES.iter().filter(|(g, _)| has(g)).count();
        if t.column(|h| h.starts_with("current")).is_some()
            || t.rows
                .iter()
                .any(|r| r.len() >= 5 && r.first().is_some_and(|l| lookup(VALUATIONS, l).is_some()))
        {
            self.valuation_table(t);
        } else if grade_columns >= 2 {
            self.peer_table(t);
        } else if has("count") || has("percentage") {
            self.analyst_table(t);
        } else {
            self.plain_table(t);
        }
    }

    /// `| PB | 3.89 | 13/32 | 4.89 | 4.30 | 3.77 |`: Current, industry rank, high, median, low.
    fn valuation_table(&mut self, t: &Table) {
        let col = |test: fn(&str) -> bool, default: usize| t.column(test).unwrap_or(default);
        let current = col(|h| h.starts_with("current"), 1);
        let ranking = col(|h| h.contains("rank"), 2);
        let high = col(|h| h.starts_with("high"), 3);
        let median = col(|h| h.contains("median"), 4);
        let low = col(|h| h.starts_with("low"), 5);
        for row in &t.rows {
            let Some(label) = row.first().filter(|l| !compact(l).is_empty()) else {
                continue;
            };
            let id = lookup(VALUATIONS, label).map_or_else(|| self.resolve(label), str::to_string);
            let cell = |i: usize| row.get(i).map_or("", String::as_str);
            if let Some(v) = number(cell(current)) {
                self.point(&id, v, Source::Valuation);
            }
            if let Some((k, n)) = rank(cell(ranking)) {
                self.point(&format!("{id}_industry_rank"), k, Source::Valuation);
                if let Some(n) = n {
                    self.point(&format!("{id}_industry_size"), n, Source::Valuation);
                }
            }
            for (i, suffix) in [(high, "high"), (median, "median"), (low, "low")] {
                if let Some(v) = number(cell(i)) {
                    self.point(&format!("{id}_{suffix}"), v, Source::Valuation);
                }
            }
        }
    }

    /// `| 01 | Mega Fortune (MGRT.US) | A | A | A | A | C | A |`.
    fn peer_table(&mut self, t: &Table) {
        let rank_col = t.column(|h| h.contains("rank")).unwrap_or(0);
        let name_col = t.column(|h| h == "name").unwrap_or(1);
        for row in &t.rows {
            let Some(cell) = row.get(name_col) else {
                continue;
            };
            let Some(symbol) = symbol_in_parens(cell) else {
                continue;
            };
            let grades = PEER_GRADES
                .iter()
                .enumerate()
                .filter_map(|(n, &(column, attr))| {
                    let i = t.column(|h| h == column).unwrap_or(2 + n);
                    Some((attr, grade(row.get(i)?)?))
                })
                .collect();
            self.peers.push(Peer {
                rank: row.get(rank_col).and_then(|r| rank(r)).map(|r| r.0),
                name: name_before_parens(cell),
                symbol,
                grades,
            });
        }
    }

    /// `| Buy | 9 | 69% |`: how many analysts give each rating.
    fn analyst_table(&mut self, t: &Table) {
        let count = t.column(|h| h == "count").unwrap_or(1);
        for row in &t.rows {
            let (Some(label), Some(n)) = (row.first(), row.get(count).and_then(|c| number(c)))
            else {
                continue;
            };
            let rating = snake_case(label);
            if rating.is_empty() {
                continue;
            }
            if rating == "total" || rating == "total_analysts" {
                self.point("analysts_total", n, Source::Page);
            } else {
                self.point(&format!("analyst_{rating}"), n, Source::Page);
            }
        }
    }

    /// Rows read by their first cell: the Item/Detail, Metric/Value, score-indicator and
    /// target-price tables, however the page splits or heads them.
    fn plain_table(&mut self, t: &Table) {
        let value = t
            .column(|h| ["value", "detail", "price"].contains(&h))
            .unwrap_or(1);
        let rating = t.column(|h| ["rating", "grade"].contains(&h)).unwrap_or(2);
        let indicator_table = t.header.first().is_some_and(|h| compact(h) == "indicator");
        for row in &t.rows {
            let Some(label) = row.first() else { continue };
            let cell = row.get(value).map_or("", String::as_str);
            let key = compact(label);
            match key.as_str() {
                k if ITEM_ATTRIBUTES.contains(&k) => {
                    let v =
                        text_cell(cell).map(|v| if k == "website" { link_target(cell) } else { v });
                    if let Some(v) = v {
                        self.attr(k, v);
                    }
                }
                "industryranking" | "industryrank" => {
                    if let Some((k, n)) = rank(cell) {
                        self.point("published_industry_rank", k, Source::Page);
                        if let Some(n) = n {
                            self.point("published_industry_size", n, Source::Page);
                        }
                    }
                }
                "industrymedian" | "industryaverage" => {
                    if let Some(v) = text_cell(cell) {
                        let name = &format!("published_industry_{}", &key["industry".len()..]);
                        self.attr(name, v);
                    }
                }
                "currentprice" | "price" | "lastprice" | "highesttarget" | "targethigh"
                | "lowesttarget" | "targetlow" | "totalanalysts" => {
                    let id = match key.as_str() {
                        "highesttarget" | "targethigh" => "target_high",
                        "lowesttarget" | "targetlow" => "target_low",
                        "totalanalysts" => "analysts_total",
                        _ => "price",
                    };
                    if let Some(v) = number(cell) {
                        self.point(id, v, Source::Page);
                    }
                }
                _ => {
                    let id = match lookup(INDICATORS, label) {
                        Some(id) => id.to_string(),
                        None if indicator_table && !key.is_empty() => self.resolve(label),
                        None => continue,
                    };
                    let found = Indicator {
                        name: label.clone(),
                        value: cell.to_string(),
                        rating: row.get(rating).cloned().unwrap_or_default(),
                    };
                    self.indicator(id, found);
                }
            }
        }
    }

    /// An indicator of the score tables. The Style table and the Multi Score table both
    /// list some (Revenue YoY): the first value stands, a rating fills in where missing.
    fn indicator(&mut self, id: String, found: Indicator) {
        let Some(i) = self.indicators.iter().position(|(m, _)| *m == id) else {
            self.indicators.push((id, found));
            return;
        };
        let old = &mut self.indicators[i].1;
        if old.rating.trim().is_empty() {
            old.rating = found.rating.clone();
        }
        let (a, b) = (number(&old.value), number(&found.value));
        let old_value = old.value.clone();
        if a.is_none() {
            old.value = found.value.clone();
        } else if b.is_some() && a != b {
            self.warn(format!(
                "the score tables give {} as {} and as {}; the first is kept",
                found.name, old_value, found.value
            ));
        }
    }

    /// The radar block: what the tables lack comes from it; where both give an indicator a
    /// disagreement is a warning and the table stands.
    pub(super) fn radar(&mut self, radar: Vec<Indicator>) {
        let mut merged: Vec<(String, Indicator)> = Vec::new();
        for r in radar {
            let Some(id) = lookup(INDICATORS, &r.name)
                .map(str::to_string)
                .or_else(|| (!compact(&r.name).is_empty()).then(|| self.resolve(&r.name)))
            else {
                continue;
            };
            // The radar lists some indicators twice too (Style and Multi Score).
            match merged.iter_mut().find(|(m, _)| *m == id) {
                Some((_, m)) => {
                    if m.rating.is_empty() {
                        m.rating = r.rating;
                    }
                }
                None => merged.push((id, r)),
            }
        }
        for (id, r) in merged {
            let Some(i) = self.indicators.iter().position(|(m, _)| *m == id) else {
                self.indicators.push((id, r));
                continue;
            };
            let table = &mut self.indicators[i].1;
            let values_differ = match (number(&r.value), number(&table.value)) {
                (Some(a), Some(b)) => a != b,
                _ => false,
            };
            let ratings_differ = grade(&r.rating)
                .zip(grade(&table.rating))
                .is_some_and(|(a, b)| a != b);
            if number(&table.value).is_none() && number(&r.value).is_some() {
                table.value = r.value.clone();
            }
            if grade(&table.rating).is_none() && grade(&r.rating).is_some() {
                table.rating = r.rating.clone();
            }
            if values_differ || ratings_differ {
                let shown = |i: &Indicator| match grade(&i.rating) {
                    Some(g) => format!("{} ({g})", i.value),
                    None => i.value.clone(),
                };
                let message = format!(
                    "radar says {} {}, table says {}; the table's value is kept",
                    table.name,
                    shown(&r),
                    shown(table)
                );
                self.warn(message);
            }
        }
    }

    /// The write set: the page's company with its attributes and points at `date`, its
    /// peers, and registrations for metric ids the catalog does not know; and the warnings.
    pub(super) fn into_write_set(mut self, date: Option<Date>) -> (WriteSet, Vec<String>) {
        for (id, ind) in std::mem::take(&mut self.indicators) {
            if let Some(v) = number(&ind.value) {
                self.point(&id, v, Source::Page);
            }
            if let Some(g) = grade(&ind.rating) {
                self.attr(&format!("published_rating_{id}"), g);
            }
        }
        let mut set = WriteSet::new();
        let me = set.company(&self.symbol);

        // Peers in rank order; a peer without a rank keeps its place after the ranked ones.
        let mut peers = std::mem::take(&mut self.peers);
        peers.sort_by(|a, b| {
            let key = |p: &Peer| p.rank.unwrap_or(f64::INFINITY);
            key(a).total_cmp(&key(b))
        });
        let mut listed: Vec<String> = Vec::new();
        for p in &peers {
            if listed.iter().any(|s| s.eq_ignore_ascii_case(&p.symbol)) {
                continue;
            }
            listed.push(p.symbol.clone());
            let c = set.company(&p.symbol);
            // The page's own name for itself beats a peer table's short one.
            if c != me
                && let Some(name) = &p.name
            {
                set.set_attr(c, "name", name);
            }
            for (attr, g) in &p.grades {
                set.set_attr(c, attr, g);
            }
        }
        if !listed.is_empty() {
            self.attr("peers", listed.join(" "));
        }
        for (k, v) in &self.attrs {
            set.set_attr(me, k, v);
        }
        if let Some(date) = date {
            let period = Period::Day(date);
            for (id, (v, _)) in &self.points {
                let id = match self.catalog.get(id) {
                    Some(def) => def.id.clone(),
                    None => {
                        set.register(MetricDef::registered(id));
                        id.clone()
                    }
                };
                let m = set.metric(&id);
                set.push(me, m, period, *v);
            }
        }
        (set, self.warnings)
    }
}
