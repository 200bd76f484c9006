//! The data model of SPEC.md section 1: companies, the metric catalog, periods and series.

pub mod catalog;
pub mod number;
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
    let s = symbol.trim();
    // Symbols are nearly always ASCII, whose upper case needs no Unicode tables.
    if s.is_ascii() {
        s.to_ascii_uppercase()
    } else {
        s.to_uppercase()
    }
}

/// A borrowed series: period codes (ascending) and their values. Every lookup by period —
/// exactly, as of a day, a year before — lives here, for stored series and cached columns
/// alike.
#[derive(Clone, Copy, Debug)]
pub struct SeriesRef<'a> {
    pub codes: &'a [u32],
    pub values: &'a [f64],
}

impl<'a> SeriesRef<'a> {
    pub const EMPTY: SeriesRef<'static> = SeriesRef {
        codes: &[],
        values: &[],
    };

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The index a selection sees: the latest point, the point of exactly `at`, or for a
    /// day the latest point on or before it.
    pub fn anchor(&self, at: Option<Period>) -> Option<usize> {
        match at {
            None => self.codes.len().checked_sub(1),
            Some(Period::Day(d)) => {
                let limit = Period::Day(d).code() | 3;
                self.codes.partition_point(|&c| c <= limit).checked_sub(1)
            }
            Some(p) => self.codes.binary_search(&p.code()).ok(),
        }
    }

    /// The index of the point `years` years before point `i` (same kind of period; for a
    /// day, the latest point on or before the same day that many years earlier).
    pub fn years_before(&self, i: usize, years: i32) -> Option<usize> {
        let p = Period::from_code(*self.codes.get(i)?)?;
        match p.years_before(years) {
            Period::Day(d) => {
                let limit = Period::Day(d).code() | 3;
                self.codes.partition_point(|&c| c <= limit).checked_sub(1)
            }
            q => self.codes.binary_search(&q.code()).ok(),
        }
    }

    pub fn value_at(&self, at: Option<Period>) -> f64 {
        self.anchor(at).map_or(f64::NAN, |i| self.values[i])
    }
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

    /// Codes and values as separate vectors, the shape a [`SeriesRef`] borrows.
    pub fn unzipped(&self) -> (Vec<u32>, Vec<f64>) {
        self.points.iter().copied().unzip()
    }

    fn index_of(&self, period: Period) -> Option<usize> {
        self.points
            .binary_search_by_key(&period.code(), |p| p.0)
            .ok()
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

    fn period_at(codes: &[u32], i: Option<usize>) -> Option<String> {
        i.map(|i| Period::from_code(codes[i]).unwrap().to_string())
    }

    #[test]
    fn from_points_sorts_and_keeps_the_last_duplicate() {
        let x = s(&[("2024Q2", 2.0), ("2024Q1", 1.0), ("2024Q2", 3.0)]);
        assert_eq!(x.points.len(), 2);
        assert_eq!(x.latest().unwrap().1, 3.0);
    }

    #[test]
    fn lookups_by_period_day_and_year_before() {
        let (c, v) = s(&[("2023Q3", 1.0), ("2024Q2", 2.0), ("2024Q3", 3.0)]).unzipped();
        let x = SeriesRef {
            codes: &c,
            values: &v,
        };
        assert_eq!(
            period_at(&c, x.anchor(Period::parse("2024Q3"))).as_deref(),
            Some("2024Q3")
        );
        assert_eq!(x.anchor(Period::parse("2024Q1")), None);
        // As of a day: the latest point ending on or before it.
        assert_eq!(
            period_at(&c, x.anchor(Period::parse("2024-08-15"))).as_deref(),
            Some("2024Q2")
        );
        assert_eq!(
            period_at(&c, x.anchor(Period::parse("2024-09-30"))).as_deref(),
            Some("2024Q3")
        );
        assert_eq!(x.anchor(Period::parse("2023-09-29")), None);
        assert_eq!(
            period_at(&c, x.years_before(2, 1)).as_deref(),
            Some("2023Q3")
        );
        assert_eq!(x.years_before(1, 1), None);
        assert_eq!(x.anchor(None), Some(2));
    }

    #[test]
    fn a_day_looks_back_to_the_latest_point_a_year_earlier() {
        let (c, v) = s(&[
            ("2025-05-10", 1.0),
            ("2025-05-30", 2.0),
            ("2026-05-19", 3.0),
        ])
        .unzipped();
        let x = SeriesRef {
            codes: &c,
            values: &v,
        };
        assert_eq!(
            period_at(&c, x.years_before(2, 1)).as_deref(),
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
