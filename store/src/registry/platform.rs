//! `OS/ARCH[/VARIANT]`: which manifest of an index to take (the workspace's
//! one platform type).

pub use strata_platform::Platform;
