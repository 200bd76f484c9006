//! Periods (`2024`, `2024H1`, `2024Q3`, `2026-05-19`): parsing, printing, ordering by end date,
//! and the compact order-preserving code that series store.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// A calendar date without time zone, valid for years 1..=9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// The span a point describes. Periods order by their end date; periods ending on the same
/// day order Day < Quarter < Half < Year, so the order is total and matches [`Period::code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Period {
    Year(i32),
    Half(i32, u8),
    Quarter(i32, u8),
    Day(Date),
}

/// The kind of a period, in the order that breaks end-date ties.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PeriodKind {
    Day = 0,
    Quarter = 1,
    Half = 2,
    Year = 3,
}

// Days are counted from 0000-03-01 shifted so that every year from 1 on is positive; this keeps
// the code unsigned, and the day count fits in 30 bits for years up to 9999.
const EPOCH_SHIFT: i64 = 719_468 + 60;

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        (day <= days_in_month(year, month)).then_some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (Howard Hinnant's civil-from-days algorithm, inverted).
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days_since_epoch(z: i64) -> Date {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The same day one year earlier; 29 February becomes 28 February.
    pub fn year_before(self) -> Date {
        let year = self.year - 1;
        let day = self.day.min(days_in_month(year, self.month));
        Date {
            year,
            month: self.month,
            day,
        }
    }

    /// Today's date (UTC).
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// The month-end a period ending on this day closes (SPEC.md §1, fiscal labels): a day
    /// in the first 7 days of a month counts as the last day of the previous month, because
    /// 52/53-week fiscal years end on a weekday near a month's end (2016-01-02 closes
    /// December 2015); any other day is itself.
    pub fn fiscal_end(self) -> Date {
        if self.day > 7 {
            return self;
        }
        let (year, month) = match self.month {
            1 => (self.year - 1, 12),
            m => (self.year, m - 1),
        };
        Date {
            year,
            month,
            day: days_in_month(year, month),
        }
    }

    /// Parses `YYYY-MM-DD` exactly.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = parse_digits(&b[0..4])? as i32;
        let month = parse_digits(&b[5..7])? as u8;
        let day = parse_digits(&b[8..10])? as u8;
        Date::new(year, month, day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn parse_digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
}

impl Period {
    pub fn kind(self) -> PeriodKind {
        match self {
            Period::Year(_) => PeriodKind::Year,
            Period::Half(..) => PeriodKind::Half,
            Period::Quarter(..) => PeriodKind::Quarter,
            Period::Day(_) => PeriodKind::Day,
        }
    }

    pub fn year(self) -> i32 {
        match self {
            Period::Year(y) | Period::Half(y, _) | Period::Quarter(y, _) => y,
            Period::Day(d) => d.year,
        }
    }

    /// The last day the period covers: 2024 → 2024-12-31, 2024H1 → 2024-06-30.
    pub fn end_date(self) -> Date {
        let (year, month) = match self {
            Period::Year(y) => (y, 12),
            Period::Half(y, h) => (y, 6 * h),
            Period::Quarter(y, q) => (y, 3 * q),
            Period::Day(d) => return d,
        };
        Date {
            year,
            month,
            day: days_in_month(year, month),
        }
    }

    /// The first day the period covers: 2024 → 2024-01-01, 2024Q3 → 2024-07-01.
    pub fn start_date(self) -> Date {
        let (year, month) = match self {
            Period::Year(y) => (y, 1),
            Period::Half(y, h) => (y, 6 * h - 5),
            Period::Quarter(y, q) => (y, 3 * q - 2),
            Period::Day(d) => return d,
        };
        Date {
            year,
            month,
            day: 1,
        }
    }

    /// The same kind of period one year earlier (SPEC.md section 1). For a day this is the
    /// same calendar day a year earlier; series look it up "at or before" (see `Series`).
    pub fn year_before(self) -> Period {
        self.years_before(1)
    }

    pub fn years_before(self, n: i32) -> Period {
        match self {
            Period::Year(y) => Period::Year(y - n),
            Period::Half(y, h) => Period::Half(y - n, h),
            Period::Quarter(y, q) => Period::Quarter(y - n, q),
            Period::Day(mut d) => {
                for _ in 0..n {
                    d = d.year_before();
                }
                Period::Day(d)
            }
        }
    }

    /// The period of `kind` that a statement dated `date` reports, by the fiscal-label rule
    /// ([`Date::fiscal_end`]): the fiscal year is the calendar year of that month-end, the
    /// half and quarter its calendar half and quarter; a day stays the date itself.
    /// 2015-01-03 → FY 2014, 2016-01-02 → 2015 / 2015Q4, 2015-09-26 → 2015 / 2015Q3.
    pub fn fiscal(date: Date, kind: PeriodKind) -> Period {
        let end = date.fiscal_end();
        match kind {
            PeriodKind::Year => Period::Year(end.year),
            PeriodKind::Half => Period::Half(end.year, if end.month <= 6 { 1 } else { 2 }),
            PeriodKind::Quarter => Period::Quarter(end.year, end.month.div_ceil(3)),
            PeriodKind::Day => Period::Day(date),
        }
    }

    /// The quarter before a quarter (2024Q1 → 2023Q4); other kinds have none.
    pub fn previous_quarter(self) -> Option<Period> {
        match self {
            Period::Quarter(y, 1) => Some(Period::Quarter(y - 1, 4)),
            Period::Quarter(y, q) => Some(Period::Quarter(y, q - 1)),
            _ => None,
        }
    }

    /// A `u32` whose numeric order is the period order: end day in the high 30 bits, kind in
    /// the low 2. Series store these codes, so a period range is a range of integers.
    pub fn code(self) -> u32 {
        let days = self.end_date().days_since_epoch() + EPOCH_SHIFT;
        ((days as u32) << 2) | self.kind() as u32
    }

    /// Inverse of [`Period::code`]; `None` for a code no period produces.
    pub fn from_code(code: u32) -> Option<Period> {
        let date = Date::from_days_since_epoch(i64::from(code >> 2) - EPOCH_SHIFT);
        let period = match code & 3 {
            0 => Period::Day(date),
            1 => Period::Quarter(date.year, date.month / 3),
            2 => Period::Half(date.year, date.month / 6),
            _ => Period::Year(date.year),
        };
        (period.code() == code && Date::new(date.year, date.month, date.day).is_some())
            .then_some(period)
    }

    /// Parses `2024`, `2024H1`, `2024Q3` (letters in either case), `2026-05-19`, and for
    /// convenience `2026-05-19T13:34:21Z`-style timestamps (the date part is kept).
    pub fn parse(text: &str) -> Option<Period> {
        let s = text.trim();
        let b = s.as_bytes();
        if b.len() > 10 && (b[10] == b'T' || b[10] == b' ') {
            return Date::parse(&s[..10]).map(Period::Day);
        }
        match b.len() {
            4 => {
                let y = parse_digits(b)? as i32;
                (1..=9999).contains(&y).then_some(Period::Year(y))
            }
            6 => {
                let y = parse_digits(&b[..4])? as i32;
                let n = parse_digits(&b[5..6])? as u8;
                if y < 1 {
                    return None;
                }
                match b[4] {
                    b'H' | b'h' if (1..=2).contains(&n) => Some(Period::Half(y, n)),
                    b'Q' | b'q' if (1..=4).contains(&n) => Some(Period::Quarter(y, n)),
                    _ => None,
                }
            }
            10 => Date::parse(s).map(Period::Day),
            _ => None,
        }
    }
}

impl Ord for Period {
    fn cmp(&self, other: &Self) -> Ordering {
        self.code().cmp(&other.code())
    }
}

impl PartialOrd for Period {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Year(y) => write!(f, "{y:04}"),
            Period::Half(y, h) => write!(f, "{y:04}H{h}"),
            Period::Quarter(y, q) => write!(f, "{y:04}Q{q}"),
            Period::Day(d) => d.fmt(f),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s).ok_or_else(|| {
            format!("'{s}' is not a period (write 2024, 2024H1, 2024Q3 or 2024-06-30)")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn parses_and_prints_every_kind() {
        for s in [
            "2024",
            "2024H1",
            "2024H2",
            "2024Q1",
            "2024Q4",
            "2026-05-19",
            "0001",
            "9999-12-31",
        ] {
            assert_eq!(p(s).to_string(), s);
        }
        assert_eq!(p("2024q3"), Period::Quarter(2024, 3));
        assert_eq!(p("2026-04-15T13:34:21.428Z"), p("2026-04-15"));
    }

    #[test]
    fn rejects_what_is_not_a_period() {
        for s in [
            "",
            "24",
            "2024Q5",
            "2024Q0",
            "2024H3",
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "0000",
            "abcd",
            "2024X1",
            "2024-1-01",
            "20245",
        ] {
            assert_eq!(Period::parse(s), None, "{s}");
        }
        assert!(Period::parse("2024-02-29").is_some());
    }

    #[test]
    fn end_dates() {
        assert_eq!(p("2024").end_date().to_string(), "2024-12-31");
        assert_eq!(p("2024H1").end_date().to_string(), "2024-06-30");
        assert_eq!(p("2024Q3").end_date().to_string(), "2024-09-30");
        assert_eq!(p("2024Q1").end_date().to_string(), "2024-03-31");
        assert_eq!(p("2023H2").end_date().to_string(), "2023-12-31");
        assert_eq!(p("2024").start_date().to_string(), "2024-01-01");
        assert_eq!(p("2024H2").start_date().to_string(), "2024-07-01");
        assert_eq!(p("2024Q4").start_date().to_string(), "2024-10-01");
        assert_eq!(p("2024-05-19").start_date().to_string(), "2024-05-19");
    }

    #[test]
    fn orders_by_end_date_then_kind() {
        let mut v = [
            p("2024"),
            p("2024Q4"),
            p("2024-12-31"),
            p("2024H2"),
            p("2024Q3"),
            p("2024H1"),
            p("2024-07-01"),
            p("2023"),
        ];
        v.sort();
        let s: Vec<String> = v.iter().map(Period::to_string).collect();
        assert_eq!(
            s,
            [
                "2023",
                "2024H1",
                "2024-07-01",
                "2024Q3",
                "2024-12-31",
                "2024Q4",
                "2024H2",
                "2024"
            ]
        );
        // 2024Q2 and 2024H1 end on the same day: the shorter period comes first.
        assert!(p("2024Q2") < p("2024H1"));
    }

    #[test]
    fn one_year_before() {
        assert_eq!(p("2024Q3").year_before(), p("2023Q3"));
        assert_eq!(p("2024H1").year_before(), p("2023H1"));
        assert_eq!(p("2024").year_before(), p("2023"));
        assert_eq!(p("2026-05-19").year_before(), p("2025-05-19"));
        assert_eq!(p("2024-02-29").year_before(), p("2023-02-28"));
        assert_eq!(p("2025Q4").years_before(5), p("2020Q4"));
        assert_eq!(p("2024Q1").previous_quarter(), Some(p("2023Q4")));
        assert_eq!(p("2024Q3").previous_quarter(), Some(p("2024Q2")));
        assert_eq!(p("2024").previous_quarter(), None);
    }

    #[test]
    fn fiscal_labels_count_the_first_week_as_the_previous_month() {
        let f = |d: &str, k: PeriodKind| Period::fiscal(Date::parse(d).unwrap(), k).to_string();
        // The examples of SPEC.md §1.
        assert_eq!(f("2015-01-03", PeriodKind::Year), "2014");
        assert_eq!(f("2016-01-02", PeriodKind::Year), "2015");
        assert_eq!(f("2016-12-31", PeriodKind::Year), "2016");
        assert_eq!(f("2015-09-26", PeriodKind::Year), "2015");
        assert_eq!(f("2015-09-26", PeriodKind::Quarter), "2015Q3");
        assert_eq!(f("2016-01-02", PeriodKind::Quarter), "2015Q4");
        // The 7th still counts back, the 8th does not; March 2024 goes back to 29 February.
        assert_eq!(f("2015-07-07", PeriodKind::Quarter), "2015Q2");
        assert_eq!(f("2015-07-08", PeriodKind::Quarter), "2015Q3");
        assert_eq!(f("2024-03-05", PeriodKind::Half), "2024H1");
        assert_eq!(
            Date::parse("2024-03-05").unwrap().fiscal_end().to_string(),
            "2024-02-29"
        );
        // A day period keeps its date.
        assert_eq!(f("2016-01-02", PeriodKind::Day), "2016-01-02");
    }

    #[test]
    fn codes_round_trip_and_keep_order() {
        let all = [
            "0001",
            "0001Q1",
            "1970-01-01",
            "1969-12-31",
            "2000-02-29",
            "2024Q3",
            "2024H2",
            "2024",
            "9999",
            "9999-12-31",
        ];
        for s in all {
            assert_eq!(Period::from_code(p(s).code()), Some(p(s)), "{s}");
        }
        assert!(p("1969-12-31").code() < p("1970-01-01").code());
        // A quarter code must end on a quarter's last day.
        let not_a_quarter = (p("2024-05-15").code() & !3) | 1;
        assert_eq!(Period::from_code(not_a_quarter), None);
    }

    #[test]
    fn days_since_epoch_matches_known_dates() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        assert_eq!(Date::new(2026, 5, 19).unwrap().days_since_epoch(), 20_592);
        assert_eq!(
            Date::from_days_since_epoch(20_592),
            Date::new(2026, 5, 19).unwrap()
        );
    }
}
