//! Emulation of other architectures: which binfmt_misc handlers are
//! registered (a foreign program runs only through one), and registering
//! Debian's qemu-user-static ones with flag F, so the kernel opens the
//! emulator once at registration and a sandbox's root need not contain it.

mod entry;
mod install;

pub use entry::Handler;
pub use install::{Installed, install};

use std::path::{Path, PathBuf};

use strata_platform::{Arch, Platform};

/// Where binfmt_misc is mounted (in this process's mount namespace: a user
/// namespace can have its own instance since Linux 6.7).
pub const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";

#[derive(Debug, thiserror::Error)]
pub enum BinfmtError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "binfmt_misc is not mounted at {0}: mount it first (`mount -t binfmt_misc binfmt_misc {0}`)"
    )]
    NotMounted(String),
    #[error(
        "no qemu-user-static definition for {arch} ({path}): install Debian's qemu-user-static"
    )]
    NoDefinition { arch: String, path: String },
    #[error("{path}: {reason}")]
    BadDefinition { path: String, reason: String },
    #[error(
        "cannot run programs of {platform}: no binfmt_misc handler for its executables is registered in {dir}. \
         Register qemu-user-static's with `strata system binfmt --install` (flag F, so it works inside containers), \
         or with the package's own way: `apt-get install qemu-user-static binfmt-support`"
    )]
    NoHandler { platform: String, dir: String },
    #[error("strata knows no architecture {0:?}")]
    UnknownArch(String),
}

pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BinfmtError {
    let context = context.into();
    move |source| BinfmtError::Io { context, source }
}

/// Every handler registered in `dir` (none when binfmt_misc is not mounted).
pub fn handlers_in(dir: &Path) -> Result<Vec<Handler>, BinfmtError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(io(format!("read {}", dir.display())))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name == "register" || name == "status" {
            continue;
        }
        let path: PathBuf = e.path();
        // An entry removed between listing and reading is simply gone.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        out.push(Handler::parse(&name, &text));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The enabled handler that would run `arch`'s executables, if any.
pub fn handler_for(dir: &Path, arch: &Arch) -> Result<Option<Handler>, BinfmtError> {
    let header = arch.elf.header();
    Ok(handlers_in(dir)?
        .into_iter()
        .find(|h| h.enabled && h.runs(&header)))
}

/// Ok when programs of `platform` can run here: natively, or through a
/// registered handler; else the error says how to register one.
pub fn check_can_run(platform: &Platform) -> Result<(), BinfmtError> {
    if platform.is_native() {
        return Ok(());
    }
    let arch = platform
        .arch()
        .ok_or_else(|| BinfmtError::UnknownArch(platform.architecture.clone()))?;
    match handler_for(Path::new(BINFMT_DIR), arch)? {
        Some(_) => Ok(()),
        None => Err(BinfmtError::NoHandler {
            platform: platform.to_string(),
            dir: BINFMT_DIR.to_owned(),
        }),
    }
}
