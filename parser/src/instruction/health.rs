//! `HEALTHCHECK [opts] CMD ...` and `HEALTHCHECK NONE`.

use std::time::Duration;

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::digit1;
use nom::combinator::{opt, recognize};
use nom::multi::many1;
use serde::Serialize;

use super::Command;
use super::flags::{Kind, parse_flags};
use crate::ast::Node;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Healthcheck {
    /// Disable any check inherited from the base image.
    None,
    Check(HealthcheckOptions),
}

/// Unset options take the runtime defaults; zero also means "default".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthcheckOptions {
    /// `["CMD", ...]` (exec) or `["CMD-SHELL", cmd]` in the image config.
    pub test: Command,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub start_period: Option<Duration>,
    pub start_interval: Option<Duration>,
    pub retries: Option<u32>,
}

/// Go's `time.ParseDuration`: `300ms`, `1h30m`, `1.5s`, or a bare `0`.
pub(crate) fn parse_go_duration(s: &str) -> Option<Duration> {
    if s == "0" {
        return Some(Duration::ZERO);
    }
    let number = recognize((
        digit1::<&str, nom::error::Error<&str>>,
        opt((tag("."), opt(digit1))),
    ));
    let unit = alt((
        tag("ns"),
        tag("us"),
        tag("µs"),
        tag("ms"),
        tag("s"),
        tag("m"),
        tag("h"),
    ));
    let (rest, parts) = many1((number, unit)).parse(s).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    for (n, u) in parts {
        let n: f64 = n.parse().ok()?;
        let scale = match u {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            _ => 3600.0,
        };
        total += n * scale;
    }
    Duration::try_from_secs_f64(total).ok()
}

fn duration_flag(name: &str, value: Option<String>) -> Result<Option<Duration>, String> {
    let Some(v) = value else { return Ok(None) };
    let d = parse_go_duration(&v).ok_or_else(|| format!("time: invalid duration \"{v}\""))?;
    if !d.is_zero() && d < Duration::from_millis(1) {
        return Err(format!("Interval \"{name}\" cannot be less than 1ms"));
    }
    Ok(Some(d))
}

pub(super) fn parse(node: &Node, values: &[&str]) -> Result<Healthcheck, String> {
    let flags = parse_flags(
        &node.flags,
        &[
            ("interval", Kind::String),
            ("timeout", Kind::String),
            ("start-period", Kind::String),
            ("start-interval", Kind::String),
            ("retries", Kind::String),
        ],
    )?;
    let Some((typ, rest)) = values.split_first() else {
        return Err("HEALTHCHECK requires at least one argument".into());
    };
    match typ.to_ascii_uppercase().as_str() {
        "NONE" => {
            if !rest.is_empty() || !node.flags.is_empty() {
                return Err("HEALTHCHECK NONE takes no arguments".into());
            }
            Ok(Healthcheck::None)
        }
        "CMD" => {
            if rest.is_empty() {
                return Err("Missing command after HEALTHCHECK CMD".into());
            }
            let test = if node.json {
                Command::Exec(rest.iter().map(|s| s.to_string()).collect())
            } else {
                Command::Shell(rest.join(" "))
            };
            let retries = match flags.string("retries") {
                None => None,
                Some(r) => match r.parse::<i64>() {
                    Ok(n) if n < 0 => return Err("--retries cannot be negative".into()),
                    Ok(n) => {
                        Some(u32::try_from(n).map_err(|_| format!("--retries too large: {r}"))?)
                    }
                    Err(_) => return Err(format!("invalid value for --retries: {r}")),
                },
            };
            Ok(Healthcheck::Check(HealthcheckOptions {
                test,
                interval: duration_flag("--interval", flags.string("interval"))?,
                timeout: duration_flag("--timeout", flags.string("timeout"))?,
                start_period: duration_flag("--start-period", flags.string("start-period"))?,
                start_interval: duration_flag("--start-interval", flags.string("start-interval"))?,
                retries,
            }))
        }
        _ => Err(format!("Unknown type \"{typ}\" in HEALTHCHECK (try CMD)")),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_go_duration;
    use std::time::Duration;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_go_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_go_duration("5"), None);
        assert_eq!(parse_go_duration("5x"), None);
    }
}
