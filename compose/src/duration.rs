//! Compose durations (`1m30s`, `500ms`, `2h`): Go's time.ParseDuration
//! grammar, printed back as Go's Duration.String does, so `config` shows what
//! compose v2 shows.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration {
    pub nanos: i64,
}

pub fn parse(text: &str) -> Option<Duration> {
    let t = text.trim();
    if t == "0" {
        return Some(Duration { nanos: 0 });
    }
    let (neg, mut rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += value * scale;
    }
    let nanos = total.round() as i64;
    Some(Duration {
        nanos: if neg { -nanos } else { nanos },
    })
}

/// Go's `time.Duration.String()`.
impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut n = self.nanos.unsigned_abs();
        let sign = if self.nanos < 0 { "-" } else { "" };
        if n == 0 {
            return write!(f, "0s");
        }
        if n < 1_000_000_000 {
            let (unit, div) = if n < 1_000 {
                ("ns", 1)
            } else if n < 1_000_000 {
                ("µs", 1_000)
            } else {
                ("ms", 1_000_000)
            };
            return write!(f, "{sign}{}{unit}", frac(n, div));
        }
        let h = n / 3_600_000_000_000;
        n %= 3_600_000_000_000;
        let m = n / 60_000_000_000;
        n %= 60_000_000_000;
        let s = frac(n, 1_000_000_000);
        if h > 0 {
            write!(f, "{sign}{h}h{m}m{s}s")
        } else if m > 0 {
            write!(f, "{sign}{m}m{s}s")
        } else {
            write!(f, "{sign}{s}s")
        }
    }
}

/// `n / div` with the fraction's trailing zeros dropped.
fn frac(n: u64, div: u64) -> String {
    let whole = n / div;
    let rem = n % div;
    if rem == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{rem:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go_prints_them() {
        for (input, shown) in [
            ("90s", "1m30s"),
            ("1m30s", "1m30s"),
            ("1.5s", "1.5s"),
            ("500ms", "500ms"),
            ("2h", "2h0m0s"),
            ("10s", "10s"),
            ("0", "0s"),
            ("1h1s", "1h0m1s"),
        ] {
            assert_eq!(parse(input).unwrap().to_string(), shown, "{input}");
        }
    }

    #[test]
    fn text_that_is_no_duration_is_refused() {
        for bad in ["", "10", "10x", "s", "1.2.3s"] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
