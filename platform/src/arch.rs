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
    /// How its executables begin (what a binfmt_misc handler matches).
    pub elf: Elf,
    /// Other architectures a machine of this one runs without emulation.
    pub also_runs: &'static [&'static str],
}

/// The ELF identity of an architecture's executables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elf {
    pub class64: bool,
    pub big_endian: bool,
    /// `e_machine`.
    pub machine: u16,
}

impl Elf {
    /// The first 20 bytes of a static executable (`ET_EXEC`) of it: ident,
    /// `e_type` and `e_machine`, the part binfmt_misc magics cover.
    pub fn header(&self) -> [u8; 20] {
        let mut h = [0u8; 20];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = if self.class64 { 2 } else { 1 };
        h[5] = if self.big_endian { 2 } else { 1 };
        h[6] = 1;
        let (t, m) = if self.big_endian {
            (2u16.to_be_bytes(), self.machine.to_be_bytes())
        } else {
            (2u16.to_le_bytes(), self.machine.to_le_bytes())
        };
        h[16..18].copy_from_slice(&t);
        h[18..20].copy_from_slice(&m);
        h
    }
}

const fn le64(machine: u16) -> Elf {
    Elf {
        class64: true,
        big_endian: false,
        machine,
    }
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
        elf: le64(62),
        also_runs: &["386"],
    },
    Arch {
        oci: "arm64",
        aliases: &["aarch64"],
        default_variant: None,
        implied_variants: &["v8", "8", "v8.0"],
        rust: "aarch64",
        machine: "aarch64",
        qemu: "aarch64",
        elf: le64(183),
        also_runs: &[],
    },
    Arch {
        oci: "arm",
        aliases: &["armhf", "armv7l", "armel"],
        default_variant: Some("v7"),
        implied_variants: &[],
        rust: "arm",
        machine: "armv7l",
        qemu: "arm",
        elf: Elf {
            class64: false,
            big_endian: false,
            machine: 40,
        },
        also_runs: &[],
    },
    Arch {
        oci: "386",
        aliases: &["i386", "i686", "x86"],
        default_variant: None,
        implied_variants: &[],
        rust: "x86",
        machine: "i686",
        qemu: "i386",
        elf: Elf {
            class64: false,
            big_endian: false,
            machine: 3,
        },
        also_runs: &[],
    },
    Arch {
        oci: "ppc64le",
        aliases: &["powerpc64le"],
        default_variant: None,
        implied_variants: &[],
        rust: "powerpc64",
        machine: "ppc64le",
        qemu: "ppc64le",
        elf: le64(21),
        also_runs: &[],
    },
    Arch {
        oci: "s390x",
        aliases: &[],
        default_variant: None,
        implied_variants: &[],
        rust: "s390x",
        machine: "s390x",
        qemu: "s390x",
        elf: Elf {
            class64: true,
            big_endian: true,
            machine: 22,
        },
        also_runs: &[],
    },
    Arch {
        oci: "riscv64",
        aliases: &[],
        default_variant: None,
        implied_variants: &[],
        rust: "riscv64",
        machine: "riscv64",
        qemu: "riscv64",
        elf: le64(243),
        also_runs: &[],
    },
    Arch {
        oci: "mips64le",
        aliases: &["mips64el"],
        default_variant: None,
        implied_variants: &[],
        rust: "mips64",
        machine: "mips64",
        qemu: "mips64el",
        elf: le64(8),
        also_runs: &[],
    },
    Arch {
        oci: "loong64",
        aliases: &["loongarch64"],
        default_variant: None,
        implied_variants: &[],
        rust: "loongarch64",
        machine: "loongarch64",
        qemu: "loongarch64",
        elf: le64(258),
        also_runs: &[],
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

    /// Whether a machine of this architecture runs `other`'s programs
    /// without emulation.
    pub fn runs_natively(&self, other: &Arch) -> bool {
        self.oci == other.oci || self.also_runs.contains(&other.oci)
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
    fn elf_headers_match_the_real_busybox() {
        // /bin/busybox is the host's static busybox (busybox-static).
        let Ok(bytes) = std::fs::read("/bin/busybox") else {
            return;
        };
        let header = Arch::host().elf.header();
        assert_eq!(&bytes[..4], &header[..4]);
        assert_eq!(&bytes[4..7], &header[4..7]);
        assert_eq!(&bytes[18..20], &header[18..20]);
    }

    #[test]
    fn aliases_find_their_row() {
        assert_eq!(Arch::lookup("x86_64").map(|a| a.oci), Some("amd64"));
        assert_eq!(Arch::lookup("AArch64").map(|a| a.oci), Some("arm64"));
        assert_eq!(Arch::lookup("armhf").map(|a| a.oci), Some("arm"));
        assert_eq!(Arch::lookup("sparc"), None);
    }
}
