//! Image names, parsed and normalized as docker's reference package does
//! (distribution/reference's `ParseNormalizedNamed`): `busybox` is
//! `docker.io/library/busybox:latest`; the first component is a registry
//! host iff it contains a `.` or a `:`, is `localhost`, or has an upper-case
//! letter (repository paths are lower case, so it cannot be one);
//! `@sha256:...` pins a digest. This is the one parser of names: the
//! registry client's `RegistryRef` is a view of an `ImageRef`.

use std::fmt;
use std::str::FromStr;

use crate::digest::Digest;

pub const DEFAULT_REGISTRY: &str = "docker.io";
/// Docker Hub's legacy name, the same registry as `docker.io`.
const LEGACY_REGISTRY: &str = "index.docker.io";
pub const DEFAULT_TAG: &str = "latest";
/// distribution/reference's RepositoryNameTotalLengthMax (the path only).
const MAX_PATH_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// Why a name is not an image reference (the one error of every parser of
/// names: store, registry client, CLI).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference {reference:?}: {reason}")]
pub struct ReferenceError {
    pub reference: String,
    pub reason: String,
}

impl ReferenceError {
    pub fn new(reference: &str, reason: impl Into<String>) -> ReferenceError {
        ReferenceError {
            reference: reference.to_owned(),
            reason: reason.into(),
        }
    }
}

const TAG_RULE: &str = "tag must be 1-128 of [A-Za-z0-9_.-], not starting with . or -";
const PATH_RULE: &str =
    "repository components must be lowercase [a-z0-9] separated by '.', '_', '__' or '-'";

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ImageRef {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl ImageRef {
    pub fn parse(s: &str) -> Result<ImageRef, ReferenceError> {
        let bad = |reason: &str| ReferenceError::new(s, reason);
        if s.is_empty() {
            return Err(bad("empty repository name"));
        }
        if is_image_id(s) {
            return Err(bad(
                "a 64-character hex string is an image id, not a repository name",
            ));
        }
        let (name, digest) = match s.split_once('@') {
            Some((n, d)) => (n, Some(d.parse::<Digest>().map_err(|_| bad("bad digest"))?)),
            None => (s, None),
        };
        let (registry, rest) = split_registry(name);
        // The path holds no ':', so the first one after the host starts the tag.
        let (path, tag) = match rest.split_once(':') {
            Some((p, t)) => (p, Some(t)),
            None => (rest, None),
        };
        let path = if registry == DEFAULT_REGISTRY && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_owned()
        };
        validate_host(s, registry)?;
        validate_path(s, &path)?;
        if let Some(t) = tag {
            validate_tag(s, t)?;
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_owned()),
            (None, None) => Some(DEFAULT_TAG.to_owned()),
            (None, Some(_)) => None,
        };
        Ok(ImageRef {
            registry: registry.to_owned(),
            repository: path,
            tag,
            digest,
        })
    }

    pub fn registry(&self) -> &str {
        &self.registry
    }
    pub fn repository(&self) -> &str {
        &self.repository
    }
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// `registry/repository`, without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The shortest form Docker would print (`busybox:latest`).
    pub fn familiar(&self) -> String {
        let name = if self.registry == DEFAULT_REGISTRY {
            // docker's familiarizeName: `library/` goes only where a
            // single component remains.
            match self.repository.strip_prefix("library/") {
                Some(short) if !short.contains('/') => short.to_owned(),
                _ => self.repository.clone(),
            }
        } else {
            self.name()
        };
        let mut out = name;
        if let Some(t) = &self.tag {
            out.push(':');
            out.push_str(t);
        }
        if let Some(d) = &self.digest {
            out.push('@');
            out.push_str(&d.to_string());
        }
        out
    }
}

/// docker's splitDockerDomain: the host, and the rest of the name (path
/// and tag) after it.
fn split_registry(name: &str) -> (&str, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first == "localhost"
                || first.contains(['.', ':'])
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            let host = if first == LEGACY_REGISTRY {
                DEFAULT_REGISTRY
            } else {
                first
            };
            (host, rest)
        }
        _ => (DEFAULT_REGISTRY, name),
    }
}

/// Docker refuses a bare 64-hex name: it would read as an image id.
fn is_image_id(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `host[:port]`: dot-separated labels of letters, digits and inner `-`,
/// or a bracketed IPv6 address; the port is digits.
pub(crate) fn validate_host(input: &str, host: &str) -> Result<(), ReferenceError> {
    let (name_ok, port) = match host.strip_prefix('[').and_then(|h| h.split_once(']')) {
        Some((addr, after)) => (
            !addr.is_empty() && addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'),
            after,
        ),
        None => {
            let (name, port) = host.find(':').map_or((host, ""), |i| host.split_at(i));
            (!name.is_empty() && name.split('.').all(valid_label), port)
        }
    };
    let port_ok = match port.strip_prefix(':') {
        Some(p) => !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()),
        None => port.is_empty(),
    };
    if name_ok && port_ok {
        Ok(())
    } else {
        Err(ReferenceError::new(input, "bad registry host"))
    }
}

fn valid_label(label: &str) -> bool {
    let b = label.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
}

/// The repository path: lower-case components, at most 255 characters.
pub(crate) fn validate_path(input: &str, path: &str) -> Result<(), ReferenceError> {
    if path.is_empty() {
        return Err(ReferenceError::new(input, "empty repository name"));
    }
    if !path.split('/').all(valid_component) {
        return Err(ReferenceError::new(input, PATH_RULE));
    }
    if path.len() > MAX_PATH_LEN {
        return Err(ReferenceError::new(
            input,
            "repository name longer than 255 characters",
        ));
    }
    Ok(())
}

/// `[\w][\w.-]{0,127}`.
pub(crate) fn validate_tag(input: &str, tag: &str) -> Result<(), ReferenceError> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ok = tag.len() <= MAX_TAG_LEN
        && tag.bytes().next().is_some_and(word)
        && tag.bytes().all(|b| word(b) || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ReferenceError::new(input, TAG_RULE))
    }
}

fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    // Separators: '.', '_', '__', or any run of '-'.
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

impl FromStr for ImageRef {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageRef::parse(s)
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod docker_vectors;

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        ImageRef::parse(s)
            .map(|r| r.to_string())
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn normalizes_like_docker() {
        assert_eq!(norm("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(norm("user/app:1.0"), "docker.io/user/app:1.0");
        assert_eq!(norm("localhost:5000/app"), "localhost:5000/app:latest");
        assert_eq!(norm("quay.io/a/b/c:v"), "quay.io/a/b/c:v");
        assert_eq!(
            norm("index.docker.io/busybox"),
            "docker.io/library/busybox:latest"
        );
        let d = Digest::of(b"x");
        assert_eq!(
            norm(&format!("alpine@{d}")),
            format!("docker.io/library/alpine@{d}")
        );
        assert_eq!(
            ImageRef::parse("docker.io/library/busybox:latest")
                .map(|r| r.familiar())
                .ok(),
            Some("busybox:latest".to_owned())
        );
    }

    #[test]
    fn rejects_bad_names() {
        for bad in [
            "",
            "Upper",
            "a//b",
            "a:",
            "a:-x",
            "a@sha256:zz",
            "-a",
            "a..b",
            "a b",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
