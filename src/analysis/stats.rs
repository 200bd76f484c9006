//! Percentiles, grades, quantiles and ranks, exactly as SCORING.md defines them.

/// Two scores closer than this are equal (SCORING.md, "Equal values").
pub const EPS: f64 = 1e-9;

/// Midrank percentiles of `values` (NaN = missing, which gets NaN): for value v among the
/// n non-missing values, `((less than v) + (equal to v + 1) / 2 − 1) / (n − 1)`, or 0.5 when
/// n = 1. With `lower_is_better` the result is 1 − pct, so 1 is always the best.
pub fn midrank_percentiles(values: &[f64], lower_is_better: bool) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                return f64::NAN;
            }
            let pct = if n == 1 {
                0.5
            } else {
                let less = sorted.partition_point(|&x| x < v);
                let equal = sorted.partition_point(|&x| x <= v) - less;
                let midrank = less as f64 + (equal as f64 + 1.0) / 2.0;
                (midrank - 1.0) / (n as f64 - 1.0)
            };
            if lower_is_better { 1.0 - pct } else { pct }
        })
        .collect()
}

/// The grade of a percentile or score in [0, 1]; a value within [`EPS`] below a threshold
/// gets the higher grade. Missing gives `None`.
pub fn grade(p: f64) -> Option<char> {
    if p.is_nan() {
        return None;
    }
    let p = p + EPS;
    Some(if p >= 0.8 {
        'A'
    } else if p >= 0.6 {
        'B'
    } else if p >= 0.4 {
        'C'
    } else if p >= 0.2 {
        'D'
    } else {
        'E'
    })
}

/// The q-quantile (0 ≤ q ≤ 1) of the non-missing values, interpolating linearly between
/// neighbours (DuckDB's `quantile_cont`); `median` is q = 0.5.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// Sample standard deviation of the non-missing values (n − 1 in the denominator); missing
/// with fewer than two values.
pub fn stddev(values: &[f64]) -> f64 {
    let v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.len() < 2 {
        return f64::NAN;
    }
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let ss: f64 = v.iter().map(|x| (x - mean) * (x - mean)).sum();
    (ss / (v.len() - 1) as f64).sqrt()
}

/// Mean of the non-missing values; missing when there are none.
pub fn mean(values: &[f64]) -> f64 {
    let (sum, n) = values
        .iter()
        .filter(|x| !x.is_nan())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// Competition ranks (1, 2, 2, 4): `order` lists the indices of `values` best first (by
/// `descending` or ascending value, missing values last), and each value's rank is 1 + the
/// number of values better than it by more than `tolerance`. Missing values get no rank.
pub fn competition_ranks(
    values: &[f64],
    order: &[usize],
    descending: bool,
    tolerance: f64,
) -> Vec<Option<usize>> {
    let better = |a: f64, b: f64| {
        if descending {
            a > b + tolerance
        } else {
            a < b - tolerance
        }
    };
    let mut ranks = vec![None; values.len()];
    // Values better than the current one form a prefix of `order` that only grows.
    let mut k = 0;
    for &i in order {
        let v = values[i];
        if v.is_nan() {
            continue;
        }
        while k < order.len() && better(values[order[k]], v) {
            k += 1;
        }
        ranks[i] = Some(k + 1);
    }
    ranks
}

/// Reorders runs of `order` whose neighbouring values differ by less than `tolerance` by
/// `tie` (pyscore's rule: such values are equal, so the symbol decides).
pub fn order_ties_by(
    order: &mut [usize],
    values: &[f64],
    tolerance: f64,
    mut tie: impl FnMut(usize, usize) -> std::cmp::Ordering,
) {
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len()
            && !values[order[end]].is_nan()
            && (values[order[end - 1]] - values[order[end]]).abs() < tolerance
        {
            end += 1;
        }
        order[start..end].sort_by(|&a, &b| tie(a, b));
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midrank_percentiles_by_hand() {
        // Values 10, 20, 20, 30: midranks 1, 2.5, 2.5, 4 → (m − 1) / 3.
        let p = midrank_percentiles(&[20.0, 10.0, 30.0, 20.0], false);
        assert_eq!(p, [0.5, 0.0, 1.0, 0.5]);
        let p = midrank_percentiles(&[20.0, 10.0, 30.0, f64::NAN], true);
        assert_eq!(&p[..3], [0.5, 1.0, 0.0]);
        assert!(p[3].is_nan());
        assert_eq!(midrank_percentiles(&[7.0, f64::NAN], false)[0], 0.5);
    }

    #[test]
    fn grades_and_the_tolerance_below_a_threshold() {
        assert_eq!(grade(0.8), Some('A'));
        assert_eq!(grade(0.8 - 1e-10), Some('A'));
        assert_eq!(grade(0.8 - 1e-6), Some('B'));
        assert_eq!(grade(0.6), Some('B'));
        assert_eq!(grade(0.4), Some('C'));
        assert_eq!(grade(0.2), Some('D'));
        assert_eq!(grade(0.19), Some('E'));
        assert_eq!(grade(f64::NAN), None);
    }

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(quantile(&[4.0, 1.0, 3.0], 0.5), 3.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.9), 4.6);
        assert!(quantile(&[], 0.5).is_nan());
        assert!(quantile(&[1.0], 1.5).is_nan());
    }

    #[test]
    fn stddev_and_mean() {
        assert_eq!(
            stddev(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]),
            (32.0f64 / 7.0).sqrt()
        );
        assert!(stddev(&[1.0]).is_nan());
        assert_eq!(mean(&[1.0, f64::NAN, 3.0]), 2.0);
        assert!(mean(&[f64::NAN]).is_nan());
    }

    #[test]
    fn competition_ranking_with_ties() {
        let v = [5.0, 3.0, 5.0, f64::NAN, 1.0];
        let order = [0, 2, 1, 4, 3];
        assert_eq!(
            competition_ranks(&v, &order, true, 0.0),
            [Some(1), Some(3), Some(1), None, Some(4)]
        );
        let near = [1.0, 1.0 - 1e-12, 0.5];
        assert_eq!(
            competition_ranks(&near, &[0, 1, 2], true, EPS),
            [Some(1), Some(1), Some(3)]
        );
        // Ascending: smaller is better.
        assert_eq!(
            competition_ranks(&[2.0, 1.0, 2.0], &[1, 0, 2], false, 0.0),
            [Some(2), Some(1), Some(2)]
        );
    }
}
