//! `build --allow ENTITLEMENT`, spelled as buildx spells it:
//! `security.insecure`, `network.host`, `device` (every CDI device) or
//! `device=NAME[,alias=ALIAS]` (the devices NAME resolves to).

use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entitlement {
    SecurityInsecure,
    NetworkHost,
    /// The text after `device=` (empty for bare `device`: every device),
    /// checked as
    /// BuildKit's ParseDevicesConfig checks it.
    Device(String),
}

impl FromStr for Entitlement {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (key, rest) = s.split_once('=').unwrap_or((s, ""));
        match key {
            "security.insecure" if rest.is_empty() && !s.contains('=') => {
                Ok(Entitlement::SecurityInsecure)
            }
            "network.host" if rest.is_empty() && !s.contains('=') => Ok(Entitlement::NetworkHost),
            "device" => {
                strata_cdi::DeviceGrants::default()
                    .add(rest)
                    .map_err(|e| e.to_string())?;
                Ok(Entitlement::Device(rest.to_string()))
            }
            _ => Err(format!(
                "unknown entitlement {s} (security.insecure, network.host, device, device=NAME[,alias=ALIAS])"
            )),
        }
    }
}

/// The device grants of all `--allow device...` flags, merged.
pub fn device_grants(allow: &[Entitlement]) -> strata_cdi::DeviceGrants {
    let mut grants = strata_cdi::DeviceGrants::default();
    for e in allow {
        if let Entitlement::Device(config) = e {
            // Checked when the flag was parsed.
            let _ = grants.add(config);
        }
    }
    grants
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_entitlements_parse() {
        assert_eq!("network.host".parse(), Ok(Entitlement::NetworkHost));
        assert_eq!(
            "security.insecure".parse(),
            Ok(Entitlement::SecurityInsecure)
        );
        assert_eq!("device".parse(), Ok(Entitlement::Device(String::new())));
        assert_eq!(
            "device=vendor1.com/device=foo,alias=gpu".parse(),
            Ok(Entitlement::Device(
                "vendor1.com/device=foo,alias=gpu".into()
            ))
        );
    }

    #[test]
    fn unknown_ones_and_bad_device_configs_are_refused() {
        assert!(
            "network.hots"
                .parse::<Entitlement>()
                .unwrap_err()
                .contains("unknown entitlement")
        );
        assert!("network.host=1".parse::<Entitlement>().is_err());
        assert!("device=x,color=red".parse::<Entitlement>().is_err());
        // BuildKit's ParseDevicesConfig reads an empty config as "all".
        assert_eq!("device=".parse(), Ok(Entitlement::Device(String::new())));
    }

    #[test]
    fn device_grants_merge() {
        let g = device_grants(&[
            Entitlement::NetworkHost,
            Entitlement::Device("a.com/b=c".into()),
            Entitlement::Device("a.com/b=d,alias=x".into()),
        ]);
        assert!(!g.all);
        assert_eq!(g.devices.len(), 2);
    }
}
