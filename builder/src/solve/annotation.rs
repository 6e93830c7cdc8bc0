//! `--annotation [TYPE[PLATFORM]:]KEY=VALUE` as buildx spells it (and
//! BuildKit's exporter places it, exporter/containerimage): TYPE is
//! `manifest` (the default: each image manifest), `manifest-descriptor`
//! (the image index's descriptor of each manifest), `index` (the image
//! index itself) or `index-descriptor` (the OCI layout's descriptor of the
//! index). `[PLATFORM]` narrows the two manifest types to one platform's
//! image; the index types have one index, so they take none. The index
//! types need an index: a build for one platform makes none, and that is
//! an error before anything is built, as BuildKit's exporter fails.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use strata_store::{Annotations, Platform};

/// Where an annotation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnotationKind {
    Manifest,
    ManifestDescriptor,
    Index,
    IndexDescriptor,
}

impl AnnotationKind {
    fn parse(name: &str) -> Option<AnnotationKind> {
        Some(match name {
            "manifest" => AnnotationKind::Manifest,
            "manifest-descriptor" => AnnotationKind::ManifestDescriptor,
            "index" => AnnotationKind::Index,
            "index-descriptor" => AnnotationKind::IndexDescriptor,
            _ => return None,
        })
    }

    /// Whether it lands on (or beside) an image index.
    pub fn needs_index(self) -> bool {
        matches!(
            self,
            AnnotationKind::Index | AnnotationKind::IndexDescriptor
        )
    }
}

impl fmt::Display for AnnotationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AnnotationKind::Manifest => "manifest",
            AnnotationKind::ManifestDescriptor => "manifest-descriptor",
            AnnotationKind::Index => "index",
            AnnotationKind::IndexDescriptor => "index-descriptor",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub kind: AnnotationKind,
    /// Only the manifest (or manifest descriptor) of this platform.
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
        let (kind, platform) = match typ {
            None => (AnnotationKind::Manifest, None),
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
                let kind = AnnotationKind::parse(name)
                    .ok_or_else(|| format!("{s:?}: unknown annotation type {name}"))?;
                if kind.needs_index() && platform.is_some() {
                    return Err(format!(
                        "{s:?}: an {kind} annotation takes no [PLATFORM]: a build has one index"
                    ));
                }
                (kind, platform)
            }
        };
        Ok(Annotation {
            kind,
            platform,
            key: key.to_string(),
            value: value.to_string(),
        })
    }
}

/// A known type, or anything with a `[PLATFORM]` (no key has one), so a
/// misspelt type there is an error rather than part of a key. A bare
/// unknown prefix stays part of the key (`urn:example:k`).
fn is_type(t: &str) -> bool {
    t.contains('[') || AnnotationKind::parse(t).is_some()
}

/// The first annotation that needs an image index, for a build that makes
/// none (one platform): buildx's builds fail on it.
pub fn needing_index(all: &[Annotation]) -> Option<&Annotation> {
    all.iter().find(|a| a.kind.needs_index())
}

/// The first annotation whose `[PLATFORM]` is none of the platforms
/// `built`: buildx fails such a build rather than drop the annotation.
pub fn for_unbuilt_platform<'a>(
    all: &'a [Annotation],
    built: &[Platform],
) -> Option<&'a Annotation> {
    all.iter().find(|a| {
        a.platform
            .as_ref()
            .is_some_and(|want| !built.iter().any(|p| p.normalized() == want.normalized()))
    })
}

fn of_kind(all: &[Annotation], kind: AnnotationKind, platform: Option<&Platform>) -> Annotations {
    all.iter()
        .filter(|a| a.kind == kind)
        .filter(|a| match (&a.platform, platform) {
            (None, _) => true,
            (Some(want), Some(p)) => want.normalized() == p.normalized(),
            (Some(_), None) => false,
        })
        .map(|a| (a.key.clone(), a.value.clone()))
        .collect()
}

/// The annotations of the manifest built for `platform`.
pub fn for_manifest(all: &[Annotation], platform: &Platform) -> BTreeMap<String, String> {
    of_kind(all, AnnotationKind::Manifest, Some(platform))
        .as_map()
        .clone()
}

/// The annotations of the descriptor that names `platform`'s manifest (in
/// the image index; in the OCI layout for a single-platform build).
pub fn for_manifest_descriptor(all: &[Annotation], platform: &Platform) -> Annotations {
    of_kind(all, AnnotationKind::ManifestDescriptor, Some(platform))
}

