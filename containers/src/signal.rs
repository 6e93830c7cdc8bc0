//! Signal names as docker and kill(1) spell them: `TERM`, `SIGTERM`, `15`.

use rustix::process::Signal;

use crate::error::ContainerError;

const NAMES: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("CONT", libc::SIGCONT),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("PWR", libc::SIGPWR),
    ("SYS", libc::SIGSYS),
];

/// Signals of a faulting instruction: the sandbox's init does not forward
/// them (one sent to it would end the init itself).
pub(crate) const NOT_FORWARDED: &[Signal] = &[
    Signal::SEGV,
    Signal::BUS,
    Signal::ILL,
    Signal::FPE,
    Signal::ABORT,
    Signal::TRAP,
];

pub fn parse_signal(text: &str) -> Result<Signal, ContainerError> {
    let bad = || ContainerError::BadSignal(text.to_owned());
    // `kill -s -HUP`, as kill(1) spells it.
    let upper = text.trim().trim_start_matches('-').to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let number = match name.parse::<i32>() {
        Ok(n) => n,
        Err(_) => NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .ok_or_else(bad)?,
    };
    // STOP would freeze the sandbox's init instead of the workload: pause
    // is the way to freeze a container.
    if number == libc::SIGSTOP {
        return Err(bad());
    }
    Signal::from_named_raw(number).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_numbers_and_sig_prefixes_are_accepted() {
        assert_eq!(parse_signal("TERM").unwrap(), Signal::TERM);
        assert_eq!(parse_signal("sigkill").unwrap(), Signal::KILL);
        assert_eq!(parse_signal("10").unwrap(), Signal::USR1);
        assert_eq!(parse_signal("-INT").unwrap(), Signal::INT);
        assert!(parse_signal("NOPE").is_err());
        assert!(parse_signal("0").is_err());
        assert!(parse_signal("STOP").is_err());
    }
}
