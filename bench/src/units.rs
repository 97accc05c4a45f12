//! Numbers for people: times, rates, sizes, ratios.

/// `u64` to `f64` (exact below 2^53, which every byte count here is).
#[must_use]
#[allow(clippy::as_conversions, clippy::cast_precision_loss)]
pub const fn to_f64(x: u64) -> f64 {
    x as f64
}

/// A time in nanoseconds: `812 ns`, `1.23 µs`, `45.6 ms`, `2.31 s`.
#[must_use]
pub fn time(ns: f64) -> String {
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", three_digits(value))
}

/// A rate in bytes per second, in MB/s (10^6 bytes): `2052 MB/s`.
#[must_use]
pub fn rate(bytes_per_second: f64) -> String {
    format!("{} MB/s", three_digits(bytes_per_second / 1e6))
}

/// A ratio: `0.98×`.
#[must_use]
pub fn ratio(x: f64) -> String {
    format!("{x:.2}×")
}

/// A fraction as a percentage: `4.2 %`.
#[must_use]
pub fn percent(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// At least three significant digits, no more decimals than that needs.
fn three_digits(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::unreachable
)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(time(812.4), "812 ns");
        assert_eq!(time(1234.0), "1.23 µs");
        assert_eq!(time(45_600_000.0), "45.6 ms");
        assert_eq!(time(2.314e9), "2.31 s");
        assert_eq!(rate(2.0524e9), "2052 MB/s");
        assert_eq!(rate(5.5e7), "55.0 MB/s");
        assert_eq!(ratio(0.9849), "0.98×");
        assert_eq!(percent(0.042), "4.2 %");
        assert_eq!(to_f64(1 << 30), 1_073_741_824.0);
    }
}
