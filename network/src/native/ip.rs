//! iproute2 in batch mode: one process for the host's side of a change,
//! one (entered into the namespace by util-linux's nsenter) for the
//! container's side.

use std::path::Path;
use std::process::Command;

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
    cmd.args(["-batch", "-"]);
    super::tool::run_script(cmd, "ip -batch", "iproute2", &lines.join("\n")).map_err(|e| match e {
        Error::Tool { tool, msg } => Error::Tool {
            tool,
            msg: format!("{msg} (for: {})", lines.join("; ")),
        },
        other => other,
    })
}

/// Writes a sysctl of the namespace strata runs in.
pub(super) fn sysctl(key: &str, value: &str) -> Result<()> {
    let path = Path::new("/proc/sys").join(key);
    std::fs::write(&path, value).map_err(io("write", &path))
}