/// The annotations of the image index itself.
pub fn for_index(all: &[Annotation]) -> Annotations {
    of_kind(all, AnnotationKind::Index, None)
}

/// The annotations of the descriptor that names the index.
pub fn for_index_descriptor(all: &[Annotation]) -> Annotations {
    of_kind(all, AnnotationKind::IndexDescriptor, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = (AnnotationKind, Option<String>, String, String);

    fn a(s: &str) -> Result<Parsed, String> {
        s.parse::<Annotation>()
            .map(|a| (a.kind, a.platform.map(|p| p.to_string()), a.key, a.value))
    }

    #[test]
    fn buildx_forms_parse() {
        use AnnotationKind::*;
        assert_eq!(
            a("org.a=1"),
            Ok((Manifest, None, "org.a".into(), "1".into()))
        );
        assert_eq!(
            a("manifest:org.a=x=y"),
            Ok((Manifest, None, "org.a".into(), "x=y".into()))
        );
        assert_eq!(
            a("manifest[linux/arm64]:k=v"),
            Ok((Manifest, Some("linux/arm64".into()), "k".into(), "v".into())),
        );
        assert_eq!(
            a("urn:example:k=v"),
            Ok((Manifest, None, "urn:example:k".into(), "v".into())),
            "a key with colons and no type"
        );
        assert_eq!(a("index:k=v"), Ok((Index, None, "k".into(), "v".into())));
        assert_eq!(
            a("index-descriptor:k=v"),
            Ok((IndexDescriptor, None, "k".into(), "v".into()))
        );
        assert_eq!(
            a("manifest-descriptor[linux/arm64]:k=v"),
            Ok((
                ManifestDescriptor,
                Some("linux/arm64".into()),
                "k".into(),
                "v".into()
            )),
        );
    }

    #[test]
    fn malformed_forms_are_refused() {
        for bad in [
            "novalue",
            "=v",
            "manifest:=v",
            "index[linux/amd64]:k=v",
            "index-descriptor[linux/amd64]:k=v",
            "manifest[linux/amd64:k=v",
            "manifest[not/a/real/platform/at/all]:k=v",
            "manifests[linux/amd64]:k=v",
        ] {
            assert!(a(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_kind_reaches_only_its_place() {
        let all: Vec<Annotation> = [
            "k=all",
            "manifest[linux/arm64]:arm=1",
            "manifest-descriptor:d=1",
            "manifest-descriptor[linux/amd64]:amd=1",
            "index:i=1",
            "index-descriptor:id=1",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let amd: Platform = "linux/amd64".parse().unwrap();
        let arm: Platform = "linux/arm64".parse().unwrap();
        assert_eq!(for_manifest(&all, &amd).len(), 1);
        assert_eq!(for_manifest(&all, &arm).len(), 2);
        assert_eq!(for_manifest_descriptor(&all, &amd).get("amd"), Some("1"));
        assert_eq!(for_manifest_descriptor(&all, &arm).get("amd"), None);
        assert_eq!(for_manifest_descriptor(&all, &arm).get("d"), Some("1"));
        assert_eq!(for_index(&all).iter().collect::<Vec<_>>(), [("i", "1")]);
        assert_eq!(
            for_index_descriptor(&all).iter().collect::<Vec<_>>(),
            [("id", "1")]
        );
        assert_eq!(needing_index(&all).map(|a| a.key.as_str()), Some("i"));
        assert!(needing_index(&all[..4]).is_none());
    }

    #[test]
    fn an_annotation_for_a_platform_not_built_is_found() {
        let all: Vec<Annotation> = [
            "org.example.every=1",
            "manifest[linux/aarch64]:org.example.arm=1",
            "manifest-descriptor[linux/s390x]:org.example.ibm=1",
        ]
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
        assert_eq!(all.len(), 3);
        let arm: Platform = "linux/arm64".parse().unwrap_or_else(|_| Platform::host());
        let s390x: Platform = "linux/s390x".parse().unwrap_or_else(|_| Platform::host());
        let found = for_unbuilt_platform(&all, std::slice::from_ref(&arm));
        assert_eq!(found.map(|a| a.key.as_str()), Some("org.example.ibm"));
        assert_eq!(for_unbuilt_platform(&all, &[arm, s390x]), None);
    }
}
