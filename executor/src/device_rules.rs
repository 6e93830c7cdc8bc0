//! Docker's device rule list, the one source for both device policies:
//! the cgroup v1 `devices.allow` lines (devices.rs) and the cgroup v2
//! eBPF program (device_program.rs). Everything not listed is denied.

/// Which kind of node a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Char,
    Block,
}

/// What a rule lets the workload do with the nodes it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Create the node only: opening it stays denied.
    Mknod,
    /// Read, write and create.
    All,
}

/// One allowed set of nodes; `None` for a major or minor matches any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rule {
    pub kind: Kind,
    pub major: Option<u32>,
    pub minor: Option<u32>,
    pub access: Access,
}

const fn all(kind: Kind, major: u32, minor: Option<u32>) -> Rule {
    Rule {
        kind,
        major: Some(major),
        minor,
        access: Access::All,
    }
}

pub(crate) const ALLOWED: &[Rule] = &[
    // An image may carry device nodes; they just cannot be opened.
    Rule {
        kind: Kind::Char,
        major: None,
        minor: None,
        access: Access::Mknod,
    },
    Rule {
        kind: Kind::Block,
        major: None,
        minor: None,
        access: Access::Mknod,
    },
    all(Kind::Char, 1, Some(3)), // null
    all(Kind::Char, 1, Some(5)), // zero
    all(Kind::Char, 1, Some(7)), // full
    all(Kind::Char, 1, Some(8)), // random
    all(Kind::Char, 1, Some(9)), // urandom
    all(Kind::Char, 5, Some(0)), // tty
    all(Kind::Char, 5, Some(1)), // console
    all(Kind::Char, 5, Some(2)), // ptmx
    all(Kind::Char, 136, None),  // pts/*
];

impl Rule {
    /// The `TYPE MAJOR:MINOR ACCESS` line for v1's `devices.allow`.
    pub(crate) fn v1_line(&self) -> String {
        let num = |n: Option<u32>| n.map_or_else(|| "*".to_owned(), |n| n.to_string());
        format!(
            "{} {}:{} {}",
            match self.kind {
                Kind::Char => 'c',
                Kind::Block => 'b',
            },
            num(self.major),
            num(self.minor),
            match self.access {
                Access::Mknod => "m",
                Access::All => "rwm",
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_v1_lines_are_dockers_default_device_rules() {
        let lines: Vec<_> = ALLOWED.iter().map(Rule::v1_line).collect();
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
