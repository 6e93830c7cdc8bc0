//! One registered handler, as `/proc/sys/fs/binfmt_misc/NAME` shows it.

/// A binfmt_misc entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    pub name: String,
    pub enabled: bool,
    pub interpreter: String,
    pub flags: String,
    offset: usize,
    /// Empty for extension (`E`) entries, which never match by content.
    magic: Vec<u8>,
    mask: Option<Vec<u8>>,
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

impl Handler {
    /// Parses the kernel's text: `enabled`, `interpreter PATH`, `flags: F`,
    /// `offset N`, `magic HEX`, `mask HEX` (or `extension .x`).
    pub fn parse(name: &str, text: &str) -> Handler {
        let mut h = Handler {
            name: name.to_owned(),
            enabled: false,
            interpreter: String::new(),
            flags: String::new(),
            offset: 0,
            magic: Vec::new(),
            mask: None,
        };
        for line in text.lines() {
            let line = line.trim();
            if line == "enabled" {
                h.enabled = true;
            } else if let Some(v) = line.strip_prefix("interpreter ") {
                h.interpreter = v.to_owned();
            } else if let Some(v) = line.strip_prefix("flags:") {
                h.flags = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("offset ") {
                h.offset = v.trim().parse().unwrap_or(0);
            } else if let Some(v) = line.strip_prefix("magic ") {
                h.magic = hex(v.trim());
            } else if let Some(v) = line.strip_prefix("mask ") {
                h.mask = Some(hex(v.trim()));
            }
        }
        h
    }

    /// Whether a file beginning with `header` is run by this handler.
    pub fn runs(&self, header: &[u8]) -> bool {
        if self.magic.is_empty() {
            return false;
        }
        let Some(window) = header.get(self.offset..self.offset + self.magic.len()) else {
            return false;
        };
        window.iter().enumerate().all(|(i, b)| {
            let m = self
                .mask
                .as_ref()
                .and_then(|m| m.get(i))
                .copied()
                .unwrap_or(0xff);
            b & m == self.magic[i] & m
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Linux 6.x prints for Debian's qemu-aarch64 registered with F.
    const AARCH64: &str = "enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: F\noffset 0\n\
        magic 7f454c460201010000000000000000000200b700\n\
        mask ffffffffffffff00fffffffffffffffffeffffff\n";

    #[test]
    fn a_handler_runs_the_executables_its_magic_and_mask_cover() {
        let h = Handler::parse("qemu-aarch64", AARCH64);
        assert!(h.enabled);
        assert_eq!(h.flags, "F");
        let arm64 = strata_platform::Arch::lookup("arm64").map(|a| a.elf.header());
        let amd64 = strata_platform::Arch::lookup("amd64").map(|a| a.elf.header());
        assert!(arm64.is_some_and(|x| h.runs(&x)));
        assert!(amd64.is_some_and(|x| !h.runs(&x)));
        // e_type 3 (a PIE) is masked in as well.
        let mut pie = arm64.unwrap_or([0; 20]);
        pie[16] = 3;
        assert!(h.runs(&pie));
    }
}
