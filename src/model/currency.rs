//! Currencies (SPEC.md §1 "Currency"): which currency a company's money value is in, and
//! the exchange rates that bring values of different currencies to one base currency.
//!
//! A rate is the value of one unit of a currency in US dollars on a day
//! (DATA_FORMATS.md, `--kind fx`). A value of period end `d` converts at the rate of the
//! latest fx day on or before `d`, at most [`RATE_LOOKBACK_DAYS`] earlier; the factor from
//! currency `a` to `b` is `usd(a) / usd(b)`, each read that way. USD is 1 on every day.

use super::catalog::{MetricDef, Unit};
use super::period::{Date, Period};
use std::collections::BTreeMap;

/// How far before a value's period end its rate may be.
pub const RATE_LOOKBACK_DAYS: i64 = 31;

/// The currency every rate is quoted in; it needs no rates of its own.
pub const USD: &str = "USD";

/// The base currency of a database that never set one.
pub const DEFAULT_BASE: &str = USD;

/// Which currency attribute a money metric's values are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Basis {
    /// Statement items: the company's `currency` (reporting currency).
    Reporting,
    /// Market items: the company's `trading_currency`.
    Trading,
}

impl Basis {
    pub fn name(self) -> &'static str {
        match self {
            Basis::Reporting => "reporting",
            Basis::Trading => "trading",
        }
    }
}

/// The built-in money metrics quoted on the market (in the trading currency); every other
/// money metric, built in or registered by an import, is a statement item.
const MARKET_ITEMS: [&str; 4] = ["price", "market_cap", "target_high", "target_low"];

/// The basis of a metric: `None` for anything that is not money (ratios, percents and
/// counts are never converted).
pub fn basis_of(def: &MetricDef) -> Option<Basis> {
    if def.unit != Unit::Money {
        return None;
    }
    Some(if MARKET_ITEMS.contains(&def.id.as_str()) {
        Basis::Trading
    } else {
        Basis::Reporting
    })
}

/// A company's currency for one basis: each attribute defaults to the other, and a
/// company with neither is in the base currency.
pub fn company_currency<'a>(
    reporting: Option<&'a str>,
    trading: Option<&'a str>,
    basis: Basis,
    base: &'a str,
) -> &'a str {
    let (first, second) = match basis {
        Basis::Reporting => (reporting, trading),
        Basis::Trading => (trading, reporting),
    };
    first.or(second).unwrap_or(base)
}

/// An ISO 4217 code as finq stores it: three ASCII letters, upper case. `None` when the text
/// is not one.
pub fn normalize_code(text: &str) -> Option<String> {
    let t = text.trim();
    (t.len() == 3 && t.bytes().all(|b| b.is_ascii_alphabetic())).then(|| t.to_ascii_uppercase())
}

/// The trading currency a market suffix implies (`KC.US` → USD), for quote pages.
pub fn currency_of_market(symbol: &str) -> Option<&'static str> {
    let (_, suffix) = symbol.trim().rsplit_once('.')?;
    match suffix.to_ascii_uppercase().as_str() {
        "US" => Some("USD"),
        "HK" => Some("HKD"),
        "SH" | "SZ" => Some("CNY"),
        _ => None,
    }
}

/// Why a value has no rate.
#[derive(Clone, Debug, PartialEq)]
pub enum NoRate {
    /// The currency has no rates at all.
    Unknown(String),
    /// No rate of the currency within the lookback before this day.
    Gap(String, Date),
}

/// Every currency's rates: by code, (day as days since the epoch, US dollars per unit) in
/// day order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rates {
    by_code: BTreeMap<String, Vec<(i64, f64)>>,
}

impl Rates {
    pub fn new() -> Rates {
        Rates::default()
    }

    /// Adds one currency's rates as stored: (day period code, usd), in code order.
    pub fn insert_coded(&mut self, code: &str, points: &[(u32, f64)]) {
        let days = points
            .iter()
            .filter_map(|&(c, v)| match Period::from_code(c) {
                Some(Period::Day(d)) => Some((d.days_since_epoch(), v)),
                _ => None,
            })
            .collect();
        self.by_code.insert(code.to_string(), days);
    }

    /// Adds one rate (tests, and readers that have days at hand); keeps day order.
    pub fn insert(&mut self, code: &str, day: Date, usd: f64) {
        let list = self.by_code.entry(code.to_string()).or_default();
        let d = day.days_since_epoch();
        match list.binary_search_by_key(&d, |p| p.0) {
            Ok(i) => list[i].1 = usd,
            Err(i) => list.insert(i, (d, usd)),
        }
    }

    /// True when the currency can be converted at all: USD, or a currency with rates.
    pub fn knows(&self, code: &str) -> bool {
        code == USD || self.by_code.get(code).is_some_and(|l| !l.is_empty())
    }

