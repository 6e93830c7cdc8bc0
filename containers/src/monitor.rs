//! The per-container monitor: the strata binary re-executed, detached in
//! its own session, and the parent of the sandbox. It copies the process's
//! stdout and stderr into the log, records the start and the exit, and
//! removes a `--rm` container. No daemon: one monitor per running
//! container, gone when the container ends.
//!
//! The monitor tells the command that started it how the start went with
//! one line on its stdout: `ok`, or `error: MESSAGE`.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Stdio as ProcStdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use strata_executor::{ExecError, Running, Sandbox};
use strata_network::Attachment;

use crate::attach::{self, Hub};
use crate::console::{self, Input, RunStdio};
use crate::container::Container;
use crate::error::{ContainerError, IoContext};
use crate::freezer::Freezer;
use crate::health::HealthState;
use crate::lock::FileLock;
use crate::log::{LogWriter, Stream};
use crate::process::ProcessId;
use crate::registry::Containers;
use crate::restart::RestartPolicy;
use crate::state::ContainerState;
use crate::status::Status;
use crate::time::Timestamp;

/// How to re-execute strata as a monitor: `exe ARGS... ID`.
#[derive(Debug, Clone)]
pub struct MonitorCommand {
    pub exe: PathBuf,
    pub args: Vec<OsString>,
}

/// Starts `c` under a new monitor and returns once it runs (or failed to).
/// The caller holds the container's lock.
pub fn start(c: &Container, monitor: &MonitorCommand) -> Result<ContainerState, ContainerError> {
    launch_monitor(c, monitor, false).map(|(state, _)| state)
}

/// As [`start`], with the caller attached before the process starts, so
/// the connection carries its output from the first byte (and takes its
/// input).
pub fn start_attached(
    c: &Container,
    monitor: &MonitorCommand,
) -> Result<(ContainerState, UnixStream), ContainerError> {
    let (state, conn) = launch_monitor(c, monitor, true)?;
    let conn = conn.ok_or_else(|| ContainerError::MonitorFailed {
        id: c.config.short_id().to_owned(),
        reason: "its attach socket did not answer".to_owned(),
    })?;
    Ok((state, conn))
}

fn launch_monitor(
    c: &Container,
    monitor: &MonitorCommand,
    attach: bool,
) -> Result<(ContainerState, Option<UnixStream>), ContainerError> {
    let state = c.refresh()?;
    if state.status.is_active() {
        return Err(ContainerError::AlreadyRunning(c.id().to_owned()));
    }
    let errors_path = c.monitor_log_path();
    let errors = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&errors_path)
        .ctx("open", &errors_path)?;
    let mut child = std::process::Command::new(&monitor.exe)
        .args(&monitor.args)
        .args(attach.then_some(WAIT_ATTACH))
        .arg(c.id())
        .stdin(ProcStdio::null())
        .stdout(ProcStdio::piped())
        .stderr(errors)
        .spawn()
        .ctx("start the monitor", &monitor.exe)?;
    let conn = if attach {
        connect_to_new(c, &mut child)
    } else {
        None
    };
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        // EOF (an empty line) means the monitor died before reporting.
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let failed = |reason: String| ContainerError::MonitorFailed {
        id: c.config.short_id().to_owned(),
        reason,
    };
    match line.trim_end() {
        "ok" => Ok((c.read_state()?, conn)),
        "" => {
            let _ = child.wait();
            let log = std::fs::read_to_string(&errors_path).unwrap_or_default();
            let last = log.lines().last().unwrap_or("it exited without a word");
            Err(failed(last.to_owned()))
        }
        other => {
            let _ = child.wait();
            Err(failed(
                other.strip_prefix("error: ").unwrap_or(other).to_owned(),
            ))
        }
    }
}

/// The monitor's flag (before the id) that makes it wait for the client
/// that started it to attach.
pub const WAIT_ATTACH: &str = "--wait-attach";

/// How long a new monitor waits for the client that starts it attached.
const ATTACH_WAIT: Duration = Duration::from_secs(10);

