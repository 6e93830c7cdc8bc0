//! Restart policies, as docker spells them: `no`, `on-failure[:N]`,
//! `always`, `unless-stopped`. The monitor applies them; a stop or kill by
//! the user always wins.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestartPolicy {
    #[default]
    No,
    /// Restart after a non-zero exit, at most `max` times (`None`: no limit).
    OnFailure {
        max: Option<u32>,
    },
    Always,
    /// As `always` while strata runs containers; differs only across a
    /// daemon restart, which strata has none of.
    UnlessStopped,
}

impl RestartPolicy {
    /// Whether a run that ended with `code` is started again, after
    /// `restarts` restarts so far.
    pub fn should_restart(self, code: i32, restarts: u32, stopped_by_user: bool) -> bool {
        if stopped_by_user {
            return false;
        }
        match self {
            Self::No => false,
            Self::OnFailure { max } => code != 0 && max.is_none_or(|m| restarts < m),
            Self::Always | Self::UnlessStopped => true,
        }
    }

    /// The pause before restart number `n` (1-based): 100 ms, doubling, at
    /// most 10 s, so a crashing process does not spin.
    pub fn backoff(n: u32) -> Duration {
        let ms = 100u64.saturating_mul(1u64 << n.saturating_sub(1).min(10));
        Duration::from_millis(ms.min(10_000))
    }
}

impl std::str::FromStr for RestartPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "invalid restart policy {s:?}: use no, on-failure[:N], always or unless-stopped"
            )
        };
        match s.split_once(':') {
            None => match s {
                "no" | "" => Ok(Self::No),
                "on-failure" => Ok(Self::OnFailure { max: None }),
                "always" => Ok(Self::Always),
                "unless-stopped" => Ok(Self::UnlessStopped),
                _ => Err(bad()),
            },
            Some(("on-failure", n)) => {
                let max: u32 = n.parse().map_err(|_| bad())?;
                Ok(Self::OnFailure {
                    max: (max > 0).then_some(max),
                })
            }
            Some(_) => Err(bad()),
        }
    }
}

impl std::fmt::Display for RestartPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::No => f.write_str("no"),
            Self::OnFailure { max: None } => f.write_str("on-failure"),
            Self::OnFailure { max: Some(n) } => write!(f, "on-failure:{n}"),
            Self::Always => f.write_str("always"),
            Self::UnlessStopped => f.write_str("unless-stopped"),
        }
    }
}

impl Serialize for RestartPolicy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RestartPolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_as_docker_spells_them() {
        for text in [
            "no",
            "on-failure",
            "on-failure:3",
            "always",
            "unless-stopped",
        ] {
            assert_eq!(text.parse::<RestartPolicy>().unwrap().to_string(), text);
        }
        assert!("sometimes".parse::<RestartPolicy>().is_err());
        assert!("on-failure:x".parse::<RestartPolicy>().is_err());
        assert!("always:2".parse::<RestartPolicy>().is_err());
    }

    #[test]
    fn on_failure_counts_and_a_user_stop_wins() {
        let p: RestartPolicy = "on-failure:2".parse().unwrap();
        assert!(p.should_restart(1, 0, false));
        assert!(p.should_restart(1, 1, false));
        assert!(!p.should_restart(1, 2, false));
        assert!(!p.should_restart(0, 0, false));
        assert!(!RestartPolicy::Always.should_restart(0, 9, true));
        assert!(RestartPolicy::Always.should_restart(0, 9, false));
    }

    #[test]
    fn backoff_doubles_up_to_ten_seconds() {
        assert_eq!(RestartPolicy::backoff(1), Duration::from_millis(100));
        assert_eq!(RestartPolicy::backoff(2), Duration::from_millis(200));
        assert_eq!(RestartPolicy::backoff(40), Duration::from_secs(10));
    }
}