    /// Currencies with rates, in code order, with their (first day, last day, count).
    pub fn summary(&self) -> Vec<(&str, Date, Date, usize)> {
        self.by_code
            .iter()
            .filter_map(|(code, l)| {
                let (first, last) = (l.first()?, l.last()?);
                Some((
                    code.as_str(),
                    Date::from_days_since_epoch(first.0),
                    Date::from_days_since_epoch(last.0),
                    l.len(),
                ))
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// Every rate: (currency, day, US dollars per unit), by currency and day.
    pub fn points(&self) -> impl Iterator<Item = (&str, Date, f64)> {
        self.by_code.iter().flat_map(|(code, l)| {
            l.iter()
                .map(move |&(d, v)| (code.as_str(), Date::from_days_since_epoch(d), v))
        })
    }

    /// US dollars per unit of `code` for a value whose period ends on `day`.
    pub fn usd(&self, code: &str, day: Date) -> Result<f64, NoRate> {
        if code == USD {
            return Ok(1.0);
        }
        let list = match self.by_code.get(code) {
            Some(l) if !l.is_empty() => l,
            _ => return Err(NoRate::Unknown(code.to_string())),
        };
        let d = day.days_since_epoch();
        let upto = list.partition_point(|p| p.0 <= d);
        match upto.checked_sub(1).map(|i| list[i]) {
            Some((on, v)) if d - on <= RATE_LOOKBACK_DAYS => Ok(v),
            _ => Err(NoRate::Gap(code.to_string(), day)),
        }
    }

    /// The factor that turns a value in `from` into `to` for a period ending on `day`.
    pub fn factor(&self, from: &str, to: &str, day: Date) -> Result<f64, NoRate> {
        if from == to {
            return Ok(1.0);
        }
        Ok(self.usd(from, day)? / self.usd(to, day)?)
    }

    /// A value of period end `day` in `from`, in `base`.
    pub fn to_base(&self, value: f64, from: &str, base: &str, day: Date) -> Result<f64, NoRate> {
        Ok(value * self.factor(from, base, day)?)
    }

    /// A value in `base` back in `to` (the inverse of [`Rates::to_base`]).
    pub fn from_base(&self, value: f64, to: &str, base: &str, day: Date) -> Result<f64, NoRate> {
        Ok(value * self.factor(base, to, day)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn a_rate_is_the_latest_on_or_before_the_day_within_31_days() {
        let mut r = Rates::new();
        r.insert("CNY", day("2016-12-30"), 0.1440);
        // On the day, and on a Saturday after it.
        assert_eq!(r.usd("CNY", day("2016-12-30")), Ok(0.1440));
        assert_eq!(r.usd("CNY", day("2016-12-31")), Ok(0.1440));
        // 31 days later still, 32 not.
        assert_eq!(r.usd("CNY", day("2017-01-30")), Ok(0.1440));
        assert_eq!(
            r.usd("CNY", day("2017-01-31")),
            Err(NoRate::Gap("CNY".into(), day("2017-01-31")))
        );
        // Nothing before the first rate.
        assert!(matches!(
            r.usd("CNY", day("2016-12-29")),
            Err(NoRate::Gap(..))
        ));
        assert_eq!(
            r.usd("HKD", day("2016-12-30")),
            Err(NoRate::Unknown("HKD".into()))
        );
        assert_eq!(r.usd("USD", day("1990-01-01")), Ok(1.0));
    }

    #[test]
    fn factors_go_through_the_dollar() {
        let mut r = Rates::new();
        r.insert("CNY", day("2024-12-31"), 0.1370);
        r.insert("HKD", day("2024-12-31"), 0.1288);
        let d = day("2024-12-31");
        // 100 CNY = 13.70 USD = 13.70 / 0.1288 HKD.
        assert!((r.to_base(100.0, "CNY", "USD", d).unwrap() - 13.70).abs() < 1e-9);
        assert!((r.to_base(100.0, "CNY", "HKD", d).unwrap() - 13.70 / 0.1288).abs() < 1e-9);
        assert_eq!(r.factor("EUR", "EUR", d), Ok(1.0));
    }

    #[test]
    fn currencies_default_to_each_other_then_the_base() {
        use Basis::*;
        assert_eq!(
            company_currency(Some("CNY"), Some("USD"), Trading, "USD"),
            "USD"
        );
        assert_eq!(company_currency(Some("CNY"), None, Trading, "USD"), "CNY");
        assert_eq!(company_currency(None, Some("HKD"), Reporting, "USD"), "HKD");
        assert_eq!(company_currency(None, None, Reporting, "EUR"), "EUR");
        assert_eq!(currency_of_market("kc.us"), Some("USD"));
        assert_eq!(currency_of_market("688316.SH"), Some("CNY"));
        assert_eq!(currency_of_market("0700.HK"), Some("HKD"));
        assert_eq!(currency_of_market("AAPL"), None);
        assert_eq!(normalize_code(" cny "), Some("CNY".into()));
        assert_eq!(normalize_code("RMB1"), None);
    }

    #[test]
    fn only_money_has_a_basis() {
        let c = crate::model::Catalog::builtin();
        let b = |id: &str| basis_of(c.get(id).unwrap());
        assert_eq!(b("market_cap"), Some(Basis::Trading));
        assert_eq!(b("price"), Some(Basis::Trading));
        assert_eq!(b("net_income"), Some(Basis::Reporting));
        assert_eq!(b("roe"), None);
        let mut registered = MetricDef::registered("revenue_total");
        registered.unit = Unit::Money;
        assert_eq!(basis_of(&registered), Some(Basis::Reporting));
    }

    proptest! {
        /// Converting to a base and back gives the value again, within 1e-12 relative.
        #[test]
        fn to_base_and_back_is_the_identity(
            value in -1e15f64..1e15,
            usd_a in 1e-4f64..1e4,
            usd_b in 1e-4f64..1e4,
            gap in 0i64..=31,
            base_is_usd in any::<bool>(),
        ) {
            let d = day("2024-06-30");
            let mut r = Rates::new();
            let on = Date::from_days_since_epoch(d.days_since_epoch() - gap);
            r.insert("AAA", on, usd_a);
            r.insert("BBB", on, usd_b);
            let base = if base_is_usd { USD } else { "BBB" };
            let there = r.to_base(value, "AAA", base, d).unwrap();
            let back = r.from_base(there, "AAA", base, d).unwrap();
            prop_assert!((back - value).abs() <= 1e-12 * value.abs().max(f64::MIN_POSITIVE));
        }
    }
}
