//! `strata attach CONTAINER`, and the attached session `start -a [-i]` and
//! an attached `run` share: the container's output from its monitor's
//! attach socket to our stdout and stderr, our stdin to the process (a
//! container made with -i), our terminal's size to its terminal (-t), and
//! signals to the process (without a terminal, as docker's sig-proxy). The
//! detach keys (ctrl-p ctrl-q) leave it running.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use miette::{IntoDiagnostic, Result, miette};
use rustix::termios::{OptionalActions, Termios, isatty, tcgetattr, tcgetwinsize, tcsetattr};
use strata_containers::attach::{self, RESIZE, STDERR, STDIN, STDIN_EOF, STDOUT};
use strata_containers::{Container, Status, attach_lock};
use strata_store::Store;

use super::{open, report};
use crate::cli::AttachArgs;

/// How an attached session ended.
pub enum Ended {
    /// The container exited with this code.
    Exited(i32),
    /// The user pressed the detach keys; the container runs on.
    Detached,
    /// We got this signal and did not pass it on (`--sig-proxy=false`).
    Signalled(i32),
}

pub fn attach(store: &Store, args: &AttachArgs) -> Result<i32> {
    let keys = parse_detach_keys(&args.detach_keys)?;
    let containers = open(store)?;
    let c = containers.find(&args.container).map_err(report)?;
    // Held until we read the exit code: a --rm container waits for it.
    let _attached = attach_lock(&c).map_err(report)?;
    let state = c.refresh().map_err(report)?;
    if !matches!(state.status, Status::Running | Status::Paused) {
        return Err(miette!(
            "cannot attach to container {}: it is {} (start it first)",
            args.container,
            state.status
        ));
    }
    let conn = attach::connect(&c, std::time::Duration::from_secs(2)).map_err(report)?;
    let stdin = !args.no_stdin && c.config.stdin_open;
    match session(&c, conn, stdin, keys, args.sig_proxy)? {
        Ended::Exited(code) => Ok(code),
        Ended::Detached => Ok(0),
        Ended::Signalled(sig) => Ok(128 + sig),
    }
}

/// docker's `--detach-keys`: `ctrl-X` or single characters, comma separated.
pub fn parse_detach_keys(text: &str) -> Result<Vec<u8>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|key| match key.strip_prefix("ctrl-") {
            Some(k) if k.len() == 1 => {
                let b = k.as_bytes()[0].to_ascii_uppercase();
                if (b'@'..=b'_').contains(&b) {
                    Ok(b & 0x1f)
                } else {
                    Err(miette!("bad detach key {key:?}"))
                }
            }
            None if key.len() == 1 => Ok(key.as_bytes()[0]),
            _ => Err(miette!(
                "bad detach key {key:?}: expected ctrl-X or one character"
            )),
        })
        .collect()
}

