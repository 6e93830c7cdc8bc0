//! The `device` entitlement (BuildKit's util/entitlements and
//! solver/llbsolver/vertex.go ValidateEntitlements): `--allow device`
//! grants every device; `--allow device=NAME` the devices NAME resolves to;
//! `--allow device=NAME,alias=ALIAS` lets a step ask for ALIAS and get
//! NAME's devices. Devices annotated autoallow need no grant.

use std::collections::BTreeMap;

use crate::error::Error;
use crate::registry::Registry;
use crate::request::{DeviceRequest, csv_fields};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceGrants {
    pub all: bool,
    /// Granted name → the name an alias stands for ("" for no alias).
    pub devices: BTreeMap<String, String>,
}

impl DeviceGrants {
    /// Adds one `--allow device[=...]` (the text after `device`, without
    /// its `=`; empty for bare `device`).
    pub fn add(&mut self, config: &str) -> Result<(), Error> {
        if config.is_empty() {
            self.all = true;
            return Ok(());
        }
        let fields = csv_fields(config)?;
        let name = fields[0].clone();
        if name.is_empty() {
            return Err(Error::Flag(format!("device={config}: no device name")));
        }
        let mut alias = None;
        for field in &fields[1..] {
            match field.split_once('=') {
                Some(("alias", v)) => alias = Some(v.to_string()),
                Some((k, _)) => {
                    return Err(Error::Flag(format!("unknown device config key {k:?}")));
                }
                None => return Err(Error::Flag(format!("invalid device config {field:?}"))),
            }
        }
        match alias.filter(|a| !a.is_empty()) {
            Some(a) => self.devices.insert(a, name),
            None => self.devices.insert(name, String::new()),
        };
        Ok(())
    }
}

/// The devices a step gets.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Qualified names, each once, in the order asked.
    pub devices: Vec<String>,
    /// Optional devices no spec defines.
    pub warnings: Vec<String>,
}

/// Resolves a step's requests and checks them against the grants.
pub fn select(
    registry: &Registry,
    requests: &[DeviceRequest],
    grants: &DeviceGrants,
) -> Result<Selection, Error> {
    let mut sel = Selection::default();
    // An aliased request is renamed and allowed as it stands: the grant
    // named it.
    let mut aliased = Vec::new();
    let mut plain = Vec::new();
    for r in requests {
        match grants.devices.get(&r.name).filter(|n| !n.is_empty()) {
            Some(target) if !grants.all => aliased.push(DeviceRequest {
                name: target.clone(),
                required: r.required,
            }),
            _ => plain.push(r.clone()),
        }
    }
    let mounted = find_all(registry, &plain, &mut sel.warnings)?;
    if !grants.all {
        let granted: Vec<String> = grants
            .devices
            .keys()
            .flat_map(|g| registry.find(g))
            .collect();
        let forbidden: Vec<String> = mounted
            .iter()
            .filter(|d| !granted.contains(d) && !registry.auto_allowed(d))
            .cloned()
            .collect();
        if !forbidden.is_empty() {
            return Err(Error::Forbidden(forbidden));
        }
    }
    let mut all = find_all(registry, &aliased, &mut sel.warnings)?;
    all.extend(mounted);
    for d in all {
        if !sel.devices.contains(&d) {
            sel.devices.push(d);
        }
    }
    Ok(sel)
}

fn find_all(
    registry: &Registry,
    requests: &[DeviceRequest],
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for r in requests {
        let found = registry.find(&r.name);
        if found.is_empty() {
            if r.required {
                return Err(Error::NotRegistered {
                    name: r.name.clone(),
                    hint: registry.problem_hint(),
                });
            }
            warnings.push(format!("optional device {:?} is not registered", r.name));
        }
        out.extend(found);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BuildKit's client_cdi_test.go fixtures: two devices of one kind,
    /// one of them autoallowed, one with a class annotation.
    fn registry() -> (tempfile::TempDir, Registry) {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("vendor1-device.yaml"),
            "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\ndevices:\n- name: foo\n  annotations:\n    org.mobyproject.buildkit.device.autoallow: true\n  containerEdits: {env: [FOO=injected]}\n- name: bar\n  annotations:\n    org.mobyproject.buildkit.device.class: class1\n  containerEdits: {env: [BAR=injected]}\n",
        )
        .unwrap();
        let reg = Registry::load(&[d.path().to_path_buf()]);
        (d, reg)
    }

    fn req(name: &str) -> DeviceRequest {
        DeviceRequest {
            name: name.into(),
            required: true,
        }
    }

    fn grants(args: &[&str]) -> DeviceGrants {
        let mut g = DeviceGrants::default();
        for a in args {
            g.add(a).unwrap();
        }
        g
    }

    #[test]
    fn an_autoallowed_device_needs_no_grant() {
        let (_d, reg) = registry();
        let sel = select(&reg, &[req("vendor1.com/device=foo")], &grants(&[])).unwrap();
        assert_eq!(sel.devices, ["vendor1.com/device=foo"]);
    }

    #[test]
    fn an_ungranted_device_is_forbidden_by_name() {
        let (_d, reg) = registry();
        let e = select(&reg, &[req("vendor1.com/device=bar")], &grants(&[])).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("vendor1.com/device=bar") && msg.contains("--allow device"),
            "{msg}"
        );
    }

    #[test]
    fn a_named_grant_allows_just_that_device() {
        let (_d, reg) = registry();
        let g = grants(&["vendor1.com/device=bar"]);
        assert!(select(&reg, &[req("vendor1.com/device=bar")], &g).is_ok());
        let g = grants(&["vendor1.com/device=foo"]);
        assert!(select(&reg, &[req("vendor1.com/device=*")], &g).is_err());
        assert_eq!(
            select(&reg, &[req("vendor1.com/device=*")], &grants(&[""]))
                .unwrap()
                .devices,
            ["vendor1.com/device=bar", "vendor1.com/device=foo"]
        );
    }

    #[test]
    fn an_alias_stands_for_its_device() {
        let (_d, reg) = registry();
        let g = grants(&["vendor1.com/device=bar,alias=gpu"]);
        assert_eq!(
            select(&reg, &[req("gpu")], &g).unwrap().devices,
            ["vendor1.com/device=bar"]
        );
    }

    #[test]
    fn the_class_annotation_selects() {
        let (_d, reg) = registry();
        let sel = select(&reg, &[req("class1")], &grants(&[""])).unwrap();
        assert_eq!(sel.devices, ["vendor1.com/device=bar"]);
    }

    #[test]
    fn optional_missing_warns_and_required_missing_fails() {
        let (_d, reg) = registry();
        let mut optional = req("vendor1.com/device=baz");
        optional.required = false;
        let sel = select(&reg, &[optional], &grants(&[])).unwrap();
        assert!(sel.devices.is_empty() && sel.warnings[0].contains("baz"));
        let e = select(&reg, &[req("vendor1.com/device=baz")], &grants(&[])).unwrap_err();
        assert!(
            e.to_string()
                .contains("required device \"vendor1.com/device=baz\"")
        );
    }

    #[test]
    fn grant_flags_parse_like_buildkits() {
        assert!(grants(&[""]).all);
        let g = grants(&["vendor1.com/device=foo,alias=x"]);
        assert_eq!(
            g.devices.get("x").map(String::as_str),
            Some("vendor1.com/device=foo")
        );
        assert!(DeviceGrants::default().add("a,color=red").is_err());
        assert!(DeviceGrants::default().add("a,loose").is_err());
    }
}
