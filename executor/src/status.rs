//! How the sandbox's process ended, and the one-line messages the init
//! sends back to the parent over the report pipe.

/// The end of the sandboxed process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    /// Killed by this signal number.
    Signaled(i32),
}

impl ExitStatus {
    /// The shell convention: the exit code, or 128 + the signal number.
    pub fn code(self) -> i32 {
        match self {
            Self::Exited(code) => code,
            Self::Signaled(sig) => 128 + sig,
        }
    }

    pub fn success(self) -> bool {
        self == Self::Exited(0)
    }
}

impl std::fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exited(code) => write!(f, "exit code {code}"),
            Self::Signaled(sig) => write!(f, "killed by signal {sig}"),
        }
    }
}

/// A message from inside the sandbox to the parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Report {
    Ended(ExitStatus),
    NotFound(String),
    CannotExecute { command: String, reason: String },
    SetupFailed(String),
}

impl Report {
    pub(crate) fn encode(&self) -> String {
        let one_line = |s: &str| s.replace(['\n', '\t'], " ");
        match self {
            Self::Ended(ExitStatus::Exited(c)) => format!("exit\t{c}\n"),
            Self::Ended(ExitStatus::Signaled(s)) => format!("signal\t{s}\n"),
            Self::NotFound(cmd) => format!("notfound\t{}\n", one_line(cmd)),
            Self::CannotExecute { command, reason } => {
                format!("noexec\t{}\t{}\n", one_line(command), one_line(reason))
            }
            Self::SetupFailed(msg) => format!("error\t{}\n", one_line(msg)),
        }
    }

    pub(crate) fn decode(line: &str) -> Option<Self> {
        let mut parts = line.splitn(3, '\t');
        let kind = parts.next()?;
        let first = parts.next()?;
        Some(match kind {
            "exit" => Self::Ended(ExitStatus::Exited(first.parse().ok()?)),
            "signal" => Self::Ended(ExitStatus::Signaled(first.parse().ok()?)),
            "notfound" => Self::NotFound(first.to_owned()),
            "noexec" => Self::CannotExecute {
                command: first.to_owned(),
                reason: parts.next().unwrap_or_default().to_owned(),
            },
            "error" => Self::SetupFailed(first.to_owned()),
            _ => return None,
        })
    }
}

/// How a sandboxed process ended, from what its inits wrote on the report
/// pipe (read to EOF: every writer has exited or exec'd, the fd being
/// close-on-exec there) and, when they wrote no end, the wait status of the
/// process we started. Pid 1 reports the process itself; the outer init
/// then reports pid 1's exit, which encodes a signal as 128+n: the first
/// end wins.
pub(crate) fn read_outcome(
    report: &mut std::fs::File,
    status: std::process::ExitStatus,
) -> Result<ExitStatus, crate::ExecError> {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let mut text = String::new();
    report
        .read_to_string(&mut text)
        .map_err(crate::ExecError::Wait)?;
    let mut ended = None;
    for report in text.lines().filter_map(Report::decode) {
        match report {
            Report::Ended(s) => {
                ended.get_or_insert(s);
            }
            Report::NotFound(cmd) => return Err(crate::ExecError::CommandNotFound(cmd)),
            Report::CannotExecute { command, reason } => {
                return Err(crate::ExecError::CannotExecute { command, reason });
            }
            Report::SetupFailed(msg) => return Err(crate::ExecError::Setup(msg)),
        }
    }
    Ok(ended.unwrap_or(match status.signal() {
        Some(sig) => ExitStatus::Signaled(sig),
        None => ExitStatus::Exited(status.code().unwrap_or(1)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_survive_the_pipe() {
        for report in [
            Report::Ended(ExitStatus::Exited(42)),
            Report::Ended(ExitStatus::Signaled(9)),
            Report::NotFound("nosuch".into()),
            Report::CannotExecute {
                command: "/x".into(),
                reason: "Permission denied".into(),
            },
            Report::SetupFailed("mount /proc: EPERM".into()),
        ] {
            let line = report.encode();
            assert_eq!(Report::decode(line.trim_end_matches('\n')), Some(report));
        }
    }

    #[test]
    fn a_signal_death_reads_as_128_plus_n() {
        assert_eq!(ExitStatus::Signaled(9).code(), 137);
        assert_eq!(ExitStatus::Exited(42).code(), 42);
    }
}
