//! The socket a `RUN --mount=type=ssh` sees: made for the step with the
//! mount's mode and owner (0600, root, as BuildKit's), each connection
//! relayed to the agent, so the step needs no access to the agent's own
//! socket or directory. It stops accepting when dropped.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::SshError;

pub struct Forward {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    accepting: Option<JoinHandle<()>>,
}

impl Forward {
    /// Listens at `path` (mode, uid, gid as given) and relays to `agent`.
    pub fn start(
        path: &Path,
        agent: &Path,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<Forward, SshError> {
        let io_err = |e| SshError::Io {
            path: path.to_path_buf(),
            source: e,
        };
        let listener = UnixListener::bind(path).map_err(io_err)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io_err)?;
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(io_err)?;
        let stop = Arc::new(AtomicBool::new(false));
        let agent = agent.to_path_buf();
        let flag = stop.clone();
        let accepting = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let agent = agent.clone();
                // Ends when either side closes: the step's processes die
                // with the step.
                std::thread::spawn(move || {
                    let _ = relay(client, &agent);
                });
            }
        });
        Ok(Forward {
            path: path.to_path_buf(),
            stop,
            accepting: Some(accepting),
        })
    }
}

fn relay(client: UnixStream, agent: &Path) -> io::Result<()> {
    let upstream = UnixStream::connect(agent)?;
    let (mut c_read, mut u_write) = (client.try_clone()?, upstream.try_clone()?);
    let up = std::thread::spawn(move || {
        let _ = io::copy(&mut c_read, &mut u_write);
        let _ = u_write.shutdown(std::net::Shutdown::Write);
    });
    let (mut u_read, mut c_write) = (upstream, client);
    let _ = io::copy(&mut u_read, &mut c_write);
    let _ = c_write.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
    Ok(())
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = UnixStream::connect(&self.path);
        if let Some(t) = self.accepting.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}
