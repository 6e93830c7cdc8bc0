//! The agent an `ssh-agent` case's builds forward (`--ssh default` in its
//! `flags`): started for the case with a fresh ed25519 key whose comment
//! is fixed, so both builders' steps see the same identity.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Agent {
    child: Child,
    pub socket: PathBuf,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Agent {
    pub fn start(dir: &Path) -> Result<Agent, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let key = dir.join("id_ed25519");
        let made = Command::new("ssh-keygen")
            .args([
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "strata-differential",
                "-f",
            ])
            .arg(&key)
            .output()
            .map_err(|e| format!("ssh-keygen: {e}"))?;
        if !made.status.success() {
            return Err(format!(
                "ssh-keygen: {}",
                String::from_utf8_lossy(&made.stderr)
            ));
        }
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("ssh-agent: {e}"))?;
        let agent = Agent { child, socket };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !agent.socket.exists() {
            if Instant::now() > deadline {
                return Err("ssh-agent never listened".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let added = Command::new("ssh-add")
            .arg("-q")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &agent.socket)
            .output()
            .map_err(|e| format!("ssh-add: {e}"))?;
        if !added.status.success() {
            return Err(format!(
                "ssh-add: {}",
                String::from_utf8_lossy(&added.stderr)
            ));
        }
        Ok(agent)
    }
}
