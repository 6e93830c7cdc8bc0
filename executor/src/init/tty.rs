//! A terminal for the process when the spec asks for one. Pid 1, once the
//! root is built, opens a pseudo-terminal pair from the sandbox's own
//! devpts (so `tty` inside names /dev/pts/N, as under runc) and hands the
//! master to the outer init over a socket, as runc's console socket does;
//! the workload makes the pty its controlling terminal and stdio; the outer
//! init (outside the pid namespace, holding the caller's stdio) puts the
//! caller's terminal, if it is one, in raw mode and copies bytes both ways,
//! so line editing, Ctrl-C and window size all belong to the sandbox's
//! terminal. An exec's joiner opens its pty inside the sandbox's mount
//! namespace and relays the same way.

use std::io::{IoSlice, IoSliceMut, Write};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType, recvmsg, sendmsg,
};
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

/// The socket pair the master of pid 1's terminal comes back over: (the
/// outer init's end, pid 1's end).
pub(super) fn console_pair() -> Result<(OwnedFd, OwnedFd), String> {
    rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .ctx(|| "create the console socket".into())
}

/// In pid 1: opens the terminal, sends its master over `console`, returns
/// the slave for the workload.
pub(super) fn open_for(console: &OwnedFd) -> Result<OwnedFd, String> {
    let pty = open()?;
    let fds = [pty.master.as_fd()];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    control.push(SendAncillaryMessage::ScmRights(&fds));
    sendmsg(
        console,
        &[IoSlice::new(b"m")],
        &mut control,
        SendFlags::empty(),
    )
    .ctx(|| "send the terminal to the outer init".into())?;
    Ok(pty.slave)
}

/// In the outer init: the master pid 1 sent, or `None` when pid 1 failed
/// before it could (its failure is in the report).
pub(super) fn receive_master(console: &OwnedFd) -> Option<OwnedFd> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 1];
    loop {
        match recvmsg(
            console,
            &mut [IoSliceMut::new(&mut byte)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        ) {
            Err(Errno::INTR) => continue,
            Err(_) => return None,
            Ok(_) => break,
        }
    }
    control.drain().find_map(|msg| match msg {
        RecvAncillaryMessage::ScmRights(mut fds) => fds.next(),
        _ => None,
    })
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
