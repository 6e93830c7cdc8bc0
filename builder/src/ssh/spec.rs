//! One `--ssh` flag as buildx reads it: `default` (or `ID`) is the
//! agent at $SSH_AUTH_SOCK; `ID=PATH[,PATH]` is an agent socket, or key
//! files to load into an agent of the build's own.

use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;
use std::str::FromStr;

use super::SshError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshSource {
    /// `ID` alone: $SSH_AUTH_SOCK, read when the agent is needed.
    Env,
    Socket(PathBuf),
    Keys(Vec<PathBuf>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSpec {
    pub id: String,
    pub source: SshSource,
    /// The flag as given, for messages.
    pub raw: String,
}

impl FromStr for SshSpec {
    type Err = SshError;

    fn from_str(s: &str) -> Result<Self, SshError> {
        let bad = || SshError::Malformed(s.to_string());
        let (id, paths) = match s.split_once('=') {
            Some((id, paths)) => (id, Some(paths)),
            None => (s, None),
        };
        if id.is_empty() || id.contains(',') {
            return Err(bad());
        }
        let source = match paths {
            None => SshSource::Env,
            Some(p) => {
                let paths: Vec<PathBuf> = p.split(',').map(PathBuf::from).collect();
                if paths.iter().any(|p| p.as_os_str().is_empty()) {
                    return Err(bad());
                }
                let is_socket =
                    |p: &PathBuf| std::fs::metadata(p).is_ok_and(|m| m.file_type().is_socket());
                match paths.as_slice() {
                    [one] if is_socket(one) => SshSource::Socket(one.clone()),
                    _ if paths.iter().any(is_socket) => {
                        return Err(SshError::Source {
                            spec: s.to_string(),
                            message: "an agent socket cannot be mixed with key files".into(),
                        });
                    }
                    _ => SshSource::Keys(paths),
                }
            }
        };
        Ok(SshSpec {
            id: id.to_string(),
            source,
            raw: s.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_alone_is_the_environments_agent_and_paths_are_keys() {
        let d: SshSpec = "default".parse().unwrap();
        assert_eq!((d.id.as_str(), d.source), ("default", SshSource::Env));
        let k: SshSpec = "deploy=/k/a,/k/b".parse().unwrap();
        assert_eq!(
            k.source,
            SshSource::Keys(vec!["/k/a".into(), "/k/b".into()])
        );
        for bad in ["", "=x", "a=", "a=x,,y"] {
            assert!(bad.parse::<SshSpec>().is_err(), "{bad}");
        }
    }
}
