//! The platform a build runs on and builds for: the workspace's one type.

pub use strata_platform::{Platform, PlatformError};
