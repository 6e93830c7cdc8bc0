//! The agents the build's `--ssh` ids forward to: a socket as given, the
//! environment's $SSH_AUTH_SOCK, or an `ssh-agent` (openssh-client)
//! started for the build with the key files loaded, killed when the build
//! ends.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use strata_store::{Store, TempDir};

use super::spec::SshSource;
use super::{SshError, SshSpec};

/// Agent sockets by id; agents of the build's own live as long as this.
#[derive(Debug, Default)]
pub struct SshAgents {
    sockets: BTreeMap<String, PathBuf>,
    agents: Vec<Child>,
    _dirs: Vec<TempDir>,
}

impl SshAgents {
    pub fn start(store: &Store, specs: &[SshSpec]) -> Result<SshAgents, SshError> {
        let mut out = SshAgents::default();
        for spec in specs {
            let socket = match &spec.source {
                SshSource::Socket(p) => p.clone(),
                SshSource::Env => match std::env::var_os("SSH_AUTH_SOCK") {
                    Some(s) if !s.is_empty() => PathBuf::from(s),
                    _ => {
                        return Err(SshError::Source {
                            spec: spec.raw.clone(),
                            message: "SSH_AUTH_SOCK is not set (no agent to forward)".into(),
                        });
                    }
                },
                SshSource::Keys(keys) => out.own_agent(store, spec, keys)?,
            };
            out.sockets.insert(spec.id.clone(), socket);
        }
        Ok(out)
    }

    /// The socket each id forwards to.
    pub fn sockets(&self) -> BTreeMap<String, PathBuf> {
        self.sockets.clone()
    }

    fn own_agent(
        &mut self,
        store: &Store,
        spec: &SshSpec,
        keys: &[PathBuf],
    ) -> Result<PathBuf, SshError> {
        let agent_err = |message: String| SshError::Agent {
            spec: spec.raw.clone(),
            message,
        };
        for k in keys {
            if !k.is_file() {
                return Err(SshError::Source {
                    spec: spec.raw.clone(),
                    message: format!("{} is not a key file or an agent socket", k.display()),
                });
            }
        }
        let dir = store.tempdir().map_err(|e| agent_err(e.to_string()))?;
        let socket = dir.path().join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| agent_err(format!("{e} (is openssh-client installed?)")))?;
        self.agents.push(child);
        self._dirs.push(dir);
        let deadline = Instant::now() + Duration::from_secs(10);
        // Listening, not only there: the socket exists from bind(), and a
        // connect before listen() is refused (ssh-add then fails on a busy
        // machine).
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            if Instant::now() > deadline {
                return Err(agent_err("its socket never accepted a connection".into()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let added = Command::new("ssh-add")
            .arg("-q")
            .args(keys)
            .env("SSH_AUTH_SOCK", &socket)
            .env("SSH_ASKPASS_REQUIRE", "never")
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| agent_err(format!("ssh-add: {e}")))?;
        if !added.status.success() {
            return Err(SshError::Source {
                spec: spec.raw.clone(),
                message: format!(
                    "loading the keys: {}",
                    String::from_utf8_lossy(&added.stderr).trim()
                ),
            });
        }
        Ok(socket)
    }
}

impl Drop for SshAgents {
    fn drop(&mut self) {
        for a in &mut self.agents {
            let _ = a.kill();
            let _ = a.wait();
        }
    }
}
