//! Healthchecks, run by the monitor (no systemd timers): the check command
//! is exec'd into the running container every interval; its exit code and
//! output are recorded; `retries` failures in a row make the container
//! unhealthy, which `on_failure = kill` turns into a kill (and so, through
//! the restart policy, into a restart).

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::container::Container;
use crate::process::ProcessId;
use crate::time::Timestamp;

/// How many results a container keeps (docker's 5).
const KEPT_RESULTS: usize = 5;
/// The output kept per result.
const KEPT_OUTPUT: u64 = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthConfig {
    /// The command, exec'd as it is (`--health-cmd X` is `sh -c X`).
    pub test: Vec<String>,
    pub interval_ms: u64,
    pub timeout_ms: u64,
    pub retries: u32,
    /// Failures this early after a start do not count.
    pub start_period_ms: u64,
    /// Kill the container when it becomes unhealthy.
    pub kill_on_unhealthy: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Starting,
    Healthy,
    Unhealthy,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResult {
    pub start: Timestamp,
    pub end: Timestamp,
    pub exit_code: i32,
    pub output: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthState {
    pub status: Health,
    pub failing_streak: u32,
    pub log: Vec<HealthResult>,
}

impl HealthState {
    pub fn starting() -> Self {
        Self {
            status: Health::Starting,
            failing_streak: 0,
            log: Vec::new(),
        }
    }

    /// Folds one result in; returns true when this result made the
    /// container unhealthy.
    fn record(&mut self, result: HealthResult, cfg: &HealthConfig, in_start_period: bool) -> bool {
        let was = self.status;
        if result.exit_code == 0 {
            self.status = Health::Healthy;
            self.failing_streak = 0;
        } else if !in_start_period || was != Health::Starting {
            self.failing_streak += 1;
            if self.failing_streak >= cfg.retries.max(1) {
                self.status = Health::Unhealthy;
            }
        }
        self.log.push(result);
        let excess = self.log.len().saturating_sub(KEPT_RESULTS);
        self.log.drain(..excess);
        was != Health::Unhealthy && self.status == Health::Unhealthy
    }
}

/// The monitor's health thread for one run; stops when `done` is set.
pub(crate) fn spawn(
    c: Container,
    cfg: HealthConfig,
    init: ProcessId,
    done: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let started = Instant::now();
        let interval = Duration::from_millis(cfg.interval_ms.max(10));
        loop {
            if !sleep_unless(&done, interval) {
                return;
            }
            let result = check(&c, &cfg, init.pid, &done);
            let in_start = started.elapsed() < Duration::from_millis(cfg.start_period_ms);
            let turned_unhealthy = c
                .update_state(|s| {
                    let health = s.health.get_or_insert_with(HealthState::starting);
                    health.record(result, &cfg, in_start)
                })
                .unwrap_or(false);
            if turned_unhealthy && cfg.kill_on_unhealthy {
                init.signal(rustix::process::Signal::KILL);
                return;
            }
        }
    })
}

/// false if `done` was set meanwhile.
fn sleep_unless(done: &AtomicBool, d: Duration) -> bool {
    let deadline = Instant::now() + d;
    while Instant::now() < deadline {
        if done.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    !done.load(Ordering::Relaxed)
}

/// One run of the check, its stdout and stderr together in one file.
fn check(c: &Container, cfg: &HealthConfig, init_pid: u32, done: &AtomicBool) -> HealthResult {
    let start = Timestamp::now();
    let fail = |output: String| HealthResult {
        start,
        end: Timestamp::now(),
        exit_code: -1,
        output,
    };
    let out_path = c.dir().join("health.out");
    let out = match std::fs::File::create(&out_path).and_then(|f| Ok((f.try_clone()?, f))) {
        Ok(files) => files,
        Err(e) => return fail(format!("cannot capture the check's output: {e}")),
    };
    let mut spec = c.config.spec.clone();
    spec.args = cfg.test.clone();
    spec.tty = false;
    let stdio = strata_executor::Stdio {
        stdin: std::fs::File::open("/dev/null").ok().map(Into::into),
        stdout: Some(out.0.into()),
        stderr: Some(out.1.into()),
    };
    let mut joined = match strata_executor::exec_in(init_pid, &spec, stdio) {
        Ok(j) => j,
        Err(e) => return fail(e.to_string()),
    };
    let deadline = Instant::now() + Duration::from_millis(cfg.timeout_ms.max(10));
    let exit_code = loop {
        match joined.try_wait() {
            Ok(Some(status)) => break status.code(),
            Ok(None) => {}
            Err(e) => return fail(e.to_string()),
        }
        if Instant::now() >= deadline || done.load(Ordering::Relaxed) {
            joined.signal(rustix::process::Signal::KILL);
            while matches!(joined.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(5));
            }
            return fail(format!(
                "the check did not finish within {} ms",
                cfg.timeout_ms
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut output = String::new();
    if let Ok(f) = std::fs::File::open(&out_path) {
        let _ = f.take(KEPT_OUTPUT).read_to_string(&mut output);
    }
    let _ = std::fs::remove_file(&out_path);
    HealthResult {
        start,
        end: Timestamp::now(),
        exit_code,
        output,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(code: i32) -> HealthResult {
        HealthResult {
            start: Timestamp::now(),
            end: Timestamp::now(),
            exit_code: code,
            output: String::new(),
        }
    }

    fn cfg(retries: u32) -> HealthConfig {
        HealthConfig {
            test: vec!["true".into()],
            interval_ms: 1000,
            timeout_ms: 1000,
            retries,
            start_period_ms: 0,
            kill_on_unhealthy: false,
        }
    }

    #[test]
    fn retries_failures_in_a_row_make_it_unhealthy_and_a_success_heals() {
        let mut h = HealthState::starting();
        assert!(!h.record(result(0), &cfg(2), false));
        assert_eq!(h.status, Health::Healthy);
        assert!(!h.record(result(1), &cfg(2), false));
        assert_eq!((h.status, h.failing_streak), (Health::Healthy, 1));
        assert!(
            h.record(result(1), &cfg(2), false),
            "the second failure turns it"
        );
        assert_eq!(h.status, Health::Unhealthy);
        assert!(!h.record(result(1), &cfg(2), false), "already unhealthy");
        h.record(result(0), &cfg(2), false);
        assert_eq!((h.status, h.failing_streak), (Health::Healthy, 0));
    }

    #[test]
    fn failures_in_the_start_period_do_not_count_and_the_log_is_bounded() {
        let mut h = HealthState::starting();
        for _ in 0..10 {
            h.record(result(1), &cfg(1), true);
        }
        assert_eq!((h.status, h.failing_streak), (Health::Starting, 0));
        assert_eq!(h.log.len(), KEPT_RESULTS);
    }
}
