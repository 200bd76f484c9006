//! The Piotroski F-score of SCORING.md: nine signals from one year and the two before it.

use crate::model::Period;
use crate::model::SeriesRef;

/// The inputs, in the order callers pass their series.
pub const INPUTS: [&str; 9] = [
    "net_income",
    "total_assets",
    "operating_cash_flow",
    "long_term_debt",
    "current_assets",
    "current_liabilities",
    "shares_outstanding",
    "gross_margin",
    "revenue",
];

const NI: usize = 0;
const TA: usize = 1;
const CFO: usize = 2;
const LTD: usize = 3;
const CA: usize = 4;
const CL: usize = 5;
const SH: usize = 6;
const GM: usize = 7;
const REV: usize = 8;

/// The nine signals: name and the rule, as SCORING.md writes them.
pub const SIGNALS: [(&str, &str); 9] = [
    ("ROA", "NI_t / TA_t-1 > 0"),
    ("CFO", "CFO_t / TA_t-1 > 0"),
    ("ΔROA", "NI_t / TA_t-1 > NI_t-1 / TA_t-2"),
    ("ACCRUAL", "CFO_t / TA_t-1 > NI_t / TA_t-1"),
    (
        "ΔLEVER",
        "LTD_t / TA_t < LTD_t-1 / TA_t-1, or LTD is 0 in both years",
    ),
    ("ΔLIQUID", "CA_t / CL_t > CA_t-1 / CL_t-1"),
    ("EQ_OFFER", "SH_t <= SH_t-1"),
    ("ΔMARGIN", "GM_t > GM_t-1"),
    ("ΔTURN", "REV_t / TA_t-1 > REV_t-1 / TA_t-2"),
];

/// One signal: the two sides compared (NaN where missing) and the outcome.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Signal {
    pub left: f64,
    pub right: f64,
    /// `None` when an input is missing or a division is by zero (n.a., scores 0).
    pub pass: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FScore {
    /// Year t, or `None` when the company has no net income point to start from.
    pub period: Option<Period>,
    pub signals: [Signal; 9],
}

impl FScore {
    pub fn total(&self) -> usize {
        self.signals.iter().filter(|s| s.pass == Some(true)).count()
    }

    pub fn available(&self) -> usize {
        self.signals.iter().filter(|s| s.pass.is_some()).count()
    }

    /// The F-score as a value: the passing signals, or missing (not 0) when none of the
    /// nine is available (SCORING.md), so `where fscore <= 1` finds weak companies, not
    /// companies without data.
    pub fn value(&self) -> f64 {
        if self.available() == 0 {
            f64::NAN
        } else {
            self.total() as f64
        }
    }
}

/// The value of a series at a period: that period exactly, or for a day the latest point on
/// or before it.
fn at(s: &SeriesRef, p: Period) -> f64 {
    s.value_at(Some(p))
}

fn div(a: f64, b: f64) -> f64 {
    if b == 0.0 || a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a / b
    }
}

fn compare(left: f64, right: f64, pass: impl Fn(f64, f64) -> bool) -> Signal {
    let known = !left.is_nan() && !right.is_nan();
    Signal {
        left,
        right,
        pass: known.then(|| pass(left, right)),
    }
}

