//! What commands do to a container that exists: signal it, stop it, wait
//! for it, follow its log, remove it. Callers that change a container hold
//! its command lock ([`Container::lock`]); waiting and reading do not.

use std::time::{Duration, Instant};

use rustix::process::Signal;

use crate::container::Container;
use crate::error::ContainerError;
use crate::lock::FileLock;
use crate::log::{self, LogEntry};
use crate::registry::Containers;
use crate::state::ContainerState;
use crate::status::Status;

const POLL: Duration = Duration::from_millis(20);

/// How long a SIGKILLed sandbox may take to be reaped and recorded.
const KILL_GRACE: Duration = Duration::from_secs(30);

/// How `stop` ended the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The stop signal was enough.
    BySignal,
    /// It outlived the timeout and was killed.
    Killed,
}

/// Sends `sig` to the container's init, which forwards it to the process.
/// Ending signals mark the run as stopped by the user.
pub fn kill(c: &Container, sig: Signal) -> Result<ContainerState, ContainerError> {
    if crate::signal::NOT_FORWARDED.contains(&sig) {
        return Err(ContainerError::NotForwarded(format!("{sig:?}")));
    }
    let state = c.refresh()?;
    if !state.status.is_active() {
        return Err(ContainerError::NotRunning(c.id().to_owned()));
    }
    let ending = matches!(
        sig,
        Signal::KILL | Signal::TERM | Signal::INT | Signal::QUIT
    );
    if ending {
        c.update_state(|s| s.stopped_by_user = true)?;
    }
    // SIGKILL also goes to every process in the container's cgroup (root):
    // a pid 1 that outlived an early death of the outer init (its parent
    // death signal can miss that) dies too.
    let all_killed = sig == Signal::KILL && kill_all(&state);
    match &state.init {
        Some(init) if init.signal(sig) || all_killed => {
            // A frozen process cannot act on the signal: let it.
            if ending && state.status == Status::Paused {
                thaw(c, &state)?;
            }
            Ok(state)
        }
        // Between runs of a restart policy: the mark alone ends it.
        None if ending && state.status == Status::Restarting => Ok(state),
        _ => Err(ContainerError::NotRunning(c.id().to_owned())),
    }
}

/// SIGKILL to every process of the container's freezer cgroup, if it has
/// one; whether it has.
fn kill_all(state: &ContainerState) -> bool {
    match &state.freezer {
        Some(f) => {
            f.kill_all();
            true
        }
        None => false,
    }
}

/// The stop signal, then SIGKILL after `timeout`; returns once the exit is
/// recorded.
pub fn stop(
    c: &Container,
    sig: Signal,
    timeout: Duration,
) -> Result<(ContainerState, Stopped), ContainerError> {
    kill(c, sig)?;
    if let Some(state) = wait_until_exited(c, timeout)? {
        return Ok((state, Stopped::BySignal));
    }
    // The init gone between the wait and the kill: the stop signal did it.
    let how = match kill(c, Signal::KILL) {
        Ok(_) => Stopped::Killed,
        Err(_) => Stopped::BySignal,
    };
    let state = wait_until_exited(c, KILL_GRACE)?
        .ok_or_else(|| ContainerError::StillRunning(c.id().to_owned()))?;
    Ok((state, how))
}

/// Starts `spec` (args, env, cwd, user) inside the running container:
/// its namespaces, cgroups and confinement.
pub fn exec(
    c: &Container,
    spec: &strata_executor::RunSpec,
    stdio: strata_executor::Stdio,
) -> Result<strata_executor::Joined, ContainerError> {
    let state = c.refresh()?;
    let init = match (state.status, &state.init) {
        (Status::Running, Some(init)) if init.is_alive() => init,
        (Status::Paused, _) => return Err(ContainerError::Paused(c.id().to_owned())),
        _ => return Err(ContainerError::NotRunning(c.id().to_owned())),
    };
    Ok(strata_executor::exec_in(init.pid, spec, stdio)?)
}

