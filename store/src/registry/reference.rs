//! `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`: where an image lives in a
//! registry. Names without a host are Docker Hub names, normalized as docker
//! does (`busybox` = `docker.io/library/busybox:latest`).

use std::fmt;
use std::str::FromStr;

use super::digest::Digest;
use super::error::RegistryError;

pub const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's API does not live at the name people use for it.
const DOCKER_HUB_API: &str = "registry-1.docker.io";
pub const DEFAULT_TAG: &str = "latest";

/// A tag or a digest: what a manifest is asked for by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Tag(String),
    Digest(Digest),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Tag(t) => f.write_str(t),
            Target::Digest(d) => write!(f, "{d}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRef {
    host: String,
    repository: String,
    target: Target,
}

impl RegistryRef {
    pub fn new(host: &str, repository: &str, target: Target) -> Result<RegistryRef, RegistryError> {
        let s = format!("{host}/{repository}");
        validate_repository(&s, repository)?;
        validate_host(&s, host)?;
        Ok(RegistryRef {
            host: host.to_owned(),
            repository: repository.to_owned(),
            target,
        })
    }

    /// The registry as named in the reference (and in credentials files).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The host:port the API is served at.
    pub fn api_host(&self) -> &str {
        api_host(&self.host)
    }

    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn with_target(&self, target: Target) -> RegistryRef {
        RegistryRef {
            target,
            ..self.clone()
        }
    }
}

/// Maps the registry name people write to the host serving its API.
pub fn api_host(host: &str) -> &str {
    if host == DOCKER_HUB || host == "index.docker.io" {
        DOCKER_HUB_API
    } else {
        host
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = match self.target {
            Target::Tag(_) => ':',
            Target::Digest(_) => '@',
        };
        write!(f, "{}/{}{sep}{}", self.host, self.repository, self.target)
    }
}

impl FromStr for RegistryRef {
    type Err = RegistryError;

    /// Parses with or without the `docker://` prefix.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.strip_prefix("docker://").unwrap_or(input);
        let bad = |reason: &str| RegistryError::InvalidReference {
            reference: input.to_owned(),
            reason: reason.to_owned(),
        };
        let (name, digest) = match s.split_once('@') {
            Some((name, d)) => (name, Some(d.parse::<Digest>()?)),
            None => (s, None),
        };
        // A ':' after the last '/' starts a tag; one before it is a port.
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
            None => (name, None),
        };
        let (host, repository) = match name.split_once('/') {
            Some((first, rest)) if looks_like_host(first) => (first.to_owned(), rest.to_owned()),
            _ if name.contains('/') => (DOCKER_HUB.to_owned(), name.to_owned()),
            _ => (DOCKER_HUB.to_owned(), format!("library/{name}")),
        };
        let host = if host == "index.docker.io" {
            DOCKER_HUB.to_owned()
        } else {
            host
        };
        validate_host(input, &host)?;
        validate_repository(input, &repository)?;
        let target = match (tag, digest) {
            (_, Some(d)) => Target::Digest(d),
            (Some(t), None) => {
                validate_tag(input, t)?;
                Target::Tag(t.to_owned())
            }
            (None, None) => Target::Tag(DEFAULT_TAG.to_owned()),
        };
        if repository.is_empty() {
            return Err(bad("no repository"));
        }
        Ok(RegistryRef {
            host,
            repository,
            target,
        })
    }
}

fn looks_like_host(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost"
}

fn validate_host(input: &str, host: &str) -> Result<(), RegistryError> {
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(RegistryError::InvalidReference {
            reference: input.to_owned(),
            reason: format!("invalid registry host {host:?}"),
        })
    }
}

/// Path components: lowercase alphanumerics separated by `.`, `_`, `__`
/// or runs of `-`, as the distribution spec requires.
fn validate_repository(input: &str, repo: &str) -> Result<(), RegistryError> {
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
    };
    if !repo.is_empty() && repo.len() <= 255 && repo.split('/').all(component_ok) {
        Ok(())
    } else {
        Err(RegistryError::InvalidReference {
            reference: input.to_owned(),
            reason: format!(
                "invalid repository name {repo:?}: use lowercase letters, digits and . _ - separated by /"
            ),
        })
    }
}

fn validate_tag(input: &str, tag: &str) -> Result<(), RegistryError> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(RegistryError::InvalidReference {
            reference: input.to_owned(),
            reason: format!("invalid tag {tag:?}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> RegistryRef {
        match s.parse() {
            Ok(r) => r,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn short_names_are_docker_hub_library_images() {
        let r = parse("docker://busybox");
        assert_eq!(r.to_string(), "docker.io/library/busybox:latest");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(parse("user/app:1").to_string(), "docker.io/user/app:1");
    }

    #[test]
    fn a_colon_before_the_last_slash_is_a_port() {
        let r = parse("docker://127.0.0.1:5000/team/app:v1.2");
        assert_eq!(r.host(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "team/app");
        assert_eq!(r.target(), &Target::Tag("v1.2".into()));
        let r = parse("localhost:5000/app");
        assert_eq!(r.target(), &Target::Tag("latest".into()));
    }

    #[test]
    fn digests_pin_the_manifest() {
        let d = format!("sha256:{}", "0".repeat(64));
        let r = parse(&format!("localhost/app:1@{d}"));
        assert_eq!(
            r.target(),
            &Target::Digest(d.parse().unwrap_or_else(|e| panic!("{e}")))
        );
    }

    #[test]
    fn rejects_bad_names() {
        for bad in [
            "docker://",
            "Upper/Case",
            "localhost:5000/app:bad tag",
            "host.io/app@sha256:12",
        ] {
            assert!(bad.parse::<RegistryRef>().is_err(), "{bad}");
        }
    }
}
