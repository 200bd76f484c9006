//! Number literals as files and queries write them: `-12.93`, `1.5e9`, `-12.93%`, `5.18B`.

/// Parses a number with an optional trailing `%` (divides by 100) or magnitude suffix
/// `K M B T` (multiplies). Returns `None` for anything else, including NaN and infinities.
pub fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    let (body, exp) = match s.as_bytes().last()? {
        b'%' => (&s[..s.len() - 1], -2),
        b'K' | b'k' => (&s[..s.len() - 1], 3),
        b'M' | b'm' => (&s[..s.len() - 1], 6),
        b'B' | b'b' => (&s[..s.len() - 1], 9),
        b'T' | b't' => (&s[..s.len() - 1], 12),
        _ => (s, 0),
    };
    let body = body.trim_end();
    // Rust's parser accepts "inf" and "nan", which are not numbers a file should hold.
    if body.is_empty()
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    let v: f64 = if exp == 0 {
        body.parse().ok()?
    } else if body.contains(['e', 'E']) {
        body.parse::<f64>().ok()? * 10f64.powi(exp)
    } else {
        // Shifting the decimal exponent keeps the result correctly rounded: `-12.93%` is
        // exactly the double nearest -0.1293, which a multiplication by 0.01 is not.
        format!("{body}e{exp}").parse().ok()?
    };
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn reads_plain_percent_and_magnitudes() {
        assert_eq!(parse_number("-12.93"), Some(-12.93));
        assert_eq!(parse_number("1.5e9"), Some(1.5e9));
        assert_eq!(parse_number("-12.93%"), Some(-0.1293));
        assert_eq!(parse_number("5.18B"), Some(5.18e9));
        assert_eq!(parse_number("250K"), Some(250_000.0));
        assert_eq!(parse_number("300M"), Some(300_000_000.0));
        assert_eq!(parse_number("4.85T"), Some(4.85e12));
        assert_eq!(parse_number(" 7 "), Some(7.0));
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for s in [
            "", "-", "%", "abc", "1,000", "inf", "NaN", "1e999", "12.3.4x", "B",
        ] {
            assert_eq!(parse_number(s), None, "{s}");
        }
    }
}
