//! `--build-context NAME=DIR|docker-image://REF|oci-layout://DIR[:TAG][@DIGEST]`
//! (buildx's named contexts): what `FROM NAME`, `COPY --from=NAME` and
//! `RUN --mount from=NAME` read instead of a stage or image of that name.
//! A directory is read as the build context is (its own `.dockerignore`,
//! files sent as root's); an image is one of the store's, pulled as FROM
//! pulls; an OCI layout is imported into the store first.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::str::FromStr;

use strata_store::{Digest, Image, Platform, Store, TransportRef};

use super::{BuildError, Session};
use crate::context::BuildContext;

/// One `--build-context` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamedContext {
    /// A local directory.
    Dir(PathBuf),
    /// `docker-image://REF`.
    Image(String),
    /// `oci-layout://DIR[:TAG][@sha256:...]`: the entry of the layout's
    /// index named TAG or with that digest (else its only one).
    OciLayout {
        dir: PathBuf,
        reference: Option<String>,
    },
}

/// A `NAME=VALUE` pair as `--build-context` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedContextArg {
    pub name: String,
    pub context: NamedContext,
}

impl FromStr for NamedContextArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, value) = s
            .split_once('=')
            .filter(|(n, v)| !n.is_empty() && !v.is_empty())
            .ok_or_else(|| format!("{s:?}: expected NAME=VALUE"))?;
        let context = if let Some(r) = value.strip_prefix("docker-image://") {
            if r.is_empty() {
                return Err(format!("{s:?}: docker-image:// needs an image reference"));
            }
            NamedContext::Image(r.to_string())
        } else if let Some(rest) = value.strip_prefix("oci-layout://") {
            oci_layout(rest).map_err(|e| format!("{s:?}: {e}"))?
        } else if value.contains("://") {
            return Err(format!(
                "{s:?}: only a directory, docker-image:// and oci-layout:// are supported"
            ));
        } else {
            NamedContext::Dir(PathBuf::from(value))
        };
        Ok(Self {
            name: name.to_string(),
            context,
        })
    }
}

/// `DIR[:TAG][@sha256:HEX]`; a digest wins over a tag, as in buildx.
fn oci_layout(rest: &str) -> Result<NamedContext, String> {
    let (path, digest) = match rest.split_once('@') {
        Some((p, d)) => {
            d.parse::<strata_store::Digest>()
                .map_err(|e| format!("oci-layout digest {d:?}: {e}"))?;
            (p, Some(d.to_string()))
        }
        None => (rest, None),
    };
    // A tag follows the last ':' after the last '/'.
    let (dir, tag) = match path.rsplit_once(':') {
        Some((d, t)) if !t.contains('/') && !d.is_empty() => (d, Some(t.to_string())),
        _ => (path, None),
    };
    if dir.is_empty() {
        return Err("oci-layout:// needs a directory".to_string());
    }
    Ok(NamedContext::OciLayout {
        dir: PathBuf::from(dir),
        reference: digest.or(tag),
    })
}

/// A named context made ready for the build.
#[derive(Debug)]
pub(crate) enum Resolved {
    Dir(BuildContext),
    /// An image the store has (or pulls) by this name.
    Image(String),
    /// An image imported from an OCI layout: its manifest (or index) digest.
    Stored(Digest),
}

/// Opens every directory and imports every OCI layout, before any step.
pub(crate) fn resolve_all(
    store: &Store,
    named: &BTreeMap<String, NamedContext>,
) -> Result<HashMap<String, Resolved>, BuildError> {
    let fail = |name: &str, message: String| BuildError::NamedContext {
        name: name.to_string(),
        message,
    };
    let mut out = HashMap::new();
    for (name, context) in named {
        let resolved = match context {
            NamedContext::Dir(dir) => {
                Resolved::Dir(BuildContext::open(dir, None).map_err(|e| fail(name, e.to_string()))?)
            }
            NamedContext::Image(r) => Resolved::Image(r.clone()),
            NamedContext::OciLayout { dir, reference } => {
                let src = TransportRef::OciDir {
                    dir: dir.clone(),
                    reference: reference.clone(),
                };
                let digest = store
                    .import_from(&src, None)
                    .map_err(|e| fail(name, format!("{}: {e}", dir.display())))?;
                Resolved::Stored(digest)
            }
        };
        out.insert(name.clone(), resolved);
    }
    Ok(out)
}

impl Session<'_> {
    pub(crate) fn named_context(&self, name: &str) -> Option<&Resolved> {
        self.named_contexts.get(name)
    }

    /// The image a named context of an image kind stands for, for
    /// `platform`.
    pub(crate) fn named_image(
        &self,
        name: &str,
        platform: &Platform,
    ) -> Result<Option<Image>, BuildError> {
        match self.named_context(name) {
            Some(Resolved::Image(r)) => Ok(Some(crate::pull::image(
                self.store,
                r,
                platform,
                &self.opts.pull,
                self.events,
            )?)),
            Some(Resolved::Stored(d)) => Ok(Some(self.store.image_for(d, platform)?)),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> Result<(String, NamedContext), String> {
        s.parse::<NamedContextArg>().map(|a| (a.name, a.context))
    }

    #[test]
    fn the_three_forms_parse_as_buildx_spells_them() {
        assert_eq!(
            parsed("src=../lib"),
            Ok(("src".into(), NamedContext::Dir("../lib".into())))
        );
        assert_eq!(
            parsed("alpine=docker-image://busybox:1.36"),
            Ok(("alpine".into(), NamedContext::Image("busybox:1.36".into())))
        );
        let digest = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(
            parsed(&format!("base=oci-layout:///l/img:v1@{digest}")),
            Ok((
                "base".into(),
                NamedContext::OciLayout {
                    dir: "/l/img".into(),
                    reference: Some(digest.clone()),
                }
            ))
        );
        assert_eq!(
            parsed("base=oci-layout://rel/dir:v2"),
            Ok((
                "base".into(),
                NamedContext::OciLayout {
                    dir: "rel/dir".into(),
                    reference: Some("v2".into()),
                }
            ))
        );
        assert_eq!(
            parsed("base=oci-layout://./l"),
            Ok((
                "base".into(),
                NamedContext::OciLayout {
                    dir: "./l".into(),
                    reference: None,
                }
            ))
        );
    }

    #[test]
    fn malformed_values_are_refused_with_the_reason() {
        for bad in [
            "noequals",
            "=dir",
            "name=",
            "x=docker-image://",
            "x=oci-layout://",
            "x=oci-layout://d@sha256:zz",
            "x=https://example.com/repo.git",
        ] {
            assert!(parsed(bad).is_err(), "{bad} should be refused");
        }
    }
}
