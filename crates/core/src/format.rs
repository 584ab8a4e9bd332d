//! How every number on screen is written: counts with thousands separators (`34,944`) or
//! an SI suffix (`34.9 K`), shares (`60.5 %`), and values as the lecture writes them
//! (`0.98`, `−1.5`). One formatter of each, for the CLI and the web app alike; and the one
//! reader of decimal numbers people type ([`parse_f32`], [`parse_f64`]).

/// `34944` → `"34,944"`.
#[must_use]
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A count with an SI suffix and three significant digits: `34.9 K`, `105 M`, `1.08 G`.
#[must_use]
pub fn compact(n: u64) -> String {
    const UNITS: [(f64, &str); 3] = [(1e9, "G"), (1e6, "M"), (1e3, "K")];
    let x = n as f64;
    for (scale, unit) in UNITS {
        if x >= scale {
            return format!("{} {unit}", three_digits(x / scale));
        }
    }
    n.to_string()
}

fn three_digits(x: f64) -> String {
    if x >= 99.95 {
        format!("{x:.0}")
    } else if x >= 9.995 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// `part` as a percentage of `total`: `60.5 %`, `0.06 %`, `0 %` (and `—` for a zero total).
#[must_use]
pub fn percent(part: u64, total: u64) -> String {
    if total == 0 {
        return "—".to_owned();
    }
    if part == 0 {
        return "0 %".to_owned();
    }
    let p = part as f64 / total as f64 * 100.0;
    if p >= 10.0 {
        format!("{p:.1} %")
    } else if p >= 0.01 {
        format!("{p:.2} %")
    } else {
        "< 0.01 %".to_owned()
    }
}

/// A probability in `[0, 1]` as a percentage with two decimals: `99.98 %`, `0.00 %`.
#[must_use]
pub fn probability(p: f32) -> String {
    format!("{:.2} %", p * 100.0)
}

/// A difference of two probabilities in percentage points, two decimals and a true minus
/// sign: `12.50`, `−0.31`.
#[must_use]
pub fn points(d: f32) -> String {
    let s = format!("{:.2}", d * 100.0);
    let s = if s == "-0.00" { "0.00".to_owned() } else { s };
    s.replace('-', "−")
}

/// `part / total` in `[0, 1]`, for bar widths.
#[must_use]
pub fn fraction(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (part as f64 / total as f64).clamp(0.0, 1.0)
    }
}

/// A value as the lecture writes it: whole numbers without decimals, others with at most
/// two (trailing zeros dropped), and a true minus sign.
#[must_use]
pub fn fmt_num(v: f32) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN".into()
        } else if v > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    let s = format!("{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    let s = if s == "-0" { "0" } else { s };
    s.replace('-', "−")
}

/// A decimal number as people type it (`0.5`, `.5`, `5.`, `+2`, `-1e-3`, `1.5E2`; an
/// ASCII or a true minus sign), correctly rounded to the nearest `f32`; `None` for anything
/// else — text around the number, `inf`, `NaN`, or a value beyond `f32`'s range.
///
/// It reads through serde_json's correctly rounded reader (the one every JSON file and
/// description goes through), so the wasm carries one decimal-to-float reader instead of two:
/// `str::parse` brings the standard library's, whose 10 KB table of powers of five does not
/// compress.
#[must_use]
pub fn parse_f32(text: &str) -> Option<f32> {
    serde_json::from_str(&json_number(text)?).ok()
}

/// [`parse_f32`] to the nearest `f64`.
#[must_use]
pub fn parse_f64(text: &str) -> Option<f64> {
    serde_json::from_str(&json_number(text)?).ok()
}

/// `text` as a JSON number with the same value, if it is a decimal number: an optional sign,
/// digits with an optional point (digits on at least one side of it), an optional exponent.
fn json_number(text: &str) -> Option<String> {
    let (negative, rest) = match text.strip_prefix(['-', '−']) {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 2);
    if negative {
        out.push('-');
    }
    let whole = whole.trim_start_matches('0');
    out.push_str(if whole.is_empty() { "0" } else { whole });
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    if let Some(e) = exponent {
        let unsigned = e.strip_prefix(['+', '-']).unwrap_or(e);
        if unsigned.is_empty() || !digits(unsigned) {
            return None;
        }
        out.push('e');
        out.push_str(e);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn probabilities_and_points() {
        assert_eq!(probability(0.99984), "99.98 %");
        assert_eq!(probability(0.0), "0.00 %");
        assert_eq!(points(0.125), "12.50");
        assert_eq!(points(-0.0031), "−0.31");
        assert_eq!(points(-0.00001), "0.00");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(34_944), "34,944");
        assert_eq!(thousands(61_100_840), "61,100,840");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn compact_keeps_three_significant_digits() {
        assert_eq!(compact(0), "0");
        assert_eq!(compact(999), "999");
        assert_eq!(compact(34_944), "34.9 K");
        assert_eq!(compact(105_415_200), "105 M");
        assert_eq!(compact(1_135_906_176), "1.14 G");
        assert_eq!(compact(15_470_264_320), "15.5 G");
    }

    #[test]
    fn percentages_scale_their_precision() {
        assert_eq!(percent(37_752_832, 62_378_344), "60.5 %");
        assert_eq!(percent(34_944, 62_378_344), "0.06 %");
        assert_eq!(percent(1, 62_378_344), "< 0.01 %");
        assert_eq!(percent(0, 10), "0 %");
        assert_eq!(percent(1, 0), "—");
        assert!((fraction(1, 4) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn numbers_read_like_the_lecture() {
        assert_eq!(fmt_num(4.0), "4");
        assert_eq!(fmt_num(0.982_013_8), "0.98");
        assert_eq!(fmt_num(-1.5), "−1.5");
        assert_eq!(fmt_num(-0.001), "0");
        assert_eq!(fmt_num(f32::NEG_INFINITY), "−∞");
    }

    #[test]
    fn typed_numbers_read_with_either_minus_and_nothing_else() {
        assert_eq!(parse_f32("0.98"), Some(0.98));
        assert_eq!(parse_f32(".5"), Some(0.5));
        assert_eq!(parse_f32("5."), Some(5.0));
        assert_eq!(parse_f32("+2"), Some(2.0));
        assert_eq!(parse_f32("−1.5"), Some(-1.5));
        assert_eq!(parse_f32("-1e-3"), Some(-0.001));
        assert_eq!(parse_f32("007"), Some(7.0));
        assert_eq!(parse_f32("1.5E+2"), Some(150.0));
        assert_eq!(parse_f32("-0").map(f32::to_bits), Some((-0.0f32).to_bits()));
        assert_eq!(parse_f64("0.1"), Some(0.1));
        for bad in [
            "", "-", "+", ".", "-.", "e5", "1e", "1e+", "1.2.3", " 1", "1 ", "1,5", "0x10", "inf",
            "-inf", "NaN", "infinity", "--1", "+-1", "1e5.0", "1f", "1e39",
        ] {
            assert_eq!(parse_f32(bad), None, "{bad:?}");
        }
        assert_eq!(parse_f64("1e39"), Some(1e39));
        assert_eq!(parse_f64("1e309"), None);
    }
}
