//! `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`: where an image lives in a
//! registry. Names without a host are Docker Hub names, normalized as docker
//! does (`busybox` = `docker.io/library/busybox:latest`).

use std::fmt;
use std::str::FromStr;

use crate::digest::Digest;
use crate::reference::{self, ImageRef, ReferenceError};

pub use crate::reference::{DEFAULT_REGISTRY as DOCKER_HUB, DEFAULT_TAG};
/// Docker Hub's API does not live at the name people use for it.
const DOCKER_HUB_API: &str = "registry-1.docker.io";

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

/// Where a manifest is asked for: a view of an `ImageRef` that asks by
/// digest when it has one (docker's ParseDockerRef drops the tag then).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRef {
    host: String,
    repository: String,
    target: Target,
}

impl RegistryRef {
    pub fn new(
        host: &str,
        repository: &str,
        target: Target,
    ) -> Result<RegistryRef, ReferenceError> {
        let s = format!("{host}/{repository}");
        reference::validate_path(&s, repository)?;
        reference::validate_host(&s, host)?;
        if let Target::Tag(t) = &target {
            reference::validate_tag(&s, t)?;
        }
        Ok(RegistryRef {
            host: host.to_owned(),
            repository: repository.to_owned(),
            target,
        })
    }

    /// The registry location of a store name (valid by construction).
    pub fn from_image_ref(r: &ImageRef) -> RegistryRef {
        let target = match (r.digest(), r.tag()) {
            (Some(d), _) => Target::Digest(*d),
            (None, Some(t)) => Target::Tag(t.to_owned()),
            (None, None) => Target::Tag(DEFAULT_TAG.to_owned()),
        };
        RegistryRef {
            host: r.registry().to_owned(),
            repository: r.repository().to_owned(),
            target,
        }
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
    type Err = ReferenceError;

    /// Parses with or without the `docker://` prefix, by the one parser
    /// of names.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.strip_prefix("docker://").unwrap_or(input);
        ImageRef::parse(s)
            .map(|r| RegistryRef::from_image_ref(&r))
            .map_err(|e| ReferenceError::new(input, e.reason))
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
