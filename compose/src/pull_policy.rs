//! A service's `pull_policy` (compose-spec 05-services.md): when `up`
//! pulls the service's image, and whether a `build` section builds it
//! every time. The schema's pattern is not anchored (`xalways` passes it),
//! so the loader checks each value against the whole grammar here and
//! reports a bad one at its key's line and column.

use std::time::Duration;

use crate::error::LoadError;
use crate::node::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull on every `up`, so a moved tag is followed.
    Always,
    /// Never pull: the store must have the image.
    Never,
    /// Pull when the store lacks the image (`if_not_present` too); the
    /// default.
    Missing,
    /// Build the image on every `up`; never pull it.
    Build,
    /// Pull when the last pull is older than this (`daily`, `weekly`,
    /// `every_<duration>`), or the store lacks the image.
    Refresh(Duration),
}

const DAY: u64 = 24 * 60 * 60;

impl PullPolicy {
    /// The policy a value names; the error says what it may be.
    pub fn parse(text: &str) -> Result<PullPolicy, String> {
        let policy = match text {
            "always" => PullPolicy::Always,
            "never" => PullPolicy::Never,
            "missing" | "if_not_present" => PullPolicy::Missing,
            "build" => PullPolicy::Build,
            "daily" => PullPolicy::Refresh(Duration::from_secs(DAY)),
            "weekly" => PullPolicy::Refresh(Duration::from_secs(7 * DAY)),
            _ => match text.strip_prefix("every_").map(refresh_interval) {
                Some(Some(d)) => PullPolicy::Refresh(d),
                Some(None) => {
                    return Err(format!(
                        "invalid pull_policy {text:?}: every_ takes a duration of weeks (w), days (d), hours (h), minutes (m) and seconds (s), such as every_12h or every_1d12h"
                    ));
                }
                None => {
                    return Err(format!(
                        "invalid pull_policy {text:?}: expected always, never, missing, if_not_present, build, daily, weekly or every_<duration>"
                    ));
                }
            },
        };
        Ok(policy)
    }

    /// The service's policy as the model holds it (None: the default).
    pub fn of(value: Option<&str>) -> Result<PullPolicy, String> {
        value.map_or(Ok(PullPolicy::Missing), PullPolicy::parse)
    }
}

/// `1w2d3h4m5s`: one or more number-unit pairs, none zero in total.
fn refresh_interval(text: &str) -> Option<Duration> {
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'w' => 7 * DAY,
            'd' => DAY,
            'h' => 60 * 60,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        let n: u64 = digits.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        digits.clear();
    }
    (digits.is_empty() && total > 0).then(|| Duration::from_secs(total))
}

/// Every `services.*.pull_policy` of one file's tree. A value still holding
/// a `$` (not interpolated: `config --no-interpolate`) and a non-string
/// (the schema's to report) are left alone.
pub(crate) fn check(doc: &Node) -> Result<(), LoadError> {
    let Some(services) = doc.get("services").and_then(Node::as_map) else {
        return Ok(());
    };
    for (name, svc) in services {
        let Some(value) = svc.get("pull_policy") else {
            continue;
        };
        let Some(text) = value.as_str() else {
            continue;
        };
        if text.contains('$') {
            continue;
        }
        if let Err(message) = PullPolicy::parse(text) {
            return Err(LoadError::new(message)
                .at_line(value.key_pos.line)
                .at_column(value.key_pos.col)
                .at_path(format!("services.{name}.pull_policy")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_values_parse() {
        assert_eq!(PullPolicy::parse("always"), Ok(PullPolicy::Always));
        assert_eq!(PullPolicy::parse("if_not_present"), Ok(PullPolicy::Missing));
        assert_eq!(PullPolicy::parse("build"), Ok(PullPolicy::Build));
        assert_eq!(
            PullPolicy::parse("weekly"),
            Ok(PullPolicy::Refresh(Duration::from_secs(7 * DAY)))
        );
    }

    #[test]
    fn every_takes_a_combined_duration() {
        // compose-go's TestPullRefreshAfter: every_2d is 48 hours.
        assert_eq!(
            PullPolicy::parse("every_2d"),
            Ok(PullPolicy::Refresh(Duration::from_secs(2 * DAY)))
        );
        assert_eq!(
            PullPolicy::parse("every_1h30m"),
            Ok(PullPolicy::Refresh(Duration::from_secs(5400)))
        );
        for bad in ["every_", "every_12", "every_h", "every_0s", "every_5y"] {
            assert!(PullPolicy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_value_the_unanchored_schema_pattern_lets_through_is_refused() {
        assert!(PullPolicy::parse("xalways").is_err());
        assert!(PullPolicy::parse("Always").is_err());
        assert!(PullPolicy::parse("refresh").is_err());
    }
}
