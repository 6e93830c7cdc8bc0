//! The monitor's side of a container's stdio: what the sandbox gets as
//! stdin, stdout and stderr, how output reaches the log and attached
//! clients, and how attached clients' input and window size reach the
//! process.
//!
//! Without a terminal: stdout and stderr are two pipes; stdin is a pipe the
//! monitor writes clients' input into (`-i`), else /dev/null. With one
//! (`-t`): the sandbox's stdio is the slave of a pty the monitor holds the
//! master of, in raw mode; the sandbox's outer init relays it to the
//! terminal pid 1 made in the sandbox's devpts, and follows its size when
//! the monitor sends SIGWINCH after a resize.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rustix::fs::{Mode, OFlags};
use rustix::pipe::{PipeFlags, pipe_with};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{OptionalActions, Winsize, tcgetattr, tcsetattr, tcsetwinsize};
use strata_executor::Stdio;

use crate::attach::{self, Hub};
use crate::container::Container;
use crate::error::{ContainerError, IoContext};
use crate::log::{LogWriter, Stream};

/// Input from attached clients, for whichever run of the container is
/// current (a restart gets new pipes).
#[derive(Clone, Default)]
pub(crate) struct Input {
    inner: Arc<Mutex<InputState>>,
}

#[derive(Default)]
struct InputState {
    /// Where clients' stdin goes: the pipe's write end, or the pty master.
    sink: Option<File>,
    /// The pty master, for resizes.
    master: Option<File>,
    /// The last size a client asked for, for the next run's terminal too.
    size: Option<(u16, u16)>,
    /// The sandbox's outer init, told of a resize by SIGWINCH.
    outer: Option<rustix::process::Pid>,
    /// Close the process's stdin when a client's input ends (`run -i`).
    stdin_once: bool,
}

impl Input {
    fn lock(&self) -> std::sync::MutexGuard<'_, InputState> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set_stdin_once(&self, once: bool) {
        self.lock().stdin_once = once;
    }

    /// The sandbox of this run started as `outer`.
    pub(crate) fn started(&self, outer: u32) {
        self.lock().outer = rustix::process::Pid::from_raw(outer as i32);
    }

    fn write(&self, data: &[u8]) {
        let mut st = self.lock();
        // A process that closed its stdin just loses the input, as a pipe
        // reader that is gone would.
        if let Some(sink) = st.sink.as_mut()
            && sink.write_all(data).is_err()
        {
            st.sink = None;
        }
    }

    fn end(&self) {
        let mut st = self.lock();
        // A terminal has no end of input but ^D, which is the process's
        // own business.
        if st.stdin_once && st.master.is_none() {
            st.sink = None;
        }
    }

    fn resize(&self, rows: u16, cols: u16) {
        let mut st = self.lock();
        st.size = Some((rows, cols));
        apply_size(&st);
    }
}

fn apply_size(st: &InputState) {
    if let (Some(master), Some((rows, cols))) = (&st.master, st.size) {
        let size = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        if tcsetwinsize(master, size).is_ok()
            && let Some(outer) = st.outer
        {
            let _ = rustix::process::kill_process(outer, rustix::process::Signal::WINCH);
        }
    }
}

/// Serves the attach socket: every client gets the output from now on,
/// and its frames are read as input.
pub(crate) fn serve(listener: UnixListener, hub: Hub, input: Input) {
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            welcome(client, &hub, &input);
        }
    });
}

