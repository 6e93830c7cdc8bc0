//! `os/architecture[/variant]`, parsed and normalized as containerd's
//! platforms package does (the rules BuildKit, docker and skopeo share).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::arch::Arch;

/// An OCI platform, with the field names of an image index's `platform`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid platform {0:?}: expected OS/ARCH[/VARIANT], e.g. linux/amd64")]
pub struct PlatformError(pub String);

fn lower_or_none(s: Option<&str>) -> Option<String> {
    s.filter(|v| !v.is_empty()).map(str::to_ascii_lowercase)
}

/// containerd's normalizeArch: the OCI name and the variant it implies.
fn normalize_arch(arch: &str, variant: Option<&str>) -> (String, Option<String>) {
    let arch = arch.to_ascii_lowercase();
    let mut variant = lower_or_none(variant);
    // "7" and "v7", "8.0" and "v8": variants are written with a v.
    if let Some(v) = &variant
        && v.starts_with(|c: char| c.is_ascii_digit())
    {
        variant = Some(format!("v{v}"));
    }
    match arch.as_str() {
        "armhf" => return ("arm".into(), Some("v7".into())),
        "armel" => return ("arm".into(), Some("v6".into())),
        "i386" | "i686" | "x86" => return ("386".into(), None),
        _ => {}
    }
    let Some(row) = Arch::lookup(&arch) else {
        return (arch, variant);
    };
    if let Some(v) = &variant
        && let Some(major) = v.strip_suffix(".0")
        && row.oci == "arm64"
        && major != "v8"
    {
        variant = Some(major.to_owned());
    }
    if variant
        .as_deref()
        .is_some_and(|v| row.implied_variants.contains(&v))
    {
        variant = None;
    }
    if variant.is_none() {
        variant = row.default_variant.map(str::to_owned);
    }
    (row.oci.to_owned(), variant)
}

fn normalize_os(os: &str) -> String {
    match os.to_ascii_lowercase().as_str() {
        "macos" => "darwin".into(),
        other => other.into(),
    }
}

impl Platform {
    /// The platform this binary runs on.
    pub fn host() -> Platform {
        Platform {
            os: "linux".to_owned(),
            architecture: Arch::host().oci.to_owned(),
            variant: None,
        }
    }

    /// Builds a platform from an index's or a config's fields, normalized
    /// as [`Platform::from_str`] would.
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
        let (architecture, variant) = parse_arch(architecture, variant);
        Platform {
            os: normalize_os(os),
            architecture,
            variant,
        }
    }

    /// containerd's Normalize: the form two platforms are compared in
    /// (`arm` is `arm/v7`, `arm64/v8` is `arm64`, `x86_64` is `amd64`).
    pub fn normalized(&self) -> Platform {
        let (architecture, variant) = normalize_arch(&self.architecture, self.variant.as_deref());
        Platform {
            os: normalize_os(&self.os),
            architecture,
            variant,
        }
    }

    /// Whether an image for `have` serves a request for `self`: equal once
    /// normalized, where a request without a variant takes any variant
    /// (arm64 images are published as arm64/v8 and as arm64).
    pub fn matches(&self, have: &Platform) -> bool {
        let want = self.normalized();
        let have = have.normalized();
        let explicit_variant = Platform::new(&self.os, &self.architecture, None) != *self;
        want.os == have.os
            && want.architecture == have.architecture
            && (want.variant == have.variant
                || (!explicit_variant
                    && Arch::lookup(&want.architecture)
                        .is_none_or(|a| a.default_variant.is_none())))
    }

    /// The table's row for this architecture, if strata knows it.
    pub fn arch(&self) -> Option<&'static Arch> {
        Arch::lookup(&self.architecture)
    }

    /// True when programs of this platform run on this machine without
    /// emulation.
    pub fn is_native(&self) -> bool {
        self.os == "linux" && self.arch().is_some_and(|a| Arch::host().runs_natively(a))
    }
}

