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

/// Exact powers of ten as doubles (every one up to 1e22 is exactly representable).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The common case of a bulk file, read straight from bytes: `-?digits[.digits]` with at
/// most 15 significant digits (surrounding spaces allowed). The digits make an integer below
/// 2^53 and the divisor an exact power of ten, so the one division is correctly rounded:
/// the same double `parse_number` gives. Anything else is `None`, for `parse_number` to try.
#[inline]
pub fn parse_plain(cell: &[u8]) -> Option<f64> {
    let cell = cell.trim_ascii();
    let (negative, digits) = match cell.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, cell),
    };
    let mut mantissa: u64 = 0;
    // Digits seen, and significant ones (leading zeros add nothing to the mantissa).
    let mut count = 0usize;
    let mut significant = 0usize;
    let mut fraction: Option<usize> = None;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
                if mantissa != 0 {
                    significant += 1;
                    if significant > 15 {
                        return None;
                    }
                }
                if let Some(f) = fraction.as_mut() {
                    *f += 1;
                }
            }
            b'.' if fraction.is_none() => fraction = Some(0),
            _ => return None,
        }
    }
    let places = fraction.unwrap_or(0);
    if places >= POW10.len() {
        return None;
    }
    // "-", "." and "1." are left to the general reader, which decides what they mean.
    if count == 0
        || fraction == Some(0)
        || (fraction.is_some() && count == places && digits[0] == b'.')
    {
        return None;
    }
    let v = mantissa as f64 / POW10[places];
    Some(if negative { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::{parse_number, parse_plain};

    #[test]
    fn plain_numbers_read_exactly_as_the_general_reader_does() {
        for s in [
            "0.290414",
            "-0.046019",
            "12.684918",
            "2085452796",
            "0",
            "-0",
            "+7",
            " 3.5 ",
            "999999999999999",
            "0.000000000000001",
            "123456.789012345",
            "-0.1",
            "0.30000000000000",
        ] {
            let fast = parse_plain(s.as_bytes()).unwrap_or_else(|| panic!("{s}"));
            let slow = parse_number(s).unwrap();
            assert_eq!(fast.to_bits(), slow.to_bits(), "{s}");
        }
        for s in [
            "",
            "-",
            ".",
            "1.",
            ".5",
            "1e5",
            "12%",
            "5B",
            "1,000",
            "1.2.3",
            "9999999999999999",
            "0.1234567890123456",
            "abc",
            "0.00000000000000000000001",
        ] {
            assert_eq!(parse_plain(s.as_bytes()), None, "{s}");
        }
    }

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
