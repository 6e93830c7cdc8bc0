//! A process named so that it cannot be mistaken for another: its pid, its
//! start time in /proc (clock ticks since boot) and the boot it ran in. A
//! reused pid has another start time; after a reboot the boot id differs.

use std::os::fd::OwnedFd;

use rustix::process::{Pid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessId {
    pub pid: u32,
    /// Field 22 of /proc/PID/stat.
    pub start_time: u64,
    pub boot_id: String,
}

impl ProcessId {
    /// The identity of the running process `pid`.
    pub fn of(pid: u32) -> std::io::Result<ProcessId> {
        let (start_time, _) = stat(pid)?;
        Ok(ProcessId {
            pid,
            start_time,
            boot_id: boot_id()?,
        })
    }

    /// This process.
    pub fn current() -> std::io::Result<ProcessId> {
        Self::of(std::process::id())
    }

    /// Alive and still the same process (a zombie counts as gone).
    pub fn is_alive(&self) -> bool {
        self.pidfd().is_some()
    }

    /// Sends `sig` if the process is still this one. Returns whether it was
    /// delivered. The pidfd pins the process: once its start time is checked
    /// through it, the signal cannot reach a newcomer with the same pid.
    pub fn signal(&self, sig: Signal) -> bool {
        self.pidfd()
            .is_some_and(|fd| pidfd_send_signal(&fd, sig).is_ok())
    }

    fn pidfd(&self) -> Option<OwnedFd> {
        if boot_id().ok()? != self.boot_id {
            return None;
        }
        let pid = Pid::from_raw(i32::try_from(self.pid).ok()?)?;
        let fd = pidfd_open(pid, PidfdFlags::empty()).ok()?;
        let (start, state) = stat(self.pid).ok()?;
        (start == self.start_time && state != 'Z' && state != 'X').then_some(fd)
    }
}

/// (start time, state letter) from /proc/PID/stat.
fn stat(pid: u32) -> std::io::Result<(u64, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "unreadable /proc stat");
    // The command name may hold spaces and parentheses: fields start after
    // its last ')'.
    let rest = text.rsplit_once(')').ok_or_else(bad)?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); field 22 is index 19.
    let state = fields
        .first()
        .and_then(|s| s.chars().next())
        .ok_or_else(bad)?;
    let start = fields
        .get(19)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok((start, state))
}

fn boot_id() -> std::io::Result<String> {
    Ok(std::fs::read_to_string("/proc/sys/kernel/random/boot_id")?
        .trim()
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_changed_start_time_is_not() {
        let me = ProcessId::current().unwrap();
        assert!(me.is_alive());
        let reused = ProcessId {
            start_time: me.start_time + 1,
            ..me.clone()
        };
        assert!(!reused.is_alive());
        let other_boot = ProcessId {
            boot_id: "00000000-0000-0000-0000-000000000000".into(),
            ..me
        };
        assert!(!other_boot.is_alive());
    }

    #[test]
    fn a_reaped_child_is_gone() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let id = ProcessId::of(child.id()).unwrap();
        child.wait().unwrap();
        assert!(!id.is_alive());
    }
}