/// Waits (up to `limit`) for the client that started the container
/// attached, so it sees the output from the first byte. For a terminal,
/// also for the client's first frame (its window size, sent at once by a
/// client on a terminal), so the process starts with the client's size
/// rather than 0x0: a fast start used to run `stty size` before it came.
pub(crate) fn first_client(
    listener: &UnixListener,
    hub: &Hub,
    input: &Input,
    limit: std::time::Duration,
    tty: bool,
) {
    let deadline = std::time::Instant::now() + limit;
    if listener.set_nonblocking(true).is_err() {
        return;
    }
    while std::time::Instant::now() < deadline {
        match listener.accept() {
            Ok((mut client, _)) => {
                let _ = client.set_nonblocking(false);
                if tty {
                    let _ = client.set_read_timeout(Some(FIRST_FRAME_WAIT));
                    if let Ok(Some((kind, payload))) = attach::read_frame(&mut client) {
                        take_frame(input, kind, &payload);
                    }
                    let _ = client.set_read_timeout(None);
                }
                welcome(client, hub, input);
                break;
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    }
    let _ = listener.set_nonblocking(false);
}

/// How long a terminal's start waits for the starting client's size; a
/// client whose own stdin is no terminal sends none.
const FIRST_FRAME_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

fn take_frame(input: &Input, kind: u8, payload: &[u8]) {
    match kind {
        attach::STDIN => input.write(payload),
        attach::STDIN_EOF => input.end(),
        attach::RESIZE => {
            if let Some((rows, cols)) = attach::parse_resize(payload) {
                input.resize(rows, cols);
            }
        }
        _ => {}
    }
}

fn welcome(client: UnixStream, hub: &Hub, input: &Input) {
    let Ok(id) = hub.add(&client) else {
        return;
    };
    let (input, hub) = (input.clone(), hub.clone());
    std::thread::spawn(move || {
        let mut from = client;
        while let Ok(Some((kind, payload))) = attach::read_frame(&mut from) {
            take_frame(&input, kind, &payload);
        }
        // The client detached (or went): its output ends here.
        hub.remove(id);
    });
}

/// The sandbox's stdio for one run, and the threads that copy its output.
pub(crate) struct RunStdio {
    pub stdio: Stdio,
    /// Read ends of the output, each with the stream it is.
    outputs: Vec<(Stream, OwnedFd)>,
}

impl RunStdio {
    pub(crate) fn new(c: &Container, input: &Input) -> Result<RunStdio, ContainerError> {
        let io = |what, e: rustix::io::Errno| ContainerError::Io {
            what,
            path: c.dir().to_owned(),
            source: e.into(),
        };
        if c.config.spec.tty {
            let pty = open_pty().map_err(|e| io("open a pty for", e))?;
            let dup = |fd: &OwnedFd| fd.try_clone().ctx("dup the pty of", c.dir());
            let stdio = Stdio {
                stdin: Some(dup(&pty.slave)?),
                stdout: Some(dup(&pty.slave)?),
                stderr: Some(pty.slave),
            };
            let master = File::from(pty.master);
            let mut st = input.lock();
            st.sink = Some(master.try_clone().ctx("dup the pty of", c.dir())?);
            st.master = Some(master.try_clone().ctx("dup the pty of", c.dir())?);
            apply_size(&st);
            return Ok(RunStdio {
                stdio,
                outputs: vec![(Stream::Stdout, master.into())],
            });
        }
        let pipe = || pipe_with(PipeFlags::CLOEXEC).map_err(|e| io("create a pipe for", e));
        let (out_r, out_w) = pipe()?;
        let (err_r, err_w) = pipe()?;
        let stdin: OwnedFd = if c.config.stdin_open {
            let (r, w) = pipe()?;
            input.lock().sink = Some(File::from(w));
            r
        } else {
            File::open("/dev/null").ctx("open", "/dev/null")?.into()
        };
        Ok(RunStdio {
            stdio: Stdio {
                stdin: Some(stdin),
                stdout: Some(out_w),
                stderr: Some(err_w),
            },
            outputs: vec![(Stream::Stdout, out_r), (Stream::Stderr, err_r)],
        })
    }

    /// Starts copying the output into the log and to attached clients;
    /// the threads end at the output's EOF. `self.stdio` must have been
    /// handed to the sandbox (and dropped) first.
    pub(crate) fn copy(self, log: &LogWriter, hub: &Hub) -> Vec<JoinHandle<()>> {
        self.outputs
            .into_iter()
            .map(|(stream, fd)| {
                let (log, hub) = (log.clone(), hub.clone());
                std::thread::spawn(move || {
                    // A failed log write must not stop the container; the
                    // monitor's own log says why output is missing.
                    if let Err(e) = relay(stream, File::from(fd), &log, &hub) {
                        eprintln!("strata monitor: copying {stream:?} to the log: {e}");
                    }
                })
            })
            .collect()
    }
}

fn relay(stream: Stream, mut from: File, log: &LogWriter, hub: &Hub) -> std::io::Result<()> {
    let kind = match stream {
        Stream::Stdout => attach::STDOUT,
        Stream::Stderr => attach::STDERR,
    };
    let mut lines = log.lines(stream);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            // EIO: a pty master whose slaves are all closed.
            Ok(0) => return lines.finish(),
            Err(e) if e.raw_os_error() == Some(libc::EIO) => return lines.finish(),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
            Ok(n) => {
                hub.send(kind, &buf[..n]);
                lines.push(&buf[..n])?;
            }
        }
    }
}

struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
}

/// A pty pair with the slave in raw mode: bytes pass through it unchanged
/// (the terminal that edits lines is the sandbox's own).
fn open_pty() -> rustix::io::Result<Pty> {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut mode = tcgetattr(&slave)?;
    mode.make_raw();
    tcsetattr(&slave, OptionalActions::Now, &mode)?;
    Ok(Pty { master, slave })
}