/// Relays until the container ends or the user detaches.
/// Without `sig_proxy` a signal that would end strata ends the session
/// instead of reaching the process.
pub fn session(
    c: &Container,
    conn: UnixStream,
    stdin: bool,
    keys: Vec<u8>,
    sig_proxy: bool,
) -> Result<Ended> {
    let tty = c.config.spec.tty;
    let writer = Arc::new(Mutex::new(conn.try_clone().into_diagnostic()?));
    let send = {
        let writer = writer.clone();
        move |kind: u8, data: &[u8]| {
            let mut w = writer.lock().unwrap_or_else(|p| p.into_inner());
            attach::write_frame(&mut *w, kind, data).is_ok()
        }
    };
    let terminal = tty && isatty(std::io::stdin());
    let _raw = terminal.then(RawMode::enter);
    // Blocked before the first size goes (and before the threads start,
    // which inherit the mask): a SIGWINCH between the two would be lost,
    // its default action being to ignore it.
    strata_executor::block_forwarded_signals().into_diagnostic()?;
    if terminal {
        send_size(&send);
    }
    let detached = Arc::new(AtomicBool::new(false));
    if stdin {
        let (send, detached) = (send.clone(), detached.clone());
        let conn = conn.try_clone().into_diagnostic()?;
        std::thread::spawn(move || {
            if forward_stdin(&send, &keys) {
                detached.store(true, Ordering::SeqCst);
                // The monitor then ends our output after what it sent.
                let _ = conn.shutdown(std::net::Shutdown::Write);
            }
        });
    }
    // Output on a thread; this one waits for signals to pass on.
    let done = Arc::new(AtomicBool::new(false));
    let output = {
        let done = done.clone();
        let mut conn = conn;
        std::thread::spawn(move || {
            copy_output(&mut conn);
            done.store(true, Ordering::SeqCst);
        })
    };
    while !done.load(Ordering::SeqCst) {
        use strata_executor::Signal;
        match strata_executor::next_signal(50).into_diagnostic()? {
            Some(sig) if sig == Signal::WINCH && terminal => send_size(&send),
            Some(sig) if sig == Signal::WINCH || sig == Signal::CHILD => {}
            // docker's --sig-proxy=false: the client goes, as the signal
            // would have it; the container is left alone.
            Some(sig) if !sig_proxy => return Ok(Ended::Signalled(sig.as_raw())),
            // With a terminal, ^C is a byte to its line discipline.
            Some(sig) if !tty => {
                let _ = strata_containers::kill(c, sig);
            }
            _ => {}
        }
    }
    let _ = output.join();
    if detached.load(Ordering::SeqCst) {
        return Ok(Ended::Detached);
    }
    // The monitor closes attached clients once the exit is recorded.
    let state = strata_containers::wait(c).map_err(report)?;
    state.exit_code.map(Ended::Exited).ok_or_else(|| {
        miette!(
            "container {} ended without an exit code: {}",
            c.config.name,
            state.error.as_deref().unwrap_or("unknown cause")
        )
    })
}

fn copy_output(conn: &mut UnixStream) {
    while let Ok(Some((kind, data))) = attach::read_frame(conn) {
        // A closed pipe downstream (`| head`) is not our failure.
        let _ = match kind {
            STDOUT => {
                let mut out = std::io::stdout().lock();
                out.write_all(&data).and_then(|()| out.flush())
            }
            STDERR => std::io::stderr().lock().write_all(&data),
            _ => Ok(()),
        };
    }
}

/// Our stdin to the process until EOF; true if the detach keys ended it.
fn forward_stdin(send: &impl Fn(u8, &[u8]) -> bool, keys: &[u8]) -> bool {
    let mut input = std::io::stdin().lock();
    let mut buf = [0u8; 8192];
    // How much of the detach sequence the latest input ends with; held
    // back until it is clearly not the sequence.
    let mut matched = 0;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) | Err(_) => {
                if matched > 0 {
                    send(STDIN, &keys[..matched]);
                }
                send(STDIN_EOF, &[]);
                return false;
            }
            Ok(n) => n,
        };
        let mut out = Vec::with_capacity(n);
        for &b in &buf[..n] {
            if !keys.is_empty() && b == keys[matched] {
                matched += 1;
                if matched == keys.len() {
                    send(STDIN, &out);
                    return true;
                }
                continue;
            }
            out.extend_from_slice(&keys[..matched]);
            matched = 0;
            if !keys.is_empty() && b == keys[0] {
                matched = 1;
            } else {
                out.push(b);
            }
        }
        if !out.is_empty() && !send(STDIN, &out) {
            return false;
        }
    }
}

fn send_size(send: &impl Fn(u8, &[u8]) -> bool) {
    if let Ok(size) = tcgetwinsize(std::io::stdin()) {
        send(RESIZE, &attach::resize_payload(size.ws_row, size.ws_col));
    }
}

/// Our terminal in raw mode while attached to a container's terminal, so
/// every key reaches it; restored when dropped.
struct RawMode(Option<Termios>);

impl RawMode {
    fn enter() -> Self {
        let stdin = std::io::stdin();
        let Ok(saved) = tcgetattr(&stdin) else {
            return Self(None);
        };
        let mut raw = saved.clone();
        raw.make_raw();
        match tcsetattr(&stdin, OptionalActions::Now, &raw) {
            Ok(()) => Self(Some(saved)),
            Err(_) => Self(None),
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            let _ = tcsetattr(std::io::stdin(), OptionalActions::Now, saved);
        }
    }
}
