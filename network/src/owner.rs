//! Which process owns an attachment: its pid and /proc start time, so a
//! recycled pid does not count as the owner still running.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub pid: u32,
    /// Field 22 of /proc/PID/stat (clock ticks since boot).
    pub start: u64,
}

impl Owner {
    pub fn me() -> Option<Self> {
        let pid = std::process::id();
        Some(Self {
            pid,
            start: stat(pid)?.0,
        })
    }

    /// Process `pid` as it runs now (its start time read from /proc).
    pub fn of(pid: u32) -> Option<Self> {
        Some(Self {
            pid,
            start: stat(pid)?.0,
        })
    }

    /// Sends SIGKILL if this is still the process, then waits (up to
    /// `within`) until it is gone: its exit, not just the signal, is what
    /// frees what it held. Whoever adopted it reaps it; a zombie is gone.
    pub fn kill_and_wait(&self, within: std::time::Duration) -> bool {
        if !self.alive() {
            return true;
        }
        let Some(pid) = i32::try_from(self.pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return true;
        };
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        let deadline = std::time::Instant::now() + within;
        while self.alive() {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        true
    }

    /// A zombie is dead: a monitor killed with SIGKILL stays one until
    /// whoever adopted it (maybe no one, under a minimal pid 1) reaps it.
    pub fn alive(&self) -> bool {
        stat(self.pid).is_some_and(|(start, state)| start == self.start && !"ZX".contains(state))
    }
}

/// (start time, state letter) of /proc/PID/stat.
fn stat(pid: u32) -> Option<(u64, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after
    // the last ')'. Field 3 (the state) is the first after it, so 22 is
    // the 20th.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((fields.nth(18)?.parse().ok()?, state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_changed_start_time_is_not() {
        let me = Owner::me().unwrap();
        assert!(me.alive());
        let other = Owner {
            start: me.start + 1,
            ..me
        };
        assert!(!other.alive());
    }

    #[test]
    fn a_killed_process_is_gone_once_kill_and_wait_returns() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let owner = Owner::of(child.id()).unwrap();
        let reaper = std::thread::spawn(move || child.wait());
        assert!(owner.kill_and_wait(std::time::Duration::from_secs(5)));
        assert!(!owner.alive());
        assert!(!reaper.join().unwrap().unwrap().success());
    }
}
