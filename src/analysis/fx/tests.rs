use super::*;
use crate::model::Company;

fn companies() -> Companies {
    let mut list = Vec::new();
    for (sym, cur, trade) in [
        ("A", None, None),
        ("B", Some("CNY"), None),
        ("C", Some("CNY"), Some("USD")),
    ] {
        let mut c = Company::new(sym);
        if let Some(v) = cur {
            c.attrs.insert("currency".into(), v.into());
        }
        if let Some(v) = trade {
            c.attrs.insert("trading_currency".into(), v.into());
        }
        list.push(c);
    }
    Companies::from_list(list)
}

fn code(p: &str) -> u32 {
    Period::parse(p).unwrap().code()
}

/// One point per company at 2024, values 100, 200, 300.
fn column() -> Arc<MetricColumn> {
    let mut b = ColumnBuilder::new(3);
    for (row, v) in [100.0, 200.0, 300.0].into_iter().enumerate() {
        b.push(row, &[code("2024")], &[v]);
    }
    Arc::new(b.finish())
}

#[test]
fn a_database_without_currencies_has_no_fx() {
    let plain = Companies::from_list(vec![Company::new("A")]);
    assert!(Fx::for_companies(&plain, "USD".into(), Rates::new()).is_none());
}

#[test]
fn mixed_currencies_convert_to_the_base_or_fail_without_rates() {
    let cs = companies();
    let col = column();
    let read = |basis| MoneyRead {
        id: "revenue",
        basis,
        column: &col,
    };
    let fx = Fx::for_companies(&cs, "USD".into(), Rates::new()).unwrap();
    // A (USD, the base) and B, C (CNY) meet: no CNY rates is an error naming both.
    let e = fx
        .align(&cs, &[read(Basis::Reporting)], &[0, 1, 2])
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("revenue mixes CNY and USD, and there are no CNY rates")
    );
    // B and C alone are all CNY: kept as they are, in CNY.
    let a = fx.align(&cs, &[read(Basis::Reporting)], &[1, 2]).unwrap();
    assert_eq!(a.currency, "CNY");
    assert!(a.columns[0].is_none());
    // On the trading basis C is in USD: A and C meet in the base without conversion.
    let a = fx.align(&cs, &[read(Basis::Trading)], &[0, 2]).unwrap();
    assert_eq!(a.currency, "USD");

    let mut rates = Rates::new();
    rates.insert("CNY", Date::parse("2024-12-27").unwrap(), 0.125);
    let fx = Fx::for_companies(&cs, "USD".into(), rates).unwrap();
    let a = fx
        .align(&cs, &[read(Basis::Reporting)], &[0, 1, 2])
        .unwrap();
    let c = a.columns[0].as_ref().unwrap();
    // 200 CNY × 0.125 = 25 USD; 300 CNY × 0.125 = 37.5 USD; A stays 100.
    assert_eq!(c.series(0).values, &[100.0]);
    assert_eq!(c.series(1).values, &[25.0]);
    assert_eq!(c.series(2).values, &[37.5]);
    assert_eq!(a.left.note(), None);
}

#[test]
fn a_value_without_a_rate_is_left_out_with_a_note() {
    let cs = companies();
    let col = column();
    let mut rates = Rates::new();
    // 2024-11-29 is 32 days before 2024-12-31: too old.
    rates.insert("CNY", Date::parse("2024-11-29").unwrap(), 0.14);
    let fx = Fx::for_companies(&cs, "USD".into(), rates).unwrap();
    let read = MoneyRead {
        id: "revenue",
        basis: Basis::Reporting,
        column: &col,
    };
    let a = fx.align(&cs, &[read], &[0, 1, 2]).unwrap();
    assert!(a.columns[0].as_ref().unwrap().series(1).is_empty());
    assert_eq!(
        a.left.note().as_deref(),
        Some("2 values left out: no CNY rate within 31 days on or before 2024-12-31")
    );
}
