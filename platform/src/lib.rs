//! The one platform type (`os/architecture[/variant]`) and the one table of
//! architectures strata knows: every crate that names a platform (Dockerfile
//! ARGs, image configs, indexes, registry pulls, emulation) uses these.

mod arch;
mod platform;

pub use arch::{ARCHES, Arch, Elf};
pub use platform::{Platform, PlatformError};