/// The starting client's connection to the monitor it just spawned; `None`
/// if the monitor ended (its reason comes on its stdout) or never listened.
fn connect_to_new(c: &Container, child: &mut std::process::Child) -> Option<UnixStream> {
    let deadline = std::time::Instant::now() + ATTACH_WAIT;
    while std::time::Instant::now() < deadline {
        if let Ok(conn) = attach::connect(c, Duration::ZERO) {
            return Some(conn);
        }
        if !matches!(child.try_wait(), Ok(None)) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

/// The monitor's life: runs in the re-executed binary. Returns the exit
/// code the monitor ends with. `wait_attach`: the client that started it
/// attaches before the process starts.
pub fn run(containers: &Containers, id: &str, wait_attach: bool) -> Result<i32, ContainerError> {
    // Our own session: the terminal and process group of the command that
    // started us can come and go.
    let _ = rustix::process::setsid();
    let c = containers.find(id)?;
    let mut ready = std::io::stdout();
    let hub = Hub::default();
    let input = Input::default();
    input.set_stdin_once(c.config.stdin_once);
    match attach::listen(&c) {
        Ok(listener) => {
            if wait_attach {
                console::first_client(&listener, &hub, &input, ATTACH_WAIT, c.config.spec.tty);
            }
            console::serve(listener, hub.clone(), input.clone());
        }
        Err(e) => {
            let _ = writeln!(ready, "error: {e}").and_then(|()| ready.flush());
            return Err(e);
        }
    }
    let mut restarts = None;
    loop {
        let launched = launch(
            &c,
            restarts.is_some(),
            &hub,
            &input,
            containers.store().root(),
        );
        if restarts.is_none() {
            let line = match &launched {
                Ok(_) => "ok".to_owned(),
                Err(e) => format!("error: {e}"),
            };
            let _ = writeln!(ready, "{line}").and_then(|()| ready.flush());
        }
        let (running, copiers) = match launched {
            Ok(started) => started,
            // A user stop during the restart's pause.
            Err(Cancelled) if restarts.is_some() => break,
            Err(Failed(e)) => return Err(e),
            Err(Cancelled) => return Ok(0),
        };
        let (code, error, oom) = match running.wait_outcome() {
            Ok(o) => (o.status.code(), None, o.out_of_memory),
            Err(e) => (exec_failure_code(&e), Some(e.to_string()), false),
        };
        let log = copiers.log.clone();
        copiers.join();
        if let Some(msg) = &error {
            let _ = log.write(Stream::Stderr, format!("strata: {msg}").as_bytes(), false);
        }
        let policy = c.config.restart;
        let recorded = c.update_state(|s| {
            // A process that could not even start would fail the same way.
            let again =
                error.is_none() && policy.should_restart(code, s.restart_count, s.stopped_by_user);
            if again {
                s.restarting(code);
            } else {
                s.exited(Some(code), error.clone());
            }
            s.oom_killed = oom;
            again.then_some(s.restart_count)
        });
        restarts = match recorded {
            // rm -f took it away meanwhile.
            Err(ContainerError::NotFound(_)) => return Ok(0),
            other => other?,
        };
        match restarts {
            Some(n) if pause_before_restart(&c, n)? => {}
            _ => break,
        }
    }
    // The exit is recorded: attached clients read it now (and a --rm
    // removal below waits for them to have).
    hub.close_all();
    if c.config.auto_remove {
        remove_after_exit(containers, &c)?;
    }
    Ok(0)
}

/// Sleeps the backoff before restart `n`; false if a user stopped the
/// container meanwhile (it is then recorded as exited).
fn pause_before_restart(c: &Container, n: u32) -> Result<bool, ContainerError> {
    let deadline = std::time::Instant::now() + RestartPolicy::backoff(n);
    loop {
        let state = c.read_state()?;
        if state.stopped_by_user || state.status != Status::Restarting {
            c.update_state(|s| {
                if s.status == Status::Restarting {
                    s.exited(s.exit_code, None);
                }
            })?;
            return Ok(false);
        }
        if std::time::Instant::now() >= deadline {
            return Ok(true);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Docker's codes: 127 no such command, 126 not executable, 125 any
/// other failure to start.
fn exec_failure_code(e: &ExecError) -> i32 {
    match e {
        ExecError::CommandNotFound(_) => 127,
        ExecError::CannotExecute { .. } => 126,
        _ => 125,
    }
}

fn remove_after_exit(containers: &Containers, c: &Container) -> Result<(), ContainerError> {
    // Clients waiting for the exit code (run --rm, wait) read it first.
    let attached = FileLock::exclusive(&c.attach_lock_path());
    let lock = c.lock();
    if !c.dir().join("config.json").exists() {
        return Ok(());
    }
    let (_attached, _lock) = (attached?, lock?);
    // Started again meanwhile (start of a --rm container before we got the
    // lock): its new monitor owns it now.
    if c.read_state()?.status != Status::Exited {
        return Ok(());
    }
    // docker's --rm takes the container's anonymous volumes with it; they
    // go first, so a client that returns once the container is gone
    // (run --rm) finds them gone too.
    crate::Volumes::open(containers.store())?.remove_anonymous(
        containers,
        c.id(),
        &c.config.spec,
    )?;
    containers.remove(c)
}

/// What a run leaves for the monitor to wind down once it ends.
struct Copiers {
    log: LogWriter,
    threads: Vec<JoinHandle<()>>,
    freezer: Option<Freezer>,
    health: Option<JoinHandle<()>>,
    health_done: Arc<AtomicBool>,
    /// Torn down before the exit is recorded: once `stop` or `rm -f`
    /// returns, the address, veth, rules and DNS name are gone.
    network: Option<Attachment>,
}

impl Copiers {
    fn join(self) {
        self.health_done.store(true, Ordering::Relaxed);
        if let Some(h) = self.health {
            let _ = h.join();
        }
        for t in self.threads {
            let _ = t.join();
        }
        if let Some(f) = &self.freezer {
            f.remove();
        }
        if let Some(Err(e)) = self.network.map(Attachment::teardown) {
            eprintln!("strata monitor: network teardown: {e}");
        }
    }
}

/// Why a launch did not happen.
enum NotLaunched {
    /// A user stopped the container during a restart's pause.
    Cancelled,
    Failed(ContainerError),
}
use NotLaunched::{Cancelled, Failed};

impl From<ContainerError> for NotLaunched {
    fn from(e: ContainerError) -> Self {
        Failed(e)
    }
}

impl std::fmt::Display for NotLaunched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cancelled => f.write_str("stopped before it started"),
            Failed(e) => e.fmt(f),
        }
    }
}

/// Starts the sandbox: the first run (`restart` false) of a container that
/// is not running, or a restart of one the policy is restarting.
fn launch(
    c: &Container,
    restart: bool,
    hub: &Hub,
    input: &Input,
    store_root: &Path,
) -> Result<(Running, Copiers), NotLaunched> {
    let state = c.read_state()?;
    if restart && (state.stopped_by_user || state.status != Status::Restarting) {
        return Err(Cancelled);
    }
    if !restart && state.status.is_active() {
        return Err(ContainerError::AlreadyRunning(c.id().to_owned()).into());
    }
    let log = LogWriter::open(&c.log_path())?;
    // Each run gets its networks afresh (a restart too, as docker's does;
    // the lowest free address is the one it just gave back).
    let (spec, network) = match crate::network::attach(c, store_root) {
        Ok(attached) => attached,
        Err(e) => {
            let msg = e.to_string();
            let _ = log.write(Stream::Stderr, format!("strata: {msg}").as_bytes(), false);
            c.update_state(|s| {
                s.started_at = Some(Timestamp::now());
                s.exited(Some(125), Some(msg));
            })?;
            return Err(e.into());
        }
    };
    let mut stdio = RunStdio::new(c, input)?;
    // Every process of the sandbox is born in the freezer cgroup; the
    // monitor goes back to its own at once.
    let freezer = Freezer::create(c.id());
    let joined = freezer.as_ref().map(|f| (f, f.enter()));
    let spawned = Sandbox::spawn(&spec, std::mem::take(&mut stdio.stdio));
    let freezer = match joined {
        Some((f, Ok(back))) => {
            if let Err(e) = f.leave(&back) {
                eprintln!("strata monitor: {e}");
            }
            Some(f.clone())
        }
        Some((f, Err(e))) => {
            eprintln!("strata monitor: no pause for this run: {e}");
            f.remove();
            None
        }
        None => None,
    };
    let running = match spawned {
        Ok(r) => r,
        Err(e) => {
            if let Some(f) = &freezer {
                f.remove();
            }
            let msg = e.to_string();
            let _ = log.write(Stream::Stderr, format!("strata: {msg}").as_bytes(), false);
            c.update_state(|s| {
                s.started_at = Some(Timestamp::now());
                s.exited(Some(exec_failure_code(&e)), Some(msg));
            })?;
            return Err(ContainerError::from(e).into());
        }
    };
    input.started(running.pid());
    let init = ProcessId::of(running.pid()).ctx("read /proc of the sandbox", "/proc")?;
    let health_init = init.clone();
    let me = ProcessId::current().ctx("read /proc of the monitor", "/proc/self")?;
    c.update_state(|s| {
        *s = ContainerState {
            status: Status::Running,
            monitor: Some(me),
            init: Some(init),
            started_at: Some(Timestamp::now()),
            // A user's start begins a new count.
            restart_count: if restart { s.restart_count } else { 0 },
            freezer: freezer.clone(),
            health: c.config.health.as_ref().map(|_| HealthState::starting()),
            ..ContainerState::created()
        };
    })?;
    let health_done = Arc::new(AtomicBool::new(false));
    let health = c
        .config
        .health
        .clone()
        .map(|cfg| crate::health::spawn(c.clone(), cfg, health_init, health_done.clone()));
    let threads = stdio.copy(&log, hub);
    Ok((
        running,
        Copiers {
            log,
            threads,
            freezer,
            health,
            health_done,
            network,
        },
    ))
}
