//! Sizes as people write them: `512MB`, `1.5GiB`, `20g`, `4096` (bytes).
//! One type, [`ByteSize`] (bytes), read by one of the two rules docker
//! uses, both from go-units, so each flag means what it means in docker:
//!
//! - [`ByteSize::from_str`] is go-units `FromHumanSize`, for cache and
//!   storage sizes (`--keep-storage`, `--cache-limit`, `--max-layer-size`):
//!   `k`, `m`, `g`, `t` (with or without `b`) are powers of 1000, `ki`,
//!   `mi`, `gi`, `ti` (with or without `b`) powers of 1024: `1GB` is 10^9,
//!   `1GiB` 2^30.
//! - [`ByteSize::parse_binary`] is go-units `RAMInBytes`, for memory
//!   (`--memory`) and `RUN --mount=type=tmpfs,size=`: every unit `b`, `k`,
//!   `m`, `g`, `t`, `p` (optionally followed by `b` or `ib`) is a power of
//!   1024: `1g`, `1gb` and `1GiB` are all 2^30.
//!
//! Both ignore case. Shown to people, a size is in powers of 1000
//! (`1.5MB`), as docker prints them.

use std::fmt;
use std::str::FromStr;

/// A number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// go-units `RAMInBytes`: binary multiples for every unit (see the
    /// module's rule). An integer is exact; a fraction is truncated.
    pub fn parse_binary(s: &str) -> Result<ByteSize, BadSize> {
        let bad = || BadSize(s.to_string());
        let lower = s.trim().to_ascii_lowercase();
        let digits_end = lower
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(lower.len());
        let (num, unit) = lower.split_at(digits_end);
        let unit = unit.trim();
        let unit = unit
            .strip_suffix("ib")
            .or_else(|| unit.strip_suffix('b'))
            .unwrap_or(unit);
        let shift = match unit {
            "" => 0,
            "k" => 10,
            "m" => 20,
            "g" => 30,
            "t" => 40,
            "p" => 50,
            _ => return Err(bad()),
        };
        if let Ok(n) = num.parse::<u64>() {
            return n.checked_mul(1 << shift).map(ByteSize).ok_or_else(bad);
        }
        let n: f64 = num.parse().map_err(|_| bad())?;
        let bytes = n * (1u64 << shift) as f64;
        if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
            return Err(bad());
        }
        Ok(ByteSize(bytes as u64))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a size (examples: 4096, 512MB, 1.5GiB)")]
pub struct BadSize(pub String);

impl FromStr for ByteSize {
    type Err = BadSize;

    fn from_str(s: &str) -> Result<Self, BadSize> {
        let bad = || BadSize(s.to_string());
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let num: f64 = num.parse().map_err(|_| bad())?;
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" => 1_000,
            "m" | "mb" => 1_000_000,
            "g" | "gb" => 1_000_000_000,
            "t" | "tb" => 1_000_000_000_000,
            "ki" | "kib" => 1 << 10,
            "mi" | "mib" => 1 << 20,
            "gi" | "gib" => 1 << 30,
            "ti" | "tib" => 1 << 40,
            _ => return Err(bad()),
        };
        let bytes = num * mult as f64;
        if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
            return Err(bad());
        }
        Ok(ByteSize(bytes.round() as u64))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
        let mut v = self.0 as f64;
        let mut unit = 0;
        while v >= 1000.0 && unit < UNITS.len() - 1 {
            v /= 1000.0;
            unit += 1;
        }
        if unit == 0 {
            write!(f, "{}B", self.0)
        } else {
            write!(f, "{v:.1}{}", UNITS[unit])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_decimal_and_binary_units() {
        let p = |s: &str| s.parse::<ByteSize>().map(|b| b.0);
        assert_eq!(p("4096"), Ok(4096));
        assert_eq!(p("512MB"), Ok(512_000_000));
        assert_eq!(p("1.5GiB"), Ok(3 << 29));
        assert_eq!(p("20g"), Ok(20_000_000_000));
        assert_eq!(p(" 1 kb "), Ok(1000));
        assert!(p("").is_err());
        assert!(p("MB").is_err());
        assert!(p("12 parsecs").is_err());
        assert!(p("-1").is_err());
    }

    #[test]
    fn memory_sizes_are_binary_in_every_unit() {
        let p = |s: &str| ByteSize::parse_binary(s).map(|b| b.0);
        assert_eq!(p("512"), Ok(512));
        assert_eq!(p("64m"), Ok(64 << 20));
        assert_eq!(p("1g"), Ok(1 << 30), "docker's --memory 1g");
        assert_eq!(p("1G"), Ok(1 << 30));
        assert_eq!(p("1gb"), Ok(1 << 30));
        assert_eq!(p("1GiB"), Ok(1 << 30));
        assert_eq!(p("2kb"), Ok(2048));
        assert_eq!(p("1.5k"), Ok(1536));
        assert_eq!(p("1p"), Ok(1 << 50));
        assert!(p("12x").is_err());
        assert!(p("m").is_err());
        assert!(p("").is_err());
        assert!(p("99999999999999999999g").is_err());
    }

    #[test]
    fn the_two_rules_differ_only_in_what_a_decimal_unit_means() {
        let human = |s: &str| s.parse::<ByteSize>().unwrap().0;
        let ram = |s: &str| ByteSize::parse_binary(s).unwrap().0;
        assert_eq!(human("1GB"), 1_000_000_000, "docker's --keep-storage 1GB");
        assert_eq!(ram("1GB"), 1 << 30);
        assert_eq!(human("1GiB"), ram("1GiB"));
        assert_eq!(human("4096"), ram("4096"));
    }

    #[test]
    fn sizes_print_for_people() {
        assert_eq!(ByteSize(999).to_string(), "999B");
        assert_eq!(ByteSize(1_500_000).to_string(), "1.5MB");
    }
}