/// containerd's Parse: normalized names, but a variant the user wrote out
/// is kept (`linux/arm64/v8` keeps v8) and `arm` alone stays without one.
fn parse_arch(arch: &str, variant: Option<&str>) -> (String, Option<String>) {
    let explicit = lower_or_none(variant);
    let (arch, normalized) = normalize_arch(arch, variant);
    match (arch.as_str(), &explicit) {
        ("arm64", Some(_)) if normalized.is_none() => (arch, Some("v8".into())),
        ("arm", None) if normalized.as_deref() == Some("v7") => (arch, None),
        _ => (arch, normalized),
    }
}

impl Default for Platform {
    fn default() -> Self {
        Platform::host()
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        };
        let err = || PlatformError(s.to_owned());
        let parts: Vec<&str> = s.split('/').collect();
        if !parts.iter().all(|p| ok(p)) {
            return Err(err());
        }
        match parts.as_slice() {
            // One word is refused (containerd would guess the rest): a
            // typo like `--platform arm64` should not quietly mean Linux.
            [os, arch] => Ok(Platform::new(os, arch, None)),
            [os, arch, variant] => Ok(Platform::new(os, arch, Some(variant))),
            _ => Err(err()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn aliases_parse_to_oci_names() {
        assert_eq!(p("linux/x86_64").to_string(), "linux/amd64");
        assert_eq!(p("linux/aarch64").to_string(), "linux/arm64");
        assert_eq!(p("Linux/ARM64").to_string(), "linux/arm64");
        // containerd drops the v7 that armhf implies: `arm` alone means v7.
        assert_eq!(p("linux/armhf").to_string(), "linux/arm");
        assert_eq!(p("linux/armel").to_string(), "linux/arm/v6");
        assert_eq!(p("linux/i386").to_string(), "linux/386");
    }

    #[test]
    fn a_written_variant_is_kept_as_containerd_parse_does() {
        assert_eq!(p("linux/arm64/v8").to_string(), "linux/arm64/v8");
        assert_eq!(p("linux/arm/7").to_string(), "linux/arm/v7");
        assert_eq!(p("linux/arm").to_string(), "linux/arm");
        assert_eq!(p("linux/amd64/v1").to_string(), "linux/amd64");
    }

    #[test]
    fn normalized_is_containerds_normalize() {
        assert_eq!(p("linux/arm64/v8").normalized().to_string(), "linux/arm64");
        assert_eq!(p("linux/arm").normalized().to_string(), "linux/arm/v7");
        assert_eq!(
            p("linux/arm64/9.0").normalized().to_string(),
            "linux/arm64/v9"
        );
    }

    #[test]
    fn matching_ignores_spelling_and_implied_variants() {
        assert!(p("linux/arm64").matches(&p("linux/arm64/v8")));
        assert!(p("linux/arm64/v8").matches(&p("linux/aarch64")));
        assert!(p("linux/arm").matches(&p("linux/arm/v7")));
        assert!(!p("linux/arm").matches(&p("linux/arm/v6")));
        assert!(!p("linux/arm/v7").matches(&p("linux/arm/v6")));
        assert!(p("linux/amd64").matches(&p("linux/amd64/v2")));
        assert!(!p("linux/amd64/v3").matches(&p("linux/amd64/v2")));
        assert!(!p("linux/amd64").matches(&p("windows/amd64")));
    }

    #[test]
    fn malformed_platforms_are_refused() {
        for bad in [
            "",
            "linux",
            "arm64",
            "linux//",
            "linux/amd64/v8/x",
            "linux/am d64",
            "/amd64",
        ] {
            assert!(bad.parse::<Platform>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn serializes_with_index_field_names() {
        let json = serde_json::to_string(&p("linux/arm/v7")).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"os":"linux","architecture":"arm","variant":"v7"}"#
        );
    }
}
