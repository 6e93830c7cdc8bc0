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
}
