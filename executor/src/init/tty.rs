//! A terminal for the process when the caller's stdin is one. The outer
//! init (outside the pid namespace, holding the caller's terminal) opens a
//! pseudo-terminal pair; the workload makes the pty its controlling
//! terminal and stdio; the outer init puts the caller's terminal in raw
//! mode and copies bytes both ways, so line editing, Ctrl-C and window size
//! all belong to the sandbox's terminal.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::process::{Pid, Signal, kill_process};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{
    OptionalActions, Termios, isatty, tcgetattr, tcgetwinsize, tcsetattr, tcsetwinsize,
};

use super::Context;
use super::supervise;
use crate::{ExitStatus, sys};

pub(super) struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

pub(super) fn open() -> Result<Pty, String> {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
        .ctx(|| "open a pty".into())?;
    grantpt(&master).ctx(|| "grantpt".into())?;
    unlockpt(&master).ctx(|| "unlockpt".into())?;
    let name = ptsname(&master, Vec::new()).ctx(|| "ptsname".into())?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx(|| "open the pty slave".into())?;
    if isatty(rustix::stdio::stdin())
        && let Ok(size) = tcgetwinsize(rustix::stdio::stdin())
    {
        let _ = tcsetwinsize(&slave, size);
    }
    Ok(Pty { master, slave })
}

/// In the workload: a new session whose controlling terminal and stdio are
/// the pty.
pub(super) fn attach(slave: &OwnedFd) -> Result<(), String> {
    rustix::process::setsid().ctx(|| "setsid".into())?;
    rustix::process::ioctl_tiocsctty(slave).ctx(|| "set the controlling terminal".into())?;
    rustix::stdio::dup2_stdin(slave).ctx(|| "dup2 stdin".into())?;
    rustix::stdio::dup2_stdout(slave).ctx(|| "dup2 stdout".into())?;
    rustix::stdio::dup2_stderr(slave).ctx(|| "dup2 stderr".into())
}

/// Restores the caller's terminal mode when dropped, even on early return.
struct RawMode(Option<Termios>);

impl RawMode {
    fn enter() -> Self {
        let stdin = rustix::stdio::stdin();
        let Ok(saved) = tcgetattr(stdin) else {
            return Self(None);
        };
        let mut raw = saved.clone();
        raw.make_raw();
        match tcsetattr(stdin, OptionalActions::Now, &raw) {
            Ok(()) => Self(Some(saved)),
            Err(_) => Self(None),
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            let _ = tcsetattr(rustix::stdio::stdin(), OptionalActions::Now, saved);
        }
    }
}

/// The outer init's loop with a terminal: copy bytes, follow window size,
/// forward signals, until `child` (pid 1) exits.
pub(super) fn relay_until_exit(child: Pid, master: OwnedFd) -> ExitStatus {
    let _raw = RawMode::enter();
    let mut master = std::fs::File::from(master);
    let mut stdin_open = true;
    let mut master_open = true;
    let mut buf = [0u8; 8192];
    loop {
        if let Some(status) = supervise::reap(child) {
            if master_open {
                drain(&mut master, &mut buf);
            }
            return status;
        }
        while let Ok(Some(sig)) = sys::wait_signal(0) {
            match sig {
                libc::SIGCHLD => {}
                libc::SIGWINCH => {
                    if let Ok(size) = tcgetwinsize(rustix::stdio::stdin()) {
                        let _ = tcsetwinsize(&master, size);
                    }
                }
                sig => {
                    if let Some(sig) = Signal::from_named_raw(sig) {
                        let _ = kill_process(child, sig);
                    }
                }
            }
        }
        let stdin = rustix::stdio::stdin();
        let mut fds = Vec::with_capacity(2);
        if master_open {
            fds.push(PollFd::new(&master, PollFlags::IN));
        }
        if stdin_open {
            fds.push(PollFd::from_borrowed_fd(stdin, PollFlags::IN));
        }
        let timeout = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 50_000_000,
        };
        if poll(&mut fds, Some(&timeout)).is_err() {
            continue;
        }
        let ready: Vec<bool> = fds.iter().map(|f| !f.revents().is_empty()).collect();
        drop(fds);
        let mut ready = ready.into_iter();
        if master_open && ready.next() == Some(true) {
            master_open = copy(master.as_fd(), &mut std::io::stdout(), &mut buf);
        }
        if stdin_open && ready.next() == Some(true) {
            stdin_open = copy(stdin, &mut master, &mut buf);
        }
    }
}

/// Copies one read's worth; false once the source is done (EOF, or EIO
/// from a master whose slave side has closed).
fn copy(from: BorrowedFd<'_>, to: &mut impl Write, buf: &mut [u8]) -> bool {
    match rustix::io::read(from, &mut *buf) {
        Ok(0) => false,
        Ok(n) => to.write_all(&buf[..n]).and_then(|()| to.flush()).is_ok(),
        Err(Errno::INTR) | Err(Errno::AGAIN) => true,
        Err(_) => false,
    }
}

/// Output the process wrote just before exiting is still in the pty.
fn drain(master: &mut std::fs::File, buf: &mut [u8]) {
    loop {
        let mut fds = [PollFd::new(&*master, PollFlags::IN)];
        let zero = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        if !matches!(poll(&mut fds, Some(&zero)), Ok(n) if n > 0) {
            return;
        }
        if !copy(master.as_fd(), &mut std::io::stdout(), buf) {
            return;
        }
    }
}
