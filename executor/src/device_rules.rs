//! Docker's device rule list, the one source for both device policies:
//! the cgroup v1 `devices.allow` lines (devices.rs) and the cgroup v2
//! eBPF program (device_program.rs). Everything not listed is denied. A
//! run given devices gets these plus its grants (device_cgroup.rs).

use crate::{DeviceAccess, DeviceKind, DeviceRule};

const MKNOD: DeviceAccess = DeviceAccess {
    read: false,
    write: false,
    mknod: true,
};

const fn all(kind: DeviceKind, major: u32, minor: Option<u32>) -> DeviceRule {
    DeviceRule {
        kind: Some(kind),
        major: Some(major),
        minor,
        access: DeviceAccess::ALL,
    }
}

use DeviceKind::{Block, Char};

pub(crate) const ALLOWED: &[DeviceRule] = &[
    // An image may carry device nodes; they just cannot be opened.
    DeviceRule {
        kind: Some(Char),
        major: None,
        minor: None,
        access: MKNOD,
    },
    DeviceRule {
        kind: Some(Block),
        major: None,
        minor: None,
        access: MKNOD,
    },
    all(Char, 1, Some(3)), // null
    all(Char, 1, Some(5)), // zero
    all(Char, 1, Some(7)), // full
    all(Char, 1, Some(8)), // random
    all(Char, 1, Some(9)), // urandom
    all(Char, 5, Some(0)), // tty
    all(Char, 5, Some(1)), // console
    all(Char, 5, Some(2)), // ptmx
    all(Char, 136, None),  // pts/*
];

/// The policy plus `grants`: what a run given devices may use.
pub(crate) fn with_grants(grants: &[DeviceRule]) -> Vec<DeviceRule> {
    ALLOWED.iter().chain(grants).copied().collect()
}

/// The `TYPE MAJOR:MINOR ACCESS` line for v1's `devices.allow`.
pub(crate) fn v1_line(rule: &DeviceRule) -> String {
    rule.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_v1_lines_are_dockers_default_device_rules() {
        let lines: Vec<_> = ALLOWED.iter().map(v1_line).collect();
        assert_eq!(
            lines,
            [
                "c *:* m",
                "b *:* m",
                "c 1:3 rwm",
                "c 1:5 rwm",
                "c 1:7 rwm",
                "c 1:8 rwm",
                "c 1:9 rwm",
                "c 5:0 rwm",
                "c 5:1 rwm",
                "c 5:2 rwm",
                "c 136:* rwm",
            ]
        );
    }
}
