//! `--ulimit NAME=SOFT[:HARD]`: resource limits set in the workload before
//! exec. Without one the process keeps the caller's limits, as a Docker
//! container keeps dockerd's.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The limits Docker's `--ulimit` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resource {
    As,
    Core,
    Cpu,
    Data,
    Fsize,
    Locks,
    Memlock,
    Msgqueue,
    Nice,
    Nofile,
    Nproc,
    Rss,
    Rtprio,
    Rttime,
    Sigpending,
    Stack,
}

const NAMES: &[(&str, Resource)] = &[
    ("as", Resource::As),
    ("core", Resource::Core),
    ("cpu", Resource::Cpu),
    ("data", Resource::Data),
    ("fsize", Resource::Fsize),
    ("locks", Resource::Locks),
    ("memlock", Resource::Memlock),
    ("msgqueue", Resource::Msgqueue),
    ("nice", Resource::Nice),
    ("nofile", Resource::Nofile),
    ("nproc", Resource::Nproc),
    ("rss", Resource::Rss),
    ("rtprio", Resource::Rtprio),
    ("rttime", Resource::Rttime),
    ("sigpending", Resource::Sigpending),
    ("stack", Resource::Stack),
];

/// One limit; `None` is unlimited (`-1` on the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ulimit {
    pub resource: Resource,
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

impl FromStr for Ulimit {
    type Err = String;

    /// `nofile=1024:4096`, `nproc=512` (soft and hard alike), `core=-1`.
    fn from_str(text: &str) -> Result<Self, String> {
        let (name, values) = text
            .split_once('=')
            .ok_or_else(|| format!("bad ulimit {text:?}: expected NAME=SOFT[:HARD]"))?;
        let resource = NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, r)| *r)
            .ok_or_else(|| format!("bad ulimit {text:?}: unknown limit {name:?}"))?;
        let value = |v: &str| -> Result<Option<u64>, String> {
            match v {
                "-1" | "unlimited" => Ok(None),
                _ => v
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("bad ulimit {text:?}: {v:?} is not a number")),
            }
        };
        let (soft, hard) = match values.split_once(':') {
            Some((s, h)) => (value(s)?, value(h)?),
            None => (value(values)?, value(values)?),
        };
        if let (Some(s), Some(h)) = (soft, hard)
            && s > h
        {
            return Err(format!(
                "bad ulimit {text:?}: soft limit above the hard one"
            ));
        }
        if soft.is_none() && hard.is_some() {
            return Err(format!(
                "bad ulimit {text:?}: soft limit above the hard one"
            ));
        }
        Ok(Self {
            resource,
            soft,
            hard,
        })
    }
}

impl Ulimit {
    pub(crate) fn apply(&self) -> std::io::Result<()> {
        use rustix::process::Resource as R;
        let resource = match self.resource {
            Resource::As => R::As,
            Resource::Core => R::Core,
            Resource::Cpu => R::Cpu,
            Resource::Data => R::Data,
            Resource::Fsize => R::Fsize,
            Resource::Locks => R::Locks,
            Resource::Memlock => R::Memlock,
            Resource::Msgqueue => R::Msgqueue,
            Resource::Nice => R::Nice,
            Resource::Nofile => R::Nofile,
            Resource::Nproc => R::Nproc,
            Resource::Rss => R::Rss,
            Resource::Rtprio => R::Rtprio,
            Resource::Rttime => R::Rttime,
            Resource::Sigpending => R::Sigpending,
            Resource::Stack => R::Stack,
        };
        rustix::process::setrlimit(
            resource,
            rustix::process::Rlimit {
                current: self.soft,
                maximum: self.hard,
            },
        )
        .map_err(std::io::Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulimits_read_as_docker_writes_them() {
        let u: Ulimit = "nofile=1024:4096".parse().unwrap();
        assert_eq!(
            (u.resource, u.soft, u.hard),
            (Resource::Nofile, Some(1024), Some(4096))
        );
        let u: Ulimit = "nproc=512".parse().unwrap();
        assert_eq!((u.soft, u.hard), (Some(512), Some(512)));
        let u: Ulimit = "core=-1".parse().unwrap();
        assert_eq!((u.soft, u.hard), (None, None));
        assert!("nofile=10:5".parse::<Ulimit>().is_err());
        assert!("files=1".parse::<Ulimit>().is_err());
        assert!("nofile".parse::<Ulimit>().is_err());
    }
}
