//! `--annotation [TYPE[PLATFORM]:]KEY=VALUE` as buildx spells it: TYPE is
//! `manifest` (the default); `manifest[linux/arm64]:k=v` only annotates
//! that platform's manifest. buildx's other types (`index`, and the
//! descriptor ones) are refused for now: an export that compresses a
//! multi-platform build rewrites its index, which would drop them.

use std::collections::BTreeMap;
use std::str::FromStr;

use strata_store::Platform;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Only the manifest of this platform.
    pub platform: Option<Platform>,
    pub key: String,
    pub value: String,
}

impl FromStr for Annotation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (head, value) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?}: expected [TYPE:]KEY=VALUE"))?;
        // A key may hold ':' itself (`org.example:x`) only after a type.
        let (typ, key) = match head.split_once(':') {
            Some((t, k)) if is_type(t) => (Some(t), k),
            _ => (None, head),
        };
        if key.is_empty() {
            return Err(format!("{s:?}: the key is empty"));
        }
        let platform = match typ {
            None => None,
            Some(t) => {
                let (name, platform) = match t.split_once('[') {
                    Some((n, rest)) => {
                        let p = rest
                            .strip_suffix(']')
                            .ok_or_else(|| format!("{s:?}: unclosed [PLATFORM]"))?;
                        let p = p
                            .parse::<Platform>()
                            .map_err(|e| format!("{s:?}: platform {p:?}: {e}"))?;
                        (n, Some(p))
                    }
                    None => (t, None),
                };
                match name {
                    "manifest" => platform,
                    other => {
                        return Err(format!(
                            "{s:?}: annotation type {other} is not supported yet (only manifest)"
                        ));
                    }
                }
            }
        };
        Ok(Annotation {
            platform,
            key: key.to_string(),
            value: value.to_string(),
        })
    }
}

fn is_type(t: &str) -> bool {
    let name = t.split_once('[').map_or(t, |(n, _)| n);
    matches!(
        name,
        "manifest" | "index" | "manifest-descriptor" | "index-descriptor"
    )
}

/// The annotations of the manifest built for `platform`.
pub fn for_manifest(all: &[Annotation], platform: &Platform) -> BTreeMap<String, String> {
    all.iter()
        .filter(|a| {
            a.platform
                .as_ref()
                .is_none_or(|p| p.normalized() == platform.normalized())
        })
        .map(|a| (a.key.clone(), a.value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Result<(Option<String>, String, String), String> {
        s.parse::<Annotation>()
            .map(|a| (a.platform.map(|p| p.to_string()), a.key, a.value))
    }

    #[test]
    fn buildx_forms_parse() {
        assert_eq!(a("org.a=1"), Ok((None, "org.a".into(), "1".into())));
        assert_eq!(
            a("manifest:org.a=x=y"),
            Ok((None, "org.a".into(), "x=y".into()))
        );
        assert_eq!(
            a("manifest[linux/arm64]:k=v"),
            Ok((Some("linux/arm64".into()), "k".into(), "v".into())),
        );
        assert_eq!(
            a("urn:example:k=v"),
            Ok((None, "urn:example:k".into(), "v".into())),
            "a key with colons and no type"
        );
    }

    #[test]
    fn malformed_or_unsupported_forms_are_refused() {
        for bad in [
            "novalue",
            "=v",
            "manifest:=v",
            "index:k=v",
            "manifest-descriptor:k=v",
            "manifest[linux/amd64:k=v",
        ] {
            assert!(a(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_platform_qualified_annotation_reaches_only_that_manifest() {
        let all: Vec<Annotation> = ["k=all", "manifest[linux/arm64]:arm=1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let amd: Platform = "linux/amd64".parse().unwrap();
        let arm: Platform = "linux/arm64".parse().unwrap();
        assert_eq!(for_manifest(&all, &amd).len(), 1);
        assert_eq!(for_manifest(&all, &arm).len(), 2);
    }
}
