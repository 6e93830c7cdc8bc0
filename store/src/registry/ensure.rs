//! `--pull missing|always|never` for `FROM`: the one call the builder
//! makes to get a base image.

use std::fmt;
use std::str::FromStr;

use super::error::{RegistryError, Result};
use super::options::ClientOptions;
use super::platform::Platform;
use super::progress::Progress;
use super::pull::pull_image;
use crate::image::Image;
use crate::reference::ImageRef;
use crate::store::Store;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull only when the store lacks the name (docker build's default).
    #[default]
    Missing,
    /// Always ask the registry: a moved tag is followed.
    Always,
    /// Never touch the network: the store must have it.
    Never,
}

impl FromStr for PullPolicy {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "missing" => Ok(PullPolicy::Missing),
            "always" | "true" => Ok(PullPolicy::Always),
            "never" | "false" => Ok(PullPolicy::Never),
            _ => Err(RegistryError::InvalidPullPolicy(s.to_owned())),
        }
    }
}

impl fmt::Display for PullPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PullPolicy::Missing => "missing",
            PullPolicy::Always => "always",
            PullPolicy::Never => "never",
        })
    }
}

/// The image `name` names, from the store or pulled as `policy` says.
/// With `Always`, a registry that cannot be reached is an error (as with
/// docker): a build must not silently use an older base.
pub fn ensure_image(
    store: &Store,
    name: &ImageRef,
    policy: PullPolicy,
    platform: &Platform,
    options: &ClientOptions,
    progress: Progress<'_>,
) -> Result<Image> {
    let local = match store.resolve_for(name, platform)? {
        // Nothing may be pulled: an image of another platform is what there
        // is (docker uses it too, with a warning).
        None if policy == PullPolicy::Never => store.resolve(name)?,
        found => found,
    };
    match (policy, local) {
        (PullPolicy::Never, Some(image)) | (PullPolicy::Missing, Some(image)) => Ok(image),
        (PullPolicy::Never, None) => Err(RegistryError::NotInStore(name.familiar())),
        (PullPolicy::Missing | PullPolicy::Always, _) => {
            pull_image(store, name, platform, options, progress)
        }
    }
}
