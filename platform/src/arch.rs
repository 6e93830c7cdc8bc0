//! The architecture table: OCI's (Go's) name, the spellings normalized to
//! it, the variant implied when none is given, what `uname -m` says, and
//! which qemu-user binary emulates it.

/// One architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arch {
    /// OCI's (GOARCH's) name: what image configs and indexes say.
    pub oci: &'static str,
    /// Other spellings normalized to `oci` (as containerd's platforms package does).
    pub aliases: &'static [&'static str],
    /// The variant an image of this architecture has when it names none
    /// (containerd: `arm` means `arm/v7`).
    pub default_variant: Option<&'static str>,
    /// Variants that mean the same as none (containerd drops `arm64/v8`, `amd64/v1`).
    pub implied_variants: &'static [&'static str],
    /// Rust's `std::env::consts::ARCH` for it.
    pub rust: &'static str,
    /// `uname -m` inside a container of it.
    pub machine: &'static str,
    /// The qemu-user target (`qemu-<target>-static`, binfmt `qemu-<target>`).
    pub qemu: &'static str,
}

pub const ARCHES: &[Arch] = &[
    Arch {
        oci: "amd64",
        aliases: &["x86_64", "x86-64"],
        default_variant: None,
        implied_variants: &["v1"],
        rust: "x86_64",
        machine: "x86_64",
        qemu: "x86_64",
    },
    Arch {
        oci: "arm64",
        aliases: &["aarch64"],
        default_variant: None,
        implied_variants: &["v8", "8", "v8.0"],
        rust: "aarch64",
        machine: "aarch64",
        qemu: "aarch64",
    },
    Arch {
        oci: "arm",
        aliases: &["armhf", "armv7l", "armel"],
        default_variant: Some("v7"),
        implied_variants: &[],
        rust: "arm",
        machine: "armv7l",
        qemu: "arm",
    },
    Arch {
        oci: "386",
        aliases: &["i386", "i686", "x86"],
        default_variant: None,
        implied_variants: &[],
        rust: "x86",
        machine: "i686",
        qemu: "i386",
    },
    Arch {
        oci: "ppc64le",
        aliases: &["powerpc64le"],
        default_variant: None,
        implied_variants: &[],
        rust: "powerpc64",
        machine: "ppc64le",
        qemu: "ppc64le",
    },
    Arch {
        oci: "s390x",
        aliases: &[],
        default_variant: None,
        implied_variants: &[],
        rust: "s390x",
        machine: "s390x",
        qemu: "s390x",
    },
    Arch {
        oci: "riscv64",
        aliases: &[],
        default_variant: None,
        implied_variants: &[],
        rust: "riscv64",
        machine: "riscv64",
        qemu: "riscv64",
    },
    Arch {
        oci: "mips64le",
        aliases: &["mips64el"],
        default_variant: None,
        implied_variants: &[],
        rust: "mips64",
        machine: "mips64",
        qemu: "mips64el",
    },
    Arch {
        oci: "loong64",
        aliases: &["loongarch64"],
        default_variant: None,
        implied_variants: &[],
        rust: "loongarch64",
        machine: "loongarch64",
        qemu: "loongarch64",
    },
];

impl Arch {
    /// The row for a name or alias (case-insensitive).
    pub fn lookup(name: &str) -> Option<&'static Arch> {
        let name = name.to_ascii_lowercase();
        ARCHES
            .iter()
            .find(|a| a.oci == name || a.aliases.contains(&name.as_str()))
    }

    /// The row of the machine this binary was built for.
    pub fn host() -> &'static Arch {
        ARCHES
            .iter()
            .find(|a| a.rust == std::env::consts::ARCH)
            // Every target Rust supports for Linux that we build on is in
            // the table; amd64 is the one CI runs on.
            .unwrap_or(&ARCHES[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_in_the_table_is_unique() {
        let mut names: Vec<&str> = ARCHES
            .iter()
            .flat_map(|a| std::iter::once(a.oci).chain(a.aliases.iter().copied()))
            .collect();
        let before = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), before);
    }

    #[test]
    fn aliases_find_their_row() {
        assert_eq!(Arch::lookup("x86_64").map(|a| a.oci), Some("amd64"));
        assert_eq!(Arch::lookup("AArch64").map(|a| a.oci), Some("arm64"));
        assert_eq!(Arch::lookup("armhf").map(|a| a.oci), Some("arm"));
        assert_eq!(Arch::lookup("sparc"), None);
    }
}