/// Freezes every process of the container. The caller holds its lock.
pub fn pause(c: &Container) -> Result<ContainerState, ContainerError> {
    let state = c.refresh()?;
    match state.status {
        Status::Running => {}
        Status::Paused => return Err(ContainerError::Paused(c.id().to_owned())),
        _ => return Err(ContainerError::NotRunning(c.id().to_owned())),
    }
    let freezer = state
        .freezer
        .as_ref()
        .ok_or_else(|| ContainerError::PauseUnsupported(c.id().to_owned()))?;
    freezer.freeze()?;
    c.update_state(|s| {
        s.status = Status::Paused;
        s.clone()
    })
}

/// Thaws a paused container. The caller holds its lock.
pub fn unpause(c: &Container) -> Result<ContainerState, ContainerError> {
    let state = c.refresh()?;
    if state.status != Status::Paused {
        return Err(ContainerError::NotPaused(c.id().to_owned()));
    }
    thaw(c, &state)
}

fn thaw(c: &Container, state: &ContainerState) -> Result<ContainerState, ContainerError> {
    if let Some(freezer) = &state.freezer {
        freezer.thaw()?;
    }
    c.update_state(|s| {
        if s.status == Status::Paused {
            s.status = Status::Running;
        }
        s.clone()
    })
}

/// `rm`: refuses a running container unless `force`, which kills it first.
/// The caller holds the container's lock.
pub fn remove(containers: &Containers, c: &Container, force: bool) -> Result<(), ContainerError> {
    let state = c.refresh()?;
    if state.status.is_active() {
        if !force {
            return Err(ContainerError::StillRunning(c.id().to_owned()));
        }
        // So that a restart policy does not bring it back.
        c.update_state(|s| s.stopped_by_user = true)?;
        if let Some(init) = &state.init {
            init.signal(Signal::KILL);
        }
        kill_all(&state);
        if state.status == Status::Paused {
            thaw(c, &state)?;
        }
        wait_until_exited(c, KILL_GRACE)?
            .ok_or_else(|| ContainerError::StillRunning(c.id().to_owned()))?;
    }
    containers.remove(c)
}

/// Blocks until the container's process is not running (a restart
/// policy's restart counts as an end, as docker's wait); returns the state.
/// Holds the attach lock meanwhile, so a `--rm` container is not removed
/// before its exit code is read.
pub fn wait(c: &Container) -> Result<ContainerState, ContainerError> {
    let _attached = FileLock::shared(&c.attach_lock_path())?;
    loop {
        let state = c.refresh()?;
        if !matches!(state.status, Status::Running | Status::Paused) {
            return Ok(state);
        }
        std::thread::sleep(POLL);
    }
}

/// `None` if it still runs after `limit`.
fn wait_until_exited(
    c: &Container,
    limit: Duration,
) -> Result<Option<ContainerState>, ContainerError> {
    let deadline = Instant::now() + limit;
    loop {
        let state = c.refresh()?;
        if !state.status.is_active() {
            return Ok(Some(state));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}

/// Hands every log entry from `offset` on to `emit`, following the log
/// while the container runs; returns the state it ended in. The monitor
/// records the exit only after the last output is in the log, so nothing
/// written before the exit is missed.
/// `pause` runs between polls (a sleep, or a wait for signals to forward).
pub fn follow(
    c: &Container,
    mut offset: u64,
    mut emit: impl FnMut(&LogEntry),
    mut pause: impl FnMut(),
) -> Result<ContainerState, ContainerError> {
    loop {
        let state = c.refresh()?;
        let (entries, next) = log::read_from(&c.log_path(), offset)?;
        entries.iter().for_each(&mut emit);
        offset = next;
        if !state.status.is_active() {
            return Ok(state);
        }
        pause();
    }
}

/// Waits (up to 10 s) until a `--rm` container that exited is removed by
/// its monitor, so the caller's next command no longer sees it.
pub fn wait_removed(c: &Container) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.dir().join("config.json").exists() && Instant::now() < deadline {
        std::thread::sleep(POLL);
    }
}

/// Shared attach lock for a client that will wait for the exit code of a
/// container it starts (see [`wait`]).
pub fn attach_lock(c: &Container) -> Result<FileLock, ContainerError> {
    FileLock::shared(&c.attach_lock_path())
}
