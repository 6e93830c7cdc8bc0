//! The attach socket, `containers/<id>/attach.sock`: the monitor serves it
//! while it runs; `attach`, `start -a` and an attached `run` connect.
//!
//! Both ways the bytes are frames, `KIND LEN(u32, big endian) PAYLOAD`:
//! - monitor to client: [`STDOUT`] and [`STDERR`] with the process's output
//!   as it is read (not line by line: a prompt shows at once), so the two
//!   streams stay apart; a container with a terminal has one stream.
//! - client to monitor: [`STDIN`] bytes, [`STDIN_EOF`] (the client's input
//!   ended: a `-i` run closes the process's stdin, as docker's StdinOnce),
//!   and [`RESIZE`] (rows, cols as two u16) for a terminal.
//!
//! The monitor closes every connection once the container has ended for
//! good (after the last restart), so a client's EOF means "exited".
//!
//! A container's dir can be deeper than a unix socket path may be long
//! (108 bytes), so the socket is bound and reached through
//! `/proc/self/fd/N/attach.sock`, N an fd of the dir.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::container::Container;
use crate::error::{ContainerError, IoContext};

pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;
pub const STDIN: u8 = 3;
pub const STDIN_EOF: u8 = 4;
pub const RESIZE: u8 = 5;

/// The longest frame anyone sends; a longer one is a broken peer.
const MAX_FRAME: usize = 1 << 20;

/// How long a client that does not read may hold up the container's output.
const SLOW_CLIENT: Duration = Duration::from_secs(2);

pub fn write_frame(to: &mut impl Write, kind: u8, payload: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(payload.len()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    let mut frame = Vec::with_capacity(5 + payload.len());
    frame.push(kind);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    to.write_all(&frame)
}

/// The next frame; `None` at a clean EOF.
pub fn read_frame(from: &mut impl Read) -> std::io::Result<Option<(u8, Vec<u8>)>> {
    let mut head = [0u8; 5];
    match from.read_exact(&mut head) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("an attach frame of {len} bytes"),
        ));
    }
    let mut payload = vec![0u8; len];
    from.read_exact(&mut payload)?;
    Ok(Some((head[0], payload)))
}

/// A resize frame's payload.
pub fn resize_payload(rows: u16, cols: u16) -> [u8; 4] {
    let (r, c) = (rows.to_be_bytes(), cols.to_be_bytes());
    [r[0], r[1], c[0], c[1]]
}

pub fn parse_resize(payload: &[u8]) -> Option<(u16, u16)> {
    match payload {
        [r0, r1, c0, c1] => Some((
            u16::from_be_bytes([*r0, *r1]),
            u16::from_be_bytes([*c0, *c1]),
        )),
        _ => None,
    }
}

/// `/proc/self/fd/N/attach.sock` and the fd of the dir N names (keep it
/// open while the path is used).
fn short_path(dir: &Path) -> Result<(OwnedFd, String), ContainerError> {
    let fd: OwnedFd = std::fs::File::open(dir).ctx("open", dir)?.into();
    let path = format!("/proc/self/fd/{}/attach.sock", fd.as_raw_fd());
    Ok((fd, path))
}

/// The monitor's listening socket, made anew for each monitor (a dead
/// one's socket file is replaced).
pub fn listen(c: &Container) -> Result<UnixListener, ContainerError> {
    let (_dir, path) = short_path(c.dir())?;
    let _ = std::fs::remove_file(c.dir().join("attach.sock"));
    UnixListener::bind(&path).ctx("bind the attach socket", c.dir().join("attach.sock"))
}

/// Connects to a running container's monitor. `wait` allows for a monitor
/// that is still starting to bind it.
pub fn connect(c: &Container, wait: Duration) -> Result<UnixStream, ContainerError> {
    let (_dir, path) = short_path(c.dir())?;
    let deadline = Instant::now() + wait;
    loop {
        match UnixStream::connect(&path) {
            Ok(s) => return Ok(s),
            Err(e) if Instant::now() >= deadline => {
                return Err(e).ctx("connect to the attach socket", c.dir().join("attach.sock"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// The monitor's attached clients: every chunk of output goes to each.
#[derive(Clone, Default)]
pub struct Hub {
    clients: Arc<Mutex<Vec<(u64, UnixStream)>>>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl Hub {
    /// Adds a client; returns its number for [`Hub::remove`].
    pub fn add(&self, client: &UnixStream) -> std::io::Result<u64> {
        let out = client.try_clone()?;
        out.set_write_timeout(Some(SLOW_CLIENT))?;
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.lock().push((id, out));
        Ok(id)
    }

    /// Sends a chunk to every client; one that fails (gone, or too slow to
    /// read) is dropped, never the output.
    pub fn send(&self, kind: u8, data: &[u8]) {
        self.lock()
            .retain_mut(|(_, client)| write_frame(client, kind, data).is_ok());
    }

    /// A client that detached (closed its side): it gets what was sent so
    /// far, then EOF.
    pub fn remove(&self, id: u64) {
        self.lock().retain(|(n, client)| {
            if *n == id {
                let _ = client.shutdown(std::net::Shutdown::Both);
            }
            *n != id
        });
    }

    /// Ends every connection: the container is gone for good.
    pub fn close_all(&self) {
        for (_, client) in self.lock().drain(..) {
            let _ = client.shutdown(std::net::Shutdown::Both);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, UnixStream)>> {
        // A copier that panicked mid-send leaves the list usable.
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_eof_is_none() {
        let mut buf = Vec::new();
        write_frame(&mut buf, STDOUT, b"hello").unwrap();
        write_frame(&mut buf, RESIZE, &resize_payload(24, 80)).unwrap();
        let mut r = &buf[..];
        assert_eq!(
            read_frame(&mut r).unwrap(),
            Some((STDOUT, b"hello".to_vec()))
        );
        let (kind, p) = read_frame(&mut r).unwrap().unwrap();
        assert_eq!((kind, parse_resize(&p)), (RESIZE, Some((24, 80))));
        assert_eq!(read_frame(&mut r).unwrap(), None);
    }

    #[test]
    fn an_oversized_frame_is_an_error_not_an_allocation() {
        let mut r = &[STDIN, 0xff, 0xff, 0xff, 0xff][..];
        assert!(read_frame(&mut r).is_err());
    }
}
