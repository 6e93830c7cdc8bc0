//! `--chmod` values: octal (`755`, `0644`) or symbolic (`u=rwx,go+rx`,
//! `a-w`, `+X`), applied to every copied file and directory.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid --chmod value {0:?}: want octal like 755 or symbolic like u+rwx,go-w")]
pub struct BadChmod(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chmod {
    Octal(u32),
    Symbolic(Vec<Clause>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
    Set,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// Bits of the classes named (u=0o4700 incl. setuid, ...); all when none.
    who: u32,
    op: Op,
    perms: String,
}

const USER: u32 = 0o4700;
const GROUP: u32 = 0o2070;
const OTHER: u32 = 0o1007;

impl FromStr for Chmod {
    type Err = BadChmod;
    fn from_str(s: &str) -> Result<Self, BadChmod> {
        let bad = || BadChmod(s.to_string());
        if !s.is_empty() && s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            let mode = u32::from_str_radix(s, 8).map_err(|_| bad())?;
            return if mode <= 0o7777 {
                Ok(Chmod::Octal(mode))
            } else {
                Err(bad())
            };
        }
        let mut clauses = Vec::new();
        for part in s.split(',') {
            let op_at = part.find(['+', '-', '=']).ok_or_else(bad)?;
            let (who_text, rest) = part.split_at(op_at);
            let mut who = 0;
            for c in who_text.chars() {
                who |= match c {
                    'u' => USER,
                    'g' => GROUP,
                    'o' => OTHER,
                    'a' => USER | GROUP | OTHER,
                    _ => return Err(bad()),
                };
            }
            let op = match rest.as_bytes()[0] {
                b'+' => Op::Add,
                b'-' => Op::Remove,
                _ => Op::Set,
            };
            let perms = rest[1..].to_string();
            if !perms.chars().all(|c| "rwxXst".contains(c)) {
                return Err(bad());
            }
            clauses.push(Clause { who, op, perms });
        }
        Ok(Chmod::Symbolic(clauses))
    }
}

impl fmt::Display for Chmod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Chmod::Octal(m) => write!(f, "{m:04o}"),
            Chmod::Symbolic(clauses) => {
                let parts: Vec<String> = clauses
                    .iter()
                    .map(|c| {
                        let who: String = [(USER, 'u'), (GROUP, 'g'), (OTHER, 'o')]
                            .iter()
                            .filter(|(bits, _)| c.who & bits == *bits)
                            .map(|(_, ch)| *ch)
                            .collect();
                        let op = match c.op {
                            Op::Add => '+',
                            Op::Remove => '-',
                            Op::Set => '=',
                        };
                        format!("{who}{op}{}", c.perms)
                    })
                    .collect();
                f.write_str(&parts.join(","))
            }
        }
    }
}

impl Chmod {
    /// The new permission bits (0o7777) for an entry with `mode`.
    pub fn apply(&self, mode: u32, is_dir: bool) -> u32 {
        let mut mode = mode & 0o7777;
        let clauses = match self {
            Chmod::Octal(m) => return *m,
            Chmod::Symbolic(c) => c,
        };
        for c in clauses {
            let who = if c.who == 0 {
                USER | GROUP | OTHER
            } else {
                c.who
            };
            let mut bits = 0;
            for p in c.perms.chars() {
                bits |= match p {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    // Execute only where it makes sense: directories, or
                    // files someone may already execute.
                    'X' if is_dir || mode & 0o111 != 0 => 0o111,
                    's' => 0o6000,
                    't' => 0o1000,
                    _ => 0,
                };
            }
            let bits = bits & who;
            mode = match c.op {
                Op::Add => mode | bits,
                Op::Remove => mode & !bits,
                Op::Set => (mode & !(who & 0o7777)) | bits,
            };
        }
        mode
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(spec: &str, mode: u32, is_dir: bool) -> u32 {
        spec.parse::<Chmod>().unwrap().apply(mode, is_dir)
    }

    #[test]
    fn octal_replaces_the_mode() {
        assert_eq!(apply("755", 0o600, false), 0o755);
        assert_eq!(apply("0640", 0o777, true), 0o640);
        assert!("8".parse::<Chmod>().is_err());
        assert!("77777".parse::<Chmod>().is_err());
    }

    #[test]
    fn symbolic_adds_removes_and_sets() {
        assert_eq!(apply("u+x", 0o644, false), 0o744);
        assert_eq!(apply("go-w", 0o666, false), 0o644);
        assert_eq!(apply("a=r", 0o755, false), 0o444);
        assert_eq!(apply("u=rwx,go=rx", 0o000, false), 0o755);
        assert_eq!(apply("+x", 0o644, false), 0o755);
    }

    #[test]
    fn capital_x_only_for_dirs_or_executables() {
        assert_eq!(apply("a+X", 0o644, false), 0o644);
        assert_eq!(apply("a+X", 0o644, true), 0o755);
        assert_eq!(apply("a+X", 0o744, false), 0o755);
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in ["", "u+q", "z+x", "rwx"] {
            assert!(bad.parse::<Chmod>().is_err(), "{bad}");
        }
    }
}
