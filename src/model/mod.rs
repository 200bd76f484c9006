//! The data model of SPEC.md section 1: companies, the metric catalog, periods and series.

pub mod catalog;
pub mod period;

pub use catalog::{Catalog, Dimension, Direction, MetricDef, Unit};
pub use period::{Date, Period, PeriodKind};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Attributes every company may have, in the order `describe` lists them.
pub const STANDARD_ATTRIBUTES: [&str; 9] = [
    "name", "industry", "sector", "exchange", "market", "country", "currency", "website",
    "overview",
];

/// A company: its symbol as first written and its text attributes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Company {
    pub symbol: String,
    pub attrs: BTreeMap<String, String>,
}

impl Company {
    pub fn new(symbol: &str) -> Company {
        Company {
            symbol: symbol.to_string(),
            attrs: BTreeMap::new(),
        }
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        if name == "symbol" {
            return Some(&self.symbol);
        }
        self.attrs.get(name).map(String::as_str)
    }

    pub fn name(&self) -> &str {
        self.attr("name").unwrap_or("")
    }
}

/// Symbols match case-insensitively (SPEC.md section 1); this is the form keys use.
pub fn symbol_key(symbol: &str) -> String {
    symbol.trim().to_uppercase()
}

/// One (company, metric) time series: points ordered by period, at most one per period.
/// Periods are kept as their order-preserving codes, so lookups are integer searches.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub points: Vec<(u32, f64)>,
}

impl Series {
    pub fn from_points(mut points: Vec<(u32, f64)>) -> Series {
        // Files usually list a series in period order: then there is nothing to do.
        if points.windows(2).all(|w| w[0].0 < w[1].0) {
            return Series { points };
        }
        // A later value for the same period replaces an earlier one (imports are upserts).
        points.reverse();
        points.sort_by_key(|p| p.0);
        points.dedup_by_key(|p| p.0);
        Series { points }
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn latest(&self) -> Option<(Period, f64)> {
        self.points
            .last()
            .and_then(|&(c, v)| Period::from_code(c).map(|p| (p, v)))
    }

    /// Index of the point of exactly this period.
    pub fn index_of(&self, period: Period) -> Option<usize> {
        self.points
            .binary_search_by_key(&period.code(), |p| p.0)
            .ok()
    }

    /// Index of the latest point that ends on or before `date` ("as of" a day).
    pub fn index_as_of(&self, date: Date) -> Option<usize> {
        // Every period ending on `date` has a code below the next day's first code.
        let limit = Period::Day(date).code() | 3;
        self.points.partition_point(|p| p.0 <= limit).checked_sub(1)
    }

    /// The point a selection at `period` sees: exactly that period, or for a day the latest
    /// point on or before it.
    pub fn index_at(&self, period: Period) -> Option<usize> {
        match period {
            Period::Day(d) => self.index_as_of(d),
            p => self.index_of(p),
        }
    }

    /// The point one year before point `i`: the same kind of period a year earlier, or for
    /// a day the latest point on or before the same day a year earlier.
    pub fn index_year_before(&self, i: usize) -> Option<usize> {
        let p = Period::from_code(self.points.get(i)?.0)?;
        self.index_years_before(p, 1)
    }

    pub fn index_years_before(&self, p: Period, years: i32) -> Option<usize> {
        match p.years_before(years) {
            Period::Day(d) => self.index_as_of(d),
            q => self.index_of(q),
        }
    }

    /// The point `n` points before point `i`.
    pub fn index_points_before(&self, i: usize, n: usize) -> Option<usize> {
        i.checked_sub(n)
    }

    /// Merges `other` into this series; `other` wins where both have a period.
    pub fn merge(&mut self, other: &Series) {
        if other.points.is_empty() {
            return;
        }
        if self.points.last().is_none_or(|l| l.0 < other.points[0].0) {
            self.points.extend_from_slice(&other.points);
            return;
        }
        let (a, b) = (&self.points, &other.points);
        let mut out = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => {
                    out.push(a[i]);
                    i += 1;
                }
                std::cmp::Ordering::Equal => {
                    out.push(b[j]);
                    i += 1;
                    j += 1;
                }
                std::cmp::Ordering::Greater => {
                    out.push(b[j]);
                    j += 1;
                }
            }
        }
        out.extend_from_slice(&a[i..]);
        out.extend_from_slice(&b[j..]);
        self.points = out;
    }

    pub fn remove(&mut self, period: Period) -> bool {
        match self.index_of(period) {
            Some(i) => {
                self.points.remove(i);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(points: &[(&str, f64)]) -> Series {
        Series::from_points(
            points
                .iter()
                .map(|(p, v)| (Period::parse(p).unwrap().code(), *v))
                .collect(),
        )
    }

    fn period_at(s: &Series, i: Option<usize>) -> Option<String> {
        i.map(|i| Period::from_code(s.points[i].0).unwrap().to_string())
    }

    #[test]
    fn from_points_sorts_and_keeps_the_last_duplicate() {
        let x = s(&[("2024Q2", 2.0), ("2024Q1", 1.0), ("2024Q2", 3.0)]);
        assert_eq!(x.points.len(), 2);
        assert_eq!(x.latest().unwrap().1, 3.0);
    }

    #[test]
    fn lookups_by_period_day_and_year_before() {
        let x = s(&[("2023Q3", 1.0), ("2024Q2", 2.0), ("2024Q3", 3.0)]);
        assert_eq!(
            period_at(&x, x.index_at(Period::parse("2024Q3").unwrap())).as_deref(),
            Some("2024Q3")
        );
        assert_eq!(x.index_at(Period::parse("2024Q1").unwrap()), None);
        // As of a day: the latest point ending on or before it.
        assert_eq!(
            period_at(&x, x.index_at(Period::parse("2024-08-15").unwrap())).as_deref(),
            Some("2024Q2")
        );
        assert_eq!(
            period_at(&x, x.index_at(Period::parse("2024-09-30").unwrap())).as_deref(),
            Some("2024Q3")
        );
        assert_eq!(x.index_at(Period::parse("2023-09-29").unwrap()), None);
        assert_eq!(
            period_at(&x, x.index_year_before(2)).as_deref(),
            Some("2023Q3")
        );
        assert_eq!(x.index_year_before(1), None);
        assert_eq!(x.index_points_before(2, 2), Some(0));
        assert_eq!(x.index_points_before(1, 2), None);
    }

    #[test]
    fn a_day_looks_back_to_the_latest_point_a_year_earlier() {
        let x = s(&[
            ("2025-05-10", 1.0),
            ("2025-05-30", 2.0),
            ("2026-05-19", 3.0),
        ]);
        assert_eq!(
            period_at(&x, x.index_year_before(2)).as_deref(),
            Some("2025-05-10")
        );
    }

    #[test]
    fn merge_is_an_upsert() {
        let mut a = s(&[("2024Q1", 1.0), ("2024Q3", 3.0)]);
        a.merge(&s(&[("2024Q2", 2.0), ("2024Q3", 30.0), ("2024Q4", 4.0)]));
        let v: Vec<f64> = a.points.iter().map(|p| p.1).collect();
        assert_eq!(v, [1.0, 2.0, 30.0, 4.0]);
        let mut b = s(&[("2024Q1", 1.0)]);
        b.merge(&s(&[("2024Q2", 2.0)]));
        assert_eq!(b.len(), 2);
        assert!(b.remove(Period::parse("2024Q1").unwrap()));
        assert!(!b.remove(Period::parse("2024Q1").unwrap()));
    }
}
