//! iproute2 in batch mode: one process for the host's side of a change,
//! one (entered into the namespace by util-linux's nsenter) for the
//! container's side.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result, io};

/// Whether this namespace has interface `name`. /proc/self/net is the
/// reading thread's namespace; /sys/class/net would be the one sysfs was
/// mounted in, which under `nsenter --net` is another.
pub(super) fn link_exists(name: &str) -> bool {
    std::fs::read_to_string("/proc/self/net/dev").is_ok_and(|text| {
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .any(|(n, _)| n.trim() == name)
    })
}

pub(super) fn host_batch(lines: &[String]) -> Result<()> {
    batch(Command::new("ip"), lines)
}

pub(super) fn netns_batch(netns: &Path, lines: &[String]) -> Result<()> {
    let mut cmd = Command::new("nsenter");
    cmd.arg(format!("--net={}", netns.display())).arg("ip");
    batch(cmd, lines)
}

fn batch(mut cmd: Command, lines: &[String]) -> Result<()> {
    let what = "ip -batch".to_owned();
    let mut child = cmd
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Tool {
            tool: what.clone(),
            msg: format!("cannot start ip ({e}); install Debian's iproute2"),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(lines.join("\n").as_bytes());
        let _ = stdin.write_all(b"\n");
    }
    let out = child.wait_with_output().map_err(|e| Error::Tool {
        tool: what.clone(),
        msg: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(Error::Tool {
            tool: what,
            msg: format!(
                "{} (for: {})",
                String::from_utf8_lossy(&out.stderr).trim(),
                lines.join("; ")
            ),
        });
    }
    Ok(())
}

/// Writes a sysctl of the namespace strata runs in.
pub(super) fn sysctl(key: &str, value: &str) -> Result<()> {
    let path = Path::new("/proc/sys").join(key);
    std::fs::write(&path, value).map_err(io("write", &path))
}
