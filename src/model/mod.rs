//! The data model of SPEC.md section 1: companies, the metric catalog, periods and series.

pub mod catalog;
pub mod currency;
pub mod number;
pub mod period;

pub use catalog::{Catalog, Dimension, Direction, MetricDef, Unit};
pub use period::{Date, Period, PeriodKind};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Attributes every company may have, in the order `describe` lists them.
pub const STANDARD_ATTRIBUTES: [&str; 10] = [
    "name",
    "industry",
    "sector",
    "exchange",
    "market",
    "country",
    "currency",
    "trading_currency",
    "website",
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
/// How far, in days, a day point may be from the anniversary that "one year before" asks
/// for (SPEC.md §1): wide enough for 52/53-week fiscal years and weekends, narrow enough
/// never to reach a neighbouring quarter.
pub const DAY_MATCH_TOLERANCE: i64 = 15;

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

    /// The index of the point `years` years before point `i`, of the same kind (SPEC.md §1):
    /// for a year, half or quarter exactly that period (2024Q3 → 2023Q3); for a day, the day
    /// point nearest to the same day `years` years earlier, at most
    /// [`DAY_MATCH_TOLERANCE`] days away on either side, the earlier one on a tie. So a
    /// fiscal year ending 2015-09-26 is compared with the one ending 2014-09-27, never with
    /// 2013-09-28 or with a half-year that happens to end near the anniversary.
    pub fn years_before(&self, i: usize, years: i32) -> Option<usize> {
        let p = Period::from_code(*self.codes.get(i)?)?;
        match p.years_before(years) {
            Period::Day(d) => self.nearest_day(d, DAY_MATCH_TOLERANCE),
            q => self.codes.binary_search(&q.code()).ok(),
        }
    }

    /// The day point nearest to `d`, at most `tolerance` days away (the earlier on a tie).
    fn nearest_day(&self, d: Date, tolerance: i64) -> Option<usize> {
        let target = d.days_since_epoch();
        let day_code = |days: i64| Period::Day(Date::from_days_since_epoch(days)).code();
        let lo = self
            .codes
            .partition_point(|&c| c < day_code(target - tolerance));
        let hi = self
            .codes
            .partition_point(|&c| c <= day_code(target + tolerance));
        (lo..hi)
            .filter(|&k| self.codes[k] & 3 == PeriodKind::Day as u32)
            .min_by_key(|&k| {
                let days = Period::from_code(self.codes[k])
                    .map_or(i64::MAX, |p| p.end_date().days_since_epoch());
                // Nearest first; of two equally near, the earlier (smaller days).
                ((days - target).abs(), days)
            })
    }

    /// The index of the `n`-th point before point `i` among the points of `i`'s kind
    /// (`n` = 0 is `i` itself).
    pub fn kind_before(&self, i: usize, n: usize) -> Option<usize> {
        let kind = self.codes.get(i)? & 3;
        if n == 0 {
            return Some(i);
        }
        (0..i)
            .rev()
            .filter(|&k| self.codes[k] & 3 == kind)
            .nth(n - 1)
    }

    /// The values of the last `n` points of `i`'s kind up to point `i` (fewer at the start
    /// of the series), oldest first: the window of a moving statistic.
    pub fn kind_window(&self, i: usize, n: usize) -> Vec<f64> {
        let Some(&code) = self.codes.get(i) else {
            return Vec::new();
        };
        let kind = code & 3;
        let mut out: Vec<f64> = (0..=i)
            .rev()
            .filter(|&k| self.codes[k] & 3 == kind)
            .take(n)
            .map(|k| self.values[k])
            .collect();
        out.reverse();
        out
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
    fn a_day_looks_back_to_the_nearest_day_point_within_15_days() {
        let x = |points: &[(&str, f64)], i: usize| {
            let (c, v) = s(points).unzipped();
            let r = SeriesRef {
                codes: &c,
                values: &v,
            };
            period_at(&c, r.years_before(i, 1))
        };
        // 2025-05-10 is 9 days early, 2025-05-30 11 days late: the nearer wins.
        let days = [
            ("2025-05-10", 1.0),
            ("2025-05-30", 2.0),
            ("2026-05-19", 3.0),
        ];
        assert_eq!(x(&days, 2).as_deref(), Some("2025-05-10"));
        // Equally near (4 days each side): the earlier.
        let tie = [
            ("2025-05-15", 1.0),
            ("2025-05-23", 2.0),
            ("2026-05-19", 3.0),
        ];
        assert_eq!(x(&tie, 2).as_deref(), Some("2025-05-15"));
        // AAPL's fiscal years: 2015-09-26 goes back to 2014-09-27, not 2013-09-28.
        let aapl = [
            ("2013-09-28", 1.0),
            ("2014-09-27", 2.0),
            ("2015-09-26", 3.0),
        ];
        assert_eq!(x(&aapl, 2).as_deref(), Some("2014-09-27"));
        // 16 days away is too far; and a half-year ending near the anniversary is another
        // kind of period, never used.
        let far = [("2024H1", 1.0), ("2025-06-04", 2.0), ("2026-05-19", 3.0)];
        assert_eq!(x(&far, 2), None);
        let mixed = [("2025H1", 1.0), ("2026-06-30", 3.0)];
        assert_eq!(x(&mixed, 1), None);
        // 15 days on either side still counts.
        let edge = [("2025-05-04", 1.0), ("2026-05-19", 3.0)];
        assert_eq!(x(&edge, 1).as_deref(), Some("2025-05-04"));
    }

    #[test]
    fn windows_and_steps_keep_to_one_kind() {
        let (c, v) = s(&[
            ("2023", 10.0),
            ("2024H1", 1.0),
            ("2024", 20.0),
            ("2025H1", 2.0),
            ("2025", 30.0),
            ("2026-05-19", 99.0),
        ])
        .unzipped();
        let x = SeriesRef {
            codes: &c,
            values: &v,
        };
        // Point 4 is 2025: the years before it are 2024 and 2023, halves skipped.
        assert_eq!(period_at(&c, x.kind_before(4, 1)).as_deref(), Some("2024"));
        assert_eq!(period_at(&c, x.kind_before(4, 2)).as_deref(), Some("2023"));
        assert_eq!(x.kind_before(4, 3), None);
        assert_eq!(x.kind_window(4, 2), [20.0, 30.0]);
        assert_eq!(x.kind_window(4, 9), [10.0, 20.0, 30.0]);
        assert_eq!(x.kind_window(3, 5), [1.0, 2.0]);
        assert_eq!(x.kind_window(5, 3), [99.0]);
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
