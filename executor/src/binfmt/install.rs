//! `strata system binfmt --install`: Debian's qemu-user-static handlers,
//! registered to run `/usr/bin/qemu-<target>-static` with flag F.

use std::path::{Path, PathBuf};

use strata_platform::{ARCHES, Arch};

use super::{BINFMT_DIR, BinfmtError, handler_for, io};

/// Where Debian's qemu-user-static keeps each target's registration line
/// (systemd-binfmt's format: `:name:type:offset:magic:mask:interpreter:flags`).
const DEFINITIONS: &str = "/usr/lib/binfmt.d";

/// What `install` did for one architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    Registered {
        arch: &'static str,
        name: String,
    },
    /// A handler that runs its executables is registered already.
    Present {
        arch: &'static str,
        name: String,
    },
    /// No emulator or definition for it is installed.
    Unavailable {
        arch: &'static str,
        reason: String,
    },
}

/// The line to write to `register` for `arch`: Debian's definition with
/// the static emulator as interpreter and flags `F` (the kernel opens it
/// now, so it runs inside any root) instead of the wrapper and `OPF`.
pub fn registration(arch: &Arch, definitions: &Path) -> Result<String, BinfmtError> {
    let path = definitions.join(format!("qemu-{}.conf", arch.qemu));
    let text = std::fs::read_to_string(&path).map_err(|_| BinfmtError::NoDefinition {
        arch: arch.oci.to_owned(),
        path: path.display().to_string(),
    })?;
    let bad = |reason: &str| BinfmtError::BadDefinition {
        path: path.display().to_string(),
        reason: reason.to_owned(),
    };
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(':'))
        .ok_or_else(|| bad("no registration line"))?;
    // The magic and mask escape every byte (\xNN), so ':' only separates.
    let fields: Vec<&str> = line.split(':').collect();
    if fields.len() < 8 || fields[2] != "M" {
        return Err(bad("expected :name:M:offset:magic:mask:interpreter:flags"));
    }
    let interpreter = format!("/usr/bin/qemu-{}-static", arch.qemu);
    if !Path::new(&interpreter).exists() {
        return Err(BinfmtError::NoDefinition {
            arch: arch.oci.to_owned(),
            path: interpreter,
        });
    }
    Ok(format!(
        ":{}:M:{}:{}:{}:{interpreter}:F",
        fields[1], fields[3], fields[4], fields[5]
    ))
}

/// Registers a handler for every architecture of the table this machine
/// does not run natively and has no handler for yet.
pub fn install() -> Result<Vec<Installed>, BinfmtError> {
    let dir = Path::new(BINFMT_DIR);
    let register: PathBuf = dir.join("register");
    if !register.exists() {
        return Err(BinfmtError::NotMounted(BINFMT_DIR.to_owned()));
    }
    let host = Arch::host();
    let mut out = Vec::new();
    for arch in ARCHES.iter().filter(|a| !host.runs_natively(a)) {
        if let Some(h) = handler_for(dir, arch)? {
            out.push(Installed::Present {
                arch: arch.oci,
                name: h.name,
            });
            continue;
        }
        let line = match registration(arch, Path::new(DEFINITIONS)) {
            Ok(line) => line,
            Err(e) => {
                out.push(Installed::Unavailable {
                    arch: arch.oci,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let name = line.split(':').nth(1).unwrap_or_default().to_owned();
        std::fs::write(&register, line.as_bytes())
            .map_err(io(format!("register {name} in {}", register.display())))?;
        out.push(Installed::Registered {
            arch: arch.oci,
            name,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debians_definition_is_rewritten_to_the_static_emulator_with_flag_f() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            dir.path().join("qemu-aarch64.conf"),
            ":qemu-aarch64:M::\\x7f\\x45\\x4c\\x46:\\xff\\xff\\xff\\xff:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:OPF\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let Some(arm64) = Arch::lookup("arm64") else {
            panic!("arm64 in the table");
        };
        match registration(arm64, dir.path()) {
            Ok(line) => assert_eq!(
                line,
                ":qemu-aarch64:M::\\x7f\\x45\\x4c\\x46:\\xff\\xff\\xff\\xff:/usr/bin/qemu-aarch64-static:F"
            ),
            // Without qemu-user-static installed there is nothing to register.
            Err(BinfmtError::NoDefinition { path, .. }) => {
                assert_eq!(path, "/usr/bin/qemu-aarch64-static")
            }
            Err(e) => panic!("{e}"),
        }
    }
}
