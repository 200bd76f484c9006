//! The valuation band of SCORING.md: current multiple, its high/median/low over a window,
//! and where it ranks among the peer group.

use super::stats;
use crate::model::Period;
use crate::model::SeriesRef;

/// The band's metrics and whether lower is better (the multiples) or higher (the yield).
pub const METRICS: [(&str, bool); 4] = [
    ("pe_ttm", true),
    ("pb", true),
    ("ps_ttm", true),
    ("dividend_yield", false),
];

/// A multiple's value as it ranks among peers where lower is better: a negative P/E, P/B or
/// P/S (a loss, negative equity) comes after every non-negative one, negatives among
/// themselves from closest to zero. Other metrics rank by their value.
pub fn ranking_key(id: &str, v: f64) -> f64 {
    let multiple = METRICS.iter().any(|(m, lower)| *m == id && *lower);
    if multiple && v < 0.0 { 1e15 - v } else { v }
}

/// High, median and low of the points in the `years` ending at the latest point, both ends
/// included; NaN when the series is empty.
pub fn band(s: SeriesRef, years: i32) -> (f64, f64, f64) {
    let Some(last) = s.codes.last().and_then(|&c| Period::from_code(c)) else {
        return (f64::NAN, f64::NAN, f64::NAN);
    };
    let start = last.years_before(years).end_date();
    let window: Vec<f64> = s
        .codes
        .iter()
        .zip(s.values)
        .filter(|(c, _)| Period::from_code(**c).is_some_and(|p| p.end_date() >= start))
        .map(|(_, v)| *v)
        .collect();
    let high = window.iter().copied().fold(f64::NAN, f64::max);
    let low = window.iter().copied().fold(f64::NAN, f64::min);
    (high, stats::quantile(&window, 0.5), low)
}

/// How many years a series' points span, from its first period's end to its last's (0 for
/// one point or none).
pub fn years_covered(s: SeriesRef) -> f64 {
    let end = |c: &u32| Period::from_code(*c).map(|p| p.end_date().days_since_epoch());
    match (s.codes.first().and_then(end), s.codes.last().and_then(end)) {
        (Some(a), Some(b)) => (b - a) as f64 / 365.25,
        _ => 0.0,
    }
}

/// Sort key for ranking a current value, best first: for the multiples, non-negative values
/// ascending and then negatives from closest to zero (a loss-maker is not cheap); for the
/// yield, descending.
fn key(v: f64, lower_is_better: bool) -> (u8, f64) {
    if !lower_is_better {
        (0, -v)
    } else if v >= 0.0 {
        (0, v)
    } else {
        (1, -v)
    }
}

/// Competition rank of `current` among `peers` (the group's current values, the company's
/// own included; NaN ignored), written `(k, n)`.
pub fn industry_rank(current: f64, peers: &[f64], lower_is_better: bool) -> Option<(usize, usize)> {
    if current.is_nan() {
        return None;
    }
    let mine = key(current, lower_is_better);
    let known: Vec<(u8, f64)> = peers
        .iter()
        .filter(|v| !v.is_nan())
        .map(|&v| key(v, lower_is_better))
        .collect();
    let better = known
        .iter()
        .filter(|k| k.0 < mine.0 || (k.0 == mine.0 && k.1 < mine.1))
        .count();
    Some((better + 1, known.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_multiples_rank_after_every_non_negative_one() {
        let peers = [12.0, -5.0, 8.0, -40.0, 30.0, f64::NAN];
        assert_eq!(industry_rank(8.0, &peers, true), Some((1, 5)));
        assert_eq!(industry_rank(30.0, &peers, true), Some((3, 5)));
        // Negatives come after, the one closest to zero first.
        assert_eq!(industry_rank(-5.0, &peers, true), Some((4, 5)));
        assert_eq!(industry_rank(-40.0, &peers, true), Some((5, 5)));
        assert_eq!(industry_rank(f64::NAN, &peers, true), None);
        // Dividend yield: higher is better.
        assert_eq!(
            industry_rank(0.03, &[0.01, 0.03, 0.05], false),
            Some((2, 3))
        );
        // Ties share a rank.
        assert_eq!(industry_rank(8.0, &[8.0, 8.0, 1.0], true), Some((2, 3)));
    }

    #[test]
    fn band_covers_the_window_ending_at_the_latest_point() {
        let periods = ["2019Q4", "2020Q4", "2022Q2", "2025Q4"];
        let codes: Vec<u32> = periods
            .iter()
            .map(|p| Period::parse(p).unwrap().code())
            .collect();
        let values = [100.0, 10.0, 30.0, 20.0];
        let s = SeriesRef {
            codes: &codes,
            values: &values,
        };
        // Five years ending 2025Q4 start at 2020Q4 (included): 10, 30, 20.
        assert_eq!(band(s, 5), (30.0, 20.0, 10.0));
        assert_eq!(band(s, 10), (100.0, 25.0, 10.0));
        assert_eq!(band(s, 1), (20.0, 20.0, 20.0));
    }
}