/// Computes the F-score from the nine input series (in [`INPUTS`] order). Year t is `at`,
/// or the latest period with a net income point; a day `at` starts from the latest net
/// income point on or before it.
pub fn fscore(series: &[SeriesRef; 9], at_period: Option<Period>) -> FScore {
    let ni = &series[NI];
    let t = match at_period {
        Some(Period::Day(_)) | None => ni
            .anchor(at_period)
            .and_then(|i| Period::from_code(ni.codes[i])),
        Some(p) => Some(p),
    };
    let na = Signal {
        left: f64::NAN,
        right: f64::NAN,
        pass: None,
    };
    let Some(t) = t else {
        return FScore {
            period: None,
            signals: [na; 9],
        };
    };
    let (t1, t2) = (t.years_before(1), t.years_before(2));
    let v = |k: usize, p: Period| at(&series[k], p);
    let roa_t = div(v(NI, t), v(TA, t1));
    let roa_t1 = div(v(NI, t1), v(TA, t2));
    let cfo_t = div(v(CFO, t), v(TA, t1));
    let lever_t = div(v(LTD, t), v(TA, t));
    let lever_t1 = div(v(LTD, t1), v(TA, t1));
    let both_zero = v(LTD, t) == 0.0 && v(LTD, t1) == 0.0;
    let lever = if both_zero {
        Signal {
            left: lever_t,
            right: lever_t1,
            pass: Some(true),
        }
    } else {
        compare(lever_t, lever_t1, |a, b| a < b)
    };
    FScore {
        period: Some(t),
        signals: [
            compare(roa_t, 0.0, |a, b| a > b),
            compare(cfo_t, 0.0, |a, b| a > b),
            compare(roa_t, roa_t1, |a, b| a > b),
            compare(cfo_t, roa_t, |a, b| a > b),
            lever,
            compare(
                div(v(CA, t), v(CL, t)),
                div(v(CA, t1), v(CL, t1)),
                |a, b| a > b,
            ),
            compare(v(SH, t), v(SH, t1), |a, b| a <= b),
            compare(v(GM, t), v(GM, t1), |a, b| a > b),
            compare(
                div(v(REV, t), v(TA, t1)),
                div(v(REV, t1), v(TA, t2)),
                |a, b| a > b,
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Data(Vec<(Vec<u32>, Vec<f64>)>);

    impl Data {
        /// Nine series over 2013, 2014, 2015 (NaN = no point).
        fn new(rows: [[f64; 3]; 9]) -> Data {
            let years = [2013, 2014, 2015].map(|y| Period::Year(y).code());
            Data(
                rows.iter()
                    .map(|r| {
                        let (c, v): (Vec<u32>, Vec<f64>) = years
                            .iter()
                            .zip(r)
                            .filter(|(_, v)| !v.is_nan())
                            .map(|(c, v)| (*c, *v))
                            .unzip();
                        (c, v)
                    })
                    .collect(),
            )
        }

        fn score(&self, at: Option<Period>) -> FScore {
            let refs: Vec<SeriesRef> = self
                .0
                .iter()
                .map(|(c, v)| SeriesRef {
                    codes: c,
                    values: v,
                })
                .collect();
            let arr: [SeriesRef; 9] = std::array::from_fn(|i| refs[i]);
            fscore(&arr, at)
        }
    }

    const N: f64 = f64::NAN;

    /// A company improving on every count: all nine signals pass.
    fn improving() -> Data {
        Data::new([
            [5.0, 8.0, 12.0],        // NI
            [100.0, 100.0, 110.0],   // TA
            [6.0, 9.0, 15.0],        // CFO
            [30.0, 30.0, 20.0],      // LTD
            [40.0, 40.0, 50.0],      // CA
            [30.0, 30.0, 25.0],      // CL
            [1000.0, 1000.0, 990.0], // SH
            [0.30, 0.30, 0.35],      // GM
            [80.0, 80.0, 100.0],     // REV
        ])
    }

    #[test]
    fn every_signal_passes() {
        let f = improving().score(None);
        assert_eq!(f.period, Period::parse("2015"));
        // ROA: 12 / 100 = 0.12 > 0; ΔROA: 0.12 > 8 / 100 = 0.08; ACCRUAL: 0.15 > 0.12;
        // ΔLEVER: 20 / 110 < 30 / 100; ΔLIQUID: 2 > 1.333; EQ_OFFER: 990 <= 1000;
        // ΔMARGIN: 0.35 > 0.30; ΔTURN: 100 / 100 = 1 > 80 / 100 = 0.8.
        assert!(f.signals.iter().all(|s| s.pass == Some(true)), "{f:?}");
        assert_eq!((f.total(), f.available()), (9, 9));
        assert_eq!(f.signals[0].left, 0.12);
    }

    #[test]
    fn every_signal_fails() {
        let f = Data::new([
            [5.0, 8.0, -12.0],
            [100.0, 100.0, 110.0],
            [6.0, 9.0, -15.0],
            [30.0, 30.0, 40.0],
            [40.0, 40.0, 30.0],
            [30.0, 30.0, 35.0],
            [1000.0, 1000.0, 1100.0],
            [0.30, 0.30, 0.25],
            [80.0, 80.0, 60.0],
        ])
        .score(None);
        // ROA −0.12; CFO −0.15; ΔROA −0.12 < 0.08; ACCRUAL −0.15 < −0.12; ΔLEVER 0.364 > 0.3;
        // ΔLIQUID 0.857 < 1.333; shares rose; margin fell; turnover 0.6 < 0.8.
        assert!(f.signals.iter().all(|s| s.pass == Some(false)), "{f:?}");
        assert_eq!((f.total(), f.available()), (0, 9));
    }

    #[test]
    fn missing_inputs_and_division_by_zero_are_not_available() {
        let f = Data::new([
            [5.0, 8.0, 12.0],
            [0.0, N, 110.0], // TA_t-1 missing, TA_t-2 zero
            [6.0, 9.0, 15.0],
            [0.0, 0.0, 0.0], // LTD zero both years: ΔLEVER passes even without TA_t-1
            [40.0, 40.0, 50.0],
            [30.0, 0.0, 25.0], // CL_t-1 zero
            [N, N, 990.0],
            [0.30, 0.30, N],
            [80.0, 80.0, 100.0],
        ])
        .score(None);
        let outcome: Vec<Option<bool>> = f.signals.iter().map(|s| s.pass).collect();
        assert_eq!(
            outcome,
            [None, None, None, None, Some(true), None, None, None, None]
        );
        assert_eq!((f.total(), f.available()), (1, 1));
    }

    #[test]
    fn leverage_without_last_years_debt_is_not_available() {
        let mut rows = [[5.0, 8.0, 12.0]; 9];
        rows[LTD] = [30.0, N, 20.0];
        let f = Data::new(rows).score(None);
        assert_eq!(f.signals[4].pass, None);
        // A zero this year but no figure last year is not "zero in both years" either.
        rows[LTD] = [30.0, N, 0.0];
        assert_eq!(Data::new(rows).score(None).signals[4].pass, None);
    }

    #[test]
    fn at_picks_year_t_and_no_net_income_means_nothing() {
        let f = improving().score(Period::parse("2014"));
        assert_eq!(f.period, Period::parse("2014"));
        // t−2 = 2012 has no points: ΔROA and ΔTURN are n.a.
        assert_eq!(f.signals[2].pass, None);
        assert_eq!(f.signals[8].pass, None);
        assert_eq!(f.signals[0].pass, Some(true));
        let none = Data::new([
            [N, N, N],
            [1.0; 3],
            [1.0; 3],
            [1.0; 3],
            [1.0; 3],
            [1.0; 3],
            [1.0; 3],
            [1.0; 3],
            [1.0; 3],
        ])
        .score(None);
        assert_eq!((none.period, none.available()), (None, 0));
    }
}
