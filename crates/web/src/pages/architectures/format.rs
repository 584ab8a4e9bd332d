//! Number formatting for the architectures page (no UI code).

pub use convscope_core::arch::thousands;

/// A count with an SI suffix and three significant digits: `34.9 K`, `105 M`, `1.08 G`.
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

/// `part / total` in `[0, 1]`, for bar widths.
pub fn fraction(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (part as f64 / total as f64).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
